//! Blocking under EDF on one CPU: how much work with a later deadline can
//! run inside a window of `t` up to a deadline, `b(t)`.
//!
//! The argument is Baker's (T. P. Baker, "Stack-based scheduling of
//! realtime processes", Real-Time Systems 3(1), 1991), re-derived for
//! release jitter. Take a job due at `d` and the start `t0 = d - t` of its
//! deadline busy period (from `t0` on some job due by `d` is always
//! pending, and none that arrived earlier is). The jobs due by `d` that run in it arrived in
//! it: a job of `τ_k` does when `D_k - J_k <= t` (its nominal release is at
//! least `t0 - J_k`). Any other job that runs in the window (a *blocker*)
//! is due after `d` and had started before `t0` (a job due after `d` never
//! starts while a job due by `d` waits, under either protocol), so it was
//! released by `t0 - 1`: `D_l > t + 1`.
//!
//! - **Stack resource policy** (`locking = "ceiling"`): a job may start only
//!   if it is the most urgent active job and its preemption level is above
//!   the system ceiling (the lowest level among the users of the resources
//!   held); while it may not, no other job starts either. rtlab's simulator takes the
//!   level from the relative deadline `D`; `D - J` is the other choice
//!   that keeps the window argument; `b(t)` covers both. A resource `R`
//!   can hold up a job of the window when its ceiling is at or below the
//!   level of some task `τ_k` with `D_k - J_k <= t`. The blocker that holds
//!   it runs at most the rest of one section on such a resource. Without
//!   jitter that is all (Baker: a job started above that section would have
//!   a higher level than the window's job, so an earlier deadline). With
//!   jitter a job of `τ_m` with `D_m > t` can have started on top of the
//!   holder (its level above `R`'s ceiling) and be due after `d`: it then
//!   runs to completion before the holder resumes, so it counts whole:
//!   `b(t) = max_holder (hold + Σ_{such m ≠ holder} C_m)`.
//! - **Deadline inheritance** (`inherit`): the holder of a resource that a
//!   job of the window waits for runs with that job's deadline, and only
//!   while it holds it; transitively through nested sections. A blocker
//!   runs in the window only inside the outermost section it is in (or
//!   waits for) at `t0`, so each task due later blocks through at most one
//!   section: `b(t) = Σ_tasks` of the longest section on a resource the
//!   window's jobs may wait for (those they lock, closed under nesting).
//!   There is no "one section per resource" term (Sha, Rajkumar &
//!   Lehoczky's other bound): a released lock goes straight to the most
//!   urgent waiter, which can be a job due later that queued before `t0`,
//!   so one resource can block the window once per such job.
//! - **Non-preemptive** dispatching: one job due after `d` started at least
//!   one tick before `t0`: `b(t) = max{C_j - 1 ns : D_j > t}` (computed in
//!   [`super::non_preemptive_blocking`] and [`super::response`]).
//!
//! A lock-order cycle between nested sections (possible deadlock) voids
//! every bound under inheritance; the stack resource policy never lets a
//! job wait for a lock, so it cannot deadlock.

use std::fmt::Write as _;

use crate::model::{ResourceId, System, Task, TaskId};
use crate::time::Duration;

/// One contribution to `b(t)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Term {
    /// The rest of a critical section of a job due later.
    Section {
        holder: TaskId,
        resource: ResourceId,
        hold: Duration,
    },
    /// A whole job due later that started on top of a holder (possible only
    /// with release jitter under the stack resource policy).
    Overtaker { task: TaskId, wcet: Duration },
    /// A non-preemptive job due later, started a tick before the window.
    NonPreemptive { holder: TaskId, length: Duration },
}

impl Term {
    fn length(self) -> Duration {
        match self {
            Term::Section { hold, .. } => hold,
            Term::Overtaker { wcet, .. } => wcet,
            Term::NonPreemptive { length, .. } => length,
        }
    }
}

/// `b(t)` with what it is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bound {
    pub(crate) time: Duration,
    pub(crate) terms: Vec<Term>,
}

impl Bound {
    fn of(terms: Vec<Term>) -> Bound {
        let time = terms.iter().fold(Duration::ZERO, |acc, t| {
            acc.checked_add(t.length()).unwrap_or(Duration::MAX)
        });
        Bound { time, terms }
    }

    fn zero() -> Bound {
        Bound::of(Vec::new())
    }
}

/// The tasks of one CPU and their critical sections.
pub(crate) struct Resources<'a> {
    pub(crate) system: &'a System,
    pub(crate) tasks: &'a [TaskId],
    /// Deadline inheritance (true) or the stack resource policy (false).
    pub(crate) inherit: bool,
}

/// `D - J`, the window a task's jobs need (0 when the jitter is larger).
fn window(task: &Task) -> Duration {
    task.deadline.saturating_sub(task.release_jitter)
}

impl Resources<'_> {
    fn each(&self) -> impl Iterator<Item = &Task> + Clone + '_ {
        self.tasks.iter().map(|id| &self.system.tasks[id.0])
    }

    /// `b(t)` for the window `t`, with `exclude` (the task under analysis)
    /// never counted as a blocker.
    pub(crate) fn blocking(&self, t: Duration, exclude: Option<TaskId>) -> Bound {
        // A blocker started at least a tick before t0, so it was released
        // by t0 - 1 and is due after t0 + t: D > t + 1.
        let later = |task: &&Task| {
            task.deadline.as_nanos() > t.as_nanos().saturating_add(1) && Some(task.id) != exclude
        };
        if self.inherit {
            let want = self.waited_for(t);
            inheritance(self.each().filter(later), &want)
        } else {
            self.stack_resource(t, later)
        }
    }

    /// An upper bound of `b(t)` over every `t` (it changes only at the
    /// deadlines and windows of the tasks, and is zero from the longest
    /// deadline on).
    pub(crate) fn max_blocking(&self) -> Duration {
        self.each()
            .flat_map(|task| [window(task), task.deadline])
            .chain([Duration::ZERO])
            .map(|t| self.blocking(t, None).time)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// Under inheritance: the resources a job of the window may wait for,
    /// those the window's tasks lock, closed under nesting.
    fn waited_for(&self, t: Duration) -> Vec<bool> {
        let mut want = vec![false; self.system.resources.len()];
        for task in self.each().filter(|task| window(task) <= t) {
            for s in &task.sections {
                want[s.resource.0] = true;
            }
        }
        loop {
            let mut changed = false;
            for task in self.each() {
                for outer in &task.sections {
                    for inner in &task.sections {
                        if want[outer.resource.0]
                            && !want[inner.resource.0]
                            && outer.contains(inner)
                        {
                            want[inner.resource.0] = true;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                return want;
            }
        }
    }

    /// The stack resource policy's `b(t)` under both level choices (`D`
    /// and `D - J`), see the module docs.
    fn stack_resource(&self, t: Duration, later: impl Fn(&&Task) -> bool) -> Bound {
        let in_window: Vec<&Task> = self.each().filter(|task| window(task) <= t).collect();
        let (Some(top_d), Some(top_w)) = (
            in_window.iter().map(|task| task.deadline).max(),
            in_window.iter().map(|task| window(task)).max(),
        ) else {
            return Bound::zero();
        };
        // Per resource: its ceilings under both level choices (the
        // shortest D and D - J of its users on this CPU).
        let ceilings: Vec<Option<(Duration, Duration)>> = self
            .system
            .resources
            .iter()
            .map(|r| {
                let users = r.users.iter().filter(|u| self.tasks.contains(u));
                let by_d = users.clone().map(|u| self.system.tasks[u.0].deadline).min();
                let by_w = users.map(|u| window(&self.system.tasks[u.0])).min();
                by_d.zip(by_w)
            })
            .collect();
        // A resource holds up the window when its ceiling is at or below
        // the level of a task of the window; a job started above it has a
        // level above that ceiling.
        let mut start_d = None::<Duration>;
        let mut start_w = None::<Duration>;
        let mut want = vec![false; ceilings.len()];
        for (r, c) in ceilings.iter().enumerate() {
            let Some((by_d, by_w)) = *c else { continue };
            if by_d <= top_d {
                want[r] = true;
                start_d = start_d.max(Some(by_d));
            }
            if by_w <= top_w {
                want[r] = true;
                start_w = start_w.max(Some(by_w));
            }
        }
        let overtakers: Vec<&Task> = self
            .each()
            .filter(&later)
            .filter(|task| {
                start_d.is_some_and(|c| task.deadline < c)
                    || start_w.is_some_and(|c| window(task) < c)
            })
            .collect();
        let mut best: Option<Bound> = None;
        for holder in self.each().filter(&later) {
            let Some(s) = holder
                .sections
                .iter()
                .filter(|s| want[s.resource.0])
                .max_by_key(|s| s.hold)
            else {
                continue;
            };
            let mut terms = vec![Term::Section {
                holder: holder.id,
                resource: s.resource,
                hold: s.hold,
            }];
            terms.extend(overtakers.iter().filter(|m| m.id != holder.id).map(|m| {
                Term::Overtaker {
                    task: m.id,
                    wcet: m.wcet,
                }
            }));
            let bound = Bound::of(terms);
            if best.as_ref().is_none_or(|b| bound.time > b.time) {
                best = Some(bound);
            }
        }
        best.unwrap_or_else(Bound::zero)
    }
}

/// `Σ` over the blockers of their longest section on a wanted resource.
fn inheritance<'a>(blockers: impl Iterator<Item = &'a Task>, want: &[bool]) -> Bound {
    Bound::of(
        blockers
            .filter_map(|task| {
                task.sections
                    .iter()
                    .filter(|s| want[s.resource.0])
                    .max_by_key(|s| s.hold)
                    .map(|s| Term::Section {
                        holder: task.id,
                        resource: s.resource,
                        hold: s.hold,
                    })
            })
            .collect(),
    )
}

/// The non-preemptive blocking of a task (not itself a blocker) in the
/// window `t`, with the job that causes it.
pub(crate) fn non_preemptive(system: &System, tasks: &[TaskId], t: Duration, me: TaskId) -> Bound {
    let longest = tasks
        .iter()
        .map(|id| &system.tasks[id.0])
        .filter(|task| task.id != me && task.deadline > t)
        .max_by_key(|task| (task.wcet, std::cmp::Reverse(task.id)));
    match longest {
        Some(task) if task.wcet > Duration::from_nanos(1) => Bound::of(vec![Term::NonPreemptive {
            holder: task.id,
            length: task.wcet.saturating_sub(Duration::from_nanos(1)),
        }]),
        _ => Bound::zero(),
    }
}

/// A readable account of a blocking bound; `None` when it is zero.
pub(crate) fn describe(system: &System, bound: &Bound, inherit: bool) -> Option<String> {
    if bound.terms.is_empty() {
        return None;
    }
    let name = |id: TaskId| &system.tasks[id.0].name;
    let mut text = String::new();
    for (n, term) in bound.terms.iter().enumerate() {
        if n > 0 {
            text.push_str(" + ");
        }
        let _ = match *term {
            Term::Section {
                holder,
                resource,
                hold,
            } => write!(
                text,
                "`{}` holds `{}` for {hold}",
                name(holder),
                system.resource_name(resource)
            ),
            Term::Overtaker { task, wcet } => write!(
                text,
                "`{}` runs {wcet} (started above the holder's ceiling: release jitter lets a job due later do that)",
                name(task)
            ),
            Term::NonPreemptive { holder, length } => write!(
                text,
                "`{}` runs on for up to {length} (non-preemptive: its WCET - 1ns)",
                name(holder)
            ),
        };
    }
    let sections = bound
        .terms
        .iter()
        .filter(|t| matches!(t, Term::Section { .. }))
        .count();
    let protocol = match (bound.terms.first(), inherit, sections) {
        (Some(Term::NonPreemptive { .. }), _, _) => "",
        (_, false, _) => " (stack resource policy: at most one section)",
        (_, true, 1) => " (deadline inheritance)",
        (_, true, _) => " (deadline inheritance: at most one section per task due later)",
    };
    text.push_str(protocol);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Locking, Policy, SystemBuilder};

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    fn all(system: &System) -> Vec<TaskId> {
        system.tasks.iter().map(|t| t.id).collect()
    }

    /// Issue 9, case 3: x (T 100, C 10, D 25, J 10), k (C 1, D 24, r for
    /// 1), j (C 13, D 100, r for 13).
    fn case_3() -> System {
        SystemBuilder::new("srp-jitter")
            .policy(Policy::Edf)
            .locking(Locking::Ceiling)
            .task("x", ns(100), ns(10))
            .deadline(ns(25))
            .jitter(ns(10))
            .task("k", ns(100), ns(1))
            .deadline(ns(24))
            .offset(ns(50))
            .section("r", ns(0), ns(1))
            .task("j", ns(100), ns(13))
            .offset(ns(5))
            .section("r", ns(0), ns(13))
            .build()
    }

    #[test]
    fn srp_blocks_a_jittered_job_whose_level_is_below_the_ceiling() {
        // x's window is D - J = 15. With levels by D (as simulated), r's
        // ceiling is k's D = 24 <= x's 25: while j holds r, x cannot start:
        // b(15) = 13, where the old D - J reading found no user of r with a
        // window within 15 and said 0.
        let system = case_3();
        let ids = all(&system);
        let res = Resources {
            system: &system,
            tasks: &ids,
            inherit: false,
        };
        assert_eq!(res.blocking(ns(15), Some(TaskId(0))).time, ns(13));
        // At k's window (24) and up to j's deadline: j's section.
        assert_eq!(res.blocking(ns(24), None).time, ns(13));
        assert_eq!(res.blocking(ns(100), None).time, ns(0));
        assert_eq!(res.max_blocking(), ns(13));
    }

    #[test]
    fn srp_counts_a_whole_job_that_jitter_lets_start_above_the_holder() {
        // h (D 10, uses r), l (D 100, holds r for 5), m (C 4, D 12, J 5:
        // window 7, no resource). Levels by D - J: r's ceiling is h's 10,
        // m's 7 is above it, so a job of m released before the window of
        // h's job and due after it (D 12 > t = 10) may start while l holds
        // r and run whole: b(10) = 5 + 4. Without m's jitter it cannot.
        let build = |jitter| {
            SystemBuilder::new("overtake")
                .policy(Policy::Edf)
                .locking(Locking::Ceiling)
                .task("h", ns(100), ns(2))
                .deadline(ns(10))
                .section("r", ns(0), ns(1))
                .task("l", ns(100), ns(5))
                .section("r", ns(0), ns(5))
                .task("m", ns(100), ns(4))
                .deadline(ns(12))
                .jitter(ns(jitter))
                .build()
        };
        for (jitter, expected) in [(5, 9), (0, 5)] {
            let system = build(jitter);
            let ids = all(&system);
            let res = Resources {
                system: &system,
                tasks: &ids,
                inherit: false,
            };
            let b = res.blocking(ns(10), Some(TaskId(0)));
            assert_eq!(b.time, ns(expected), "jitter {jitter}: {b:?}");
        }
    }

    #[test]
    fn inheritance_is_one_section_per_task_due_later() {
        // a (D 4) locks r1 and r2; b (D 50) holds r1 for 3, c (D 60) holds
        // r2 for 2 and r1 for 1: 3 + 2 = 5; from t = 50 only c blocks: 2.
        // b and c both hold r1 at times: the lock can pass from b to a job
        // of c queued before the window, so r1 may block twice.
        let system = SystemBuilder::new("inherit")
            .policy(Policy::Edf)
            .locking(Locking::Inherit)
            .task("a", ns(100), ns(2))
            .deadline(ns(4))
            .section("r1", ns(0), ns(1))
            .section("r2", ns(1), ns(1))
            .task("b", ns(100), ns(5))
            .deadline(ns(50))
            .section("r1", ns(0), ns(3))
            .task("c", ns(100), ns(5))
            .deadline(ns(60))
            .section("r2", ns(0), ns(2))
            .section("r1", ns(3), ns(1))
            .build();
        let ids = all(&system);
        let res = Resources {
            system: &system,
            tasks: &ids,
            inherit: true,
        };
        assert_eq!(res.blocking(ns(4), None).time, ns(5));
        assert_eq!(res.blocking(ns(50), None).time, ns(2));
        let text = describe(&system, &res.blocking(ns(50), None), true).unwrap();
        assert_eq!(text, "`c` holds `r2` for 2ns (deadline inheritance)");
        let text = describe(&system, &res.blocking(ns(4), None), true).unwrap();
        assert_eq!(
            text,
            "`b` holds `r1` for 3ns + `c` holds `r2` for 2ns (deadline inheritance: at most one section per task due later)"
        );
    }

    #[test]
    fn a_lock_handed_to_a_queued_job_blocks_again() {
        // h (D 20, r at 2..3), x (D 10, r 0..1, offset 2), l1 (D 100, r
        // 0..5), l2 (D 90, offset 1, r 0..3). l2 queues on r behind l1; x
        // takes r from l1 and hands it to l2 before h asks: h waits for l1
        // (through x) and for l2. Both count.
        let system = SystemBuilder::new("handoff")
            .policy(Policy::Edf)
            .locking(Locking::Inherit)
            .task("l1", ns(100), ns(5))
            .section("r", ns(0), ns(5))
            .task("l2", ns(100), ns(3))
            .deadline(ns(90))
            .offset(ns(1))
            .section("r", ns(0), ns(3))
            .task("x", ns(100), ns(2))
            .deadline(ns(10))
            .offset(ns(2))
            .section("r", ns(0), ns(1))
            .task("h", ns(100), ns(3))
            .deadline(ns(20))
            .offset(ns(2))
            .section("r", ns(2), ns(1))
            .build();
        let ids = all(&system);
        let res = Resources {
            system: &system,
            tasks: &ids,
            inherit: true,
        };
        assert_eq!(res.blocking(ns(20), Some(TaskId(3))).time, ns(8));
    }
}
