//! Utilization bounds for preemptive fixed priorities on one processor.
//!
//! - **Liu & Layland** (C. L. Liu and J. W. Layland, "Scheduling algorithms
//!   for multiprogramming in a hard-real-time environment", JACM 20(1),
//!   1973): `n` independent periodic tasks with implicit deadlines under
//!   rate-monotonic priorities are schedulable if
//!   `U = Σ C_i / T_i <= n (2^(1/n) - 1)`.
//! - **Hyperbolic bound** (E. Bini, G. C. Buttazzo and G. M. Buttazzo,
//!   "Rate monotonic analysis: the hyperbolic bound", IEEE Transactions on
//!   Computers 52(7), 2003): under the same assumptions the set is
//!   schedulable if `Π (U_i + 1) <= 2`. It accepts every set Liu & Layland
//!   accepts, and more.
//!
//! Both are sufficient tests. They apply only to their model: implicit
//! deadlines, preemptive dispatching, no release jitter, no resource shared
//! between tasks of the CPU, and rate-monotonic priorities; otherwise the
//! test is reported as not applicable with the reason.
//!
//! The hyperbolic product is compared with 2 exactly (as the integer
//! inequality `Π (C_i + T_i) <= 2 Π T_i`, see [`super::ratio`]), since
//! sets land exactly on the bound. The Liu & Layland bound is irrational
//! for `n >= 2`, so a utilization (a rational) never equals it; the
//! comparison keeps a margin of `(n + 8) 2^-50` against rounding, which only
//! makes the test stricter.

use std::cmp::Ordering;

use super::{Group, Run, TestKind, TestVerdict, Timing, cpu_prefix, fmt_ratio, ratio, timings};
use crate::model::{Priority, System};
use crate::time::Duration;

/// The Liu & Layland bound `n (2^(1/n) - 1)`: 1 for one task, 0.828 for two,
/// 0.780 for three, tending to ln 2 = 0.693. Returns 1 for `n = 0`.
pub fn liu_layland_bound(n: usize) -> f64 {
    if n <= 1 {
        return 1.0;
    }
    let n = n as f64;
    // n (e^(ln 2 / n) - 1), with exp_m1 for precision at large n.
    n * (std::f64::consts::LN_2 / n).exp_m1()
}

/// Total utilization `Σ C_i / T_i` (display figure).
pub fn total(tasks: &[Timing]) -> f64 {
    tasks.iter().map(Timing::utilization).sum()
}

/// Compares the total utilization `Σ C_i / T_i` with the integer `bound`,
/// exactly.
pub fn compare(tasks: &[Timing], bound: u64) -> Ordering {
    ratio::sum_cmp(
        tasks
            .iter()
            .map(|t| (u128::from(t.wcet.as_nanos()), t.period.as_nanos())),
        bound,
    )
}

/// The Liu & Layland test on one processor: `U <= n (2^(1/n) - 1)`.
///
/// Only the figures are checked; the caller makes sure the model applies
/// (implicit deadlines, rate-monotonic priorities, preemptive, independent).
pub fn liu_layland(tasks: &[Timing]) -> bool {
    let n = tasks.len();
    if n <= 1 {
        return compare(tasks, 1) != Ordering::Greater;
    }
    let margin = (n as f64 + 8.0) * (-50.0_f64).exp2();
    total(tasks) + margin <= liu_layland_bound(n)
}

/// The hyperbolic product `Π (U_i + 1)`, for display.
pub fn hyperbolic_product(tasks: &[Timing]) -> f64 {
    tasks.iter().map(|t| t.utilization() + 1.0).product()
}

/// The hyperbolic test on one processor: `Π (U_i + 1) <= 2`, decided
/// exactly. Same model as [`liu_layland`].
pub fn hyperbolic(tasks: &[Timing]) -> bool {
    let factors = tasks.iter().map(|t| {
        let (c, p) = (t.wcet.as_nanos(), t.period.as_nanos());
        (u128::from(c) + u128::from(p), p)
    });
    ratio::product_cmp(factors, 2) != Ordering::Greater
}

/// Why the utilization bounds do not apply to a group, if they do not.
fn not_applicable(system: &System, group: &Group) -> Option<String> {
    if !system.scheduler.preemptive {
        return Some("non-preemptive dispatching".to_string());
    }
    let tasks: Vec<_> = group.tasks.iter().map(|id| &system.tasks[id.0]).collect();
    if let Some(t) = tasks.iter().find(|t| t.deadline != t.period) {
        return Some(format!(
            "`{}` has D = {} != T = {} (implicit deadlines required)",
            t.name, t.deadline, t.period
        ));
    }
    if let Some(t) = tasks.iter().find(|t| t.trigger.is_some()) {
        let trigger = t.trigger.map_or("?", |k| system.tasks[k.0].name.as_str());
        return Some(format!(
            "`{}` is released by `{trigger}`'s completions (periodic releases required)",
            t.name
        ));
    }
    if let Some(t) = tasks.iter().find(|t| !t.release_jitter.is_zero()) {
        return Some(format!(
            "`{}` has release jitter {} (none allowed)",
            t.name, t.release_jitter
        ));
    }
    // A resource shared with a task anywhere (even on another CPU) makes the
    // tasks dependent.
    for resource in &system.resources {
        let users = &resource.users;
        if users.len() >= 2 && users.iter().any(|u| group.tasks.contains(u)) {
            return Some(format!(
                "`{}` and `{}` share `{}` (independent tasks required)",
                system.tasks[users[0].0].name, system.tasks[users[1].0].name, resource.name
            ));
        }
    }
    if !rate_monotonic_violated(tasks.iter().map(|t| (t.period, t.priority)).collect()) {
        return None;
    }
    // Name the first offending pair in task order (quadratic, but only
    // once a pair is known to exist).
    for a in &tasks {
        for b in &tasks {
            if a.period < b.period && a.priority <= b.priority {
                return Some(format!(
                    "priorities are not rate-monotonic: `{}` (T = {}) is not above `{}` (T = {})",
                    a.name, a.period, b.name, b.period
                ));
            }
        }
    }
    None
}

/// The `liu-layland` and `hyperbolic` tests of a partitioned
/// fixed-priority system, CPU by CPU.
pub(crate) fn bound_tests(system: &System, groups: &[Group]) -> (Run, Run) {
    let mut reasons = Vec::new();
    for group in groups {
        if let Some(why) = not_applicable(system, group) {
            reasons.push(format!("{}{why}", cpu_prefix(groups, group)));
        }
    }
    if !reasons.is_empty() {
        let why = format!("does not apply: {}", reasons.join("; "));
        return (
            Run::not_applicable("liu-layland", TestKind::Sufficient, &why),
            Run::not_applicable("hyperbolic", TestKind::Sufficient, &why),
        );
    }
    let (mut ll_ok, mut hb_ok) = (true, true);
    let (mut ll_lines, mut hb_lines) = (Vec::new(), Vec::new());
    for group in groups {
        let tasks = timings(system, &group.tasks);
        let prefix = cpu_prefix(groups, group);
        let u = total(&tasks);
        let n = tasks.len();
        let bound = liu_layland_bound(n);
        let ll = liu_layland(&tasks);
        ll_ok &= ll;
        ll_lines.push(format!(
            "{prefix}U = {} {} {} (n = {n})",
            fmt_ratio(u),
            if ll { "<=" } else { ">" },
            fmt_ratio(bound)
        ));
        let hb = hyperbolic(&tasks);
        hb_ok &= hb;
        hb_lines.push(format!(
            "{prefix}Π(U_i + 1) = {} {} 2 (exact)",
            fmt_ratio(hyperbolic_product(&tasks)),
            if hb { "<=" } else { ">" }
        ));
    }
    let verdict = |name: &str, ok: bool, lines: Vec<String>| Run {
        test: TestVerdict {
            name: name.to_string(),
            kind: TestKind::Sufficient,
            applies: true,
            schedulable: Some(ok),
            detail: lines.join("; "),
        },
        refutes: false,
    };
    (
        verdict("liu-layland", ll_ok, ll_lines),
        verdict("hyperbolic", hb_ok, hb_lines),
    )
}

/// Whether some task, given as (period, priority), has a shorter period
/// than another and a priority no higher: in O(n log n), by period from
/// the longest, against the highest priority among strictly longer
/// periods.
fn rate_monotonic_violated(mut by_period: Vec<(Duration, Priority)>) -> bool {
    by_period.sort_unstable_by_key(|&(period, _)| std::cmp::Reverse(period));
    // The highest priority among the periods longer than the current one.
    let mut longer: Option<Priority> = None;
    for same in by_period.chunk_by(|a, b| a.0 == b.0) {
        if let Some(top) = longer
            && same.iter().any(|&(_, p)| p <= top)
        {
            return true;
        }
        let here = same.iter().map(|&(_, p)| p).max();
        longer = longer.max(here);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::model::{Locking, SystemBuilder};
    use crate::time::Duration;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v).unwrap()
    }

    fn set(ct: &[(u64, u64)]) -> Vec<Timing> {
        ct.iter()
            .map(|&(c, t)| Timing::new(ms(c), ms(t), ms(t)))
            .collect()
    }

    #[test]
    fn bound_values() {
        assert_eq!(liu_layland_bound(1), 1.0);
        assert!((liu_layland_bound(2) - 0.828_427).abs() < 1e-6);
        assert!((liu_layland_bound(3) - 0.779_763).abs() < 1e-6);
        assert!((liu_layland_bound(1_000_000) - std::f64::consts::LN_2).abs() < 1e-6);
    }

    #[test]
    fn burns_wellings_task_sets() {
        // Burns & Wellings, Real-Time Systems and Programming Languages, 4th
        // ed., ch. 11 (utilization-based tests). (C, T).
        // Task set A: U = 247/300 = 0.823 > 0.780: fails LL.
        let a = set(&[(12, 50), (10, 40), (10, 30)]);
        assert!(!liu_layland(&a));
        // Task set B: U = 0.775 <= 0.780: passes LL (and so the hyperbolic).
        let b = set(&[(32, 80), (5, 40), (4, 16)]);
        assert!(liu_layland(&b));
        assert!(hyperbolic(&b)); // 63/32 = 1.969
        // Task set C: U = 1 exactly: fails LL (RTA accepts it, see rta.rs).
        let c = set(&[(40, 80), (10, 40), (5, 20)]);
        assert_eq!(compare(&c, 1), Ordering::Equal);
        assert!(!liu_layland(&c));
        assert!(!hyperbolic(&c));
    }

    #[test]
    fn buttazzo_example_fails_both_bounds() {
        // RTA example following Buttazzo, Hard Real-Time Computing Systems
        // (course notes edomari/Appunti-Real-Time-Embedded-Systems): (C, T) =
        // (1, 4), (2, 6), (3, 10): U = 53/60 = 0.883 > 0.780 and
        // Π = 13/6 = 2.167 > 2; RTA accepts it (R3 = 10, see rta.rs).
        let s = set(&[(1, 4), (2, 6), (3, 10)]);
        assert!(!liu_layland(&s));
        assert!(!hyperbolic(&s));
        assert!((hyperbolic_product(&s) - 13.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn hyperbolic_accepts_what_liu_layland_rejects() {
        // Same course notes: (3, 5), (1, 8), (1, 10): U = 33/40 = 0.825 >
        // 0.780, Π = 99/50 = 1.98 <= 2.
        let s = set(&[(3, 5), (1, 8), (1, 10)]);
        assert!(!liu_layland(&s));
        assert!(hyperbolic(&s));
        // Exactly on the bound, two tasks: U = 0.85 > 0.828 and
        // Π = 1.6 * 1.25 = 2; also (1, 2), (1, 3): Π = 3/2 * 4/3 = 2.
        // "<= 2" must accept both.
        for s in [set(&[(6, 10), (5, 20)]), set(&[(1, 2), (1, 3)])] {
            assert!(!liu_layland(&s));
            assert!(hyperbolic(&s));
        }
        // One nanosecond more execution time tips it over.
        let mut s = set(&[(1, 2), (1, 3)]);
        s[1].wcet = Duration::from_nanos(1_000_001);
        assert!(!hyperbolic(&s));
    }

    #[test]
    fn single_task_bound_is_exact() {
        assert!(liu_layland(&set(&[(5, 5)])));
        assert!(hyperbolic(&set(&[(5, 5)])));
    }

    #[test]
    fn reports_why_the_bounds_do_not_apply() {
        let constrained = SystemBuilder::new("x")
            .task("a", ms(10), ms(1))
            .deadline(ms(5))
            .build();
        let analysis = analyze(&constrained);
        assert!(!analysis.tests[0].applies);
        assert!(analysis.tests[0].detail.contains("implicit deadlines"));
        let not_rm = SystemBuilder::new("x")
            .task("a", ms(10), ms(1))
            .priority(2)
            .task("b", ms(5), ms(1))
            .priority(1)
            .build();
        let analysis = analyze(&not_rm);
        assert!(analysis.tests[1].detail.contains("not rate-monotonic"));
        let shared = SystemBuilder::new("x")
            .locking(Locking::Inherit)
            .task("a", ms(10), ms(2))
            .section("bus", ms(0), ms(1))
            .task("b", ms(20), ms(2))
            .section("bus", ms(0), ms(1))
            .build();
        let analysis = analyze(&shared);
        assert!(analysis.tests[0].detail.contains("share `bus`"));
    }

    #[test]
    fn detail_shows_the_figures() {
        // Burns & Wellings task set A.
        let system = SystemBuilder::new("a")
            .task("a", ms(50), ms(12))
            .task("b", ms(40), ms(10))
            .task("c", ms(30), ms(10))
            .build();
        let analysis = analyze(&system);
        assert_eq!(analysis.tests[0].detail, "U = 0.823 > 0.780 (n = 3)");
        assert_eq!(analysis.tests[0].schedulable, Some(false));
        assert_eq!(analysis.tests[1].detail, "Π(U_i + 1) = 2.067 > 2 (exact)");
    }

    proptest::proptest! {
        /// The O(n log n) check finds an offending pair exactly when the
        /// pairwise definition does (ties in period and priority included).
        #[test]
        fn rate_monotonic_check_agrees_with_every_pair(
            set in proptest::collection::vec((1u64..6, 0u32..6), 0..12)
        ) {
            let set: Vec<(Duration, Priority)> =
                set.into_iter().map(|(t, p)| (Duration::from_nanos(t), p)).collect();
            let pairwise = set
                .iter()
                .any(|a| set.iter().any(|b| a.0 < b.0 && a.1 <= b.1));
            proptest::prop_assert_eq!(rate_monotonic_violated(set), pairwise);
        }
    }
}
