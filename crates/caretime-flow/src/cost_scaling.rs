//! Cost-scaling push-relabel (Goldberg), in the "partial augment-relabel" form of LEMON's
//! `CostScaling`.
//!
//! Costs are multiplied by `K = (n + 1) α` so that the last phase, ε = 1, is ε = 1/K < 1/n in
//! the original units, where ε-optimality implies optimality for integer costs. Each ε phase
//! ("refine") saturates every residual arc of reduced cost below -ε, which leaves excesses and
//! deficits, then moves excess forward along admissible arcs (reduced cost < 0) in short paths
//! of at most [`MAX_PATH_LENGTH`] arcs, lowering a node's price ("relabel") when it has no
//! admissible arc left. Three heuristics do most of the work on large networks:
//!
//! - global price update: every ~n relabels, a bucket-based Dijkstra from the deficit nodes over
//!   reverse residual arcs sets every price to its ε-distance from a deficit, which replaces many
//!   single relabels. It also proves infeasibility: an excess that cannot reach any deficit in
//!   the residual network can never be routed.
//! - price refinement: before each phase after the first, try to make the current flow
//!   ε-optimal for the new ε by changing prices only (longest admissible paths in the acyclic
//!   admissible network); when that works the phase is skipped. A cheaper pass first checks
//!   whether the flow is ε-optimal already, or optimal (then the solver stops).
//! - early proof of optimality: the flow is often optimal several phases before ε reaches 1,
//!   and those phases would only refine prices (a pass over every arc each). After a phase that
//!   pushed along few paths, price refinement is tried straight to ε = 1; when it succeeds the
//!   flow is 1-optimal in scaled costs, hence optimal, and the solver stops.
//!
//! The residual network is in compressed sparse row form: each node's out-arcs (an arc's forward
//! copy at its tail and its reverse copy at its head) are contiguous, as structs of target,
//! reverse-arc index, scaled cost, residual capacity and the pair's capacity.

use std::collections::VecDeque;

use crate::{FlowError, Network, PROGRESS_EVERY, Progress, Solution, total_cost};

/// The factor by which ε shrinks from one phase to the next (LEMON's default; a smaller or
/// larger factor was slower on the benchmark: `bench/NOTES.md`).
pub(crate) const ALPHA: i64 = 16;

/// The longest admissible path pushed at once (LEMON's choice).
const MAX_PATH_LENGTH: usize = 4;

/// Relabels between two global price updates, as a multiple of the number of nodes (LEMON: 1;
/// 3 was faster on the benchmark and more frequent updates slower: `bench/NOTES.md`).
const GLOBAL_UPDATE_FACTOR: usize = 3;

/// Refining prices straight to ε = 1 (a proof of optimality) is tried only after a phase that
/// pushed along at most `n /` this many paths: after a phase that moved much flow the flow is
/// rarely optimal yet, and a failed attempt costs a pass over every arc.
const PROOF_AFTER_PATHS_DIVISOR: usize = 2;

/// One residual arc: 32 bytes.
#[derive(Debug, Clone, Copy)]
struct ResidualArc {
    target: u32,
    reverse: u32,
    cost: i64,
    residual: i64,
    /// The original arc's capacity: this arc's and its reverse's residuals always sum to it, so
    /// the reverse's residual is known without touching the reverse arc, which lives at a random
    /// place in memory (reading it was much of the global update's time).
    capacity: i64,
}

/// Solves `network` (already checked by [`crate::check`]) by cost scaling.
pub(crate) fn solve(
    network: &Network,
    observer: &mut dyn FnMut(Progress),
) -> Result<Solution, FlowError> {
    let mut scaling = CostScaling::new(network);
    scaling.run(observer)?;
    let flow: Vec<i64> = scaling
        .forward
        .iter()
        .zip(network.capacities())
        .map(|(&arc, &capacity)| capacity - scaling.arcs[arc as usize].residual)
        .collect();
    let cost = total_cost(network, &flow);
    Ok(Solution { cost, flow })
}

struct CostScaling {
    n_nodes: usize,
    /// `first_out[u]..first_out[u + 1]` are node u's residual arcs.
    first_out: Vec<usize>,
    arcs: Vec<ResidualArc>,
    /// The forward residual arc of each original arc.
    forward: Vec<u32>,
    pi: Vec<i64>,
    excess: Vec<i64>,
    /// The current arc of each node: arcs before it are known not to be admissible.
    next_out: Vec<usize>,
    epsilon: i64,
    /// Ranks at or above this are "unreached" in the global update.
    max_rank: usize,
    rank: Vec<usize>,
    buckets: Vec<u32>,
    bucket_next: Vec<u32>,
    bucket_prev: Vec<u32>,
    active: VecDeque<u32>,
    operations: u64,
}

impl CostScaling {
    fn new(network: &Network) -> CostScaling {
        let n_nodes = network.n_nodes();
        let (from, to, capacities, costs) = (
            network.arc_from(),
            network.arc_to(),
            network.capacities(),
            network.costs(),
        );
        let scale = (n_nodes as i64 + 1) * ALPHA;

        let mut first_out = vec![0usize; n_nodes + 1];
        for (&tail, &head) in from.iter().zip(to) {
            first_out[tail as usize + 1] += 1;
            first_out[head as usize + 1] += 1;
        }
        for node in 0..n_nodes {
            first_out[node + 1] += first_out[node];
        }
        let mut fill = first_out.clone();
        let empty = ResidualArc {
            target: 0,
            reverse: 0,
            cost: 0,
            residual: 0,
            capacity: 0,
        };
        let mut arcs = vec![empty; 2 * from.len()];
        let mut forward = Vec::with_capacity(from.len());
        let mut max_cost = 0;
        for arc in 0..from.len() {
            let (tail, head) = (from[arc] as usize, to[arc] as usize);
            let fwd = fill[tail];
            fill[tail] += 1;
            let rev = fill[head];
            fill[head] += 1;
            let cost = costs[arc] * scale;
            max_cost = max_cost.max(cost.abs());
            arcs[fwd] = ResidualArc {
                target: head as u32,
                reverse: rev as u32,
                cost,
                residual: capacities[arc],
                capacity: capacities[arc],
            };
            arcs[rev] = ResidualArc {
                target: tail as u32,
                reverse: fwd as u32,
                cost: -cost,
                residual: 0,
                capacity: capacities[arc],
            };
            forward.push(fwd as u32);
        }
        let max_rank = ALPHA as usize * (n_nodes + 1);
        CostScaling {
            n_nodes,
            first_out: first_out.clone(),
            arcs,
            forward,
            pi: vec![0; n_nodes],
            excess: network.supplies().to_vec(),
            next_out: first_out,
            epsilon: max_cost.max(1),
            max_rank,
            rank: vec![0; n_nodes + 1],
            buckets: vec![n_nodes as u32; max_rank],
            bucket_next: vec![0; n_nodes + 1],
            bucket_prev: vec![0; n_nodes + 1],
            active: VecDeque::new(),
            operations: 0,
        }
    }

    fn run(&mut self, observer: &mut dyn FnMut(Progress)) -> Result<(), FlowError> {
        if self.n_nodes == 0 {
            return Ok(());
        }
        let global_update_every = GLOBAL_UPDATE_FACTOR * self.n_nodes;
        let mut relabels_since_update = 0usize;
        let mut phase = 0;
        // Paths pushed in the last phase: a measure of how far it had to move the flow.
        let mut last_phase_paths = 0;
        let mut path: Vec<usize> = Vec::with_capacity(MAX_PATH_LENGTH + 1);
        let mut path_nodes: Vec<usize> = Vec::with_capacity(MAX_PATH_LENGTH + 1);
        loop {
            phase += 1;
            observer(Progress {
                phase: "cost scaling",
                count: self.operations,
            });
            // The first phase turns the zero pseudo-flow into a flow. Later ones stop the solver
            // when the flow is optimal (no residual arc has a negative reduced cost) and skip
            // their pushes when the flow is ε-optimal already or prices alone can make it so.
            let mut skip = false;
            if phase > 1 {
                let min_reduced = self.min_reduced_cost();
                if min_reduced >= 0 {
                    return Ok(());
                }
                if last_phase_paths <= self.n_nodes / PROOF_AFTER_PATHS_DIVISOR {
                    // Often the flow is optimal phases before ε reaches 1, and the remaining
                    // phases would only refine prices: after a quiet phase, try to prove
                    // optimality at once by refining straight to ε = 1 (1-optimal in scaled
                    // costs is optimal). A failed attempt may have moved prices, so `min_reduced`
                    // is stale and only a refinement to this ε may skip the phase.
                    if self.refine_prices(1) {
                        return Ok(());
                    }
                    skip = self.refine_prices(self.epsilon);
                } else {
                    skip = -min_reduced <= self.epsilon || self.refine_prices(self.epsilon);
                }
            }
            let paths_before = self.operations;
            if !skip {
                self.saturate_negative_arcs();
                while let Some(&start) = self.active.front() {
                    let start = start as usize;
                    if self.excess[start] <= 0 {
                        self.active.pop_front();
                        continue;
                    }
                    relabels_since_update += self.push_path(
                        start,
                        global_update_every - relabels_since_update,
                        &mut path,
                        &mut path_nodes,
                    )?;
                    self.operations += 1;
                    if self.operations.is_multiple_of(PROGRESS_EVERY) {
                        observer(Progress {
                            phase: "cost scaling",
                            count: self.operations,
                        });
                    }
                    if relabels_since_update >= global_update_every {
                        self.global_update()?;
                        relabels_since_update = 0;
                    }
                }
            }
            last_phase_paths = (self.operations - paths_before) as usize;
            if self.epsilon == 1 {
                return Ok(());
            }
            self.epsilon = if self.epsilon < ALPHA {
                1
            } else {
                self.epsilon / ALPHA
            };
        }
    }

    /// Starts a phase: saturates every residual arc whose reduced cost is below -ε, which makes
    /// the pseudo-flow ε-optimal, and queues the nodes left with excess. (Goldberg and LEMON
    /// saturate every negative arc, tearing up flow that is already good enough for this ε;
    /// sparing arcs in [-ε, 0) keeps it, and push-relabel needs only ε-optimality.)
    fn saturate_negative_arcs(&mut self) {
        let limit = -self.epsilon;
        for node in 0..self.n_nodes {
            let pi_node = self.pi[node];
            for arc in self.first_out[node]..self.first_out[node + 1] {
                let ResidualArc {
                    target,
                    reverse,
                    cost,
                    residual,
                    ..
                } = self.arcs[arc];
                if residual > 0 && cost + pi_node - self.pi[target as usize] < limit {
                    self.excess[node] -= residual;
                    self.excess[target as usize] += residual;
                    self.arcs[arc].residual = 0;
                    self.arcs[reverse as usize].residual += residual;
                }
            }
        }
        self.active.clear();
        for node in 0..self.n_nodes {
            if self.excess[node] > 0 {
                self.active.push_back(node as u32);
            }
            self.next_out[node] = self.first_out[node];
        }
    }

    /// From an active node, follows admissible arcs for up to [`MAX_PATH_LENGTH`] steps or to a
    /// deficit, relabelling dead ends on the way, then pushes along the path found. Returns the
    /// number of relabels, at most `relabel_budget`: the search stops there (pushing along the
    /// path found so far) so that a global update can run. Without that stop an infeasible
    /// network could relabel two nodes against each other forever inside one search.
    fn push_path(
        &mut self,
        start: usize,
        relabel_budget: usize,
        path: &mut Vec<usize>,
        path_nodes: &mut Vec<usize>,
    ) -> Result<usize, FlowError> {
        let epsilon = self.epsilon;
        let mut relabels = 0;
        let mut tip = start;
        path.clear();
        path_nodes.clear();
        'extend: while path.len() < MAX_PATH_LENGTH && self.excess[tip] >= 0 {
            let pi_tip = self.pi[tip];
            let end = self.first_out[tip + 1];
            let mut min_reduced = i64::MAX;
            for arc in self.next_out[tip]..end {
                let ResidualArc {
                    target,
                    cost,
                    residual,
                    ..
                } = self.arcs[arc];
                if residual > 0 {
                    let reduced = cost + pi_tip - self.pi[target as usize];
                    if reduced < 0 {
                        self.next_out[tip] = arc;
                        let cycle = path.contains(&arc);
                        path.push(arc);
                        path_nodes.push(tip);
                        if cycle {
                            break 'extend;
                        }
                        tip = target as usize;
                        continue 'extend;
                    }
                    min_reduced = min_reduced.min(reduced);
                }
            }

            // Relabel the tip: lower its price so that its cheapest residual arc becomes
            // admissible (reduced cost -ε). The arc back along the path counts too, which keeps
            // the step back consistent.
            if let Some(&last) = path.last() {
                let back = self.arcs[last].reverse as usize;
                let ResidualArc { target, cost, .. } = self.arcs[back];
                min_reduced = min_reduced.min(cost + pi_tip - self.pi[target as usize]);
            }
            for arc in self.first_out[tip]..self.next_out[tip] {
                let ResidualArc {
                    target,
                    cost,
                    residual,
                    ..
                } = self.arcs[arc];
                if residual > 0 {
                    min_reduced = min_reduced.min(cost + pi_tip - self.pi[target as usize]);
                }
            }
            if min_reduced == i64::MAX {
                // An excess with no residual arc at all can never leave its node.
                return Err(FlowError::Infeasible);
            }
            self.pi[tip] -= min_reduced + epsilon;
            self.next_out[tip] = self.first_out[tip];
            relabels += 1;
            if path.pop().is_some() {
                tip = path_nodes.pop().expect("path and path_nodes grow together");
            }
            if relabels >= relabel_budget {
                break;
            }
        }

        // Push as much as each step allows.
        for (&arc, &node) in path.iter().zip(path_nodes.iter()) {
            let ResidualArc {
                target,
                reverse,
                residual,
                ..
            } = self.arcs[arc];
            let target = target as usize;
            let delta = residual.min(self.excess[node]);
            self.arcs[arc].residual -= delta;
            self.arcs[reverse as usize].residual += delta;
            self.excess[node] -= delta;
            self.excess[target] += delta;
            if self.excess[target] > 0 && self.excess[target] <= delta {
                self.active.push_back(target as u32);
            }
        }
        Ok(relabels)
    }

    /// Global price update: ε-distances from the deficit nodes by a bucket-based Dijkstra over
    /// reverse residual arcs, then every reached node's price drops by its distance (nodes not
    /// reached drop by the largest distance searched).
    fn global_update(&mut self) -> Result<(), FlowError> {
        let n = self.n_nodes;
        let bucket_end = n as u32;
        let max_rank = self.max_rank;
        let epsilon = self.epsilon;
        self.buckets.fill(bucket_end);
        let mut total_excess: i64 = 0;
        let mut first_deficit = bucket_end;
        for node in 0..n {
            if self.excess[node] < 0 {
                self.rank[node] = 0;
                self.bucket_next[node] = first_deficit;
                self.bucket_prev[first_deficit as usize] = node as u32;
                first_deficit = node as u32;
            } else {
                total_excess += self.excess[node];
                self.rank[node] = max_rank;
            }
        }
        if total_excess == 0 {
            return Ok(());
        }
        self.buckets[0] = first_deficit;

        let mut rank = 0;
        'search: while rank < max_rank {
            while self.buckets[rank] != bucket_end {
                let u = self.buckets[rank] as usize;
                self.buckets[rank] = self.bucket_next[u];
                let pi_u = self.pi[u];
                for arc in self.first_out[u]..self.first_out[u + 1] {
                    let ResidualArc {
                        target: v,
                        cost,
                        residual,
                        capacity,
                        ..
                    } = self.arcs[arc];
                    // The reverse arc v -> u: residual `capacity - residual`, cost `-cost`.
                    if capacity - residual <= 0 {
                        continue;
                    }
                    let v = v as usize;
                    let old_rank_v = self.rank[v];
                    if rank >= old_rank_v {
                        continue;
                    }
                    // The arc v -> u has reduced cost >= -ε, so this is at least `rank`.
                    let steps = (-cost + self.pi[v] - pi_u) / epsilon;
                    let new_rank_v = if steps < (max_rank - rank) as i64 {
                        (rank as i64 + 1 + steps) as usize
                    } else {
                        old_rank_v
                    };
                    if new_rank_v < old_rank_v {
                        self.rank[v] = new_rank_v;
                        self.next_out[v] = self.first_out[v];
                        if old_rank_v < max_rank {
                            self.unlink(v, old_rank_v);
                        }
                        self.link(v, new_rank_v);
                    }
                }
                if self.excess[u] > 0 {
                    total_excess -= self.excess[u];
                    if total_excess <= 0 {
                        break 'search;
                    }
                }
            }
            rank += 1;
        }
        if total_excess > 0 {
            self.check_reachable()?;
        }
        for node in 0..n {
            let drop = self.rank[node].min(rank);
            if drop > 0 {
                self.pi[node] -= epsilon * drop as i64;
                self.next_out[node] = self.first_out[node];
            }
        }
        Ok(())
    }

    fn unlink(&mut self, node: usize, rank: usize) {
        if self.buckets[rank] as usize == node {
            self.buckets[rank] = self.bucket_next[node];
        } else {
            let (prev, next) = (self.bucket_prev[node], self.bucket_next[node]);
            self.bucket_next[prev as usize] = next;
            self.bucket_prev[next as usize] = prev;
        }
    }

    fn link(&mut self, node: usize, rank: usize) {
        let next = self.buckets[rank];
        self.bucket_next[node] = next;
        self.bucket_prev[next as usize] = node as u32;
        self.buckets[rank] = node as u32;
    }

    /// Fails with [`FlowError::Infeasible`] when some node with excess cannot reach any node
    /// with a deficit in the residual network: that excess can never be routed.
    fn check_reachable(&self) -> Result<(), FlowError> {
        let n = self.n_nodes;
        let mut reached = vec![false; n];
        let mut queue: Vec<usize> = (0..n).filter(|&node| self.excess[node] < 0).collect();
        for &node in &queue {
            reached[node] = true;
        }
        while let Some(u) = queue.pop() {
            for arc in self.first_out[u]..self.first_out[u + 1] {
                let ResidualArc {
                    target, reverse, ..
                } = self.arcs[arc];
                let v = target as usize;
                if !reached[v] && self.arcs[reverse as usize].residual > 0 {
                    reached[v] = true;
                    queue.push(v);
                }
            }
        }
        if (0..n).any(|node| self.excess[node] > 0 && !reached[node]) {
            return Err(FlowError::Infeasible);
        }
        Ok(())
    }

    /// The least reduced cost of any residual arc (0 if none is negative): one sequential pass,
    /// far cheaper than price refinement.
    fn min_reduced_cost(&self) -> i64 {
        let mut min = 0i64;
        for node in 0..self.n_nodes {
            let pi_node = self.pi[node];
            for arc in &self.arcs[self.first_out[node]..self.first_out[node + 1]] {
                if arc.residual > 0 {
                    min = min.min(arc.cost + pi_node - self.pi[arc.target as usize]);
                }
            }
        }
        min
    }

    /// Price refinement: tries to make the current flow `epsilon`-optimal by lowering prices
    /// along the (acyclic) admissible network. Returns whether it succeeded, in which case the
    /// phase's pushes are not needed (and, for `epsilon` = 1, the flow is optimal). On failure
    /// the prices may have moved; the phase's saturation restores ε-optimality.
    fn refine_prices(&mut self, epsilon: i64) -> bool {
        let n = self.n_nodes;
        let bucket_end = n as u32;
        let mut order: Vec<usize> = Vec::with_capacity(n);
        loop {
            if !self.topological_order(&mut order) {
                return false;
            }
            // Longest admissible paths, in units of ε, in topological order.
            self.rank[..n].fill(0);
            self.buckets.fill(bucket_end);
            let mut top_rank = 0;
            for &u in order.iter().rev() {
                let rank_u = self.rank[u];
                let pi_u = self.pi[u];
                for arc in self.first_out[u]..self.first_out[u + 1] {
                    let ResidualArc {
                        target,
                        cost,
                        residual,
                        ..
                    } = self.arcs[arc];
                    if residual <= 0 {
                        continue;
                    }
                    let v = target as usize;
                    let reduced = cost + pi_u - self.pi[v];
                    if reduced < 0 {
                        // floor((-reduced - 1/2) / ε) in integers.
                        let steps = ((-reduced - 1) / epsilon) as usize;
                        let new_rank_v = rank_u.saturating_add(steps);
                        if new_rank_v >= self.max_rank {
                            // Too long to bucket: leave this phase to push-relabel.
                            return false;
                        }
                        if new_rank_v > self.rank[v] {
                            self.rank[v] = new_rank_v;
                        }
                    }
                }
                if rank_u > 0 {
                    top_rank = top_rank.max(rank_u);
                    self.link(u, rank_u);
                }
            }
            if top_rank == 0 {
                return true;
            }

            // Lower prices top-down so that admissible arcs become at least -ε.
            for rank in (1..=top_rank).rev() {
                while self.buckets[rank] != bucket_end {
                    let u = self.buckets[rank] as usize;
                    self.buckets[rank] = self.bucket_next[u];
                    let pi_u = self.pi[u];
                    for arc in self.first_out[u]..self.first_out[u + 1] {
                        let ResidualArc {
                            target,
                            cost,
                            residual,
                            ..
                        } = self.arcs[arc];
                        if residual <= 0 {
                            continue;
                        }
                        let v = target as usize;
                        let old_rank_v = self.rank[v];
                        if old_rank_v >= rank {
                            continue;
                        }
                        let reduced = cost + pi_u - self.pi[v];
                        let new_rank_v = if reduced < 0 {
                            rank
                        } else {
                            let steps = reduced / epsilon;
                            if steps < (rank - 1) as i64 {
                                rank - 1 - steps as usize
                            } else {
                                0
                            }
                        };
                        if new_rank_v > old_rank_v {
                            self.rank[v] = new_rank_v;
                            if old_rank_v > 0 {
                                self.unlink(v, old_rank_v);
                            }
                            self.link(v, new_rank_v);
                        }
                    }
                    self.pi[u] -= rank as i64 * epsilon;
                }
            }
        }
    }

    /// Fills `order` with the nodes in DFS post-order of the admissible network (so its reverse
    /// is a topological order); false if the admissible network has a cycle.
    fn topological_order(&mut self, order: &mut Vec<usize>) -> bool {
        const NEW: usize = 0;
        const OPEN: usize = 1;
        const DONE: usize = 2;
        let n = self.n_nodes;
        order.clear();
        self.rank[..n].fill(NEW);
        let mut stack: Vec<usize> = Vec::new();
        for root in 0..n {
            if self.rank[root] != NEW {
                continue;
            }
            self.rank[root] = OPEN;
            self.next_out[root] = self.first_out[root];
            stack.push(root);
            while let Some(&u) = stack.last() {
                let pi_u = self.pi[u];
                let end = self.first_out[u + 1];
                let mut descended = false;
                while self.next_out[u] < end {
                    let arc = self.next_out[u];
                    self.next_out[u] += 1;
                    let ResidualArc {
                        target,
                        cost,
                        residual,
                        ..
                    } = self.arcs[arc];
                    let v = target as usize;
                    if residual > 0 && cost + pi_u - self.pi[v] < 0 {
                        match self.rank[v] {
                            NEW => {
                                self.rank[v] = OPEN;
                                self.next_out[v] = self.first_out[v];
                                stack.push(v);
                                descended = true;
                                break;
                            }
                            OPEN => {
                                for &node in &stack {
                                    self.next_out[node] = self.first_out[node];
                                }
                                return false;
                            }
                            _ => {}
                        }
                    }
                }
                if !descended {
                    self.rank[u] = DONE;
                    self.next_out[u] = self.first_out[u];
                    order.push(u);
                    stack.pop();
                }
            }
        }
        true
    }
}
