//! The one way into a [`System`]: [`finish`] checks the rules
//! ([`super::rules`]) and does the bookkeeping that both the config loader
//! and [`super::SystemBuilder`] need, so that the same task set gives the
//! same system whichever door it came in by.

use std::cmp::Reverse;

use super::rules::{self, ModelError};
use super::{Placement, PriorityOrder, Resource, ResourceId, System, Task, TaskId};

/// What the user should know about a finished system; none of it stops it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Notes {
    /// What the priority assignment says (Audsley falling back to
    /// deadline-monotonic, for instance).
    pub(crate) priorities: Option<String>,
}

/// Finishes a system, in this order:
///
/// 1. task ids are set to their index, and every rule of
///    [`super::rules::check`] is checked: on any broken rule, every problem
///    is returned and the system is left half-done;
/// 2. each task's sections are sorted by start, outer before inner (stable:
///    ties keep their order);
/// 3. resources are numbered by first use and their users listed
///    ([`index_resources`]);
/// 4. global placement: no task has a CPU. Partitioned: tasks without one
///    get one by worst-fit decreasing (`model/partition.rs`);
/// 5. derived priority orders (rate-monotonic, deadline-monotonic, Audsley)
///    are assigned by [`crate::analysis::priority::assign`], which reads the
///    CPUs and resources of steps 3 and 4; explicit priorities are kept.
///
/// Finishing a finished system changes nothing.
pub(crate) fn finish(system: &mut System) -> Result<Notes, Vec<ModelError>> {
    for (i, task) in system.tasks.iter_mut().enumerate() {
        task.id = TaskId(i);
    }
    let errors = rules::check(system);
    if !errors.is_empty() {
        return Err(errors);
    }
    for task in &mut system.tasks {
        task.sections.sort_by_key(|s| (s.after, Reverse(s.hold)));
    }
    index_resources(&mut system.tasks, &mut system.resources);
    match system.scheduler.placement {
        Placement::Global => {
            for task in &mut system.tasks {
                task.cpu = None;
                task.cpu_auto = false;
            }
        }
        Placement::Partitioned => super::partition::worst_fit_decreasing(system),
    }
    let mut notes = Notes::default();
    let order = system.scheduler.priorities;
    if order != PriorityOrder::Explicit {
        let assignment = crate::analysis::priority::assign(system, order);
        for (task, p) in system.tasks.iter_mut().zip(assignment.priorities) {
            task.priority = p;
        }
        notes.priorities = assignment.note;
    }
    Ok(notes)
}

/// Numbers `resources` in order of first use (tasks in order, each task's
/// sections in order), rewrites the sections' ids to match, and lists each
/// resource's users in task order, each once (by [`Task::id`]). Resources
/// no section uses keep their relative order after the used ones; section
/// ids that index no resource are left alone ([`super::rules::check`]
/// reports them).
pub(crate) fn index_resources(tasks: &mut [Task], resources: &mut Vec<Resource>) {
    let n = resources.len();
    let mut new_id: Vec<Option<usize>> = vec![None; n];
    let mut order: Vec<usize> = Vec::with_capacity(n);
    let used = tasks.iter().flat_map(|t| &t.sections).map(|s| s.resource.0);
    for old in used.chain(0..n) {
        if let Some(slot @ None) = new_id.get_mut(old) {
            *slot = Some(order.len());
            order.push(old);
        }
    }
    let mut old: Vec<Option<Resource>> = std::mem::take(resources).into_iter().map(Some).collect();
    *resources = order
        .iter()
        .enumerate()
        .filter_map(|(id, &o)| {
            old[o].take().map(|r| Resource {
                id: ResourceId(id),
                name: r.name,
                users: Vec::new(),
            })
        })
        .collect();
    for task in tasks {
        for section in &mut task.sections {
            let Some(&Some(id)) = new_id.get(section.resource.0) else {
                continue;
            };
            section.resource = ResourceId(id);
            let users = &mut resources[id].users;
            if !users.contains(&task.id) {
                users.push(task.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Section, SystemBuilder};
    use crate::time::Duration;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    #[test]
    fn resources_are_numbered_by_first_use_in_start_order() {
        // `b` first in call order, but `a`'s section starts first.
        let mut system = SystemBuilder::new("r")
            .task("t", ns(10), ns(4))
            .section("b", ns(2), ns(1))
            .section("a", ns(0), ns(1))
            .task("u", ns(10), ns(4))
            .section("c", ns(0), ns(1))
            .section("a", ns(1), ns(1))
            .build();
        let names: Vec<&str> = system.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(
            system.resources[0].users,
            [TaskId(0), TaskId(1)],
            "a: both, in task order"
        );
        let ids = |t: usize, s: &System| -> Vec<usize> {
            s.tasks[t].sections.iter().map(|x| x.resource.0).collect()
        };
        assert_eq!(ids(0, &system), [0, 1]);
        assert_eq!(ids(1, &system), [2, 0]);
        // Again: nothing moves.
        let before = format!("{system:?}");
        finish(&mut system).expect("still valid");
        assert_eq!(format!("{system:?}"), before);
    }

    #[test]
    fn an_unused_resource_goes_last_and_a_bad_id_is_reported() {
        let mut system = SystemBuilder::new("r")
            .task("t", ns(10), ns(4))
            .section("a", ns(0), ns(1))
            .build();
        system.resources.insert(
            0,
            Resource {
                id: ResourceId(0),
                name: "idle".into(),
                users: Vec::new(),
            },
        );
        system.tasks[0].sections[0].resource = ResourceId(1);
        finish(&mut system).expect("valid");
        let names: Vec<&str> = system.resources.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "idle"]);
        assert_eq!(system.tasks[0].sections[0].resource, ResourceId(0));
        system.tasks[0].sections.push(Section {
            resource: ResourceId(7),
            after: ns(2),
            hold: ns(1),
        });
        assert_eq!(
            finish(&mut system),
            Err(vec![ModelError::UnknownResource {
                task: "t".into(),
                index: 7
            }])
        );
    }
}
