//! Response-time analysis of the tasks of a system: each task's blocking
//! and bound with the system's priorities, dispatching and locking.

use super::blocking::{self, Blocking};
use super::{Dispatch, NoBound, Response, response_time_jobs, window};
use crate::analysis::Timing;
use crate::model::{CpuId, Priority, System, TaskId};
use crate::time::Duration;

/// The analysis of one task of a system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskResponse {
    /// The task.
    pub task: TaskId,
    /// Its blocking bound.
    pub blocking: Blocking,
    /// Its response time, or why there is none.
    pub response: Result<Response, NoBound>,
    /// Under plain mutexes with a task between a holder and this one: the
    /// busy window that bounds the response instead of `blocking`.
    pub window: Option<window::Window>,
}

/// Response-time analysis of the tasks on `cpu` (every task under global
/// placement, treated as one processor), in task order, with the system's
/// priorities, dispatching, release jitter and blocking. Triggered tasks
/// are taken with their own release jitter (none): their holistic figures
/// come from [`crate::analysis::analyze`] (see
/// [`crate::analysis::holistic`]).
pub fn response_times(system: &System, cpu: CpuId) -> Vec<TaskResponse> {
    let ids: Vec<TaskId> = system.tasks_on(cpu).map(|t| t.id).collect();
    let priorities: Vec<Priority> = system.tasks.iter().map(|t| t.priority).collect();
    ids.iter()
        .map(|&id| analyse_task(system, &priorities, &ids, id, |_, _| {}))
        .collect()
}

/// The dispatching of a system.
pub(crate) fn dispatch_of(system: &System) -> Dispatch {
    if system.scheduler.preemptive {
        Dispatch::Preemptive
    } else {
        Dispatch::NonPreemptive
    }
}

/// Analyses task `id` among `group` (its CPU) with `priorities`.
pub(crate) fn analyse_task(
    system: &System,
    priorities: &[Priority],
    group: &[TaskId],
    id: TaskId,
    job: impl FnMut(u64, Duration),
) -> TaskResponse {
    analyse_task_with_higher(system, priorities, group, id, job).0
}

/// [`analyse_task`], also returning the interfering tasks' timings when
/// the bound comes from the plain recurrence (`None` under a busy
/// window), so that a caller can tell whether another recurrence over
/// the same inputs would give the same answer.
pub(crate) fn analyse_task_with_higher(
    system: &System,
    priorities: &[Priority],
    group: &[TaskId],
    id: TaskId,
    job: impl FnMut(u64, Duration),
) -> (TaskResponse, Option<Vec<Timing>>) {
    let blocking = blocking::blocking(system, priorities, id);
    let mut found = None;
    let mut used = None;
    let response = match &blocking {
        Blocking::Window { level, lowest } => {
            window::response(system, priorities, group, id, (*level, *lowest)).map(|(r, w)| {
                found = Some(w);
                r
            })
        }
        Blocking::Bounded { time, .. } => {
            let higher: Vec<Timing> = group
                .iter()
                .filter(|k| **k != id && priorities[k.0] >= priorities[id.0])
                .map(|k| Timing::of(&system.tasks[k.0]))
                .collect();
            let task = Timing::of(&system.tasks[id.0]);
            let response = response_time_jobs(&task, *time, &higher, dispatch_of(system), job);
            used = Some(higher);
            response
        }
    };
    let result = TaskResponse {
        task: id,
        blocking,
        response,
        window: found,
    };
    (result, used)
}
