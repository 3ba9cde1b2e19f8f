//! Booking scenarios as compact text fixtures, every expected offer derived by hand.
//!
//! A fixture describes a region, a book and requests, one per line (`#` starts a comment line):
//!
//! ```text
//! horizon 2025-12-01 2025-12-31            dates the templates are expanded over
//! release 24h                              urgent-hold time opens this long before it starts (default 24h)
//! interpreters unavailable                 the find policy's interpreters (default available)
//! facility la 34.0983 -118.2930            name, latitude, longitude [closed DATE ...]
//! clinician ana internal therapist en,es in-person,video @la | mon-fri 09:00-12:00 direct | mon 08:00-09:00 protected
//! member m1 es in-person,video home 34.10 -118.29
//! leave ana 2025-12-01 2025-12-05          inclusive
//! booked ana 2025-12-01 09:00 60           an appointment already in the book
//! request initial m1 at 2025-12-01 08:00 [now DATE TIME] [treating ana] [prior DATE TIME] [prefer tue 08:00-11:00]
//! expect ana 2025-12-02 09:00 in-person continuity met
//! all ana 2025-12-02 09:00 in-person continuity met / bo 2025-12-03 10:00 video network met
//! book                                     reserve the last request's best offer
//! ```
//!
//! Clinicians, members and facilities get ids in the order they are listed, so "the lowest
//! clinician id" is the one listed first. Every time is local time in America/Los_Angeles; every
//! facility follows the California state holiday calendar; deadlines follow the `ca-dmhc` rule set.
//!
//! An `expect` line is the best offer, rendered as `clinician date time modality route timeliness`
//! (`met` or `late N`, N business days), then `interpreter LANG` when one is needed, `urgent-hold`
//! when it uses urgent-hold time, and `arrangement` when an out-of-network arrangement is recorded;
//! `nothing arrangement` when nobody has time. An `all` line lists every offer, best first.
//! When a line disagrees, the test fails showing the whole fixture with the actual lines.
//!
//! Calendar used throughout: 2025-12-01 is a Monday; Thursday 2025-11-27 (Thanksgiving), Friday
//! 2025-11-28, Thursday 2025-12-25 and Thursday 2026-01-01 are California state holidays.

use std::collections::HashMap;
use std::fmt::Write as _;

use caretime_core::calendar::{BusinessCalendar, WeekdayMask, parse_weekday};
use caretime_core::files::builtin;
use caretime_core::id::{ClinicianId, FacilityId, MemberId, RegionId, RequestId, TemplateId};
use caretime_core::phi::Phi;
use caretime_core::region::{
    Affiliation, Clinician, Facility, Fte, GeoPoint, Member, Modality, ModalitySet, Region,
};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::slug::Slug;
use caretime_core::template::{Block, DayRange, Template, WeeklyHours};
use caretime_engine::availability::{Availability, FreeKind, Horizon, Minute};
use caretime_engine::find::{
    Directory, FindContext, FindPolicy, Interpreters, Offer, Offers, Timeliness, find, schedules,
};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;

fn los_angeles() -> TimeZone {
    TimeZone::get("America/Los_Angeles").expect("bundled zone")
}

fn california() -> BusinessCalendar {
    BusinessCalendar::new(
        WeekdayMask::MONDAY_TO_FRIDAY,
        builtin::holiday_calendar("california-state").expect("built in"),
    )
}

fn parse<T: std::str::FromStr>(word: &str, line: &str) -> T {
    word.parse()
        .unwrap_or_else(|_| panic!("cannot read `{word}` in fixture line `{line}`"))
}

/// `DATE TIME` in Los Angeles.
fn instant(date: &str, time: &str, line: &str) -> Timestamp {
    let date: Date = parse(date, line);
    let time: Time = parse(time, line);
    DateTime::from_parts(date, time)
        .to_zoned(los_angeles())
        .expect("in range")
        .timestamp()
}

/// `mon`, `mon-fri` or `mon,wed,fri`.
fn weekdays(text: &str, line: &str) -> Vec<Weekday> {
    let day = |name: &str| {
        parse_weekday(name).unwrap_or_else(|| panic!("`{name}` is not a weekday in `{line}`"))
    };
    text.split(',')
        .flat_map(|part| match part.split_once('-') {
            Some((first, last)) => {
                let (first, last) = (day(first), day(last));
                (first.to_monday_zero_offset()..=last.to_monday_zero_offset())
                    .map(|offset| Weekday::from_monday_zero_offset(offset).expect("0..7"))
                    .collect()
            }
            None => vec![day(part)],
        })
        .collect()
}

/// `HH:MM-HH:MM`.
fn range(text: &str, line: &str) -> (Time, Time) {
    let (start, end) = text
        .split_once('-')
        .unwrap_or_else(|| panic!("`{text}` is not a time range in `{line}`"));
    (parse(start, line), parse(end, line))
}

fn modalities(text: &str, line: &str) -> ModalitySet {
    let list: Vec<Modality> = text.split(',').map(|name| parse(name, line)).collect();
    ModalitySet::of(&list)
}

/// The region and book a fixture describes, and the lines that act on them.
struct World {
    horizon: Option<Horizon>,
    release_minutes: i64,
    policy: FindPolicy,
    region: Region,
    clinicians: HashMap<String, ClinicianId>,
    members: HashMap<String, MemberId>,
    facilities: HashMap<String, FacilityId>,
    leave: Vec<(ClinicianId, Date, Date)>,
    booked: Vec<(ClinicianId, Timestamp, u32)>,
}

/// The index and directory, built when the first request comes.
struct Book {
    availability: Availability,
    directory: Directory,
}

impl World {
    fn new() -> World {
        World {
            horizon: None,
            release_minutes: 24 * 60,
            policy: FindPolicy::STANDARD,
            region: Region {
                id: RegionId(0),
                name: "fixture".to_owned(),
                facilities: Vec::new(),
                clinicians: Vec::new(),
                members: Vec::new(),
                templates: Vec::new(),
            },
            clinicians: HashMap::new(),
            members: HashMap::new(),
            facilities: HashMap::new(),
            leave: Vec::new(),
            booked: Vec::new(),
        }
    }

    fn clinician(&self, name: &str, line: &str) -> ClinicianId {
        *self
            .clinicians
            .get(name)
            .unwrap_or_else(|| panic!("unknown clinician `{name}` in `{line}`"))
    }

    fn name(&self, clinician: ClinicianId) -> &str {
        &self.region.clinicians[clinician.index()].name
    }

    /// Reads one line that describes the region or the book.
    fn describe(&mut self, words: &[&str], line: &str) {
        match words {
            ["horizon", first, last] => {
                self.horizon = Some(Horizon {
                    first: parse(first, line),
                    last: parse(last, line),
                });
            }
            ["release", hours] => {
                let hours: i64 = parse(hours.trim_end_matches('h'), line);
                self.release_minutes = hours * 60;
            }
            ["interpreters", "unavailable"] => self.policy.interpreters = Interpreters::Unavailable,
            ["facility", name, lat, lon, closures @ ..] => {
                let mut calendar = california();
                for closure in closures.iter().filter(|word| **word != "closed") {
                    calendar = calendar.with_closure(parse(closure, line));
                }
                let id = FacilityId(self.region.facilities.len() as u32);
                self.facilities.insert((*name).to_owned(), id);
                self.region.facilities.push(Facility {
                    id,
                    name: (*name).to_owned(),
                    address: String::new(),
                    location: GeoPoint::new(parse(lat, line), parse(lon, line))
                        .expect("on the map"),
                    time_zone: los_angeles(),
                    hours: WeeklyHours::weekdays(
                        DayRange::new(Time::constant(7, 0, 0, 0), Time::constant(21, 0, 0, 0))
                            .expect("valid"),
                    ),
                    calendar,
                });
            }
            [
                "clinician",
                name,
                affiliation,
                discipline,
                languages,
                offered,
                at,
                ..,
            ] => {
                let id = ClinicianId(self.region.clinicians.len() as u32);
                let facility = *self
                    .facilities
                    .get(at.trim_start_matches('@'))
                    .unwrap_or_else(|| panic!("unknown facility `{at}` in `{line}`"));
                let mut blocks = Vec::new();
                for block in line.split('|').skip(1) {
                    let block: Vec<&str> = block.split_whitespace().collect();
                    let [days, times, kind] = block[..] else {
                        panic!("a block is `DAYS HH:MM-HH:MM KIND`, in `{line}`");
                    };
                    let (start, end) = range(times, line);
                    for day in weekdays(days, line) {
                        blocks.push(Block {
                            day,
                            range: DayRange::new(start, end).expect("end after start"),
                            kind: parse(kind, line),
                        });
                    }
                }
                self.clinicians.insert((*name).to_owned(), id);
                self.region.templates.push(Template {
                    fte: Fte::FULL_TIME,
                    blocks,
                });
                self.region.clinicians.push(Clinician {
                    id,
                    name: (*name).to_owned(),
                    discipline: parse(discipline, line),
                    affiliation: match *affiliation {
                        "internal" => Affiliation::Internal,
                        "network" => Affiliation::Network,
                        other => panic!("`{other}` is not internal or network, in `{line}`"),
                    },
                    languages: languages.split(',').map(|code| parse(code, line)).collect(),
                    modalities: modalities(offered, line),
                    fte: Fte::FULL_TIME,
                    facility,
                    template: TemplateId(id.0),
                });
            }
            ["member", name, language, accepts, "home", lat, lon] => {
                let id = MemberId(self.region.members.len() as u32);
                self.members.insert((*name).to_owned(), id);
                self.region.members.push(Member {
                    id,
                    plan_number: Phi::new(format!("P-{name}")),
                    name: Phi::new((*name).to_owned()),
                    birth_date: Phi::new(jiff::civil::date(1990, 1, 1)),
                    language: parse(language, line),
                    home: Phi::new(
                        GeoPoint::new(parse(lat, line), parse(lon, line)).expect("on the map"),
                    ),
                    accepts: modalities(accepts, line),
                });
            }
            ["leave", name, first, last] => {
                let clinician = self.clinician(name, line);
                self.leave
                    .push((clinician, parse(first, line), parse(last, line)));
            }
            ["booked", name, date, time, minutes] => {
                let clinician = self.clinician(name, line);
                self.booked
                    .push((clinician, instant(date, time, line), parse(minutes, line)));
            }
            _ => panic!("cannot read fixture line `{line}`"),
        }
    }

    fn book(&self) -> Book {
        let horizon = self
            .horizon
            .expect("a `horizon` line before the first request");
        let mut availability = Availability::build(
            &schedules(&self.region, &self.leave),
            horizon,
            self.release_minutes,
        )
        .expect("fixture templates do not overlap");
        for (clinician, start, minutes) in &self.booked {
            availability
                .reserve(*clinician, Minute::from_timestamp(*start), *minutes)
                .unwrap_or_else(|err| panic!("booked {}: {err}", self.name(*clinician)));
        }
        let directory = Directory::new(&self.region, &availability);
        Book {
            availability,
            directory,
        }
    }

    /// `request KIND MEMBER at DATE TIME [now DATE TIME] [treating NAME] [prior DATE TIME]
    /// [prefer DAYS HH:MM-HH:MM]`.
    fn request(&self, words: &[&str], id: u32, line: &str) -> (Request, Timestamp) {
        let ["request", kind, member, options @ ..] = words else {
            panic!("cannot read request `{line}`");
        };
        let mut request = Request {
            id: RequestId(id),
            member: *self
                .members
                .get(*member)
                .unwrap_or_else(|| panic!("unknown member `{member}` in `{line}`")),
            kind: parse::<RequestKind>(kind, line),
            requested: Timestamp::UNIX_EPOCH,
            prior_appointment: None,
            clinical_exception: None,
            treating_clinician: None,
            preferences: Preferences::ANY,
        };
        let mut now = None;
        let mut options = options;
        while let [option, rest @ ..] = options {
            options = match (*option, rest) {
                ("at", [date, time, rest @ ..]) => {
                    request.requested = instant(date, time, line);
                    rest
                }
                ("now", [date, time, rest @ ..]) => {
                    now = Some(instant(date, time, line));
                    rest
                }
                ("prior", [date, time, rest @ ..]) => {
                    request.prior_appointment = Some(instant(date, time, line));
                    rest
                }
                ("treating", [name, rest @ ..]) => {
                    request.treating_clinician = Some(self.clinician(name, line));
                    rest
                }
                ("prefer", [days, times, rest @ ..]) => {
                    let (earliest_start, latest_start) = range(times, line);
                    request.preferences = Preferences {
                        weekdays: WeekdayMask::new(&weekdays(days, line)).expect("some day"),
                        earliest_start,
                        latest_start,
                    };
                    rest
                }
                _ => panic!("cannot read `{option}` in request `{line}`"),
            };
        }
        let now = now.unwrap_or(request.requested);
        (request, now)
    }

    fn render_offer(&self, offer: &Offer) -> String {
        let mut text = format!(
            "{} {} {} {}",
            self.name(offer.clinician),
            offer
                .start
                .to_zoned(los_angeles())
                .strftime("%Y-%m-%d %H:%M"),
            offer.modality.slug(),
            offer.route.slug(),
        );
        match offer.timeliness {
            Timeliness::Met => text.push_str(" met"),
            Timeliness::Late { business_days } => {
                write!(text, " late {business_days}").expect("writing to a String cannot fail")
            }
        }
        if let Some(language) = offer.interpreter {
            write!(text, " interpreter {language}").expect("writing to a String cannot fail");
        }
        if offer.time == FreeKind::UrgentHold {
            text.push_str(" urgent-hold");
        }
        text
    }

    fn render_best(&self, offers: &Offers) -> String {
        let best = offers
            .best()
            .map_or_else(|| "nothing".to_owned(), |offer| self.render_offer(offer));
        match offers.arrangement {
            Some(_) => format!("{best} arrangement"),
            None => best,
        }
    }

    fn render_all(&self, offers: &Offers) -> String {
        let all: Vec<String> = offers
            .offers
            .iter()
            .map(|offer| self.render_offer(offer))
            .collect();
        all.join(" / ")
    }
}

/// Runs a fixture and compares every `expect` and `all` line with what `find` returns.
fn check(fixture: &str) {
    let mut world = World::new();
    let mut book: Option<Book> = None;
    let rules = builtin::rule_set("ca-dmhc").expect("built in");
    let mut last: Option<Offers> = None;
    let mut actual = String::new();
    let mut mismatches = Vec::new();
    let mut n_expectations = 0;
    for (line_idx, line) in fixture.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let rendered = match words.first().copied() {
            None => None,
            Some(word) if word.starts_with('#') => None,
            Some("request") => {
                let book = book.get_or_insert_with(|| world.book());
                let (request, now) = world.request(&words, line_idx as u32, line);
                let context = FindContext {
                    region: &world.region,
                    availability: &book.availability,
                    directory: &book.directory,
                    policy: &world.policy,
                    rules: &rules,
                    closed_to_new: None,
                };
                last = Some(
                    find(&context, &request, now)
                        .unwrap_or_else(|err| panic!("find failed for `{line}`: {err}")),
                );
                None
            }
            Some(kind @ ("expect" | "all")) => {
                let offers = last
                    .as_ref()
                    .unwrap_or_else(|| panic!("`{kind}` before any request"));
                n_expectations += 1;
                let text = match kind {
                    "expect" => world.render_best(offers),
                    _ => world.render_all(offers),
                };
                Some(format!("{kind} {text}"))
            }
            Some("book") => {
                let best = last
                    .as_ref()
                    .and_then(Offers::best)
                    .expect("`book` after a request with an offer");
                let book = book.as_mut().expect("`book` after a request");
                book.availability
                    .reserve(
                        best.clinician,
                        Minute::from_timestamp(best.start),
                        best.length,
                    )
                    .expect("the best offer is free");
                None
            }
            Some(_) => {
                assert!(
                    book.is_none(),
                    "`{line}` must come before the first request"
                );
                world.describe(&words, line);
                None
            }
        };
        let indent = &line[..line.len() - line.trim_start().len()];
        match rendered {
            Some(rendered) if rendered != words.join(" ") => {
                mismatches.push(format!(
                    "line {}:\n  expected: {}\n  actual:   {rendered}",
                    line_idx + 1,
                    line.trim()
                ));
                writeln!(actual, "{indent}{rendered}").expect("writing to a String cannot fail");
            }
            _ => writeln!(actual, "{line}").expect("writing to a String cannot fail"),
        }
    }
    assert!(
        n_expectations > 0,
        "a fixture without `expect` or `all` checks nothing"
    );
    assert!(
        mismatches.is_empty(),
        "{}\n\nthe fixture with the actual lines:\n{actual}",
        mismatches.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Ranking

#[test]
fn continuity_with_the_treating_clinician_when_timely() {
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
clinician cy internal therapist en in-person,video @la | mon-fri 09:00-12:00 direct
clinician ana internal therapist en in-person,video @la | mon-fri 08:00-09:00 protected | wed 13:00-15:00 direct
member m1 en in-person,video home 34.1016 -118.2871

# SB 221: a follow-up within 10 business days of the prior appointment, Monday Nov 24: Nov 25, 26
# (2; Thanksgiving and the day after do not count), Dec 1-5 (7), Dec 8, 9, 10 (10). Ana's first
# time, Wednesday Dec 3 at 13:00, is in time, so she keeps her patient although Cy is free on
# Monday at 09:00 and is listed first, and although Ana herself is at work (protected) at 08:00.
request follow-up m1 at 2025-12-01 08:00 prior 2025-11-24 10:00 treating ana
expect ana 2025-12-03 13:00 in-person continuity met

# Prior appointment on Friday Nov 14: Nov 17-21 (5), Nov 24-26 (8), Dec 1, 2 (10). The last day is
# Tuesday Dec 2, before Ana's Wednesday: the earliest timely internal clinician instead, Cy.
request follow-up m1 at 2025-12-01 08:00 prior 2025-11-14 10:00 treating ana
expect cy 2025-12-01 09:00 in-person internal met
",
    );
}

#[test]
fn network_only_when_no_internal_clinician_is_timely() {
    // An initial request on Monday Dec 1 has 10 business days: Dec 2-5 (4), Dec 8-12 (9), Dec 15
    // (10). Ben, a network provider, can see the member by video on Thursday Dec 4.
    let region = "
horizon 2025-12-01 2026-01-09
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | mon-fri 09:00-12:00 direct
clinician ben network therapist en video @la | thu 14:00-15:00 direct
member m1 en in-person,video home 34.1016 -118.2871
";
    // Ana is on leave through Tuesday Dec 16: her first time, Wednesday Dec 17, is late.
    check(&format!(
        "{region}
leave ana 2025-12-01 2025-12-16
request initial m1 at 2025-12-01 08:00
expect ben 2025-12-04 14:00 video network met
"
    ));
    // Back on Wednesday Dec 10, Ana is in time and comes before Ben's earlier Thursday.
    check(&format!(
        "{region}
leave ana 2025-12-01 2025-12-09
request initial m1 at 2025-12-01 08:00
expect ana 2025-12-10 09:00 in-person internal met
"
    ));
}

#[test]
fn out_of_network_arrangement_when_nobody_is_timely() {
    check(
        "
horizon 2025-12-01 2026-01-09
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | fri 09:00-12:00 direct
clinician ben network therapist en video @la | mon 13:00-14:00 direct
member m1 en in-person,video home 34.1016 -118.2871
leave ana 2025-12-01 2025-12-19
leave ben 2025-12-01 2026-01-02

# Initial request on Monday Dec 1: the last day is Monday Dec 15. Ana's Fridays Dec 5, 12 and 19
# fall in her leave, so her first time is Friday Dec 26; Ben is away until Monday Jan 5. Nobody
# in network is in time: the earliest start anywhere, with an arrangement. Late by the business
# days after Monday Dec 15 up to Friday Dec 26: Dec 16-19 (4), Dec 22, 23, 24 (7), not Christmas
# Day, Dec 26 (8).
request initial m1 at 2025-12-01 08:00
expect ana 2025-12-26 09:00 in-person internal late 8 arrangement
all ana 2025-12-26 09:00 in-person internal late 8 / ben 2026-01-05 13:00 video network late 13
",
    );
    // Ben's Monday Jan 5: Dec 16-19 (4), Dec 22-24 (7), Dec 26 (8), Dec 29-31 (11), not New Year's
    // Day, Jan 2 (12), Jan 5 (13).
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | thu 13:00-14:00 direct
member m1 en in-person,video home 34.1016 -118.2871

# Urgent care within 48 hours: from Tuesday Dec 2 at 10:00, before Thursday Dec 4 at 10:00. Ana's
# Thursday 13:00 is later that same day: late by 0 business days.
request urgent m1 at 2025-12-02 10:00
expect ana 2025-12-04 13:00 in-person internal late 0 arrangement

# From Friday Dec 5 at 16:00, before Sunday Dec 7 at 16:00. Thursday Dec 11 is 4 business days
# after that Sunday (Dec 8, 9, 10, 11).
request urgent m1 at 2025-12-05 16:00
expect ana 2025-12-11 13:00 in-person internal late 4 arrangement
",
    );
}

#[test]
fn a_spanish_speaker_gets_a_spanish_speaking_clinician_or_an_interpreter() {
    // The last day for an initial request on Monday Dec 1 is Monday Dec 15.
    let region = "
horizon 2025-12-01 2026-01-16
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | mon-fri 09:00-12:00 direct
clinician rosa internal therapist es,en in-person,video @la | thu 14:00-16:00 direct
clinician lupe network therapist es video @la | tue 10:00-11:00 direct
member maria es in-person,video home 34.1016 -118.2871
";
    // Rosa speaks Spanish and is free on Thursday Dec 4, in time: she comes before Ana, who is free
    // earlier and listed first.
    check(&format!(
        "{region}
request initial maria at 2025-12-01 08:00
expect rosa 2025-12-04 14:00 in-person internal met
"
    ));
    // Rosa on leave through December; her next Thursday, January 1, is New Year's Day, so January 8
    // is late. Internal care in time comes before network care, so Ana with an interpreter on
    // Monday at 09:00 comes before Lupe, a network provider who speaks Spanish, on Tuesday.
    check(&format!(
        "{region}
leave rosa 2025-12-01 2025-12-31
request initial maria at 2025-12-01 08:00
expect ana 2025-12-01 09:00 in-person internal met interpreter es
"
    ));
    // Ana away too: no internal clinician in time, so Lupe by video, in Spanish.
    check(&format!(
        "{region}
leave rosa 2025-12-01 2025-12-31
leave ana 2025-12-01 2025-12-31
request initial maria at 2025-12-01 08:00
expect lupe 2025-12-02 10:00 video network met
"
    ));
}

// ---------------------------------------------------------------------------------------------
// Hard filters

#[test]
fn urgent_hold_time_is_for_urgent_requests_until_it_is_released() {
    check(
        "
horizon 2025-12-01 2025-12-31
release 24h
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | wed 15:00-16:00 urgent-hold | fri 09:00-12:00 direct
member m1 en in-person,video home 34.1016 -118.2871

# Urgent on Tuesday Dec 2 at 09:00: within 48 hours, before Thursday Dec 4 at 09:00. Ana's urgent
# hold on Wednesday Dec 3 at 15:00 is for this.
request urgent m1 at 2025-12-02 09:00
expect ana 2025-12-03 15:00 in-person internal met urgent-hold

# A routine request at the same moment may not use the hold, which opens to everyone 24 hours
# before it starts (Tuesday Dec 2 at 15:00): Ana's next direct time, Friday Dec 5 at 09:00, is
# within the initial request's 10 business days (last day Tuesday Dec 16).
request initial m1 at 2025-12-02 09:00
expect ana 2025-12-05 09:00 in-person internal met

# A minute before the release the hold is still held; at the release it is open.
request initial m1 at 2025-12-02 09:00 now 2025-12-02 14:59
expect ana 2025-12-05 09:00 in-person internal met
request initial m1 at 2025-12-02 09:00 now 2025-12-02 15:00
expect ana 2025-12-03 15:00 in-person internal met urgent-hold

# Once that is booked, the hold is taken: Friday again.
book
request initial m1 at 2025-12-02 09:00 now 2025-12-02 15:00
expect ana 2025-12-05 09:00 in-person internal met
",
    );
}

#[test]
fn psychiatry_goes_to_psychiatrists_and_therapy_to_non_physicians() {
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | mon-fri 10:00-12:00 direct
clinician drp internal psychiatrist en in-person,video @la | mon-fri 08:00-09:00 direct
clinician nps network psychiatrist en video @la | mon 07:00-08:00 direct
member m1 en in-person,video home 34.1016 -118.2871

# A psychiatry request (15 business days) goes to a psychiatrist: Dr. P at 08:00, not Ana, who is
# listed first; and the internal psychiatrist in time before the network one free at 07:00.
request psychiatry m1 at 2025-12-01 07:00
expect drp 2025-12-01 08:00 in-person internal met

# An initial request goes to a non-physician: Ana at 10:00, though both psychiatrists are free
# earlier.
request initial m1 at 2025-12-01 07:00
expect ana 2025-12-01 10:00 in-person internal met
",
    );
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | mon-fri 10:00-12:00 direct
member m1 en in-person,video home 34.1016 -118.2871

# No psychiatrist in the region: nobody can take a psychiatry request.
request psychiatry m1 at 2025-12-01 07:00
expect nothing arrangement
",
    );
}

#[test]
fn in_person_care_only_within_the_travel_distance() {
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
facility westla 34.0335 -118.3776
clinician ana internal therapist en in-person @la | mon-fri 09:00-12:00 direct
clinician ben internal therapist en in-person,video @westla | tue 09:00-10:00 direct
member fresno en in-person home 36.7378 -119.7871
member fresno-video en in-person,video home 36.7378 -119.7871
member longbeach en in-person,video home 33.7701 -118.1937

# Fresno is about 300 km from both facilities, far beyond the 24 km limit: a member who only
# accepts in-person care gets no offer at all.
request initial fresno at 2025-12-01 08:00
expect nothing arrangement

# Accepting video, the same member sees Ben by video; Ana sees people only in person.
request initial fresno-video at 2025-12-01 08:00
expect ben 2025-12-02 09:00 video internal met

# Long Beach is about 37 km from Los Angeles: Ben by video again, not Ana in person on Monday.
request initial longbeach at 2025-12-01 08:00
expect ben 2025-12-02 09:00 video internal met

# With Ana, whom the member already sees in person, the travel limit does not apply.
request follow-up longbeach at 2025-12-01 08:00 prior 2025-11-24 10:00 treating ana
expect ana 2025-12-01 09:00 in-person continuity met
",
    );
}

#[test]
fn preferred_days_and_times_are_respected() {
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | mon-fri 09:00-12:00 direct | mon-fri 13:00-17:00 direct
member m1 en in-person,video home 34.1016 -118.2871
booked ana 2025-12-02 09:00 120

# Ana is free from Monday at 09:00, but the member can come only on Tuesday mornings, starting by
# 11:00. Tuesday Dec 2 from 09:00 to 11:00 is booked, and 11:00 is the last start they accept.
request initial m1 at 2025-12-01 08:00 prefer tue 08:00-11:00
expect ana 2025-12-02 11:00 in-person internal met

# Starting by 10:45, the next Tuesday, Dec 9, at 09:00.
request initial m1 at 2025-12-01 08:00 prefer tue 08:00-10:45
expect ana 2025-12-09 09:00 in-person internal met
",
    );
}

// ---------------------------------------------------------------------------------------------
// The calendar

#[test]
fn no_offers_on_holidays_or_closures() {
    // Requested on Wednesday Nov 26 (day 0): Dec 1-5 (5), Dec 8-12 (10), so the last day is Friday
    // Dec 12. Thanksgiving (Thursday Nov 27) and the day after are California state holidays: Ana's
    // first Thursday or Friday is Thursday Dec 4.
    let region = "
horizon 2025-11-24 2025-12-12
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | thu-fri 09:00-12:00 direct
member m1 en in-person,video home 34.1016 -118.2871
";
    check(&format!(
        "{region}
request initial m1 at 2025-11-26 08:00
expect ana 2025-12-04 09:00 in-person internal met
all ana 2025-12-04 09:00 in-person internal met
"
    ));
    // The clinic also closed on Thursday Dec 4: Friday Dec 5.
    check(&format!(
        "{}
request initial m1 at 2025-11-26 08:00
expect ana 2025-12-05 09:00 in-person internal met
",
        region.replace("-118.2930", "-118.2930 closed 2025-12-04")
    ));
}

#[test]
fn template_times_and_deadlines_across_the_fall_dst_change() {
    check(
        "
horizon 2025-10-27 2025-11-14
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | mon 09:00-10:00 direct | sun 09:00-10:00 urgent-hold
member m1 en in-person,video home 34.1016 -118.2871

# Requested on Friday Oct 31 (PDT); clocks go back on Sunday Nov 2. Ana's Monday block stays at
# 09:00 local time, now PST.
request initial m1 at 2025-10-31 12:00
expect ana 2025-11-03 09:00 in-person internal met

# Urgent on Friday at 09:30 PDT: 48 real hours end on Sunday at 08:30 PST, an hour earlier on the
# wall clock. Ana's Sunday urgent hold at 09:00 misses that by half an hour, on the deadline's own
# day: late by 0 business days.
request urgent m1 at 2025-10-31 09:30
expect ana 2025-11-02 09:00 in-person internal late 0 urgent-hold arrangement
",
    );
}

#[test]
fn a_weekly_follow_up_keeps_its_wall_time_across_the_dst_week() {
    check(
        "
horizon 2025-10-27 2025-11-21
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | tue 09:00-10:00 direct
clinician bo internal therapist en in-person,video @la | mon-fri 08:00-09:00 direct
member m1 en in-person,video home 34.1016 -118.2871
booked ana 2025-10-28 09:00 60

# The session on Tuesday Oct 28 at 09:00 PDT; the follow-up is asked for after it. Clocks go back
# on Sunday Nov 2. SB 221: 10 business days after Oct 28 are Oct 29-31, Nov 3-7, 10 and (Nov 11
# being Veterans Day) Nov 12. Ana's next Tuesday is Nov 4, still 09:00 on the wall clock (17:00Z,
# not 16:00Z), and continuity wins over Bo's earlier Wednesday 08:00.
request follow-up m1 at 2025-10-28 10:00 treating ana prior 2025-10-28 09:00
expect ana 2025-11-04 09:00 in-person continuity met
",
    );
}

// ---------------------------------------------------------------------------------------------
// Edge cases the oracle found (each was once wrong in `find`)

#[test]
fn a_follow_up_goes_to_a_non_physician_even_when_a_psychiatrist_treats_the_member() {
    // "Other requests go to non-physician mental health clinicians": the treating psychiatrist
    // cannot take a follow-up; Ana can, on Thursday Dec 4 (last day Wednesday Dec 10).
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | thu 09:00-10:00 direct
clinician drp internal psychiatrist en in-person,video @la | mon 09:00-10:00 direct
member m1 en in-person,video home 34.1016 -118.2871
request follow-up m1 at 2025-12-01 08:00 prior 2025-11-24 10:00 treating drp
expect ana 2025-12-04 09:00 in-person internal met
",
    );
}

#[test]
fn late_offers_that_start_together_go_internal_before_network() {
    // Both on leave until Friday Dec 26, late by 8 business days (as in the arrangement test).
    // "Past the deadline, the earliest start wins, ties going to continuity, then internal, then
    // network": Ana (internal) although Ben, the network provider, has the lower id.
    check(
        "
horizon 2025-12-01 2026-01-09
facility la 34.0983 -118.2930
clinician ben network therapist en in-person,video @la | fri 09:00-10:00 direct
clinician ana internal therapist en in-person,video @la | fri 09:00-10:00 direct
member m1 en in-person,video home 34.1016 -118.2871
leave ben 2025-12-01 2025-12-19
leave ana 2025-12-01 2025-12-19
request initial m1 at 2025-12-01 08:00
expect ana 2025-12-26 09:00 in-person internal late 8 arrangement
",
    );
}

#[test]
fn a_clinician_is_offered_once_for_one_start() {
    // Urgent from Monday Dec 1 at 09:00: before Wednesday Dec 3 at 09:00. Friday Dec 5 is 2
    // business days after Wednesday. Ana treats the member; Bo is free at the same time. Each of
    // them is offered once.
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
clinician ana network therapist en in-person,video @la | fri 09:00-10:00 direct
clinician bo internal therapist en in-person,video @la | fri 09:00-10:00 direct
member m1 en in-person,video home 34.1016 -118.2871
request urgent m1 at 2025-12-01 09:00 treating ana
all ana 2025-12-05 09:00 in-person continuity late 2 / bo 2025-12-05 09:00 in-person internal late 2
",
    );
}

#[test]
fn a_start_that_has_passed_is_not_offered() {
    // At 09:00:30 the 09:00 start has passed: the first start is 09:15.
    check(
        "
horizon 2025-12-01 2025-12-31
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | mon-fri 09:00-12:00 direct
member m1 en in-person,video home 34.1016 -118.2871
request initial m1 at 2025-12-01 08:00 now 2025-12-01 09:00:30
expect ana 2025-12-01 09:15 in-person internal met
",
    );
}

#[test]
fn without_interpreters_only_clinicians_who_speak_the_language() {
    // "Only clinicians who speak the member's language" (Interpreters::Unavailable), the treating
    // clinician included: Rosa on Wednesday Dec 3 (last day Wednesday Dec 10), not Ana.
    check(
        "
horizon 2025-12-01 2025-12-31
interpreters unavailable
facility la 34.0983 -118.2930
clinician ana internal therapist en in-person,video @la | mon 09:00-10:00 direct
clinician rosa internal therapist es in-person,video @la | wed 09:00-10:00 direct
member maria es in-person,video home 34.1016 -118.2871
request follow-up maria at 2025-12-01 08:00 prior 2025-11-24 10:00 treating ana
expect rosa 2025-12-03 09:00 in-person internal met
",
    );
}
