//! The solver's contract on hand-checked networks: optimal costs and flows, infeasibility,
//! unbalanced supplies, numbers too large, progress reports. Every case runs both algorithms.

use caretime_flow::{
    Algorithm, ArcId, FlowError, MAX_COST, Network, NodeId, Progress, solve, solve_using,
    solve_with,
};

const ALGORITHMS: [Algorithm; 2] = [Algorithm::NetworkSimplex, Algorithm::CostScaling];

/// Builds a network from `(from, to, capacity, cost)` arcs and per-node supplies.
fn network(supply: &[i64], arcs: &[(u32, u32, i64, i64)]) -> Network {
    let mut network = Network::new(supply.len());
    for (node, &value) in supply.iter().enumerate() {
        network.set_supply(NodeId(node as u32), value);
    }
    for &(from, to, capacity, cost) in arcs {
        network
            .add_arc(NodeId(from), NodeId(to), capacity, cost)
            .expect("test arcs are valid");
    }
    network
}

/// Solves with every algorithm and checks that they agree; returns the answer.
fn check(network: &Network) -> Result<caretime_flow::Solution, FlowError> {
    let answers: Vec<_> = ALGORITHMS
        .iter()
        .map(|&algorithm| solve_using(network, algorithm, &mut |_| {}))
        .collect();
    if let (Ok(first), Ok(second)) = (&answers[0], &answers[1]) {
        assert_eq!(first.cost, second.cost, "both algorithms find the optimum");
    } else {
        assert_eq!(answers[0], answers[1], "both algorithms fail alike");
    }
    answers[0].clone()
}

/// The classic 4-node example: 4 units from node 0 to node 3. By hand: 2 units on 0-2-3 (cost
/// 3 each), then 2 on 0-1-2-3 (cost 4 each; 1-2 is then full), 0-1-3 (cost 5) stays unused:
/// 6 + 8 = 14.
#[test]
fn textbook_instance_has_the_hand_computed_optimum() {
    let network = network(
        &[4, 0, 0, -4],
        &[
            (0, 1, 4, 2),
            (0, 2, 2, 2),
            (1, 2, 2, 1),
            (1, 3, 3, 3),
            (2, 3, 5, 1),
        ],
    );
    let solution = check(&network).expect("feasible");
    assert_eq!(solution.cost, 14);
    assert_eq!(solution.flow, vec![2, 2, 2, 0, 4]);
    assert_eq!(solve(&network).expect("feasible"), solution);
}

#[test]
fn negative_cost_cycles_are_saturated() {
    // No supply at all: the only reason to move flow is the cycle 0 -> 1 -> 2 -> 0 of cost -3,
    // limited by its narrowest arc (capacity 2).
    let network = network(&[0, 0, 0], &[(0, 1, 5, -2), (1, 2, 2, 0), (2, 0, 9, -1)]);
    let solution = check(&network).expect("feasible");
    assert_eq!(solution.cost, -6);
    assert_eq!(solution.flow, vec![2, 2, 2]);
}

#[test]
fn loops_and_parallel_arcs_are_ordinary_arcs() {
    let network = network(
        &[3, -3],
        &[(0, 0, 4, -1), (0, 1, 2, 5), (0, 1, 2, 1), (1, 1, 7, 2)],
    );
    let solution = check(&network).expect("feasible");
    // The negative loop is used to the full, the cheaper parallel arc first.
    assert_eq!(solution.flow, vec![4, 1, 2, 0]);
    assert_eq!(solution.cost, -4 + 5 + 2);
}

#[test]
fn a_network_without_enough_capacity_is_infeasible() {
    let network = network(&[4, 0, -4], &[(0, 1, 4, 1), (1, 2, 3, 1)]);
    assert_eq!(check(&network), Err(FlowError::Infeasible));
    // A demand nobody can reach.
    let network = network_with_isolated_demand();
    assert_eq!(check(&network), Err(FlowError::Infeasible));
}

fn network_with_isolated_demand() -> Network {
    network(&[1, -1, 1, -1], &[(0, 1, 1, 0), (2, 0, 5, 0)])
}

#[test]
fn unbalanced_supplies_are_refused_with_their_total() {
    let network = network(&[3, -1], &[(0, 1, 5, 1)]);
    assert_eq!(check(&network), Err(FlowError::Unbalanced { total: 2 }));
    assert_eq!(
        FlowError::Unbalanced { total: 2 }.to_string(),
        "supplies and demands sum to 2, not 0 (the network is unbalanced)"
    );
}

#[test]
fn empty_networks_have_empty_solutions() {
    let solution = check(&Network::new(0)).expect("nothing to do");
    assert_eq!((solution.cost, solution.flow.len()), (0, 0));
    let solution = check(&network(&[0, 0], &[(0, 1, 3, 2)])).expect("nothing to do");
    assert_eq!((solution.cost, solution.flow), (0, vec![0]));
}

#[test]
fn bad_arcs_are_refused() {
    let mut network = Network::new(2);
    assert_eq!(
        network.add_arc(NodeId(0), NodeId(2), 1, 1),
        Err(FlowError::BadArc {
            from: 0,
            to: 2,
            n_nodes: 2
        })
    );
    assert_eq!(
        network.add_arc(NodeId(0), NodeId(1), -1, 1),
        Err(FlowError::NegativeCapacity { capacity: -1 })
    );
    assert!(matches!(
        network.add_arc(NodeId(0), NodeId(1), 1, -MAX_COST - 1),
        Err(FlowError::TooLarge { .. })
    ));
    assert_eq!(
        network.add_arc(NodeId(0), NodeId(1), 1, -MAX_COST),
        Ok(ArcId(0))
    );
    assert_eq!(network.n_arcs(), 1);
}

#[test]
fn numbers_beyond_exact_arithmetic_are_refused_not_wrapped() {
    // Capacities that could sum past i64.
    let network = network(&[0, 0], &[(0, 1, i64::MAX, 1), (1, 0, i64::MAX, 1)]);
    assert!(matches!(check(&network), Err(FlowError::TooLarge { .. })));

    // The largest cost on 1,000 nodes: network simplex's potentials fit, cost scaling's scaled
    // prices would not.
    let mut network = Network::new(1000);
    network.set_supply(NodeId(0), 1);
    network.set_supply(NodeId(999), -1);
    network
        .add_arc(NodeId(0), NodeId(999), 1, MAX_COST)
        .expect("valid arc");
    let solution = solve_using(&network, Algorithm::NetworkSimplex, &mut |_| {}).expect("fits");
    assert_eq!(solution.cost, i128::from(MAX_COST));
    assert!(matches!(
        solve_using(&network, Algorithm::CostScaling, &mut |_| {}),
        Err(FlowError::TooLarge { .. })
    ));

    // On two million nodes not even network simplex's fit.
    let mut network = Network::new(1 << 21);
    network
        .add_arc(NodeId(0), NodeId(1), 1, MAX_COST)
        .expect("valid arc");
    assert!(matches!(solve(&network), Err(FlowError::TooLarge { .. })));
}

#[test]
fn arcs_and_supplies_read_back_as_given() {
    let mut network = Network::new(1);
    let node = network.add_node();
    network.set_supply(node, -7);
    network.set_supply(NodeId(0), 7);
    let arc = network.add_arc(NodeId(0), node, 9, -3).expect("valid arc");
    assert_eq!(node, NodeId(1));
    assert_eq!((network.n_nodes(), network.n_arcs()), (2, 1));
    assert_eq!(network.supply(node), -7);
    let read = network.arc(arc);
    assert_eq!(
        (read.from, read.to, read.capacity, read.cost),
        (NodeId(0), node, 9, -3)
    );
}

#[test]
fn progress_is_reported_with_a_phase_name() {
    for algorithm in ALGORITHMS {
        let network = network(&[2, -2], &[(0, 1, 2, 1)]);
        let mut reports: Vec<Progress> = Vec::new();
        solve_using(&network, algorithm, &mut |progress| reports.push(progress)).expect("feasible");
        assert!(!reports.is_empty(), "{algorithm:?} reports at least once");
        assert!(reports.iter().all(|report| !report.phase.is_empty()));
        assert!(reports[0].to_string().contains(reports[0].phase));
    }
    let mut calls = 0;
    solve_with(&network(&[0], &[]), &mut |_| calls += 1).expect("trivial");
    assert!(calls >= 1);
}

/// A bipartite assignment large enough to take tens of thousands of pivots: both algorithms
/// agree with each other and with the assignment's known optimum.
#[test]
fn a_larger_assignment_matches_its_known_optimum() {
    // n workers, n jobs; worker i does job j at cost (i + j) mod n, so the permutation
    // j = n - i (mod n) costs 0 everywhere... plus 1 on every arc to make the optimum n.
    let n = 300u32;
    let mut network = Network::new(2 * n as usize);
    for worker in 0..n {
        network.set_supply(NodeId(worker), 1);
        network.set_supply(NodeId(n + worker), -1);
        for job in 0..n {
            let cost = i64::from((worker + job) % n) + 1;
            network
                .add_arc(NodeId(worker), NodeId(n + job), 1, cost)
                .expect("valid arc");
        }
    }
    let solution = check(&network).expect("a perfect matching exists");
    assert_eq!(solution.cost, i128::from(n));
}
