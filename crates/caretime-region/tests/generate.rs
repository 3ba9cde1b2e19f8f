//! The synthetic region generator: sizes follow the ratios, templates keep the contract,
//! shares follow the parameters, and the same seed gives the same bytes.

use caretime_core::files::builtin;
use caretime_core::region::{Affiliation, Discipline, Language, Modality, Region};
use caretime_core::template::{BlockKind, check_template};
use caretime_region::file::write_region_json;
use caretime_region::generate::{
    GenerateError, MIN_MEMBERS_PER_CLINICIAN, RegionCounts, RegionParams, generate,
};
use jiff::civil::date;

fn socal(scale: f64) -> Region {
    generate(&RegionParams::socal(scale, 42)).expect("the socal preset is valid")
}

fn json(region: &Region) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_region_json(region, &mut bytes).expect("a generated region is writable");
    bytes
}

/// (internal non-physicians, internal psychiatrists, network providers)
fn clinician_counts(region: &Region) -> (usize, usize, usize) {
    let internal = |psychiatrist: bool| {
        region
            .clinicians
            .iter()
            .filter(|c| c.affiliation == Affiliation::Internal)
            .filter(|c| (c.discipline == Discipline::Psychiatrist) == psychiatrist)
            .count()
    };
    let network = region
        .clinicians
        .iter()
        .filter(|c| c.affiliation == Affiliation::Network)
        .count();
    (internal(false), internal(true), network)
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole as f64
}

fn assert_near(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual:.4} is not within {tolerance} of {expected}"
    );
}

#[test]
fn counts_follow_the_ratios_at_every_scale() {
    // (scale, members, therapists, psychiatrists, network providers, internal facilities,
    // network offices): therapists are members / 3,000 and psychiatrists members / 20,000, both
    // rounded up; facilities are 40 at full scale, at least one.
    let expected = [
        (1.0, 4_800_000, 1_600, 240, 13_000, 40, 1_300),
        (0.1, 480_000, 160, 24, 1_300, 4, 130),
        (0.01, 48_000, 16, 3, 130, 1, 13),
        (0.002, 9_600, 4, 1, 26, 1, 3),
        (1e-9, 0, 1, 1, 1, 1, 1),
    ];
    for (scale, members, therapists, psychiatrists, network, facilities, offices) in expected {
        let counts = RegionParams::socal(scale, 1).counts().expect("valid scale");
        assert_eq!(
            counts,
            RegionCounts {
                members,
                therapists,
                psychiatrists,
                network_providers: network,
                internal_facilities: facilities,
                network_offices: offices,
            },
            "scale {scale}"
        );
    }
    for scale in [0.01, 0.002] {
        let counts = RegionParams::socal(scale, 1).counts().expect("valid scale");
        let region = socal(scale);
        assert_eq!(region.members.len(), counts.members as usize);
        assert_eq!(
            clinician_counts(&region),
            (
                counts.therapists as usize,
                counts.psychiatrists as usize,
                counts.network_providers as usize
            )
        );
        assert_eq!(
            region.facilities.len(),
            (counts.internal_facilities + counts.network_offices) as usize
        );
    }
}

#[test]
fn ids_are_positions() {
    let region = socal(0.002);
    assert!(
        region
            .facilities
            .iter()
            .enumerate()
            .all(|(i, f)| f.id.index() == i)
    );
    assert!(
        region
            .clinicians
            .iter()
            .enumerate()
            .all(|(i, c)| c.id.index() == i)
    );
    assert!(
        region
            .members
            .iter()
            .enumerate()
            .all(|(i, m)| m.id.index() == i)
    );
    assert!(region.clinicians.iter().all(|c| {
        c.facility.index() < region.facilities.len() && c.template.index() < region.templates.len()
    }));
}

#[test]
fn internal_templates_keep_the_contract_and_fit_their_facility() {
    let contract = builtin::contract("socal-2025").expect("built in");
    let region = socal(0.01);
    for clinician in &region.clinicians {
        let template = &region.templates[clinician.template.index()];
        assert_eq!(template.fte, clinician.fte);
        if clinician.affiliation == Affiliation::Internal {
            let hours = &region.facilities[clinician.facility.index()].hours;
            let check = check_template(template, &contract, hours);
            assert!(check.is_valid(), "{}: {:?}", clinician.id, check.violations);
        }
    }
    // Internal clinicians share one template per FTE: three FTEs in the preset.
    let internal_templates: std::collections::BTreeSet<_> = region
        .clinicians
        .iter()
        .filter(|c| c.affiliation == Affiliation::Internal)
        .map(|c| c.template)
        .collect();
    assert!(internal_templates.len() <= 3, "{internal_templates:?}");
}

#[test]
fn network_providers_give_two_direct_hours_on_weekdays() {
    let region = socal(0.01);
    for clinician in region
        .clinicians
        .iter()
        .filter(|c| c.affiliation == Affiliation::Network)
    {
        let template = &region.templates[clinician.template.index()];
        assert_eq!(template.minutes(BlockKind::Direct), 120);
        assert_eq!(template.paid_minutes(), 120);
        let office = &region.facilities[clinician.facility.index()];
        assert_eq!(office.calendar.holidays().name(), "us-federal");
        for block in &template.blocks {
            assert_eq!(block.range.minutes(), 60);
            let open = office.hours.on(block.day).expect("weekday blocks only");
            assert!(open.contains(block.range), "{block}");
        }
        assert!(clinician.modalities.contains(Modality::InPerson));
    }
}

#[test]
fn identical_network_weeks_share_a_template() {
    // One hour a week: only 50 different weeks exist for 1,300 providers.
    let mut params = RegionParams::socal(0.1, 3);
    params.members = 0;
    params.network_hours_per_week = 1;
    let region = generate(&params).expect("valid");
    assert_eq!(clinician_counts(&region).2, 1_300);
    assert!(
        region.templates.len() <= 50 + 3,
        "{}",
        region.templates.len()
    );
}

#[test]
fn with_more_hours_the_network_gives_more() {
    let mut params = RegionParams::socal(0.002, 3);
    params.network_hours_per_week = 6;
    let region = generate(&params).expect("valid");
    for clinician in region
        .clinicians
        .iter()
        .filter(|c| c.affiliation == Affiliation::Network)
    {
        let template = &region.templates[clinician.template.index()];
        assert_eq!(template.minutes(BlockKind::Direct), 6 * 60);
        // 6 of 40 hours is 0.15 FTE.
        assert_eq!(clinician.fte.hundredths(), 15);
    }
}

#[test]
fn facilities_named_first_then_spread_over_the_counties() {
    let mut params = RegionParams::socal(1.0, 5);
    // Full-scale facilities and network, few members: fast, and every facility exists.
    params.members = 200_000;
    let region = generate(&params).expect("valid");
    let internal: Vec<_> = region
        .facilities
        .iter()
        .filter(|f| f.calendar.holidays().name() == "california-state")
        .collect();
    assert_eq!(internal.len(), 40);
    assert_eq!(internal[0].name, "Los Angeles Medical Center");
    assert_eq!(internal[7].name, "Bakersfield mental health offices");
    for county in [
        "Los Angeles",
        "Orange",
        "Riverside",
        "San Bernardino",
        "San Diego",
    ] {
        assert!(
            internal.iter().any(|f| f.name.starts_with(county)),
            "no generated clinic in {county} County"
        );
    }
    for facility in &region.facilities {
        assert_eq!(facility.time_zone.iana_name(), Some("America/Los_Angeles"));
        // Southern California, from San Diego to beyond Bakersfield.
        assert!(
            (32.0..36.0).contains(&facility.location.lat()),
            "{}",
            facility.name
        );
        assert!(
            (-120.5..-115.5).contains(&facility.location.lon()),
            "{}",
            facility.name
        );
    }
    assert_eq!(region.facilities.len(), 40 + 1_300);
}

#[test]
fn clinicians_follow_the_members_around_each_facility() {
    let mut params = RegionParams::socal(1.0, 9);
    params.members = 120_000;
    params.members_per_therapist = 200;
    let region = generate(&params).expect("valid");
    let n_internal = 40;
    // Members per facility, by nearest internal facility (a naive scan), against the
    // facility's therapists.
    let mut members_at = vec![0f64; n_internal];
    for member in &region.members {
        let home = *member.home.expose();
        let nearest = (0..n_internal)
            .min_by(|a, b| {
                let da = home.distance_km(region.facilities[*a].location);
                let db = home.distance_km(region.facilities[*b].location);
                da.total_cmp(&db)
            })
            .expect("40 facilities");
        members_at[nearest] += 1.0;
    }
    let mut therapists_at = vec![0f64; n_internal];
    for clinician in &region.clinicians {
        if clinician.affiliation == Affiliation::Internal
            && clinician.discipline != Discipline::Psychiatrist
        {
            therapists_at[clinician.facility.index()] += 1.0;
        }
    }
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let (mx, my) = (mean(&members_at), mean(&therapists_at));
    let covariance: f64 = members_at
        .iter()
        .zip(&therapists_at)
        .map(|(x, y)| (x - mx) * (y - my))
        .sum();
    let spread = |xs: &[f64], m: f64| xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>().sqrt();
    let correlation = covariance / (spread(&members_at, mx) * spread(&therapists_at, my));
    assert!(correlation > 0.98, "correlation {correlation}");
}

#[test]
fn languages_and_modalities_follow_the_shares() {
    let region = socal(0.01);
    let n = region.members.len();
    let speaking = |code: &str| {
        let language: Language = code.parse().expect("valid code");
        region
            .members
            .iter()
            .filter(|m| m.language == language)
            .count()
    };
    assert_near(share(speaking("en"), n), 0.62, 0.015, "english members");
    assert_near(share(speaking("es"), n), 0.30, 0.015, "spanish members");
    for code in ["zh", "vi", "ko", "tl", "hy", "fa"] {
        assert!(speaking(code) > 0, "no member speaks {code}");
    }
    let accepting = |modality| {
        region
            .members
            .iter()
            .filter(|m| m.accepts.contains(modality))
            .count()
    };
    assert_eq!(accepting(Modality::InPerson), n);
    assert_near(share(accepting(Modality::Video), n), 0.75, 0.015, "video");
    assert_near(share(accepting(Modality::Phone), n), 0.60, 0.015, "phone");

    let mut params = RegionParams::socal(0.1, 42);
    params.members = 0;
    let region = generate(&params).expect("valid");
    let clinicians = &region.clinicians;
    assert!(clinicians.iter().all(|c| c.speaks(Language::ENGLISH)));
    let bilingual = clinicians
        .iter()
        .filter(|c| c.speaks(Language::SPANISH))
        .count();
    assert_near(
        share(bilingual, clinicians.len()),
        0.25,
        0.03,
        "spanish clinicians",
    );
    let third_language = clinicians
        .iter()
        .filter(|c| c.languages.len() > 1 + usize::from(c.speaks(Language::SPANISH)))
        .count();
    assert_near(
        share(third_language, clinicians.len()),
        0.04,
        0.02,
        "third language",
    );
    let network: Vec<_> = clinicians
        .iter()
        .filter(|c| c.affiliation == Affiliation::Network)
        .collect();
    let psychiatrists = network
        .iter()
        .filter(|c| c.discipline == Discipline::Psychiatrist)
        .count();
    assert_near(
        share(psychiatrists, network.len()),
        0.08,
        0.02,
        "network psychiatrists",
    );
    let video = network
        .iter()
        .filter(|c| c.modalities.contains(Modality::Video))
        .count();
    assert_near(share(video, network.len()), 0.70, 0.04, "network video");
}

#[test]
fn members_are_plausible_and_their_phi_stays_hidden() {
    let region = socal(0.002);
    let mut plan_numbers: Vec<&str> = region
        .members
        .iter()
        .map(|m| m.plan_number.expose().as_str())
        .collect();
    assert!(
        plan_numbers
            .iter()
            .all(|n| n.len() == 11 && n.starts_with("SC"))
    );
    plan_numbers.sort_unstable();
    plan_numbers.dedup();
    assert_eq!(
        plan_numbers.len(),
        region.members.len(),
        "plan numbers repeat"
    );
    for member in &region.members {
        let born = *member.birth_date.expose();
        assert!((date(1940, 1, 1)..=date(2020, 12, 31)).contains(&born));
        let debug = format!("{member:?}");
        assert!(!debug.contains(member.name.expose().as_str()), "{debug}");
        assert!(
            !debug.contains(member.plan_number.expose().as_str()),
            "{debug}"
        );
    }
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let first = json(&socal(0.002));
    assert_eq!(first, json(&socal(0.002)));
    let other_seed = generate(&RegionParams::socal(0.002, 43)).expect("valid");
    assert_ne!(first, json(&other_seed));
}

#[test]
fn changing_the_network_leaves_the_members_alone() {
    let base = socal(0.002);
    let mut params = RegionParams::socal(0.002, 42);
    params.network_hours_per_week = 3;
    params.network_providers = 20_000;
    let changed = generate(&params).expect("valid");
    assert_eq!(base.members.len(), changed.members.len());
    for (a, b) in base.members.iter().zip(&changed.members) {
        assert_eq!(a.name.expose(), b.name.expose());
        assert_eq!(a.home.expose(), b.home.expose());
    }
}

#[test]
fn bad_parameters_are_rejected() {
    let with = |change: &dyn Fn(&mut RegionParams)| {
        let mut params = RegionParams::socal(0.001, 1);
        change(&mut params);
        generate(&params).expect_err("invalid parameters")
    };
    for scale in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(with(&|p| p.scale = scale), GenerateError::Scale(_)),
            "{scale}"
        );
    }
    assert!(matches!(
        with(&|p| p.scale = 1e6),
        GenerateError::TooMany {
            what: "members",
            ..
        }
    ));
    // A ratio below the generator's minimum (0 included) would staff a clinician per handful of
    // members: work that grows with the square of the region.
    for value in [0, 1, MIN_MEMBERS_PER_CLINICIAN - 1] {
        assert_eq!(
            with(&|p| p.members_per_therapist = value),
            GenerateError::Ratio {
                name: "members_per_therapist",
                value
            }
        );
    }
    // Ten times socal is 48 million members, more than a region holds.
    assert_eq!(
        with(&|p| p.scale = 10.0),
        GenerateError::TooMany {
            what: "members",
            count: 48_000_000,
            limit: 10_000_000
        }
    );
    assert_eq!(
        with(&|p| p.network_providers = 2_000_000_000),
        GenerateError::TooMany {
            what: "clinicians",
            count: 2_000_003,
            limit: 150_000
        }
    );
    assert_eq!(
        with(&|p| p.internal_contract = "nuhw-2030".to_owned()),
        GenerateError::UnknownContract("nuhw-2030".to_owned())
    );
    assert!(matches!(
        with(&|p| p.network_hours_per_week = 0),
        GenerateError::NetworkHours { .. }
    ));
    assert!(matches!(
        with(&|p| p.network_hours_per_week = 41),
        GenerateError::NetworkHours { max: 40, .. }
    ));
    assert_eq!(
        with(&|p| p.internal_disciplines.push((Discipline::Psychiatrist, 1))),
        GenerateError::PsychiatristInMix
    );
    assert!(matches!(
        with(&|p| p.member_video_share = 1.5),
        GenerateError::Share {
            field: "member_video_share",
            ..
        }
    ));
    assert!(matches!(
        with(&|p| p.time_zone = "Mars/Olympus_Mons".to_owned()),
        GenerateError::UnknownTimeZone(_)
    ));
    assert!(matches!(
        with(&|p| p.network_calendar = "martian".to_owned()),
        GenerateError::UnknownCalendar(_)
    ));
    assert_eq!(
        with(&|p| p.counties.clear()),
        GenerateError::NoWeight("counties")
    );
    assert!(matches!(
        with(&|p| p.named_facilities[0].county = 99),
        GenerateError::UnknownCounty { county: 99, .. }
    ));
    assert_eq!(
        with(&|p| p.birth_years = (2020, 1940)),
        GenerateError::BirthYears(2020, 1940)
    );
    assert!(matches!(
        with(&|p| p.counties[0].spread_km = f64::NAN),
        GenerateError::Spread { .. }
    ));
    // Messages are lowercase sentences naming the parameter.
    let message = with(&|p| p.scale = -2.0).to_string();
    assert_eq!(message, "scale must be a finite number above 0 (got -2)");
}
