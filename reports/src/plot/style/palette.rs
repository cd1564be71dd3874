//! The task palette and which task gets which of its colours. The rule,
//! and why, is in the parent module's doc ([`super`]); the thresholds are
//! checked by the tests at the end, through the colour science in `vision`.

use plotters::style::RGBColor;

/// The palette: seven hues from Paul Tol's colour-blind-safe schemes
/// (<https://personal.sron.nl/~pault/>): his "bright" scheme without its
/// red (red marks misses) and grey (grey marks neutral things), with
/// "vibrant" orange and "light" pink. One blue and one light blue only:
/// muted indigo and teal were the third and fourth blue-looking colours
/// of the old palette. Slot order only decides where probing goes next.
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0x44, 0x77, 0xAA), // 0 blue (bright)
    RGBColor(0xEE, 0x77, 0x33), // 1 orange (vibrant)
    RGBColor(0x66, 0xCC, 0xEE), // 2 cyan (bright)
    RGBColor(0xAA, 0x33, 0x77), // 3 purple (bright)
    RGBColor(0x22, 0x88, 0x33), // 4 green (bright)
    RGBColor(0xCC, 0xBB, 0x44), // 5 yellow (bright)
    RGBColor(0xFF, 0xAA, 0xBB), // 6 pink (light)
];

/// The pairs of slots a dichromat may confuse: CIEDE2000 below
/// 15 (`CVD_DISTINCT`) under one of Machado et al.'s simulations. Kept as a
/// table, so the rule reads without any colour science; a test recomputes
/// it from the palette.
const CONFUSABLE: [(usize, usize); 6] = [
    (0, 3), // blue, purple: 14.2 (protanopia)
    (0, 4), // blue, green: 8.6 (tritanopia)
    (1, 4), // orange, green: 5.1 (protanopia)
    (1, 5), // orange, yellow: 7.2 (deuteranopia)
    (2, 6), // cyan, pink: 13.8 (protanopia)
    (5, 6), // yellow, pink: 12.2 (tritanopia)
];

/// The least CIEDE2000 distance between any two palette colours in
/// normal vision (the closest pair, blue and cyan, is 27.2 apart).
#[cfg(test)]
const NORMAL_DISTINCT: f64 = 25.0;
/// The same for the miss red: orange, the closest, is 22.8 from it (and
/// pink 36.9).
#[cfg(test)]
const MISS_DISTINCT: f64 = 20.0;

/// The CIEDE2000 distance under which two colours count as hard to tell
/// apart for a protanope, deuteranope or tritanope (Machado et al. 2009,
/// severity 1.0); the same value as the Colorally palette generator's
/// default for its colour-blind modes.
#[cfg(test)]
const CVD_DISTINCT: f64 = 15.0;

/// The colour of palette slot `slot` (wrapping).
pub(crate) fn task_color(slot: usize) -> RGBColor {
    PALETTE[slot % PALETTE.len()]
}

/// 64-bit FNV-1a of `bytes` (Fowler, Noll, Vo): fixed constants, the
/// same on every machine and in every release, unlike std's `RandomState`.
fn fnv1a(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// The slot `name` asks for: FNV-1a of its UTF-8 bytes, modulo the
/// palette's size.
pub(crate) fn preferred_slot(name: &str) -> usize {
    // The remainder is below 7: the cast cannot truncate.
    (fnv1a(name.as_bytes()) % PALETTE.len() as u64) as usize
}

/// Whether slots `a` and `b` may be confused under some dichromacy.
fn confusable(a: usize, b: usize) -> bool {
    CONFUSABLE.contains(&(a.min(b), a.max(b)))
}

/// The colour of each task of one report, by name, built once from the
/// ordered list of every task name in the report and handed to every plot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TaskColors {
    /// `(name, slot)`, in report order.
    slots: Vec<(String, usize)>,
}

impl TaskColors {
    /// The assignment for `names`, in report order (a name seen before is
    /// skipped): each task takes, probing from its preferred slot onward,
    /// the first slot used by the fewest earlier tasks that a dichromat
    /// tells from the previous task's, else the first such slot.
    pub(crate) fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> TaskColors {
        let mut slots: Vec<(String, usize)> = Vec::new();
        let mut uses = [0usize; PALETTE.len()];
        for name in names {
            if slots.iter().any(|(n, _)| n == name) {
                continue;
            }
            let fewest = uses.iter().copied().min().unwrap_or(0);
            let first = preferred_slot(name);
            let free: Vec<usize> = (0..PALETTE.len())
                .map(|k| (first + k) % PALETTE.len())
                .filter(|&s| uses[s] == fewest)
                .collect();
            let previous = slots.last().map(|&(_, s)| s);
            let slot = free
                .iter()
                .copied()
                .find(|&s| previous.is_none_or(|p| s != p && !confusable(s, p)))
                .or(free.first().copied())
                .unwrap_or(first);
            uses[slot] += 1;
            slots.push((name.to_string(), slot));
        }
        TaskColors { slots }
    }

    /// The slot of `name`: its assigned one, or its preferred one if the
    /// report did not list it.
    pub(crate) fn slot(&self, name: &str) -> usize {
        self.slots
            .iter()
            .find(|(n, _)| n == name)
            .map_or_else(|| preferred_slot(name), |&(_, s)| s)
    }
}

#[cfg(test)]
mod vision;

#[cfg(test)]
mod tests {
    use super::vision::{Vision, ciede2000};
    use super::*;

    fn names(list: &[&str]) -> TaskColors {
        TaskColors::new(list.iter().copied())
    }

    /// Every pair of slots `(a, b)`, `a < b`.
    fn pairs() -> Vec<(usize, usize)> {
        (0..PALETTE.len())
            .flat_map(|a| (a + 1..PALETTE.len()).map(move |b| (a, b)))
            .collect()
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference test suite (Landon Curt Noll).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn every_pair_of_palette_colours_is_distinct_in_normal_vision() {
        for (a, b) in pairs() {
            let d = ciede2000(PALETTE[a], PALETTE[b], Vision::Normal);
            assert!(d >= NORMAL_DISTINCT, "slots {a} and {b}: {d:.1}");
        }
    }

    #[test]
    fn the_confusable_table_is_exactly_the_pairs_below_the_cvd_threshold() {
        let mut computed = Vec::new();
        for (a, b) in pairs() {
            let worst = Vision::DICHROMACIES
                .iter()
                .map(|&v| ciede2000(PALETTE[a], PALETTE[b], v))
                .fold(f64::INFINITY, f64::min);
            if worst < CVD_DISTINCT {
                computed.push((a, b));
            }
        }
        assert_eq!(computed, CONFUSABLE.to_vec());
    }

    #[test]
    fn slots_the_rule_may_place_side_by_side_stay_distinct_for_dichromats() {
        // Every pair the assignment is allowed to put next to each other
        // (all but the table's) keeps the threshold in all three
        // simulations.
        for (a, b) in pairs().into_iter().filter(|&(a, b)| !confusable(a, b)) {
            for v in Vision::DICHROMACIES {
                let d = ciede2000(PALETTE[a], PALETTE[b], v);
                assert!(d >= CVD_DISTINCT, "slots {a}, {b} under {v:?}: {d:.1}");
            }
        }
        // At most two partners each: the first five tasks of a report
        // always find a free slot their neighbour is not confused with.
        for s in 0..PALETTE.len() {
            let partners = (0..PALETTE.len()).filter(|&t| confusable(s, t)).count();
            assert!(partners <= 2, "slot {s}: {partners}");
        }
    }

    #[test]
    fn no_palette_colour_is_close_to_the_miss_red() {
        for (s, &c) in PALETTE.iter().enumerate() {
            let d = ciede2000(c, super::super::MISS, Vision::Normal);
            assert!(d >= MISS_DISTINCT, "slot {s}: {d:.1}");
        }
    }

    #[test]
    fn a_task_keeps_its_preferred_colour_when_nothing_collides() {
        let alone = names(&["sensor"]);
        assert_eq!(alone.slot("sensor"), preferred_slot("sensor"));
        // The same name, any report that does not move it: one colour.
        let a = names(&["sensor", "control", "gps"]);
        assert_eq!(a.slot("gps"), preferred_slot("gps"));
        let b = names(&["control", "sensor"]);
        for n in ["sensor", "control"] {
            assert_eq!(a.slot(n), preferred_slot(n), "{n}");
            assert_eq!(b.slot(n), a.slot(n), "{n}");
        }
        // An unlisted name gets its preferred slot.
        assert_eq!(a.slot("logger"), preferred_slot("logger"));
    }

    #[test]
    fn a_collision_moves_the_later_task_to_the_next_slot() {
        // `camera` asks for `sensor`'s slot (6, pink); listed after it, it
        // probes on: slot 0 (blue) is free and distinct.
        assert_eq!(preferred_slot("sensor"), 6);
        assert_eq!(preferred_slot("camera"), 6);
        let c = names(&["sensor", "camera"]);
        assert_eq!((c.slot("sensor"), c.slot("camera")), (6, 0));
        // In the other order, `camera` keeps 6 and `sensor` moves: the
        // one limit of the rule (a collision can move a colour).
        let c = names(&["camera", "sensor"]);
        assert_eq!((c.slot("camera"), c.slot("sensor")), (6, 0));
    }

    #[test]
    fn a_neighbour_a_dichromat_would_confuse_moves_the_later_task() {
        // `control` takes green (4); `light1` asks for blue (0), which
        // tritanopes confuse with green, then orange (1), which protanopes
        // do: it probes on to cyan (2).
        assert_eq!(preferred_slot("control"), 4);
        assert_eq!(preferred_slot("light1"), 0);
        let c = names(&["control", "light1"]);
        assert_eq!(c.slot("light1"), 2);
        // Not neighbours (`fast` takes cyan between them): blue is fine.
        let c = names(&["control", "fast", "light1"]);
        assert_eq!((c.slot("fast"), c.slot("light1")), (2, 0));
    }

    #[test]
    fn reports_of_up_to_seven_tasks_never_share_a_colour_and_five_never_confuse_neighbours() {
        // Every window of consecutive names from a fixed list of plausible
        // task names, in two orders.
        let pool: Vec<String> = [
            "sensor",
            "control",
            "telemetry",
            "logger",
            "bus_manager",
            "comms",
            "meteo",
            "t1",
            "t2",
            "t3",
            "light1",
            "light2",
            "heavy",
            "fast",
            "slow",
            "sampler",
            "vision",
            "batch",
            "imu",
            "gps",
            "radio",
            "camera",
            "motors",
            "health",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let reversed: Vec<String> = pool.iter().rev().cloned().collect();
        for list in [&pool, &reversed] {
            for len in 1..=PALETTE.len() {
                for window in list.windows(len) {
                    let colors = TaskColors::new(window.iter().map(String::as_str));
                    let slots: Vec<usize> = window.iter().map(|n| colors.slot(n)).collect();
                    for (i, s) in slots.iter().enumerate() {
                        assert!(!slots[..i].contains(s), "{window:?}: {slots:?}");
                    }
                    if len <= 5 {
                        for w in slots.windows(2) {
                            assert!(!confusable(w[0], w[1]), "{window:?}: {slots:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn past_seven_tasks_colours_repeat_evenly() {
        let list: Vec<String> = (0..20).map(|i| format!("task{i}")).collect();
        let colors = TaskColors::new(list.iter().map(String::as_str));
        let mut uses = [0; PALETTE.len()];
        for n in &list {
            uses[colors.slot(n)] += 1;
        }
        // 20 tasks on 7 slots: each used two or three times.
        assert!(uses.iter().all(|&u| (2..=3).contains(&u)), "{uses:?}");
        // A name listed twice keeps its first slot.
        let twice = names(&["a", "b", "a"]);
        assert_eq!(twice, names(&["a", "b"]));
    }
}
