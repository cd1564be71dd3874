//! Validation of a task's `arrival` table: the model it names, its times
//! positive and ordered, and the task's `period` (when written) equal to
//! the minimum gap, which stands for the period in the analyses.

use super::located::problem;
use super::{not_too_long, positive};
use crate::config::raw::{ArrivalKind, RawArrival, RawTask};
use crate::config::reader::Problems;
use crate::model::{Arrival, ModelError, arrival_rules};
use crate::time::Duration;

/// The task's arrival model as written (periodic when there is no
/// `arrival`), or `None` when the table, or a time its model needs, is
/// missing or unusable (reported when reading) or too long. Its rules are
/// checked by [`check`], once the period is known.
pub(super) fn read(rt: &RawTask, out: &mut Problems) -> Option<Arrival> {
    let Some(a) = &rt.arrival else {
        return (!rt.written.has("arrival")).then_some(Arrival::Periodic);
    };
    let mut ok = true;
    for (key, d) in [("min", &a.min), ("max", &a.max), ("mean", &a.mean)] {
        if let Some(d) = d {
            ok &= not_too_long(out, key, d);
        }
    }
    if let Some(min) = &a.min {
        ok &= positive(out, "min", min);
    }
    let time = |d: &Option<crate::config::reader::Sp<Duration>>| d.as_ref().map(|d| d.value);
    let model = match a.model.value {
        ArrivalKind::Periodic => Arrival::Periodic,
        ArrivalKind::Sporadic => Arrival::Sporadic {
            min: time(&a.min)?,
            max: time(&a.max)?,
        },
        ArrivalKind::Poisson => Arrival::Poisson {
            mean: time(&a.mean)?,
            min: time(&a.min)?,
        },
    };
    ok.then_some(model)
}

/// Checks `arrival` against the model's rules with the task's `period`
/// (the written one, or the minimum gap), each broken rule reported at
/// the key to change; true when all hold.
pub(super) fn check(
    rt: &RawTask,
    task: &str,
    arrival: &Arrival,
    period: Duration,
    out: &mut Problems,
) -> bool {
    let Some(a) = &rt.arrival else { return true };
    let errors = arrival_rules(task, arrival, period);
    let ok = errors.is_empty();
    for error in errors {
        out.push(problem(error.clone(), span_of(rt, a, &error)));
    }
    ok
}

/// Where an arrival error points: at `min`, or at `period` for a period
/// that is not the minimum gap.
fn span_of(rt: &RawTask, a: &RawArrival, error: &ModelError) -> std::ops::Range<usize> {
    let at = match error {
        ModelError::PeriodNotMinGap { .. } => rt.period.as_ref().map(|p| p.span.clone()),
        _ => a.min.as_ref().map(|m| m.span.clone()),
    };
    at.unwrap_or_else(|| a.span.clone())
}
