//! Priority assignment: rate-monotonic, deadline-monotonic and Audsley's
//! optimal priority assignment.
//!
//! Derived orders number the tasks 1 (least urgent) to n (most urgent),
//! all distinct, over the whole system.
//!
//! - **Rate-monotonic** (Liu & Layland 1973): shorter period = higher
//!   priority.
//! - **Deadline-monotonic** (J. Y.-T. Leung and J. Whitehead, "On the
//!   complexity of fixed-priority scheduling of periodic, real-time tasks",
//!   Performance Evaluation 2(4), 1982): shorter relative deadline = higher
//!   priority. Optimal for constrained deadlines without jitter or blocking.
//! - **Audsley's OPA** (N. C. Audsley, "Optimal priority assignment and
//!   feasibility of static priority tasks with arbitrary start times", York
//!   YCS 164, 1991; "On priority assignment in fixed priority scheduling",
//!   IPL 79(1), 2001): from the lowest priority level up, give the level to
//!   any task that meets its deadline there with all unassigned tasks above
//!   it. Optimal for any test in which a task's verdict depends only on the
//!   set of tasks above it, not on their order: the exact response-time
//!   analysis with release jitter, arbitrary deadlines and non-preemptive
//!   dispatching ([`super::rta`]), and blocking under `inherit`, `ceiling`
//!   and `none` (which depends only on the tasks below, already fixed).
//!   Candidates at each level are tried in reverse deadline-monotonic order,
//!   so that when deadline-monotonic works the result equals it. Under
//!   partitioned placement each CPU is assigned on its own and the CPU
//!   orders are merged into one numbering by deadline (so that it is
//!   deadline-monotonic wherever each CPU's order is). Under global placement
//!   the test is the deadline-analysis variant of Bertogna & Cirinei
//!   ([`super::global::deadline_analysis`], OPA-compatible per Davis & Burns,
//!   RTSS 2009).
//!
//! Ties in period or deadline go to the task listed first in the file.
//! Assignment never reads `Task::priority` (it may not be set yet), except
//! for [`PriorityOrder::Explicit`], which keeps it.

use std::cmp::Reverse;

use super::{global, groups, rta};
use crate::model::{CpuId, Placement, Priority, PriorityOrder, System, TaskId};
use crate::time::Duration;

/// The outcome of a priority assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// One priority per task, in task order (higher = more urgent; derived
    /// orders use 1..=n, distinct).
    pub priorities: Vec<Priority>,
    /// The order that was asked for.
    pub order: PriorityOrder,
    /// For Audsley: whether every task passed the test at its level
    /// (`Some(false)`: no feasible order exists on some CPU, and
    /// deadline-monotonic was used there). `None` for the other orders.
    pub feasible: Option<bool>,
    /// What the user should know (a fallback, for instance).
    pub note: Option<String>,
}

/// Assigns priorities to every task of `system` by `order`.
///
/// Only the tasks' timing, CPUs and critical sections (and the scheduler
/// settings) are read; `Task::priority` only for
/// [`PriorityOrder::Explicit`], whose priorities are returned unchanged.
pub fn assign(system: &System, order: PriorityOrder) -> Assignment {
    let (priorities, feasible, note) = match order {
        PriorityOrder::RateMonotonic => (rate_monotonic(system), None, None),
        PriorityOrder::DeadlineMonotonic => (deadline_monotonic(system), None, None),
        PriorityOrder::Explicit => (
            system.tasks.iter().map(|t| t.priority).collect(),
            None,
            Some("explicit priorities are kept".to_string()),
        ),
        PriorityOrder::Audsley => {
            let (p, feasible, note) = audsley(system);
            (p, Some(feasible), note)
        }
    };
    Assignment {
        priorities,
        order,
        feasible,
        note,
    }
}

/// Numbers tasks n (first in `order`) down to 1.
fn number(n: usize, order: impl IntoIterator<Item = usize>) -> Vec<Priority> {
    let mut priorities = vec![0; n];
    for (rank, i) in order.into_iter().enumerate() {
        priorities[i] = Priority::try_from(n - rank).unwrap_or(Priority::MAX);
    }
    priorities
}

/// Task indices sorted most urgent first by `key` (ties: file order).
fn by_key(system: &System, key: impl Fn(usize) -> Duration) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..system.tasks.len()).collect();
    idx.sort_by_key(|&i| (key(i), i));
    idx
}

/// Rate-monotonic priorities: shorter period = higher priority.
pub fn rate_monotonic(system: &System) -> Vec<Priority> {
    number(
        system.tasks.len(),
        by_key(system, |i| system.tasks[i].period),
    )
}

/// Deadline-monotonic priorities: shorter relative deadline = higher
/// priority.
pub fn deadline_monotonic(system: &System) -> Vec<Priority> {
    number(
        system.tasks.len(),
        by_key(system, |i| system.tasks[i].deadline),
    )
}

/// Audsley's assignment: the priorities, whether all CPUs found a feasible
/// order, and a note on any fallback.
fn audsley(system: &System) -> (Vec<Priority>, bool, Option<String>) {
    let n = system.tasks.len();
    if system.scheduler.placement == Placement::Global {
        let ids: Vec<usize> = (0..n).collect();
        let m = u32::try_from(system.platform.cpus.len()).unwrap_or(u32::MAX);
        if let Some(why) = global_opa_inapplicable(system) {
            return (
                deadline_monotonic(system),
                false,
                Some(format!(
                    "Audsley: no OPA-compatible global test applies ({why}); deadline-monotonic used"
                )),
            );
        }
        return match opa(system, &ids, |prio, c| global_passes(system, prio, &ids, c, m)) {
            Some(lowest_first) => (number(n, lowest_first.into_iter().rev()), true, None),
            None => (
                deadline_monotonic(system),
                false,
                Some(
                    "Audsley: no priority order passes the global deadline analysis; deadline-monotonic used"
                        .to_string(),
                ),
            ),
        };
    }
    let mut orders: Vec<Vec<usize>> = Vec::new();
    let mut failed: Vec<Option<CpuId>> = Vec::new();
    for group in groups(system) {
        let ids: Vec<usize> = group.tasks.iter().map(|t| t.0).collect();
        let tasks: Vec<TaskId> = group.tasks.clone();
        let found = opa(system, &ids, |prio, c| {
            let r = rta::analyse_task(system, prio, &tasks, TaskId(c), |_, _| {});
            r.response.is_ok_and(|r| r.wcrt <= system.tasks[c].deadline)
        });
        orders.push(match found {
            Some(lowest_first) => lowest_first.into_iter().rev().collect(),
            None => {
                failed.push(group.cpu);
                let mut dm = ids.clone();
                dm.sort_by_key(|&i| (system.tasks[i].deadline, i));
                dm
            }
        });
    }
    let merged = merge_by_deadline(system, orders);
    let note = (!failed.is_empty()).then(|| {
        let cpus: Vec<String> = failed
            .iter()
            .map(|c| c.map_or("unplaced tasks".to_string(), |c| format!("cpu {c}")))
            .collect();
        let place = if groups(system).len() > 1 {
            format!(" on {}", cpus.join(", "))
        } else {
            String::new()
        };
        format!(
            "Audsley: no priority order passes the response-time test{place}; deadline-monotonic used{}",
            if groups(system).len() > 1 { " there" } else { "" }
        )
    });
    (number(n, merged), failed.is_empty(), note)
}

/// Merges per-CPU orders (each most urgent first) into one, keeping each
/// CPU's order: at every step the head with the shortest deadline (then the
/// lowest index) goes next.
fn merge_by_deadline(system: &System, orders: Vec<Vec<usize>>) -> Vec<usize> {
    let total = orders.iter().map(Vec::len).sum();
    let mut heads = vec![0_usize; orders.len()];
    let mut merged = Vec::with_capacity(total);
    while merged.len() < total {
        let next = (0..orders.len())
            .filter(|&g| heads[g] < orders[g].len())
            .min_by_key(|&g| {
                let i = orders[g][heads[g]];
                (system.tasks[i].deadline, i)
            })
            .expect("some CPU still has tasks");
        merged.push(orders[next][heads[next]]);
        heads[next] += 1;
    }
    merged
}

/// Audsley's loop over the tasks `ids` (one scheduler): returns them lowest
/// priority first, or `None` when some level has no feasible candidate.
/// `passes(priorities, candidate)` tests the candidate with `priorities`
/// holding the levels of the assigned tasks, the candidate's level, and one
/// level above it for every other unassigned task.
fn opa(
    system: &System,
    ids: &[usize],
    mut passes: impl FnMut(&[Priority], usize) -> bool,
) -> Option<Vec<usize>> {
    let mut prio: Vec<Priority> = vec![0; system.tasks.len()];
    // Reverse deadline-monotonic: the task DM would put lowest comes first.
    let mut unassigned: Vec<usize> = ids.to_vec();
    unassigned.sort_by_key(|&i| Reverse((system.tasks[i].deadline, i)));
    let mut lowest_first = Vec::with_capacity(ids.len());
    let mut level: Priority = 1;
    while !unassigned.is_empty() {
        let mut found = None;
        for (pos, &c) in unassigned.iter().enumerate() {
            for &u in &unassigned {
                prio[u] = level + 1;
            }
            prio[c] = level;
            if passes(&prio, c) {
                found = Some(pos);
                break;
            }
        }
        let c = unassigned.remove(found?);
        prio[c] = level;
        lowest_first.push(c);
        level += 1;
    }
    Some(lowest_first)
}

/// Why Audsley cannot use the global deadline analysis, if it cannot.
fn global_opa_inapplicable(system: &System) -> Option<String> {
    if !system.scheduler.preemptive {
        return Some("non-preemptive dispatching".to_string());
    }
    if system.tasks.iter().any(|t| t.deadline > t.period) {
        return Some("arbitrary deadlines".to_string());
    }
    if system.tasks.iter().any(|t| t.release_jitter >= t.period) {
        return Some("release jitter as long as a period".to_string());
    }
    None
}

fn global_passes(system: &System, prio: &[Priority], ids: &[usize], c: usize, m: u32) -> bool {
    let higher: Vec<super::Timing> = ids
        .iter()
        .filter(|&&k| k != c && prio[k] >= prio[c])
        .map(|&k| super::Timing::of(&system.tasks[k]))
        .collect();
    global::deadline_analysis(&super::Timing::of(&system.tasks[c]), &higher, m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::model::{Locking, SystemBuilder};

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    #[test]
    fn rate_and_deadline_monotonic_with_file_order_ties() {
        let system = SystemBuilder::new("x")
            .task("a", ns(10), ns(1))
            .deadline(ns(9))
            .task("b", ns(5), ns(1))
            .task("c", ns(10), ns(1))
            .deadline(ns(4))
            .task("d", ns(5), ns(1))
            .build();
        // RM: b (5, first), d (5), a (10, first), c.
        assert_eq!(rate_monotonic(&system), [2, 4, 1, 3]);
        // DM: c (4), b (5), d (5), a (9).
        assert_eq!(deadline_monotonic(&system), [1, 3, 4, 2]);
        let a = assign(&system, PriorityOrder::RateMonotonic);
        assert_eq!((a.feasible, a.note), (None, None));
    }

    #[test]
    fn audsley_equals_deadline_monotonic_when_that_works() {
        // Buttazzo's DM example (HRTCS, §4.5, from the research notes):
        // (C, T, D) = (1, 4, 3), (1, 5, 4), (2, 6, 5), (1, 11, 10).
        let system = SystemBuilder::new("dm")
            .priorities(PriorityOrder::Audsley)
            .task("t1", ns(4), ns(1))
            .deadline(ns(3))
            .task("t2", ns(5), ns(1))
            .deadline(ns(4))
            .task("t3", ns(6), ns(2))
            .deadline(ns(5))
            .task("t4", ns(11), ns(1))
            .deadline(ns(10))
            .build();
        let a = assign(&system, PriorityOrder::Audsley);
        assert_eq!(a.priorities, deadline_monotonic(&system));
        assert_eq!(a.feasible, Some(true));
        assert_eq!(a.note, None);
        // R = 1, 2, 4, 10.
        let wcrt: Vec<_> = analyze(&system)
            .tasks
            .iter()
            .map(|t| t.wcrt_ns.unwrap())
            .collect();
        assert_eq!(wcrt, [1, 2, 4, 10]);
    }

    #[test]
    fn audsley_finds_an_order_where_deadline_monotonic_fails() {
        // Lehoczky 1990, example 2, D = 1.1 T: DM puts τ1 (D 110) on top and
        // τ2 misses (156 > 154); the reverse order is feasible (108, 52).
        let build = |order| {
            SystemBuilder::new("lehoczky")
                .priorities(order)
                .task("t1", ns(100), ns(52))
                .deadline(ns(110))
                .task("t2", ns(140), ns(52))
                .deadline(ns(154))
                .build()
        };
        let dm = build(PriorityOrder::DeadlineMonotonic);
        assert_eq!(analyze(&dm).schedulable, Some(false));
        let opa = build(PriorityOrder::Audsley);
        let a = assign(&opa, PriorityOrder::Audsley);
        assert_eq!(a.priorities, [1, 2]);
        assert_eq!(a.feasible, Some(true));
        let analysis = analyze(&opa);
        assert_eq!(analysis.schedulable, Some(true));
        assert_eq!(analysis.tasks[0].wcrt_ns, Some(108));
    }

    #[test]
    fn audsley_with_jitter_beats_deadline_monotonic() {
        // Hand-derived: a (C 2, T 10, D 6, J 4) and b (C 3, T 10, D 5).
        // DM puts b on top: R_b = 3, R_a = 4 + (2 + 3) = 9 > 6.
        // Reversed: R_a = 4 + 2 = 6 <= 6, R_b = 3 + ⌈(w + 4)/10⌉ 2 = 5 <= 5.
        let build = |order| {
            SystemBuilder::new("jitter")
                .priorities(order)
                .task("a", ns(10), ns(2))
                .deadline(ns(6))
                .jitter(ns(4))
                .task("b", ns(10), ns(3))
                .deadline(ns(5))
                .build()
        };
        // The bound 9 is reached only by sporadic arrivals (b released as a
        // turns ready); these periodic releases from 0 give at most
        // 4 + 2 = 6, so the rejection is not a proof.
        let dm = analyze(&build(PriorityOrder::DeadlineMonotonic));
        assert_eq!(dm.tasks[0].wcrt_ns, Some(9));
        assert_eq!(dm.tests[2].schedulable, Some(false));
        assert_eq!(dm.schedulable, None);
        let opa = build(PriorityOrder::Audsley);
        assert_eq!(assign(&opa, PriorityOrder::Audsley).priorities, [2, 1]);
        assert_eq!(analyze(&opa).schedulable, Some(true));
    }

    #[test]
    fn audsley_falls_back_to_deadline_monotonic() {
        // U = 1.2: no order works.
        let system = SystemBuilder::new("over")
            .priorities(PriorityOrder::Audsley)
            .task("a", ns(10), ns(6))
            .task("b", ns(10), ns(6))
            .deadline(ns(8))
            .build();
        let a = assign(&system, PriorityOrder::Audsley);
        assert_eq!(a.priorities, deadline_monotonic(&system));
        assert_eq!(a.feasible, Some(false));
        assert_eq!(
            a.note.as_deref(),
            Some(
                "Audsley: no priority order passes the response-time test; deadline-monotonic used"
            )
        );
    }

    #[test]
    fn audsley_accounts_for_blocking() {
        // a (C 2, T 4, D 3) and b (C 2, T D 4); without sections a on top
        // works (R_a = 2, R_b = 4). With b holding r for 2 and a locking it
        // (immediate ceiling), a is blocked 2 on top (R_a = 4 > 3) and
        // interfered 2 below (4 > 3): no order is feasible.
        let build = |sections: bool| {
            let b = SystemBuilder::new("blocking")
                .priorities(PriorityOrder::Audsley)
                .locking(Locking::Ceiling)
                .task("a", ns(4), ns(2))
                .deadline(ns(3));
            let b = if sections {
                b.section("r", ns(0), ns(1))
            } else {
                b
            };
            let b = b.task("b", ns(4), ns(2));
            let b = if sections {
                b.section("r", ns(0), ns(2))
            } else {
                b
            };
            b.build()
        };
        let free = assign(&build(false), PriorityOrder::Audsley);
        assert_eq!((free.priorities, free.feasible), (vec![2, 1], Some(true)));
        let blocked = assign(&build(true), PriorityOrder::Audsley);
        assert_eq!(
            (blocked.priorities, blocked.feasible),
            (vec![2, 1], Some(false))
        );
    }

    #[test]
    fn partitioned_orders_are_merged_by_deadline() {
        // cpu 0: Lehoczky's pair (reversed by OPA); cpu 1: one task with
        // D = 120. Merged: t2 (cpu 0, most urgent there) must stay above t1;
        // x (D 120) goes between by deadline? Heads: t2 (154) vs x (120):
        // x first, then t2, then t1.
        let system = SystemBuilder::new("two")
            .cpus(&[0, 1])
            .priorities(PriorityOrder::Audsley)
            .task("t1", ns(100), ns(52))
            .deadline(ns(110))
            .cpu(0)
            .task("t2", ns(140), ns(52))
            .deadline(ns(154))
            .cpu(0)
            .task("x", ns(200), ns(10))
            .deadline(ns(120))
            .cpu(1)
            .build();
        let a = assign(&system, PriorityOrder::Audsley);
        assert_eq!(a.priorities, [1, 2, 3]);
        assert_eq!(a.feasible, Some(true));
    }

    #[test]
    fn global_audsley() {
        let system = SystemBuilder::new("g")
            .cpus(&[0, 1])
            .placement(Placement::Global)
            .priorities(PriorityOrder::Audsley)
            .task("a", ns(5), ns(2))
            .task("b", ns(5), ns(2))
            .task("c", ns(10), ns(3))
            .build();
        let a = assign(&system, PriorityOrder::Audsley);
        assert_eq!(a.feasible, Some(true));
        assert_eq!(a.priorities, deadline_monotonic(&system));
        let np = SystemBuilder::new("g")
            .cpus(&[0, 1])
            .placement(Placement::Global)
            .preemptive(false)
            .task("a", ns(5), ns(2))
            .build();
        let a = assign(&np, PriorityOrder::Audsley);
        assert_eq!(a.feasible, Some(false));
        assert!(a.note.unwrap().contains("non-preemptive"));
    }
}
