//! Plain mutexes (`locking = "none"`): priority inversion, bounded by a
//! busy window.
//!
//! Without a protocol, while a task waits for a resource held by a less
//! urgent task, every task between the two can preempt the holder and
//! prolong the wait (the inversion that reset Mars Pathfinder in 1997).
//! Textbooks call that wait unbounded: no bound made of critical sections
//! alone exists. The response is bounded all the same, by a busy window:
//!
//! - Let `p*` be the level of the inversion: start at the task's own
//!   priority `P_i` and lower it to the priority of any task of the CPU
//!   below the current level that locks a resource also locked at or above
//!   it, until nothing changes. No task at or above `p*` then shares a
//!   resource with a task below `p*`.
//! - While a job of `i` is pending, only tasks at or above `p*` run: a
//!   ready task at or above `P_i` runs before anything below it; a waiting
//!   one waits for a holder at or above `p*`, which is pending too, and the
//!   chain of holders ends at a ready task at or above `p*` (there is no
//!   deadlock: a possible lock-order cycle makes [`crate::analysis`] give up
//!   before any bound is used). The same holds for any pending job at or
//!   above `p*`, so the processor is busy with level-`p*` work from the
//!   start of the level-`p*` busy window that contains the job's release
//!   until the job completes, and no work of that level is pending when the
//!   window starts.
//! - A level-`p*` busy window lasts at most the least `L` with
//!   `L = Σ_{k: P_k >= p*} ⌈(L + J_k) / T_k⌉ C_k` (every job that becomes
//!   ready in it is counted; dropped, aborted or faulty jobs only shorten
//!   it), so `R_i <= J_i + L` from the nominal release.
//!
//! The bound holds whatever the phasing, the jitter draws or the execution
//! times; it is sufficient only. The part of it above the response without
//! any blocking is reported as the task's blocking (the time lower-priority
//! work can hold it up).

use std::cmp::Ordering;

use super::{NoBound, Response, busy_period, ratio, response_time};
use crate::analysis::Timing;
use crate::model::{Priority, System, TaskId};
use crate::time::Duration;

/// The busy window that bounds a task's response under plain mutexes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// The lowest-priority task that can hold up the task (a holder at the
    /// level `p*` of the inversion).
    pub lowest: TaskId,
    /// Every task of the CPU at or above that level (the task included), in
    /// task order: all of them can run while a job of the task is pending.
    pub tasks: Vec<TaskId>,
    /// `L`, the longest level-`p*` busy window, in nanoseconds.
    pub length: Duration,
    /// The response without any blocking (standard RTA with the tasks at or
    /// above the task's own priority), in nanoseconds from the nominal
    /// release.
    pub unblocked: Duration,
}

/// The busy-window bound of task `id` under plain mutexes, with `p*` and
/// its lowest task from [`Blocking::Window`](crate::analysis::blocking::Blocking::Window).
pub(crate) fn response(
    system: &System,
    priorities: &[Priority],
    group: &[TaskId],
    id: TaskId,
    (level, lowest): (Priority, TaskId),
) -> Result<(Response, Window), NoBound> {
    let task = Timing::of(&system.tasks[id.0]);
    let higher: Vec<Timing> = group
        .iter()
        .filter(|k| **k != id && priorities[k.0] >= priorities[id.0])
        .map(|k| Timing::of(&system.tasks[k.0]))
        .collect();
    let unblocked = response_time(&task, Duration::ZERO, &higher, super::Dispatch::Preemptive)?;
    let tasks: Vec<TaskId> = group
        .iter()
        .copied()
        .filter(|k| priorities[k.0] >= level)
        .collect();
    let timings: Vec<Timing> = tasks
        .iter()
        .map(|k| Timing::of(&system.tasks[k.0]))
        .collect();
    let load = ratio::sum_cmp(
        timings
            .iter()
            .map(|t| (u128::from(t.wcet.as_nanos()), t.period.as_nanos())),
        1,
    );
    match load {
        Ordering::Greater => return Err(NoBound::WindowOverload(lowest)),
        Ordering::Equal if timings.iter().any(|t| !t.jitter.is_zero()) => {
            return Err(NoBound::WindowOverload(lowest));
        }
        _ => {}
    }
    let mut budget = super::ITERATION_CAP;
    let (first, rest) = timings
        .split_first()
        .expect("the window holds the task itself");
    let start = timings
        .iter()
        .try_fold(0_u64, |acc, t| acc.checked_add(t.wcet.as_nanos()))
        .ok_or(NoBound::Overflow)?;
    let length = busy_period(first, 0, rest, start, &mut budget)?;
    let wcrt = length
        .checked_add(task.jitter.as_nanos())
        .ok_or(NoBound::Overflow)?;
    // The window contains the level-i busy period, so the bound is never
    // below the unblocked response; max() only guards the invariant.
    let wcrt = Duration::from_nanos(wcrt).max(unblocked.wcrt);
    let jobs = length
        .saturating_add(task.jitter.as_nanos())
        .div_ceil(task.period.as_nanos());
    Ok((
        Response {
            wcrt,
            worst_job: 0,
            jobs: jobs.max(1),
            busy_period: Duration::from_nanos(length),
        },
        Window {
            lowest,
            tasks,
            length: Duration::from_nanos(length),
            unblocked: unblocked.wcrt,
        },
    ))
}

/// A readable account of the window, e.g. "priority inversion, no
/// protocol: `h` can wait for a resource held by `l` while `m` runs; ...".
pub fn describe(system: &System, id: TaskId, window: &Window) -> String {
    let name = |k: TaskId| format!("`{}`", system.tasks[k.0].name);
    let others: Vec<String> = window
        .tasks
        .iter()
        .filter(|k| **k != id && **k != window.lowest)
        .map(|k| name(*k))
        .collect();
    let others = match others.len() {
        0 => String::new(),
        1 => format!(" while {} runs", others[0]),
        _ => format!(" while {} run", others.join(", ")),
    };
    let lowest = &system.tasks[window.lowest.0];
    let waits = system.tasks[id.0]
        .sections
        .iter()
        .any(|s| lowest.sections.iter().any(|l| l.resource == s.resource));
    let who = if waits {
        format!(
            "{} can wait for a resource held by {}{others}",
            name(id),
            name(window.lowest)
        )
    } else {
        format!(
            "a more urgent task can wait for a resource held by {}{others}, and its delayed jobs land in {}'s response",
            name(window.lowest),
            name(id)
        )
    };
    format!(
        "priority inversion, no protocol: {who}; bounded by the busy window of these tasks, {} \
         (a protocol, inherit or ceiling, would bound it by critical sections)",
        window.length
    )
}
