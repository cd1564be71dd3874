//! Witnesses of proven EDF misses: which job misses, under which release
//! pattern.
//!
//! With synchronous releases at `O` and every job running its WCET, let
//! `t*` be the first absolute deadline (relative to `O`) with `h(t*) > t*`.
//! No job due before `t*` misses (every window inside `[O, O + t*)` passes
//! the demand test), the jobs due by `t*` all arrive at or after `O` and
//! need more than `t*` of CPU time, so the last of them to complete is due
//! exactly at `t*` and completes after it. Under preemptive EDF the jobs
//! due at `t*` complete in rtlab's tie order (earlier release, then the
//! task listed first): the last in that order misses.

use super::{Job, STEP_CAP, demand_of, next_deadline_after, prepare};
use crate::analysis::Timing;
use crate::time::Duration;

/// The first deadline `t` (window from the synchronous release) with
/// `h(t) > t`, and `h(t)`, scanning every deadline up to `limit`
/// (inclusive) or [`STEP_CAP`] of them; `None` when none was found.
pub(crate) fn first_miss(tasks: &[Timing], limit: Option<u64>) -> Option<(u64, u128)> {
    let jobs: Vec<Job> = prepare(tasks).ok()?;
    let mut t = jobs.iter().map(|j| j.d).min()?;
    for _ in 0..STEP_CAP {
        if limit.is_some_and(|l| t > l) {
            return None;
        }
        let h = demand_of(&jobs, t);
        if h > u128::from(t) {
            return Some((t, h));
        }
        t = next_deadline_after(&jobs, t)?;
    }
    None
}

/// The jobs due exactly at `t` (from the synchronous release): (task index
/// in `tasks`, job number from 0), in rtlab's EDF tie order (earlier
/// release first, then task order).
pub(crate) fn due_at(tasks: &[Timing], t: u64) -> Vec<(usize, u64)> {
    let mut due: Vec<(u64, usize, u64)> = tasks
        .iter()
        .enumerate()
        .filter_map(|(i, task)| {
            let (d, p) = (task.deadline.as_nanos(), task.period.as_nanos());
            let since = t.checked_sub(d)?;
            (since % p == 0).then_some((since, i, since / p))
        })
        .collect();
    due.sort_unstable();
    due.into_iter().map(|(_, i, k)| (i, k)).collect()
}

/// The witness of the job of `tasks[i]` number `k`, due at `t` after the
/// synchronous release at `offset`, where `h(t) = demand`; `others` names
/// the other tasks with a job due then.
pub(crate) fn describe_first_miss(
    offset: Duration,
    t: u64,
    demand: u128,
    task: &Timing,
    k: u64,
    others: &[&str],
) -> String {
    let at = |v: u64| Duration::from_nanos(offset.as_nanos().saturating_add(v));
    let release = t - task.deadline.as_nanos();
    let due = if others.is_empty() {
        String::new()
    } else {
        format!(
            "; {} also {} a job due then, released earlier or listed earlier",
            others
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            if others.len() == 1 { "has" } else { "have" }
        )
    };
    format!(
        "synchronous release at {}, every job running its WCET: the jobs due by {} need {} of CPU time, \
         more than the {} there is (h(t) > t); none due earlier misses, and EDF runs job {} (released at {}, \
         due at {}) last among those due then, so it completes after its deadline{due}",
        at(0),
        at(t),
        Duration::from_nanos(u64::try_from(demand).unwrap_or(u64::MAX)),
        Duration::from_nanos(t),
        k + 1,
        at(release),
        at(t),
    )
}

/// The witness of an overloaded CPU whose late jobs run on.
pub(crate) fn describe_overload(u_text: &str) -> String {
    format!(
        "{u_text} on this CPU and releases queue: the backlog grows without end, so from some job on \
         every job of every task completes late, whatever the offsets (the running job's lateness \
         grows like (1 - 1/U) t)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    #[test]
    fn the_first_failing_deadline_and_who_is_due_then() {
        // (C, T, D) = (2, 4, 3), (3, 6, 4): h(3) = 2, h(4) = 5 > 4.
        let set = vec![
            Timing::new(ns(2), ns(4), ns(3)),
            Timing::new(ns(3), ns(6), ns(4)),
        ];
        assert_eq!(first_miss(&set, None), Some((4, 5)));
        assert_eq!(due_at(&set, 4), [(1, 0)]);
        // Both due at 12: (1, 4, 12) released at 0 and (2, 6, 6)'s second
        // job released at 6: the later release runs last.
        let set = vec![
            Timing::new(ns(1), ns(4), ns(12)),
            Timing::new(ns(2), ns(6), ns(6)),
        ];
        assert_eq!(due_at(&set, 12), [(0, 0), (1, 1)]);
        assert_eq!(first_miss(&set, Some(100)), None);
    }
}
