//! The DIMACS min-cost-flow format, read and written.
//!
//! A file is lines of:
//!
//! ```text
//! c a comment
//! p min NODES ARCS
//! n ID SUPPLY            (nodes not listed have supply 0; a demand is negative)
//! a FROM TO LOW CAP COST (one per arc)
//! ```
//!
//! with node ids from 1 to `NODES`. Lower bounds are transformed away when reading: an arc
//! `a u v L C c` becomes capacity `C - L` from u to v, u's supply drops by `L`, v's rises by `L`,
//! and `L × c` is a constant added to every solution's cost. [`Instance`] keeps the lower bounds
//! so that [`Instance::in_file_terms`] reports flows and cost as the file means them, comparable
//! with any other solver's answer for the same file.
//!
//! A solution is written as `s COST` followed by `f FROM TO FLOW` for every arc with nonzero flow.

use std::fmt;
use std::io::Write;

use crate::{FlowError, MAX_ARCS, MAX_NODES, Network, NodeId, Solution};

/// A DIMACS file read: the network with lower bounds transformed away, and what is needed to
/// speak of its solutions in the file's own terms.
#[derive(Debug, Clone)]
pub struct Instance {
    network: Network,
    /// Each arc's lower bound, by arc id (all 0 for most files).
    lower: Vec<i64>,
    /// The sum over arcs of lower bound × cost.
    cost_offset: i128,
}

impl Instance {
    /// The network to solve (lower bounds transformed away).
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// The network to solve, without the lower bounds.
    pub fn into_network(self) -> Network {
        self.network
    }

    /// The lower bound the file gave each arc, by arc id.
    pub fn lower_bounds(&self) -> &[i64] {
        &self.lower
    }

    /// A solution of [`Instance::network`] in the file's terms: each arc's flow plus its lower
    /// bound, and the cost plus the lower bounds' cost. Write it with [`write_solution`].
    pub fn in_file_terms(&self, solution: &Solution) -> Solution {
        Solution {
            // Saturating: both are within i128, and only a solver answer near its end could
            // carry the sum past it.
            cost: solution.cost.saturating_add(self.cost_offset),
            flow: solution
                .flow
                .iter()
                .zip(&self.lower)
                .map(|(&flow, &lower)| flow + lower)
                .collect(),
        }
    }
}

/// Why a DIMACS file could not be read. Every error names its (1-based) line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DimacsError {
    /// A line does not have the expected shape.
    Syntax {
        /// The line.
        line: usize,
        /// What was expected there.
        expected: &'static str,
    },
    /// A field is not an integer in range. The field is not quoted: a file given by mistake
    /// (a member list) must not be echoed.
    BadNumber {
        /// The line.
        line: usize,
        /// The field's position on the line, from 1 (the line's kind letter).
        position: usize,
    },
    /// The `p` line declares more nodes or arcs than caretime solves ([`crate::MAX_NODES`],
    /// [`crate::MAX_ARCS`]).
    TooBig {
        /// The `p` line.
        line: usize,
        /// `nodes` or `arcs`.
        what: &'static str,
        /// The count declared.
        declared: u64,
        /// The most allowed.
        limit: usize,
    },
    /// The file has no `p min` line, or a second one.
    ProblemLine {
        /// The line of the second `p` line, or the last line if there is none.
        line: usize,
        /// What went wrong.
        reason: &'static str,
    },
    /// A node id outside 1..=NODES.
    NodeOutOfRange {
        /// The line.
        line: usize,
        /// The id given.
        node: u64,
        /// NODES from the `p` line.
        n_nodes: usize,
    },
    /// A node's supply was given twice.
    DuplicateNode {
        /// The line of the second `n` line.
        line: usize,
        /// The node id.
        node: u64,
    },
    /// An arc's lower bound exceeds its capacity.
    LowerAboveCapacity {
        /// The line.
        line: usize,
    },
    /// The number of `a` lines differs from ARCS on the `p` line.
    ArcCount {
        /// The `p` line.
        line: usize,
        /// ARCS from the `p` line.
        declared: usize,
        /// The number of `a` lines.
        found: usize,
    },
    /// An arc the solver cannot take (for example a cost beyond [`crate::MAX_COST`]), or lower
    /// bounds that shift a supply beyond 64 bits.
    Network {
        /// The line.
        line: usize,
        /// The solver's objection.
        error: FlowError,
    },
}

impl fmt::Display for DimacsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DimacsError::Syntax { line, expected } => write!(f, "line {line}: expected {expected}"),
            DimacsError::BadNumber { line, position } => {
                write!(
                    f,
                    "line {line}: field {position} is not an integer in range"
                )
            }
            DimacsError::TooBig {
                line,
                what,
                declared,
                limit,
            } => write!(
                f,
                "line {line}: the `p` line declares {declared} {what}, more than the {limit} caretime solves in memory"
            ),
            DimacsError::ProblemLine { line, reason } => write!(f, "line {line}: {reason}"),
            DimacsError::NodeOutOfRange {
                line,
                node,
                n_nodes,
            } => write!(
                f,
                "line {line}: node {node} is outside 1..={n_nodes} (the `p` line's node count)"
            ),
            DimacsError::DuplicateNode { line, node } => {
                write!(f, "line {line}: node {node} has a second `n` line")
            }
            DimacsError::LowerAboveCapacity { line } => {
                write!(f, "line {line}: the arc's lower bound exceeds its capacity")
            }
            DimacsError::ArcCount {
                line,
                declared,
                found,
            } => write!(
                f,
                "line {line}: the `p` line declares {declared} arcs but the file has {found}"
            ),
            DimacsError::Network { line, error } => write!(f, "line {line}: {error}"),
        }
    }
}

impl std::error::Error for DimacsError {}

/// Reads a DIMACS min-cost-flow file. A `p` line that declares more than [`crate::MAX_NODES`]
/// nodes or [`crate::MAX_ARCS`] arcs is refused before anything is allocated, and no more arcs
/// are reserved than the text can hold.
pub fn read(text: &str) -> Result<Instance, DimacsError> {
    let mut problem: Option<(usize, Network)> = None;
    let mut declared_arcs = 0usize;
    let mut supply: Vec<i128> = Vec::new();
    let mut supply_given: Vec<bool> = Vec::new();
    let mut lower: Vec<i64> = Vec::new();
    let mut cost_offset: i128 = 0;
    let mut last_line = 0;

    for (idx, raw) in text.lines().enumerate() {
        let line = idx + 1;
        last_line = line;
        let mut fields = raw.split_ascii_whitespace();
        let Some(kind) = fields.next() else {
            continue;
        };
        match kind {
            "c" => {}
            "p" => {
                if problem.is_some() {
                    return Err(DimacsError::ProblemLine {
                        line,
                        reason: "a second `p` line",
                    });
                }
                if fields.next() != Some("min") {
                    return Err(DimacsError::Syntax {
                        line,
                        expected: "`p min NODES ARCS`",
                    });
                }
                const SHAPE: &str = "`p min NODES ARCS`";
                let n_nodes = number::<u64>(line, 3, fields.next(), SHAPE)?;
                let n_arcs = number::<u64>(line, 4, fields.next(), SHAPE)?;
                end(line, fields.next(), SHAPE)?;
                // Checked before anything is allocated: the header is the file's word, not its
                // contents.
                let too_big = |what, declared, limit: usize| DimacsError::TooBig {
                    line,
                    what,
                    declared,
                    limit,
                };
                if n_nodes > MAX_NODES as u64 {
                    return Err(too_big("nodes", n_nodes, MAX_NODES));
                }
                if n_arcs > MAX_ARCS as u64 {
                    return Err(too_big("arcs", n_arcs, MAX_ARCS));
                }
                let (n_nodes, n_arcs) = (n_nodes as usize, n_arcs as usize);
                // Reserve no more arcs than the rest of the text can hold, so that a header that
                // declares more than the file has costs nothing; the count is checked at the end.
                let room = (text.len() / MIN_ARC_LINE_BYTES).min(n_arcs);
                let mut network = Network::new(n_nodes);
                network.reserve_arcs(room);
                declared_arcs = n_arcs;
                lower.reserve(room);
                supply = vec![0; n_nodes];
                supply_given = vec![false; n_nodes];
                problem = Some((line, network));
            }
            "n" => {
                let Some((_, network)) = &problem else {
                    return Err(before_problem(line));
                };
                let node = node_id(line, 2, fields.next(), network.n_nodes(), "`n ID SUPPLY`")?;
                let value = number::<i64>(line, 3, fields.next(), "`n ID SUPPLY`")?;
                end(line, fields.next(), "`n ID SUPPLY`")?;
                if std::mem::replace(&mut supply_given[node.0 as usize], true) {
                    return Err(DimacsError::DuplicateNode {
                        line,
                        node: u64::from(node.0) + 1,
                    });
                }
                supply[node.0 as usize] += i128::from(value);
            }
            "a" => {
                const SHAPE: &str = "`a FROM TO LOW CAP COST`";
                let Some((_, network)) = &mut problem else {
                    return Err(before_problem(line));
                };
                let n_nodes = network.n_nodes();
                let from = node_id(line, 2, fields.next(), n_nodes, SHAPE)?;
                let to = node_id(line, 3, fields.next(), n_nodes, SHAPE)?;
                let low = number::<i64>(line, 4, fields.next(), SHAPE)?;
                let cap = number::<i64>(line, 5, fields.next(), SHAPE)?;
                let cost = number::<i64>(line, 6, fields.next(), SHAPE)?;
                end(line, fields.next(), SHAPE)?;
                if low > cap {
                    return Err(DimacsError::LowerAboveCapacity { line });
                }
                let capacity = cap.checked_sub(low).ok_or(DimacsError::Network {
                    line,
                    error: FlowError::TooLarge {
                        quantity: "capacity minus lower bound",
                        value: i128::from(cap) - i128::from(low),
                        limit: i128::from(i64::MAX),
                    },
                })?;
                network
                    .add_arc(from, to, capacity, cost)
                    .map_err(|error| DimacsError::Network { line, error })?;
                if low != 0 {
                    supply[from.0 as usize] -= i128::from(low);
                    supply[to.0 as usize] += i128::from(low);
                    // Each product fits an i128 (63 + 40 bits); their sum over 2^26 arcs may not.
                    cost_offset = cost_offset
                        .checked_add(i128::from(low) * i128::from(cost))
                        .ok_or(DimacsError::Network {
                            line,
                            error: FlowError::TooLarge {
                                quantity: "sum of lower bound times cost",
                                value: i128::MAX,
                                limit: i128::MAX,
                            },
                        })?;
                }
                lower.push(low);
            }
            _ => {
                return Err(DimacsError::Syntax {
                    line,
                    expected: "a line starting with `c`, `p`, `n` or `a`",
                });
            }
        }
    }

    let Some((problem_line, mut network)) = problem else {
        return Err(DimacsError::ProblemLine {
            line: last_line,
            reason: "no `p min NODES ARCS` line",
        });
    };
    if lower.len() != declared_arcs {
        return Err(DimacsError::ArcCount {
            line: problem_line,
            declared: declared_arcs,
            found: lower.len(),
        });
    }
    for (node, &value) in supply.iter().enumerate() {
        let value = i64::try_from(value).map_err(|_| DimacsError::Network {
            line: problem_line,
            error: FlowError::TooLarge {
                quantity: "supply after moving lower bounds",
                value,
                limit: i128::from(i64::MAX),
            },
        })?;
        network.set_supply(NodeId(node as u32), value);
    }
    Ok(Instance {
        network,
        lower,
        cost_offset,
    })
}

fn before_problem(line: usize) -> DimacsError {
    DimacsError::ProblemLine {
        line,
        reason: "node or arc line before the `p min NODES ARCS` line",
    }
}

/// The shortest arc line, `a 1 2 0 0 0` and its newline: a text of `n` bytes has at most
/// `n / MIN_ARC_LINE_BYTES` arcs (one more without the last newline, which the end check
/// allows for by reserving only room, not a limit).
const MIN_ARC_LINE_BYTES: usize = 12;

/// The field at `position` on the line (1-based), as a number.
fn number<T: std::str::FromStr>(
    line: usize,
    position: usize,
    field: Option<&str>,
    expected: &'static str,
) -> Result<T, DimacsError> {
    let field = field.ok_or(DimacsError::Syntax { line, expected })?;
    field
        .parse()
        .map_err(|_| DimacsError::BadNumber { line, position })
}

fn node_id(
    line: usize,
    position: usize,
    field: Option<&str>,
    n_nodes: usize,
    expected: &'static str,
) -> Result<NodeId, DimacsError> {
    let id = number::<u64>(line, position, field, expected)?;
    if id == 0 || id > n_nodes as u64 {
        return Err(DimacsError::NodeOutOfRange {
            line,
            node: id,
            n_nodes,
        });
    }
    Ok(NodeId((id - 1) as u32))
}

fn end(line: usize, field: Option<&str>, expected: &'static str) -> Result<(), DimacsError> {
    match field {
        None => Ok(()),
        Some(_) => Err(DimacsError::Syntax { line, expected }),
    }
}

/// Writes `network` as a DIMACS min-cost-flow file (lower bounds 0, nodes numbered from 1).
pub fn write(network: &Network, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "c written by caretime-flow")?;
    writeln!(out, "p min {} {}", network.n_nodes(), network.n_arcs())?;
    for node in 0..network.n_nodes() {
        let supply = network.supply(NodeId(node as u32));
        if supply != 0 {
            writeln!(out, "n {} {supply}", node + 1)?;
        }
    }
    for arc in network.arcs() {
        writeln!(
            out,
            "a {} {} 0 {} {}",
            arc.from.0 as u64 + 1,
            arc.to.0 as u64 + 1,
            arc.capacity,
            arc.cost
        )?;
    }
    Ok(())
}

/// Writes a solution of `network`: `s COST`, then `f FROM TO FLOW` for each arc with nonzero
/// flow, in arc order. For a file with lower bounds, pass the network and the solution from
/// [`Instance::in_file_terms`].
pub fn write_solution(
    network: &Network,
    solution: &Solution,
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(out, "c written by caretime-flow")?;
    writeln!(out, "s {}", solution.cost)?;
    for (arc, &flow) in network.arcs().zip(&solution.flow) {
        if flow != 0 {
            writeln!(
                out,
                "f {} {} {flow}",
                arc.from.0 as u64 + 1,
                arc.to.0 as u64 + 1
            )?;
        }
    }
    Ok(())
}
