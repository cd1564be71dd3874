//! The bound `L` below which the demand tests check deadlines (Zhang &
//! Burns 2009): `L_a` in exact integers and the synchronous busy period
//! `L_b`, with an initial blocking.

use std::cmp::Ordering;

use super::{Job, STEP_CAP, Undecided};
use crate::time::{Duration, hyperperiod};

fn gcd128(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `L_a` of Zhang & Burns (exclusive bound), exactly; `None` when the exact
/// utilization or the sum does not fit 128 bits.
pub(super) fn la_bound(jobs: &[Job]) -> Option<u64> {
    // With D_i >= T_i for every task, Σ (T_i - D_i) U_i <= 0 and L_a is
    // max(D_i - T_i), whatever U < 1 is: no common denominator needed
    // (it may not fit 128 bits, e.g. ten coprime nanosecond periods).
    if jobs.iter().all(|j| j.d >= j.t) {
        return Some(jobs.iter().map(|j| j.d - j.t).max().unwrap_or(0));
    }
    // U = num / den with den the lcm of the periods (not reduced further:
    // every period must divide it below).
    let (mut num, mut den): (u128, u128) = (0, 1);
    for j in jobs {
        let t = u128::from(j.t);
        let new_den = (den / gcd128(den, t)).checked_mul(t)?;
        num = num
            .checked_mul(new_den / den)?
            .checked_add(u128::from(j.c).checked_mul(new_den / t)?)?;
        den = new_den;
    }
    let spare = den.checked_sub(num).filter(|&s| s > 0)?;
    // S * den = Σ (T_i - D_i) C_i (den / T_i), signed.
    let mut s: i128 = 0;
    for j in jobs {
        let term = (i128::from(j.t) - i128::from(j.d))
            .checked_mul(i128::from(j.c))?
            .checked_mul(i128::try_from(den / u128::from(j.t)).ok()?)?;
        s = s.checked_add(term)?;
    }
    let mut la: i128 = jobs
        .iter()
        .map(|j| i128::from(j.d) - i128::from(j.t))
        .max()
        .unwrap_or(0)
        .max(0);
    if s > 0 {
        let spare = i128::try_from(spare).ok()?;
        la = la.max((s + spare - 1) / spare);
    }
    u64::try_from(la).ok()
}

/// The synchronous busy period `w = b0 + Σ ⌈w / T⌉ C`; `Ok(None)` once it
/// reaches `limit`.
pub(super) fn busy(
    jobs: &[Job],
    b0: u64,
    limit: Option<u64>,
    steps: &mut u64,
) -> Result<Option<u64>, Undecided> {
    let start = jobs.iter().try_fold(b0, |acc, j| acc.checked_add(j.c));
    let Some(mut w) = start else {
        return if limit.is_some() {
            Ok(None)
        } else {
            Err(Undecided::Overflow)
        };
    };
    loop {
        if limit.is_some_and(|l| w >= l) {
            return Ok(None);
        }
        *steps += 1;
        if *steps > STEP_CAP {
            return Err(Undecided::IterationCap);
        }
        let next = jobs.iter().try_fold(b0, |acc, j| {
            w.div_ceil(j.t)
                .checked_mul(j.c)
                .and_then(|v| v.checked_add(acc))
        });
        match next {
            None if limit.is_some() => return Ok(None),
            None => return Err(Undecided::Overflow),
            Some(next) if next <= w => return Ok(Some(w)),
            Some(next) => w = next,
        }
    }
}

/// The exclusive bound on the deadlines to check.
pub(super) fn horizon(
    jobs: &[Job],
    periods: impl Iterator<Item = Duration>,
    load: Ordering,
    b0: u64,
    last_change: u64,
    steps: &mut u64,
) -> Result<u64, Undecided> {
    if load == Ordering::Less {
        let la = if b0 == 0 { la_bound(jobs) } else { None };
        // With blocking, h(L_b) + b(L_b) may exceed L_b: include L_b.
        let pad = u64::from(b0 > 0);
        return match busy(jobs, b0, la, steps)? {
            Some(lb) => Ok(la.map_or(lb + pad, |la| la.min(lb + pad))),
            None => la.ok_or(Undecided::Overflow),
        };
    }
    // U = 1: past every clamp (t >= D_i - T_i) and every blocking change,
    // h(t + H) = h(t) + H and b(t + H) = b(t) = 0, so one hyperperiod more
    // covers every t.
    let x = jobs
        .iter()
        .map(|j| j.d.saturating_sub(j.t))
        .max()
        .unwrap_or(0)
        .max(last_change);
    let limit = hyperperiod(periods)
        .ok()
        .and_then(|h| x.checked_add(h.as_nanos()))
        .and_then(|v| v.checked_add(1));
    match busy(jobs, b0, limit, steps)? {
        Some(lb) => Ok(limit.map_or(lb + 1, |l| l.min(lb + 1))),
        None => limit.ok_or(Undecided::Overflow),
    }
}
