//! Utilization vectors with a fixed sum: UUniFast, UUniFast-Discard and
//! RandFixedSum.
//!
//! All three return `n` values in generation order; each draws its uniform
//! variates from the given stream in a fixed order, so one seed gives one
//! vector. The checks on `n` and the total are done by
//! [`super::Generator::draw`]; these functions assume `n >= 1` and a total
//! in range.

use rand::{Rng, RngExt};

use super::{DISCARD_ATTEMPTS, GenerateError};

/// Bini & Buttazzo's UUniFast: `n` values uniformly distributed over
/// `{u_i >= 0, Σ u_i = total}`.
///
/// `s = U; for i in 1..n { next = s r^(1/(n-i)); u_i = s - next; s = next }
/// u_n = s`, with `r` uniform over `[0, 1)`.
pub fn uunifast<R: Rng + ?Sized>(n: usize, total: f64, rng: &mut R) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut sum = total;
    for i in 1..n {
        let r: f64 = rng.random();
        let next = sum * r.powf(1.0 / (n - i) as f64);
        out.push(sum - next);
        sum = next;
    }
    out.push(sum);
    out
}

/// UUniFast-Discard: [`uunifast`] redrawn until every value is at most 1
/// (uniform over the constrained simplex by rejection); gives up after
/// [`DISCARD_ATTEMPTS`] draws.
pub fn uunifast_discard<R: Rng + ?Sized>(
    n: usize,
    total: f64,
    rng: &mut R,
) -> Result<Vec<f64>, GenerateError> {
    for _ in 0..DISCARD_ATTEMPTS {
        let u = uunifast(n, total, rng);
        if u.iter().all(|&x| x <= 1.0) {
            return Ok(u);
        }
    }
    Err(GenerateError::Discard {
        tasks: n,
        utilization: total,
    })
}

/// Roger Stafford's RandFixedSum for the unit box, as Emberson, Stafford &
/// Davis (WATERS 2010) adapted it for task sets: `n` values uniformly
/// distributed over `{0 <= u_i <= 1, Σ u_i = total}`, `0 <= total <= n`,
/// without rejection.
///
/// The constrained simplex is cut by the hyperplanes `u_1 + .. + u_i =
/// integer` into simplices; a table of their relative volumes (built once
/// per call, O(n²)) gives the probability of stepping into each, and each
/// coordinate is then placed inside the chosen simplex with a `r^(1/i)`
/// draw. Per dimension `i = n-1 .. 1` two uniform variates are drawn, the
/// simplex-type variate first; then the vector is shuffled with a
/// Fisher-Yates pass (the construction fills coordinates in a fixed
/// order). Rounding can leave a value a few ulps outside `[0, 1]`: values
/// are clamped into it.
pub fn randfixedsum<R: Rng + ?Sized>(n: usize, total: f64, rng: &mut R) -> Vec<f64> {
    if n == 1 {
        return vec![total.clamp(0.0, 1.0)];
    }
    let s = total;
    // k: the index of the simplex holding the point (0 .. n-1).
    let k = (s.floor() as usize).min(n - 1);
    let kf = k as f64;
    // s1[c] = s - (k - c), s2[c] = (k + n - c) - s, c = 0 .. n-1.
    let s1: Vec<f64> = (0..n).map(|c| s - (kf - c as f64)).collect();
    let s2: Vec<f64> = (0..n).map(|c| (kf + (n - c) as f64) - s).collect();
    // w[i][j]: relative volumes, scaled by a huge constant against
    // underflow; t[i][j]: transition probabilities.
    let mut w = vec![vec![0.0_f64; n + 1]; n];
    w[0][1] = f64::MAX;
    let mut t = vec![vec![0.0_f64; n]; n - 1];
    for i in 2..=n {
        let fi = i as f64;
        for c in 0..i {
            let tmp1 = w[i - 2][c + 1] * s1[c] / fi;
            let tmp2 = w[i - 2][c] * s2[n - i + c] / fi;
            w[i - 1][c + 1] = tmp1 + tmp2;
            let tmp3 = w[i - 1][c + 1] + f64::MIN_POSITIVE;
            t[i - 2][c] = if s2[n - i + c] > s1[c] {
                tmp2 / tmp3
            } else {
                1.0 - tmp1 / tmp3
            };
        }
    }
    let mut x = vec![0.0_f64; n];
    let mut rest = s;
    // j: 1-based column of the transition table.
    let mut j = k + 1;
    let mut sm = 0.0_f64;
    let mut pr = 1.0_f64;
    for i in (1..n).rev() {
        let rt: f64 = rng.random();
        let rs: f64 = rng.random();
        // Column 1 has probability 0 of a step (its volume is zero); the
        // guard only keeps a draw of exactly 0.0 from stepping past it.
        let step = j > 1 && rt <= t[i - 1][j - 1];
        let e = if step { 1.0 } else { 0.0 };
        let sx = rs.powf(1.0 / i as f64);
        sm += (1.0 - sx) * pr * rest / (i + 1) as f64;
        pr *= sx;
        x[n - i - 1] = sm + pr * e;
        if step {
            rest -= 1.0;
            j -= 1;
        }
    }
    x[n - 1] = sm + pr * rest;
    // Fisher-Yates shuffle: the construction fills coordinates in order.
    for i in (1..n).rev() {
        let pick = rng.random_range(0..=i);
        x.swap(i, pick);
    }
    for v in &mut x {
        *v = v.clamp(0.0, 1.0);
    }
    x
}
