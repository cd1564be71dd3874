//! Automatic partitioning of tasks onto CPUs.
//!
//! Tasks of a partitioned system that name no `cpu` are placed by
//! **worst-fit decreasing by utilization**: the tasks without a CPU, sorted by
//! utilization from largest to smallest (ties: file order), each go to the
//! CPU whose utilization is lowest at that moment (ties: the CPU listed
//! first in `platform.cpus`). Tasks that name a CPU count towards its
//! utilization from the start. Worst fit spreads the load, which leaves the
//! most slack on every CPU; it is what SimSo's "first fit" packer actually
//! does, and it never fails (a CPU may end up with utilization above 1,
//! which the analysis then reports).

use crate::model::System;

/// Gives every task without a CPU one, as described in the module docs.
/// Utilization is compared exactly, as fractions `wcet / period` in 128-bit
/// integers, so the result does not depend on rounding.
pub(crate) fn worst_fit_decreasing(system: &mut System) {
    let cpus = system.platform.cpus.clone();
    // Per CPU, the (wcet, period) pairs placed so far; compared as exact
    // sums of fractions by `cmp_sum`.
    let mut load: Vec<Vec<(u64, u64)>> = vec![Vec::new(); cpus.len()];
    for t in &system.tasks {
        if let Some(i) = t.cpu.and_then(|c| cpus.iter().position(|&x| x == c)) {
            load[i].push((t.wcet.as_nanos(), t.period.as_nanos()));
        }
    }
    let todo: Vec<usize> = system
        .tasks
        .iter()
        .filter(|t| t.cpu.is_none())
        .map(|t| t.id.0)
        .collect();
    let pairs: Vec<(u64, u64)> = todo
        .iter()
        .map(|&i| {
            let t = &system.tasks[i];
            (t.wcet.as_nanos(), t.period.as_nanos())
        })
        .collect();
    let placed = place(&mut load, &pairs);
    for (&i, best) in todo.iter().zip(placed) {
        let t = &mut system.tasks[i];
        t.cpu = cpus.get(best).copied();
        t.cpu_auto = true;
    }
}

/// Worst-fit decreasing placement of tasks given as `(wcet, period)` pairs
/// (nanoseconds) on `cpus` empty processors, with the rules of the module
/// docs (largest utilization first, ties in the given order; each to the
/// least loaded CPU, ties to the lowest index), comparing utilizations
/// exactly. Returns each task's CPU index (`0 .. cpus`), in the given
/// order; all zeros when `cpus` is 0 or 1.
pub fn worst_fit(tasks: &[(u64, u64)], cpus: usize) -> Vec<usize> {
    let mut load: Vec<Vec<(u64, u64)>> = vec![Vec::new(); cpus.max(1)];
    place(&mut load, tasks)
}

/// Places `pairs` onto `load` (per CPU, the pairs already there); returns
/// the CPU index of each pair in the given order.
fn place(load: &mut [Vec<(u64, u64)>], pairs: &[(u64, u64)]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    // Largest utilization first; stable sort keeps the given order on ties.
    order.sort_by(|&a, &b| cmp_fraction(pairs[b], pairs[a]));
    let mut out = vec![0; pairs.len()];
    for i in order {
        let best = (0..load.len())
            .min_by(|&a, &b| cmp_sum(&load[a], &load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        if let Some(l) = load.get_mut(best) {
            l.push(pairs[i]);
        }
        out[i] = best;
    }
    out
}

/// Compares a/b with c/d exactly.
fn cmp_fraction((a, b): (u64, u64), (c, d): (u64, u64)) -> std::cmp::Ordering {
    (u128::from(a) * u128::from(d)).cmp(&(u128::from(c) * u128::from(b)))
}

/// Compares two sums of fractions exactly, with a rational accumulator of
/// 128-bit numerators and denominators reduced by gcd; falls back to `f64`
/// only if that overflows (a near-tie may then be broken by CPU order, which
/// is harmless for a placement heuristic).
fn cmp_sum(x: &[(u64, u64)], y: &[(u64, u64)]) -> std::cmp::Ordering {
    match (exact_sum(x), exact_sum(y)) {
        (Some((a, b)), Some((c, d))) => match (a.checked_mul(d), c.checked_mul(b)) {
            (Some(l), Some(r)) => l.cmp(&r),
            _ => approx(x).total_cmp(&approx(y)),
        },
        _ => approx(x).total_cmp(&approx(y)),
    }
}

fn approx(x: &[(u64, u64)]) -> f64 {
    x.iter().map(|&(c, t)| c as f64 / t as f64).sum()
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn exact_sum(x: &[(u64, u64)]) -> Option<(u128, u128)> {
    let (mut num, mut den) = (0u128, 1u128);
    for &(c, t) in x {
        let (c, t) = (u128::from(c), u128::from(t));
        let g = gcd(den, t);
        // Many coprime nanosecond periods overflow 128 bits: then the
        // caller falls back to floating point.
        let l = (den / g).checked_mul(t)?;
        num = num
            .checked_mul(l / den)?
            .checked_add(c.checked_mul(l / t)?)?;
        den = l;
        let r = gcd(num, den).max(1);
        num /= r;
        den /= r;
    }
    Some((num, den))
}

#[cfg(test)]
mod tests {
    use crate::model::SystemBuilder;
    use crate::time::Duration;

    #[test]
    fn worst_fit_spreads_by_decreasing_utilization() {
        let ms = |v| Duration::from_millis(v).unwrap();
        let mut s = SystemBuilder::new("p")
            .cpus(&[0, 1])
            .task("a", ms(10), ms(2)) // 0.2
            .task("b", ms(10), ms(6)) // 0.6
            .task("c", ms(10), ms(3)) // 0.3
            .task("d", ms(10), ms(1)) // 0.1
            .build();
        for t in &mut s.tasks {
            t.cpu = None;
        }
        super::worst_fit_decreasing(&mut s);
        let cpus: Vec<_> = s.tasks.iter().map(|t| t.cpu).collect();
        // b (0.6) -> 0; c (0.3) -> 1; a (0.2) -> 1 (0.3 < 0.6); d (0.1) -> 1 (0.5 < 0.6).
        assert_eq!(cpus, vec![Some(1), Some(0), Some(1), Some(1)]);
        assert!(s.tasks.iter().all(|t| t.cpu_auto));
        // The same placement from the pairs alone.
        let pairs = [(2, 10), (6, 10), (3, 10), (1, 10)];
        assert_eq!(super::worst_fit(&pairs, 2), vec![1, 0, 1, 1]);
        assert_eq!(super::worst_fit(&pairs, 1), vec![0; 4]);
    }
}
