//! A task's `arrival` table, read: `{ model = "periodic" }`,
//! `{ model = "sporadic", min, max }` or `{ model = "poisson", mean, min }`.

use std::ops::Range;

use super::super::choices::{ARRIVAL_KINDS, ArrivalKind};
use super::super::problem::{Problem, ProblemKind};
use super::super::reader::{Problems, Sp, TableReader};
use crate::time::Duration;

pub(crate) const ARRIVAL_KEYS: &[&str] = &["model", "min", "max", "mean"];

/// A task's `arrival` table.
#[derive(Debug)]
pub(crate) struct RawArrival {
    pub(crate) span: Range<usize>,
    pub(crate) model: Sp<ArrivalKind>,
    pub(crate) min: Option<Sp<Duration>>,
    pub(crate) max: Option<Sp<Duration>>,
    pub(crate) mean: Option<Sp<Duration>>,
}

/// Reads an `arrival` table: its model, the times that model needs (a
/// missing one is recorded at the table), and none it does not take.
pub(crate) fn read_arrival(a: &TableReader<'_, '_>, out: &mut Problems) -> Option<RawArrival> {
    a.check_unknown(out);
    let Some(model) = a.choice("task.arrival.model", ARRIVAL_KINDS, out) else {
        if a.get("model").is_none() {
            a.missing(
                "model",
                Some("one of \"periodic\", \"sporadic\" (min, max), \"poisson\" (mean, min)"),
                out,
            );
        }
        return None;
    };
    let raw = RawArrival {
        span: a.span(),
        min: a.duration("min", out),
        max: a.duration("max", out),
        mean: a.duration("mean", out),
        model,
    };
    let (name, needed, example): (&str, &[&str], &str) = match raw.model.value {
        ArrivalKind::Periodic => ("periodic", &[], ""),
        ArrivalKind::Sporadic => (
            "sporadic",
            &["min", "max"],
            "arrival = { model = \"sporadic\", min = \"5ms\", max = \"20ms\" }",
        ),
        ArrivalKind::Poisson => (
            "poisson",
            &["mean", "min"],
            "arrival = { model = \"poisson\", mean = \"10ms\", min = \"1ms\" }",
        ),
    };
    for key in needed {
        if a.get(key).is_none() {
            a.missing(
                key,
                Some(&format!(
                    "the {name} model needs {}, e.g. {example}",
                    needed.join(" and ")
                )),
                out,
            );
        }
    }
    for key in ARRIVAL_KEYS.iter().filter(|k| **k != "model") {
        if let Some(v) = a.get(key).filter(|_| !needed.contains(key)) {
            let hint = if needed.is_empty() {
                "a periodic task's jobs are released every `period`: remove the key".to_string()
            } else {
                format!("the {name} model takes {}", needed.join(" and "))
            };
            out.push(
                Problem::error(
                    ProblemKind::BadValue {
                        key: (*key).to_string(),
                        message: format!("does not apply to the {name} arrival model"),
                    },
                    v.span(),
                )
                .with_hint(hint),
            );
        }
    }
    Some(raw)
}
