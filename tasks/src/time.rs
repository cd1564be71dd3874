//! Exact time: integer nanoseconds, checked arithmetic, unit strings.
//!
//! Every time in rtlab's model is a whole number of nanoseconds held in a
//! newtype: [`Duration`] for lengths (periods, execution times, deadlines) and
//! [`Instant`] for points on a timeline measured from the start of a run.
//! Nothing here touches `f64` or the system clock. Arithmetic that could
//! overflow is checked and reports [`TimeError::Overflow`] rather than
//! wrapping; the hyperperiod is an exact least common multiple.
//!
//! Duration strings always carry a unit: `"800ns"`, `"250us"` (or `"250µs"`),
//! `"1.5ms"`, `"2s"`. Decimal fractions are parsed digit by digit, so
//! `"1.5ms"` is exactly 1 500 000 ns and `"0.1us"` exactly 100 ns; a fraction
//! finer than a nanosecond is an error, not a rounding.
//!
//! ```
//! use rtlab_tasks::time::Duration;
//! let d: Duration = "1.5ms".parse()?;
//! assert_eq!(d.as_nanos(), 1_500_000);
//! assert_eq!(d.to_string(), "1.5ms");
//! # Ok::<(), rtlab_tasks::time::TimeError>(())
//! ```

use std::fmt;
use std::str::FromStr;

/// A length of time in whole nanoseconds (never negative).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Duration(u64);

/// A point in time, in nanoseconds since the start of a run (time zero is the
/// common start from which every task's offset is counted).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Instant(u64);

/// Why a time could not be parsed or computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// The text is empty or only whitespace.
    #[error("empty duration; expected a number with a unit such as \"4ms\"")]
    Empty,
    /// A number was given without one of the units `ns`, `us`, `µs`, `ms`, `s`.
    #[error("`{0}` has no unit; expected one of ns, us, ms, s (for example \"{0}ms\")")]
    MissingUnit(String),
    /// The unit is not one rtlab knows.
    #[error("unknown unit `{unit}` in `{text}`; expected one of ns, us, ms, s")]
    UnknownUnit {
        /// The whole text that was parsed.
        text: String,
        /// The suffix that is not a unit.
        unit: String,
    },
    /// The text starts with a minus sign.
    #[error("`{0}` is negative: a duration cannot be")]
    Negative(String),
    /// The number part is not a plain decimal number.
    #[error(
        "`{0}` is not a number with a unit; expected digits, an optional fraction and a unit, such as \"1.5ms\""
    )]
    BadNumber(String),
    /// The value has digits below one nanosecond.
    #[error("`{0}` is finer than one nanosecond; rtlab counts whole nanoseconds")]
    TooFine(String),
    /// The value, or a result computed from it, does not fit in 64 bits of
    /// nanoseconds (about 584 years).
    #[error("time overflow: {0} does not fit in 64-bit nanoseconds (about 584 years)")]
    Overflow(String),
}

/// Nanoseconds per unit, longest suffix first so that `ms` is not read as `s`.
const UNITS: [(&str, u64); 5] = [
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
];

impl Duration {
    /// Zero length.
    pub const ZERO: Duration = Duration(0);
    /// The longest representable duration.
    pub const MAX: Duration = Duration(u64::MAX);

    /// A duration of `ns` nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        Duration(ns)
    }

    /// A duration of `us` microseconds; `None` on overflow.
    pub const fn from_micros(us: u64) -> Option<Self> {
        match us.checked_mul(1_000) {
            Some(ns) => Some(Duration(ns)),
            None => None,
        }
    }

    /// A duration of `ms` milliseconds; `None` on overflow.
    pub const fn from_millis(ms: u64) -> Option<Self> {
        match ms.checked_mul(1_000_000) {
            Some(ns) => Some(Duration(ns)),
            None => None,
        }
    }

    /// The length in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// True for the zero duration.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`, or `None` on overflow.
    pub const fn checked_add(self, rhs: Duration) -> Option<Duration> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Duration(v)),
            None => None,
        }
    }

    /// `self - rhs`, or `None` if `rhs` is longer.
    pub const fn checked_sub(self, rhs: Duration) -> Option<Duration> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Duration(v)),
            None => None,
        }
    }

    /// `self - rhs`, or zero if `rhs` is longer.
    pub const fn saturating_sub(self, rhs: Duration) -> Duration {
        Duration(self.0.saturating_sub(rhs.0))
    }

    /// `self * n`, or `None` on overflow.
    pub const fn checked_mul(self, n: u64) -> Option<Duration> {
        match self.0.checked_mul(n) {
            Some(v) => Some(Duration(v)),
            None => None,
        }
    }

    /// How many whole `unit`s fit in `self` (floor division); `None` for a
    /// zero `unit`.
    pub const fn div_floor(self, unit: Duration) -> Option<u64> {
        match self.0.checked_div(unit.0) {
            Some(v) => Some(v),
            None => None,
        }
    }

    /// How many `unit`s are needed to cover `self` (ceiling division); `None`
    /// for a zero `unit`.
    pub const fn div_ceil(self, unit: Duration) -> Option<u64> {
        if unit.0 == 0 {
            None
        } else {
            Some(self.0.div_ceil(unit.0))
        }
    }

    /// The ratio `self / other` as a float, for display and utilization
    /// figures only (never for time arithmetic). Zero when `other` is zero.
    pub fn ratio(self, other: Duration) -> f64 {
        // Exact integer quotient plus the remainder's fraction keeps the
        // precision for large values better than `a as f64 / b as f64`.
        match (self.0.checked_div(other.0), self.0.checked_rem(other.0)) {
            (Some(q), Some(r)) => q as f64 + r as f64 / other.0 as f64,
            _ => 0.0,
        }
    }
}

impl Instant {
    /// Time zero, the common start of a run.
    pub const ZERO: Instant = Instant(0);

    /// The instant `ns` nanoseconds after time zero.
    pub const fn from_nanos(ns: u64) -> Self {
        Instant(ns)
    }

    /// Nanoseconds since time zero.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// `self + d`, or `None` on overflow.
    pub const fn checked_add(self, d: Duration) -> Option<Instant> {
        match self.0.checked_add(d.0) {
            Some(v) => Some(Instant(v)),
            None => None,
        }
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    pub const fn checked_since(self, earlier: Instant) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(v) => Some(Duration(v)),
            None => None,
        }
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }

    /// `self - other` as a signed number of nanoseconds (for lateness, which
    /// is negative when a job finishes early). Saturates at the `i64` range.
    pub fn signed_since(self, other: Instant) -> i64 {
        let diff = i128::from(self.0) - i128::from(other.0);
        i64::try_from(diff).unwrap_or(if diff < 0 { i64::MIN } else { i64::MAX })
    }
}

/// Greatest common divisor (Euclid). `gcd(0, x) = x`.
pub const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// Least common multiple, exact; `None` when it does not fit in 64 bits.
/// `lcm(0, x) = 0`.
pub const fn lcm(a: u64, b: u64) -> Option<u64> {
    if a == 0 || b == 0 {
        return Some(0);
    }
    (a / gcd(a, b)).checked_mul(b)
}

/// The hyperperiod: least common multiple of all `periods`.
///
/// Zero periods are ignored (a validated model has none). An empty list gives
/// zero. A hyperperiod beyond 2^64 ns is [`TimeError::Overflow`], never a
/// wrapped value.
pub fn hyperperiod<I: IntoIterator<Item = Duration>>(periods: I) -> Result<Duration, TimeError> {
    let mut acc: u64 = 0;
    for p in periods {
        if p.0 == 0 {
            continue;
        }
        acc = if acc == 0 {
            p.0
        } else {
            lcm(acc, p.0)
                .ok_or_else(|| TimeError::Overflow("the hyperperiod (lcm of the periods)".into()))?
        };
    }
    Ok(Duration(acc))
}

impl FromStr for Duration {
    type Err = TimeError;

    /// Parses `"<digits>[.<digits>]<unit>"` exactly, without floating point.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        if s.is_empty() {
            return Err(TimeError::Empty);
        }
        if s.starts_with('-') {
            return Err(TimeError::Negative(s.to_string()));
        }
        let s_num_end = s
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '_' || c == '+'))
            .map_or(s.len(), |(i, _)| i);
        let (number, unit) = s.split_at(s_num_end);
        let unit = unit.trim_start();
        if number.is_empty() {
            return Err(TimeError::BadNumber(s.to_string()));
        }
        if unit.is_empty() {
            return Err(TimeError::MissingUnit(s.to_string()));
        }
        let Some(&(_, scale)) = UNITS.iter().find(|(u, _)| *u == unit) else {
            return Err(TimeError::UnknownUnit {
                text: s.to_string(),
                unit: unit.to_string(),
            });
        };
        let number = number.strip_prefix('+').unwrap_or(number);
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        let digits_ok = |p: &str| p.chars().all(|c| c.is_ascii_digit() || c == '_');
        if (int_part.is_empty() && frac_part.is_empty())
            || !digits_ok(int_part)
            || !digits_ok(frac_part)
            || int_part.starts_with('_')
        {
            return Err(TimeError::BadNumber(s.to_string()));
        }
        let overflow = || TimeError::Overflow(format!("`{s}`"));
        let mut ns: u64 = 0;
        for c in int_part.chars().filter(char::is_ascii_digit) {
            ns = ns
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c as u8 - b'0')))
                .ok_or_else(overflow)?;
        }
        ns = ns.checked_mul(scale).ok_or_else(overflow)?;
        // Each fractional digit is worth scale / 10^k nanoseconds; any
        // non-zero digit below 1 ns cannot be represented.
        let mut place = scale;
        for c in frac_part.chars().filter(char::is_ascii_digit) {
            let digit = u64::from(c as u8 - b'0');
            if place < 10 {
                if digit != 0 {
                    return Err(TimeError::TooFine(s.to_string()));
                }
                continue;
            }
            place /= 10;
            ns = ns.checked_add(digit * place).ok_or_else(overflow)?;
        }
        Ok(Duration(ns))
    }
}

impl fmt::Display for Duration {
    /// The largest unit that shows the value exactly with at most three
    /// decimals, e.g. `1.5ms`, `250us`, `800ns`, `2s`, `0ns`. The output
    /// parses back to the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            return f.write_str("0ns");
        }
        for (unit, scale) in [("s", 1_000_000_000u64), ("ms", 1_000_000), ("us", 1_000)] {
            // Exact with at most three decimals in this unit?
            if ns >= scale && ns.is_multiple_of((scale / 1_000).max(1)) {
                let whole = ns / scale;
                let frac = ns % scale / (scale / 1_000);
                return if frac == 0 {
                    write!(f, "{whole}{unit}")
                } else {
                    let frac = format!("{frac:03}");
                    write!(f, "{whole}.{}{unit}", frac.trim_end_matches('0'))
                };
            }
        }
        write!(f, "{ns}ns")
    }
}

impl fmt::Display for Instant {
    /// The time since zero in the units of [`Duration`]'s display, prefixed
    /// with `t=`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}", Duration(self.0))
    }
}

impl serde::Serialize for Duration {
    /// Serialized as its unit string (`"1.5ms"`), so a normalized config
    /// written out reads back to the same model.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Result<u64, TimeError> {
        s.parse::<Duration>().map(Duration::as_nanos)
    }

    #[test]
    fn parses_every_unit_exactly() {
        assert_eq!(d("4ms"), Ok(4_000_000));
        assert_eq!(d("250us"), Ok(250_000));
        assert_eq!(d("250µs"), Ok(250_000));
        assert_eq!(d("1.5ms"), Ok(1_500_000));
        assert_eq!(d("2s"), Ok(2_000_000_000));
        assert_eq!(d("800ns"), Ok(800));
        assert_eq!(d("0.1us"), Ok(100));
        assert_eq!(d("0.000000001s"), Ok(1));
        assert_eq!(d("1_000us"), Ok(1_000_000));
        assert_eq!(d(" 3 ms "), Ok(3_000_000));
        assert_eq!(d(".5ms"), Ok(500_000));
        assert_eq!(d("0ms"), Ok(0));
    }

    #[test]
    fn rejects_what_is_not_exact() {
        assert!(matches!(d("4"), Err(TimeError::MissingUnit(_))));
        assert!(matches!(d("4 min"), Err(TimeError::UnknownUnit { .. })));
        assert!(matches!(d("-4ms"), Err(TimeError::Negative(_))));
        assert!(matches!(d("1.2.3ms"), Err(TimeError::BadNumber(_))));
        assert!(matches!(d("ms"), Err(TimeError::BadNumber(_))));
        assert!(matches!(d("."), Err(TimeError::MissingUnit(_))));
        assert!(matches!(d(".ms"), Err(TimeError::BadNumber(_))));
        assert!(matches!(d("1e3ms"), Err(TimeError::UnknownUnit { .. })));
        assert!(matches!(d("0.5ns"), Err(TimeError::TooFine(_))));
        assert!(matches!(d("1.0000000001s"), Err(TimeError::TooFine(_))));
        assert_eq!(d("1.50000000000s"), Ok(1_500_000_000));
        assert!(matches!(
            d("18446744073709551616ns"),
            Err(TimeError::Overflow(_))
        ));
        assert!(matches!(d("18446744074s"), Err(TimeError::Overflow(_))));
        assert!(matches!(d(""), Err(TimeError::Empty)));
        assert!(matches!(d("NaNms"), Err(TimeError::BadNumber(_))));
    }

    #[test]
    fn display_round_trips() {
        for ns in [
            0u64,
            1,
            999,
            1_000,
            1_500,
            250_000,
            1_500_000,
            1_234_567,
            2_000_000_000,
            u64::MAX,
        ] {
            let text = Duration(ns).to_string();
            assert_eq!(d(&text), Ok(ns), "{ns} -> {text}");
        }
        assert_eq!(Duration(1_500_000).to_string(), "1.5ms");
        assert_eq!(Duration(1_234_567).to_string(), "1234.567us");
        assert_eq!(Duration(800).to_string(), "800ns");
    }

    #[test]
    fn exact_gcd_lcm_and_hyperperiod() {
        assert_eq!(gcd(12, 18), 6);
        assert_eq!(gcd(0, 7), 7);
        assert_eq!(lcm(4, 6), Some(12));
        let periods = ["4ms", "6ms", "10ms"].map(|s| s.parse::<Duration>().unwrap());
        assert_eq!(hyperperiod(periods).unwrap().as_nanos(), 60_000_000);
        // Coprime periods near 2^32 ns overflow 64 bits: an error, never a wrap.
        let big = [
            Duration(4_294_967_291),
            Duration(4_294_967_279),
            Duration(3),
        ];
        assert!(matches!(hyperperiod(big), Err(TimeError::Overflow(_))));
    }

    #[test]
    fn checked_arithmetic() {
        assert_eq!(Duration::MAX.checked_add(Duration(1)), None);
        assert_eq!(Duration(5).checked_sub(Duration(6)), None);
        assert_eq!(Duration(7).div_ceil(Duration(2)), Some(4));
        assert_eq!(Duration(7).div_floor(Duration(2)), Some(3));
        assert_eq!(Duration(7).div_ceil(Duration::ZERO), None);
        assert_eq!(Instant(5).signed_since(Instant(8)), -3);
        assert_eq!(Instant(u64::MAX).signed_since(Instant(0)), i64::MAX);
    }
}
