//! Proven misses under preemptive fixed priorities: a job of the configured
//! system that is late, whatever the blocking.
//!
//! A response-time bound above the deadline proves nothing once the bound
//! is only sufficient (blocking terms, offsets, jitter...). A lower bound
//! does: take the synchronous release of the task with the tasks above it
//! (reachable when they share its offset: it happens at that offset), no
//! jitter (a possible draw), and every job running its full WCET (a
//! possible execution time). When job `q` of the task completes at `f`, no
//! job of a more urgent task released before `f` is still pending, unless
//! it waits for a resource that the task, a less urgent one or one on
//! another CPU can hold:
//! a ready one would run instead, and under inheritance or the ceiling a
//! holder it waits for runs at its priority. Leaving out every more urgent
//! task that can be held up that way (directly or through a chain of
//! holders), the work done by `f` is at least
//! `(q + 1) C_i + Σ_{j} ⌈f / T_j⌉ C_j`, so `f` is at least the least fixed
//! point of that sum: the response-time recurrence without blocking or
//! jitter over those tasks. When it exceeds the deadline, the miss is
//! proven.
//!
//! The argument needs every released job to run to completion: preemptive
//! dispatching, `overrun = "queue"`, `on_miss = "continue"` and no injected
//! faults in the tasks counted. Equal-priority tasks are left out too (the
//! tie-break may favour the task), and so are triggered tasks, whose
//! releases follow completions; a triggered task gets no witness.

use super::{Dispatch, NoBound, ratio};
use crate::analysis::Timing;
use crate::model::{OnMiss, Overrun, Priority, System, TaskId};
use crate::time::Duration;

/// A proven miss of one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The job that misses, 0 = the first of the synchronous release.
    pub job: u64,
    /// Its response time at least (nanoseconds from its release); `None`
    /// when the backlog grows without end.
    pub response: Option<Duration>,
    /// The more urgent tasks released with it (task order).
    pub with: Vec<TaskId>,
}

/// The recurrence the response-time analysis of a task already solved:
/// its inputs, its answer and its first job past the deadline. When the
/// witness's recurrence has the same inputs (no blocking, no jitter, every
/// job at its WCET, the same tasks above: the common case), it has the
/// same answer, and a large set need not solve it twice.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Solved<'a> {
    /// The task's timing in that recurrence.
    pub(crate) task: Timing,
    /// Its blocking, in nanoseconds.
    pub(crate) blocking: Duration,
    /// The timings of the tasks that interfered, in group order.
    pub(crate) higher: &'a [Timing],
    /// Its dispatching.
    pub(crate) dispatch: Dispatch,
    /// What it gave.
    pub(crate) response: Result<super::Response, NoBound>,
    /// Its first job `q` whose response `r` passed the task's deadline,
    /// as `(q, r)`.
    pub(crate) first_late: Option<(u64, Duration)>,
}

/// A proven miss of task `id` (on `group`, its CPU) in the configured
/// system, if the lower bound shows one; the answer of `solved` is taken
/// instead of solving the recurrence again when it has the same inputs.
pub(crate) fn find(
    system: &System,
    priorities: &[Priority],
    group: &[TaskId],
    id: TaskId,
    solved: Option<Solved<'_>>,
) -> Option<Witness> {
    let s = &system.scheduler;
    if !s.preemptive || s.overrun != Overrun::Queue || s.on_miss != OnMiss::Continue {
        return None;
    }
    let me = &system.tasks[id.0];
    // A triggered task is released by completions, never at its offset
    // with the others: the synchronous pattern is not one it can have.
    if me.faults.panic_every > 0 || me.trigger.is_some() {
        return None;
    }
    let p = priorities[id.0];
    let above: Vec<TaskId> = group
        .iter()
        .copied()
        .filter(|k| priorities[k.0] > p)
        .collect();
    let held_up = can_be_held_up(system, &above);
    let with: Vec<TaskId> = above
        .into_iter()
        .filter(|k| !held_up.contains(k))
        .filter(|k| {
            let t = &system.tasks[k.0];
            t.offset == me.offset && t.faults.panic_every == 0 && t.trigger.is_none()
        })
        .collect();
    // Every job runs its longest possible execution time (the WCET unless
    // the execution model stops short of it).
    let bare = |t: &crate::model::Task| Timing::new(t.longest_execution(), t.period, t.deadline);
    let higher: Vec<Timing> = with.iter().map(|k| bare(&system.tasks[k.0])).collect();
    let same = solved.filter(|done| {
        done.task == bare(me)
            && done.blocking.is_zero()
            && done.dispatch == Dispatch::Preemptive
            && done.higher == higher.as_slice()
    });
    let (result, worst) = match same {
        Some(done) => (done.response, done.first_late),
        None => {
            let mut worst: Option<(u64, Duration)> = None;
            let result = super::response_time_jobs(
                &bare(me),
                Duration::ZERO,
                &higher,
                Dispatch::Preemptive,
                |q, r| {
                    if r > me.deadline && worst.is_none() {
                        worst = Some((q, r));
                    }
                },
            );
            (result, worst)
        }
    };
    match result {
        Err(NoBound::Overload) => {
            first_late_job(&bare(me), &higher).map(|(job, response)| Witness {
                job,
                response,
                with,
            })
        }
        _ => worst.map(|(job, r)| Witness {
            job,
            response: Some(r),
            with,
        }),
    }
}

/// Under overload (the task and `higher` need more than the CPU): the first
/// job whose lower bound passes its deadline, walking the jobs of the
/// synchronous release, with that bound; `None` as the response when the
/// tasks above take the whole CPU (job 1 never completes).
fn first_late_job(task: &Timing, higher: &[Timing]) -> Option<(u64, Option<Duration>)> {
    let above = ratio::sum_cmp(
        higher
            .iter()
            .map(|t| (u128::from(t.wcet.as_nanos()), t.period.as_nanos())),
        1,
    );
    if above != std::cmp::Ordering::Less {
        return Some((0, None));
    }
    let (c, t, d) = (
        task.wcet.as_nanos(),
        task.period.as_nanos(),
        task.deadline.as_nanos(),
    );
    let mut budget = super::ITERATION_CAP;
    let mut w = 0_u64;
    for q in 0_u64.. {
        let base = q.checked_add(1)?.checked_mul(c)?;
        w = super::fixed_point(base, higher, &mut budget, w.saturating_sub(base)).ok()?;
        let r = w.checked_sub(q.checked_mul(t)?)?;
        if r > d {
            return Some((q, Some(Duration::from_nanos(r))));
        }
    }
    None
}

/// The tasks of `above` that can wait for a resource held by a task not
/// in `above` (the task itself, a less urgent one, one on another CPU),
/// directly or through a chain of holders.
fn can_be_held_up(system: &System, above: &[TaskId]) -> Vec<TaskId> {
    let locks = |k: usize, r: usize| system.tasks[k].sections.iter().any(|s| s.resource.0 == r);
    let mut held: Vec<TaskId> = Vec::new();
    loop {
        let holder = |k: usize| !above.contains(&TaskId(k)) || held.contains(&TaskId(k));
        let next: Vec<TaskId> = above
            .iter()
            .copied()
            .filter(|&h| {
                held.contains(&h)
                    || (0..system.resources.len()).any(|r| {
                        locks(h.0, r)
                            && (0..system.tasks.len()).any(|k| k != h.0 && holder(k) && locks(k, r))
                    })
            })
            .collect();
        if next.len() == held.len() {
            return held;
        }
        held = next;
    }
}

/// The witness in a sentence, e.g. "job 1, released at 0 with `a`, `b`
/// (synchronous release, no jitter, every job running its longest execution time), completes
/// at least 18ms after its release > D = 5ms".
pub fn describe(system: &System, id: TaskId, witness: &Witness) -> String {
    let me = &system.tasks[id.0];
    let release = me
        .offset
        .checked_add(me.period.checked_mul(witness.job).unwrap_or(Duration::MAX))
        .unwrap_or(Duration::MAX);
    let names: Vec<String> = witness
        .with
        .iter()
        .map(|k| format!("`{}`", system.tasks[k.0].name))
        .collect();
    let pattern = if names.is_empty() {
        "no jitter, every job running its longest execution time".to_string()
    } else {
        format!(
            "{} released with it at {}, no jitter, every job running its longest execution time",
            names.join(", "),
            me.offset
        )
    };
    match witness.response {
        Some(r) => format!(
            "job {} (released at {release}; {pattern}) completes at least {r} after its release > D = {} (late by at least {}), whatever the blocking",
            witness.job + 1,
            me.deadline,
            r.saturating_sub(me.deadline)
        ),
        None => format!(
            "job {} (released at {release}; {pattern}) never completes: the tasks above it take the whole CPU",
            witness.job + 1
        ),
    }
}
