//! Period distributions: `uniform:MIN:MAX`, `log-uniform:MIN:MAX`,
//! `set:P1,P2,...`.

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt};

use super::GenerateError;
use crate::time::Duration;

/// How task periods are drawn.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Periods {
    /// Uniform over the multiples of the grain in `[min, max]` (drawn as a
    /// whole number of grains, no floating point).
    Uniform {
        /// Shortest period.
        min: Duration,
        /// Longest period.
        max: Duration,
    },
    /// Log-uniform: `exp` of a uniform draw over `[ln min, ln(max +
    /// grain))`, rounded down to a multiple of the grain (as in Emberson,
    /// Stafford & Davis's task-set generator), clamped to `[min, max]`.
    LogUniform {
        /// Shortest period.
        min: Duration,
        /// Longest period.
        max: Duration,
    },
    /// Each period one of these, chosen uniformly (the grain is not
    /// applied).
    Set(Vec<Duration>),
}

impl Periods {
    /// Fails unless the bounds are positive, ordered and multiples of
    /// `grain`, or the set is non-empty with positive periods.
    pub fn check(&self, grain: Duration) -> Result<(), GenerateError> {
        let bad = |reason: String| GenerateError::BadPeriods {
            text: self.to_string(),
            reason,
        };
        if grain.is_zero() {
            return Err(bad("the time grain must be longer than 0".into()));
        }
        match self {
            Periods::Uniform { min, max } | Periods::LogUniform { min, max } => {
                if min.is_zero() {
                    return Err(bad("the shortest period must be longer than 0".into()));
                }
                if min > max {
                    return Err(bad(format!("{min} is longer than {max}")));
                }
                for d in [min, max] {
                    if !d.as_nanos().is_multiple_of(grain.as_nanos()) {
                        return Err(bad(format!("{d} is not a multiple of the grain {grain}")));
                    }
                }
                Ok(())
            }
            Periods::Set(list) if list.is_empty() => Err(bad("the set is empty".into())),
            Periods::Set(list) if list.iter().any(|d| d.is_zero()) => {
                Err(bad("a period must be longer than 0".into()))
            }
            Periods::Set(_) => Ok(()),
        }
    }

    /// One period (the distribution must pass [`Periods::check`]).
    pub fn draw<R: Rng + ?Sized>(&self, grain: Duration, rng: &mut R) -> Duration {
        let g = grain.as_nanos().max(1);
        match self {
            Periods::Uniform { min, max } => {
                let k = rng.random_range(min.as_nanos() / g..=max.as_nanos() / g);
                Duration::from_nanos(k * g)
            }
            Periods::LogUniform { min, max } => {
                let (lo, hi) = (min.as_nanos() as f64, max.as_nanos() as f64 + g as f64);
                let x: f64 = rng.random();
                let t = (lo.ln() + x * (hi.ln() - lo.ln())).exp();
                let k = (t / g as f64).floor() as u64;
                Duration::from_nanos((k * g).clamp(min.as_nanos(), max.as_nanos()))
            }
            Periods::Set(list) => list[rng.random_range(0..list.len())],
        }
    }

    /// The longest period the distribution can draw.
    pub fn longest(&self) -> Duration {
        match self {
            Periods::Uniform { max, .. } | Periods::LogUniform { max, .. } => *max,
            Periods::Set(list) => list.iter().copied().max().unwrap_or(Duration::ZERO),
        }
    }
}

impl fmt::Display for Periods {
    /// The spelling [`FromStr`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Periods::Uniform { min, max } => write!(f, "uniform:{min}:{max}"),
            Periods::LogUniform { min, max } => write!(f, "log-uniform:{min}:{max}"),
            Periods::Set(list) => {
                let parts: Vec<String> = list.iter().map(Duration::to_string).collect();
                write!(f, "set:{}", parts.join(","))
            }
        }
    }
}

impl FromStr for Periods {
    type Err = GenerateError;

    /// `uniform:10ms:100ms`, `log-uniform:1ms:1000ms` or
    /// `set:10ms,20ms,50ms`; durations carry units.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| GenerateError::BadPeriods {
            text: text.to_string(),
            reason,
        };
        let duration = |s: &str| s.trim().parse::<Duration>().map_err(|e| bad(e.to_string()));
        let (kind, rest) = text.split_once(':').ok_or_else(|| {
            bad("expected uniform:MIN:MAX, log-uniform:MIN:MAX or set:P1,P2,...".into())
        })?;
        let periods = match kind.trim() {
            "uniform" | "log-uniform" => {
                let (min, max) = rest.split_once(':').ok_or_else(|| {
                    bad(format!("expected {kind}:MIN:MAX, e.g. {kind}:1ms:1000ms"))
                })?;
                let (min, max) = (duration(min)?, duration(max)?);
                if kind.trim() == "uniform" {
                    Periods::Uniform { min, max }
                } else {
                    Periods::LogUniform { min, max }
                }
            }
            "set" => Periods::Set(rest.split(',').map(duration).collect::<Result<_, _>>()?),
            other => {
                return Err(bad(format!(
                    "unknown distribution `{other}`; expected uniform, log-uniform or set"
                )));
            }
        };
        periods
            .check(Duration::from_nanos(1))
            .map_err(|e| match e {
                GenerateError::BadPeriods { reason, .. } => bad(reason),
                other => other,
            })?;
        Ok(periods)
    }
}
