//! The solver against naive oracles on many small random networks: brute force over every
//! integer flow for the tiniest, and a textbook successive-shortest-paths solver (Bellman-Ford,
//! written here, sharing nothing with the crate) for the rest. Both algorithms are checked, and
//! every returned flow is checked for feasibility and for the cost it claims.
//!
//! 256 cases per property by default; 16,384 when `CARETIME_SLOW_TESTS` is set (CI sets it);
//! the medium-sized property runs a quarter of that.

use caretime_flow::{
    Algorithm, FlowError, Network, NodeId, Solution, solve, solve_from, solve_using,
};
use proptest::prelude::*;

/// A small problem as plain data: supplies by node, arcs as (from, to, capacity, cost).
#[derive(Debug, Clone)]
struct Problem {
    supply: Vec<i64>,
    arcs: Vec<(usize, usize, i64, i64)>,
}

impl Problem {
    fn network(&self) -> Network {
        let mut network = Network::new(self.supply.len());
        for (node, &supply) in self.supply.iter().enumerate() {
            network.set_supply(NodeId(node as u32), supply);
        }
        for &(from, to, capacity, cost) in &self.arcs {
            network
                .add_arc(NodeId(from as u32), NodeId(to as u32), capacity, cost)
                .expect("generated arcs are valid");
        }
        network
    }

    /// Whether `flow` is feasible, and its cost.
    fn check_flow(&self, flow: &[i64]) -> Result<i128, String> {
        if flow.len() != self.arcs.len() {
            return Err(format!("{} flows for {} arcs", flow.len(), self.arcs.len()));
        }
        let mut balance = vec![0i64; self.supply.len()];
        let mut cost = 0i128;
        for (&(from, to, capacity, arc_cost), &value) in self.arcs.iter().zip(flow) {
            if value < 0 || value > capacity {
                return Err(format!("flow {value} outside 0..={capacity}"));
            }
            balance[from] += value;
            balance[to] -= value;
            cost += i128::from(value) * i128::from(arc_cost);
        }
        if balance != self.supply {
            return Err(format!(
                "net outflows {balance:?} != supplies {:?}",
                self.supply
            ));
        }
        Ok(cost)
    }
}

/// The optimal cost by trying every integer flow (None when infeasible).
fn brute_force(problem: &Problem) -> Option<i128> {
    fn go(problem: &Problem, arc: usize, flow: &mut Vec<i64>, best: &mut Option<i128>) {
        if arc == problem.arcs.len() {
            if let Ok(cost) = problem.check_flow(flow) {
                *best = Some(best.map_or(cost, |best: i128| best.min(cost)));
            }
            return;
        }
        for value in 0..=problem.arcs[arc].2 {
            flow.push(value);
            go(problem, arc + 1, flow, best);
            flow.pop();
        }
    }
    let mut best = None;
    go(problem, 0, &mut Vec::new(), &mut best);
    best
}

/// The optimal cost by successive shortest paths: saturate negative arcs first (so the residual
/// network has no negative cycle), then route each unit of remaining supply along a cheapest
/// residual path found by Bellman-Ford (None when some supply cannot reach a demand).
fn successive_shortest_paths(problem: &Problem) -> Option<i128> {
    let n = problem.supply.len();
    // Residual arcs: (from, to, residual, cost); arc 2k is arc k forward, 2k+1 its reverse.
    let mut residual: Vec<(usize, usize, i64, i64)> = Vec::new();
    let mut excess = problem.supply.clone();
    let mut cost = 0i128;
    for &(from, to, capacity, arc_cost) in &problem.arcs {
        if arc_cost < 0 {
            residual.push((from, to, 0, arc_cost));
            residual.push((to, from, capacity, -arc_cost));
            excess[from] -= capacity;
            excess[to] += capacity;
            cost += i128::from(capacity) * i128::from(arc_cost);
        } else {
            residual.push((from, to, capacity, arc_cost));
            residual.push((to, from, 0, -arc_cost));
        }
    }
    loop {
        let Some(source) = (0..n).find(|&node| excess[node] > 0) else {
            return Some(cost);
        };
        let mut dist: Vec<Option<i64>> = vec![None; n];
        let mut via: Vec<Option<usize>> = vec![None; n];
        dist[source] = Some(0);
        for _ in 0..n {
            for (idx, &(from, to, cap, arc_cost)) in residual.iter().enumerate() {
                if cap > 0
                    && let Some(d) = dist[from]
                    && dist[to].is_none_or(|old| d + arc_cost < old)
                {
                    dist[to] = Some(d + arc_cost);
                    via[to] = Some(idx);
                }
            }
        }
        let sink = (0..n)
            .filter(|&node| excess[node] < 0 && dist[node].is_some())
            .min_by_key(|&node| dist[node])?;
        let mut node = sink;
        while node != source {
            let idx = via[node].expect("a reached node has a predecessor arc");
            residual[idx].2 -= 1;
            residual[idx ^ 1].2 += 1;
            cost += i128::from(residual[idx].3);
            node = residual[idx].0;
        }
        excess[source] -= 1;
        excess[sink] += 1;
    }
}

/// Solves with every entry point and checks each answer against the expected optimum.
fn check(problem: &Problem, expected: Option<i128>) -> Result<(), TestCaseError> {
    let network = problem.network();
    let answers: [(&str, Result<Solution, FlowError>); 3] = [
        ("solve", solve(&network)),
        (
            "cost scaling",
            solve_using(&network, Algorithm::CostScaling, &mut |_| {}),
        ),
        (
            "network simplex",
            solve_using(&network, Algorithm::NetworkSimplex, &mut |_| {}),
        ),
    ];
    for (name, answer) in answers {
        match (answer, expected) {
            (Ok(solution), Some(optimum)) => {
                let cost = problem
                    .check_flow(&solution.flow)
                    .map_err(|err| TestCaseError::fail(format!("{name}: {err}")))?;
                prop_assert_eq!(cost, solution.cost, "{}: claimed cost", name);
                prop_assert_eq!(solution.cost, optimum, "{}: optimum", name);
            }
            (Err(FlowError::Infeasible), None) => {}
            (answer, expected) => {
                return Err(TestCaseError::fail(format!(
                    "{name}: got {answer:?}, expected optimum {expected:?}"
                )));
            }
        }
    }
    Ok(())
}

/// Random balanced problems: up to `max_nodes` nodes, up to `max_arcs` arcs (loops and parallel
/// arcs included), capacities 0..=`max_capacity`, costs -5..=9.
fn problems(max_nodes: usize, max_arcs: usize, max_capacity: i64) -> BoxedStrategy<Problem> {
    problems_with_costs(max_nodes, max_arcs, max_capacity, -5..=9)
}

fn problems_with_costs(
    max_nodes: usize,
    max_arcs: usize,
    max_capacity: i64,
    costs: std::ops::RangeInclusive<i64>,
) -> BoxedStrategy<Problem> {
    (1..=max_nodes)
        .prop_flat_map(move |n| {
            let arc = (0..n, 0..n, 0..=max_capacity, costs.clone());
            (
                proptest::collection::vec(-3i64..=3, n - 1),
                proptest::collection::vec(arc, 0..=max_arcs),
            )
        })
        .prop_map(|(mut supply, arcs)| {
            // The last node balances the others, so the total is 0.
            let rest: i64 = supply.iter().sum();
            supply.push(-rest);
            Problem { supply, arcs }
        })
        .boxed()
}

fn cases() -> u32 {
    if std::env::var_os("CARETIME_SLOW_TESTS").is_some() {
        16_384
    } else {
        256
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases() / 4))]

    /// Medium networks, where spanning-tree updates and global price updates have room to go
    /// wrong: the solver's optimum is successive shortest paths'.
    #[test]
    fn medium_networks_match_successive_shortest_paths(
        problem in problems_with_costs(40, 240, 12, -50..=200)
    ) {
        let expected = successive_shortest_paths(&problem);
        check(&problem, expected)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Tiny networks: the solver's optimum is brute force's, infeasibility included.
    #[test]
    fn tiny_networks_match_brute_force(problem in problems(5, 7, 2)) {
        let expected = brute_force(&problem);
        // The second oracle must agree with the first where both run.
        prop_assert_eq!(successive_shortest_paths(&problem), expected);
        check(&problem, expected)?;
    }

    /// Small networks: the solver's optimum is successive shortest paths'.
    #[test]
    fn small_networks_match_successive_shortest_paths(problem in problems(7, 12, 4)) {
        let expected = successive_shortest_paths(&problem);
        check(&problem, expected)?;
    }

    /// Denser small networks with larger capacities and many negative-cost cycles.
    #[test]
    fn dense_networks_match_successive_shortest_paths(problem in problems(6, 24, 9)) {
        let expected = successive_shortest_paths(&problem);
        check(&problem, expected)?;
    }
}

/// Potentials certify every optimum: no residual arc has a negative reduced cost.
fn check_potentials(problem: &Problem) -> Result<(), TestCaseError> {
    let network = problem.network();
    let Ok(solution) = solve(&network) else {
        return Ok(());
    };
    let potentials = caretime_flow::potentials(&network, &solution.flow)
        .map_err(|err| TestCaseError::fail(format!("potentials of an optimum: {err}")))?;
    for (&(from, to, capacity, cost), &flow) in problem.arcs.iter().zip(&solution.flow) {
        let reduced = cost + potentials[from] - potentials[to];
        if flow < capacity {
            prop_assert!(
                reduced >= 0,
                "arc {from}->{to} with room: reduced {reduced}"
            );
        }
        if flow > 0 {
            prop_assert!(
                reduced <= 0,
                "arc {from}->{to} with flow: reduced {reduced}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases() / 4))]

    /// Potentials of the solver's optimum are dual feasible (complementary slackness holds).
    #[test]
    fn potentials_certify_optima(problem in problems_with_costs(12, 40, 6, -20..=50)) {
        check_potentials(&problem)?;
    }
}

/// A flow that is not optimal has no potentials: two parallel arcs, the dear one used.
#[test]
fn a_suboptimal_flow_is_refused() {
    let problem = Problem {
        supply: vec![1, -1],
        arcs: vec![(0, 1, 1, 5), (0, 1, 1, 1)],
    };
    let network = problem.network();
    assert_eq!(
        caretime_flow::potentials(&network, &[1, 0]),
        Err(FlowError::NotOptimal)
    );
    assert!(caretime_flow::potentials(&network, &[0, 1]).is_ok());
    assert_eq!(
        caretime_flow::potentials(&network, &[2, 0]),
        Err(FlowError::NotOptimal),
        "beyond capacity"
    );
}

/// Warm starts: solve a network, grow it (new nodes without supply, new arcs anywhere, some
/// old costs changed), and solve it again from the first optimum's basis. The answer must be the
/// oracle's optimum of the grown network, with a feasible flow, and its basis must start the
/// next growth too.
fn check_warm_start(problem: &Problem, growths: &[Growth]) -> Result<(), TestCaseError> {
    // Dear arcs to and from node 0 make every network feasible: a basis to start from.
    let mut problem = problem.clone();
    for node in 1..problem.supply.len() {
        problem.arcs.push((node, 0, 40, 60));
        problem.arcs.push((0, node, 40, 60));
    }
    let (first, mut basis) = solve_from(&problem.network(), None, &mut |_| {})
        .map_err(|err| TestCaseError::fail(format!("first solve: {err}")))?;
    prop_assert_eq!(Some(first.cost), successive_shortest_paths(&problem));
    for (new_nodes, new_arcs, new_costs) in growths {
        let n_before = problem.supply.len();
        problem.supply.extend(std::iter::repeat_n(0, *new_nodes));
        let n = problem.supply.len();
        for &(from, to, capacity, cost) in new_arcs {
            problem.arcs.push((from % n, to % n, capacity, cost));
        }
        for &(arc, cost) in new_costs {
            if !problem.arcs.is_empty() {
                let arc = arc % problem.arcs.len();
                problem.arcs[arc].3 = cost;
            }
        }
        let expected = successive_shortest_paths(&problem);
        let network = problem.network();
        let (solution, next) = solve_from(&network, Some(&basis), &mut |_| {}).map_err(|err| {
            TestCaseError::fail(format!("warm start from {n_before} nodes: {err}"))
        })?;
        let cost = problem
            .check_flow(&solution.flow)
            .map_err(|err| TestCaseError::fail(format!("warm start: {err}")))?;
        prop_assert_eq!(cost, solution.cost, "claimed cost");
        prop_assert_eq!(Some(solution.cost), expected, "optimum after growth");
        basis = next;
    }
    Ok(())
}

/// A growth step: new nodes, new arcs (ends taken modulo the grown node count), changed costs
/// (arc index modulo the arc count, new cost).
type Growth = (usize, Vec<(usize, usize, i64, i64)>, Vec<(usize, i64)>);

fn growths() -> impl Strategy<Value = Vec<Growth>> {
    proptest::collection::vec(
        (
            0usize..4,
            proptest::collection::vec((0usize..64, 0usize..64, 0i64..=6, -20i64..=50), 0..20),
            proptest::collection::vec((0usize..1_000, -20i64..=50), 0..4),
        ),
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases() / 4))]

    #[test]
    fn warm_starts_find_the_grown_networks_optimum(
        problem in problems_with_costs(12, 30, 6, -20..=50),
        growths in growths(),
    ) {
        check_warm_start(&problem, &growths)?;
    }
}

/// A basis does not start a network that is not its own grown: other supplies, or arcs whose
/// ends moved.
#[test]
fn a_basis_of_another_network_is_refused() {
    let problem = Problem {
        supply: vec![2, 0, -2],
        arcs: vec![(0, 1, 2, 1), (1, 2, 2, 1), (0, 2, 1, 5)],
    };
    let (_, basis) = solve_from(&problem.network(), None, &mut |_| {}).expect("feasible");
    let mut other_supply = problem.clone();
    other_supply.supply = vec![1, 0, -1];
    let mut other_arcs = problem.clone();
    other_arcs.arcs[0] = (0, 2, 2, 1);
    other_arcs.arcs[1] = (2, 1, 2, 1);
    for other in [other_supply, other_arcs] {
        assert!(matches!(
            solve_from(&other.network(), Some(&basis), &mut |_| {}),
            Err(FlowError::BasisMismatch { nodes: 3, arcs: 3 })
        ));
    }
}
