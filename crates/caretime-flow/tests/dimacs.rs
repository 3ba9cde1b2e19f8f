//! The DIMACS reader and writer: round trips, lower bounds, the solution format, and errors that
//! name their line.

use caretime_flow::dimacs::{self, DimacsError};
use caretime_flow::{Network, NodeId, solve};

/// The textbook instance of `tests/solve.rs` as a file (optimum 14).
const TEXTBOOK: &str = "\
c the classic 4-node example
p min 4 5
n 1 4
n 4 -4
a 1 2 0 4 2
a 1 3 0 2 2
a 2 3 0 2 1
a 2 4 0 3 3
a 3 4 0 5 1
";

fn read(text: &str) -> dimacs::Instance {
    dimacs::read(text).expect("a valid file")
}

fn error(text: &str) -> DimacsError {
    dimacs::read(text).expect_err("an invalid file")
}

#[test]
fn a_file_is_read_and_solved() {
    let instance = read(TEXTBOOK);
    let network = instance.network();
    assert_eq!((network.n_nodes(), network.n_arcs()), (4, 5));
    assert_eq!(network.supply(NodeId(0)), 4);
    assert_eq!(network.supply(NodeId(3)), -4);
    let solution = instance.in_file_terms(&solve(network).expect("feasible"));
    assert_eq!(solution.cost, 14);
}

#[test]
fn written_networks_read_back_identically() {
    let instance = read(TEXTBOOK);
    let mut out = Vec::new();
    dimacs::write(instance.network(), &mut out).expect("writing to memory");
    let text = String::from_utf8(out).expect("DIMACS is ASCII");
    let again = read(&text);
    let arcs = |network: &Network| network.arcs().collect::<Vec<_>>();
    assert_eq!(arcs(again.network()), arcs(instance.network()));
    for node in 0..4 {
        assert_eq!(
            again.network().supply(NodeId(node)),
            instance.network().supply(NodeId(node))
        );
    }
    // Writing is deterministic: the second file is the first, byte for byte.
    let mut out = Vec::new();
    dimacs::write(again.network(), &mut out).expect("writing to memory");
    assert_eq!(String::from_utf8(out).expect("ASCII"), text);
}

/// A lower bound of 1 on arc 2 -> 4 forces one unit along the dear path 1-2-4 (cost 5); the
/// other three go 1-3-4 twice (3 each) and 1-2-3-4 once (4): 15 in the file's terms.
#[test]
fn lower_bounds_are_transformed_away_and_reported_back() {
    let text = TEXTBOOK.replace("a 2 4 0 3 3", "a 2 4 1 3 3");
    let instance = read(&text);
    assert_eq!(instance.lower_bounds(), &[0, 0, 0, 1, 0]);
    // The arc's capacity shrinks by its lower bound; node 2 pre-sends one unit, node 4 has it.
    assert_eq!(instance.network().arc(caretime_flow::ArcId(3)).capacity, 2);
    assert_eq!(instance.network().supply(NodeId(1)), -1);
    assert_eq!(instance.network().supply(NodeId(3)), -3);

    let solution = solve(instance.network()).expect("feasible");
    let in_file = instance.in_file_terms(&solution);
    assert_eq!(in_file.cost, 15);
    assert_eq!(in_file.flow, vec![2, 2, 1, 1, 3]);

    let mut out = Vec::new();
    dimacs::write_solution(instance.network(), &in_file, &mut out).expect("writing to memory");
    assert_eq!(
        String::from_utf8(out).expect("ASCII"),
        "c written by caretime-flow\ns 15\nf 1 2 2\nf 1 3 2\nf 2 3 1\nf 2 4 1\nf 3 4 3\n"
    );
}

#[test]
fn a_lower_bound_can_make_a_file_infeasible() {
    let text = TEXTBOOK
        .replace("a 2 4 0 3 3", "a 2 4 3 3 3")
        .replace("a 1 2 0 4 2", "a 1 2 0 2 2");
    let instance = read(&text);
    assert_eq!(
        solve(instance.network()),
        Err(caretime_flow::FlowError::Infeasible)
    );
}

#[test]
fn comments_blank_lines_and_spacing_are_tolerated() {
    let text = "c hello\n\n  p   min 2 1\nc between\nn 1 1\nn 2 -1\na 1 2 0 1 7\n";
    let solution = solve(read(text).network()).expect("feasible");
    assert_eq!(solution.cost, 7);
}

#[test]
fn errors_name_their_line() {
    let cases: &[(&str, &str)] = &[
        (
            "p min 2 1\nn 1 1\na 1 3 0 1 1\n",
            "line 3: node 3 is outside 1..=2 (the `p` line's node count)",
        ),
        (
            "p min 2 1\na 1 2 0 x 1\n",
            "line 2: field 5 is not an integer in range",
        ),
        (
            "c nothing\nn 1 1\n",
            "line 2: node or arc line before the `p min NODES ARCS` line",
        ),
        ("c nothing\n", "line 1: no `p min NODES ARCS` line"),
        (
            "p min 2 2\na 1 2 0 1 1\n",
            "line 1: the `p` line declares 2 arcs but the file has 1",
        ),
        (
            "p min 2 1\na 1 2 3 1 1\n",
            "line 2: the arc's lower bound exceeds its capacity",
        ),
        (
            "p min 2 1\nn 1 1\nn 1 2\n",
            "line 3: node 1 has a second `n` line",
        ),
        (
            "p min 2 0\nx 1\n",
            "line 2: expected a line starting with `c`, `p`, `n` or `a`",
        ),
        ("p max 2 0\n", "line 1: expected `p min NODES ARCS`"),
        (
            "p min 2 1\na 1 2 0 1 1 9\n",
            "line 2: expected `a FROM TO LOW CAP COST`",
        ),
        ("p min 2 0\np min 2 0\n", "line 2: a second `p` line"),
        (
            "p min 2 1\na 1 2 0 1 99999999999999\n",
            "line 2: arc cost magnitude 99999999999999 is too large for exact 64-bit arithmetic (limit 1099511627776)",
        ),
        (
            "p min 2 1\na 1 2 0 -1 1\n",
            "line 2: the arc's lower bound exceeds its capacity",
        ),
    ];
    for (text, message) in cases {
        assert_eq!(error(text).to_string(), *message, "for {text:?}");
    }
}

#[test]
fn a_header_beyond_the_limits_is_refused_before_allocating() {
    for (text, says) in [
        (
            "p min 2147483648 0\n",
            "line 1: the `p` line declares 2147483648 nodes, more than the 16777216 caretime solves in memory",
        ),
        (
            "p min 2 4294967295\n",
            "line 1: the `p` line declares 4294967295 arcs, more than the 67108864 caretime solves in memory",
        ),
        (
            "p min 18446744073709551615 0\n",
            "line 1: the `p` line declares 18446744073709551615 nodes",
        ),
    ] {
        let err = dimacs::read(text).expect_err(text).to_string();
        assert!(err.starts_with(says), "{err}");
    }
    // Within the limits, a header that promises more arcs than the file holds costs only the
    // room the text has, and is an error at the end.
    let err = dimacs::read("p min 1000 67108864\nn 1 1\n").expect_err("arc count");
    assert!(
        err.to_string()
            .contains("declares 67108864 arcs but the file has 0"),
        "{err}"
    );
}

#[test]
fn a_field_that_is_not_a_number_is_not_quoted() {
    // A member's row from a CSV file, given to the DIMACS reader by mistake.
    let err = dimacs::read("p min 2 1\na 1 2 SC817499722 Jose_Kim 1980-02-29\n")
        .expect_err("not numbers")
        .to_string();
    assert_eq!(err, "line 2: field 4 is not an integer in range");
}
