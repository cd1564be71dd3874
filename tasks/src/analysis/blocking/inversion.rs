//! Unbounded priority inversion under plain mutexes (`locking = "none"`).
//!
//! A task waits for a resource held by a lower-priority task; any task of
//! intermediate priority preempts the holder, and the wait lasts as long as
//! those run. Textbooks call that blocking unbounded; it is how the Mars
//! Pathfinder lander kept resetting in 1997, until priority inheritance was
//! switched on. The task's response then has no bound, and neither has the
//! response of a task between the holder and the waiting task: the waiting
//! task's delayed jobs run late, inside its response time.

use crate::model::{Priority, ResourceId, System, TaskId};

/// An unbounded priority inversion (plain mutexes): `middle` can preempt
/// `holder` while it holds `resource`, which `blocked` waits for; `task`
/// (which is `blocked` or a task below it) has no bound as a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inversion {
    /// The task whose response has no bound: `blocked` itself, or a task
    /// between `holder` and `blocked`, into whose response `blocked`'s
    /// delayed jobs fall.
    pub task: TaskId,
    /// The task waiting for the resource.
    pub blocked: TaskId,
    /// The lower-priority task holding the resource.
    pub holder: TaskId,
    /// The resource.
    pub resource: ResourceId,
    /// A task with priority strictly between `holder` and `blocked`.
    pub middle: TaskId,
}

/// The first inversion that leaves `task` without a bound, if any: the task
/// itself waiting, then every task above it or tied with it (`lower` = the
/// tasks below it on its CPU).
pub(super) fn find(
    system: &System,
    priorities: &[Priority],
    task: TaskId,
    lower: &[usize],
) -> Option<Inversion> {
    let i = task.0;
    let cpu = system.tasks[i].cpu;
    let p = priorities[i];
    // A task above (or tied with) this one, held up by a lower one while a
    // middle task runs, is not only late itself: its delayed jobs also land
    // inside this task's response, like unbounded release jitter.
    let above = (0..system.tasks.len())
        .filter(|&h| h != i && system.tasks[h].cpu == cpu && priorities[h] >= p);
    for h in std::iter::once(i).chain(above) {
        let reach = reachable(system, h);
        let ph = priorities[h];
        for &holder in lower {
            let Some(section) = system.tasks[holder]
                .sections
                .iter()
                .find(|s| reach[s.resource.0])
            else {
                continue;
            };
            let pl = priorities[holder];
            let middle = (0..system.tasks.len()).find(|&m| {
                m != h
                    && m != holder
                    && system.tasks[m].cpu == cpu
                    && priorities[m] > pl
                    && priorities[m] < ph
            });
            if let Some(middle) = middle {
                return Some(Inversion {
                    task,
                    blocked: TaskId(h),
                    holder: TaskId(holder),
                    resource: section.resource,
                    middle: TaskId(middle),
                });
            }
        }
    }
    None
}

/// Resources task `i` can wait for: those it locks, and, to a fixed point,
/// those any other task of its CPU locks inside a section on such a
/// resource (the holder may itself be waiting for them; this holds for
/// higher-priority holders too, which then wait for a lower task).
pub(super) fn reachable(system: &System, i: usize) -> Vec<bool> {
    let mut reach = vec![false; system.resources.len()];
    for s in &system.tasks[i].sections {
        reach[s.resource.0] = true;
    }
    loop {
        let mut changed = false;
        super::for_each_nesting(system, system.tasks[i].cpu, |outer, inner| {
            if reach[outer.0] && !reach[inner.0] {
                reach[inner.0] = true;
                changed = true;
            }
        });
        if !changed {
            return reach;
        }
    }
}

/// The cause of an inversion in a sentence: who waits for what, held by
/// whom, preempted by whom.
pub fn describe_cause(system: &System, inversion: &Inversion) -> String {
    let name = |id: TaskId| &system.tasks[id.0].name;
    format!(
        "unbounded priority inversion: `{}` can preempt `{}` while it holds `{}`, which `{}` waits for",
        name(inversion.middle),
        name(inversion.holder),
        system.resource_name(inversion.resource),
        name(inversion.blocked),
    )
}

/// A readable account of an inversion from the point of view of
/// `inversion.task`, naming all parties.
pub fn describe_inversion(system: &System, inversion: &Inversion) -> String {
    let text = describe_cause(system, inversion);
    if inversion.task == inversion.blocked {
        text
    } else {
        let name = |id: TaskId| &system.tasks[id.0].name;
        format!(
            "{text}; `{}`'s delayed jobs then run late, inside `{}`'s response time",
            name(inversion.blocked),
            name(inversion.task)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Blocking, blocking, describe};
    use super::*;
    use crate::model::{Locking, SystemBuilder};
    use crate::time::Duration;

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

    #[test]
    fn no_protocol_with_a_middle_task_is_unbounded() {
        // Mars Pathfinder, schematically: the bus manager (high) and the
        // meteorological task (low) share the bus; communications (medium)
        // uses no resource.
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
        let b = blocking(&system, &prio, TaskId(0));
        assert_eq!(
            b,
            Blocking::Unbounded(Inversion {
                task: TaskId(0),
                blocked: TaskId(0),
                holder: TaskId(2),
                resource: ResourceId(0),
                middle: TaskId(1),
            })
        );
        assert_eq!(
            describe(&system, &b).unwrap(),
            "unbounded priority inversion: `medium` can preempt `low` while it holds `bus`, which `high` waits for"
        );
        // medium needs no resource, but high's jobs, delayed while medium
        // runs, can then land inside medium's response: no bound either.
        // low is not affected.
        assert_eq!(bounds(&system)[1..], [None, Some(0)]);
        let b = blocking(&system, &prio, TaskId(1));
        assert_eq!(
            describe(&system, &b).unwrap(),
            "unbounded priority inversion: `medium` can preempt `low` while it holds `bus`, \
             which `high` waits for; `high`'s delayed jobs then run late, inside `medium`'s \
             response time"
        );
        // Without the middle task, the wait is one section of low.
        let pair = SystemBuilder::new("pair")
            .locking(Locking::None)
            .task("high", ms(10), ms(2))
            .priority(3)
            .section("bus", ms(0), ms(1))
            .task("low", ms(40), ms(4))
            .priority(1)
            .section("bus", ms(1), ms(2))
            .build();
        assert_eq!(bounds(&pair), [Some(2), Some(0)]);
    }
}
