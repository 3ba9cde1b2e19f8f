//! caretime's booking engine: which appointment each request gets.
//!
//! Pure, synchronous and deterministic: every function takes `now` and its inputs as arguments and
//! returns values; nothing reads a clock, a file or a random source. The server, the CLI, the
//! simulator and the replanner all make their changes of the book through this crate.
//!
//! - [`availability::Availability`] is the index of bookable time: each clinician's template
//!   expanded over a horizon of dates ([`availability::Schedule`]), less holidays, closures, leave
//!   and reserved appointments, as sorted free intervals per clinician. Its queries
//!   ([`availability::Availability::earliest`]) find the first start on the 15-minute grid where
//!   an appointment of a given length fits inside one free block the request may use.
//!
//! Still to come in this crate (issue 4): offers ranked by continuity and timeliness, hold / book /
//! cancel decisions, follow-ups, groups, the waitlist and the network.

pub mod availability;
