//! A generic min-cost-flow solver, with a DIMACS reader and writer.
//!
//! caretime's replanner moves every appointment a disruption displaces to the cheapest feasible
//! place by solving a min-cost flow (the README's "How a disruption is replanned"). This crate is that solver, and
//! it knows nothing of appointments: nodes, arcs, capacities, costs and supplies.
//!
//! - A [`Network`] is the problem: nodes ([`NodeId`]) with supplies (positive) or demands
//!   (negative), arcs ([`ArcId`], [`Arc`]) with a capacity (lower bound 0) and a per-unit cost,
//!   which may be negative.
//! - [`solve`] returns an optimal [`Solution`]: the flow on every arc (exact `i64`) and its total
//!   cost (exact `i128`), or a [`FlowError`]: supplies that do not sum to 0
//!   ([`FlowError::Unbalanced`]), no feasible flow ([`FlowError::Infeasible`]), or numbers too large
//!   for exact 64-bit arithmetic ([`FlowError::TooLarge`]).
//! - [`solve_with`] does the same and reports [`Progress`] now and then, for a spinner;
//!   [`solve_using`] picks the [`Algorithm`]: network simplex (the default) or cost scaling.
//! - [`potentials`] turns an optimal flow into optimal dual prices (node potentials): the
//!   certificate of optimality, and what column generation prices arcs not yet in the network
//!   with (the replanner does).
//! - [`solve_from`] solves by network simplex from a [`Basis`]: the spanning tree of an optimum of
//!   the same network before it grew (nodes and arcs appended, some costs changed). The old
//!   optimum is still feasible, so only the new arcs need pivots: column generation re-solves
//!   after each round this way (the replanner does). The basis costs 16 bytes per node and 8
//!   per arc; the tree's thread order, subtree sizes and potentials are rebuilt from its parents in
//!   `O(n)`.
//! - [`dimacs`] reads and writes the DIMACS min-cost-flow format (lower bounds included), so that
//!   any instance can be checked against another solver.
//!
//! # Algorithms
//!
//! Two algorithms are implemented, both exact in `i64`; [`solve`] uses **network simplex**, the
//! faster on the replanning benchmark. When capacity is scarce (most of the receiving capacity
//! needed), cost scaling is faster: callers that know so should pick it with [`solve_using`].
//!
//! - [`Algorithm::NetworkSimplex`]: primal network simplex as in LEMON's `NetworkSimplex`: a
//!   spanning tree stored as parent, predecessor arc (and its direction), thread, reverse thread,
//!   subtree size and last-successor arrays, so that a pivot costs time in the length of its
//!   cycle and the size of the re-hung subtree only; big-M artificial arcs to an extra root
//!   (`M = (C + 1)(n + 1)` for the largest cost magnitude `C`), so the first basis is feasible
//!   and a final basis that still routes flow through the root proves infeasibility;
//!   block-search pivoting over arcs stored in an interleaved order (consecutive positions hold
//!   arcs about `m / k` apart, `k = m / n`) so that each block samples the whole network. Blocks
//!   are `0.3 √m` arcs (LEMON: `√m`): smaller blocks win when improving arcs are everywhere (a
//!   pivot chosen from fewer arcs is almost as good and much cheaper) and lose when capacity is
//!   scarce (poorer pivots, many more of them); `0.3 √m` stays near the best on both. Not
//!   polynomial in the worst case (no known pivot rule is); in practice a few pivots per node,
//!   each `O(block + cycle + re-hung subtree)`. Needs potentials up to about `2 n C`, so the
//!   network must satisfy `8 (C + 1)(n + 1) ≤ 2^63`. Its weak spot is scarce capacity: most
//!   receiving arcs are full and hang from one another in long alternating chains, so most
//!   pivots are degenerate and cycles are long.
//! - [`Algorithm::CostScaling`]: Goldberg's cost-scaling push-relabel in the form of LEMON's
//!   `CostScaling` ("partial augment-relabel": admissible paths of at most 4 arcs instead of single
//!   pushes), scaling factor α = 16, FIFO active nodes, the global price update (a bucket-based
//!   Dijkstra from the deficit nodes every 3n relabels, which also proves infeasibility: an excess
//!   that cannot reach any deficit) and price refinement (before each ε phase, try to reach
//!   ε-optimality by changing prices only). It starts from the zero flow, so the first phase also
//!   finds a feasible flow (no separate max-flow run), and stops as soon as no residual arc has a
//!   negative reduced cost, or as soon as price refinement straight to ε = 1 succeeds (tried
//!   after a phase that pushed along at most n/2 paths), which proves the flow optimal phases
//!   early. Worst case `O(n² m log(n C))`; needs `8 · 16 (n + 1)² C ≤ 2^63`. Kept as the
//!   polynomial alternative (the faster when capacity is scarce) and as a second, independent
//!   solver that the tests compare against.
//!
//! Network simplex prices arcs from four parallel arrays (source, target, cost, state), which its
//! pricing loop reads for consecutive arcs; cost scaling keeps each residual arc as one struct,
//! because it reads all of an arc's fields together, and each residual arc carries the pair's
//! capacity so that the global price update never touches an arc's reverse (a random place in
//! memory).
//!
//! Timings on the replanning benchmark, every configuration tried (block sizes, layouts, LEMON's
//! settings) and what each cost: `bench/NOTES.md`, section "flow solve".
//!
//! # Memory
//!
//! A [`Network`] takes 24 bytes per arc and 8 per node; the [`Solution`] 8 per arc. Network
//! simplex adds 37 bytes per arc (source and target 4 each, capacity, cost and flow 8 each,
//! state 1, the interleaving map 4) and about 70 per node (its artificial arc and the tree
//! arrays): about 70 bytes per arc in all. Cost scaling adds 68 bytes per arc (two 32-byte
//! residual arcs, a 4-byte map) and about 110 per node (prices, excesses, current arcs and its
//! 16 n rank buckets).
//!
//! # What it does not do
//!
//! No floating point, no lower bounds in [`Network`] (see [`dimacs::Instance`] for how they are
//! transformed away), no dual prices in the solution, no threads; warm starts for network
//! simplex only ([`solve_from`]).

mod cost_scaling;
pub mod dimacs;
mod network;
mod network_simplex;
mod potentials;

use std::fmt;

pub use network::{Arc, ArcId, MAX_ARCS, MAX_COST, MAX_NODES, Network, NodeId};
pub use network_simplex::Basis;
pub use potentials::potentials;

/// An optimal flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Solution {
    /// The total cost: the sum over arcs of flow × cost.
    pub cost: i128,
    /// The flow on each arc, indexed by [`ArcId`]; between 0 and the arc's capacity.
    pub flow: Vec<i64>,
}

/// Why a network has no optimal flow, or could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowError {
    /// A flow given to [`potentials`] is not optimal (its residual network has a negative-cost
    /// cycle) or not a flow of the network.
    NotOptimal,
    /// Supplies and demands do not cancel out.
    Unbalanced {
        /// The sum of all supplies (demands counted negative).
        total: i128,
    },
    /// No flow meets every supply and demand within the capacities.
    Infeasible,
    /// An arc names a node that is not in the network.
    BadArc {
        /// The arc's tail.
        from: u32,
        /// The arc's head.
        to: u32,
        /// The number of nodes in the network.
        n_nodes: usize,
    },
    /// An arc's capacity is negative.
    NegativeCapacity {
        /// The capacity given.
        capacity: i64,
    },
    /// A [`Basis`] given to [`solve_from`] is not one of an optimum of the network's first
    /// nodes and arcs.
    BasisMismatch {
        /// The nodes of the basis's network.
        nodes: usize,
        /// The arcs of the basis's network.
        arcs: usize,
    },
    /// A number is too large for the solver's exact 64-bit arithmetic.
    TooLarge {
        /// What is too large.
        quantity: &'static str,
        /// Its value.
        value: i128,
        /// The largest value accepted.
        limit: i128,
    },
}

// Display and Error by hand rather than thiserror: this crate depends on std only (its
// Cargo.toml says why). The messages follow the workspace's thiserror style (lowercase, no final period).
impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowError::Unbalanced { total } => write!(
                f,
                "supplies and demands sum to {total}, not 0 (the network is unbalanced)"
            ),
            FlowError::NotOptimal => write!(
                f,
                "the flow is not optimal: its residual network has a negative-cost cycle"
            ),
            FlowError::Infeasible => write!(
                f,
                "no flow meets every supply and demand within the capacities (infeasible)"
            ),
            FlowError::BadArc { from, to, n_nodes } => write!(
                f,
                "arc from node {from} to node {to} names a node outside a network of {n_nodes} nodes"
            ),
            FlowError::BasisMismatch { nodes, arcs } => write!(
                f,
                "the starting basis (of {nodes} nodes and {arcs} arcs) does not fit the network: \
                 not the same first nodes, supplies and arcs, or new nodes with a supply"
            ),
            FlowError::NegativeCapacity { capacity } => {
                write!(f, "arc capacity {capacity} is negative")
            }
            FlowError::TooLarge {
                quantity,
                value,
                limit,
            } => write!(
                f,
                "{quantity} {value} is too large for exact 64-bit arithmetic (limit {limit})"
            ),
        }
    }
}

impl std::error::Error for FlowError {}

/// The algorithm [`solve_using`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Algorithm {
    /// Primal network simplex with block-search pivoting (the default: the faster on the
    /// replanning benchmark, the slower when capacity is scarce).
    #[default]
    NetworkSimplex,
    /// Cost-scaling push-relabel (polynomial; slower on the replanning benchmark, faster when
    /// capacity is scarce).
    CostScaling,
}

/// What the solver is doing, reported now and then through [`solve_with`]'s observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The algorithm's current phase, e.g. `"cost scaling"`.
    pub phase: &'static str,
    /// Work done so far: pivots for network simplex, pushes along admissible paths for cost
    /// scaling.
    pub count: u64,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} operations)", self.phase, self.count)
    }
}

/// How many units of work pass between two calls of the observer: rare enough to cost nothing.
const PROGRESS_EVERY: u64 = 1 << 16;

/// Solves `network` for a minimum-cost flow.
pub fn solve(network: &Network) -> Result<Solution, FlowError> {
    solve_with(network, &mut |_| {})
}

/// Solves `network` for a minimum-cost flow with the default [`Algorithm`] (network simplex),
/// calling `observer` every 65,536 pivots.
pub fn solve_with(
    network: &Network,
    observer: &mut dyn FnMut(Progress),
) -> Result<Solution, FlowError> {
    solve_using(network, Algorithm::default(), observer)
}

/// Solves `network` with the given algorithm, calling `observer` every 65,536 units of work
/// (pivots, or pushes along a path).
pub fn solve_using(
    network: &Network,
    algorithm: Algorithm,
    observer: &mut dyn FnMut(Progress),
) -> Result<Solution, FlowError> {
    let bounds = check(network)?;
    match algorithm {
        Algorithm::CostScaling if bounds.cost_scaling_fits() => {
            cost_scaling::solve(network, observer)
        }
        Algorithm::NetworkSimplex if bounds.network_simplex_fits() => {
            network_simplex::solve(network, None, false, observer).map(|(solution, _)| solution)
        }
        _ => Err(bounds.too_large(algorithm)),
    }
}

/// Solves `network` by network simplex, starting from `start` when given: the [`Basis`] of an
/// optimum of the same network before it grew (more nodes, with no supply, and more arcs, both
/// appended; the first arcs' costs may change). Returns the optimum and its basis, to start the
/// next solve from. Column generation grows a network this way and solves it again after each
/// round: the old optimum stays feasible, so only the new arcs need pivots.
pub fn solve_from(
    network: &Network,
    start: Option<&Basis>,
    observer: &mut dyn FnMut(Progress),
) -> Result<(Solution, Basis), FlowError> {
    let bounds = check(network)?;
    if !bounds.network_simplex_fits() {
        return Err(bounds.too_large(Algorithm::NetworkSimplex));
    }
    if let Some(basis) = start
        && !basis.fits(network)
    {
        return Err(FlowError::BasisMismatch {
            nodes: basis.n_nodes(),
            arcs: basis.n_arcs(),
        });
    }
    let (solution, basis) = network_simplex::solve(network, start, true, observer)?;
    Ok((solution, basis.expect("kept when asked for")))
}

/// The magnitudes that decide whether an algorithm's exact arithmetic fits in `i64`.
struct Bounds {
    n_nodes: i128,
    n_arcs: i128,
    max_cost: i128,
}

impl Bounds {
    /// Cost scaling multiplies costs by `(n + 1) α` and, by Goldberg's analysis, moves a price by
    /// at most about `3 n ε` per ε phase, `3.2 n` times the largest scaled cost in all; a reduced
    /// cost adds two prices and a cost. A margin of 8 covers that.
    /// Residual arcs are indexed by `u32`, two per arc.
    fn cost_scaling_fits(&self) -> bool {
        if 2 * self.n_arcs >= i128::from(u32::MAX) {
            return false;
        }
        let scaled = self.max_cost * (self.n_nodes + 1) * i128::from(cost_scaling::ALPHA);
        scaled * (self.n_nodes + 1) * 8 <= i128::from(i64::MAX)
    }

    /// Network simplex's potentials are sums of tree-path costs, at most the big-M cost
    /// `(C + 1)(n + 1)` plus `n C`; a reduced cost adds two of them and a cost.
    fn network_simplex_fits(&self) -> bool {
        (self.max_cost + 1) * (self.n_nodes + 1) * 8 <= i128::from(i64::MAX)
    }

    fn too_large(&self, algorithm: Algorithm) -> FlowError {
        match algorithm {
            Algorithm::NetworkSimplex => FlowError::TooLarge {
                quantity: "(largest arc cost + 1) × (number of nodes + 1)",
                value: (self.max_cost + 1) * (self.n_nodes + 1),
                limit: i128::from(i64::MAX / 8),
            },
            Algorithm::CostScaling if 2 * self.n_arcs >= i128::from(u32::MAX) => {
                FlowError::TooLarge {
                    quantity: "number of arcs for cost scaling",
                    value: self.n_arcs,
                    limit: i128::from(u32::MAX / 2),
                }
            }
            Algorithm::CostScaling => FlowError::TooLarge {
                quantity: "largest arc cost × 16 × (number of nodes + 1)²",
                value: self.max_cost * 16 * (self.n_nodes + 1) * (self.n_nodes + 1),
                limit: i128::from(i64::MAX / 8),
            },
        }
    }
}

/// Checks what every algorithm needs: balanced supplies, and flows and excesses that fit in
/// `i64` (the capacities and supply magnitudes sum to at most `i64::MAX`, so no flow, excess or
/// partial sum of them can overflow).
fn check(network: &Network) -> Result<Bounds, FlowError> {
    let supplies = network.supplies();
    let total: i128 = supplies.iter().map(|&supply| i128::from(supply)).sum();
    if total != 0 {
        return Err(FlowError::Unbalanced { total });
    }
    let magnitude: i128 = supplies
        .iter()
        .map(|&supply| i128::from(supply).abs())
        .chain(network.capacities().iter().map(|&cap| i128::from(cap)))
        .sum();
    if magnitude > i128::from(i64::MAX) {
        return Err(FlowError::TooLarge {
            quantity: "sum of capacities and supply magnitudes",
            value: magnitude,
            limit: i128::from(i64::MAX),
        });
    }
    let max_cost = network
        .costs()
        .iter()
        .map(|&cost| i128::from(cost).abs())
        .max()
        .unwrap_or(0);
    Ok(Bounds {
        n_nodes: network.n_nodes() as i128,
        n_arcs: network.n_arcs() as i128,
        max_cost,
    })
}

/// The total cost of `flow` on `network`.
fn total_cost(network: &Network, flow: &[i64]) -> i128 {
    network
        .costs()
        .iter()
        .zip(flow)
        .map(|(&cost, &flow)| i128::from(cost) * i128::from(flow))
        .sum()
}
