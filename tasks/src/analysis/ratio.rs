//! Exact comparisons of sums and products of integer ratios.
//!
//! Utilizations are ratios `C / T` of nanosecond counts, and the tests that
//! use them are decided at a boundary: `U <= 1` for EDF, `Π(U_i + 1) <= 2`
//! for the hyperbolic bound, `U + (m - 1) U_max <= m` for GFB. Textbook sets
//! sit exactly on those boundaries (harmonic periods give `U = 1`), where a
//! rounded `f64` can answer either way.
//!
//! The functions here first estimate in `f64` together with a bound on its
//! rounding error; when the estimate is farther from the bound than that
//! error they answer from it, otherwise they recompute with exact multi-word
//! integers. They never answer from a rounded value.

use std::cmp::Ordering;

/// Compares `Σ num_i / den_i` with the integer `bound`, exactly.
///
/// Every `den_i` must be positive (a zero denominator counts as an infinite
/// term: the result is [`Ordering::Greater`] if its numerator is positive).
///
/// ```
/// use rtlab_tasks::analysis::ratio::sum_cmp;
/// use std::cmp::Ordering;
/// // 1/3 + 1/3 + 1/3 = 1, which floating point gets wrong for some inputs.
/// assert_eq!(sum_cmp([(1, 3), (1, 3), (1, 3)], 1), Ordering::Equal);
/// assert_eq!(sum_cmp([(1, 2), (1, 3)], 1), Ordering::Less);
/// ```
pub fn sum_cmp<I>(terms: I, bound: u64) -> Ordering
where
    I: IntoIterator<Item = (u128, u64)>,
    I::IntoIter: Clone,
{
    let terms = terms.into_iter();
    let mut estimate = 0.0_f64;
    let mut n = 0_u32;
    for (num, den) in terms.clone() {
        if den == 0 {
            if num == 0 {
                continue;
            }
            return Ordering::Greater;
        }
        estimate += num as f64 / den as f64;
        n += 1;
    }
    let target = bound as f64;
    // Each term carries at most 3 roundings (two conversions, one division),
    // the sum n - 1 more: the relative error is below (n + 3) * 2^-53.
    // 2^-50 leaves a factor 8 of margin.
    let tolerance = f64::from(n + 3) * (-50.0_f64).exp2() * estimate.max(target).max(1.0);
    if estimate < target - tolerance {
        return Ordering::Less;
    }
    if estimate > target + tolerance {
        return Ordering::Greater;
    }
    // Exact: num / den accumulated without reduction.
    let mut num = Wide::from_u128(0);
    let mut den = Wide::from_u128(1);
    for (a, b) in terms {
        if b == 0 {
            continue;
        }
        let b = Wide::from_u128(u128::from(b));
        num = num.mul(&b).add(&Wide::from_u128(a).mul(&den));
        den = den.mul(&b);
    }
    num.cmp(&den.mul(&Wide::from_u128(u128::from(bound))))
}

/// Compares `Π num_i / den_i` with the integer `bound`, exactly.
///
/// Every `den_i` must be positive (zero denominators are skipped).
///
/// ```
/// use rtlab_tasks::analysis::ratio::product_cmp;
/// use std::cmp::Ordering;
/// // The hyperbolic bound for U = (1/2, 1/3): 3/2 * 4/3 = 2 exactly.
/// assert_eq!(product_cmp([(3, 2), (4, 3)], 2), Ordering::Equal);
/// ```
pub fn product_cmp<I>(factors: I, bound: u64) -> Ordering
where
    I: IntoIterator<Item = (u128, u64)>,
    I::IntoIter: Clone,
{
    let factors = factors.into_iter();
    let mut estimate = 1.0_f64;
    let mut n = 0_u32;
    for (num, den) in factors.clone() {
        if den == 0 {
            continue;
        }
        estimate *= num as f64 / den as f64;
        n += 1;
    }
    let target = bound as f64;
    // Each factor carries 3 roundings and each product one more.
    let tolerance = f64::from(4 * n + 4) * (-50.0_f64).exp2() * estimate.max(target);
    if estimate.is_finite() && estimate < target - tolerance {
        return Ordering::Less;
    }
    if estimate.is_finite() && estimate > target + tolerance {
        return Ordering::Greater;
    }
    let mut num = Wide::from_u128(1);
    let mut den = Wide::from_u128(1);
    for (a, b) in factors {
        if b == 0 {
            continue;
        }
        num = num.mul(&Wide::from_u128(a));
        den = den.mul(&Wide::from_u128(u128::from(b)));
    }
    num.cmp(&den.mul(&Wide::from_u128(u128::from(bound))))
}

/// Compares the fractions `a.0 / a.1` and `b.0 / b.1` exactly (positive
/// denominators).
pub fn fraction_cmp(a: (u64, u64), b: (u64, u64)) -> Ordering {
    (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1)))
}

/// An unsigned integer of any size: little-endian 64-bit limbs, no leading
/// zero limb. Only what the comparisons above need.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Wide(Vec<u64>);

impl Wide {
    fn from_u128(v: u128) -> Wide {
        let mut w = Wide(vec![v as u64, (v >> 64) as u64]);
        w.trim();
        w
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    fn mul(&self, other: &Wide) -> Wide {
        if self.0.is_empty() || other.0.is_empty() {
            return Wide(Vec::new());
        }
        let mut out = vec![0_u64; self.0.len() + other.0.len()];
        for (i, &a) in self.0.iter().enumerate() {
            let mut carry: u128 = 0;
            for (j, &b) in other.0.iter().enumerate() {
                // (2^64-1)^2 + 2 (2^64-1) = 2^128 - 1: never overflows.
                let cur = u128::from(out[i + j]) + u128::from(a) * u128::from(b) + carry;
                out[i + j] = cur as u64;
                carry = cur >> 64;
            }
            out[i + other.0.len()] = carry as u64;
        }
        let mut w = Wide(out);
        w.trim();
        w
    }

    fn add(&self, other: &Wide) -> Wide {
        let len = self.0.len().max(other.0.len());
        let mut out = Vec::with_capacity(len + 1);
        let mut carry = 0_u128;
        for i in 0..len {
            let a = u128::from(self.0.get(i).copied().unwrap_or(0));
            let b = u128::from(other.0.get(i).copied().unwrap_or(0));
            let cur = a + b + carry;
            out.push(cur as u64);
            carry = cur >> 64;
        }
        out.push(carry as u64);
        let mut w = Wide(out);
        w.trim();
        w
    }

    fn cmp(&self, other: &Wide) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_arithmetic() {
        let a = Wide::from_u128(u128::MAX);
        let b = a.mul(&a); // (2^128 - 1)^2 = 2^256 - 2^129 + 1
        assert_eq!(b.0, vec![1, 0, u64::MAX - 1, u64::MAX]);
        let c = b.add(&Wide::from_u128(u128::MAX));
        assert_eq!(c.0, vec![0, 0, u64::MAX, u64::MAX]);
        assert_eq!(Wide::from_u128(0).0, Vec::<u64>::new());
        assert_eq!(c.cmp(&b), Ordering::Greater);
        assert_eq!(b.cmp(&c), Ordering::Less);
        assert_eq!(b.cmp(&b.clone()), Ordering::Equal);
    }

    #[test]
    fn sums_at_the_boundary_are_exact() {
        // 1/3 + 1/3 + 1/3 in f64 is 1 - 2^-53 or so; exactly 1.
        assert_eq!(sum_cmp([(1, 3), (1, 3), (1, 3)], 1), Ordering::Equal);
        // Burns & Wellings task set C: 40/80 + 10/40 + 5/20 = 1.
        assert_eq!(sum_cmp([(40, 80), (10, 40), (5, 20)], 1), Ordering::Equal);
        // Large coprime periods: (p - 1)/p + 1/p = 1, and one ns more is > 1.
        let p = 4_294_967_291_u64;
        let q = 4_294_967_279_u64;
        assert_eq!(
            sum_cmp([(u128::from(p - 1), p), (1, p)], 1),
            Ordering::Equal
        );
        assert_eq!(
            sum_cmp([(u128::from(p - 1), p), (1, p), (1, q * q)], 1),
            Ordering::Greater
        );
        assert_eq!(
            sum_cmp([(u128::from(p - 2), p), (1, p), (1, q * q)], 1),
            Ordering::Less
        );
        assert_eq!(sum_cmp([(5, 0)], 1), Ordering::Greater);
        assert_eq!(sum_cmp(std::iter::empty(), 0), Ordering::Equal);
    }

    #[test]
    fn products_at_the_boundary_are_exact() {
        // Hyperbolic boundary (research note: (1,2), (1,3) gives exactly 2).
        assert_eq!(product_cmp([(3, 2), (4, 3)], 2), Ordering::Equal);
        assert_eq!(product_cmp([(16, 10), (25, 20)], 2), Ordering::Equal);
        assert_eq!(
            product_cmp([(5, 4), (8, 6), (13, 10)], 2),
            Ordering::Greater
        );
        // Nanosecond-scale factors that do not fit in u128 when multiplied.
        let t = 999_999_937_u64;
        let factors = vec![(u128::from(t) + 1, t); 8];
        assert_eq!(product_cmp(factors.clone(), 2), Ordering::Less);
        assert_eq!(product_cmp(factors, 1), Ordering::Greater);
    }

    #[test]
    fn fractions() {
        assert_eq!(fraction_cmp((1, 3), (2, 6)), Ordering::Equal);
        assert_eq!(fraction_cmp((u64::MAX, 3), (1, 1)), Ordering::Greater);
    }
}
