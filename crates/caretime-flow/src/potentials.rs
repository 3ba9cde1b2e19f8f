//! Dual potentials of an optimal flow: the certificate of its optimality, and what column
//! generation prices new arcs with.

use crate::{FlowError, Network};

/// Node potentials `p` under which every residual arc of `flow` has a non-negative reduced
/// cost: for an arc `u → v` of cost `c` with room left, `c + p[u] - p[v] ≥ 0`; for an arc
/// carrying flow, `-c + p[v] - p[u] ≥ 0`. Such potentials exist exactly when `flow` is optimal
/// (no negative-cost cycle in the residual network); they are then optimal dual prices, and an
/// arc that is not in the network can lower the optimum only if its reduced cost under them is
/// negative.
///
/// Computed as shortest distances from a virtual root joined to every node at cost 0, by the
/// queue-based Bellman-Ford algorithm over the residual network: `O(n m)` in the worst case,
/// a few passes over the arcs in practice. Memory: 24 bytes per arc and 17 per node.
///
/// Fails with [`FlowError::NotOptimal`] when the residual network has a negative-cost cycle, or
/// [`FlowError::BadArc`]-style errors never (the network is already valid); `flow` must have one
/// entry per arc within its capacity, or this returns [`FlowError::NotOptimal`] too.
pub fn potentials(network: &Network, flow: &[i64]) -> Result<Vec<i64>, FlowError> {
    let n = network.n_nodes();
    if flow.len() != network.n_arcs() {
        return Err(FlowError::NotOptimal);
    }
    // Residual arcs in compressed sparse row form: (target, cost).
    let mut degree = vec![0u32; n + 1];
    for (arc, &value) in network.arcs().zip(flow) {
        if value < 0 || value > arc.capacity {
            return Err(FlowError::NotOptimal);
        }
        if value < arc.capacity {
            degree[arc.from.0 as usize] += 1;
        }
        if value > 0 {
            degree[arc.to.0 as usize] += 1;
        }
    }
    let mut first = vec![0usize; n + 1];
    for node in 0..n {
        first[node + 1] = first[node] + degree[node] as usize;
    }
    let mut next = first.clone();
    let mut residual = vec![(0u32, 0i64); first[n]];
    for (arc, &value) in network.arcs().zip(flow) {
        if value < arc.capacity {
            let slot = &mut next[arc.from.0 as usize];
            residual[*slot] = (arc.to.0, arc.cost);
            *slot += 1;
        }
        if value > 0 {
            let slot = &mut next[arc.to.0 as usize];
            residual[*slot] = (arc.from.0, -arc.cost);
            *slot += 1;
        }
    }

    let mut distance = vec![0i64; n];
    let mut queued = vec![true; n];
    // Arcs on the shortest path found to each node (from the virtual root, excluded): a simple
    // path has at most n - 1, so n means a negative cycle.
    let mut hops = vec![0u32; n];
    let mut queue: std::collections::VecDeque<u32> = (0..n as u32).collect();
    while let Some(node) = queue.pop_front() {
        let node = node as usize;
        queued[node] = false;
        let here = distance[node];
        for &(target, cost) in &residual[first[node]..first[node + 1]] {
            let target = target as usize;
            let through = here + cost;
            if through < distance[target] {
                distance[target] = through;
                hops[target] = hops[node] + 1;
                if hops[target] as usize >= n {
                    return Err(FlowError::NotOptimal);
                }
                if !queued[target] {
                    queued[target] = true;
                    queue.push_back(target as u32);
                }
            }
        }
    }
    Ok(distance)
}
