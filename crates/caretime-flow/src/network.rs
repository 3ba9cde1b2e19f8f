//! The problem: a directed network with capacities, costs and supplies.

use std::fmt;

use crate::FlowError;

/// The largest arc cost magnitude [`Network::add_arc`] accepts: 2^40 (about 1.1 × 10^12).
///
/// Both algorithms work in exact `i64` arithmetic, so what fits also depends on the number of
/// nodes: network simplex needs node potentials up to about `2 × n_nodes × max|cost|`; cost
/// scaling multiplies costs by `(n_nodes + 1) × 16` and its prices may move by a further factor
/// of `n_nodes`. [`crate::solve`] checks the bound of the algorithm it runs on the network it is
/// given and returns [`FlowError::TooLarge`] when it does not hold.
pub const MAX_COST: i64 = 1 << 40;

/// The most nodes a network read from outside may have (2^24, about 16.8 million): readers such
/// as [`crate::dimacs::read`] refuse more before allocating. At the 8 bytes a [`Network`] and
/// the 110 cost scaling take per node, that is under 2 GB; the full-scale strike replan has
/// under a million.
pub const MAX_NODES: usize = 1 << 24;

/// The most arcs a network read from outside may have (2^26, about 67 million): at the 24 bytes
/// a [`Network`] and the 70 network simplex take per arc, about 6 GB, ten times the full-scale
/// strike replan's 6.4 million arcs.
pub const MAX_ARCS: usize = 1 << 26;

/// A node of a [`Network`], numbered from 0 in the order nodes were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// An arc of a [`Network`], numbered from 0 in the order arcs were added; it indexes
/// [`crate::Solution::flow`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArcId(pub u32);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {}", self.0)
    }
}

impl fmt::Display for ArcId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arc {}", self.0)
    }
}

/// One arc as given: flow may go from `from` to `to`, between 0 and `capacity` units, each unit
/// costing `cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    /// Where flow leaves.
    pub from: NodeId,
    /// Where flow arrives.
    pub to: NodeId,
    /// The most flow the arc carries (the least is 0).
    pub capacity: i64,
    /// The cost of one unit of flow (may be negative).
    pub cost: i64,
}

/// A min-cost-flow problem: nodes with supplies (positive) or demands (negative), and arcs with
/// a capacity and a per-unit cost. Lower bounds are 0; [`crate::dimacs`] transforms other lower
/// bounds away.
///
/// Arcs are stored as four parallel arrays (24 bytes per arc), supplies as one (8 bytes per node).
#[derive(Debug, Clone, Default)]
pub struct Network {
    supply: Vec<i64>,
    from: Vec<u32>,
    to: Vec<u32>,
    capacity: Vec<i64>,
    cost: Vec<i64>,
}

impl Network {
    /// A network of `n_nodes` nodes (ids 0 to `n_nodes - 1`), no arcs and zero supplies.
    ///
    /// # Panics
    /// If `n_nodes` does not fit the `u32` node ids.
    pub fn new(n_nodes: usize) -> Network {
        assert!(
            u32::try_from(n_nodes).is_ok(),
            "a network has at most 2^32 - 1 nodes"
        );
        Network {
            supply: vec![0; n_nodes],
            ..Network::default()
        }
    }

    /// Reserves room for `n_arcs` more arcs, so that building a large network does not copy it.
    pub fn reserve_arcs(&mut self, n_arcs: usize) {
        self.from.reserve(n_arcs);
        self.to.reserve(n_arcs);
        self.capacity.reserve(n_arcs);
        self.cost.reserve(n_arcs);
    }

    /// Adds a node with zero supply and returns its id.
    ///
    /// # Panics
    /// If the network already has 2^32 - 1 nodes.
    pub fn add_node(&mut self) -> NodeId {
        let id = u32::try_from(self.supply.len())
            .ok()
            .filter(|id| *id < u32::MAX)
            .expect("a network has at most 2^32 - 1 nodes");
        self.supply.push(0);
        NodeId(id)
    }

    /// Adds an arc from `from` to `to` carrying between 0 and `capacity` units at `cost` each.
    ///
    /// Parallel arcs and loops are allowed. Fails when a node is not in the network, the capacity
    /// is negative, the cost's magnitude exceeds [`MAX_COST`] or the network already has 2^32 - 1
    /// arcs.
    pub fn add_arc(
        &mut self,
        from: NodeId,
        to: NodeId,
        capacity: i64,
        cost: i64,
    ) -> Result<ArcId, FlowError> {
        let n_nodes = self.n_nodes();
        if from.0 as usize >= n_nodes || to.0 as usize >= n_nodes {
            return Err(FlowError::BadArc {
                from: from.0,
                to: to.0,
                n_nodes,
            });
        }
        if capacity < 0 {
            return Err(FlowError::NegativeCapacity { capacity });
        }
        if cost.unsigned_abs() > MAX_COST.unsigned_abs() {
            return Err(FlowError::TooLarge {
                quantity: "arc cost magnitude",
                value: i128::from(cost).abs(),
                limit: i128::from(MAX_COST),
            });
        }
        let id = u32::try_from(self.from.len())
            .ok()
            .filter(|id| *id < u32::MAX)
            .ok_or(FlowError::TooLarge {
                quantity: "number of arcs",
                value: self.from.len() as i128 + 1,
                limit: i128::from(u32::MAX - 1),
            })?;
        self.from.push(from.0);
        self.to.push(to.0);
        self.capacity.push(capacity);
        self.cost.push(cost);
        Ok(ArcId(id))
    }

    /// Sets a node's supply: positive for a source of flow, negative for a demand, 0 for a
    /// transshipment node.
    ///
    /// # Panics
    /// If the node is not in the network (node ids come from [`Network::add_node`] or
    /// [`Network::new`], so this is a bug in the caller).
    pub fn set_supply(&mut self, node: NodeId, supply: i64) {
        let n_nodes = self.n_nodes();
        let slot = self
            .supply
            .get_mut(node.0 as usize)
            .unwrap_or_else(|| panic!("{node} is not in a network of {n_nodes} nodes"));
        *slot = supply;
    }

    /// The number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.supply.len()
    }

    /// The number of arcs.
    pub fn n_arcs(&self) -> usize {
        self.from.len()
    }

    /// One arc as it was added.
    ///
    /// # Panics
    /// If the arc is not in the network.
    pub fn arc(&self, arc: ArcId) -> Arc {
        let idx = arc.0 as usize;
        Arc {
            from: NodeId(self.from[idx]),
            to: NodeId(self.to[idx]),
            capacity: self.capacity[idx],
            cost: self.cost[idx],
        }
    }

    /// A node's supply (negative for a demand).
    ///
    /// # Panics
    /// If the node is not in the network.
    pub fn supply(&self, node: NodeId) -> i64 {
        self.supply[node.0 as usize]
    }

    /// Every arc, in id order.
    pub fn arcs(&self) -> impl ExactSizeIterator<Item = Arc> + '_ {
        (0..self.n_arcs()).map(|idx| Arc {
            from: NodeId(self.from[idx]),
            to: NodeId(self.to[idx]),
            capacity: self.capacity[idx],
            cost: self.cost[idx],
        })
    }

    pub(crate) fn supplies(&self) -> &[i64] {
        &self.supply
    }

    pub(crate) fn arc_from(&self) -> &[u32] {
        &self.from
    }

    pub(crate) fn arc_to(&self) -> &[u32] {
        &self.to
    }

    pub(crate) fn capacities(&self) -> &[i64] {
        &self.capacity
    }

    pub(crate) fn costs(&self) -> &[i64] {
        &self.cost
    }
}
