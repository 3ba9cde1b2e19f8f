//! Primal network simplex with block-search pivoting, after LEMON's `NetworkSimplex`.
//!
//! The basis is a spanning tree rooted at an extra node: every real node starts hanging from the
//! root by an artificial arc (supply nodes send their supply up at cost 0, demand nodes receive
//! theirs down at the big-M cost), so the first basis is feasible for the artificial problem. The
//! tree is kept in arrays (parent, predecessor arc and its direction, thread order with its
//! reverse, subtree size, last successor in thread order) so that a pivot costs time in the size
//! of the cycle and of the re-hung subtree only. Entering arcs are chosen by block search: scan
//! blocks of about 0.3 √m arcs from where the last search stopped and take the most negative reduced
//! cost of the first block that has one.

use crate::{FlowError, Network, PROGRESS_EVERY, Progress, Solution, total_cost};

const NONE: u32 = u32::MAX;
const STATE_UPPER: i8 = -1;
const STATE_TREE: i8 = 0;
const STATE_LOWER: i8 = 1;
const DIR_UP: i8 = 1;
const DIR_DOWN: i8 = -1;

/// Block size as a fraction of √m. LEMON uses 1. On the replanning benchmark (bipartite, unit
/// capacities, capacity to spare) nearly every block holds an improving arc and smaller blocks
/// win; when capacity is scarce (`--providers 5000`) pivots chosen from small blocks are poor
/// and larger blocks win. 0.3 stays near the best on both (figures: `bench/NOTES.md`).
const BLOCK_SIZE_FACTOR: f64 = 0.3;
const MIN_BLOCK_SIZE: f64 = 10.0;

/// Solves `network` (already checked by [`crate::check`]) by network simplex, from `start` when
/// given (already checked to fit the network by [`Basis::fits`]); returns the optimal flow and,
/// when `keep_basis`, its basis (which costs 12 bytes per arc more at the peak).
pub(crate) fn solve(
    network: &Network,
    start: Option<&Basis>,
    keep_basis: bool,
    observer: &mut dyn FnMut(Progress),
) -> Result<(Solution, Option<Basis>), FlowError> {
    let mut simplex = Simplex::new(network);
    if let Some(basis) = start {
        simplex.start_from(basis);
    }
    simplex.run(observer);
    // With a big-M large enough, an optimum that still routes flow through the root proves that
    // no feasible flow exists.
    if simplex.flow[simplex.n_arcs..].iter().any(|&flow| flow != 0) {
        return Err(FlowError::Infeasible);
    }
    let flow: Vec<i64> = simplex
        .position
        .iter()
        .map(|&pos| simplex.flow[pos as usize])
        .collect();
    let basis = keep_basis.then(|| simplex.basis(&flow, network.supplies()));
    let cost = total_cost(network, &flow);
    Ok((Solution { cost, flow }, basis))
}

/// The spanning tree of a network simplex optimum: where a later solve of the same network
/// grown by more nodes and arcs can start (a warm start), since the old optimum is still a
/// feasible basis there and only the new arcs can improve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Basis {
    /// Per node, its parent in the tree (`NONE`: the extra root).
    parent: Vec<u32>,
    /// Per node, the arc to its parent (`NONE`: the node's artificial arc to the root).
    pred: Vec<u32>,
    /// Per arc, its flow.
    flow: Vec<i64>,
    /// Per node, its supply when the basis was made.
    supply: Vec<i64>,
}

impl Basis {
    /// The number of nodes of the network the basis was made for.
    pub fn n_nodes(&self) -> usize {
        self.parent.len()
    }

    /// The number of arcs of the network the basis was made for.
    pub fn n_arcs(&self) -> usize {
        self.flow.len()
    }

    /// Whether `network` grows the basis's network: the same first nodes with the same
    /// supplies (new nodes with none), the same first arcs between the same nodes with room for
    /// the basis's flow. Costs may change: the basis stays feasible, only its optimality goes.
    pub(crate) fn fits(&self, network: &Network) -> bool {
        let (from, to, capacities) = (network.arc_from(), network.arc_to(), network.capacities());
        if network.n_nodes() < self.n_nodes()
            || network.n_arcs() < self.n_arcs()
            || network.supplies()[..self.n_nodes()] != self.supply[..]
            || network.supplies()[self.n_nodes()..]
                .iter()
                .any(|&supply| supply != 0)
        {
            return false;
        }
        let mut in_tree = vec![false; self.n_arcs()];
        for (node, (&parent, &arc)) in self.parent.iter().zip(&self.pred).enumerate() {
            if (arc == NONE) != (parent == NONE) {
                return false;
            }
            if arc != NONE {
                // A tree arc joins its node to the node's parent.
                let (tail, head) = (from[arc as usize], to[arc as usize]);
                let joins = (tail == parent && head as usize == node)
                    || (head == parent && tail as usize == node);
                if !joins {
                    return false;
                }
                in_tree[arc as usize] = true;
            }
        }
        // Arcs outside the tree sit at a bound, inside it within the capacity.
        self.flow
            .iter()
            .zip(capacities)
            .zip(&in_tree)
            .all(|((&flow, &capacity), &tree)| {
                (0..=capacity).contains(&flow) && (tree || flow == 0 || flow == capacity)
            })
    }
}

struct Simplex {
    /// Real arcs; artificial arcs follow them in the arc arrays.
    n_arcs: usize,
    /// Where each original arc is stored (the interleaved order).
    position: Vec<u32>,
    source: Vec<u32>,
    target: Vec<u32>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
    flow: Vec<i64>,
    state: Vec<i8>,
    pi: Vec<i64>,
    parent: Vec<u32>,
    pred: Vec<u32>,
    pred_dir: Vec<i8>,
    thread: Vec<u32>,
    rev_thread: Vec<u32>,
    succ_num: Vec<u32>,
    last_succ: Vec<u32>,
    dirty_revs: Vec<u32>,
    // The current pivot.
    in_arc: usize,
    join: usize,
    u_in: usize,
    v_in: usize,
    u_out: usize,
    delta: i64,
    // Block search.
    block_size: usize,
    next_arc: usize,
}

impl Simplex {
    fn new(network: &Network) -> Simplex {
        let n_nodes = network.n_nodes();
        let n_arcs = network.n_arcs();
        let all_arcs = n_arcs + n_nodes;
        let root = n_nodes;

        // Interleave the arcs (arc i goes to i, i + skip, i + 2 skip, ...) so that a block of
        // consecutive positions samples the whole network instead of one corner of it.
        let skip = (n_arcs / n_nodes.max(1)).max(3);
        let mut position = Vec::with_capacity(n_arcs);
        let (mut pos, mut residue) = (0usize, 0usize);
        for _ in 0..n_arcs {
            position.push(pos as u32);
            pos += skip;
            if pos >= n_arcs {
                residue += 1;
                pos = residue;
            }
        }
        let mut source = vec![0u32; all_arcs];
        let mut target = vec![0u32; all_arcs];
        let mut capacity = vec![0i64; all_arcs];
        let mut cost = vec![0i64; all_arcs];
        let (from, to, caps, costs) = (
            network.arc_from(),
            network.arc_to(),
            network.capacities(),
            network.costs(),
        );
        for (arc, &pos) in position.iter().enumerate() {
            let pos = pos as usize;
            source[pos] = from[arc];
            target[pos] = to[arc];
            capacity[pos] = caps[arc];
            cost[pos] = costs[arc];
        }

        // Big-M: a path of real arcs costs more than -n C, so M = (C + 1)(n + 1) makes any flow
        // through the root dearer than any real detour.
        let max_cost = costs.iter().map(|c| c.abs()).max().unwrap_or(0);
        let art_cost = (max_cost + 1) * (n_nodes as i64 + 1);

        let mut simplex = Simplex {
            n_arcs,
            position,
            source,
            target,
            capacity,
            cost,
            flow: vec![0; all_arcs],
            state: vec![STATE_LOWER; all_arcs],
            pi: vec![0; n_nodes + 1],
            parent: vec![NONE; n_nodes + 1],
            pred: vec![NONE; n_nodes + 1],
            pred_dir: vec![DIR_UP; n_nodes + 1],
            thread: vec![0; n_nodes + 1],
            rev_thread: vec![0; n_nodes + 1],
            succ_num: vec![1; n_nodes + 1],
            last_succ: vec![0; n_nodes + 1],
            dirty_revs: Vec::new(),
            in_arc: 0,
            join: 0,
            u_in: 0,
            v_in: 0,
            u_out: 0,
            delta: 0,
            block_size: ((n_arcs as f64).sqrt() * BLOCK_SIZE_FACTOR)
                .ceil()
                .max(MIN_BLOCK_SIZE) as usize,
            next_arc: 0,
        };

        // The root's thread starts at node 0 and visits nodes in order.
        simplex.parent[root] = NONE;
        simplex.pred[root] = NONE;
        simplex.thread[root] = 0;
        simplex.rev_thread[0] = root as u32;
        simplex.succ_num[root] = n_nodes as u32 + 1;
        simplex.last_succ[root] = if n_nodes == 0 { root } else { root - 1 } as u32;
        let supplies = network.supplies();
        for (node, &supply) in supplies.iter().enumerate() {
            let arc = n_arcs + node;
            simplex.parent[node] = root as u32;
            simplex.pred[node] = arc as u32;
            simplex.thread[node] = node as u32 + 1;
            simplex.rev_thread[node + 1] = node as u32;
            simplex.succ_num[node] = 1;
            simplex.last_succ[node] = node as u32;
            simplex.capacity[arc] = i64::MAX;
            simplex.state[arc] = STATE_TREE;
            if supply >= 0 {
                simplex.pred_dir[node] = DIR_UP;
                simplex.pi[node] = 0;
                simplex.source[arc] = node as u32;
                simplex.target[arc] = root as u32;
                simplex.flow[arc] = supply;
                simplex.cost[arc] = 0;
            } else {
                simplex.pred_dir[node] = DIR_DOWN;
                simplex.pi[node] = art_cost;
                simplex.source[arc] = root as u32;
                simplex.target[arc] = node as u32;
                simplex.flow[arc] = -supply;
                simplex.cost[arc] = art_cost;
            }
        }
        simplex
    }

    /// Replaces the first basis (every node hanging from the root) by `basis`, for the nodes
    /// and arcs it knows; newer nodes keep hanging from the root by their artificial arc, at
    /// flow 0. The tree's thread order, subtree sizes and potentials are rebuilt from the parents.
    fn start_from(&mut self, basis: &Basis) {
        let n_nodes = self.pi.len() - 1;
        let root = n_nodes;
        for (arc, &flow) in basis.flow.iter().enumerate() {
            let pos = self.position[arc] as usize;
            self.flow[pos] = flow;
            self.state[pos] = if flow > 0 && flow == self.capacity[pos] {
                STATE_UPPER
            } else {
                STATE_LOWER
            };
        }
        for node in 0..basis.n_nodes() {
            // Nodes whose tree arc is their artificial one keep it as `new` made it, but without
            // flow: the basis came from an optimum of a feasible network.
            let artificial = self.n_arcs + node;
            self.flow[artificial] = 0;
            if basis.pred[node] == NONE {
                continue;
            }
            self.state[artificial] = STATE_LOWER;
            let arc = self.position[basis.pred[node] as usize] as usize;
            self.state[arc] = STATE_TREE;
            self.parent[node] = basis.parent[node];
            self.pred[node] = arc as u32;
            self.pred_dir[node] = if self.source[arc] as usize == node {
                DIR_UP
            } else {
                DIR_DOWN
            };
        }
        self.rebuild_tree(root);
    }

    /// Thread order (depth first from the root), its reverse, subtree sizes, last successors and
    /// potentials, from `parent`, `pred` and `pred_dir`.
    fn rebuild_tree(&mut self, root: usize) {
        let n_all = self.pi.len();
        // Children in CSR form.
        let mut first_child = vec![0u32; n_all + 1];
        for node in 0..n_all {
            if node != root {
                first_child[self.parent[node] as usize + 1] += 1;
            }
        }
        for idx in 0..n_all {
            first_child[idx + 1] += first_child[idx];
        }
        let mut fill = first_child.clone();
        let mut children = vec![0u32; n_all.saturating_sub(1)];
        for node in 0..n_all {
            if node != root {
                let parent = self.parent[node] as usize;
                children[fill[parent] as usize] = node as u32;
                fill[parent] += 1;
            }
        }
        // Preorder from the root.
        let mut order = Vec::with_capacity(n_all);
        let mut stack = vec![root as u32];
        while let Some(node) = stack.pop() {
            order.push(node);
            let node = node as usize;
            let kids = &children[first_child[node] as usize..first_child[node + 1] as usize];
            stack.extend(kids.iter().rev());
        }
        for (idx, &node) in order.iter().enumerate() {
            let next = order[(idx + 1) % order.len()];
            self.thread[node as usize] = next;
            self.rev_thread[next as usize] = node;
        }
        // Subtree sizes and last successors, children before parents.
        for &node in &order {
            self.succ_num[node as usize] = 1;
        }
        for &node in order.iter().rev() {
            let node = node as usize;
            if node != root {
                let parent = self.parent[node] as usize;
                self.succ_num[parent] += self.succ_num[node];
            }
        }
        let mut index = vec![0u32; n_all];
        for (idx, &node) in order.iter().enumerate() {
            index[node as usize] = idx as u32;
        }
        for &node in &order {
            let node = node as usize;
            let last = index[node] as usize + self.succ_num[node] as usize - 1;
            self.last_succ[node] = order[last];
        }
        // Potentials: every tree arc has reduced cost 0.
        self.pi[root] = 0;
        for &node in &order[1..] {
            let node = node as usize;
            let (parent, arc) = (self.parent[node] as usize, self.pred[node] as usize);
            self.pi[node] = if self.pred_dir[node] == DIR_UP {
                self.pi[parent] - self.cost[arc]
            } else {
                self.pi[parent] + self.cost[arc]
            };
        }
    }

    /// The basis of the current tree, with `flow` by original arc.
    fn basis(&self, flow: &[i64], supply: &[i64]) -> Basis {
        let n_nodes = self.pi.len() - 1;
        let mut arc_at = vec![NONE; self.n_arcs];
        for (arc, &pos) in self.position.iter().enumerate() {
            arc_at[pos as usize] = arc as u32;
        }
        let root = n_nodes as u32;
        Basis {
            parent: self.parent[..n_nodes]
                .iter()
                .map(|&parent| if parent == root { NONE } else { parent })
                .collect(),
            pred: self.pred[..n_nodes]
                .iter()
                .map(|&pos| {
                    if (pos as usize) < self.n_arcs {
                        arc_at[pos as usize]
                    } else {
                        NONE
                    }
                })
                .collect(),
            flow: flow.to_vec(),
            supply: supply.to_vec(),
        }
    }

    fn run(&mut self, observer: &mut dyn FnMut(Progress)) {
        let mut pivots: u64 = 0;
        observer(Progress {
            phase: "network simplex",
            count: 0,
        });
        while self.find_entering_arc() {
            self.find_join_node();
            let change = self.find_leaving_arc();
            self.change_flow(change);
            if change {
                self.update_tree_structure();
                self.update_potential();
            }
            pivots += 1;
            if pivots.is_multiple_of(PROGRESS_EVERY) {
                observer(Progress {
                    phase: "network simplex",
                    count: pivots,
                });
            }
        }
    }

    /// Block search: the most negative reduced cost in the first block (from `next_arc`, wrapping
    /// around) that has one.
    fn find_entering_arc(&mut self) -> bool {
        let n_search = self.n_arcs;
        let pi = &self.pi[..];
        let mut min = 0i64;
        let mut best = 0usize;
        let mut block_start = self.next_arc;
        let mut scanned = 0;
        while scanned < n_search {
            let block_end = (block_start + self.block_size).min(n_search);
            // Zipped slices: one bounds check per block instead of four per arc.
            let arcs = self.source[block_start..block_end]
                .iter()
                .zip(&self.target[block_start..block_end])
                .zip(&self.cost[block_start..block_end])
                .zip(&self.state[block_start..block_end]);
            for (offset, (((&s, &t), &c), &state)) in arcs.enumerate() {
                let reduced = i64::from(state) * (c + pi[s as usize] - pi[t as usize]);
                if reduced < min {
                    min = reduced;
                    best = block_start + offset;
                }
            }
            scanned += block_end - block_start;
            block_start = if block_end == n_search { 0 } else { block_end };
            if min < 0 {
                self.next_arc = block_start;
                self.in_arc = best;
                return true;
            }
        }
        false
    }

    fn find_join_node(&mut self) {
        let mut u = self.source[self.in_arc] as usize;
        let mut v = self.target[self.in_arc] as usize;
        while u != v {
            if self.succ_num[u] < self.succ_num[v] {
                u = self.parent[u] as usize;
            } else {
                v = self.parent[v] as usize;
            }
        }
        self.join = u;
    }

    /// Finds the blocking arc of the cycle; returns whether it is a tree arc (else the entering
    /// arc itself blocks and only flips between its bounds).
    fn find_leaving_arc(&mut self) -> bool {
        let in_arc = self.in_arc;
        let (first, second) = if self.state[in_arc] == STATE_LOWER {
            (self.source[in_arc] as usize, self.target[in_arc] as usize)
        } else {
            (self.target[in_arc] as usize, self.source[in_arc] as usize)
        };
        self.delta = self.capacity[in_arc];
        let mut result = 0;
        let mut u = first;
        while u != self.join {
            let arc = self.pred[u] as usize;
            let mut room = self.flow[arc];
            if self.pred_dir[u] == DIR_DOWN {
                room = self.capacity[arc] - room;
            }
            if room < self.delta {
                self.delta = room;
                self.u_out = u;
                result = 1;
            }
            u = self.parent[u] as usize;
        }
        let mut u = second;
        while u != self.join {
            let arc = self.pred[u] as usize;
            let mut room = self.flow[arc];
            if self.pred_dir[u] == DIR_UP {
                room = self.capacity[arc] - room;
            }
            // `<=` keeps the tree strongly feasible: ties leave on the second side.
            if room <= self.delta {
                self.delta = room;
                self.u_out = u;
                result = 2;
            }
            u = self.parent[u] as usize;
        }
        if result == 1 {
            self.u_in = first;
            self.v_in = second;
        } else {
            self.u_in = second;
            self.v_in = first;
        }
        result != 0
    }

    fn change_flow(&mut self, change: bool) {
        let in_arc = self.in_arc;
        if self.delta > 0 {
            let val = i64::from(self.state[in_arc]) * self.delta;
            self.flow[in_arc] += val;
            let mut u = self.source[in_arc] as usize;
            while u != self.join {
                let arc = self.pred[u] as usize;
                self.flow[arc] -= i64::from(self.pred_dir[u]) * val;
                u = self.parent[u] as usize;
            }
            let mut u = self.target[in_arc] as usize;
            while u != self.join {
                let arc = self.pred[u] as usize;
                self.flow[arc] += i64::from(self.pred_dir[u]) * val;
                u = self.parent[u] as usize;
            }
        }
        if change {
            self.state[in_arc] = STATE_TREE;
            let out_arc = self.pred[self.u_out] as usize;
            self.state[out_arc] = if self.flow[out_arc] == 0 {
                STATE_LOWER
            } else {
                STATE_UPPER
            };
        } else {
            self.state[in_arc] = -self.state[in_arc];
        }
    }

    /// Re-hangs the subtree cut off by the leaving arc below the entering arc, updating every
    /// tree array (LEMON 1.3's `updateTreeStructure`).
    fn update_tree_structure(&mut self) {
        let (u_in, v_in, u_out, join, in_arc) =
            (self.u_in, self.v_in, self.u_out, self.join, self.in_arc);
        let old_rev_thread = self.rev_thread[u_out] as usize;
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = self.last_succ[u_out] as usize;
        let v_out = self.parent[u_out] as usize;

        if u_in == u_out {
            self.parent[u_in] = v_in as u32;
            self.pred[u_in] = in_arc as u32;
            self.pred_dir[u_in] = if u_in == self.source[in_arc] as usize {
                DIR_UP
            } else {
                DIR_DOWN
            };
            if self.thread[v_in] as usize != u_out {
                let mut after = self.thread[old_last_succ] as usize;
                self.thread[old_rev_thread] = after as u32;
                self.rev_thread[after] = old_rev_thread as u32;
                after = self.thread[v_in] as usize;
                self.thread[v_in] = u_out as u32;
                self.rev_thread[u_out] = v_in as u32;
                self.thread[old_last_succ] = after as u32;
                self.rev_thread[after] = old_last_succ as u32;
            }
        } else {
            // When the old reverse thread of u_out is v_in, join and v_out coincide.
            let thread_continue = if old_rev_thread == v_in {
                self.thread[old_last_succ]
            } else {
                self.thread[v_in]
            } as usize;

            // Walk the stem from u_in up to u_out, reversing parents and splicing each stem
            // node's subtree into the thread after its new parent.
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = self.last_succ[u_in] as usize;
            let mut after = self.thread[last] as usize;
            self.thread[v_in] = u_in as u32;
            self.dirty_revs.clear();
            self.dirty_revs.push(v_in as u32);
            while stem != u_out {
                let next_stem = self.parent[stem] as usize;
                self.thread[last] = next_stem as u32;
                self.dirty_revs.push(last as u32);

                let before = self.rev_thread[stem] as usize;
                self.thread[before] = after as u32;
                self.rev_thread[after] = before as u32;

                self.parent[stem] = par_stem as u32;
                par_stem = stem;
                stem = next_stem;

                last = if self.last_succ[stem] == self.last_succ[par_stem] {
                    self.rev_thread[par_stem] as usize
                } else {
                    self.last_succ[stem] as usize
                };
                after = self.thread[last] as usize;
            }
            self.parent[u_out] = par_stem as u32;
            self.thread[last] = thread_continue as u32;
            self.rev_thread[thread_continue] = last as u32;
            self.last_succ[u_out] = last as u32;

            if old_rev_thread != v_in {
                self.thread[old_rev_thread] = after as u32;
                self.rev_thread[after] = old_rev_thread as u32;
            }

            for idx in 0..self.dirty_revs.len() {
                let u = self.dirty_revs[idx] as usize;
                let next = self.thread[u] as usize;
                self.rev_thread[next] = u as u32;
            }

            // Predecessor arcs, directions, subtree sizes and last successors along the stem.
            let mut tmp_sc: i64 = 0;
            let tmp_ls = self.last_succ[u_out];
            let mut u = u_out;
            while u != u_in {
                let p = self.parent[u] as usize;
                self.pred[u] = self.pred[p];
                self.pred_dir[u] = -self.pred_dir[p];
                tmp_sc += i64::from(self.succ_num[u]) - i64::from(self.succ_num[p]);
                self.succ_num[u] = tmp_sc as u32;
                self.last_succ[p] = tmp_ls;
                u = p;
            }
            self.pred[u_in] = in_arc as u32;
            self.pred_dir[u_in] = if u_in == self.source[in_arc] as usize {
                DIR_UP
            } else {
                DIR_DOWN
            };
            self.succ_num[u_in] = old_succ_num;
        }

        // Last successors from v_in towards the root.
        let up_limit_out = if self.last_succ[join] as usize == v_in {
            join
        } else {
            NONE as usize
        };
        let last_succ_out = self.last_succ[u_out];
        let mut u = v_in;
        while u != NONE as usize && self.last_succ[u] as usize == v_in {
            self.last_succ[u] = last_succ_out;
            u = self.parent[u] as usize;
        }

        // Last successors from v_out towards the root.
        if join != old_rev_thread && v_in != old_rev_thread {
            let mut u = v_out;
            while u != up_limit_out && self.last_succ[u] as usize == old_last_succ {
                self.last_succ[u] = old_rev_thread as u32;
                u = self.parent[u] as usize;
            }
        } else if last_succ_out as usize != old_last_succ {
            let mut u = v_out;
            while u != up_limit_out && self.last_succ[u] as usize == old_last_succ {
                self.last_succ[u] = last_succ_out;
                u = self.parent[u] as usize;
            }
        }

        // Subtree sizes from v_in and from v_out up to the join node.
        let mut u = v_in;
        while u != join {
            self.succ_num[u] += old_succ_num;
            u = self.parent[u] as usize;
        }
        let mut u = v_out;
        while u != join {
            self.succ_num[u] -= old_succ_num;
            u = self.parent[u] as usize;
        }
    }

    /// Shifts the potentials of the re-hung subtree so that the entering arc's reduced cost is 0.
    fn update_potential(&mut self) {
        let (u_in, v_in) = (self.u_in, self.v_in);
        let sigma =
            self.pi[v_in] - self.pi[u_in] - i64::from(self.pred_dir[u_in]) * self.cost[self.in_arc];
        let end = self.thread[self.last_succ[u_in] as usize] as usize;
        let mut u = u_in;
        while u != end {
            self.pi[u] += sigma;
            u = self.thread[u] as usize;
        }
    }
}
