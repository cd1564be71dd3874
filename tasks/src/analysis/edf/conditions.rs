//! When an EDF test's rejection proves a miss of the configured system.
//!
//! The demand tests and the response-time bounds are exact for sporadic
//! tasks released with any phasing. rtlab's configs release each task
//! periodically from its offset, so a bound is reached only when the
//! worst-case pattern is one of those releases: for preemptive EDF with
//! independent tasks it is the synchronous release (Baruah, Mok & Rosier
//! 1990), which the config produces when every task of the CPU has the same
//! offset and no jitter, every job can run its WCET, and nothing cuts the
//! schedule short before the first miss (queued overruns, jobs that go on
//! past their deadline, no injected faults). Blocking terms and the
//! non-preemptive blocking need a job started just before the others'
//! release, which synchronous releases never produce.

use crate::analysis::has_offsets;
use crate::model::{Execution, Faults, OnMiss, Overrun, System, Task, TaskId};

/// Why the tests of one CPU are only sufficient there.
#[derive(Clone, Debug, Default)]
pub(crate) struct Conditions {
    /// Reasons the synchronous release of the CPU's tasks, each job running
    /// its WCET, is not what the configured system does.
    pub(crate) pattern: Vec<String>,
    /// Reasons the test's own terms (blocking) need more than that pattern.
    pub(crate) terms: Vec<String>,
    /// True when a growing backlog (U > 1) is a proof of misses: releases
    /// queue, no faults, every job can run its WCET.
    pub(crate) overload_proves: bool,
}

impl Conditions {
    /// Every reason, pattern first.
    pub(crate) fn all(&self) -> impl Iterator<Item = &String> {
        self.pattern.iter().chain(&self.terms)
    }

    /// True when a rejection of the CPU's test is a proof.
    pub(crate) fn exact(&self) -> bool {
        self.pattern.is_empty() && self.terms.is_empty()
    }
}

/// True when some job of `task` can run exactly its WCET.
pub(crate) fn reaches_wcet(task: &Task) -> bool {
    match task.execution {
        Execution::Constant => true,
        Execution::Uniform { max, .. } => max >= task.wcet,
        // The draw is clamped to the WCET: reached with a positive
        // probability unless the distribution is a point below it.
        Execution::Normal { mean, stddev } => !stddev.is_zero() || mean >= task.wcet,
        Execution::Bimodal { low, high, p_high } => {
            (high >= task.wcet && p_high > 0.0) || (low >= task.wcet && p_high < 1.0)
        }
    }
}

/// The conditions of one CPU's tasks; `preemptive` and `shared` (local
/// resources in play) describe the test that runs.
pub(crate) fn of(system: &System, tasks: &[TaskId], preemptive: bool, shared: bool) -> Conditions {
    let each = || tasks.iter().map(|id| &system.tasks[id.0]);
    let mut pattern = Vec::new();
    if each().any(|t| !t.release_jitter.is_zero()) {
        pattern.push(
            "release jitter: exact for sporadic arrivals; your periodic releases may do better"
                .to_string(),
        );
    }
    if has_offsets(system, tasks) {
        pattern.push(
            "offsets: exact for sporadic arrivals with any phasing; your periodic releases from offsets may do better"
                .to_string(),
        );
    }
    let scheduler = &system.scheduler;
    if scheduler.overrun == Overrun::Skip {
        pattern.push(
            "overrun = skip drops a release that finds its predecessor unfinished".to_string(),
        );
    }
    if scheduler.on_miss == OnMiss::Abort {
        pattern.push("on_miss = abort ends a late job at its deadline".to_string());
    }
    let faults = each().any(|t| t.faults != Faults::default());
    if faults {
        pattern.push("fault injection ends some jobs early".to_string());
    }
    let short: Vec<String> = each()
        .filter(|t| !reaches_wcet(t))
        .map(|t| format!("`{}`", t.name))
        .collect();
    if !short.is_empty() {
        pattern.push(format!(
            "{} never run{} the full WCET (execution model)",
            short.join(", "),
            if short.len() == 1 { "s" } else { "" }
        ));
    }
    let mut terms = Vec::new();
    if !preemptive {
        terms.push(
            "non-preemptive: the blocking job starts just before the others' release, which synchronous releases never do"
                .to_string(),
        );
    }
    if shared {
        terms.push("blocking bounds are upper bounds".to_string());
    }
    Conditions {
        pattern,
        terms,
        overload_proves: scheduler.overrun == Overrun::Queue && !faults && short.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Policy, SystemBuilder};
    use crate::time::Duration;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    #[test]
    fn execution_models_that_never_reach_the_wcet() {
        let system = SystemBuilder::new("x")
            .policy(Policy::Edf)
            .task("constant", ns(10), ns(4))
            .task("short", ns(10), ns(4))
            .execution(Execution::Uniform {
                min: ns(1),
                max: ns(3),
            })
            .task("full", ns(10), ns(4))
            .execution(Execution::Uniform {
                min: ns(1),
                max: ns(4),
            })
            .task("point", ns(10), ns(4))
            .execution(Execution::Normal {
                mean: ns(2),
                stddev: ns(0),
            })
            .task("rare", ns(10), ns(4))
            .execution(Execution::Bimodal {
                low: ns(1),
                high: ns(4),
                p_high: 0.01,
            })
            .build();
        let reach: Vec<bool> = system.tasks.iter().map(reaches_wcet).collect();
        assert_eq!(reach, [true, false, true, false, true]);
        let ids: Vec<TaskId> = system.tasks.iter().map(|t| t.id).collect();
        let c = of(&system, &ids, true, false);
        assert!(!c.exact());
        assert!(!c.overload_proves);
        assert_eq!(
            c.pattern,
            ["`short`, `point` never run the full WCET (execution model)"]
        );
    }
}
