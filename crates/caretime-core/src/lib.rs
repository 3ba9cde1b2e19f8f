//! caretime's vocabulary and the rules everything else obeys.
//!
//! This crate holds the words of the domain (one word per concept, as ARCHITECTURE.md lists them) and the pure rules built from
//! them:
//!
//! - [`calendar::BusinessCalendar`] says which dates are business days: a weekday mask, a
//!   [`calendar::HolidayCalendar`] of rules (fixed date, nth or last weekday of a month, the day after
//!   another holiday, each with its weekend observance) and explicit closure dates.
//! - [`rules::RuleSet`] is a regulator's timely-access standard (`ca-dmhc`, `medicaid-438`, ...):
//!   one [`rules::DeadlineRule`] per [`request::RequestKind`], a time zone, a business calendar, the
//!   clinical-exception policy and the compliance threshold. [`rules::RuleSet::deadline`] turns a
//!   request into its [`rules::Deadline`].
//! - [`contract::Contract`] holds the bargained terms (protected hours per full-time week, pro-rated
//!   by [`region::Fte`]); [`template::check_template`] checks a clinician's weekly
//!   [`template::Template`] against a contract and a facility's opening hours and returns every
//!   violation at once.
//! - [`region`] and [`request`] name the people and places: facilities, clinicians, members,
//!   requests, with id newtypes from [`id`] and PHI wrapped in [`phi::Phi`].
//!
//! Rule sets, holiday calendars and contracts are data: TOML files embedded from `data/` and parsed
//! by [`files`], which also parses template files and names file, line and field in its errors.
//! [`files::builtin`] lists what ships.
//!
//! This crate does no I/O, reads no clock and draws no random numbers: callers pass instants in,
//! and the time zone database is bundled into the binary. Loading a file from disk is the caller's
//! job (the CLI reads it and hands the text to [`files`]).

pub mod calendar;
pub mod contract;
pub mod files;
pub mod id;
pub mod phi;
pub mod quote;
pub mod region;
pub mod request;
pub mod rules;
pub mod slug;
pub mod template;
pub mod time_input;
pub mod zone_days;
