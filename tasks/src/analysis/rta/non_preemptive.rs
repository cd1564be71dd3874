//! Non-preemptive fixed-priority response times (R. I. Davis, A. Burns, R.
//! J. Bril and J. J. Lukkien, "Controller Area Network (CAN) schedulability
//! analysis: refuted, revisited and revised", Real-Time Systems 35(3),
//! 2007), in integer time with a tick of 1 ns:
//!
//! ```text
//! L     = B_i + Σ_{j ∈ hep(i)} ⌈(L + J_j) / T_j⌉ C_j
//! w(q)  = B_i + q C_i + Σ_{j ∈ hp(i)} (⌊(w(q) + J_j) / T_j⌋ + 1) C_j
//! R(q)  = J_i + w(q) - q T_i + C_i,   q = 0 .. ⌈(L + J_i) / T_i⌉ - 1
//! ```
//!
//! `w(q)` is when job `q` starts; once started it runs to completion.

use super::{NoBound, Response, busy_period, jobs_in, response_of, spend};
use crate::analysis::Timing;
use crate::time::Duration;

/// The worst-case response time of `task` with blocking `b` (ns, including
/// the longest lower-priority job minus 1 ns) below `higher`.
pub(super) fn response(
    task: &Timing,
    b: u64,
    higher: &[Timing],
    budget: &mut u64,
    mut job: impl FnMut(u64, Duration),
) -> Result<Response, NoBound> {
    let (c, t, j) = (
        task.wcet.as_nanos(),
        task.period.as_nanos(),
        task.jitter.as_nanos(),
    );
    let start = higher
        .iter()
        .try_fold(b.checked_add(c), |acc, h| {
            Some(acc.and_then(|a| a.checked_add(h.wcet.as_nanos())))
        })
        .flatten()
        .ok_or(NoBound::Overflow)?;
    let busy = busy_period(task, b, higher, start, budget)?;
    let jobs = jobs_in(busy, j, t)?;
    let mut worst: Option<(u64, u64)> = None;
    let mut w: u64 = 0;
    for q in 0..jobs {
        let base = q
            .checked_mul(c)
            .and_then(|v| v.checked_add(b))
            .ok_or(NoBound::Overflow)?;
        // w(q) >= w(q-1) + C_i, a valid start below the fixed point.
        let from = if q == 0 {
            0
        } else {
            w.saturating_add(c).saturating_sub(base)
        };
        w = start_time(base, higher, budget, from)?;
        let r = response_of(w, j, q, t, c)?;
        job(q, Duration::from_nanos(r));
        if worst.is_none_or(|(best, _)| r > best) {
            worst = Some((r, q));
        }
    }
    // The busy period holds at least one job of the task.
    let (wcrt, worst_job) = worst.expect("the busy period holds at least one job");
    Ok(Response {
        wcrt: Duration::from_nanos(wcrt),
        worst_job,
        jobs,
        busy_period: Duration::from_nanos(busy),
    })
}

/// The least `w >= base + from` with
/// `w = base + Σ (⌊(w + J_j)/T_j⌋ + 1) C_j` (non-preemptive start time).
fn start_time(base: u64, higher: &[Timing], budget: &mut u64, from: u64) -> Result<u64, NoBound> {
    let mut w = base.checked_add(from).ok_or(NoBound::Overflow)?;
    loop {
        spend(budget)?;
        let mut sum = base;
        for h in higher {
            let n = w
                .checked_add(h.jitter.as_nanos())
                .ok_or(NoBound::Overflow)?
                / h.period.as_nanos()
                + 1;
            sum = n
                .checked_mul(h.wcet.as_nanos())
                .and_then(|v| v.checked_add(sum))
                .ok_or(NoBound::Overflow)?;
        }
        if sum <= w {
            return Ok(w);
        }
        w = sum;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Dispatch, response_time, response_time_jobs};
    use super::*;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    /// Response times of a priority-ordered list, non-preemptive blocking
    /// included.
    fn wcrts(set: &[Timing]) -> Vec<u64> {
        (0..set.len())
            .map(|i| {
                let blocking = set[i + 1..]
                    .iter()
                    .map(|t| t.wcet.as_nanos() - 1)
                    .max()
                    .unwrap_or(0);
                response_time(&set[i], ns(blocking), &set[..i], Dispatch::NonPreemptive)
                    .unwrap()
                    .wcrt
                    .as_nanos()
            })
            .collect()
    }

    #[test]
    fn non_preemptive_davis_et_al_2007() {
        // Davis, Burns, Bril & Lukkien 2007, §3: the flaw of the original
        // CAN analysis. Messages A, B, C with transmission time 1 and periods
        // 2.5, 3.5, 3.5 (here in microseconds: 1000; 2500, 3500, 3500). The
        // first instance of C responds in 3000, but the busy period (7000)
        // holds a second one that responds in 3500: the original analysis,
        // which looked at the first instance only, was optimistic.
        let a = Timing::new(ns(1000), ns(2500), ns(2500));
        let b = Timing::new(ns(1000), ns(3500), ns(3500));
        let c = Timing::new(ns(1000), ns(3500), ns(3500));
        let mut jobs = Vec::new();
        let r = response_time_jobs(&c, ns(0), &[a, b], Dispatch::NonPreemptive, |_, r| {
            jobs.push(r.as_nanos());
        })
        .unwrap();
        assert_eq!(jobs, [3000, 3500]);
        assert_eq!((r.wcrt, r.jobs, r.busy_period), (ns(3500), 2, ns(7000)));
        // A and B are blocked by one lower message started a tick earlier.
        assert_eq!(wcrts(&[a, b, c]), [1999, 2999, 3500]);
    }

    #[test]
    fn non_preemptive_hand_derived() {
        // τ1 (1, 4), τ2 (2, 6), τ3 (3, 10) non-preemptive, RM.
        // τ1: B = 2 (τ3's 3 - 1), w = 2, R = 2 + 1 = 3.
        // τ2: B = 2, w = 2 + (⌊w/4⌋ + 1) 1 = 3, R = 3 + 2 = 5.
        // τ3: B = 0, w = (⌊w/4⌋ + 1) 1 + (⌊w/6⌋ + 1) 2 = 3, R = 6.
        let s: Vec<Timing> = [(1, 4), (2, 6), (3, 10)]
            .iter()
            .map(|&(c, t)| Timing::new(ns(c), ns(t), ns(t)))
            .collect();
        assert_eq!(wcrts(&s), [3, 5, 6]);
    }
}
