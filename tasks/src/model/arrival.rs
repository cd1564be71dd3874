//! How a task's jobs arrive: periodically, or at random gaps never shorter
//! than a minimum (sporadic, Poisson).
//!
//! Whatever the model, a task's [`super::Task::period`] is its *minimum*
//! inter-arrival time: the analyses (utilization, response times, EDF
//! demand) take it as the period, which is sound for sporadic releases (a
//! sporadic task releasing at its minimum gap is the periodic worst case).
//! The engines draw the gaps (`rtlab_sim::ledger::Arrivals`).

use serde::Serialize;

use super::rules::ModelError;
use crate::time::Duration;

/// The release pattern of a task's jobs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum Arrival {
    /// Job `k` is released at `offset + k * period` (the default).
    #[default]
    Periodic,
    /// Gaps between releases drawn uniformly over `[min, max]` (whole
    /// nanoseconds), `0 < min <= max`.
    Sporadic {
        /// The shortest gap (the task's period for the analysis).
        min: Duration,
        /// The longest gap.
        max: Duration,
    },
    /// Gaps of `min` plus an exponential draw of mean `mean - min` (a
    /// Poisson process with a dead time of `min`): their mean is `mean`,
    /// none is shorter than `min`, `0 < min <= mean`.
    Poisson {
        /// The mean gap.
        mean: Duration,
        /// The shortest gap (the task's period for the analysis).
        min: Duration,
    },
}

impl Arrival {
    /// True for the periodic model.
    pub fn is_periodic(&self) -> bool {
        *self == Arrival::Periodic
    }

    /// The shortest gap between two releases the model allows, if it is
    /// not periodic (a periodic task's is its period).
    pub fn min_gap(&self) -> Option<Duration> {
        match *self {
            Arrival::Periodic => None,
            Arrival::Sporadic { min, .. } | Arrival::Poisson { min, .. } => Some(min),
        }
    }
}

/// The rules of a task's arrival model: positive minimum, `min <= max`
/// (sporadic) or `min <= mean` (Poisson), and the period equal to the
/// minimum gap. Every problem, in the order the validator reports them.
pub(crate) fn check(task: &str, arrival: &Arrival, period: Duration) -> Vec<ModelError> {
    let mut out = Vec::new();
    let (min, limit_field, limit) = match *arrival {
        Arrival::Periodic => return out,
        Arrival::Sporadic { min, max } => (min, "max", max),
        Arrival::Poisson { mean, min } => (min, "mean", mean),
    };
    if min.is_zero() {
        out.push(ModelError::ArrivalNotPositive {
            task: task.to_string(),
        });
        return out;
    }
    if min > limit {
        out.push(ModelError::ArrivalOrder {
            task: task.to_string(),
            min,
            limit_field,
            limit,
        });
    }
    if period != min {
        out.push(ModelError::PeriodNotMinGap {
            task: task.to_string(),
            period,
            min,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v).unwrap()
    }

    #[test]
    fn a_sporadic_model_needs_min_at_most_max_and_the_period_at_min() {
        let ok = Arrival::Sporadic {
            min: ms(5),
            max: ms(20),
        };
        assert!(check("t", &ok, ms(5)).is_empty());
        let reversed = Arrival::Sporadic {
            min: ms(20),
            max: ms(5),
        };
        assert_eq!(
            check("t", &reversed, ms(20)),
            vec![ModelError::ArrivalOrder {
                task: "t".into(),
                min: ms(20),
                limit_field: "max",
                limit: ms(5),
            }]
        );
        assert_eq!(
            check("t", &ok, ms(10)),
            vec![ModelError::PeriodNotMinGap {
                task: "t".into(),
                period: ms(10),
                min: ms(5),
            }]
        );
    }

    #[test]
    fn a_poisson_model_needs_a_positive_min_at_most_the_mean() {
        let zero = Arrival::Poisson {
            mean: ms(10),
            min: Duration::ZERO,
        };
        assert_eq!(
            check("t", &zero, ms(1)),
            vec![ModelError::ArrivalNotPositive { task: "t".into() }]
        );
        let above = Arrival::Poisson {
            mean: ms(1),
            min: ms(2),
        };
        assert_eq!(check("t", &above, ms(2)).len(), 1);
        assert!(Arrival::Periodic.min_gap().is_none());
    }
}
