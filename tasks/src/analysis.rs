//! Schedulability analysis (stub: being written).

use serde::Serialize;

use crate::model::{CpuId, Policy, Priority, System};

pub mod priority;

/// The result of analysing a system, serialized as `rtlab.analysis/v1`.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// Always `rtlab.analysis/v1`.
    pub schema: &'static str,
    /// The config's name.
    pub name: String,
    /// The scheduling policy analysed.
    pub policy: Policy,
    /// Total utilization.
    pub utilization: f64,
    /// Verdict of the exact test for this policy; `None` if none applies.
    pub schedulable: Option<bool>,
    /// Every test run.
    pub tests: Vec<TestVerdict>,
    /// Per-task figures.
    pub tasks: Vec<TaskVerdict>,
}

/// One schedulability test's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct TestVerdict {
    /// Test name.
    pub name: String,
    /// Whether the test applies.
    pub applies: bool,
    /// Verdict.
    pub schedulable: Option<bool>,
    /// Figures.
    pub detail: String,
}

/// Per-task results.
#[derive(Clone, Debug, Serialize)]
pub struct TaskVerdict {
    /// Task name.
    pub name: String,
    /// CPU.
    pub cpu: Option<CpuId>,
    /// Priority.
    pub priority: Priority,
    /// Utilization.
    pub utilization: f64,
    /// Worst-case response time bound, ns.
    pub wcrt_ns: Option<u64>,
    /// Blocking bound, ns.
    pub blocking_ns: Option<u64>,
    /// Verdict.
    pub schedulable: Option<bool>,
}

/// Analyse a system (stub).
pub fn analyze(system: &System) -> Analysis {
    Analysis {
        schema: "rtlab.analysis/v1",
        name: system.name.clone(),
        policy: system.scheduler.policy,
        utilization: system.utilization(),
        schedulable: None,
        tests: Vec::new(),
        tasks: Vec::new(),
    }
}
