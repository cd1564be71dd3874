//! Adding up results of one configuration (`rtlab merge` of `result.json`
//! shards, e.g. the same config simulated with different seeds).
//!
//! Counters add; every metric merges losslessly through its HDR histogram
//! and exact sums ([`Recorder::merge`]); lateness extremes take the min /
//! max; the worst misses are kept as [`TaskStats::keep_miss`] keeps them;
//! run lengths and CPU busy times add (busy ratios are recomputed); resource
//! counters and metrics add; chain counters and latencies add, the worst
//! instance is the longer one. The merged result keeps the first run's seed,
//! environment and start time, and lists every run (seed, length, start) in
//! `environment.details.merged_runs`.

use super::metrics::{Metric, MetricError};
use super::{ChainOutcome, Outcome, TaskOutcome, TaskStats};

/// Why two results cannot be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// Different engines (simulation and live).
    #[error("comes from the {theirs} engine, not {ours}")]
    Engine {
        /// The first result's engine.
        ours: String,
        /// This one's.
        theirs: String,
    },
    /// Different configurations or variants.
    #[error("is a result of another configuration ({what} differs)")]
    Config {
        /// What differs: `config`, `variant`, or a task.
        what: String,
    },
    /// A histogram does not decode or merge.
    #[error("task `{task}`, {metric}: {source}")]
    Metric {
        /// The task.
        task: String,
        /// The metric.
        metric: &'static str,
        /// The histogram error.
        source: MetricError,
    },
}

/// `a + b` for one metric.
fn merge_metric(
    task: &str,
    name: &'static str,
    a: &Metric,
    b: &Metric,
) -> Result<Metric, MergeError> {
    let err = |source| MergeError::Metric {
        task: task.to_string(),
        metric: name,
        source,
    };
    let mut r = a.recorder().map_err(err)?;
    r.merge(&b.recorder().map_err(err)?).map_err(err)?;
    Ok(r.summary())
}

fn merge_task(a: &mut TaskOutcome, b: &TaskOutcome) -> Result<(), MergeError> {
    let name = a.name.clone();
    a.jobs += b.jobs;
    a.completed += b.completed;
    a.incomplete += b.incomplete;
    a.deadline_misses += b.deadline_misses;
    a.skipped += b.skipped;
    a.aborted += b.aborted;
    a.faults += b.faults;
    a.preemptions += b.preemptions;
    a.response_time = merge_metric(&name, "response_time", &a.response_time, &b.response_time)?;
    a.release_jitter = merge_metric(
        &name,
        "release_jitter",
        &a.release_jitter,
        &b.release_jitter,
    )?;
    a.start_delay = merge_metric(&name, "start_delay", &a.start_delay, &b.start_delay)?;
    a.tardiness = merge_metric(&name, "tardiness", &a.tardiness, &b.tardiness)?;
    a.blocking = merge_metric(&name, "blocking", &a.blocking, &b.blocking)?;
    a.lateness_min_ns = match (a.lateness_min_ns, b.lateness_min_ns) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    a.lateness_max_ns = match (a.lateness_max_ns, b.lateness_max_ns) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    let mut kept = TaskStats {
        misses: std::mem::take(&mut a.misses),
        ..TaskStats::default()
    };
    for m in &b.misses {
        kept.keep_miss(m.clone());
    }
    a.misses = kept.misses;
    Ok(())
}

/// `a + b` for one chain (the same chain: the configs are equal).
fn merge_chain(a: &mut ChainOutcome, b: &ChainOutcome) -> Result<(), MergeError> {
    a.jobs += b.jobs;
    a.deadline_misses += b.deadline_misses;
    a.unfinished += b.unfinished;
    a.end_to_end = merge_metric(&a.name, "end_to_end", &a.end_to_end, &b.end_to_end)?;
    a.data_age = match (&a.data_age, &b.data_age) {
        (Some(x), Some(y)) => Some(merge_metric(&a.name, "data_age", x, y)?),
        (x, y) => x.clone().or_else(|| y.clone()),
    };
    if let Some(w) = &b.worst
        && a.worst.as_ref().is_none_or(|v| w.latency_ns > v.latency_ns)
    {
        a.worst = Some(w.clone());
    }
    Ok(())
}

/// One run's line in `merged_runs`.
fn run_entry(o: &Outcome) -> serde_json::Value {
    serde_json::json!({
        "seed": o.seed,
        "duration_ns": o.duration_ns,
        "started_at": o.started_at,
    })
}

impl Outcome {
    /// Adds `other`, a result of the same configuration (same engine,
    /// normalized config and variant), to this one, as described in the
    /// module docs.
    pub fn merge(&mut self, other: &Outcome) -> Result<(), MergeError> {
        if self.engine != other.engine {
            let name =
                |e| serde_json::to_value(e).map_or_else(|_| String::new(), |v| v.to_string());
            return Err(MergeError::Engine {
                ours: name(self.engine),
                theirs: name(other.engine),
            });
        }
        let differs = |what: &str| {
            Err(MergeError::Config {
                what: what.to_string(),
            })
        };
        if self.config != other.config {
            return differs("config");
        }
        if self.variant != other.variant {
            return differs("variant");
        }
        if self.tasks.len() != other.tasks.len()
            || self
                .tasks
                .iter()
                .zip(&other.tasks)
                .any(|(a, b)| a.name != b.name)
        {
            return differs("the task list");
        }
        if self.cpus.len() != other.cpus.len() || self.resources.len() != other.resources.len() {
            return differs("the CPUs or resources");
        }
        if self.chains.len() != other.chains.len() {
            return differs("the chain list");
        }
        // Merge into a copy: a failure leaves `self` untouched.
        let mut merged = self.clone();
        for (a, b) in merged.tasks.iter_mut().zip(&other.tasks) {
            merge_task(a, b)?;
        }
        for (a, b) in merged.chains.iter_mut().zip(&other.chains) {
            merge_chain(a, b)?;
        }
        for (a, b) in merged.resources.iter_mut().zip(&other.resources) {
            a.acquisitions += b.acquisitions;
            a.contended += b.contended;
            a.wait = merge_metric(&a.name, "wait", &a.wait, &b.wait)?;
            a.hold = merge_metric(&a.name, "hold", &a.hold, &b.hold)?;
        }
        merged.duration_ns = self.duration_ns.saturating_add(other.duration_ns);
        for (a, b) in merged.cpus.iter_mut().zip(&other.cpus) {
            a.busy_ns = a.busy_ns.saturating_add(b.busy_ns);
            a.usage = match (a.usage.take(), &b.usage) {
                (Some(x), Some(y)) => Some(x.merged(y)),
                _ => None,
            };
            a.busy_ratio = if merged.duration_ns == 0 {
                0.0
            } else {
                a.busy_ns as f64 / merged.duration_ns as f64
            };
        }
        merged.interrupted |= other.interrupted;
        if merged.deadlock.is_none() {
            merged.deadlock = other.deadlock.clone();
        }
        merged.trace = None;
        for w in &other.environment.warnings {
            if !merged.environment.warnings.contains(w) {
                merged.environment.warnings.push(w.clone());
            }
        }
        let mut runs = match self.environment.details.get("merged_runs") {
            Some(serde_json::Value::Array(v)) => v.clone(),
            _ => vec![run_entry(self)],
        };
        match other.environment.details.get("merged_runs") {
            Some(serde_json::Value::Array(v)) => runs.extend(v.iter().cloned()),
            _ => runs.push(run_entry(other)),
        }
        merged
            .environment
            .details
            .insert("merged_runs".to_string(), serde_json::Value::Array(runs));
        *self = merged;
        Ok(())
    }
}
