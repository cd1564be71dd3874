//! A verdict without the figures: does every task meet its deadline?
//! Allocation-free, for sweeps over many task sets.

use super::{Dispatch, ITERATION_CAP, NoBound, interference, response_time, spend};
use crate::analysis::Timing;
use crate::time::Duration;

/// `w = C + Σ_{hp} ⌈w / T_j⌉ C_j` iterated from `C + Σ C_j`: true at the
/// fixed point if it is at most `D`, false as soon as `w > D` (jitter-free
/// tasks only).
fn first_job_meets_deadline(task: &Timing, higher: &[Timing]) -> Result<bool, NoBound> {
    let (c, d) = (task.wcet.as_nanos(), task.deadline.as_nanos());
    let mut w = higher
        .iter()
        .try_fold(c, |acc, h| acc.checked_add(h.wcet.as_nanos()))
        .ok_or(NoBound::Overflow)?;
    let mut budget = ITERATION_CAP;
    loop {
        if w > d {
            return Ok(false);
        }
        spend(&mut budget)?;
        let next = c
            .checked_add(interference(higher, w)?)
            .ok_or(NoBound::Overflow)?;
        if next <= w {
            return Ok(true);
        }
        w = next;
    }
}

/// True when every task of `by_priority` (most urgent first, distinct
/// priorities, no blocking) meets its deadline; `None` when undecided
/// (iteration cap, overflow). Allocation-free, for sweeps.
///
/// For a preemptive task with `D <= T` and no jitter anywhere above it, the
/// iteration stops as soon as it passes the deadline (the first job after
/// the critical instant is the worst, so its completion decides).
pub fn all_meet_deadlines(by_priority: &[Timing], dispatch: Dispatch) -> Option<bool> {
    for (i, task) in by_priority.iter().enumerate() {
        let higher = &by_priority[..i];
        if dispatch == Dispatch::Preemptive
            && task.deadline <= task.period
            && task.jitter.is_zero()
            && higher.iter().all(|h| h.jitter.is_zero())
        {
            match first_job_meets_deadline(task, higher) {
                Ok(true) => continue,
                Ok(false) => return Some(false),
                Err(_) => return None,
            }
        }
        let blocking = match dispatch {
            Dispatch::Preemptive => Duration::ZERO,
            Dispatch::NonPreemptive => by_priority[i + 1..]
                .iter()
                .map(|t| t.wcet.saturating_sub(Duration::from_nanos(1)))
                .max()
                .unwrap_or(Duration::ZERO),
        };
        match response_time(task, blocking, &by_priority[..i], dispatch) {
            Ok(r) if r.wcrt <= task.deadline => {}
            Ok(_) | Err(NoBound::Overload | NoBound::Saturated) => return Some(false),
            Err(_) => return None,
        }
    }
    Some(true)
}
