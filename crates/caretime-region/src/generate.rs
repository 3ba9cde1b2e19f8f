//! The synthetic region generator: a whole region (facilities, templates, clinicians, members)
//! from a few parameters and a seed.
//!
//! [`RegionParams`] says how big the region is and what it looks like: members, the staffing
//! ratios, the network, the counties members live in, the language mix. [`RegionParams::socal`]
//! is the region of the default scenario, `socal-2024` (Kaiser Permanente Southern California as the
//! public reports of 2024 describe it), at any scale. [`generate`] turns parameters into a
//! [`Region`].
//!
//! Geography is coarse on purpose: members' homes, generated clinics and network offices are
//! scattered about county centres in proportion to the counties' populations, and each internal
//! facility gets therapists and psychiatrists in proportion to the members it is nearest to (so
//! local supply follows local demand). Internal clinicians work their contract's standard
//! template; network providers give the plan a few one-hour direct blocks a week.
//!
//! The region is deterministic: the same parameters give the same region, field for field, on
//! every machine. Every draw comes from ChaCha8 seeded with [`RegionParams::seed`], one stream per
//! table (facilities, members, internal clinicians, network), so changing the network does not
//! reshuffle the members. Only raw 64-bit words are taken from the stream; this module turns them
//! into numbers itself with integer arithmetic and IEEE basic operations, never `rand`'s
//! distributions (whose values may change between versions) nor `sin`/`ln` (whose last bit may
//! differ between platforms).
//!
//! Members' names, plan numbers, birth dates and homes are synthetic but are handled as PHI like
//! real ones: they are wrapped in [`Phi`] and never printed.

use std::collections::BTreeMap;

use caretime_core::calendar::{BusinessCalendar, HolidayCalendar, WeekdayMask};
use caretime_core::contract::Contract;
use caretime_core::files::builtin;
use caretime_hint::huge_pages;

use crate::draws::Draws;
use caretime_core::id::{ClinicianId, FacilityId, MemberId, RegionId, TemplateId};
use caretime_core::phi::Phi;
use caretime_core::quote::quote;
use caretime_core::region::{
    Affiliation, Clinician, Discipline, Facility, Fte, GeoPoint, Language, Member, Modality,
    ModalitySet, Region,
};
use caretime_core::template::{
    Block, BlockKind, DayRange, Template, WeeklyHours, check_template, standard_template,
};
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

/// Parameters that the generator rejects.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GenerateError {
    /// A scale that is zero, negative, infinite or not a number.
    #[error("scale must be a finite number above 0 (got {0})")]
    Scale(f64),
    /// A ratio or count that must be at least 1.
    #[error("{0} must be at least 1")]
    Zero(&'static str),
    /// Fewer members per clinician than [`MIN_MEMBERS_PER_CLINICIAN`].
    #[error("{name} must be at least {MIN_MEMBERS_PER_CLINICIAN} (got {value})")]
    Ratio {
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: u32,
    },
    /// More entries than a region may hold ([`Region::MAX_MEMBERS`] and the like).
    #[error("{what}: {count} is more than the {limit} a region may hold in memory")]
    TooMany {
        /// Which table.
        what: &'static str,
        /// How many the parameters ask for.
        count: u64,
        /// The most there may be.
        limit: u64,
    },
    /// A contract that is not built in.
    #[error("unknown contract `{}`", quote(.0))]
    UnknownContract(String),
    /// A holiday calendar that is not built in.
    #[error("unknown holiday calendar `{}` (expected a built-in calendar or none)", quote(.0))]
    UnknownCalendar(String),
    /// A time zone that is not an IANA name.
    #[error(
        "unknown time zone `{}` (expected an IANA name such as America/Los_Angeles)",
        quote(.0)
    )]
    UnknownTimeZone(String),
    /// A network capacity that does not fit a weekday week of one-hour blocks.
    #[error(
        "network_hours_per_week must be 1 to {max} (one-hour blocks on weekdays 08:00-18:00, at most a full-time week; got {hours})"
    )]
    NetworkHours {
        /// The hours asked for.
        hours: u32,
        /// The most allowed.
        max: u32,
    },
    /// A list of weighted choices with no positive weight.
    #[error("{0} needs at least one entry with a weight above 0")]
    NoWeight(&'static str),
    /// Psychiatrists among the internal non-physician disciplines.
    #[error(
        "internal_disciplines must not list psychiatrist: internal psychiatrists come from members_per_psychiatrist"
    )]
    PsychiatristInMix,
    /// A share outside 0 to 1.
    #[error("{field} must be a share from 0 to 1 (got {value})")]
    Share {
        /// The parameter.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A spread that is negative or not a number.
    #[error("{what} must be a finite distance of 0 km or more (got {value})")]
    Spread {
        /// Which spread.
        what: String,
        /// Its value.
        value: f64,
    },
    /// A named facility in a county that is not in the list.
    #[error(
        "named facility `{}` is in county #{county}, which the county list lacks",
        quote(facility)
    )]
    UnknownCounty {
        /// The facility's name.
        facility: String,
        /// The county index it gives.
        county: usize,
    },
    /// Birth years out of order or out of the calendar's range.
    #[error("birth_years must be two years in order within 1800-2200 (got {0}-{1})")]
    BirthYears(i16, i16),
    /// The contract's standard template does not fit the facilities' opening hours.
    #[error(
        "the standard template of contract `{contract}` at {fte} FTE does not fit facility hours 08:00-18:00: {reason}"
    )]
    TemplateDoesNotFit {
        /// The contract.
        contract: String,
        /// The FTE.
        fte: Fte,
        /// The first violation.
        reason: String,
    },
}

/// A county members live in: where its people are and how many.
#[derive(Clone, Debug, PartialEq)]
pub struct County {
    /// Its name without "County" ("Los Angeles").
    pub name: String,
    /// Its population; members are drawn in proportion to it.
    pub population: u64,
    /// Roughly where its people are.
    pub centre: GeoPoint,
    /// How far from the centre its people live: the standard deviation, in km, of a member's,
    /// clinic's or office's distance from the centre along each axis.
    pub spread_km: f64,
}

/// A facility named in the public reports, placed before the generated ones.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedFacility {
    /// Its public name.
    pub name: String,
    /// Its street address as reported.
    pub address: String,
    /// Where it is.
    pub location: GeoPoint,
    /// Its county, as an index into [`RegionParams::counties`].
    pub county: usize,
}

/// Everything that shapes a generated region. Counts are at full scale; [`RegionParams::scale`]
/// multiplies them.
#[derive(Clone, Debug, PartialEq)]
pub struct RegionParams {
    /// The region's name.
    pub name: String,
    /// Multiplies members, network providers and facilities (and so the internal clinicians, who
    /// follow the members); above 0.
    pub scale: f64,
    /// Seeds every draw.
    pub seed: u64,
    /// Members at full scale.
    pub members: u64,
    /// Members per internal non-physician clinician (therapist, social worker, psychologist,
    /// psychiatric nurse); the count is rounded up.
    pub members_per_therapist: u32,
    /// Members per internal psychiatrist; the count is rounded up.
    pub members_per_psychiatrist: u32,
    /// The contract whose standard template every internal clinician works (a built-in name).
    pub internal_contract: String,
    /// Relative weights of the internal non-physician disciplines (no psychiatrist).
    pub internal_disciplines: Vec<(Discipline, u32)>,
    /// Relative weights of internal clinicians' FTEs.
    pub internal_fte: Vec<(Fte, u32)>,
    /// Share of internal non-physician clinicians who run a weekly group: their standard
    /// template turns [`GROUP_MINUTES`] of Wednesday afternoon's direct time into group time.
    pub group_facilitator_share: f64,
    /// Internal facilities at full scale, named ones included; at least 1 at any scale.
    pub internal_facilities: u32,
    /// Facilities named in the public reports, used first and in order.
    pub named_facilities: Vec<NamedFacility>,
    /// Network (external) providers at full scale.
    pub network_providers: u32,
    /// Hours a week each network provider gives the plan's members, as one-hour direct blocks.
    pub network_hours_per_week: u32,
    /// Relative weights of network providers' disciplines.
    pub network_disciplines: Vec<(Discipline, u32)>,
    /// Share of network providers who also offer video (all offer in-person).
    pub network_video_share: f64,
    /// Network providers per network office.
    pub providers_per_network_office: u32,
    /// Where members and network offices are.
    pub counties: Vec<County>,
    /// The IANA zone of every facility.
    pub time_zone: String,
    /// The holiday calendar of internal facilities (a built-in name or `none`).
    pub internal_calendar: String,
    /// The holiday calendar of network offices (a built-in name or `none`).
    pub network_calendar: String,
    /// Relative weights of members' preferred languages.
    pub member_languages: Vec<(Language, u32)>,
    /// Share of clinicians (all speak English) who also conduct therapy in Spanish.
    pub clinician_spanish_share: f64,
    /// Share of clinicians who also conduct therapy in one of the members' other languages
    /// (neither English nor Spanish), drawn by the members' weights.
    pub clinician_other_language_share: f64,
    /// Share of members who accept video visits (all accept in-person).
    pub member_video_share: f64,
    /// Share of members who accept phone visits.
    pub member_phone_share: f64,
    /// Members' birth dates are uniform over these years, inclusive.
    pub birth_years: (i16, i16),
    /// Plan numbers are this prefix and nine digits.
    pub plan_number_prefix: String,
}

/// The table sizes a set of parameters gives at its scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionCounts {
    /// Members.
    pub members: u32,
    /// Internal non-physician clinicians.
    pub therapists: u32,
    /// Internal psychiatrists.
    pub psychiatrists: u32,
    /// Network providers.
    pub network_providers: u32,
    /// Internal facilities.
    pub internal_facilities: u32,
    /// Network offices (facilities of the network providers).
    pub network_offices: u32,
}

/// How many distinct plan numbers there are: nine digits.
const PLAN_NUMBERS: u64 = 1_000_000_000;

/// The fewest members per internal clinician (therapist or psychiatrist) a region may be staffed
/// at. Plans staff one therapist per 1,000 to 5,000 members; below 100 the clinicians outnumber
/// any caseload, and a simulation's work (requests, which follow members, times the clinicians
/// each searches) grows with the square of the region for no case worth running.
pub const MIN_MEMBERS_PER_CLINICIAN: u32 = 100;

/// Facilities open, and network providers see plan members, on weekdays within these hours.
const OPENING_HOURS: (i8, i8) = (8, 18);

/// The one-hour slots a network provider may give the plan: 5 weekdays of 10 opening hours.
const NETWORK_SLOTS: u32 = 5 * (OPENING_HOURS.1 - OPENING_HOURS.0) as u32;

/// Kilometres per degree of latitude (the 6371 km mean radius that `GeoPoint::distance_km` uses).
const KM_PER_DEGREE: f64 = 6371.0 * std::f64::consts::PI / 180.0;

fn point(lat: f64, lon: f64) -> GeoPoint {
    GeoPoint::new(lat, lon).expect("the preset's coordinates are within ±90 and ±180")
}

fn language(code: &str) -> Language {
    code.parse()
        .expect("the preset's languages are lowercase ISO 639 codes")
}

fn fte(hundredths: u16) -> Fte {
    Fte::from_hundredths(hundredths).expect("the preset's FTEs are 1 to 100 hundredths")
}

impl RegionParams {
    /// The region of the `socal-2024` scenario at `scale` (1.0 = 4.8 million members).
    ///
    /// Facts carry their source; everything else is marked as an assumption.
    pub fn socal(scale: f64, seed: u64) -> RegionParams {
        // County populations: 2020 Census counts (Kern's 909,235 as republished by the USA TODAY
        // Network, 2021-08-14; the others from the Census Bureau's 2020 redistricting data).
        // Centres and spreads are assumptions: rough centres of each county's population and
        // how far it reaches (Riverside's and San Bernardino's people live mostly in their
        // western valleys, not at the geographic centre of the county).
        let counties = [
            ("Los Angeles", 10_014_009, 34.05, -118.25, 22.0),
            ("Orange", 3_186_989, 33.74, -117.87, 12.0),
            ("Riverside", 2_418_185, 33.90, -117.30, 25.0),
            ("San Bernardino", 2_181_654, 34.08, -117.35, 20.0),
            ("San Diego", 3_298_634, 32.85, -117.10, 18.0),
            ("Kern", 909_235, 35.37, -119.02, 15.0),
        ]
        .map(|(name, population, lat, lon, spread_km)| County {
            name: name.to_owned(),
            population,
            centre: point(lat, lon),
            spread_km,
        });
        // The facilities the public reports of the dispute name. Addresses of Los
        // Angeles MC (4867 W Sunset Blvd), West Los Angeles MC, Anaheim MC, Fontana MC and San
        // Diego MC are those NUHW gave for its picket lines (press releases of 2024-10-21 and of
        // the statewide strike); Bakersfield's is as the reports give it, not re-checked; the
        // reports give no street address for Hollywood and Panorama City. Coordinates are
        // approximate (read off a map to about 100 m), an assumption.
        let named = [
            (
                "Los Angeles Medical Center",
                "4867 W Sunset Blvd, Los Angeles, CA",
                34.0983,
                -118.2930,
                0,
            ),
            (
                "Hollywood",
                "Hollywood, Los Angeles, CA",
                34.1016,
                -118.3267,
                0,
            ),
            (
                "Panorama City",
                "Panorama City, Los Angeles, CA",
                34.2253,
                -118.4487,
                0,
            ),
            (
                "West Los Angeles Medical Center",
                "6041 Cadillac Ave, Los Angeles, CA",
                34.0335,
                -118.3776,
                0,
            ),
            (
                "Anaheim Medical Center",
                "3440 E La Palma Ave, Anaheim, CA",
                33.8560,
                -117.8435,
                1,
            ),
            (
                "Fontana Medical Center",
                "9961 Sierra Ave, Fontana, CA",
                34.0739,
                -117.4350,
                3,
            ),
            (
                "San Diego Medical Center",
                "9455 Clairemont Mesa Blvd, San Diego, CA",
                32.8337,
                -117.1218,
                4,
            ),
            (
                "Bakersfield mental health offices",
                "4900 California Ave, Bakersfield, CA",
                35.3579,
                -119.0637,
                5,
            ),
        ]
        .map(|(name, address, lat, lon, county)| NamedFacility {
            name: name.to_owned(),
            address: address.to_owned(),
            location: point(lat, lon),
            county,
        });
        RegionParams {
            name: "Southern California".to_owned(),
            scale,
            seed,
            // Kaiser Permanente Southern California's 4.8 million members (NUHW press releases,
            // October 2024).
            members: 4_800_000,
            // The union's reported Southern California ratio, one therapist per 3,000 members
            // (NUHW, 2024).
            members_per_therapist: 3_000,
            // Assumption: one psychiatrist per 20,000 members.
            members_per_psychiatrist: 20_000,
            // The 2025 settlement: 5 protected hours per full-time week (contracts/socal-2025).
            internal_contract: "socal-2025".to_owned(),
            // Assumption: the split of the ~2,400 represented psychologists, social workers,
            // psychiatric nurses and marriage and family therapists (NUHW lists the disciplines,
            // not the numbers).
            internal_disciplines: vec![
                (Discipline::Therapist, 45),
                (Discipline::SocialWorker, 35),
                (Discipline::Psychologist, 15),
                (Discipline::PsychiatricNurse, 5),
            ],
            // Assumption: most clinicians full time, some at 0.8 and 0.5.
            internal_fte: vec![(fte(100), 80), (fte(80), 12), (fte(50), 8)],
            // No group time unless a scenario asks for it (groups are the simulator's; a region
            // generated for the other commands keeps every direct hour).
            group_facilitator_share: 0.0,
            // Assumption: about 40 internal sites with mental health offices, "from San Diego to
            // Bakersfield" (NUHW).
            internal_facilities: 40,
            named_facilities: named.to_vec(),
            // "An extensive, high-quality network of 13,000 therapists across Southern
            // California" (Kaiser Permanente, statement during the 2024-25 strike).
            network_providers: 13_000,
            // Assumption: each network provider gives the plan two hours a week.
            network_hours_per_week: 2,
            // Assumption: about 8 % of network providers are psychiatrists.
            network_disciplines: vec![
                (Discipline::Therapist, 40),
                (Discipline::SocialWorker, 32),
                (Discipline::Psychologist, 20),
                (Discipline::Psychiatrist, 8),
            ],
            // Assumption.
            network_video_share: 0.70,
            // Assumption: small group practices of about ten.
            providers_per_network_office: 10,
            counties: counties.to_vec(),
            time_zone: "America/Los_Angeles".to_owned(),
            internal_calendar: "california-state".to_owned(),
            network_calendar: "us-federal".to_owned(),
            // Assumption: members' preferred language for care. The American Community Survey
            // counts about 38 % of Los Angeles County residents speaking Spanish at home and a
            // few percent each Tagalog, Chinese, Korean and Armenian; fewer prefer those
            // languages for therapy, and the other counties speak less Spanish, hence 30 %.
            member_languages: vec![
                (Language::ENGLISH, 6_200),
                (Language::SPANISH, 3_000),
                (language("zh"), 250),
                (language("vi"), 150),
                (language("ko"), 150),
                (language("tl"), 100),
                (language("hy"), 100),
                (language("fa"), 50),
            ],
            // Assumption: a quarter of clinicians are bilingual in Spanish, a few percent in
            // another language.
            clinician_spanish_share: 0.25,
            clinician_other_language_share: 0.04,
            // Assumption.
            member_video_share: 0.75,
            member_phone_share: 0.60,
            birth_years: (1940, 2020),
            plan_number_prefix: "SC".to_owned(),
        }
    }

    /// The table sizes at this scale; checks the scale and the counts.
    pub fn counts(&self) -> Result<RegionCounts, GenerateError> {
        if !self.scale.is_finite() || self.scale <= 0.0 {
            return Err(GenerateError::Scale(self.scale));
        }
        let nonzero = |value: u32, name: &'static str| {
            if value == 0 {
                Err(GenerateError::Zero(name))
            } else {
                Ok(u64::from(value))
            }
        };
        let ratio = |value: u32, name: &'static str| {
            if value < MIN_MEMBERS_PER_CLINICIAN {
                Err(GenerateError::Ratio { name, value })
            } else {
                Ok(u64::from(value))
            }
        };
        let per_therapist = ratio(self.members_per_therapist, "members_per_therapist")?;
        let per_psychiatrist = ratio(self.members_per_psychiatrist, "members_per_psychiatrist")?;
        let per_office = nonzero(
            self.providers_per_network_office,
            "providers_per_network_office",
        )?;
        nonzero(self.internal_facilities, "internal_facilities")?;
        let scaled = |count: u64| (count as f64 * self.scale).round();
        let checked = |value: f64, what: &'static str, limit: u64| {
            // Compared as floats first: a huge scale would saturate the cast.
            if value > limit as f64 {
                Err(GenerateError::TooMany {
                    what,
                    count: value as u64,
                    limit,
                })
            } else {
                // At most `limit`, which fits a u32.
                Ok(value as u32)
            }
        };
        let id_limit = u64::from(u32::MAX);
        let members = checked(scaled(self.members), "members", Region::MAX_MEMBERS as u64)?;
        let at_least_one = |count: u64| count.max(1);
        let therapists = at_least_one(u64::from(members).div_ceil(per_therapist));
        let psychiatrists = at_least_one(u64::from(members).div_ceil(per_psychiatrist));
        let network_providers = if self.network_providers == 0 {
            0
        } else {
            checked(
                scaled(u64::from(self.network_providers)).max(1.0),
                "network_providers",
                id_limit / 2,
            )?
        };
        let internal_facilities = checked(
            scaled(u64::from(self.internal_facilities)).max(1.0),
            "internal_facilities",
            id_limit / 2,
        )?;
        let network_offices = u64::from(network_providers).div_ceil(per_office);
        let clinicians = therapists + psychiatrists + u64::from(network_providers);
        if clinicians > Region::MAX_CLINICIANS as u64 {
            return Err(GenerateError::TooMany {
                what: "clinicians",
                count: clinicians,
                limit: Region::MAX_CLINICIANS as u64,
            });
        }
        let facilities = u64::from(internal_facilities) + network_offices;
        if facilities > Region::MAX_FACILITIES as u64 {
            return Err(GenerateError::TooMany {
                what: "facilities",
                count: facilities,
                limit: Region::MAX_FACILITIES as u64,
            });
        }
        // Members are at most `Region::MAX_MEMBERS`, so these fit a u32.
        Ok(RegionCounts {
            members,
            therapists: therapists as u32,
            psychiatrists: psychiatrists as u32,
            network_providers,
            internal_facilities,
            network_offices: network_offices as u32,
        })
    }
}

/// The week every facility is open: Monday to Friday, 08:00-18:00.
fn opening_hours() -> WeeklyHours {
    WeeklyHours::weekdays(
        DayRange::new(
            Time::constant(OPENING_HOURS.0, 0, 0, 0),
            Time::constant(OPENING_HOURS.1, 0, 0, 0),
        )
        .expect("08:00 is before 18:00"),
    )
}

/// The parameters, checked and resolved into the values the generator draws from.
struct Plan<'p> {
    params: &'p RegionParams,
    counts: RegionCounts,
    contract: Contract,
    time_zone: TimeZone,
    /// The calendars of internal facilities and network offices: each facility gets a clone,
    /// so that all share one business-day table (made once, not once per facility).
    internal_calendar: BusinessCalendar,
    network_calendar: BusinessCalendar,
    internal_disciplines: Weights<Discipline>,
    internal_fte: Weights<Fte>,
    network_disciplines: Weights<Discipline>,
    member_languages: Weights<Language>,
    /// Members' languages other than English and Spanish, for clinicians' third languages.
    other_languages: Option<Weights<Language>>,
    counties: Weights<usize>,
    birth_dates: Vec<Date>,
}

fn holiday_calendar(name: &str) -> Result<HolidayCalendar, GenerateError> {
    if name == "none" {
        return Ok(HolidayCalendar::empty());
    }
    builtin::holiday_calendar(name).ok_or_else(|| GenerateError::UnknownCalendar(name.to_owned()))
}

fn check_share(field: &'static str, value: f64) -> Result<(), GenerateError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(GenerateError::Share { field, value })
    }
}

fn check_spread(what: impl Fn() -> String, value: f64) -> Result<(), GenerateError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(GenerateError::Spread {
            what: what(),
            value,
        })
    }
}

impl Plan<'_> {
    fn new(params: &RegionParams) -> Result<Plan<'_>, GenerateError> {
        let counts = params.counts()?;
        let contract = builtin::contract(&params.internal_contract)
            .ok_or_else(|| GenerateError::UnknownContract(params.internal_contract.clone()))?;
        let time_zone = TimeZone::get(&params.time_zone)
            .map_err(|_| GenerateError::UnknownTimeZone(params.time_zone.clone()))?;
        let internal_holidays = holiday_calendar(&params.internal_calendar)?;
        let network_holidays = holiday_calendar(&params.network_calendar)?;
        if params
            .internal_disciplines
            .iter()
            .any(|(discipline, _)| *discipline == Discipline::Psychiatrist)
        {
            return Err(GenerateError::PsychiatristInMix);
        }
        let internal_disciplines =
            Weights::new(&params.internal_disciplines, "internal_disciplines")?;
        let internal_fte = Weights::new(&params.internal_fte, "internal_fte")?;
        let network_disciplines = Weights::new(&params.network_disciplines, "network_disciplines")?;
        let member_languages = Weights::new(&params.member_languages, "member_languages")?;
        let others: Vec<(Language, u32)> = params
            .member_languages
            .iter()
            .copied()
            .filter(|(language, _)| {
                *language != Language::ENGLISH && *language != Language::SPANISH
            })
            .collect();
        let other_languages = Weights::new(&others, "member_languages").ok();
        let populations: Vec<(usize, u64)> = params
            .counties
            .iter()
            .enumerate()
            .map(|(index, county)| (index, county.population))
            .collect();
        let counties = Weights::new(&populations, "counties")?;
        for county in &params.counties {
            check_spread(
                || format!("the spread of county `{}`", county.name),
                county.spread_km,
            )?;
        }
        for facility in &params.named_facilities {
            if facility.county >= params.counties.len() {
                return Err(GenerateError::UnknownCounty {
                    facility: facility.name.clone(),
                    county: facility.county,
                });
            }
        }
        check_share("network_video_share", params.network_video_share)?;
        check_share("clinician_spanish_share", params.clinician_spanish_share)?;
        check_share(
            "clinician_other_language_share",
            params.clinician_other_language_share,
        )?;
        check_share("member_video_share", params.member_video_share)?;
        check_share("member_phone_share", params.member_phone_share)?;
        check_share("group_facilitator_share", params.group_facilitator_share)?;
        let full_time_hours = contract.terms().full_time_minutes / 60;
        let max_network_hours = NETWORK_SLOTS.min(full_time_hours);
        if !(1..=max_network_hours).contains(&params.network_hours_per_week) {
            return Err(GenerateError::NetworkHours {
                hours: params.network_hours_per_week,
                max: max_network_hours,
            });
        }
        // A standard template that runs past closing would make every internal clinician's week
        // invalid; better to refuse the parameters than to generate such a region.
        for (fte, _) in &params.internal_fte {
            let check = check_template(
                &standard_template(&contract, *fte),
                &contract,
                &opening_hours(),
            );
            if let Some(violation) = check.violations.first() {
                return Err(GenerateError::TemplateDoesNotFit {
                    contract: contract.name().to_owned(),
                    fte: *fte,
                    reason: violation.to_string(),
                });
            }
        }
        let birth_dates = birth_dates(params.birth_years)?;
        Ok(Plan {
            params,
            counts,
            contract,
            time_zone,
            internal_calendar: BusinessCalendar::new(
                WeekdayMask::MONDAY_TO_FRIDAY,
                internal_holidays,
            ),
            network_calendar: BusinessCalendar::new(
                WeekdayMask::MONDAY_TO_FRIDAY,
                network_holidays,
            ),
            internal_disciplines,
            internal_fte,
            network_disciplines,
            member_languages,
            other_languages,
            counties,
            birth_dates,
        })
    }
}

/// Every date of the birth years, so that drawing a birth date is one index.
fn birth_dates((first, last): (i16, i16)) -> Result<Vec<Date>, GenerateError> {
    let invalid = || GenerateError::BirthYears(first, last);
    if first > last || first < 1800 || last > 2200 {
        return Err(invalid());
    }
    let mut date = Date::new(first, 1, 1).map_err(|_| invalid())?;
    let end = Date::new(last, 12, 31).map_err(|_| invalid())?;
    let mut dates = Vec::with_capacity(366 * usize::from((last - first + 1).unsigned_abs()));
    while date <= end {
        dates.push(date);
        date = date.tomorrow().map_err(|_| invalid())?;
    }
    Ok(dates)
}

// ---------------------------------------------------------------------------------------------
// Drawing numbers

/// The generator's draws ([`Draws`]: portable, the same on every machine and version).
type Dice = Draws;

/// One ChaCha8 stream per table, so that each table's draws are independent of the others'.
#[derive(Clone, Copy)]
enum Stream {
    Facilities = 1,
    Members = 2,
    Internal = 3,
    Network = 4,
}

fn dice(seed: u64, stream: Stream) -> Dice {
    Draws::with_stream(seed, stream as u64)
}

/// A point about `spread_km` (standard deviation per axis) from `centre`.
fn near(dice: &mut Dice, centre: Anchor, spread_km: f64) -> GeoPoint {
    let north_km = dice.normal() * spread_km;
    let east_km = dice.normal() * spread_km;
    let lat = (centre.point.lat() + north_km / KM_PER_DEGREE).clamp(-90.0, 90.0);
    let lon = (centre.point.lon() + east_km / centre.km_per_degree_lon).clamp(-180.0, 180.0);
    GeoPoint::new(lat, lon).expect("clamped into range")
}

/// A point and the length of a degree of longitude there.
#[derive(Clone, Copy)]
struct Anchor {
    point: GeoPoint,
    km_per_degree_lon: f64,
}

impl Anchor {
    fn new(point: GeoPoint) -> Anchor {
        Anchor {
            point,
            km_per_degree_lon: KM_PER_DEGREE * cos_degrees(point.lat()).max(0.01),
        }
    }

    /// Squared distance in km on the local flat map; enough to rank facilities within a
    /// region.
    fn distance_squared(self, other: GeoPoint) -> f64 {
        let north = (other.lat() - self.point.lat()) * KM_PER_DEGREE;
        let east = (other.lon() - self.point.lon()) * self.km_per_degree_lon;
        north * north + east * east
    }
}

/// The cosine of an angle within ±90°, from its Taylor series to the 12th power (error below
/// 1e-8): std's `cos` may differ in the last bit between platforms, this cannot.
fn cos_degrees(degrees: f64) -> f64 {
    let x = degrees.clamp(-90.0, 90.0).to_radians();
    let x2 = x * x;
    1.0 - x2 / 2.0
        * (1.0
            - x2 / 12.0
                * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0 * (1.0 - x2 / 90.0 * (1.0 - x2 / 132.0)))))
}

/// Weighted choices, drawn by binary search over cumulative integer weights.
struct Weights<T> {
    values: Vec<T>,
    cumulative: Vec<u64>,
}

impl<T: Copy> Weights<T> {
    fn new<W: Copy + Into<u64>>(
        entries: &[(T, W)],
        what: &'static str,
    ) -> Result<Weights<T>, GenerateError> {
        let mut total = 0u64;
        let mut values = Vec::with_capacity(entries.len());
        let mut cumulative = Vec::with_capacity(entries.len());
        for (value, weight) in entries {
            total = total.saturating_add((*weight).into());
            values.push(*value);
            cumulative.push(total);
        }
        if total == 0 {
            return Err(GenerateError::NoWeight(what));
        }
        Ok(Weights { values, cumulative })
    }

    fn draw(&self, dice: &mut Dice) -> T {
        let total = *self
            .cumulative
            .last()
            .expect("a positive total needs an entry");
        let ticket = dice.below(total);
        // The first entry whose cumulative weight exceeds the ticket; entries of weight 0 never
        // do.
        self.values[self.cumulative.partition_point(|c| *c <= ticket)]
    }
}

/// Splits `total` in proportion to `weights` by largest remainders (ties to the lower index);
/// equal weights when all are zero.
fn apportion(total: u64, weights: &[u64]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    let (weights, sum): (Vec<u128>, u128) = if sum == 0 {
        (vec![1; weights.len()], weights.len() as u128)
    } else {
        (weights.iter().map(|w| u128::from(*w)).collect(), sum)
    };
    let quota = |w: u128| u128::from(total) * w;
    // Each share is at most `total`, so the casts are exact.
    let mut shares: Vec<u64> = weights.iter().map(|w| (quota(*w) / sum) as u64).collect();
    let given: u64 = shares.iter().sum();
    let mut by_remainder: Vec<usize> = (0..weights.len()).collect();
    by_remainder.sort_by_key(|index| std::cmp::Reverse(quota(weights[*index]) % sum));
    for index in by_remainder.into_iter().take((total - given) as usize) {
        shares[index] += 1;
    }
    shares
}

// ---------------------------------------------------------------------------------------------
// Names

// Synthetic names: common given names and surnames of Southern California's language
// communities, combined at random. They identify nobody.
const GIVEN_NAMES: [&str; 40] = [
    "Maria",
    "James",
    "Jose",
    "Mary",
    "David",
    "Linda",
    "Juan",
    "Jennifer",
    "Michael",
    "Ana",
    "Daniel",
    "Sofia",
    "Robert",
    "Elizabeth",
    "Luis",
    "Jessica",
    "Carlos",
    "Sarah",
    "Wei",
    "Mei",
    "Minh",
    "Linh",
    "Ji-woo",
    "Min-jun",
    "Angelica",
    "Mark",
    "Armen",
    "Ani",
    "Reza",
    "Shirin",
    "Christopher",
    "Ashley",
    "Miguel",
    "Guadalupe",
    "Kevin",
    "Emily",
    "Jorge",
    "Karen",
    "Anthony",
    "Rosa",
];
const SURNAMES: [&str; 40] = [
    "Garcia",
    "Smith",
    "Hernandez",
    "Johnson",
    "Lopez",
    "Williams",
    "Martinez",
    "Brown",
    "Gonzalez",
    "Jones",
    "Rodriguez",
    "Miller",
    "Perez",
    "Davis",
    "Sanchez",
    "Wilson",
    "Ramirez",
    "Anderson",
    "Torres",
    "Taylor",
    "Chen",
    "Wang",
    "Nguyen",
    "Tran",
    "Kim",
    "Lee",
    "Park",
    "Santos",
    "Reyes",
    "Petrosyan",
    "Hakobyan",
    "Hosseini",
    "Moradi",
    "Thomas",
    "Jackson",
    "White",
    "Flores",
    "Rivera",
    "Cruz",
    "Le",
];

fn person_name(dice: &mut Dice) -> String {
    let given = GIVEN_NAMES[dice.index(GIVEN_NAMES.len())];
    let surname = SURNAMES[dice.index(SURNAMES.len())];
    let mut name = String::with_capacity(given.len() + 1 + surname.len());
    name.push_str(given);
    name.push(' ');
    name.push_str(surname);
    name
}

/// Distinct nine-digit plan numbers in a scrambled order: `(a * index + b) mod 10^9` with `a`
/// coprime to 10^9 is a bijection, so no two members share a number.
struct PlanNumbers {
    multiplier: u64,
    offset: u64,
}

impl PlanNumbers {
    fn new(dice: &mut Dice) -> PlanNumbers {
        // Odd and not a multiple of 5: coprime to 10^9 = 2^9 * 5^9. Below 10^9, and 999,999,999
        // is no multiple of 5, so the step never leaves the range.
        let mut multiplier = dice.below(PLAN_NUMBERS) | 1;
        while multiplier.is_multiple_of(5) {
            multiplier += 2;
        }
        PlanNumbers {
            multiplier,
            offset: dice.below(PLAN_NUMBERS),
        }
    }

    fn number(&self, prefix: &str, index: u32) -> String {
        let mut digits = (self.multiplier * u64::from(index) + self.offset) % PLAN_NUMBERS;
        // Written digit by digit into an exact-size buffer rather than with `format!`: this runs
        // once per member, millions of times.
        let mut number = [b'0'; 9];
        for slot in number.iter_mut().rev() {
            *slot = b'0' + (digits % 10) as u8;
            digits /= 10;
        }
        let mut text = String::with_capacity(prefix.len() + number.len());
        text.push_str(prefix);
        text.push_str(std::str::from_utf8(&number).expect("ASCII digits"));
        text
    }
}

// ---------------------------------------------------------------------------------------------
// The region

/// Generates the region `params` describe; the same parameters always give the same region.
pub fn generate(params: &RegionParams) -> Result<Region, GenerateError> {
    let plan = Plan::new(params)?;
    let mut facilities = internal_facilities(&plan);
    let n_internal = facilities.len();
    let (members, members_at) = members(&plan, &facilities);
    let mut templates = TemplateTable::default();
    let mut clinicians = internal_clinicians(&plan, &facilities, &members_at, &mut templates);
    network(&plan, &mut facilities, &mut clinicians, &mut templates);
    debug_assert_eq!(
        facilities.len() - n_internal,
        plan.counts.network_offices as usize
    );
    Ok(Region {
        // A generated region is the only region of its file.
        id: RegionId(0),
        name: params.name.clone(),
        facilities,
        clinicians,
        members,
        templates: templates.templates,
    })
}

/// Converts a table position to the u32 of an id; the counts were bounded in
/// [`RegionParams::counts`].
fn id_of(index: usize) -> u32 {
    u32::try_from(index).expect("table sizes are bounded by RegionParams::counts")
}

fn facility(
    index: usize,
    name: String,
    address: String,
    location: GeoPoint,
    plan: &Plan<'_>,
    calendar: &BusinessCalendar,
) -> Facility {
    Facility {
        id: FacilityId(id_of(index)),
        name,
        address,
        location,
        time_zone: plan.time_zone.clone(),
        hours: opening_hours(),
        calendar: calendar.clone(),
    }
}

/// The internal facilities: the named ones first, then generated clinics spread over the
/// counties so that each county's facilities follow its population.
fn internal_facilities(plan: &Plan<'_>) -> Vec<Facility> {
    let params = plan.params;
    let mut dice = dice(params.seed, Stream::Facilities);
    let total = plan.counts.internal_facilities as usize;
    let named = &params.named_facilities[..total.min(params.named_facilities.len())];
    let mut facilities: Vec<Facility> = named
        .iter()
        .enumerate()
        .map(|(index, named)| {
            facility(
                index,
                named.name.clone(),
                named.address.clone(),
                named.location,
                plan,
                &plan.internal_calendar,
            )
        })
        .collect();
    // Each county's deficit: its population share of all facilities less the named ones it
    // already has, in units of 1 / total population so the arithmetic stays in integers.
    let population: u128 = params
        .counties
        .iter()
        .map(|c| u128::from(c.population))
        .sum();
    let deficits: Vec<u64> = params
        .counties
        .iter()
        .enumerate()
        .map(|(county_idx, county)| {
            let named_here = named.iter().filter(|f| f.county == county_idx).count() as u128;
            let target = total as u128 * u128::from(county.population);
            let deficit = target.saturating_sub(named_here * population);
            // Only populations beyond 10^17 could saturate.
            u64::try_from(deficit).unwrap_or(u64::MAX)
        })
        .collect();
    let per_county = apportion((total - named.len()) as u64, &deficits);
    for (county_idx, count) in per_county.into_iter().enumerate() {
        let county = &params.counties[county_idx];
        let centre = Anchor::new(county.centre);
        for number in 1..=count {
            let location = near(&mut dice, centre, county.spread_km);
            let index = facilities.len();
            facilities.push(facility(
                index,
                format!("{} County clinic {number}", county.name),
                format!("synthetic location in {} County", county.name),
                location,
                plan,
                &plan.internal_calendar,
            ));
        }
    }
    facilities
}

/// The nearest internal facility for every cell of a grid over the area where members can live,
/// so that finding a member's facility is one lookup, not a scan of every facility.
struct NearestFacility {
    south: f64,
    west: f64,
    cell_degrees: f64,
    rows: usize,
    cols: usize,
    cells: Vec<u32>,
}

impl NearestFacility {
    /// Cells of at least 0.01° (about 1 km), fewer for large areas or many facilities so that
    /// building the grid stays within about 50 million distance computations.
    fn new(counties: &[County], facilities: &[Facility]) -> NearestFacility {
        // `Draws::normal` is bounded at ±2√3 standard deviations, so this box holds every home.
        let reach = 2.0 * 3.0_f64.sqrt();
        let (mut south, mut north, mut west, mut east) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for county in counties {
            let centre = Anchor::new(county.centre);
            let (lat, lon) = (county.centre.lat(), county.centre.lon());
            let dlat = reach * county.spread_km / KM_PER_DEGREE;
            let dlon = reach * county.spread_km / centre.km_per_degree_lon;
            south = south.min(lat - dlat);
            north = north.max(lat + dlat);
            west = west.min(lon - dlon);
            east = east.max(lon + dlon);
        }
        let max_cells = (50_000_000 / facilities.len().max(1)).clamp(1_000, 1_000_000) as f64;
        let area = (north - south).max(0.0) * (east - west).max(0.0);
        let cell_degrees = (area / max_cells).sqrt().max(0.01);
        // Spans are below 360°, so these counts are small.
        let rows = ((north - south).max(0.0) / cell_degrees) as usize + 1;
        let cols = ((east - west).max(0.0) / cell_degrees) as usize + 1;
        let mut cells = Vec::with_capacity(rows * cols);
        for row in 0..rows {
            let lat = (south + (row as f64 + 0.5) * cell_degrees).clamp(-90.0, 90.0);
            for col in 0..cols {
                let lon = (west + (col as f64 + 0.5) * cell_degrees).clamp(-180.0, 180.0);
                let centre = Anchor::new(GeoPoint::new(lat, lon).expect("clamped into range"));
                let nearest = (0..facilities.len())
                    .min_by(|a, b| {
                        centre
                            .distance_squared(facilities[*a].location)
                            .total_cmp(&centre.distance_squared(facilities[*b].location))
                    })
                    .expect("every region has at least one internal facility");
                cells.push(id_of(nearest));
            }
        }
        NearestFacility {
            south,
            west,
            cell_degrees,
            rows,
            cols,
            cells,
        }
    }

    /// The nearest facility to `point` (to within a cell).
    fn of(&self, point: GeoPoint) -> usize {
        let cell = |degrees: f64, origin: f64, count: usize| {
            // Clamped into the grid; a negative float casts to 0.
            (((degrees - origin) / self.cell_degrees) as usize).min(count - 1)
        };
        let row = cell(point.lat(), self.south, self.rows);
        let col = cell(point.lon(), self.west, self.cols);
        self.cells[row * self.cols + col] as usize
    }
}

/// The members, and how many of them each internal facility is nearest to.
///
/// Homes follow the counties' populations (a county by population, then a point about its
/// centre), as the clinics do; a member's facility is the nearest one.
fn members(plan: &Plan<'_>, facilities: &[Facility]) -> (Vec<Member>, Vec<u64>) {
    let params = plan.params;
    let mut dice = dice(params.seed, Stream::Members);
    let plan_numbers = PlanNumbers::new(&mut dice);
    let centres: Vec<Anchor> = params
        .counties
        .iter()
        .map(|county| Anchor::new(county.centre))
        .collect();
    let nearest = NearestFacility::new(&params.counties, facilities);
    let n_members = plan.counts.members as usize;
    let mut members = Vec::with_capacity(n_members);
    // Millions of records, read at random by every find: huge pages (see the hint's docs).
    huge_pages(&members);
    let mut members_at = vec![0u64; facilities.len()];
    for index in 0..n_members {
        let county_idx = plan.counties.draw(&mut dice);
        let home = near(
            &mut dice,
            centres[county_idx],
            params.counties[county_idx].spread_km,
        );
        members_at[nearest.of(home)] += 1;
        let language = plan.member_languages.draw(&mut dice);
        // A fixed array, not a Vec: this loop runs millions of times.
        let mut accepts = [Modality::InPerson; 3];
        let mut n_accepts = 1;
        for (modality, share) in [
            (Modality::Video, params.member_video_share),
            (Modality::Phone, params.member_phone_share),
        ] {
            if dice.chance(share) {
                accepts[n_accepts] = modality;
                n_accepts += 1;
            }
        }
        let name = person_name(&mut dice);
        let birth_date = plan.birth_dates[dice.index(plan.birth_dates.len())];
        let id = id_of(index);
        members.push(Member {
            id: MemberId(id),
            plan_number: Phi::new(plan_numbers.number(&params.plan_number_prefix, id)),
            name: Phi::new(name),
            birth_date: Phi::new(birth_date),
            language,
            home: Phi::new(home),
            accepts: ModalitySet::of(&accepts[..n_accepts]),
        });
    }
    (members, members_at)
}

/// Minutes of a group session (an assumption, as the scenario files say: groups of 8, 90
/// minutes).
pub const GROUP_MINUTES: u32 = 90;

/// The standard template with [`GROUP_MINUTES`] of group time carved from the first direct block
/// long enough on Wednesday afternoon (else Tuesday's or Thursday's); the standard template itself
/// when no afternoon has that much direct time.
pub fn group_template(standard: &Template) -> Template {
    for day in [Weekday::Wednesday, Weekday::Tuesday, Weekday::Thursday] {
        let noon = Time::new(12, 0, 0, 0).expect("noon is a time");
        let Some(idx) = standard.blocks.iter().position(|block| {
            block.day == day
                && block.kind == BlockKind::Direct
                && block.range.start() >= noon
                && block.range.minutes() >= GROUP_MINUTES
        }) else {
            continue;
        };
        let block = standard.blocks[idx];
        let split = block
            .range
            .start()
            .checked_add(jiff::SignedDuration::from_mins(i64::from(GROUP_MINUTES)))
            .expect("the block is at least that long");
        let mut blocks = standard.blocks.clone();
        blocks[idx] = Block {
            day,
            range: DayRange::new(block.range.start(), split).expect("90 minutes"),
            kind: BlockKind::Group,
        };
        if split < block.range.end() {
            blocks.insert(
                idx + 1,
                Block {
                    day,
                    range: DayRange::new(split, block.range.end()).expect("the rest of the block"),
                    kind: BlockKind::Direct,
                },
            );
        }
        return Template {
            fte: standard.fte,
            blocks,
        };
    }
    standard.clone()
}

/// The region's templates, each made once and shared by every clinician who works it.
#[derive(Default)]
struct TemplateTable {
    templates: Vec<Template>,
    standard: BTreeMap<Fte, TemplateId>,
    with_group: BTreeMap<Fte, TemplateId>,
    network: BTreeMap<Vec<u8>, TemplateId>,
}

impl TemplateTable {
    fn push(&mut self, template: Template) -> TemplateId {
        self.templates.push(template);
        TemplateId(id_of(self.templates.len() - 1))
    }

    fn standard(&mut self, contract: &Contract, fte: Fte) -> TemplateId {
        if let Some(id) = self.standard.get(&fte) {
            return *id;
        }
        let id = self.push(standard_template(contract, fte));
        self.standard.insert(fte, id);
        id
    }

    /// The standard template with group time ([`group_template`]).
    fn with_group(&mut self, contract: &Contract, fte: Fte) -> TemplateId {
        if let Some(id) = self.with_group.get(&fte) {
            return *id;
        }
        let id = self.push(group_template(&standard_template(contract, fte)));
        self.with_group.insert(fte, id);
        id
    }

    /// The template of one-hour direct blocks in the given weekday hour slots (sorted; slot
    /// `s` is weekday `s / 10` at `08:00 + s % 10` hours).
    fn network(&mut self, slots: Vec<u8>, fte: Fte) -> TemplateId {
        if let Some(id) = self.network.get(&slots) {
            return *id;
        }
        let hours_a_day = (OPENING_HOURS.1 - OPENING_HOURS.0) as u8;
        let blocks = slots
            .iter()
            .map(|slot| {
                let day = Weekday::from_monday_zero_offset((slot / hours_a_day) as i8)
                    .expect("slots cover Monday to Friday");
                let hour = OPENING_HOURS.0 + (slot % hours_a_day) as i8;
                let at = |hour| Time::new(hour, 0, 0, 0).expect("opening hours are clock hours");
                Block {
                    day,
                    range: DayRange::new(at(hour), at(hour + 1)).expect("an hour is not empty"),
                    kind: BlockKind::Direct,
                }
            })
            .collect();
        let id = self.push(Template { fte, blocks });
        self.network.insert(slots, id);
        id
    }
}

/// English, and by chance Spanish and one more of the members' languages.
fn clinician_languages(plan: &Plan<'_>, dice: &mut Dice) -> Vec<Language> {
    let mut languages = vec![Language::ENGLISH];
    if dice.chance(plan.params.clinician_spanish_share) {
        languages.push(Language::SPANISH);
    }
    if let Some(others) = &plan.other_languages
        && dice.chance(plan.params.clinician_other_language_share)
    {
        languages.push(others.draw(dice));
    }
    languages
}

/// Internal therapists, then internal psychiatrists, each spread over the facilities in
/// proportion to the members around them.
fn internal_clinicians(
    plan: &Plan<'_>,
    facilities: &[Facility],
    members_at: &[u64],
    templates: &mut TemplateTable,
) -> Vec<Clinician> {
    let mut dice = dice(plan.params.seed, Stream::Internal);
    let mut clinicians = Vec::new();
    let groups = [
        (u64::from(plan.counts.therapists), None),
        (
            u64::from(plan.counts.psychiatrists),
            Some(Discipline::Psychiatrist),
        ),
    ];
    for (count, discipline) in groups {
        for (facility_idx, at_facility) in apportion(count, members_at).into_iter().enumerate() {
            for _ in 0..at_facility {
                let discipline =
                    discipline.unwrap_or_else(|| plan.internal_disciplines.draw(&mut dice));
                // Assumption: psychiatrists' FTEs follow the same mix and they work the same
                // standard template as the other internal clinicians.
                let fte = plan.internal_fte.draw(&mut dice);
                let languages = clinician_languages(plan, &mut dice);
                let name = person_name(&mut dice);
                // Drawn only when the share is above 0, so regions without groups keep their
                // draws (and every field) as they were.
                let facilitates = discipline != Discipline::Psychiatrist
                    && plan.params.group_facilitator_share > 0.0
                    && dice.chance(plan.params.group_facilitator_share);
                clinicians.push(Clinician {
                    id: ClinicianId(id_of(clinicians.len())),
                    name,
                    discipline,
                    affiliation: Affiliation::Internal,
                    languages,
                    // Internal clinicians offer every modality.
                    modalities: ModalitySet::ALL,
                    fte,
                    facility: facilities[facility_idx].id,
                    template: if facilitates {
                        templates.with_group(&plan.contract, fte)
                    } else {
                        templates.standard(&plan.contract, fte)
                    },
                });
            }
        }
    }
    clinicians
}

/// The network offices (appended to `facilities`) and their providers (appended to
/// `clinicians`).
fn network(
    plan: &Plan<'_>,
    facilities: &mut Vec<Facility>,
    clinicians: &mut Vec<Clinician>,
    templates: &mut TemplateTable,
) {
    let params = plan.params;
    let mut dice = dice(params.seed, Stream::Network);
    let first_office = facilities.len();
    let anchors: Vec<Anchor> = params
        .counties
        .iter()
        .map(|county| Anchor::new(county.centre))
        .collect();
    for number in 1..=plan.counts.network_offices {
        let county_idx = plan.counties.draw(&mut dice);
        let county = &params.counties[county_idx];
        let location = near(&mut dice, anchors[county_idx], county.spread_km);
        let index = facilities.len();
        facilities.push(facility(
            index,
            format!("Network office {number}"),
            format!("synthetic location in {} County", county.name),
            location,
            plan,
            &plan.network_calendar,
        ));
    }
    let hours = params.network_hours_per_week;
    // A network provider's FTE is the share of the contract's full-time week they give the
    // plan, rounded up to the hundredth so their hours never exceed it.
    let full_time = u64::from(plan.contract.terms().full_time_minutes);
    let hundredths = (u64::from(hours) * 60 * 100)
        .div_ceil(full_time)
        .clamp(1, 100);
    let network_fte = Fte::from_hundredths(hundredths as u16)
        .expect("network hours are capped at the full-time week");
    let per_office = params.providers_per_network_office as usize;
    let mut slots: Vec<u8> = (0..NETWORK_SLOTS as u8).collect();
    for provider_idx in 0..plan.counts.network_providers as usize {
        let discipline = plan.network_disciplines.draw(&mut dice);
        let languages = clinician_languages(plan, &mut dice);
        let mut modalities = vec![Modality::InPerson];
        if dice.chance(params.network_video_share) {
            modalities.push(Modality::Video);
        }
        // A partial Fisher-Yates shuffle picks `hours` distinct slots.
        for pick in 0..hours as usize {
            let other = pick + dice.index(slots.len() - pick);
            slots.swap(pick, other);
        }
        let mut chosen = slots[..hours as usize].to_vec();
        chosen.sort_unstable();
        let name = person_name(&mut dice);
        clinicians.push(Clinician {
            id: ClinicianId(id_of(clinicians.len())),
            name,
            discipline,
            affiliation: Affiliation::Network,
            languages,
            modalities: ModalitySet::of(&modalities),
            fte: network_fte,
            facility: FacilityId(id_of(first_office + provider_idx / per_office)),
            template: templates.network(chosen, network_fte),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_by_largest_remainder() {
        assert_eq!(apportion(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0, 0]), vec![4, 3]);
        assert_eq!(apportion(5, &[3, 0, 1]), vec![4, 0, 1]);
        assert_eq!(apportion(0, &[3, 1]), vec![0, 0]);
    }

    #[test]
    fn cosine_polynomial_matches_std() {
        for degrees in [-90.0, -45.0, 0.0, 32.7, 34.0, 35.4, 60.0, 89.9] {
            let ours = cos_degrees(degrees);
            let std = f64::to_radians(degrees).cos();
            assert!((ours - std).abs() < 1e-7, "{degrees}: {ours} vs {std}");
        }
    }

    #[test]
    fn plan_numbers_are_distinct() {
        let mut dice = dice(7, Stream::Members);
        let numbers = PlanNumbers::new(&mut dice);
        let mut seen: Vec<String> = (0..10_000).map(|i| numbers.number("SC", i)).collect();
        assert!(seen.iter().all(|n| n.len() == 11 && n.starts_with("SC")));
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 10_000);
    }
}
