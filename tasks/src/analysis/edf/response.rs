//! EDF response-time bounds on one processor, per task.
//!
//! **Preemptive** (M. Spuri, "Analysis of deadline scheduled real-time
//! systems", INRIA RR-2772, 1996). The worst response of `τ_i` is found in
//! a deadline busy period in which every other task is released
//! synchronously at its start and then as fast as it may, and a job of
//! `τ_i` lies `a` into it. With release jitter, `a` is the job's latest
//! arrival (its nominal release plus `J_i`), `D'_j = D_j - J_j` and
//!
//! ```text
//! L      = Σ_j ⌈(L + J_j) / T_j⌉ C_j                              (synchronous busy period)
//! L_i(a) = b(a + D'_i) + (⌊a / T_i⌋ + 1) C_i
//!          + Σ_{j ≠ i, D'_j <= a + D'_i} min(⌈(L_i(a) + J_j) / T_j⌉, ⌊(a + D'_i - D'_j) / T_j⌋ + 1) C_j
//! R_i    = max_a (L_i(a) - a + J_i),   a ∈ {k T_i} ∪ {k T_j + D'_j - D'_i},  0 <= a < L
//! ```
//!
//! Between two candidate offsets `L_i(a)` is constant and `- a` falls, so
//! the candidates are enough. Response times are measured from the nominal
//! release, like every bound of rtlab; `b(t)` is the blocking a window of
//! `t` to the deadline can suffer (zero for independent tasks, see
//! `edf::blocking`).
//!
//! **Non-preemptive** (L. George, N. Rivierre and M. Spuri, "Preemptive and
//! non-preemptive real-time uniprocessor scheduling", INRIA RR-2966, 1996,
//! in integer time: a job that starts at `w` runs to completion, and a
//! later-deadline job may have started one tick before the busy period):
//!
//! ```text
//! B_i(a) = max{C_j - 1 : j ≠ i, D_j > a + D'_i}
//! w_i(a) = B_i(a) + b(a + D'_i) + ⌊a / T_i⌋ C_i
//!          + Σ_{j ≠ i, D'_j <= a + D'_i} min(⌊(w_i(a) + J_j) / T_j⌋ + 1, ⌊(a + D'_i - D'_j) / T_j⌋ + 1) C_j
//! R_i    = max_a (w_i(a) + C_i - a + J_i)
//! ```
//!
//! over the same offsets below the same `L` (the processor busy period that
//! holds the blocking job and the job under analysis is one of the sporadic
//! busy periods `L` bounds).
//!
//! Without jitter these are the fixed points of the verified analyses of
//! the `response-time-analysis` crate (Bozhko & Brandenburg, ECRTS 2020,
//! instantiated for EDF in Prosa): its offset `A` is our `a`, its bound
//! `F` our `R_i`; the property tests check the equality. With jitter the
//! models differ: that crate dates a job's deadline from its (jittered)
//! arrival, rtlab and its simulator from the nominal release, so a job that
//! arrives late is more urgent here. Our bound is at least the crate's
//! (same `T, C, D, J`), at most the crate's plus `J_i` when only `τ_i` has
//! jitter, and at most the crate's with deadlines `D - J` plus `J_i`.
//!
//! The search skips an offset with one evaluation when `L_i(a)` cannot beat
//! the best response found so far, and starts each fixed point from the
//! previous one when the equation only grew. All arithmetic is checked;
//! every computation is capped at [`STEP_CAP`] evaluations.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::STEP_CAP;
use crate::analysis::rta::Dispatch;
use crate::analysis::{Timing, utilization};
use crate::time::Duration;

/// A per-task EDF response-time bound and how it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// The bound, in nanoseconds from the nominal release.
    pub wcrt: Duration,
    /// The offset `a` of the worst case: the latest arrival of the job
    /// under analysis after the start of its deadline busy period, ns.
    pub worst_offset: Duration,
    /// Candidate offsets examined (all of them below `busy_period`).
    pub offsets: u64,
    /// The synchronous busy period `L`, ns.
    pub busy_period: Duration,
    /// Evaluations of the response-time equations made.
    pub steps: u64,
}

/// Why a task has no EDF response-time bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoBound {
    /// `U > 1`: the busy period never ends.
    Overload,
    /// `U = 1` with release jitter: the busy period never ends.
    Saturated,
    /// A time exceeded 2^64 ns.
    Overflow,
    /// [`STEP_CAP`] evaluations were not enough.
    IterationCap,
}

impl NoBound {
    /// A readable reason.
    pub fn describe(self) -> String {
        match self {
            NoBound::Overload => "U > 1: the busy period never ends".to_string(),
            NoBound::Saturated => {
                "U = 1 with release jitter: the busy period never ends".to_string()
            }
            NoBound::Overflow => "time overflow: the busy period exceeds 2^64 ns".to_string(),
            NoBound::IterationCap => {
                format!("undecided: the step cap ({STEP_CAP} evaluations) was reached")
            }
        }
    }
}

/// A task's figures as the equations use them.
#[derive(Clone, Copy, Debug)]
struct Params {
    c: u64,
    t: u64,
    j: u64,
    /// `D - J` (negative when the jitter exceeds the deadline).
    dj: i128,
}

impl Params {
    fn of(task: &Timing) -> Params {
        Params {
            c: task.wcet.as_nanos(),
            t: task.period.as_nanos(),
            j: task.jitter.as_nanos(),
            dj: i128::from(task.deadline.as_nanos()) - i128::from(task.jitter.as_nanos()),
        }
    }
}

fn spend(steps: &mut u64) -> Result<(), NoBound> {
    *steps += 1;
    if *steps > STEP_CAP {
        Err(NoBound::IterationCap)
    } else {
        Ok(())
    }
}

/// The synchronous busy period `L = Σ ⌈(L + J_j) / T_j⌉ C_j`, ns.
pub fn busy_period(tasks: &[Timing]) -> Result<Duration, NoBound> {
    let params: Vec<Params> = tasks.iter().map(Params::of).collect();
    check_load(tasks)?;
    busy(&params, &mut 0).map(Duration::from_nanos)
}

fn check_load(tasks: &[Timing]) -> Result<(), NoBound> {
    match utilization::compare(tasks, 1) {
        Ordering::Greater => Err(NoBound::Overload),
        Ordering::Equal if tasks.iter().any(|t| !t.jitter.is_zero()) => Err(NoBound::Saturated),
        _ => Ok(()),
    }
}

fn busy(params: &[Params], steps: &mut u64) -> Result<u64, NoBound> {
    let mut w = params
        .iter()
        .try_fold(0u64, |acc, p| acc.checked_add(p.c))
        .ok_or(NoBound::Overflow)?;
    loop {
        spend(steps)?;
        let next = params
            .iter()
            .try_fold(0u64, |acc, p| {
                w.checked_add(p.j)?
                    .div_ceil(p.t)
                    .checked_mul(p.c)?
                    .checked_add(acc)
            })
            .ok_or(NoBound::Overflow)?;
        if next <= w {
            return Ok(w);
        }
        w = next;
    }
}

/// The candidate offsets in increasing order below a limit, `k T_i` and
/// `k T_j + D'_j - D'_i` (those >= 0), and at each one how many jobs each
/// task may contribute: `⌊a / T_i⌋ + 1` for the task under analysis,
/// `⌊(a + D'_i - D'_j) / T_j⌋ + 1` (0 when negative) for the others. The
/// counts step up exactly at the candidates, so they are kept up to date
/// one heap entry at a time.
struct Offsets {
    /// (next candidate, task) per task that has one.
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    step: Vec<u64>,
    /// Jobs per task at the last candidate returned.
    jobs: Vec<u64>,
    limit: u64,
}

impl Offsets {
    fn new(params: &[Params], i: usize, limit: u64) -> Offsets {
        let mut heap = BinaryHeap::with_capacity(params.len());
        let mut jobs = vec![0; params.len()];
        for (j, p) in params.iter().enumerate() {
            let base = if j == i { 0 } else { p.dj - params[i].dj };
            // The first candidate k T_j + base >= 0; before it the task
            // contributes k jobs.
            let t = i128::from(p.t);
            let k = if base >= 0 { 0 } else { (-base + t - 1) / t };
            jobs[j] = u64::try_from(k).unwrap_or(u64::MAX);
            if let Ok(first) = u64::try_from(base + k * t) {
                heap.push(Reverse((first, j)));
            }
        }
        Offsets {
            heap,
            step: params.iter().map(|p| p.t).collect(),
            jobs,
            limit,
        }
    }

    /// The next candidate (the job counts are updated to it).
    fn advance(&mut self) -> Option<u64> {
        let &Reverse((a, _)) = self.heap.peek()?;
        if a >= self.limit {
            return None;
        }
        while let Some(&Reverse((b, j))) = self.heap.peek() {
            if b != a {
                break;
            }
            self.heap.pop();
            self.jobs[j] += 1;
            if let Some(next) = a.checked_add(self.step[j]) {
                self.heap.push(Reverse((next, j)));
            }
        }
        Some(a)
    }
}

/// The equation of one offset: a constant part plus capped terms.
struct Equation<'a> {
    base: u64,
    params: &'a [Params],
    /// The most jobs each task may contribute (the task under analysis
    /// set to 0: it is in `base`).
    caps: &'a [u64],
    dispatch: Dispatch,
}

impl Equation<'_> {
    fn rhs(&self, x: u64) -> Option<u64> {
        let mut sum = self.base;
        for (p, &cap) in self.params.iter().zip(self.caps) {
            if cap == 0 {
                continue;
            }
            let jobs = match self.dispatch {
                Dispatch::Preemptive => x.checked_add(p.j)?.div_ceil(p.t),
                Dispatch::NonPreemptive => x.checked_add(p.j)? / p.t + 1,
            };
            sum = jobs.min(cap).checked_mul(p.c)?.checked_add(sum)?;
        }
        Some(sum)
    }

    /// The least fixed point at or above `from` (which must not exceed it).
    fn solve(&self, from: u64, steps: &mut u64) -> Result<u64, NoBound> {
        let mut x = from;
        loop {
            spend(steps)?;
            let next = self.rhs(x).ok_or(NoBound::Overflow)?;
            if next <= x {
                return Ok(x);
            }
            x = next;
        }
    }
}

/// The worst-case response time of `tasks[i]` under EDF on one processor,
/// measured from the nominal release, with `blocking(t)` the blocking a
/// job can suffer in a window of `t` ns up to its deadline (excluding
/// `tasks[i]` itself as a blocker; zero for independent preemptive tasks).
/// Non-preemptive dispatching adds its own blocking term (see the module
/// docs), so `blocking` then covers only what else may delay a start.
pub fn response_time(
    tasks: &[Timing],
    i: usize,
    dispatch: Dispatch,
    blocking: impl Fn(Duration) -> Duration,
) -> Result<Response, NoBound> {
    check_load(tasks)?;
    let params: Vec<Params> = tasks.iter().map(Params::of).collect();
    let mut steps = 0;
    let l = busy(&params, &mut steps)?;
    let me = params[i];
    // The response at an offset is x - a + extra for the fixed point x.
    let extra = i128::from(me.j)
        + match dispatch {
            Dispatch::Preemptive => 0,
            Dispatch::NonPreemptive => i128::from(me.c),
        };
    let mut best: Option<(i128, u64)> = None;
    let mut count = 0u64;
    // The last solved offset's blocking and fixed point (warm start).
    let mut last: Option<(u64, u64)> = None;
    let mut offsets = Offsets::new(&params, i, l);
    let mut caps = vec![0; params.len()];
    while let Some(a) = offsets.advance() {
        count += 1;
        spend(&mut steps)?;
        let window =
            u64::try_from((i128::from(a) + me.dj).max(0)).map_err(|_| NoBound::Overflow)?;
        let blocked = total_blocking(tasks, i, window, dispatch, &blocking)?;
        let own = match dispatch {
            Dispatch::Preemptive => offsets.jobs[i],
            Dispatch::NonPreemptive => offsets.jobs[i] - 1,
        };
        caps.copy_from_slice(&offsets.jobs);
        caps[i] = 0;
        let eq = Equation {
            base: own
                .checked_mul(me.c)
                .and_then(|v| v.checked_add(blocked))
                .ok_or(NoBound::Overflow)?,
            params: &params,
            caps: &caps,
            dispatch,
        };
        if let Some((r, _)) = best {
            // Can this offset beat r? Only if its fixed point exceeds x.
            if let Ok(x) = u64::try_from(r + i128::from(a) - extra)
                && eq.rhs(x).is_some_and(|v| v <= x)
            {
                continue;
            }
            // Without blocking, L_i(a) <= L: past this point no offset can.
            if dispatch == Dispatch::Preemptive
                && blocked == 0
                && i128::from(l) - i128::from(a) + extra <= r
            {
                break;
            }
        }
        let from = match (dispatch, last) {
            (_, Some((b, x))) if blocked >= b => x,
            (Dispatch::Preemptive, _) => 1,
            (Dispatch::NonPreemptive, _) => 0,
        };
        let x = eq.solve(from, &mut steps)?;
        last = Some((blocked, x));
        let r = i128::from(x) - i128::from(a) + extra;
        if best.is_none_or(|(b, _)| r > b) {
            best = Some((r, a));
        }
    }
    let (r, a) = best.ok_or(NoBound::Overflow)?;
    Ok(Response {
        wcrt: Duration::from_nanos(u64::try_from(r.max(0)).map_err(|_| NoBound::Overflow)?),
        worst_offset: Duration::from_nanos(a),
        offsets: count,
        busy_period: Duration::from_nanos(l),
        steps,
    })
}

/// The blocking of offset window `window`: the caller's term plus, when
/// non-preemptive, `max{C_j - 1 : j ≠ i, D_j > window}`.
fn total_blocking(
    tasks: &[Timing],
    i: usize,
    window: u64,
    dispatch: Dispatch,
    blocking: &impl Fn(Duration) -> Duration,
) -> Result<u64, NoBound> {
    let b = blocking(Duration::from_nanos(window)).as_nanos();
    if dispatch == Dispatch::Preemptive {
        return Ok(b);
    }
    let np = tasks
        .iter()
        .enumerate()
        .filter(|&(j, t)| j != i && t.deadline.as_nanos() > window)
        .map(|(_, t)| t.wcet.as_nanos().saturating_sub(1))
        .max()
        .unwrap_or(0);
    b.checked_add(np).ok_or(NoBound::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    /// (C, T, D) tasks.
    fn tasks(ctd: &[(u64, u64, u64)]) -> Vec<Timing> {
        ctd.iter()
            .map(|&(c, t, d)| Timing::new(ns(c), ns(t), ns(d)))
            .collect()
    }

    fn wcrts(set: &[Timing], dispatch: Dispatch) -> Vec<u64> {
        (0..set.len())
            .map(|i| {
                response_time(set, i, dispatch, |_| Duration::ZERO)
                    .unwrap()
                    .wcrt
                    .as_nanos()
            })
            .collect()
    }

    /// Every job of the synchronous periodic EDF schedule (ties: earlier
    /// release, then task order), in unit time: the largest response of
    /// each task among the jobs released before `horizon`.
    fn simulate(set: &[Timing], horizon: u64) -> Vec<u64> {
        let n = set.len();
        let mut left: Vec<Vec<(u64, u64)>> = vec![Vec::new(); n]; // (release, remaining)
        let mut worst = vec![0; n];
        for now in 0..horizon * 4 {
            for (i, t) in set.iter().enumerate() {
                if now < horizon && now % t.period.as_nanos() == 0 {
                    left[i].push((now, t.wcet.as_nanos()));
                }
            }
            let pick = (0..n)
                .filter(|&i| !left[i].is_empty())
                .min_by_key(|&i| (left[i][0].0 + set[i].deadline.as_nanos(), left[i][0].0, i));
            if let Some(i) = pick {
                left[i][0].1 -= 1;
                if left[i][0].1 == 0 {
                    let (release, _) = left[i].remove(0);
                    worst[i] = worst[i].max(now + 1 - release);
                }
            }
        }
        worst
    }

    #[test]
    fn spuri_hand_traced() {
        // (C, T, D) = (1, 4, 4), (2, 6, 6), (3, 8, 8): U = 23/24, L = 16
        // (6, 7, 9, 13, 16). τ3's offsets: 0, 4, 8, 10, 12 (k 4 - 4 and
        // k 6 - 2). At a = 0: 3 + min(⌈t/4⌉, 2) 1 + min(⌈t/6⌉, 1) 2 from
        // t = 1: 6, 7, 7 -> R = 7; a = 4: x = 10, R = 6; a = 8: x = 14,
        // R = 6; a = 10: x = 16, R = 6; a = 12: x = 16, R = 4. R_3 = 7.
        let set = tasks(&[(1, 4, 4), (2, 6, 6), (3, 8, 8)]);
        let r = response_time(&set, 2, Dispatch::Preemptive, |_| Duration::ZERO).unwrap();
        assert_eq!(r.wcrt, ns(7));
        assert_eq!(r.busy_period, ns(16));
        assert_eq!(r.worst_offset, ns(0));
        assert_eq!(wcrts(&set, Dispatch::Preemptive), [3, 5, 7]);
        // The bound counts τ1's job due at 8 ahead of τ3's (ties broken
        // either way); rtlab's schedule runs the earlier release first, so
        // τ3 completes at 6 there. τ1's bound 3 (a = 4) is reached.
        let sim = simulate(&set, 24);
        assert_eq!(sim, [3, 4, 6]);
    }

    #[test]
    fn the_worst_offset_need_not_be_the_synchronous_release() {
        // (C, T, D) = (2, 5, 5), (4, 10, 10), (1, 20, 3). τ3 released at 0
        // responds in 1, but released at a = 7 (due at 10 with τ1's second
        // job and τ2's first): 1 + min(⌈t/5⌉, 2) 2 + min(⌈t/10⌉, 1) 4 from
        // t = 1: 7, 9, 9 -> R = 9 - 7 = 2.
        let set = tasks(&[(2, 5, 5), (4, 10, 10), (1, 20, 3)]);
        let r = response_time(&set, 2, Dispatch::Preemptive, |_| Duration::ZERO).unwrap();
        assert_eq!((r.wcrt, r.worst_offset), (ns(2), ns(7)));
        // τ2 at a = 0: 4 + 2 + 2 (τ1's jobs due at 5 and 10) + 1 (τ3) = 9.
        assert_eq!(wcrts(&set, Dispatch::Preemptive), [4, 9, 2]);
        let sim = simulate(&set, 20);
        assert_eq!(sim, [4, 7, 1]);
    }

    #[test]
    fn jitter_counts_from_the_nominal_release() {
        // One task (C 2, T 10, D 10, J 3): at a = 0 its job arrives 3 after
        // its nominal release and runs 2: R = 2 + 3 = 5.
        let set = vec![Timing::new(ns(2), ns(10), ns(10)).with_jitter(ns(3))];
        let r = response_time(&set, 0, Dispatch::Preemptive, |_| Duration::ZERO).unwrap();
        assert_eq!(r.wcrt, ns(5));
        // With a second task (C 3, T 10, D 4, J 0): the first task's job
        // due at 10 can wait behind a job of the second task released at
        // 3 (deadline 7 <= 10): a = 3: L = 2 + 3 = 5, R = 5 - 3 + 3 = 5;
        // at a = 0 (both start together): 5 + 3 = 8.
        let set = vec![
            Timing::new(ns(2), ns(10), ns(10)).with_jitter(ns(3)),
            Timing::new(ns(3), ns(10), ns(4)),
        ];
        let r = response_time(&set, 0, Dispatch::Preemptive, |_| Duration::ZERO).unwrap();
        assert_eq!(r.wcrt, ns(8));
    }

    #[test]
    fn non_preemptive_george_rivierre_spuri() {
        // a (1, 4, 2), b (3, 12, 12): a job of b started a tick before a's
        // release blocks it for 2: w = 2, R(a) = 2 + 1 = 3 > D = 2. b at
        // a = 0: B = 0, w = ⌊0⌋ + min(⌊w/4⌋ + 1, ⌊10/4⌋ + 1) 1 = 1, R = 1
        // + 3 = 4; at a = 2 (a's second deadline 6 ... ) nothing worse.
        let set = tasks(&[(1, 4, 2), (3, 12, 12)]);
        assert_eq!(wcrts(&set, Dispatch::NonPreemptive), [3, 4]);
    }

    #[test]
    fn no_bound_when_the_busy_period_never_ends() {
        let over = tasks(&[(6, 10, 10), (5, 10, 10)]);
        assert_eq!(
            response_time(&over, 0, Dispatch::Preemptive, |_| Duration::ZERO),
            Err(NoBound::Overload)
        );
        let full = vec![Timing::new(ns(10), ns(10), ns(10)).with_jitter(ns(1))];
        assert_eq!(
            response_time(&full, 0, Dispatch::Preemptive, |_| Duration::ZERO),
            Err(NoBound::Saturated)
        );
        // U = 1 without jitter: L = 10, fine.
        let full = vec![Timing::new(ns(10), ns(10), ns(10))];
        assert_eq!(wcrts(&full, Dispatch::Preemptive), [10]);
    }

    #[test]
    fn blocking_enters_each_offset() {
        // One task (C 2, T 10, D 5) and a blocking of 3 in windows up to 5:
        // R = 3 + 2 = 5.
        let set = tasks(&[(2, 10, 5)]);
        let r = response_time(&set, 0, Dispatch::Preemptive, |t| {
            if t <= ns(5) { ns(3) } else { Duration::ZERO }
        })
        .unwrap();
        assert_eq!(r.wcrt, ns(5));
    }
}
