//! iCalendar (RFC 5545) text: content lines, escaping, folding, and a VTIMEZONE written from
//! the time zone database.
//!
//! Hand-written rather than from a crate: the Rust `icalendar` crate speaks chrono (caretime's
//! instants and zones are jiff's) and writes no VTIMEZONE from an IANA zone, which is the part
//! calendar apps need; what is left, escaping and folding, is a few lines checked by the tests
//! below and by python's `icalendar` in CI (`.ci/ical_check.py`).
//!
//! A [`Calendar`] is a named list of [`Event`]s over a window, in one zone; [`Calendar::write`]
//! gives the VCALENDAR text. Times are written as local times with `TZID` and the zone's
//! VTIMEZONE (its transitions over the window, as explicit observances), so a 09:00 block reads
//! 09:00 in a calendar app whatever the DST; a zone with no IANA name is written in UTC.

use std::fmt::Write as _;

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// The most octets of a content line on one physical line, CRLF excluded (RFC 5545 3.1).
const MAX_LINE_OCTETS: usize = 75;

/// What `PRODID` says wrote the calendar.
const PRODUCT: &str = concat!("-//caretime//caretime ", env!("CARGO_PKG_VERSION"), "//EN");

/// RFC 5545 `STATUS` of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventStatus {
    Confirmed,
    Tentative,
}

/// One busy VEVENT (`TRANSP:OPAQUE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// Stable across reads, so a subscribed app updates the event instead of adding one.
    pub uid: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Plain text; escaped when written.
    pub summary: String,
    pub status: Option<EventStatus>,
    pub location: Option<String>,
}

/// A VCALENDAR to publish.
#[derive(Clone, Debug)]
pub(crate) struct Calendar {
    /// `X-WR-CALNAME`.
    pub name: String,
    /// The zone its times are written in.
    pub zone: TimeZone,
    /// The instants the events lie within: the VTIMEZONE covers them.
    pub window: (Timestamp, Timestamp),
    /// `DTSTAMP` of every event: when the calendar was written.
    pub stamp: Timestamp,
    pub events: Vec<Event>,
}

impl Calendar {
    /// The calendar as RFC 5545 text: CRLF line ends, lines folded at 75 octets.
    pub(crate) fn write(&self) -> String {
        let mut out = String::new();
        let zone_name = self.zone.iana_name().filter(|name| !name.is_empty());
        let mut line = |text: &str| fold(text, &mut out);
        line("BEGIN:VCALENDAR");
        line(&format!("PRODID:{PRODUCT}"));
        line("VERSION:2.0");
        line("CALSCALE:GREGORIAN");
        line("METHOD:PUBLISH");
        line(&format!("X-WR-CALNAME:{}", escape_text(&self.name)));
        if let Some(name) = zone_name {
            line(&format!("X-WR-TIMEZONE:{name}"));
            for text in vtimezone(&self.zone, name, self.window) {
                line(&text);
            }
        }
        let when = |property: &str, at: Timestamp| match zone_name {
            Some(name) => format!(
                "{property};TZID={name}:{}",
                local_text(self.zone.to_datetime(at))
            ),
            None => format!("{property}:{}", utc_text(at)),
        };
        for event in &self.events {
            line("BEGIN:VEVENT");
            line(&format!("UID:{}", escape_text(&event.uid)));
            line(&format!("DTSTAMP:{}", utc_text(self.stamp)));
            line(&when("DTSTART", event.start));
            line(&when("DTEND", event.end));
            line(&format!("SUMMARY:{}", escape_text(&event.summary)));
            if let Some(location) = &event.location {
                line(&format!("LOCATION:{}", escape_text(location)));
            }
            match event.status {
                Some(EventStatus::Confirmed) => line("STATUS:CONFIRMED"),
                Some(EventStatus::Tentative) => line("STATUS:TENTATIVE"),
                None => {}
            }
            line("TRANSP:OPAQUE");
            line("END:VEVENT");
        }
        line("END:VCALENDAR");
        out
    }
}

/// A TEXT value escaped per RFC 5545 3.3.11: backslash, semicolon and comma get a backslash, a
/// line break becomes `\n`; other control characters, which TEXT may not hold, are dropped.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                // CRLF and a lone CR are one line break.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` to `out` folded (RFC 5545 3.1): no physical line longer than 75 octets, a
/// continuation starts with one space (which counts), a fold never splits a UTF-8 character;
/// every physical line ends with CRLF.
pub(crate) fn fold(line: &str, out: &mut String) {
    let mut room = MAX_LINE_OCTETS;
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > room {
            out.push_str("\r\n ");
            room = MAX_LINE_OCTETS - 1;
            used = 0;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// An instant in UTC, RFC 5545 DATE-TIME form 2 (`20260309T160000Z`).
pub(crate) fn utc_text(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// A local time, RFC 5545 DATE-TIME form 1 or 3 (`20260309T090000`).
fn local_text(at: DateTime) -> String {
    at.strftime("%Y%m%dT%H%M%S").to_string()
}

/// A UTC-OFFSET value (`-0800`, seconds only when there are some).
fn offset_text(offset: Offset) -> String {
    let seconds = offset.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.unsigned_abs();
    let mut out = format!("{sign}{:02}{:02}", seconds / 3600, seconds / 60 % 60);
    if !seconds.is_multiple_of(60) {
        let _ = write!(out, "{:02}", seconds % 60);
    }
    out
}

/// The VTIMEZONE of `zone` (named `name`) over `window`, as unfolded content lines: the
/// observance in force a day before the window starts and every transition up to a day after
/// it ends, each with its own DTSTART (no RRULE: explicit observances are exact for any zone,
/// where a rule would have to be derived and could be wrong for zones that changed their rules).
fn vtimezone(zone: &TimeZone, name: &str, window: (Timestamp, Timestamp)) -> Vec<String> {
    let day = SignedDuration::from_hours(24);
    let first = window.0.checked_sub(day).unwrap_or(window.0);
    let last = window.1.checked_add(day).unwrap_or(window.1);
    let mut lines = vec!["BEGIN:VTIMEZONE".to_owned(), format!("TZID:{name}")];
    let in_force = zone.preceding(first).next();
    let after = in_force
        .as_ref()
        .map_or(first, |transition| transition.timestamp());
    let transitions = in_force.into_iter().chain(
        zone.following(after)
            .skip_while(move |transition| transition.timestamp() <= after)
            .take_while(|transition| transition.timestamp() < last),
    );
    let mut any = false;
    for transition in transitions {
        any = true;
        let at = transition.timestamp();
        // The offset just before the change: DTSTART is a local time in it (RFC 5545 3.6.5).
        let before = at
            .checked_sub(SignedDuration::from_secs(1))
            .map_or(transition.offset(), |just_before| {
                zone.to_offset(just_before)
            });
        let kind = if transition.dst().is_dst() {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", local_text(before.to_datetime(at))));
        lines.push(format!("TZOFFSETFROM:{}", offset_text(before)));
        lines.push(format!("TZOFFSETTO:{}", offset_text(transition.offset())));
        let abbreviation = transition.abbreviation();
        if !abbreviation.is_empty() {
            lines.push(format!("TZNAME:{}", escape_text(abbreviation)));
        }
        lines.push(format!("END:{kind}"));
    }
    if !any {
        // A zone that never changes its offset: one observance from the epoch.
        let offset = offset_text(zone.to_offset(window.0));
        lines.extend([
            "BEGIN:STANDARD".to_owned(),
            "DTSTART:19700101T000000".to_owned(),
            format!("TZOFFSETFROM:{offset}"),
            format!("TZOFFSETTO:{offset}"),
            "END:STANDARD".to_owned(),
        ]);
    }
    lines.push("END:VTIMEZONE".to_owned());
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The physical lines of `text`, checking every one ends with CRLF.
    fn physical_lines(text: &str) -> Vec<&str> {
        assert!(text.ends_with("\r\n"), "{text:?}");
        let lines: Vec<&str> = text[..text.len() - 2].split("\r\n").collect();
        assert!(
            lines
                .iter()
                .all(|line| !line.contains('\n') && !line.contains('\r')),
            "a bare CR or LF in {text:?}"
        );
        lines
    }

    /// Undoes folding (RFC 5545 3.1: a CRLF followed by one space is removed).
    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn text_is_escaped_per_rfc_5545() {
        assert_eq!(escape_text(r"Room 4, Bldg; B\C"), r"Room 4\, Bldg\; B\\C");
        assert_eq!(
            escape_text("one\ntwo\r\nthree\rfour"),
            r"one\ntwo\nthree\nfour"
        );
        assert_eq!(escape_text("tab\there\u{7}bell"), "tab\therebell");
        assert_eq!(escape_text("Protected time"), "Protected time");
        // Colons and double quotes need no escape in a TEXT value.
        assert_eq!(escape_text(r#"a: "b""#), r#"a: "b""#);
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        for line in [
            format!("SUMMARY:{}", "a".repeat(200)),
            format!("SUMMARY:{}", "é".repeat(100)),
            format!("SUMMARY:{}", "日本語のテキスト".repeat(20)),
            format!("SUMMARY:x{}", "🗓".repeat(50)),
            "SUMMARY:short".to_owned(),
            "X".repeat(75),
            "X".repeat(76),
        ] {
            let mut out = String::new();
            fold(&line, &mut out);
            let physical = physical_lines(&out);
            for (idx, piece) in physical.iter().enumerate() {
                assert!(piece.len() <= 75, "{} octets: {piece:?}", piece.len());
                assert_eq!(idx > 0, piece.starts_with(' '), "{piece:?}");
            }
            // A line no longer than 75 octets is not folded; a longer one fills each line.
            assert_eq!(physical.len() == 1, line.len() <= 75, "{line}");
            assert_eq!(unfold(&out), format!("{line}\r\n"));
        }
        let mut out = String::new();
        fold(&"X".repeat(76), &mut out);
        assert_eq!(out, format!("{}\r\n X\r\n", "X".repeat(75)));
    }

    fn la() -> TimeZone {
        TimeZone::get("America/Los_Angeles").expect("the bundled tz database has Los Angeles")
    }

    /// A local wall time in Los Angeles as an instant.
    fn local(text: &str) -> Timestamp {
        text.parse::<DateTime>()
            .expect("a date-time")
            .to_zoned(la())
            .expect("in range")
            .timestamp()
    }

    fn one_event_calendar(window: (&str, &str), start: Timestamp, end: Timestamp) -> String {
        Calendar {
            name: "Dr. Test, Psychologist".to_owned(),
            zone: la(),
            window: (local(window.0), local(window.1)),
            stamp: "2026-03-01T12:00:00Z".parse().expect("an instant"),
            events: vec![Event {
                uid: "block-1@caretime".to_owned(),
                start,
                end,
                summary: "Protected time".to_owned(),
                status: None,
                location: Some("Clinic, Suite 2".to_owned()),
            }],
        }
        .write()
    }

    #[test]
    fn nine_o_clock_stays_nine_local_across_both_dst_changes() {
        // 2026-03-08 02:00 PST becomes PDT; 2026-11-01 02:00 PDT becomes PST.
        let cases = [
            ("2026-03-06T09:00", "2026-03-06T17:00:00Z"),
            ("2026-03-09T09:00", "2026-03-09T16:00:00Z"),
            ("2026-10-30T09:00", "2026-10-30T16:00:00Z"),
            ("2026-11-02T09:00", "2026-11-02T17:00:00Z"),
        ];
        for (wall, utc) in cases {
            assert_eq!(
                local(wall),
                utc.parse::<Timestamp>().expect("an instant"),
                "{wall}"
            );
        }
        // Two weeks across the spring change, written and read back.
        let start = local("2026-03-09T09:00");
        let text = one_event_calendar(
            ("2026-03-02T00:00", "2026-03-16T00:00"),
            start,
            local("2026-03-09T10:30"),
        );
        let unfolded = unfold(&text);
        assert!(
            unfolded.contains("\r\nDTSTART;TZID=America/Los_Angeles:20260309T090000\r\n"),
            "{unfolded}"
        );
        assert!(unfolded.contains("\r\nDTEND;TZID=America/Los_Angeles:20260309T103000\r\n"));
        assert!(unfolded.contains("\r\nDTSTAMP:20260301T120000Z\r\n"));
        // The VTIMEZONE has the spring change (02:00 PST, -0800 to -0700) and the
        // observance in force before it.
        assert!(
            unfolded.contains(
                "BEGIN:DAYLIGHT\r\nDTSTART:20260308T020000\r\nTZOFFSETFROM:-0800\r\n\
                 TZOFFSETTO:-0700\r\nTZNAME:PDT\r\nEND:DAYLIGHT"
            ),
            "{unfolded}"
        );
        assert!(
            unfolded.contains(
                "BEGIN:STANDARD\r\nDTSTART:20251102T020000\r\nTZOFFSETFROM:-0700\r\n\
                 TZOFFSETTO:-0800\r\nTZNAME:PST\r\nEND:STANDARD"
            ),
            "{unfolded}"
        );
        // The autumn change: a window over 2026-11-01 has its observance.
        let autumn = one_event_calendar(
            ("2026-10-26T00:00", "2026-11-09T00:00"),
            local("2026-11-02T09:00"),
            local("2026-11-02T10:00"),
        );
        assert!(
            unfold(&autumn).contains(
                "BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0700\r\n\
                 TZOFFSETTO:-0800\r\nTZNAME:PST\r\nEND:STANDARD"
            ),
            "{autumn}"
        );
        for line in physical_lines(&text) {
            assert!(line.len() <= 75, "{line}");
        }
        assert!(unfolded.contains("\r\nLOCATION:Clinic\\, Suite 2\r\n"));
        assert!(unfolded.contains("\r\nX-WR-CALNAME:Dr. Test\\, Psychologist\r\n"));
    }

    #[test]
    fn a_zone_without_a_name_is_written_in_utc_and_a_fixed_zone_has_one_observance() {
        let start: Timestamp = "2026-03-09T16:00:00Z".parse().expect("an instant");
        let end = start + SignedDuration::from_hours(1);
        let calendar = Calendar {
            name: "fixed".to_owned(),
            zone: TimeZone::fixed(jiff::tz::offset(-8)),
            window: (start, end),
            stamp: start,
            events: vec![Event {
                uid: "u@caretime".to_owned(),
                start,
                end,
                summary: "Meeting".to_owned(),
                status: Some(EventStatus::Confirmed),
                location: None,
            }],
        };
        let text = calendar.write();
        assert!(text.contains("\r\nDTSTART:20260309T160000Z\r\n"), "{text}");
        assert!(!text.contains("VTIMEZONE"));
        assert!(text.contains("\r\nSTATUS:CONFIRMED\r\n"));
        let utc = vtimezone(
            &TimeZone::get("Etc/GMT+5").expect("a zone"),
            "Etc/GMT+5",
            (start, end),
        );
        assert!(utc.contains(&"TZOFFSETTO:-0500".to_owned()), "{utc:?}");
        assert_eq!(
            utc.iter().filter(|line| line.starts_with("BEGIN:")).count(),
            2
        );
    }

    #[test]
    fn offsets_are_written_with_seconds_only_when_they_have_some() {
        assert_eq!(offset_text(jiff::tz::offset(-8)), "-0800");
        assert_eq!(offset_text(jiff::tz::offset(0)), "+0000");
        assert_eq!(
            offset_text(Offset::from_seconds(5 * 3600 + 30 * 60).expect("an offset")),
            "+0530"
        );
        assert_eq!(
            offset_text(Offset::from_seconds(-(7 * 3600 + 52 * 60 + 58)).expect("an offset")),
            "-075258"
        );
    }
}
