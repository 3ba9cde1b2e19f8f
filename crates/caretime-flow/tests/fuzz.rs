//! Fuzz target for the DIMACS reader, and the solvers on what it reads.
//!
//! The inputs are arbitrary text and bytes, and small valid instances mutated token by token
//! (numbers at the edges of the limits and of the integer types, a member's plan number or name
//! where a number goes, lines dropped, doubled, cut or spliced). The reader returns (no panic, no
//! allocation the text cannot justify), and an error is one line without control characters that
//! quotes nothing from the file. What reads and is small is solved by both algorithms, which
//! return a solution or an error, never a panic.
//!
//! The number of cases is `CARETIME_FUZZ_CASES` (64 by default; CI runs more).

use caretime_flow::{Algorithm, dimacs, solve_using};
use proptest::prelude::*;

#[path = "../../caretime-core/tests/fuzz_config/mod.rs"]
mod fuzz_config;

use fuzz_config::config;

/// Member data a file given by mistake could carry where numbers go.
const PLANTED: [&str; 3] = ["SC817499722", "Jose_Kim", "1980-02-29"];

const BASES: [&str; 3] = [
    "c the classic 4-node example\np min 4 5\nn 1 4\nn 4 -4\na 1 2 0 4 2\na 1 3 0 2 2\na 2 3 0 2 1\na 2 4 0 3 3\na 3 4 0 5 1\n",
    "p min 3 3\nn 1 5\nn 3 -5\na 1 2 1 7 3\na 2 3 2 9 -4\na 1 3 0 3 10\n",
    "p min 2 2\nn 1 3\nn 2 -3\na 1 2 0 2 -5\na 2 1 0 1 1\n",
];

/// Tokens a mutation writes over a token.
const TOKENS: [&str; 22] = [
    "0",
    "1",
    "-1",
    "2",
    "16777216",
    "16777217",
    "67108864",
    "67108865",
    "1099511627776",
    "1099511627777",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "99999999999999999999",
    "p",
    "a",
    "n",
    "min",
    "\u{1b}[2J",
];

#[derive(Clone, Debug)]
enum Mutation {
    Token {
        line: usize,
        token: usize,
        with: usize,
    },
    Drop(usize),
    Double(usize),
    Cut(usize),
    Insert(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let n = any::<usize>;
    prop_oneof![
        6 => (n(), n(), n()).prop_map(|(line, token, with)| Mutation::Token { line, token, with }),
        1 => n().prop_map(Mutation::Drop),
        1 => n().prop_map(Mutation::Double),
        1 => n().prop_map(Mutation::Cut),
        1 => (n(), "\\PC{0,8}|[\\x00-\\x1f \\r\\n]{1,3}|a 1 2 0 1 1\\n")
            .prop_map(|(at, text)| Mutation::Insert(at, text)),
    ]
}

fn mutate(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let n = lines.len();
    match mutation {
        Mutation::Token { line, token, with } => {
            let line = &mut lines[line % n];
            let mut tokens: Vec<String> = line.split(' ').map(str::to_owned).collect();
            let count = tokens.len();
            let replacement = match with % (TOKENS.len() + PLANTED.len()) {
                idx if idx < TOKENS.len() => TOKENS[idx],
                idx => PLANTED[idx - TOKENS.len()],
            };
            tokens[token % count] = replacement.to_owned();
            *line = tokens.join(" ");
        }
        Mutation::Drop(line) => {
            lines.remove(line % n);
        }
        Mutation::Double(line) => {
            let copy = lines[line % n].clone();
            lines.insert(line % n, copy);
        }
        Mutation::Cut(at) | Mutation::Insert(at, _) => {
            let mut joined = lines.join("\n");
            let mut at = at % (joined.len() + 1);
            while !joined.is_char_boundary(at) {
                at -= 1;
            }
            match mutation {
                Mutation::Insert(_, inserted) => joined.insert_str(at, inserted),
                _ => joined.truncate(at),
            }
            return joined;
        }
    }
    lines.join("\n") + "\n"
}

fn check_message(shown: &str) -> Result<(), TestCaseError> {
    fuzz_config::check_message(shown, 300, &PLANTED)
}

/// Reads `text`; solves what reads and is small.
fn check(text: &str) -> Result<(), TestCaseError> {
    match dimacs::read(text) {
        Err(err) => check_message(&err.to_string())?,
        Ok(instance) => {
            let network = instance.network();
            if network.n_nodes() <= 64 && network.n_arcs() <= 256 {
                for algorithm in [Algorithm::NetworkSimplex, Algorithm::CostScaling] {
                    match solve_using(network, algorithm, &mut |_| {}) {
                        Ok(solution) => {
                            instance.in_file_terms(&solution);
                        }
                        Err(err) => check_message(&err.to_string())?,
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_reader_takes_any_text(text in "\\PC{0,200}|([acnp] [0-9 -]{0,30}\\n){0,12}") {
        check(&text)?;
    }

    #[test]
    fn the_reader_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn the_reader_takes_mutated_instances(
        base in 0..BASES.len(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut text = BASES[base].to_owned();
        for mutation in &mutations {
            text = mutate(&text, mutation);
        }
        check(&text)?;
    }
}
