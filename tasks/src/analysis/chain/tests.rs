//! Hand-computed chain bounds (every figure in nanoseconds).

use crate::analysis::analyze;
use crate::model::{Arrival, Overrun, SystemBuilder};
use crate::time::Duration;

fn ns(v: u64) -> Duration {
    Duration::from_nanos(v)
}

/// sensor (T 50, C 5) ~> filter (T 100, C 10) ~> actuate (T 200, C 20),
/// rate-monotonic on one CPU, each reading the previous one at its start.
fn register_chain() -> SystemBuilder {
    SystemBuilder::new("registers")
        .task("sensor", ns(50), ns(5))
        .task("filter", ns(100), ns(10))
        .reads("sensor")
        .task("actuate", ns(200), ns(20))
        .reads("filter")
}

#[test]
fn register_chain_data_age_and_reaction_match_the_hand_computation() {
    // RTA: R(sensor) = 5, R(filter) = 10 + ⌈w/50⌉5 = 15,
    // R(actuate) = 20 + ⌈w/50⌉5 + ⌈w/100⌉10 = 35.
    // Data age <= (T(sensor) 50 + R(sensor) 5) + (T(filter) 100 +
    //   R(filter) 15) + R(actuate) 35 = 205.
    // Reaction <= R(sensor) 5 + (T(filter) 100 + R(filter) 15) +
    //   (T(actuate) 200 + R(actuate) 35) = 355.
    // (Davare et al.'s Σ (T + R) = 55 + 115 + 235 = 405.)
    let system = register_chain()
        .chain("ctl", &["sensor", "filter", "actuate"], Some(ns(400)))
        .build();
    let analysis = analyze(&system);
    let chain = &analysis.chains[0];
    assert_eq!(chain.method, "davare");
    assert_eq!(chain.data_age_bound_ns, Some(Some(205)));
    assert_eq!(chain.bound_ns, Some(355));
    assert_eq!(chain.schedulable, Some(true));
    assert_eq!(
        chain.detail,
        "data age <= G(sensor) 50ns + R(sensor) 5ns + G(filter) 100ns + R(filter) 15ns + \
         R(actuate) 35ns = 205ns; reaction <= R(sensor) 5ns + G(filter) 100ns + R(filter) 15ns \
         + G(actuate) 200ns + R(actuate) 35ns = 355ns; 355ns <= deadline 400ns"
    );
    let json = serde_json::to_value(&analysis).unwrap();
    assert_eq!(json["chains"][0]["data_age_bound_ns"], 205);
    assert_eq!(json["chains"][0]["tasks"][2], "actuate");
}

#[test]
fn a_later_reader_offset_enters_the_reaction() {
    // filter first released at 300: a sensor value completed at 5 waits
    // until 300 (offset 300 - 0 > T(filter) 100): reaction <= 5 +
    // (300 + 15) + (200 + 35) = 555. The data age does not change.
    let system = register_chain()
        .chain("ctl", &["sensor", "filter", "actuate"], None)
        .build();
    let mut late = system.clone();
    late.tasks[1].offset = ns(300);
    let chain = &analyze(&late).chains[0];
    assert_eq!(chain.bound_ns, Some(555));
    assert_eq!(chain.data_age_bound_ns, Some(Some(205)));
    // No deadline: a bound, no verdict.
    assert_eq!(chain.schedulable, None);
    assert!(chain.detail.ends_with("no end-to-end deadline"));
}

#[test]
fn mixed_chain_uses_the_holistic_segment_and_the_register_hop() {
    // camera (T 100, C 10, prio 3) -> detect (C 20, prio 2) ~> ctrl
    // (T 50, C 5, prio 4, reads detect). R(ctrl) = 5; R(camera) = 10 + 5
    // = 15; J(detect) = 15, detect: w = 20 + ⌈w/50⌉5 + ⌈w/100⌉10 = 35,
    // R(detect from camera) = 50 (one job: own bound 35).
    // Segment camera -> detect: min(50, 15 + 35) = 50.
    // Data age <= (G(camera) 100 + R(detect from camera) 50) + R(ctrl) 5 = 155.
    // Reaction <= 50 + (G(ctrl) 50 + R(ctrl) 5) = 105. Bound 155.
    let system = SystemBuilder::new("mixed")
        .task("camera", ns(100), ns(10))
        .priority(3)
        .task("detect", ns(100), ns(20))
        .priority(2)
        .triggered_by("camera")
        .task("ctrl", ns(50), ns(5))
        .priority(4)
        .reads("detect")
        .chain("loop", &["camera", "detect", "ctrl"], Some(ns(150)))
        .build();
    let analysis = analyze(&system);
    assert_eq!(analysis.tasks[1].wcrt_ns, Some(35));
    let chain = &analysis.chains[0];
    assert_eq!(chain.method, "holistic+davare");
    assert_eq!(chain.data_age_bound_ns, Some(Some(155)));
    assert_eq!(chain.bound_ns, Some(155));
    assert_eq!(chain.schedulable, None);
}

#[test]
fn stale_values_and_poisson_writers_have_no_register_bound() {
    let mut skip = register_chain()
        .chain("ctl", &["sensor", "filter", "actuate"], Some(ns(400)))
        .build();
    skip.scheduler.overrun = Overrun::Skip;
    let chain = &analyze(&skip).chains[0];
    assert_eq!(
        (chain.bound_ns, chain.data_age_bound_ns),
        (None, Some(None))
    );
    assert!(chain.detail.contains("overrun = skip"));
    // A Poisson writer has no longest gap; a sporadic one uses its max.
    let poisson = SystemBuilder::new("p")
        .task("w", ns(10), ns(1))
        .arrival(Arrival::Poisson {
            mean: ns(20),
            min: ns(10),
        })
        .task("r", ns(10), ns(1))
        .reads("w")
        .chain("c", &["w", "r"], None)
        .build();
    let chain = &analyze(&poisson).chains[0];
    assert_eq!(chain.data_age_bound_ns, Some(None));
    assert!(
        chain.detail.contains("Poisson arrivals"),
        "{}",
        chain.detail
    );
    // Sporadic writer, gaps in [10, 30]: R(w) = 1, R(r) = 2 (T 10 each,
    // w first in file order under RM ties). Data age <= 30 + 1 + 2 = 33;
    // reaction <= 1 + (10 + 2) = 13.
    let sporadic = SystemBuilder::new("s")
        .task("w", ns(10), ns(1))
        .arrival(Arrival::Sporadic {
            min: ns(10),
            max: ns(30),
        })
        .task("r", ns(10), ns(1))
        .reads("w")
        .chain("c", &["w", "r"], None)
        .build();
    let chain = &analyze(&sporadic).chains[0];
    assert_eq!(chain.data_age_bound_ns, Some(Some(33)));
    assert_eq!(chain.bound_ns, Some(33));
}

#[test]
fn sets_without_chains_serialize_no_chains_key() {
    let system = SystemBuilder::new("plain").task("a", ns(10), ns(1)).build();
    let json = serde_json::to_value(analyze(&system)).unwrap();
    assert!(json.get("chains").is_none());
}
