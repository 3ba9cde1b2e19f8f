//! The people and places of a region: facilities, clinicians and members.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::calendar::BusinessCalendar;
use crate::id::{ClinicianId, FacilityId, MemberId, RegionId, TemplateId};
use crate::phi::Phi;
use crate::quote::quote;
use crate::slug::Slug;
use crate::template::{Template, WeeklyHours};

/// Errors from the checked constructors of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VocabularyError {
    /// An FTE outside (0, 1] or finer than hundredths.
    #[error("FTE must be a number above 0 and at most 1.0, in hundredths (got {})", quote(.0))]
    Fte(String),
    /// A latitude or longitude out of range.
    #[error("location out of range: latitude must be within ±90 and longitude within ±180")]
    GeoPoint,
    /// A language tag that is not a lowercase ISO 639 code.
    #[error(
        "language must be a lowercase ISO 639-1 or 639-3 code such as `en` or `es` (got `{}`)",
        quote(.0)
    )]
    Language(String),
    /// An unknown discipline name.
    #[error(
        "unknown discipline `{}` (expected psychologist, therapist, social-worker, psychiatric-nurse or psychiatrist)",
        quote(.0)
    )]
    Discipline(String),
    /// An unknown modality name.
    #[error("unknown modality `{}` (expected in-person, video or phone)", quote(.0))]
    Modality(String),
}

/// Full-time equivalent: the share of a full-time week a clinician works, in hundredths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fte(u16);

impl Fte {
    /// One full-time clinician.
    pub const FULL_TIME: Fte = Fte(100);

    /// An FTE from hundredths (50 is 0.5 FTE); 1 to 100.
    pub fn from_hundredths(hundredths: u16) -> Result<Fte, VocabularyError> {
        if (1..=100).contains(&hundredths) {
            Ok(Fte(hundredths))
        } else {
            Err(VocabularyError::Fte(format!(
                "{:.2}",
                f64::from(hundredths) / 100.0
            )))
        }
    }

    /// An FTE from a decimal such as 0.5 or 0.75; rejects values finer than hundredths.
    pub fn from_decimal(value: f64) -> Result<Fte, VocabularyError> {
        let hundredths = (value * 100.0).round();
        if !value.is_finite() || (value * 100.0 - hundredths).abs() > 1e-9 {
            return Err(VocabularyError::Fte(value.to_string()));
        }
        if !(1.0..=100.0).contains(&hundredths) {
            return Err(VocabularyError::Fte(value.to_string()));
        }
        // The range check above makes the cast exact.
        Ok(Fte(hundredths as u16))
    }

    /// The FTE in hundredths.
    pub fn hundredths(self) -> u16 {
        self.0
    }

    /// Pro-rates a full-time amount of minutes to this FTE, rounding up to the whole minute so a
    /// pro-rated guarantee is never shaved by rounding.
    pub fn pro_rate_minutes(self, full_time_minutes: u32) -> u32 {
        (full_time_minutes * u32::from(self.0)).div_ceil(100)
    }
}

impl fmt::Display for Fte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// A point on the map, in millionths of a degree (about 11 cm: ample for travel distances).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GeoPoint {
    lat_e6: i32,
    lon_e6: i32,
}

impl GeoPoint {
    /// A point from degrees; rejects latitudes beyond ±90 and longitudes beyond ±180.
    pub fn new(lat: f64, lon: f64) -> Result<GeoPoint, VocabularyError> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(VocabularyError::GeoPoint);
        }
        // In range, so the products fit an i32.
        Ok(GeoPoint {
            lat_e6: (lat * 1e6).round() as i32,
            lon_e6: (lon * 1e6).round() as i32,
        })
    }

    /// Latitude in degrees.
    pub fn lat(self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }

    /// Longitude in degrees.
    pub fn lon(self) -> f64 {
        f64::from(self.lon_e6) / 1e6
    }

    /// Great-circle distance in kilometres (haversine, mean Earth radius 6371 km).
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        let (lat1, lat2) = (self.lat().to_radians(), other.lat().to_radians());
        let d_lat = lat2 - lat1;
        let d_lon = (other.lon() - self.lon()).to_radians();
        let a = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lon / 2.0).sin().powi(2);
        2.0 * 6371.0 * a.sqrt().asin()
    }

    /// The points within `km` of this one, for testing many points against one centre fast.
    pub fn radius(self, km: f64) -> Radius {
        let lat = self.lat().to_radians();
        let cos_lat = lat.cos();
        let fast = km.is_finite() && km <= Radius::FAST_KM && self.lat().abs() <= 60.0;
        let margin = if fast {
            Radius::margin(cos_lat, km)
        } else {
            Radius::MARGIN
        };
        // The band's edges as squared angles: the estimate compares without a square root.
        let squared = |share: f64| (km * share / 6371.0).powi(2);
        Radius {
            centre: self,
            km,
            lat,
            lon: self.lon().to_radians(),
            cos_lat,
            inside: squared(1.0 - margin),
            outside: squared(1.0 + margin),
            fast,
        }
    }
}

/// The points within a distance of a centre: [`Radius::contains`] decides exactly as
/// `centre.distance_km(point) <= km` does, but most points cost no trigonometry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Radius {
    centre: GeoPoint,
    km: f64,
    lat: f64,
    lon: f64,
    cos_lat: f64,
    /// Squared flat estimates (in radians) below this are inside: `(km (1 - MARGIN) / R)²`.
    inside: f64,
    /// Squared flat estimates above this are outside: `(km (1 + MARGIN) / R)²`.
    outside: f64,
    /// Whether the flat-earth estimate is close enough to decide clear cases.
    fast: bool,
}

impl Radius {
    /// Radians in a millionth of a degree (a [`GeoPoint`]'s unit).
    const RADIANS_PER_E6: f64 = std::f64::consts::PI / 180.0 / 1e6;

    /// The flat estimate is used up to this radius and within 60° of the equator.
    const FAST_KM: f64 = 100.0;
    /// The widest band of estimates checked exactly, as a share of the radius. For distances up
    /// to 1.1 x 100 km and latitudes up to 60°, using the centre's cosine for the whole pair errs
    /// by at most tan(60°) x (110 km / 6371 km) / 2 = 1.5 %, and the plane against the sphere by
    /// far less (θ² / 4 at most, under 0.01 %): a 5 % band leaves room.
    const MARGIN: f64 = 0.05;

    /// The band for a centre whose latitude `φ0` (within 60°) has cosine `cos_lat`, and a radius
    /// of `km` (at most [`Radius::FAST_KM`]): three times the estimate's worst relative error there, capped
    /// at [`Radius::MARGIN`]. The estimate `F² = Δφ² + (Δλ cos φ0)²` differs from the haversine
    /// angle `θ` in two ways: the pair's `cos φ0 cos φ1` is taken as `cos² φ0`, a relative error
    /// of at most `|tan φ0| |Δφ| + Δφ²/2` in the longitude term, with `|Δφ| ≤ θ`; and sines of
    /// half angles are taken as the half angles, at most `θ² / 12` each way. So
    /// `|F - θ| / θ ≤ |tan φ0| θ / 2 + θ² / 4` for the points the band can hold (`θ` below 1.1
    /// times the radius). An estimate outside the band by three times that is decided correctly:
    /// `F < r (1 - m)` gives `θ ≤ F (1 + ε) < r`, and `F > r (1 + m)` gives `θ ≥ F (1 - ε) > r`.
    /// For 24 km at Los Angeles' 34° the band is 0.8 % of the radius wide, not 10 %: twelve
    /// times fewer exact (trigonometric) checks.
    fn margin(cos_lat: f64, km: f64) -> f64 {
        let theta = 1.1 * km / 6371.0;
        // |tan φ0| from the cosine the estimate needs anyway (no more trigonometry per radius).
        let tan_lat = (1.0 - cos_lat * cos_lat).max(0.0).sqrt() / cos_lat;
        let error = tan_lat * theta / 2.0 + theta * theta / 4.0;
        (3.0 * error + 1e-9).min(Radius::MARGIN)
    }

    /// Whether `point` is within the radius (its haversine distance at most `km`).
    // Inlined into the callers' loops over thousands of offices (the exact check stays a call).
    #[inline]
    pub fn contains(&self, point: GeoPoint) -> bool {
        if self.fast {
            // The flat estimate's square, against the band's squared edges (the band is wide
            // enough that rounding, squared or not, never moves a point across it).
            // Millionths of a degree to radians by one multiplication (no division): the estimate
            // moves by an ulp or so, far inside the band.
            let d_lat = f64::from(point.lat_e6) * Radius::RADIANS_PER_E6 - self.lat;
            let d_lon =
                (f64::from(point.lon_e6) * Radius::RADIANS_PER_E6 - self.lon) * self.cos_lat;
            let flat_squared = d_lat * d_lat + d_lon * d_lon;
            if flat_squared < self.inside {
                return true;
            }
            if flat_squared > self.outside {
                return false;
            }
        }
        self.centre.distance_km(point) <= self.km
    }
}

/// A spoken language, as a lowercase ISO 639 code (`en`, `es`, `zh`, `vi`, `tgl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Language([u8; 3], u8);

impl Language {
    /// The code's bytes and length as one number that orders as they do (byte by byte, then
    /// by length): one comparison instead of four (directories search languages per find).
    fn key(self) -> u32 {
        u32::from_be_bytes([self.0[0], self.0[1], self.0[2], self.1])
    }
}

impl Ord for Language {
    fn cmp(&self, other: &Language) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl PartialOrd for Language {
    fn partial_cmp(&self, other: &Language) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Language {
    /// English.
    pub const ENGLISH: Language = Language(*b"en\0", 2);
    /// Spanish.
    pub const SPANISH: Language = Language(*b"es\0", 2);

    /// The code as text.
    pub fn code(&self) -> &str {
        // Built only from ASCII lowercase letters in `from_str`.
        std::str::from_utf8(&self.0[..usize::from(self.1)]).expect("language codes are ASCII")
    }
}

impl FromStr for Language {
    type Err = VocabularyError;

    fn from_str(code: &str) -> Result<Language, VocabularyError> {
        let bytes = code.as_bytes();
        if !(2..=3).contains(&bytes.len()) || !bytes.iter().all(u8::is_ascii_lowercase) {
            return Err(VocabularyError::Language(code.to_owned()));
        }
        let mut buf = [0u8; 3];
        buf[..bytes.len()].copy_from_slice(bytes);
        // Length is 2 or 3, checked above.
        Ok(Language(buf, bytes.len() as u8))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A clinician's licensed discipline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Discipline {
    /// Licensed psychologist (PhD/PsyD).
    Psychologist,
    /// Licensed marriage and family therapist or professional clinical counselor.
    Therapist,
    /// Licensed clinical social worker.
    SocialWorker,
    /// Psychiatric nurse (including nurse practitioners).
    PsychiatricNurse,
    /// Psychiatrist (physician): the only discipline for psychiatry requests.
    Psychiatrist,
}

impl Slug for Discipline {
    const VARIANTS: &'static [Discipline] = &Discipline::ALL;

    /// The kebab-case name used in files, the CLI and the API.
    fn slug(self) -> &'static str {
        match self {
            Discipline::Psychologist => "psychologist",
            Discipline::Therapist => "therapist",
            Discipline::SocialWorker => "social-worker",
            Discipline::PsychiatricNurse => "psychiatric-nurse",
            Discipline::Psychiatrist => "psychiatrist",
        }
    }
}

impl Discipline {
    /// Every discipline, in a fixed order.
    pub const ALL: [Discipline; 5] = [
        Discipline::Psychologist,
        Discipline::Therapist,
        Discipline::SocialWorker,
        Discipline::PsychiatricNurse,
        Discipline::Psychiatrist,
    ];

    /// Whether the discipline is a physician's (the law gives physicians' non-urgent appointments a
    /// longer standard than non-physician mental health providers').
    pub fn is_physician(self) -> bool {
        self == Discipline::Psychiatrist
    }
}

impl FromStr for Discipline {
    type Err = VocabularyError;

    fn from_str(name: &str) -> Result<Discipline, VocabularyError> {
        Discipline::from_slug(name).ok_or_else(|| VocabularyError::Discipline(name.to_owned()))
    }
}

impl fmt::Display for Discipline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// Whether a clinician is employed by the plan's medical group or belongs to the external network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Affiliation {
    /// Employed by the plan's medical group; works from the plan's templates.
    Internal,
    /// An external network provider with a small weekly capacity for plan members.
    Network,
}

/// How an appointment takes place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Modality {
    /// At the clinician's facility.
    InPerson,
    /// Video visit.
    Video,
    /// Telephone visit.
    Phone,
}

impl Slug for Modality {
    const VARIANTS: &'static [Modality] = &Modality::ALL;

    /// The kebab-case name used in files, the CLI and the API.
    fn slug(self) -> &'static str {
        match self {
            Modality::InPerson => "in-person",
            Modality::Video => "video",
            Modality::Phone => "phone",
        }
    }
}

impl Modality {
    /// Every modality, in a fixed order.
    pub const ALL: [Modality; 3] = [Modality::InPerson, Modality::Video, Modality::Phone];

    fn bit(self) -> u8 {
        match self {
            Modality::InPerson => 1,
            Modality::Video => 2,
            Modality::Phone => 4,
        }
    }
}

impl FromStr for Modality {
    type Err = VocabularyError;

    fn from_str(name: &str) -> Result<Modality, VocabularyError> {
        Modality::from_slug(name).ok_or_else(|| VocabularyError::Modality(name.to_owned()))
    }
}

/// A set of modalities (what a clinician offers, or what a member accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ModalitySet(u8);

impl ModalitySet {
    /// In person, video and phone.
    pub const ALL: ModalitySet = ModalitySet(7);

    /// The set of the given modalities.
    pub fn of(modalities: &[Modality]) -> ModalitySet {
        ModalitySet(
            modalities
                .iter()
                .fold(0, |bits, modality| bits | modality.bit()),
        )
    }

    /// Whether the set holds `modality`.
    pub fn contains(self, modality: Modality) -> bool {
        self.0 & modality.bit() != 0
    }

    /// The modalities in both sets.
    pub fn intersection(self, other: ModalitySet) -> ModalitySet {
        ModalitySet(self.0 & other.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A clinic or medical center, or a network provider's office.
#[derive(Clone, Debug)]
pub struct Facility {
    /// The facility's id.
    pub id: FacilityId,
    /// Its public name ("Los Angeles Medical Center").
    pub name: String,
    /// Its street address as published.
    pub address: String,
    /// Where it is.
    pub location: GeoPoint,
    /// The zone its opening hours are in.
    pub time_zone: TimeZone,
    /// Its weekly opening hours; clinicians' templates must fit inside them.
    pub hours: WeeklyHours,
    /// Its holidays and closures: nobody works there on those days.
    pub calendar: BusinessCalendar,
}

/// A clinician. Clinicians' names are not PHI.
#[derive(Clone, Debug)]
pub struct Clinician {
    /// The clinician's id.
    pub id: ClinicianId,
    /// The clinician's name.
    pub name: String,
    /// Licensed discipline.
    pub discipline: Discipline,
    /// Internal or network.
    pub affiliation: Affiliation,
    /// Languages the clinician conducts therapy in.
    pub languages: Vec<Language>,
    /// Modalities the clinician offers.
    pub modalities: ModalitySet,
    /// Share of a full-time week.
    pub fte: Fte,
    /// Where the clinician works from.
    pub facility: FacilityId,
    /// The clinician's weekly template, in [`Region::templates`].
    pub template: TemplateId,
}

impl Clinician {
    /// Whether the clinician conducts therapy in `language`.
    pub fn speaks(&self, language: Language) -> bool {
        self.languages.contains(&language)
    }
}

/// A member of the plan. Everything that identifies the person is [`Phi`].
#[derive(Clone, Debug)]
pub struct Member {
    /// Internal surrogate key.
    pub id: MemberId,
    /// The plan's member number.
    pub plan_number: Phi<String>,
    /// Full name.
    pub name: Phi<String>,
    /// Date of birth.
    pub birth_date: Phi<Date>,
    /// Preferred language for care.
    pub language: Language,
    /// Home location, for travel distance.
    pub home: Phi<GeoPoint>,
    /// Modalities the member accepts.
    pub accepts: ModalitySet,
}

/// A service area: its facilities, clinicians (internal and network) and members.
#[derive(Clone, Debug)]
pub struct Region {
    /// The region's id.
    pub id: RegionId,
    /// Its name ("Southern California").
    pub name: String,
    /// Facilities, indexed by [`FacilityId`].
    pub facilities: Vec<Facility>,
    /// Clinicians, indexed by [`ClinicianId`].
    pub clinicians: Vec<Clinician>,
    /// Members, indexed by [`MemberId`].
    pub members: Vec<Member>,
    /// Weekly templates, indexed by [`TemplateId`]; clinicians on the same contract and FTE
    /// share one.
    pub templates: Vec<Template>,
}

/// How large a region caretime takes, so that a file or parameters asking for more are refused
/// with a message before memory runs out. The region file reader and the generator check them.
impl Region {
    /// The most members: ten million, about twice the Southern California preset at full scale
    /// (4.8 million). A simulated year of full scale peaks at 1.5 GB, so this bound keeps a run
    /// near 3 GB; a `find` on a region file also holds the file's text (180 bytes a member).
    pub const MAX_MEMBERS: usize = 10_000_000;

    /// The most clinicians, internal and network: 150,000, ten times the Southern California
    /// preset at full scale (14,840). The availability index takes some 4 KB a clinician over
    /// a 12-week horizon.
    pub const MAX_CLINICIANS: usize = 150_000;

    /// The most facilities (network offices included): one a clinician.
    pub const MAX_FACILITIES: usize = Region::MAX_CLINICIANS;

    /// The most templates: one a clinician.
    pub const MAX_TEMPLATES: usize = Region::MAX_CLINICIANS;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fte_parses_hundredths_and_pro_rates_upward() {
        let half = Fte::from_decimal(0.5).expect("0.5 is a valid FTE");
        assert_eq!(half.hundredths(), 50);
        assert_eq!(half.pro_rate_minutes(300), 150);
        // 7.5 h * 0.75 = 337.5 min: a guarantee rounds up, never down.
        let three_quarters = Fte::from_decimal(0.75).expect("0.75 is a valid FTE");
        assert_eq!(three_quarters.pro_rate_minutes(450), 338);
        assert_eq!(three_quarters.to_string(), "0.75");
        for bad in [0.0, -0.5, 1.01, 0.333, f64::NAN] {
            assert!(Fte::from_decimal(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn languages_are_lowercase_iso_codes() {
        assert_eq!("es".parse::<Language>(), Ok(Language::SPANISH));
        assert_eq!(
            "tgl".parse::<Language>().map(|l| l.to_string()),
            Ok("tgl".to_owned())
        );
        for bad in ["", "E", "ES", "english", "e1"] {
            assert!(bad.parse::<Language>().is_err(), "{bad} should be rejected");
        }
        // Ordered as their codes are.
        let mut codes = ["vi", "es", "tgl", "en", "zh", "hy", "ko", "tg", "fil"];
        let mut languages: Vec<Language> = codes
            .iter()
            .map(|code| code.parse().expect("valid"))
            .collect();
        codes.sort_unstable();
        languages.sort_unstable();
        let sorted: Vec<String> = languages.iter().map(ToString::to_string).collect();
        assert_eq!(sorted, codes);
    }

    #[test]
    fn distance_between_two_facilities() {
        // Los Angeles Medical Center (Sunset Blvd) to West Los Angeles Medical Center
        // (6041 Cadillac Ave): about 10.6 km apart as the crow flies (7.2 km north-south, 7.8 km
        // east-west at 34° N).
        let la = GeoPoint::new(34.0983, -118.2930).expect("valid point");
        let west_la = GeoPoint::new(34.0335, -118.3776).expect("valid point");
        let km = la.distance_km(west_la);
        assert!((10.0..12.0).contains(&km), "got {km}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            if std::env::var_os("CARETIME_SLOW_TESTS").is_some() { 200_000 } else { 20_000 }
        ))]

        /// The fast radius test decides exactly as the haversine distance does, near the edge
        /// too: points are drawn around the centre at distances close to the radius.
        #[test]
        fn radius_agrees_with_the_haversine_distance(
            lat in -89.0f64..89.0,
            lon in -179.0f64..179.0,
            km in 0.5f64..150.0,
            bearing in 0.0f64..std::f64::consts::TAU,
            ratio in 0.9f64..1.1,
            far in proptest::bool::weighted(0.1),
        ) {
            let centre = GeoPoint::new(lat, lon).expect("in range");
            let reach = if far { km * 20.0 * ratio } else { km * ratio };
            let d_lat = reach / 111.2 * bearing.cos();
            let d_lon = reach / (111.2 * lat.to_radians().cos().max(0.05)) * bearing.sin();
            let point = GeoPoint::new(
                (lat + d_lat).clamp(-90.0, 90.0),
                (lon + d_lon).clamp(-180.0, 180.0),
            )
            .expect("clamped in range");
            proptest::prop_assert_eq!(
                centre.radius(km).contains(point),
                centre.distance_km(point) <= km
            );
        }

        /// The same at the edge of the estimate's band, where it matters most: points within
        /// 1 % of the radius (the band is narrower still for a short radius at low latitudes),
        /// at the latitudes and distances the estimate is used for.
        #[test]
        fn radius_agrees_with_the_haversine_distance_at_the_edge(
            lat in -60.0f64..60.0,
            lon in -179.0f64..179.0,
            km in 0.5f64..100.0,
            bearing in 0.0f64..std::f64::consts::TAU,
            ratio in 0.99f64..1.01,
        ) {
            let centre = GeoPoint::new(lat, lon).expect("in range");
            let reach = km * ratio;
            let d_lat = reach / 111.2 * bearing.cos();
            let d_lon = reach / (111.2 * lat.to_radians().cos()) * bearing.sin();
            let point = GeoPoint::new(lat + d_lat, (lon + d_lon).clamp(-180.0, 180.0))
                .expect("in range");
            proptest::prop_assert_eq!(
                centre.radius(km).contains(point),
                centre.distance_km(point) <= km
            );
        }
    }

    #[test]
    fn the_band_is_narrow_for_a_short_radius_and_never_above_five_percent() {
        let los_angeles = 34.05f64.to_radians().cos();
        let margin = Radius::margin(los_angeles, 24.0);
        assert!((0.004..0.005).contains(&margin), "got {margin}");
        // The widest case the estimate is used for stays inside the fixed band.
        assert!(Radius::margin(60f64.to_radians().cos(), 100.0) <= Radius::MARGIN);
        assert!(Radius::margin(1.0, 1.0) < 1e-5);
    }
}
