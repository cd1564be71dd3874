//! Fixed-point decimal text appended to a byte buffer, byte for byte what
//! `core::fmt` writes, without its cost.
//!
//! A `.hgrm` row formats two `f64`s with a fixed number of decimals, and
//! `core::fmt`'s exact float formatting (Grisu with a Dragon fallback) was
//! some 14% of a 1000-task `rtlab simulate`. For the values the rows hold
//! (a quantile in `[0, 1]`, `1 / (1 - quantile)` below 2^53) the exact
//! answer is cheap: `x = m * 2^e` with `m < 2^53`, so `x * 10^d` is an
//! exact `u128` product shifted by `e`, rounded on the exact remainder.
//! Rust rounds that remainder half to even (`0.125` with two decimals is
//! `0.12`, `0.375` is `0.38`; pinned by the tests). Anything off that path
//! (negative, `-0.0`, NaN, infinite, too many digits) goes to `core::fmt`.

use std::io::Write;

/// `10^i` for every `i` a `u64` holds.
const POW10: [u64; 20] = {
    let mut table = [1u64; 20];
    let mut i = 1;
    while i < table.len() {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The two-digit groups `00` to `99`, back to back.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// The longest text [`push_scaled`] builds: 20 integer digits, the point
/// and 19 decimals.
const MAX_LEN: usize = 40;

/// Appends `x` with `decimals` digits after the point, right-aligned with
/// spaces in `width` bytes: the bytes of `format!("{x:>width$.decimals$}")`.
pub(super) fn push_fixed(out: &mut Vec<u8>, x: f64, decimals: usize, width: usize) {
    match scaled(x, decimals) {
        Some(q) => push_scaled(out, q, decimals, width),
        // Writing into a `Vec` cannot fail.
        None => {
            let _ = write!(out, "{x:>width$.decimals$}");
        }
    }
}

/// Appends the integer `v` right-aligned with spaces in `width` bytes:
/// the bytes of `format!("{v:>width$}")`.
pub(super) fn push_u64(out: &mut Vec<u8>, v: u64, width: usize) {
    push_scaled(out, v, 0, width);
}

/// Appends `q / 10^decimals` written exactly with `decimals` digits after
/// the point (none and no point when `decimals` is 0), right-aligned with
/// spaces in `width` bytes. `decimals` above 19 is taken as 19.
///
/// With 3 decimals this is [`crate::format::Micros`] of `q` nanoseconds.
pub(super) fn push_scaled(out: &mut Vec<u8>, q: u64, decimals: usize, width: usize) {
    let decimals = decimals.min(POW10.len() - 1);
    let p = POW10[decimals];
    let mut buf = [0u8; MAX_LEN];
    let mut start = MAX_LEN;
    if decimals > 0 {
        start = put_digits(&mut buf, start, q % p, decimals);
        start -= 1;
        buf[start] = b'.';
    }
    start = put_digits(&mut buf, start, q / p, 1);
    let text = &buf[start..];
    out.resize(out.len() + width.saturating_sub(text.len()), b' ');
    out.extend_from_slice(text);
}

/// `x * 10^decimals` rounded to an integer half to even, exactly, when
/// `x` is finite with its sign bit clear, `decimals` at most 19 and the
/// result fits a `u64`; `None` otherwise.
fn scaled(x: f64, decimals: usize) -> Option<u64> {
    let p = *POW10.get(decimals)?;
    let bits = x.to_bits();
    if bits >> 63 != 0 {
        // Negative numbers and -0.0 (which `core::fmt` writes as "-0.0").
        return None;
    }
    let biased = (bits >> 52) as i32;
    if biased == 0x7ff {
        return None;
    }
    let fraction = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | 1 << 52, biased - 1075)
    };
    // m < 2^53 and p < 2^64: the product is exact below 2^117.
    let n = u128::from(m) * u128::from(p);
    if e >= 0 {
        let n = u64::try_from(n).ok()?;
        return (e < 64 && n.leading_zeros() >= e as u32).then(|| n << e);
    }
    let shift = e.unsigned_abs();
    if shift > 117 {
        // n < 2^117 <= half of 2^shift: rounds to zero.
        return Some(0);
    }
    let q = n >> shift;
    let rem = n & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let q = if rem > half || (rem == half && q & 1 == 1) {
        q + 1
    } else {
        q
    };
    u64::try_from(q).ok()
}

/// Writes `v` in decimal into `buf` ending before `end`, zero-padded to at
/// least `min` digits; returns where the digits start. `buf` before `end`
/// must hold them (20 digits for any `u64`, or `min`).
fn put_digits(buf: &mut [u8; MAX_LEN], mut end: usize, mut v: u64, min: usize) -> usize {
    let stop = end.saturating_sub(min);
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        end -= 2;
        buf[end..end + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        end -= 2;
        buf[end..end + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        end -= 1;
        buf[end] = b'0' + v as u8;
    }
    while end > stop {
        end -= 1;
        buf[end] = b'0';
    }
    end
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn fixed(x: f64, decimals: usize, width: usize) -> String {
        let mut out = b"<".to_vec();
        push_fixed(&mut out, x, decimals, width);
        String::from_utf8(out).unwrap()
    }

    /// `push_fixed` against `core::fmt` with the widths the rows use.
    fn check(x: f64) {
        assert_eq!(fixed(x, 12, 0), format!("<{x:.12}"), "{x:e} .12");
        assert_eq!(fixed(x, 2, 14), format!("<{x:>14.2}"), "{x:e} >14.2");
    }

    #[test]
    fn ties_round_half_to_even_as_core_fmt_does() {
        assert_eq!(fixed(0.125, 2, 0), "<0.12");
        assert_eq!(fixed(0.375, 2, 0), "<0.38");
        assert_eq!(fixed(2.5, 0, 0), "<2");
        assert_eq!(fixed(3.5, 0, 0), "<4");
        assert_eq!(fixed(0.5, 0, 0), "<0");
        for (x, d) in [
            (0.125, 2),
            (0.375, 2),
            (2.5, 0),
            (3.5, 0),
            (0.5, 0),
            (0.25, 1),
        ] {
            assert_eq!(fixed(x, d, 0), format!("<{x:.d$}"), "{x} {d}");
        }
    }

    #[test]
    fn hand_written_cases_match_core_fmt() {
        let cases = [
            0.0,
            1.0,
            0.1,
            0.5,
            0.775,
            0.9,
            0.999_999_999_999_5,
            0.999_999_999_999_499_9,
            1.0 / 3.0,
            2.0 / 3.0,
            1.0 / 0.9,
            1.0 / (1.0 - 0.775),
            99.995,
            9_999_999.995,
            1e-12,
            5e-13,
            4.9e-13,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::EPSILON,
            1.0 - f64::EPSILON,
            2f64.powi(52),
            2f64.powi(53) - 1.0,
            9_007_199_254_740_993.0,
            1.8e17,
            1.9e17,
            f64::MAX,
            -0.0,
            -1.5,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in cases {
            check(x);
        }
    }

    #[test]
    fn integers_and_micros_match_core_fmt() {
        use crate::format::Micros;
        for v in [0, 1, 9, 10, 99, 100, 999, 1_000, 123_456_789, u64::MAX] {
            let mut out = Vec::new();
            push_u64(&mut out, v, 10);
            assert_eq!(out, format!("{v:>10}").into_bytes());
            out.clear();
            push_scaled(&mut out, v, 3, 12);
            assert_eq!(out, format!("{:>12}", Micros(v)).into_bytes());
        }
    }

    /// Values of every kind the rows meet.
    fn value() -> impl Strategy<Value = f64> {
        // A ratio `i / n` with `n` up to 2^40, as the row quantiles are.
        let ratio = || {
            (1u64..1 << 40)
                .prop_flat_map(|n| (0..=n, Just(n)))
                .prop_map(|(i, n)| i as f64 / n as f64)
        };
        prop_oneof![
            0.0f64..1.0,
            ratio(),
            ratio().prop_map(|q| 1.0 / (1.0 - q)),
            // An exact tie at some decimal: `k / 2^j`.
            (any::<u64>(), 0u32..53, 0i32..60)
                .prop_map(|(m, s, j)| (m >> (11 + s)) as f64 / 2f64.powi(j)),
            // Tiny values and subnormals.
            (0.0f64..1.0, 0i32..1_075).prop_map(|(u, e)| u * 2f64.powi(-e)),
            // A few ulps either side of `10^k`.
            (0i32..40, -4i64..=4).prop_map(|(k, ulps)| {
                f64::from_bits((10f64.powi(k - 20).to_bits() as i64 + ulps) as u64)
            }),
            any::<u64>().prop_map(f64::from_bits),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// On values of every kind the rows meet, the fast path's bytes
        /// are `core::fmt`'s for `{:.12}` and `{:>14.2}`.
        #[test]
        fn drawn_values_format_as_core_fmt_does(x in value()) {
            prop_assert_eq!(fixed(x, 12, 0), format!("<{x:.12}"));
            prop_assert_eq!(fixed(x, 2, 14), format!("<{x:>14.2}"));
        }

        /// Every decimal count the fast path takes (0 to 19) and the first
        /// it does not, with a width, against `core::fmt`.
        #[test]
        fn every_decimal_count_formats_as_core_fmt_does(
            x in value(),
            d in 0usize..21,
            w in 0usize..30,
        ) {
            prop_assert_eq!(fixed(x, d, w), format!("<{x:>w$.d$}"));
        }
    }
}
