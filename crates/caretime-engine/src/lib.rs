//! caretime's booking engine: which appointment each request gets.
//!
//! Pure, synchronous and deterministic: every function takes `now` and its inputs as arguments and
//! returns values; nothing reads a clock, a file or a random source. The server, the CLI, the
//! simulator and the replanner all make their changes of the book through this crate.
//!
//! - [`availability::Availability`] is the index of bookable time: each clinician's template
//!   expanded over a horizon of dates ([`availability::Schedule`]), less holidays, closures, leave
//!   and reserved appointments, as 15-minute slot bitsets by clinician and by slot. Its queries
//!   find the first start where an appointment fits in one run of free time, for one clinician
//!   ([`availability::Availability::earliest`]) or across a pool of thousands
//!   ([`availability::Availability::earliest_among`]).
//! - [`find::find`] ranks offers for a [`caretime_core::request::Request`]: continuity, internal
//!   within the deadline, network within the deadline, else the earliest start anywhere with an
//!   [`find::OutOfNetworkArrangement`]. [`find::Directory`] holds the filters (modality, distance,
//!   language) as bitsets over the index's rows.
//! - [`book::Book`] holds the index, the appointments, arrangements and the waitlist. Its
//!   `decide_*` functions return an [`book::Outcome`] (changes, or every refusal) and
//!   [`book::Book::apply`] applies changes all-or-nothing: the one path that changes the book.
//!
//! - [`report::access_report`] counts a book in the regulator's terms over a period of request
//!   dates: compliance by request kind, facility, discipline, language and month against the rule
//!   set's threshold, waits and follow-up intervals in business days, routes, attendance, group
//!   sessions and the workforce. The simulator and (later) the server share it.
//! - [`report::census::census`] answers the Provider Appointment Availability Survey question
//!   for every provider at a survey instant (each one's next available urgent, non-urgent and
//!   follow-up appointment, by [`find::earliest_for_kind`]): the rate of compliance of providers
//!   that DMHC judges against 70 %, beside the report's demand-weighted share of requests.
//!
//! Not here: replanning a disruption (caretime-replan, the only crate that solves flows), the
//! synthetic region generator and region files (caretime-region), persistence (caretime-store),
//! FHIR (caretime-fhir), clocks and randomness (callers pass `now` and seeds).

pub mod availability;
pub mod book;
pub mod episode;
pub mod find;
pub mod group;
pub mod perf;
pub mod report;
