//! The per-task figures of an EDF CPU: each task's response-time bound
//! ([`super::response`]), slack, verdict, blocking and a note on where the
//! worst case lies.

use super::blocking::{self, Resources};
use super::response::{NoBound, Response, response_time};
use crate::analysis::rta::Dispatch;
use crate::analysis::{Group, TaskVerdict, Timing};
use crate::model::{System, Task, TaskId};
use crate::time::Duration;

/// What can delay a job besides the jobs due no later.
#[derive(Clone, Copy)]
pub(crate) enum Blocker<'a> {
    /// Independent preemptive tasks.
    None,
    /// Non-preemptive dispatching (locks are never held across a
    /// preemption then, so resources add nothing).
    NonPreemptive,
    /// Preemptive with resources shared on the CPU.
    Resources(&'a Resources<'a>),
}

impl Blocker<'_> {
    fn dispatch(self) -> Dispatch {
        match self {
            Blocker::NonPreemptive => Dispatch::NonPreemptive,
            _ => Dispatch::Preemptive,
        }
    }

    fn method(self) -> &'static str {
        match self {
            Blocker::NonPreemptive => "George, Rivierre & Spuri 1996",
            _ => "Spuri 1996",
        }
    }
}

/// The bounds of a CPU's tasks, summed up.
pub(crate) struct Bounds {
    /// Every task has a bound within its deadline.
    pub(crate) all_within: bool,
    /// Some task's bound exceeds its deadline, or it has none because the
    /// CPU is overloaded.
    pub(crate) some_beyond: bool,
    /// `; per-task bounds (...): ...`, for the CPU line.
    pub(crate) summary: String,
}

/// Fills in every task's bound, slack, verdict and blocking.
pub(crate) fn fill(
    system: &System,
    group: &Group,
    tasks: &[Timing],
    blocker: Blocker<'_>,
    out: &mut [TaskVerdict],
) -> Bounds {
    let mut beyond = Vec::new();
    let mut missing = Vec::new();
    let mut tightest: Option<(i128, usize, Duration)> = None;
    for (n, &id) in group.tasks.iter().enumerate() {
        let task = &system.tasks[id.0];
        let window = task.deadline.saturating_sub(task.release_jitter);
        let result = bound_of(tasks, n, id, blocker);
        let v = &mut out[id.0];
        let (b, inherit) = blocking_of(system, group, window, id, blocker);
        v.blocking_ns = Some(b.as_ref().map_or(0, |b| b.time.as_nanos()));
        v.blocking_detail = b.and_then(|b| blocking::describe(system, &b, inherit));
        match result {
            Ok(r) => {
                v.set_wcrt(r.wcrt);
                v.add_note(worst_case(&r, blocker));
                let slack = i128::from(task.deadline.as_nanos()) - i128::from(r.wcrt.as_nanos());
                if r.wcrt > task.deadline {
                    beyond.push(format!(
                        "R({}) = {} > D = {} (by {})",
                        task.name,
                        r.wcrt,
                        task.deadline,
                        r.wcrt.saturating_sub(task.deadline)
                    ));
                } else if tightest.is_none_or(|(s, _, _)| slack < s) {
                    tightest = Some((slack, n, r.wcrt));
                }
            }
            Err(e) => {
                // An overload is a proof only where the CPU's verdict says
                // so (queued releases, no faults...), with its witness.
                v.add_note(format!("no response-time bound: {}", e.describe()));
                missing.push((task.name.as_str(), e));
            }
        }
    }
    let tightest = tightest.map(|(_, n, wcrt)| (&system.tasks[group.tasks[n].0], wcrt));
    summarize(blocker, &beyond, &missing, tightest)
}

/// The bound of `tasks[n]` (task `id`) with the blocking `blocker` allows.
fn bound_of(
    tasks: &[Timing],
    n: usize,
    id: TaskId,
    blocker: Blocker<'_>,
) -> Result<Response, NoBound> {
    match blocker {
        Blocker::Resources(res) => response_time(tasks, n, blocker.dispatch(), |t| {
            res.blocking(t, Some(id)).time
        }),
        _ => response_time(tasks, n, blocker.dispatch(), |_| Duration::ZERO),
    }
}

/// The blocking of task `id` in its own window, and whether it comes from
/// deadline inheritance.
fn blocking_of(
    system: &System,
    group: &Group,
    window: Duration,
    id: TaskId,
    blocker: Blocker<'_>,
) -> (Option<blocking::Bound>, bool) {
    match blocker {
        Blocker::None => (None, false),
        Blocker::NonPreemptive => (
            Some(blocking::non_preemptive(system, &group.tasks, window, id)),
            false,
        ),
        Blocker::Resources(res) => (Some(res.blocking(window, Some(id))), res.inherit),
    }
}

/// The CPU line's account of the bounds.
fn summarize(
    blocker: Blocker<'_>,
    beyond: &[String],
    missing: &[(&str, NoBound)],
    tightest: Option<(&Task, Duration)>,
) -> Bounds {
    let method = blocker.method();
    let overload = missing.iter().any(|(_, e)| *e == NoBound::Overload);
    let summary = if overload {
        String::new()
    } else if !beyond.is_empty() {
        let shown = beyond.len().min(3);
        let more = if beyond.len() > shown {
            format!(" and {} more", beyond.len() - shown)
        } else {
            String::new()
        };
        format!(
            "; per-task bounds ({method}): {}{more}",
            beyond[..shown].join(", ")
        )
    } else if let Some((name, e)) = missing.first() {
        format!(
            "; per-task bounds ({method}): no bound for `{name}`: {}",
            e.describe()
        )
    } else {
        let tight = tightest.map_or(String::new(), |(t, wcrt)| {
            format!(", tightest R({}) = {} <= D = {}", t.name, wcrt, t.deadline)
        });
        format!("; per-task bounds ({method}): every R <= D{tight}")
    };
    Bounds {
        all_within: beyond.is_empty() && missing.is_empty(),
        some_beyond: !beyond.is_empty() || overload,
        summary,
    }
}

/// Where the worst case of a bound lies, for the task's note.
fn worst_case(r: &Response, blocker: Blocker<'_>) -> String {
    format!(
        "worst case: the job arriving {} after its deadline busy period starts ({}; {} offset{} examined below L = {})",
        r.worst_offset,
        blocker.method(),
        r.offsets,
        if r.offsets == 1 { "" } else { "s" },
        r.busy_period
    )
}

/// The figures of a CPU without a verdict: each task's note, with its
/// bound when the reason is ignored and, if `show_blocking`, its local
/// blocking (not a bound: blocking from other CPUs comes on top).
pub(crate) fn undecided(
    system: &System,
    group: &Group,
    tasks: &[Timing],
    blocker: Blocker<'_>,
    show_blocking: bool,
    note: &str,
    out: &mut [TaskVerdict],
) {
    for (n, &id) in group.tasks.iter().enumerate() {
        let local = bound_of(tasks, n, id, blocker);
        let task = &system.tasks[id.0];
        let window = task.deadline.saturating_sub(task.release_jitter);
        let v = &mut out[id.0];
        if show_blocking {
            let (b, inherit) = blocking_of(system, group, window, id, blocker);
            v.blocking_ns = Some(b.as_ref().map_or(0, |b| b.time.as_nanos()));
            v.blocking_detail = b.and_then(|b| blocking::describe(system, &b, inherit));
        }
        let ignoring = local.map_or(String::new(), |r| format!("; ignoring it, R = {}", r.wcrt));
        v.add_note(format!("{note}{ignoring}"));
    }
}
