//! What an engine produces: the `rtlab.result/v1` document.
//!
//! The simulator and the live engine both fill an [`Outcome`]; the reports
//! read it back from `result.json`. Per task it holds the counters and the
//! five metrics of `design.md` (release jitter, start delay, response time,
//! tardiness, blocking), each as a [`metrics::Metric`] (exact min / mean /
//! max, percentiles, the HDR histogram), and the worst deadline misses with
//! what delayed them ([`Miss`]): which task missed which deadline, by how
//! much, and why.
//!
//! Engines accumulate with [`TaskStats`] (one per task, or one per task and
//! thread in the live engine, merged losslessly at the end).

mod chain;
mod merge;
pub mod metrics;
mod miss;
pub mod trace;
pub mod window;

pub use chain::{ChainInstance, ChainOutcome, ChainPrediction, StageShare};
pub use merge::MergeError;
pub use miss::{Delay, DelayKind, Interference, InterferenceKind, Miss, MissKind};

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::model::{CpuId, Priority, System, Task};
use metrics::{Metric, MetricError, Recorder};

/// The schema tag of a result file.
pub const RESULT_SCHEMA: &str = "rtlab.result/v1";

/// How many misses per task are kept with their causes (the largest
/// lateness first).
pub const WORST_MISSES: usize = 8;

/// Which engine produced a result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// The discrete-event simulator (virtual time).
    Simulation,
    /// The live engine (real threads, real time).
    Live,
}

/// One run of one configuration: `result.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outcome {
    /// Always [`RESULT_SCHEMA`].
    pub schema: String,
    /// The engine.
    pub engine: Engine,
    /// The configuration run, normalized (every default filled in,
    /// durations as unit strings), as `config::normalized` writes it.
    pub config: serde_json::Value,
    /// The `[[variant]]` run, if not the base config.
    #[serde(default)]
    pub variant: Option<String>,
    /// The seed of every random draw.
    pub seed: u64,
    /// Where and how it ran.
    pub environment: Environment,
    /// Wall-clock start (RFC 3339), live runs only: `null` in simulation so
    /// that the same config and seed give the same bytes.
    pub started_at: Option<String>,
    /// Length of the run (simulated horizon or live duration), in
    /// nanoseconds.
    pub duration_ns: u64,
    /// True when the run was cut short (Ctrl-C, a deadlock, `on_miss`
    /// aborting the run); the figures cover what ran.
    pub interrupted: bool,
    /// Per task, in config order.
    pub tasks: Vec<TaskOutcome>,
    /// Per CPU of the platform.
    pub cpus: Vec<CpuOutcome>,
    /// Per shared resource, in order of first use.
    pub resources: Vec<ResourceOutcome>,
    /// The trace file, when one was written.
    pub trace: Option<TraceSummary>,
    /// The deadlock that stopped the run, if any.
    #[serde(default)]
    pub deadlock: Option<Deadlock>,
    /// Per chain, in config order (absent without chains).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<ChainOutcome>,
}

/// Where and how a run happened. Machine facts are `null` in simulation
/// (a simulation does not depend on the machine).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Environment {
    /// `CARGO_PKG_VERSION` of rtlab.
    pub rtlab_version: String,
    /// Host name (live).
    pub host: Option<String>,
    /// Kernel release (live).
    pub kernel: Option<String>,
    /// CPUs online (live).
    pub cpus_online: Option<u32>,
    /// The OS scheduling class in effect (live).
    pub os_policy: Option<String>,
    /// Whether real-time policies could be set (live).
    pub rt_privileges: Option<bool>,
    /// Anything the user should know about how trustworthy the figures are.
    pub warnings: Vec<String>,
    /// Engine-specific facts (live: RT throttling, steal and foreign CPU
    /// time, `cpu_dma_latency`), by name.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Results of one task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskOutcome {
    /// Task name.
    pub name: String,
    /// Its CPU (partitioned), `null` under global placement.
    pub cpu: Option<CpuId>,
    /// Its priority (higher = more urgent).
    pub priority: Priority,
    /// Period, in nanoseconds.
    pub period_ns: u64,
    /// Relative deadline, in nanoseconds.
    pub deadline_ns: u64,
    /// WCET, in nanoseconds.
    pub wcet_ns: u64,
    /// Jobs released before the end of the run (skipped ones included).
    pub jobs: u64,
    /// Jobs that completed.
    pub completed: u64,
    /// Jobs still pending or running at the end of the run.
    pub incomplete: u64,
    /// Jobs whose deadline passed before they completed: late completions,
    /// aborts, and unfinished jobs whose deadline is at or before the end.
    pub deadline_misses: u64,
    /// Releases dropped because the previous job was unfinished
    /// (`overrun = "skip"`).
    pub skipped: u64,
    /// Jobs aborted at their deadline (`on_miss = "abort"`).
    pub aborted: u64,
    /// Jobs that panicked (`faults.panic_every`).
    pub faults: u64,
    /// Preemptions suffered.
    #[serde(default)]
    pub preemptions: u64,
    /// Completion minus nominal release, completed jobs.
    pub response_time: Metric,
    /// Ready time minus nominal release (live: the wake-up latency).
    pub release_jitter: Metric,
    /// First execution minus nominal release.
    pub start_delay: Metric,
    /// `max(0, completion - absolute deadline)`, completed jobs.
    pub tardiness: Metric,
    /// Time spent waiting on resources held by other tasks, plus time
    /// ready while a lower-priority job ran (priority inversion), per job.
    pub blocking: Metric,
    /// Exact smallest lateness (negative = early), in nanoseconds.
    pub lateness_min_ns: Option<i64>,
    /// Exact largest lateness, in nanoseconds.
    pub lateness_max_ns: Option<i64>,
    /// What the analysis predicted for this task.
    pub analysis: TaskPrediction,
    /// The worst deadline misses (largest lateness; at most
    /// [`WORST_MISSES`]), in release order, with what delayed each job.
    #[serde(default)]
    pub misses: Vec<Miss>,
}

/// The analysis' prediction for one task, beside the measurement.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TaskPrediction {
    /// The worst-case response-time bound, in nanoseconds (`null`: none).
    pub wcrt_ns: Option<u64>,
    /// The analysis' verdict for the task: `true` proven to meet its
    /// deadline, `false` a miss proven (see `witness`), `null` not proven
    /// either way.
    pub schedulable: Option<bool>,
    /// With a proven miss: the job and release pattern that misses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
    /// The worst measured response minus `wcrt_ns`, when positive: the
    /// run exceeded the analysis' bound (its model did not hold: foreign
    /// work, overheads, an execution time above the WCET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceeded_ns: Option<u64>,
}

/// Results of one CPU.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CpuOutcome {
    /// OS CPU number.
    pub id: CpuId,
    /// Fraction of the run the CPU executed task jobs, in `[0, 1]`.
    pub busy_ratio: f64,
    /// Time it executed task jobs, in nanoseconds.
    #[serde(default)]
    pub busy_ns: u64,
    /// Live runs: where the CPU's time went (`null` in simulation).
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub usage: Option<CpuUsage>,
}

/// Where one CPU's time went during a live run, in nanoseconds. The parts
/// cover the run's length (within the precision of their sources: a
/// kernel trace, 1 µs; `/proc/stat`, 10 ms).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuUsage {
    /// rtlab's task threads.
    pub tasks_ns: u64,
    /// rtlab's `[[load]]` threads.
    pub load_ns: u64,
    /// Every other thread (other processes, kernel threads, rtlab's own
    /// helper threads).
    pub foreign_ns: u64,
    /// Hard and soft interrupt handlers.
    pub irq_ns: u64,
    /// Time the hypervisor ran something else on this virtual CPU.
    pub steal_ns: u64,
    /// Idle.
    pub idle_ns: u64,
    /// Where the figures come from: `"kernel-trace"` (sched_switch and
    /// irq tracepoints; steal from `/proc/stat`) or `"proc-stat"`.
    pub source: String,
}

impl CpuUsage {
    /// The usage of two runs one after the other (sources that differ
    /// are both named).
    pub fn merged(self, other: &CpuUsage) -> CpuUsage {
        CpuUsage {
            tasks_ns: self.tasks_ns.saturating_add(other.tasks_ns),
            load_ns: self.load_ns.saturating_add(other.load_ns),
            foreign_ns: self.foreign_ns.saturating_add(other.foreign_ns),
            irq_ns: self.irq_ns.saturating_add(other.irq_ns),
            steal_ns: self.steal_ns.saturating_add(other.steal_ns),
            idle_ns: self.idle_ns.saturating_add(other.idle_ns),
            source: if self.source == other.source {
                self.source
            } else {
                format!("{}+{}", self.source, other.source)
            },
        }
    }
}

/// Contention on one shared resource.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResourceOutcome {
    /// Resource name.
    pub name: String,
    /// Times it was locked.
    pub acquisitions: u64,
    /// Times a lock attempt found it held.
    pub contended: u64,
    /// Time from a lock attempt to getting the lock, per acquisition.
    pub wait: Metric,
    /// Time from getting the lock to releasing it, per acquisition.
    pub hold: Metric,
}

/// The trace written beside the result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TraceSummary {
    /// File name, relative to the result directory.
    pub file: String,
    /// Events written.
    pub events: u64,
    /// Events dropped (live: a full per-thread buffer).
    pub dropped: u64,
}

/// A deadlock among jobs: each waits for a resource held by the next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deadlock {
    /// When it was detected, in nanoseconds from the start (simulation: the
    /// instant it happened; live: within about 100 ms of it).
    pub at_ns: u64,
    /// The cycle: `task` waits for `resource`, held by the next entry's task.
    pub cycle: Vec<DeadlockEdge>,
}

/// One edge of a deadlock cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlockEdge {
    /// The waiting task.
    pub task: String,
    /// The resource it waits for.
    pub resource: String,
    /// The task holding it.
    pub held_by: String,
}

impl std::fmt::Display for Deadlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .cycle
            .iter()
            .map(|e| {
                format!(
                    "`{}` waits for `{}` held by `{}`",
                    e.task, e.resource, e.held_by
                )
            })
            .collect();
        write!(
            f,
            "deadlock at {}: {}",
            crate::time::Duration::from_nanos(self.at_ns),
            parts.join("; ")
        )
    }
}

/// Accumulates one task's results (counters, metrics, misses).
#[derive(Clone, Debug, Default)]
pub struct TaskStats {
    /// Jobs released before the end (skipped ones included).
    pub jobs: u64,
    /// Completed jobs.
    pub completed: u64,
    /// Unfinished jobs at the end.
    pub incomplete: u64,
    /// Missed deadlines (see [`TaskOutcome::deadline_misses`]).
    pub deadline_misses: u64,
    /// Skipped releases.
    pub skipped: u64,
    /// Aborted jobs.
    pub aborted: u64,
    /// Panicked jobs.
    pub faults: u64,
    /// Preemptions.
    pub preemptions: u64,
    /// Response times.
    pub response_time: Recorder,
    /// Release jitter.
    pub release_jitter: Recorder,
    /// Start delays.
    pub start_delay: Recorder,
    /// Tardiness.
    pub tardiness: Recorder,
    /// Blocking per job.
    pub blocking: Recorder,
    /// Smallest lateness seen.
    pub lateness_min: Option<i64>,
    /// Largest lateness seen.
    pub lateness_max: Option<i64>,
    /// The worst misses (at most [`WORST_MISSES`]).
    pub misses: Vec<Miss>,
}

impl TaskStats {
    /// Records a completed job: its response time and lateness (both from
    /// the nominal release, in nanoseconds).
    #[inline]
    pub fn complete(&mut self, response_ns: u64, lateness_ns: i64) {
        self.completed += 1;
        self.response_time.record(response_ns);
        self.tardiness
            .record(u64::try_from(lateness_ns).unwrap_or(0));
        self.lateness_min = Some(
            self.lateness_min
                .map_or(lateness_ns, |m| m.min(lateness_ns)),
        );
        self.lateness_max = Some(
            self.lateness_max
                .map_or(lateness_ns, |m| m.max(lateness_ns)),
        );
        if lateness_ns > 0 {
            self.deadline_misses += 1;
        }
    }

    /// Offers a miss with its causes; only the [`WORST_MISSES`] with the
    /// largest lateness are kept (ties: the earlier), in release order, so
    /// memory stays bounded however long the run.
    pub fn keep_miss(&mut self, miss: Miss) {
        if self.misses.len() == WORST_MISSES {
            // The least bad kept miss: smallest lateness, latest release.
            let Some((i, least)) = self
                .misses
                .iter()
                .enumerate()
                .min_by_key(|(_, m)| (m.lateness_ns, std::cmp::Reverse(m.release_ns)))
            else {
                return;
            };
            if (miss.lateness_ns, std::cmp::Reverse(miss.release_ns))
                <= (least.lateness_ns, std::cmp::Reverse(least.release_ns))
            {
                return;
            }
            self.misses.remove(i);
        }
        let at = self
            .misses
            .partition_point(|m| m.release_ns <= miss.release_ns);
        self.misses.insert(at, miss);
    }

    /// Adds another accumulator of the same task (live: one per thread).
    pub fn merge(&mut self, other: &TaskStats) -> Result<(), MetricError> {
        self.jobs += other.jobs;
        self.completed += other.completed;
        self.incomplete += other.incomplete;
        self.deadline_misses += other.deadline_misses;
        self.skipped += other.skipped;
        self.aborted += other.aborted;
        self.faults += other.faults;
        self.preemptions += other.preemptions;
        self.response_time.merge(&other.response_time)?;
        self.release_jitter.merge(&other.release_jitter)?;
        self.start_delay.merge(&other.start_delay)?;
        self.tardiness.merge(&other.tardiness)?;
        self.blocking.merge(&other.blocking)?;
        self.lateness_min = match (self.lateness_min, other.lateness_min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.lateness_max = match (self.lateness_max, other.lateness_max) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for m in &other.misses {
            self.keep_miss(m.clone());
        }
        Ok(())
    }

    /// The task's result, with the analysis' prediction beside it.
    pub fn into_outcome(self, task: &Task, prediction: TaskPrediction) -> TaskOutcome {
        TaskOutcome {
            name: task.name.clone(),
            cpu: task.cpu,
            priority: task.priority,
            period_ns: task.period.as_nanos(),
            deadline_ns: task.deadline.as_nanos(),
            wcet_ns: task.wcet.as_nanos(),
            jobs: self.jobs,
            completed: self.completed,
            incomplete: self.incomplete,
            deadline_misses: self.deadline_misses,
            skipped: self.skipped,
            aborted: self.aborted,
            faults: self.faults,
            preemptions: self.preemptions,
            response_time: self.response_time.summary(),
            release_jitter: self.release_jitter.summary(),
            start_delay: self.start_delay.summary(),
            tardiness: self.tardiness.summary(),
            blocking: self.blocking.summary(),
            lateness_min_ns: self.lateness_min,
            lateness_max_ns: self.lateness_max,
            analysis: prediction,
            misses: self.misses,
        }
    }
}

/// The per-task results of a run of `system` from its accumulators (task
/// order). The analysis' predictions are left empty: the caller, who
/// computes the analysis once per run, attaches them with
/// [`Outcome::attach_analysis`].
pub fn task_outcomes(system: &System, stats: Vec<TaskStats>) -> Vec<TaskOutcome> {
    stats
        .into_iter()
        .zip(&system.tasks)
        .map(|(s, task)| s.into_outcome(task, TaskPrediction::default()))
        .collect()
}

/// Per-task predictions from an analysis, in task order.
pub fn predictions(system: &System, analysis: &Analysis) -> Vec<TaskPrediction> {
    system
        .tasks
        .iter()
        .map(|t| {
            analysis
                .tasks
                .iter()
                .find(|a| a.name == t.name)
                .map_or_else(TaskPrediction::default, |a| TaskPrediction {
                    wcrt_ns: a.wcrt_ns,
                    schedulable: a.schedulable,
                    witness: a.witness.clone(),
                    exceeded_ns: None,
                })
        })
        .collect()
}

impl Outcome {
    /// Puts the analysis' prediction beside each task's measurement
    /// (`tasks[].analysis`); `system` is the one that ran.
    pub fn attach_analysis(&mut self, system: &System, analysis: &Analysis) {
        for (task, mut p) in self.tasks.iter_mut().zip(predictions(system, analysis)) {
            p.exceeded_ns = match (p.wcrt_ns, task.response_time.max_ns) {
                (Some(bound), Some(worst)) if worst > bound => Some(worst - bound),
                _ => None,
            };
            task.analysis = p;
        }
        for chain in &mut self.chains {
            let Some(v) = analysis.chains.iter().find(|v| v.name == chain.name) else {
                continue;
            };
            chain.analysis = Some(ChainPrediction {
                bound_ns: v.bound_ns,
                data_age_bound_ns: v.data_age_bound_ns.flatten(),
                method: v.method.to_string(),
                exceeded_ns: match (v.bound_ns, chain.end_to_end.max_ns) {
                    (Some(bound), Some(worst)) if worst > bound => Some(worst - bound),
                    _ => None,
                },
            });
        }
    }

    /// Total deadline misses over all tasks.
    pub fn deadline_misses(&self) -> u64 {
        self.tasks.iter().map(|t| t.deadline_misses).sum()
    }
}
