//! The one place where nanoseconds and ratios become text.
//!
//! Human text for tables and reports ([`duration`], [`signed_duration`],
//! [`ratio`], [`percent`]) rounds to three significant digits; machine
//! files ([`Micros`]) are exact. Everything here is deterministic: the same
//! number always gives the same bytes.
//!
//! ```
//! use rtlab_reports::format;
//! assert_eq!(format::duration(1_500_000), "1.50 ms");
//! assert_eq!(format::duration(250_000), "250 µs");
//! assert_eq!(format::signed_duration(-12_345), "-12.3 µs");
//! assert_eq!(format::percent(0.995), "99.5%");
//! assert_eq!(format::Micros(1_234_567).to_string(), "1234.567");
//! assert_eq!(format::instant(613_761_587), "613.762 ms");
//! ```

use std::fmt;

/// Units above the nanosecond: (nanoseconds per unit, symbol).
const UNITS: [(u64, &str); 3] = [(1_000, "µs"), (1_000_000, "ms"), (1_000_000_000, "s")];

/// A duration in nanoseconds as human text with three significant digits
/// and the largest unit that keeps the number at least 1: `"800 ns"`,
/// `"250 µs"`, `"1.50 ms"`, `"12.3 s"`. Below 1 µs the value is exact;
/// above 999 s it is whole seconds (`"1234 s"`). Rounding is half up and
/// carries into the next unit (`999_999` ns is `"1.00 ms"`).
pub fn duration(ns: u64) -> String {
    if ns < 1_000 {
        return format!("{ns} ns");
    }
    let mut unit = UNITS
        .iter()
        .rposition(|&(scale, _)| ns >= scale)
        .unwrap_or(0);
    'unit: loop {
        let (scale, symbol) = UNITS[unit];
        let mut decimals = 3u32.saturating_sub(digits(ns / scale));
        loop {
            let step = scale / 10u64.pow(decimals);
            let rounded = div_round(ns, step);
            let pow = 10u64.pow(decimals);
            let whole = rounded / pow;
            if whole >= 1_000 && unit + 1 < UNITS.len() {
                unit += 1;
                continue 'unit;
            }
            if decimals > 0 && digits(whole) + decimals > 3 {
                // Rounding carried into one more integer digit (9.996 -> 10.00).
                decimals -= 1;
                continue;
            }
            return if decimals == 0 {
                format!("{whole} {symbol}")
            } else {
                let frac = rounded % pow;
                format!("{whole}.{frac:0width$} {symbol}", width = decimals as usize)
            };
        }
    }
}

/// An instant of a run (nanoseconds from its start) as human text, to the
/// microsecond (rounded) and without trailing zeros: `"600 ms"`,
/// `"10.5 ms"`, `"613.762 ms"`, `"2.5 s"`, `"800 ns"` below a microsecond.
pub fn instant(ns: u64) -> String {
    // Rounded to the nearest microsecond above one.
    let ns = if ns >= 1_000 {
        ns.saturating_add(500) / 1_000 * 1_000
    } else {
        ns
    };
    let (scale, unit) = if ns >= 1_000_000_000 {
        (1_000_000_000, "s")
    } else if ns >= 1_000_000 {
        (1_000_000, "ms")
    } else if ns >= 1_000 {
        (1_000, "µs")
    } else {
        return format!("{ns} ns");
    };
    let whole = ns / scale;
    let frac = ns % scale;
    if frac == 0 {
        return format!("{whole} {unit}");
    }
    let width = scale.ilog10() as usize;
    let digits = format!("{frac:0width$}");
    format!("{whole}.{} {unit}", digits.trim_end_matches('0'))
}

/// A signed duration in nanoseconds (lateness, slack) as human text: like
/// [`duration`] with an explicit sign, `"-1.50 ms"`, `"+250 µs"`, `"0 ns"`.
pub fn signed_duration(ns: i64) -> String {
    match ns.signum() {
        0 => "0 ns".to_string(),
        1 => format!("+{}", duration(ns.unsigned_abs())),
        _ => format!("-{}", duration(ns.unsigned_abs())),
    }
}

/// A dimensionless ratio (utilization, busy fraction) with three decimals:
/// `0.8333` is `"0.833"`. Non-finite values are `"n/a"`.
pub fn ratio(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "n/a".to_string()
    }
}

/// A fraction (`0.995`) as a percentage with one decimal (`"99.5%"`).
///
/// A value that is not exactly 0 or 1 never reads as `"0.0%"` or
/// `"100.0%"`: more decimals are shown (up to four), then `"<0.0001%"` or
/// `">99.9999%"`. Non-finite values are `"n/a"`.
pub fn percent(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_string();
    }
    let p = x * 100.0;
    for decimals in 1..=4 {
        let text = format!("{p:.decimals$}");
        let reads_zero = text
            .trim_start_matches('-')
            .trim_matches(['0', '.'])
            .is_empty();
        let reads_hundred = text.trim_end_matches('0') == "100.";
        if (reads_zero && x != 0.0) || (reads_hundred && x != 1.0) {
            continue;
        }
        return format!("{text}%");
    }
    if x > 0.0 && x < 0.5 {
        "<0.0001%".to_string()
    } else {
        ">99.9999%".to_string()
    }
}

/// Nanoseconds written as microseconds with exactly three decimals,
/// computed with integers (no `f64`): `Micros(1_234_567)` displays as
/// `1234.567`, `Micros(5)` as `0.005`. The form machine files use (Chrome
/// trace timestamps, `.hgrm` values); it parses back to the same
/// nanoseconds. Width and alignment flags apply (`{:>12}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Micros(pub u64);

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 1_000, self.0 % 1_000);
        if f.width().is_none() {
            write!(f, "{whole}.{frac:03}")
        } else {
            f.pad(&format!("{whole}.{frac:03}"))
        }
    }
}

/// Decimal digits of `v` (1 for 0).
fn digits(v: u64) -> u32 {
    v.checked_ilog10().map_or(1, |d| d + 1)
}

/// `n / d` rounded half up, without overflow.
fn div_round(n: u64, d: u64) -> u64 {
    n / d + u64::from(n % d >= d - d / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_three_significant_digits() {
        let cases = [
            (0, "0 ns"),
            (5, "5 ns"),
            (999, "999 ns"),
            (1_000, "1.00 µs"),
            (1_234, "1.23 µs"),
            (1_235, "1.24 µs"),
            (12_345, "12.3 µs"),
            (250_000, "250 µs"),
            (1_500_000, "1.50 ms"),
            (4_000_000, "4.00 ms"),
            (99_950_000, "100 ms"),
            (12_345_678_901, "12.3 s"),
            (999_000_000_000, "999 s"),
            (1_234_000_000_000, "1234 s"),
        ];
        for (ns, text) in cases {
            assert_eq!(duration(ns), text, "{ns} ns");
        }
    }

    #[test]
    fn rounding_carries_into_the_next_digit_or_unit() {
        assert_eq!(duration(9_996), "10.0 µs");
        assert_eq!(duration(99_960), "100 µs");
        assert_eq!(duration(999_499), "999 µs");
        assert_eq!(duration(999_500), "1.00 ms");
        assert_eq!(duration(999_999), "1.00 ms");
        assert_eq!(duration(999_999_999), "1.00 s");
        assert_eq!(duration(u64::MAX), "18446744074 s");
    }

    #[test]
    fn signed_durations_show_their_sign() {
        assert_eq!(signed_duration(0), "0 ns");
        assert_eq!(signed_duration(1_500_000), "+1.50 ms");
        assert_eq!(signed_duration(-250_000), "-250 µs");
        assert_eq!(signed_duration(i64::MIN), "-9223372037 s");
    }

    #[test]
    fn ratios_and_percentages() {
        assert_eq!(ratio(0.8333), "0.833");
        assert_eq!(ratio(1.0), "1.000");
        assert_eq!(ratio(f64::NAN), "n/a");
        assert_eq!(percent(0.995), "99.5%");
        assert_eq!(percent(1.0), "100.0%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(0.9999), "99.99%");
        assert_eq!(percent(0.0001), "0.01%");
        assert_eq!(percent(0.999_999_999), ">99.9999%");
        assert_eq!(percent(1e-12), "<0.0001%");
        assert_eq!(percent(1.25), "125.0%");
        assert_eq!(percent(f64::INFINITY), "n/a");
    }

    #[test]
    fn micros_are_exact() {
        assert_eq!(Micros(0).to_string(), "0.000");
        assert_eq!(Micros(5).to_string(), "0.005");
        assert_eq!(Micros(1_234_567).to_string(), "1234.567");
        assert_eq!(Micros(u64::MAX).to_string(), "18446744073709551.615");
        assert_eq!(format!("{:>10}", Micros(1_500)), "     1.500");
    }
}
