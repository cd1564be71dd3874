//! The set-level verdict of an analysis: which tests decide it, the
//! sentence that says what it proves, and what a possible deadlock voids.

use super::{TaskVerdict, TestKind, TestVerdict};
use crate::model::System;

/// The set verdict in a sentence.
pub(super) fn explain(schedulable: Option<bool>, runs: &[Run], tasks: &[TaskVerdict]) -> String {
    match schedulable {
        Some(true) => {
            let by: Vec<String> = runs
                .iter()
                .filter(|r| r.test.applies && r.test.schedulable == Some(true))
                .map(|r| format!("{} ({})", r.test.name, r.test.kind.as_str()))
                .collect();
            format!(
                "schedulable: proven by {}, every deadline is met in the worst case of this model",
                by.join(", ")
            )
        }
        Some(false) => match tasks.iter().find(|t| t.witness.is_some()) {
            Some(t) => format!(
                "NOT schedulable: proven, `{}` misses: {}",
                t.name,
                t.witness.as_deref().unwrap_or_default()
            ),
            None => {
                let by: Vec<&str> = runs
                    .iter()
                    .filter(|r| r.refutes)
                    .map(|r| r.test.detail.as_str())
                    .collect();
                format!("NOT schedulable: proven, {}", by.join("; "))
            }
        },
        None => {
            let why: Vec<String> = runs
                .iter()
                .filter(|r| r.test.applies)
                .map(|r| format!("{}: {}", r.test.name, r.test.detail))
                .collect();
            if why.is_empty() {
                "unknown: no schedulability test applies to this configuration (simulate it)"
                    .to_string()
            } else {
                format!(
                    "unknown: no test proves it schedulable and no miss is proven ({})",
                    why.join("; ")
                )
            }
        }
    }
}

/// A possible deadlock voids every blocking bound that relies on chains of
/// holders ending: the tasks that can wait for a resource a deadlocked task
/// holds (the users of the cycle's resources and, to a fixed point, of any
/// resource such a task uses) lose their bound and verdict. The other tasks
/// keep their bounds (deadlocked tasks only take less CPU time), but not a
/// proven miss: that proof counts the work of tasks that may deadlock.
pub(super) fn void_for_deadlock(
    system: &System,
    cycle: &crate::model::LockCycle,
    tasks: &mut [TaskVerdict],
) {
    let stuck = stuck_tasks(system, cycle);
    let why = format!(
        "possible deadlock: lock order cycle {}",
        system.describe_cycle(cycle)
    );
    for (v, stuck) in tasks.iter_mut().zip(stuck) {
        if stuck {
            v.wcrt_ns = None;
            v.slack_ns = None;
            v.blocking_ns = None;
            v.schedulable = None;
            v.witness = None;
            v.add_note(format!(
                "{why}: no bound (a deadlocked job never completes)"
            ));
        } else if v.schedulable == Some(false) {
            v.schedulable = None;
            v.witness = None;
            v.add_note(format!("{why}: the miss is not proven"));
        }
    }
}

/// The tasks that can wait for a resource a task of the lock-order
/// `cycle` holds: the users of its resources and, to a fixed point, of any
/// resource such a task uses (per task, in task order).
pub(super) fn stuck_tasks(system: &System, cycle: &crate::model::LockCycle) -> Vec<bool> {
    let mut stuck = vec![false; system.tasks.len()];
    let mut tainted: Vec<bool> = (0..system.resources.len())
        .map(|r| cycle.resources.iter().any(|c| c.0 == r))
        .collect();
    loop {
        let mut changed = false;
        for t in &system.tasks {
            if !stuck[t.id.0] && t.sections.iter().any(|s| tainted[s.resource.0]) {
                stuck[t.id.0] = true;
                changed = true;
                for s in &t.sections {
                    tainted[s.resource.0] = true;
                }
            }
        }
        if !changed {
            return stuck;
        }
    }
}

/// The set-level verdict: any acceptance wins, then any proven rejection.
pub(super) fn combine(runs: &[Run]) -> Option<bool> {
    if runs
        .iter()
        .any(|r| r.test.applies && r.test.schedulable == Some(true))
    {
        Some(true)
    } else if runs.iter().any(|r| r.refutes) {
        Some(false)
    } else {
        None
    }
}

/// A test's verdict plus whether its rejection is a proof.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) test: TestVerdict,
    /// True when the test proved that a deadline can be missed.
    pub(crate) refutes: bool,
}

impl Run {
    pub(crate) fn not_applicable(name: &str, kind: TestKind, why: &str) -> Run {
        Run {
            test: TestVerdict {
                name: name.to_string(),
                kind,
                applies: false,
                schedulable: None,
                detail: why.to_string(),
            },
            refutes: false,
        }
    }
}

/// What a partitioned test found on one CPU.
#[derive(Clone, Debug)]
pub(crate) struct CpuOutcome {
    /// Accepts, does not accept, undecided.
    pub(crate) verdict: Option<bool>,
    /// True when a miss on this CPU is proven.
    pub(crate) refutes: bool,
    /// Why a rejection is not a proof on this CPU (empty: exact).
    pub(crate) approximations: Vec<String>,
    /// The CPU's part of the test's detail.
    pub(crate) line: String,
}

impl Run {
    /// A partitioned test's verdict from its CPUs: accepted when every CPU
    /// is, rejected when one is; exact unless some CPU's analysis is an
    /// approximation (listed in the detail after `lead`, if any).
    pub(crate) fn from_cpus(name: &str, outcomes: &[CpuOutcome], lead: Option<&str>) -> Run {
        let schedulable = if outcomes.iter().any(|o| o.verdict == Some(false)) {
            Some(false)
        } else if outcomes.iter().all(|o| o.verdict == Some(true)) {
            Some(true)
        } else {
            None
        };
        let mut approximations: Vec<String> = outcomes
            .iter()
            .flat_map(|o| o.approximations.iter().cloned())
            .collect();
        approximations.sort();
        approximations.dedup();
        let mut detail = outcomes
            .iter()
            .map(|o| o.line.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        let kind = if approximations.is_empty() {
            TestKind::Exact
        } else {
            detail.push_str(&format!("; sufficient here: {}", approximations.join(", ")));
            TestKind::Sufficient
        };
        if let Some(lead) = lead {
            detail = format!("{lead}{detail}");
        }
        Run {
            test: TestVerdict {
                name: name.to_string(),
                kind,
                applies: true,
                schedulable,
                detail,
            },
            refutes: outcomes.iter().any(|o| o.refutes),
        }
    }
}
