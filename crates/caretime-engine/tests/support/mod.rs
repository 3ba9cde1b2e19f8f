//! A small test region shared by the engine's book and episode suites.

#![allow(dead_code, unreachable_pub)]

use caretime_core::calendar::{BusinessCalendar, WeekdayMask};
use caretime_core::files::builtin;
use caretime_core::id::{ClinicianId, FacilityId, MemberId, RegionId, RequestId, TemplateId};
use caretime_core::phi::Phi;
use caretime_core::region::{
    Affiliation, Clinician, Discipline, Facility, Fte, GeoPoint, Language, Member, Modality,
    ModalitySet, Region,
};
use caretime_core::request::{Preferences, Request, RequestKind};
use caretime_core::rules::RuleSet;
use caretime_core::template::{Block, BlockKind, DayRange, Template, WeeklyHours};
use jiff::Timestamp;
use jiff::civil::{Weekday, date};
use jiff::tz::TimeZone;

pub fn range(start: &str, end: &str) -> DayRange {
    DayRange::new(start.parse().expect("time"), end.parse().expect("time")).expect("range")
}

/// Each weekday: 09:00-10:00 direct, 10:00-11:00 protected, 11:00-12:00 urgent hold, 13:00-14:30
/// group.
pub fn template() -> Template {
    let days = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];
    let blocks = days
        .iter()
        .flat_map(|&day| {
            [
                ("09:00", "10:00", BlockKind::Direct),
                ("10:00", "11:00", BlockKind::Protected),
                ("11:00", "12:00", BlockKind::UrgentHold),
                ("13:00", "14:30", BlockKind::Group),
            ]
            .map(|(start, end, kind)| Block {
                day,
                range: range(start, end),
                kind,
            })
        })
        .collect();
    Template {
        fte: Fte::FULL_TIME,
        blocks,
    }
}

/// One Los Angeles clinic with two internal therapists (clinician-1 speaks Spanish) and one
/// network therapist; member-0 speaks English, member-1 Spanish; both accept every modality.
pub fn region() -> Region {
    let zone = TimeZone::get("America/Los_Angeles").expect("bundled zone");
    let la = GeoPoint::new(34.0983, -118.2930).expect("valid");
    let clinician = |id: u32, affiliation, languages: Vec<Language>| Clinician {
        id: ClinicianId(id),
        name: format!("Clinician {id}"),
        discipline: Discipline::Therapist,
        affiliation,
        languages,
        modalities: ModalitySet::ALL,
        fte: Fte::FULL_TIME,
        facility: FacilityId(0),
        template: TemplateId(0),
    };
    let member = |id: u32, language| Member {
        id: MemberId(id),
        plan_number: Phi::new(format!("SC{id:09}")),
        name: Phi::new(format!("Test Member {id}")),
        birth_date: Phi::new(date(1980, 1, 1)),
        language,
        home: Phi::new(la),
        accepts: ModalitySet::of(&[Modality::InPerson, Modality::Video, Modality::Phone]),
    };
    Region {
        id: RegionId(0),
        name: "Test".to_owned(),
        facilities: vec![Facility {
            id: FacilityId(0),
            name: "Los Angeles Medical Center".to_owned(),
            address: "4867 Sunset Blvd".to_owned(),
            location: la,
            time_zone: zone,
            hours: WeeklyHours::weekdays(range("08:00", "18:00")),
            calendar: BusinessCalendar::new(
                WeekdayMask::MONDAY_TO_FRIDAY,
                builtin::holiday_calendar("california-state").expect("built in"),
            ),
        }],
        clinicians: vec![
            clinician(0, Affiliation::Internal, vec![Language::ENGLISH]),
            clinician(
                1,
                Affiliation::Internal,
                vec![Language::ENGLISH, Language::SPANISH],
            ),
            clinician(2, Affiliation::Network, vec![Language::ENGLISH]),
        ],
        members: vec![member(0, Language::ENGLISH), member(1, Language::SPANISH)],
        templates: vec![template()],
    }
}

/// The DMHC rule set, loaded once (offers borrow its names, so tests keep it for good).
pub fn rules() -> &'static RuleSet {
    static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
    RULES.get_or_init(|| builtin::rule_set("ca-dmhc").expect("built in"))
}

pub fn at(text: &str) -> Timestamp {
    text.parse().expect("valid instant")
}

pub fn request(id: u32, member: u32, kind: RequestKind, requested: &str) -> Request {
    Request {
        id: RequestId(id),
        member: MemberId(member),
        kind,
        requested: at(requested),
        prior_appointment: None,
        clinical_exception: None,
        treating_clinician: None,
        preferences: Preferences::ANY,
    }
}

/// Books `member`'s initial visit (request `id`, asked at `asked`) with `clinician` at `start`, a
/// time the member chose over the find's best offer; the new appointment's id.
pub fn book_chosen(
    book: &mut caretime_engine::book::Book,
    region: &Region,
    (id, member): (u32, u32),
    clinician: u32,
    start: &str,
    asked: &str,
) -> caretime_core::id::AppointmentId {
    use caretime_engine::book::{Choice, Outcome, Take, TakeOffer};
    let request = request(id, member, RequestKind::Initial, asked);
    let offers = book
        .find(region, rules(), &request, at(asked))
        .expect("find works");
    let offer = offers.best().expect("an offer").clone();
    let decision = book.decide_take(
        region,
        &TakeOffer {
            request: &request,
            offers: &offers,
            offer: &offer,
            choice: Some(Choice {
                clinician: ClinicianId(clinician),
                start: at(start),
            }),
            take: Take::Book,
        },
        at(asked),
    );
    match decision {
        Outcome::Accepted(changes) => book.apply(&changes).expect("decided on this book"),
        Outcome::Refused(refusals) => panic!("refused: {refusals:?}"),
    }
    caretime_core::id::AppointmentId(book.appointment_count() as u32 - 1)
}
