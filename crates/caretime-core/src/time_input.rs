//! Times and dates given as text (a flag, a data file), parsed strictly, in one place.
//!
//! [`parse_instant`] takes an RFC 3339 time with an offset (`2025-11-25T16:30:00-08:00`) or an
//! RFC 9557 time with a zone (`2025-11-25T16:30:00-08:00[America/Los_Angeles]`). RFC 9557 makes
//! an offset that contradicts its zone an error, and so does this parser: `-05:00` is not an
//! offset Los Angeles ever has in November, so the time cannot be known, and guessing (by the
//! offset or by the zone) would move an appointment by hours. A zone that does not exist
//! (`[Mars/Base]`) is an error too, not a bracket to ignore.
//!
//! [`parse_date`] takes `YYYY-MM-DD` and nothing looser: data files are written by programs, and a
//! file that says `2025-12-8` or `+002025-12-08` was not.
//!
//! Errors never repeat the text: request and appointment times are member data.

use std::str::FromStr;

use jiff::civil::Date;
use jiff::fmt::temporal::{Pieces, PiecesOffset};
use jiff::{SignedDuration, Timestamp, Zoned};

/// A time written as [`parse_instant`] expects.
pub const TIME_EXAMPLE: &str = "2026-01-15T09:00:00-08:00[America/Los_Angeles]";

/// Why a time or a date could not be read. The messages continue a subject such as
/// `--requested` and never quote the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeInputError {
    /// A date or a local time without an offset or a zone: the instant is unknown.
    #[error("has no time zone: give an offset and zone, e.g. {TIME_EXAMPLE}")]
    NoZone,
    /// The bracketed zone is not in the time zone database.
    #[error(
        "names a time zone that does not exist (expected an IANA name such as America/Los_Angeles)"
    )]
    UnknownZone,
    /// The offset is not one the zone has at that local time (or the local time falls in the
    /// zone's daylight-saving gap).
    #[error(
        "has an offset its time zone does not have at that time (RFC 9557): give the zone's offset, e.g. {TIME_EXAMPLE}"
    )]
    OffsetConflict,
    /// Not a time at all, or an offset of a day or more.
    #[error("is not a valid time: expected e.g. {TIME_EXAMPLE}")]
    Invalid,
    /// Not a `YYYY-MM-DD` date.
    #[error("is not a valid date: expected YYYY-MM-DD")]
    InvalidDate,
}

/// Parses a time with an offset, a zone, or both (see the module documentation).
pub fn parse_instant(text: &str) -> Result<Timestamp, TimeInputError> {
    let pieces = Pieces::parse(text).map_err(|_| TimeInputError::Invalid)?;
    if pieces.time().is_none() {
        return Err(TimeInputError::NoZone);
    }
    // RFC 3339 offsets are within ±23:59; jiff reads up to ±25:59:59.
    if let Some(PiecesOffset::Numeric(offset)) = pieces.offset()
        && offset.offset().duration_since(jiff::tz::Offset::UTC).abs()
            >= SignedDuration::from_hours(24)
    {
        return Err(TimeInputError::Invalid);
    }
    match (pieces.offset(), pieces.time_zone_annotation()) {
        (None, None) => Err(TimeInputError::NoZone),
        (_, Some(annotation)) => {
            annotation
                .to_time_zone()
                .map_err(|_| TimeInputError::UnknownZone)?;
            // jiff's default for a zoned time is RFC 9557's: an offset in conflict with the
            // zone is an error. An offset the zone does not have at that instant is one too,
            // checked here as well: jiff let `0000-01-01 00:00Z[America/Los_Angeles]` through,
            // where the zone's offset is local mean time, -07:52:58 (found by the fuzz test).
            let zoned = Zoned::from_str(text).map_err(|_| TimeInputError::OffsetConflict)?;
            let given = match pieces.offset() {
                Some(PiecesOffset::Numeric(offset)) => Some(offset.offset()),
                Some(PiecesOffset::Zulu) => Some(jiff::tz::Offset::UTC),
                _ => None,
            };
            match given {
                Some(given) if given != zoned.offset() => Err(TimeInputError::OffsetConflict),
                _ => Ok(zoned.timestamp()),
            }
        }
        (Some(_), None) => Timestamp::from_str(text).map_err(|_| TimeInputError::Invalid),
    }
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Result<Date, TimeInputError> {
    let bytes = text.as_bytes();
    let shape = bytes.len() == 10
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    if !shape {
        return Err(TimeInputError::InvalidDate);
    }
    Date::from_str(text).map_err(|_| TimeInputError::InvalidDate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_the_zone_does_not_have_is_a_conflict() {
        // Local mean time in Los Angeles before 1883 is -07:52:58, not UTC.
        assert_eq!(
            parse_instant("0000-01-01 00:00Z[America/Los_Angeles]"),
            Err(TimeInputError::OffsetConflict)
        );
        assert_eq!(
            parse_instant("2025-11-26T00:30:00Z[America/Los_Angeles]"),
            Err(TimeInputError::OffsetConflict)
        );
        assert_eq!(
            parse_instant("2025-11-26T00:30:00Z[UTC]").map(|at| at.to_string()),
            Ok("2025-11-26T00:30:00Z".to_owned())
        );
    }

    #[test]
    fn zoned_and_offset_times_are_read() {
        let expected: Timestamp = "2025-11-26T00:30:00Z".parse().expect("valid");
        for text in [
            "2025-11-25T16:30:00-08:00[America/Los_Angeles]",
            "2025-11-25T16:30:00[America/Los_Angeles]",
            "2025-11-25T16:30:00-08:00",
            "2025-11-26T00:30:00Z",
            "2025-11-25T16:30:00-08:00[!America/Los_Angeles]",
        ] {
            assert_eq!(parse_instant(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn contradictions_and_unknown_zones_are_rejected() {
        for (text, error) in [
            (
                "2025-11-25T16:30:00-05:00[America/Los_Angeles]",
                TimeInputError::OffsetConflict,
            ),
            (
                "2025-11-25T16:30:00+00:00[America/Los_Angeles]",
                TimeInputError::OffsetConflict,
            ),
            (
                "2025-11-25T16:30:00-08:00[UTC]",
                TimeInputError::OffsetConflict,
            ),
            (
                "2025-11-25T16:30:00-08:00[-05:00]",
                TimeInputError::OffsetConflict,
            ),
            // 02:30 does not happen in Los Angeles that day: the clocks jump from 02:00 to 03:00.
            (
                "2025-03-09T02:30:00-08:00[America/Los_Angeles]",
                TimeInputError::OffsetConflict,
            ),
            (
                "2025-11-25T16:30:00-08:00[Mars/Base]",
                TimeInputError::UnknownZone,
            ),
            (
                "2025-11-25T16:30:00-08:00[!Mars/Base]",
                TimeInputError::UnknownZone,
            ),
            ("2025-11-25T16:30:00+25:00", TimeInputError::Invalid),
            ("2025-02-30T16:30:00-08:00", TimeInputError::Invalid),
            ("+010000-01-01T00:00:00Z", TimeInputError::Invalid),
            ("1764111000", TimeInputError::Invalid),
            ("", TimeInputError::Invalid),
            ("2025-11-25", TimeInputError::NoZone),
            ("2025-11-25T16:30:00", TimeInputError::NoZone),
        ] {
            assert_eq!(parse_instant(text), Err(error), "{text}");
        }
    }

    #[test]
    fn dates_are_strict() {
        assert_eq!(parse_date("2024-02-29"), Ok(jiff::civil::date(2024, 2, 29)));
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "20240229",
            "2024-02-29T00:00",
            "+002024-02-29",
            "-009999-01-01",
            "",
        ] {
            assert_eq!(parse_date(bad), Err(TimeInputError::InvalidDate), "{bad}");
        }
    }
}
