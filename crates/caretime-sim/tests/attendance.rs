//! The no-show chance by lead time: the scenario's curve, then the odds of attending falling
//! week by week past it.

use caretime_sim::scenario::builtin_scenario;

#[test]
fn past_the_curve_the_odds_of_attending_fall_each_week_of_waiting() {
    let scenario = builtin_scenario("socal-2024")
        .expect("built in")
        .expect("valid");
    let attendance = &scenario.attendance;
    // The curve itself: 5 % the same day, 24 % up to 7 days, 30 % up to 14 days.
    assert_eq!(attendance.no_show_share(0), 0.05);
    assert_eq!(attendance.no_show_share(7), 0.24);
    assert_eq!(attendance.no_show_share(14), 0.30);
    // Beyond 14 days the curve's last share, 33 %, until a whole week past it.
    assert_eq!(attendance.no_show_share(20), 0.33);
    // 21 days: one week past. Odds of attending 0.67 / 0.33 = 2.0303, times 0.95 = 1.9288; the
    // no-show chance 1 / (1 + 1.9288) = 0.3414.
    let one_week = attendance.no_show_share(21);
    assert!((one_week - 0.3414).abs() < 1e-4, "{one_week}");
    // 42 days: four weeks past, 2.0303 x 0.95^4 = 1.6537: 0.3768.
    let four_weeks = attendance.no_show_share(42);
    assert!((four_weeks - 0.3768).abs() < 1e-4, "{four_weeks}");
    // Never beyond certainty, and rising with the wait.
    let mut last = 0.0;
    for days in (0..2_000).step_by(7) {
        let share = attendance.no_show_share(days);
        assert!(
            (0.0..1.0).contains(&share) && share >= last,
            "{days}: {share}"
        );
        last = share;
    }
}
