//! Blocking under fixed priorities: how long a job can wait for less urgent
//! work.
//!
//! Only tasks on the same CPU block each other here (under partitioned
//! placement; under global placement every task shares the one "CPU"
//! `None`). Critical-section lengths are the `hold` of a section, which for
//! an outer section includes its inner ones. Resource ceilings are the
//! highest priority among the resource's users on the CPU.
//!
//! - **Immediate priority ceiling** (`locking = "ceiling"`, POSIX
//!   `PTHREAD_PRIO_PROTECT`; the blocking term of the priority ceiling
//!   protocol of L. Sha, R. Rajkumar and J. P. Lehoczky, "Priority
//!   inheritance protocols: an approach to real-time synchronization", IEEE
//!   Transactions on Computers 39(9), 1990): a job is blocked at most once,
//!   before it starts, by one critical section of a lower-priority task on a
//!   resource whose ceiling is at least its priority:
//!   `B_i = max { hold(s) : s a section of a lower task, ceiling(s) >= P_i }`.
//! - **Priority inheritance** (`inherit`, same paper): a job can be blocked
//!   by at most one critical section of each lower-priority task on a
//!   resource whose ceiling is at least its priority:
//!   `B_i = Σ_lower tasks longest such section` (the paper's
//!   per-resource term is unsound under lock hand-off, see
//!   `inheritance_bound`). Inheritance is transitive through nested sections (a
//!   resource locked inside a section on `R` can block whoever `R` can), so
//!   ceilings are first propagated from outer to inner resources.
//! - **No protocol** (`none`): while a lower-priority task holds a resource
//!   that the job waits for, any task of intermediate priority preempts the
//!   holder and the job waits as long as those tasks run: no bound made of
//!   critical sections exists (the priority inversion that reset Mars
//!   Pathfinder in 1997; [`Blocking::Window`] names its level).
//!   The response-time analysis then bounds the task by a busy window
//!   instead (see `rta::window`), and it does so for every task a lower
//!   holder can reach, even with no task between them (an equal-priority
//!   peer's held-up jobs land in the task's response). The section bound
//!   computed here for `none` without an inversion only describes the wait.
//! - **Non-preemptive dispatching**: a job can wait for one lower-priority
//!   job that started before it was released, at least one tick (1 ns)
//!   earlier: `B_i = max_lower (C_k - 1 ns)` (R. I. Davis, A. Burns, R. J.
//!   Bril and J. J. Lukkien, "Controller Area Network (CAN) schedulability
//!   analysis: refuted, revisited and revised", Real-Time Systems 35(3),
//!   2007). A lock is never held across a preemption then, so there is no
//!   other blocking on the CPU.

use std::fmt::Write as _;

use crate::model::{Locking, Priority, ResourceId, System, TaskId};
use crate::time::Duration;

/// The blocking bound of one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocking {
    /// At most `time` (nanoseconds), the sum of `terms` (empty when zero).
    Bounded {
        /// The bound.
        time: Duration,
        /// What the bound is made of.
        terms: Vec<Term>,
    },
    /// Plain mutexes: a less urgent task can hold up this one, or a task
    /// at or above it, while other tasks run. No bound made of critical
    /// sections exists; the response is bounded by the busy window of the
    /// tasks at or above `level` instead (see `rta::window`).
    Window {
        /// `p*`, the level of the inversion: no task at or above it shares
        /// a resource with a task below it.
        level: Priority,
        /// The lowest-priority task that can hold the resource (at `p*`).
        lowest: TaskId,
    },
}

/// One contribution to a blocking bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    /// A critical section of a lower-priority task.
    Section {
        /// The lower-priority task.
        holder: TaskId,
        /// The resource it holds.
        resource: ResourceId,
        /// For how long (execution time, nanoseconds).
        hold: Duration,
    },
    /// A lower-priority job that cannot be preempted.
    NonPreemptive {
        /// The lower-priority task.
        holder: TaskId,
        /// `C_holder - 1 ns`.
        length: Duration,
    },
}

impl Term {
    fn length(&self) -> Duration {
        match *self {
            Term::Section { hold, .. } => hold,
            Term::NonPreemptive { length, .. } => length,
        }
    }
}

impl Blocking {
    /// The bound in nanoseconds, `None` for a busy window (no bound made
    /// of critical sections).
    pub fn time(&self) -> Option<Duration> {
        match self {
            Blocking::Bounded { time, .. } => Some(*time),
            Blocking::Window { .. } => None,
        }
    }

    fn zero() -> Blocking {
        Blocking::Bounded {
            time: Duration::ZERO,
            terms: Vec::new(),
        }
    }

    fn of(terms: Vec<Term>) -> Blocking {
        let time = terms.iter().fold(Duration::ZERO, |acc, t| {
            acc.checked_add(t.length()).unwrap_or(Duration::MAX)
        });
        Blocking::Bounded { time, terms }
    }
}

/// The blocking bound of `task` in `system` under its locking protocol and
/// dispatching, with `priorities[k]` the priority of task `k` (higher =
/// more urgent).
///
/// The priorities are passed separately so that priority assignment can
/// evaluate candidate orders: the result depends only on which tasks are
/// above and below `task` (and, for `none`, on the order of the tasks below),
/// never on `task.priority`.
pub fn blocking(system: &System, priorities: &[Priority], task: TaskId) -> Blocking {
    let i = task.0;
    let cpu = system.tasks[i].cpu;
    let p = priorities[i];
    let lower: Vec<usize> = (0..system.tasks.len())
        .filter(|&k| k != i && system.tasks[k].cpu == cpu && priorities[k] < p)
        .collect();
    if lower.is_empty() {
        return Blocking::zero();
    }
    if !system.scheduler.preemptive {
        let worst = lower
            .iter()
            .copied()
            .max_by_key(|&k| (system.tasks[k].wcet, std::cmp::Reverse(k)))
            .expect("lower is not empty");
        let length = system.tasks[worst]
            .wcet
            .saturating_sub(Duration::from_nanos(1));
        if length.is_zero() {
            return Blocking::zero();
        }
        return Blocking::of(vec![Term::NonPreemptive {
            holder: TaskId(worst),
            length,
        }]);
    }
    match system.scheduler.locking {
        Locking::Ceiling => {
            let ceiling = ceilings(system, priorities, cpu);
            let mut best: Option<Term> = None;
            for &k in &lower {
                for s in &system.tasks[k].sections {
                    if ceiling[s.resource.0] >= p && best.is_none_or(|b| s.hold > b.length()) {
                        best = Some(Term::Section {
                            holder: TaskId(k),
                            resource: s.resource,
                            hold: s.hold,
                        });
                    }
                }
            }
            best.map_or_else(Blocking::zero, |t| Blocking::of(vec![t]))
        }
        Locking::Inherit => {
            let mut ceiling = ceilings(system, priorities, cpu);
            propagate_through_nesting(system, cpu, &mut ceiling);
            inheritance_bound(system, &lower, |r| ceiling[r.0] >= p)
        }
        // Without a protocol nothing below blocks the task unless it can
        // hold a resource used at or above it; then only a busy window
        // bounds the wait.
        Locking::None => {
            let group: Vec<TaskId> = system
                .tasks
                .iter()
                .filter(|t| t.cpu == cpu)
                .map(|t| t.id)
                .collect();
            inversion_level(system, priorities, &group, task).map_or_else(
                Blocking::zero,
                |(level, lowest)| Blocking::Window { level, lowest },
            )
        }
    }
}

/// The level `p*` of the inversion that can hold up task `id` (among
/// `group`, its CPU), with the lowest task at it; `None` when no task below
/// `id` shares a resource with a task at or above it.
fn inversion_level(
    system: &System,
    priorities: &[Priority],
    group: &[TaskId],
    id: TaskId,
) -> Option<(Priority, TaskId)> {
    let mut level = priorities[id.0];
    let mut lowest = None;
    loop {
        let mut used = vec![false; system.resources.len()];
        for k in group.iter().filter(|k| priorities[k.0] >= level) {
            for s in &system.tasks[k.0].sections {
                used[s.resource.0] = true;
            }
        }
        let below = group
            .iter()
            .filter(|k| priorities[k.0] < level)
            .filter(|k| {
                system.tasks[k.0]
                    .sections
                    .iter()
                    .any(|s| used[s.resource.0])
            })
            .min_by_key(|k| (priorities[k.0], std::cmp::Reverse(k.0)));
        match below {
            Some(&k) => {
                level = priorities[k.0];
                lowest = Some(k);
            }
            None => return lowest.map(|k| (level, k)),
        }
    }
}

/// Ceiling of every resource: the highest priority of its users on `cpu`
/// (0 when none is there).
fn ceilings(system: &System, priorities: &[Priority], cpu: Option<u32>) -> Vec<Priority> {
    system
        .resources
        .iter()
        .map(|r| {
            r.users
                .iter()
                .filter(|u| system.tasks[u.0].cpu == cpu)
                .map(|u| priorities[u.0])
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// Every pair (outer, inner) of distinct-resource sections of one task on
/// `cpu` where the outer contains the inner, calling `f(outer, inner)`.
fn for_each_nesting(system: &System, cpu: Option<u32>, mut f: impl FnMut(ResourceId, ResourceId)) {
    for task in system.tasks.iter().filter(|t| t.cpu == cpu) {
        for (a, outer) in task.sections.iter().enumerate() {
            for (b, inner) in task.sections.iter().enumerate() {
                if a != b && outer.resource != inner.resource && outer.contains(inner) {
                    f(outer.resource, inner.resource);
                }
            }
        }
    }
}

/// Raises the ceiling of every resource locked inside a section on `R` to at
/// least the ceiling of `R` (transitive inheritance), to a fixed point.
fn propagate_through_nesting(system: &System, cpu: Option<u32>, ceiling: &mut [Priority]) {
    loop {
        let mut changed = false;
        for_each_nesting(system, cpu, |outer, inner| {
            if ceiling[inner.0] < ceiling[outer.0] {
                ceiling[inner.0] = ceiling[outer.0];
                changed = true;
            }
        });
        if !changed {
            return;
        }
    }
}

/// `Σ over lower tasks of their longest section on a relevant resource`
/// (Sha, Rajkumar & Lehoczky 1990: a lower task blocks at most once, for
/// its outermost section).
///
/// The paper's other term, one section per resource, does not hold here:
/// an unlock hands the resource to the most urgent job already waiting for
/// it, which can be a lower task that queued before the job under analysis
/// arrived (as POSIX allows and the simulator does). The resource can then
/// block the job twice: once through the push-through of a more urgent
/// waiter, once held by the lower task it was handed to.
fn inheritance_bound(
    system: &System,
    lower: &[usize],
    relevant: impl Fn(ResourceId) -> bool,
) -> Blocking {
    let mut per_task: Vec<Term> = Vec::new();
    for &k in lower {
        let best = system.tasks[k]
            .sections
            .iter()
            .filter(|s| relevant(s.resource))
            .fold(None::<&crate::model::Section>, |best, s| match best {
                Some(b) if b.hold >= s.hold => Some(b),
                _ => Some(s),
            });
        if let Some(s) = best {
            per_task.push(Term::Section {
                holder: TaskId(k),
                resource: s.resource,
                hold: s.hold,
            });
        }
    }
    Blocking::of(per_task)
}

/// The first resource `task` locks that a task on another CPU also locks,
/// with that task. Blocking across CPUs (remote blocking) is not analysed.
pub fn remote_share(system: &System, task: TaskId) -> Option<(ResourceId, TaskId)> {
    let me = &system.tasks[task.0];
    me.sections.iter().find_map(|s| {
        system.resources[s.resource.0]
            .users
            .iter()
            .find(|u| system.tasks[u.0].cpu != me.cpu)
            .map(|&u| (s.resource, u))
    })
}

/// A readable account of a blocking bound; `None` for a zero bound.
pub fn describe(system: &System, blocking: &Blocking) -> Option<String> {
    let terms = match blocking {
        Blocking::Window { lowest, .. } => {
            return Some(format!(
                "priority inversion, no protocol: `{}` can hold a resource it waits for while other tasks run (bounded by a busy window)",
                system.tasks[lowest.0].name
            ));
        }
        Blocking::Bounded { terms, .. } if terms.is_empty() => return None,
        Blocking::Bounded { terms, .. } => terms,
    };
    let mut text = String::new();
    for (n, term) in terms.iter().enumerate() {
        if n > 0 {
            text.push_str(" + ");
        }
        match *term {
            Term::Section {
                holder,
                resource,
                hold,
            } => {
                let _ = write!(
                    text,
                    "`{}` holds `{}` for {hold}",
                    system.tasks[holder.0].name,
                    system.resource_name(resource)
                );
            }
            Term::NonPreemptive { holder, length } => {
                let _ = write!(
                    text,
                    "`{}` runs on for up to {length} (non-preemptive: its WCET - 1ns)",
                    system.tasks[holder.0].name
                );
            }
        }
    }
    let protocol = match (terms.first(), system.scheduler.locking, terms.len()) {
        (Some(Term::NonPreemptive { .. }), _, _) => "",
        (_, Locking::Ceiling, _) => " (immediate ceiling: at most one section)",
        (_, Locking::Inherit, 1) => " (inheritance)",
        (_, Locking::Inherit, _) => " (inheritance: at most one section per lower-priority task)",
        (_, Locking::None, _) => " (no protocol, but no task runs between them)",
    };
    text.push_str(protocol);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SystemBuilder;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v).unwrap()
    }

    fn bounds(system: &System) -> Vec<Option<u64>> {
        let prio: Vec<Priority> = system.tasks.iter().map(|t| t.priority).collect();
        (0..system.tasks.len())
            .map(|i| {
                blocking(system, &prio, TaskId(i))
                    .time()
                    .map(|d| d.as_nanos() / 1_000_000)
            })
            .collect()
    }

    /// Hand-derived: h (priority 3) locks r1 and r2, m (2) locks r2 for 4,
    /// l (1) locks r1 for 3 and r2 for 2. Ceilings: r1 = r2 = 3.
    fn three(locking: Locking) -> System {
        SystemBuilder::new("three")
            .locking(locking)
            .task("h", ms(20), ms(3))
            .priority(3)
            .section("r1", ms(0), ms(1))
            .section("r2", ms(1), ms(1))
            .task("m", ms(40), ms(6))
            .priority(2)
            .section("r2", ms(1), ms(4))
            .task("l", ms(80), ms(8))
            .priority(1)
            .section("r1", ms(0), ms(3))
            .section("r2", ms(4), ms(2))
            .build()
    }

    #[test]
    fn plain_mutexes_give_a_busy_window_level_to_every_task_a_lower_holder_reaches() {
        // Mars Pathfinder, schematically: high and low share the bus,
        // medium takes no lock but high's held-up jobs land in its response.
        let system = SystemBuilder::new("pathfinder")
            .locking(Locking::None)
            .task("high", ms(10), ms(2))
            .priority(3)
            .section("bus", ms(0), ms(1))
            .task("medium", ms(20), ms(5))
            .priority(2)
            .task("low", ms(40), ms(4))
            .priority(1)
            .section("bus", ms(1), ms(2))
            .build();
        let prio: Vec<Priority> = system.tasks.iter().map(|t| t.priority).collect();
        let window = Blocking::Window {
            level: 1,
            lowest: TaskId(2),
        };
        assert_eq!(blocking(&system, &prio, TaskId(0)), window);
        assert_eq!(blocking(&system, &prio, TaskId(1)), window);
        assert_eq!(bounds(&system)[2], Some(0));
    }

    #[test]
    fn immediate_ceiling_is_one_section() {
        // h: max(m r2 4, l r1 3, l r2 2) = 4; m: l's sections, both ceiling
        // 3 >= 2: max(3, 2) = 3; l: nothing below.
        assert_eq!(
            bounds(&three(Locking::Ceiling)),
            [Some(4), Some(3), Some(0)]
        );
    }

    #[test]
    fn inheritance_is_one_section_per_lower_task() {
        // h: 4 (m) + 3 (l) = 7; m: max(3, 2) = 3.
        let system = three(Locking::Inherit);
        assert_eq!(bounds(&system), [Some(7), Some(3), Some(0)]);
        let prio: Vec<Priority> = system.tasks.iter().map(|t| t.priority).collect();
        let b = blocking(&system, &prio, TaskId(1));
        assert_eq!(
            describe(&system, &b).unwrap(),
            "`l` holds `r1` for 3ms (inheritance)"
        );
        // Two lower tasks on one resource both count (lock hand-off: one
        // can be handed the resource while the other still holds it up).
        let shared = SystemBuilder::new("x")
            .locking(Locking::Inherit)
            .task("h", ms(20), ms(3))
            .priority(3)
            .section("r", ms(0), ms(1))
            .task("m", ms(40), ms(6))
            .priority(2)
            .section("r", ms(1), ms(4))
            .task("l", ms(80), ms(8))
            .priority(1)
            .section("r", ms(0), ms(2))
            .build();
        assert_eq!(bounds(&shared), [Some(6), Some(2), Some(0)]);
    }

    #[test]
    fn inheritance_is_transitive_through_nesting() {
        // h locks r1; m holds r1 for 5 and locks r2 inside it; l holds r2
        // for 4. h can wait for m, which waits for l: 5 + 4 = 9. Under the
        // immediate ceiling m cannot preempt l inside r2 (ceiling(r2) = 2),
        // so h waits for one section: 5.
        let build = |locking| {
            SystemBuilder::new("chain")
                .locking(locking)
                .task("h", ms(20), ms(2))
                .priority(3)
                .section("r1", ms(0), ms(1))
                .task("m", ms(40), ms(6))
                .priority(2)
                .section("r1", ms(0), ms(5))
                .section("r2", ms(1), ms(2))
                .task("l", ms(80), ms(8))
                .priority(1)
                .section("r2", ms(0), ms(4))
                .build()
        };
        assert_eq!(bounds(&build(Locking::Inherit))[0], Some(9));
        assert_eq!(bounds(&build(Locking::Ceiling))[0], Some(5));
    }

    #[test]
    fn non_preemptive_blocking_is_the_longest_lower_job_minus_a_tick() {
        let system = SystemBuilder::new("np")
            .preemptive(false)
            .task("a", ms(4), ms(1))
            .task("b", ms(6), ms(2))
            .task("c", ms(10), ms(3))
            .build();
        let prio: Vec<Priority> = system.tasks.iter().map(|t| t.priority).collect();
        let ns = |i| {
            blocking(&system, &prio, TaskId(i))
                .time()
                .unwrap()
                .as_nanos()
        };
        assert_eq!([ns(0), ns(1), ns(2)], [2_999_999, 2_999_999, 0]);
    }

    #[test]
    fn only_tasks_on_the_same_cpu_block() {
        let system = SystemBuilder::new("two")
            .cpus(&[0, 1])
            .locking(Locking::Ceiling)
            .task("h", ms(10), ms(2))
            .cpu(0)
            .section("bus", ms(0), ms(1))
            .task("l", ms(40), ms(4))
            .cpu(1)
            .section("bus", ms(0), ms(3))
            .build();
        assert_eq!(bounds(&system), [Some(0), Some(0)]);
        assert_eq!(
            remote_share(&system, TaskId(0)),
            Some((ResourceId(0), TaskId(1)))
        );
    }
}
