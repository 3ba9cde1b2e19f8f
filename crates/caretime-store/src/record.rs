//! What a decision records beside its changes, in the same transaction: why they were made.
//!
//! A replan's changes say what moved; its [`Record::Replan`] says which disruption it answered
//! and what it decided, in the `disruption` and `replan` tables. A caller passes one to
//! [`LiveBook::decide_recording`], built from the changes that commit, so the rows commit or
//! roll back with them. The store does not know the replanner's types: the caller fills these
//! plain ones.
//!
//! [`LiveBook::decide_recording`]: crate::live::LiveBook::decide_recording

use caretime_core::id::ClinicianId;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::db::{Statement, Value};
use crate::{Actor, tables};

/// Rows a decision writes beside its changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A replan: the disruption it answered and what it decided.
    Replan {
        /// The disruption, as its file gives it.
        disruption: DisruptionRecord,
        /// The plan's counts.
        counts: ReplanCounts,
    },
}

/// A disruption as its file gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisruptionRecord {
    /// The file's name without its folder and extension (`socal-strike`).
    pub name: String,
    /// `strike`, `leave` or `closure`.
    pub reason: String,
    /// The first local date.
    pub first: Date,
    /// The last local date, inclusive.
    pub last: Date,
    /// Who it takes away: the file's clinicians, facilities and share, resolved.
    pub clinicians: Vec<ClinicianId>,
    /// The file's text (TOML), as given.
    pub file: String,
}

/// What a replan decided: the counts `caretime replan` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplanCounts {
    /// Appointments displaced.
    pub displaced: usize,
    /// Moved to internal clinicians.
    pub internal: usize,
    /// Moved to network providers.
    pub network: usize,
    /// Out-of-network arrangements.
    pub out_of_network: usize,
    /// Moves within their deadline.
    pub timely: usize,
    /// Group sessions kept with a substitute.
    pub groups_kept: usize,
    /// Group sessions cancelled.
    pub groups_cancelled: usize,
}

impl Record {
    /// The statements that write it for a decision whose changes are journal rows `seqs`
    /// (first and last; none when it changed nothing), made at `now` by `actor`. They run
    /// under the write lock, so the next id is the largest one plus one.
    pub(crate) fn statements(
        &self,
        seqs: Option<(i64, i64)>,
        now: Timestamp,
        actor: &Actor,
    ) -> Vec<Statement> {
        let count = |n: usize| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
        match self {
            Record::Replan { disruption, counts } => {
                let clinicians = disruption
                    .clinicians
                    .iter()
                    .map(|id| id.0.to_string())
                    .collect::<Vec<_>>()
                    .join(";");
                vec![
                    Statement::new(
                        "INSERT INTO disruption (id, name, reason, first_date, last_date, \
                         clinicians, file) \
                         SELECT coalesce(max(id), 0) + 1, $1, $2, $3, $4, $5, $6 FROM disruption",
                        vec![
                            disruption.name.as_str().into(),
                            disruption.reason.as_str().into(),
                            disruption.first.to_string().into(),
                            disruption.last.to_string().into(),
                            clinicians.into(),
                            disruption.file.as_str().into(),
                        ],
                    )
                    .one_row(),
                    Statement::new(
                        "INSERT INTO replan (id, disruption, decided_at, actor, displaced, \
                         moved_internal, moved_network, out_of_network, timely, groups_kept, \
                         groups_cancelled, first_seq, last_seq) \
                         SELECT coalesce(max(id), 0) + 1, (SELECT max(id) FROM disruption), \
                         $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM replan",
                        vec![
                            tables::seconds(now).into(),
                            actor.who.as_str().into(),
                            count(counts.displaced),
                            count(counts.internal),
                            count(counts.network),
                            count(counts.out_of_network),
                            count(counts.timely),
                            count(counts.groups_kept),
                            count(counts.groups_cancelled),
                            seqs.map(|(first, _)| first).into(),
                            seqs.map(|(_, last)| last).into(),
                        ],
                    )
                    .one_row(),
                ]
            }
        }
    }
}
