//! The validated model of one configuration.
//!
//! A [`System`] is what a config file means once [`crate::config`] has read
//! and checked it, or what [`SystemBuilder::try_build`] makes in code. Both
//! doors end in one function (`model/finish.rs`) that checks the rules of
//! `model/rules.rs` and does the bookkeeping (resource ids, default CPUs,
//! priorities), so that one task set gives one system either way. Its
//! invariants hold for every value made through them, and engines rely on
//! them without re-checking:
//!
//! - at least one task and one CPU; task and resource names are unique;
//! - every period is > 0 and `0 < wcet <= deadline` for every task
//!   (`deadline > period` is allowed: arbitrary deadlines);
//! - every task has a priority, the order it ends up with after
//!   `scheduler.priorities` was applied (higher = more urgent, distinct for
//!   derived orders, `1..=99` for explicit ones);
//! - under partitioned placement every task has a CPU from `platform.cpus`
//!   (given in the file or chosen by worst-fit decreasing, see
//!   [`crate::config`]); under global placement no task has one;
//! - critical sections lie within `[0, wcet]` of their task's execution, are
//!   properly nested or disjoint, and never nest a resource inside itself;
//! - `tasks[i].id == TaskId(i)` and `resources[r].id == ResourceId(r)`.

use serde::Serialize;

use crate::time::Duration;

/// Index of a task in [`System::tasks`] (its order in the config file).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct TaskId(pub usize);

/// Index of a resource in [`System::resources`] (order of first use).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
pub struct ResourceId(pub usize);

/// An operating-system CPU number, as `taskset` and `/proc/cpuinfo` count.
pub type CpuId = u32;

/// A scheduling priority: higher means more urgent.
///
/// Explicit priorities are taken from the file (1..=99, the range Linux
/// SCHED_FIFO accepts). Derived orders number the tasks 1 (least urgent)
/// to n (most urgent).
pub type Priority = u32;

/// A validated configuration: the task set and how it is scheduled.
#[derive(Clone, Debug, Serialize)]
pub struct System {
    /// The config's name (`[a-z0-9-]+`), used for output directories.
    pub name: String,
    /// What the config teaches, as written in the file.
    pub description: String,
    /// Horizon of `simulate` and length of `run`.
    pub duration: Duration,
    /// Root of every random choice (execution times, jitter).
    pub seed: u64,
    /// The CPUs the task set may use.
    pub platform: Platform,
    /// The scheduling policy and its options.
    pub scheduler: Scheduler,
    /// Settings of the live engine.
    pub live: Live,
    /// The periodic tasks, in file order.
    #[serde(rename = "task")]
    pub tasks: Vec<Task>,
    /// Shared resources, in order of first use in `sections`.
    #[serde(skip)]
    pub resources: Vec<Resource>,
    /// Background interference for the live engine.
    #[serde(rename = "load")]
    pub loads: Vec<Load>,
    /// Chains of linked tasks, in file order.
    #[serde(rename = "chain", skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<Chain>,
}

/// The processors of the platform.
#[derive(Clone, Debug, Serialize)]
pub struct Platform {
    /// OS CPU numbers, distinct, in file order; never empty.
    pub cpus: Vec<CpuId>,
}

/// How jobs are ordered on the CPUs.
#[derive(Clone, Debug, Serialize)]
pub struct Scheduler {
    /// The dispatching rule.
    pub policy: Policy,
    /// Whether a more urgent job takes the CPU from a running one.
    pub preemptive: bool,
    /// How task priorities were obtained.
    pub priorities: PriorityOrder,
    /// Per-CPU queues or one global queue.
    pub placement: Placement,
    /// Time slice of round-robin (also recorded for other policies, unused).
    pub quantum: Duration,
    /// Protocol of the mutexes guarding shared resources.
    pub locking: Locking,
    /// What a release does when the task's previous job is unfinished.
    pub overrun: Overrun,
    /// What happens to a job still running at its deadline.
    pub on_miss: OnMiss,
}

/// The dispatching rule.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Highest priority first.
    FixedPriority,
    /// Earliest absolute deadline first.
    Edf,
    /// First released, first served (no priorities).
    Fifo,
    /// First released, first served, each job runs at most one quantum
    /// before going to the back of the queue.
    RoundRobin,
}

/// Where task priorities come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriorityOrder {
    /// Shorter period = higher priority (ties: file order).
    RateMonotonic,
    /// Shorter relative deadline = higher priority (ties: file order).
    DeadlineMonotonic,
    /// Audsley's optimal priority assignment with the response-time test
    /// (deadline-monotonic when no feasible order exists).
    Audsley,
    /// Each task's `priority` field.
    Explicit,
}

/// Processor placement of the tasks.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Each task bound to one CPU, one scheduler per CPU.
    Partitioned,
    /// One queue, any task on any CPU of the platform.
    Global,
}

/// Mutex protocol for critical sections.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Locking {
    /// Plain mutexes: priority inversion is unbounded.
    None,
    /// Priority inheritance (POSIX PTHREAD_PRIO_INHERIT).
    Inherit,
    /// Immediate priority ceiling (POSIX PTHREAD_PRIO_PROTECT).
    Ceiling,
}

/// What a release does when the task's previous job has not finished.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overrun {
    /// The new job waits behind the old one (jobs of a task never overlap).
    Queue,
    /// The new job is dropped and counted as skipped.
    Skip,
}

/// What happens to a job still running at its deadline.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnMiss {
    /// It runs to completion (what the analyses assume).
    Continue,
    /// It is aborted at its deadline and counted as aborted.
    Abort,
}

/// Settings of the live engine (`rtlab run`).
#[derive(Clone, Debug, Serialize)]
pub struct Live {
    /// The Linux scheduling class of the task threads.
    pub os_policy: OsPolicy,
    /// Highest OS priority handed out when priorities are derived (1..=99).
    pub priority_top: u8,
    /// Busy-wait this long before each release instead of sleeping.
    pub spin_tail: Duration,
    /// Lock all memory (`mlockall`) for the run.
    pub lock_memory: bool,
    /// Trace the kernel's scheduler and interrupt events on the task CPUs
    /// during the run, to name what else took a missed job's time (about
    /// 1 µs more wake-up latency at the median on this kind of VM).
    pub kernel_trace: bool,
}

/// A Linux scheduling class.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OsPolicy {
    /// SCHED_FIFO.
    Fifo,
    /// SCHED_RR.
    Rr,
    /// SCHED_DEADLINE (runtime = WCET, deadline, period).
    Deadline,
    /// SCHED_OTHER (the default fair class).
    Other,
}

/// One task: periodic, or sporadic with its period the minimum gap.
#[derive(Clone, Debug, Serialize)]
pub struct Task {
    /// Position in [`System::tasks`].
    #[serde(skip)]
    pub id: TaskId,
    /// Unique name (also the live thread's name, first 15 bytes).
    pub name: String,
    /// Time between releases, > 0.
    pub period: Duration,
    /// Worst-case execution time, `0 < wcet <= deadline`.
    pub wcet: Duration,
    /// Relative deadline (from release).
    pub deadline: Duration,
    /// First release time, from the common start.
    pub offset: Duration,
    /// Effective priority (higher = more urgent), see [`Priority`].
    pub priority: Priority,
    /// The CPU of a partitioned task; `None` under global placement.
    pub cpu: Option<CpuId>,
    /// True when `cpu` was chosen by the worst-fit partitioner.
    #[serde(skip)]
    pub cpu_auto: bool,
    /// How each job's execution time is drawn.
    pub execution: Execution,
    /// How jobs arrive. Not periodic: `period` is the minimum gap
    /// ([`Arrival::min_gap`]). Left out of the serialized task when
    /// periodic.
    #[serde(skip_serializing_if = "Arrival::is_periodic")]
    pub arrival: Arrival,
    /// The task whose completions release this one's jobs (`trigger`);
    /// its period is then its trigger source's ([`System::trigger_source`]).
    #[serde(skip)]
    pub trigger: Option<TaskId>,
    /// The tasks whose latest completed value each job reads when it
    /// starts (`reads`: registers), in file order.
    #[serde(skip)]
    pub reads: Vec<TaskId>,
    /// Simulation only: each release is late by up to this much.
    pub release_jitter: Duration,
    /// Critical sections, in order of their start in the job's execution.
    pub sections: Vec<Section>,
    /// Fault injection.
    pub faults: Faults,
}

/// One step of a job's critical sections: a lock or unlock at a point of
/// the job's execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockStep {
    /// Execution time of the job at which it happens.
    pub at: Duration,
    /// Lock (true) or unlock (false).
    pub lock: bool,
    /// The resource.
    pub resource: ResourceId,
}

impl Task {
    /// The lock and unlock steps of a job, in execution order: by position;
    /// at one position unlocks before locks, inner sections unlocked before
    /// outer ones and outer sections locked before inner ones. Both engines
    /// follow this order.
    pub fn lock_steps(&self) -> Vec<LockStep> {
        let mut steps = Vec::with_capacity(self.sections.len() * 2);
        for s in &self.sections {
            let (after, hold, end) = (s.after.as_nanos(), s.hold.as_nanos(), s.end().as_nanos());
            // Sort keys: locks of longer (outer) sections first; unlocks of
            // later-starting (inner) sections first, then of shorter ones.
            steps.push((
                (after, 1u8, u64::MAX - hold, 0),
                LockStep {
                    at: s.after,
                    lock: true,
                    resource: s.resource,
                },
            ));
            steps.push((
                (end, 0u8, u64::MAX - after, hold),
                LockStep {
                    at: s.end(),
                    lock: false,
                    resource: s.resource,
                },
            ));
        }
        steps.sort_by_key(|&(key, _)| key);
        steps.into_iter().map(|(_, step)| step).collect()
    }

    /// `wcet / period`.
    pub fn utilization(&self) -> f64 {
        self.wcet.ratio(self.period)
    }

    /// `wcet / min(deadline, period)`.
    pub fn density(&self) -> f64 {
        self.wcet.ratio(self.deadline.min(self.period))
    }

    /// The longest execution time a job of this task can draw, in
    /// nanoseconds: the WCET unless the execution model stops short of it
    /// (`uniform` with `max < wcet`, `bimodal` whose long mode is shorter or
    /// never drawn). Analyses whose worst case needs every job at its WCET
    /// are exact only when this is the WCET.
    pub fn longest_execution(&self) -> Duration {
        match self.execution {
            Execution::Constant => self.wcet,
            Execution::Normal { mean, stddev } if stddev.is_zero() => mean.min(self.wcet),
            Execution::Normal { .. } => self.wcet,
            Execution::Uniform { max, .. } => max.min(self.wcet),
            Execution::Bimodal { low, high, p_high } => {
                if p_high > 0.0 { high } else { low }.min(self.wcet)
            }
        }
    }
}

/// Distribution of a job's execution time. Every model yields values in
/// `(0, wcet]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum Execution {
    /// Always the WCET.
    Constant,
    /// Uniform over `[min, max]`, `0 < min <= max <= wcet`.
    Uniform {
        /// Shortest execution time.
        min: Duration,
        /// Longest execution time (the WCET unless given).
        max: Duration,
    },
    /// Normal with this mean and standard deviation, clamped to `(0, wcet]`.
    Normal {
        /// Mean execution time, `<= wcet`.
        mean: Duration,
        /// Standard deviation.
        stddev: Duration,
    },
    /// `high` with probability `p_high`, else `low`.
    Bimodal {
        /// The usual (short) execution time, `> 0`.
        low: Duration,
        /// The rare (long) execution time, `low <= high <= wcet`.
        high: Duration,
        /// Probability of `high`, in `[0, 1]`.
        p_high: f64,
    },
}

/// A critical section of a task's job, in execution time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The resource locked.
    #[serde(skip)]
    pub resource: ResourceId,
    /// Execution time of the job before the lock is taken.
    pub after: Duration,
    /// Execution time spent holding the lock, > 0.
    pub hold: Duration,
}

impl Section {
    /// Execution time at which the lock is released (`after + hold`).
    pub fn end(&self) -> Duration {
        // The model invariant `after + hold <= wcet` means this cannot overflow.
        Duration::from_nanos(self.after.as_nanos().saturating_add(self.hold.as_nanos()))
    }

    /// True if `other` lies within `self` (and is not `self`'s own span).
    pub fn contains(&self, other: &Section) -> bool {
        self.after <= other.after && other.end() <= self.end()
    }
}

/// Fault injection settings of a task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Faults {
    /// Every Nth job panics (0 = never).
    pub panic_every: u64,
}

/// A shared resource (a mutex), named in some task's `sections`.
#[derive(Clone, Debug, Serialize)]
pub struct Resource {
    /// Position in [`System::resources`].
    pub id: ResourceId,
    /// Name as written in `sections`.
    pub name: String,
    /// Tasks that lock it, in task order, each once.
    pub users: Vec<TaskId>,
}

/// Background interference of the live engine.
#[derive(Clone, Debug, Serialize)]
pub struct Load {
    /// What the interference does.
    pub kind: LoadKind,
    /// CPUs it runs on (one thread per CPU).
    pub cpus: Vec<CpuId>,
    /// Fraction of each `period` spent busy, in `(0, 1]`.
    pub duty: f64,
    /// Length of one busy + idle cycle.
    pub period: Duration,
}

/// The kind of interference a [`Load`] generates.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoadKind {
    /// Integer arithmetic in a loop.
    Cpu,
    /// Streaming writes over a buffer larger than the caches.
    Memory,
    /// Cheap system calls in a loop (kernel entry/exit pressure).
    Syscalls,
}

impl System {
    /// The task with this name.
    pub fn task(&self, name: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.name == name)
    }

    /// Total utilization `sum(wcet / period)` of all tasks.
    pub fn utilization(&self) -> f64 {
        self.tasks.iter().map(Task::utilization).sum()
    }

    /// The tasks placed on `cpu` (partitioned placement); all tasks under
    /// global placement.
    pub fn tasks_on(&self, cpu: CpuId) -> impl Iterator<Item = &Task> + '_ {
        self.tasks
            .iter()
            .filter(move |t| t.cpu.is_none_or(|c| c == cpu))
    }

    /// Immediate-ceiling priority of a resource: the highest priority of its
    /// users (0 when unused).
    pub fn ceiling(&self, resource: ResourceId) -> Priority {
        self.resources[resource.0]
            .users
            .iter()
            .map(|t| self.tasks[t.0].priority)
            .max()
            .unwrap_or(0)
    }

    /// The name of a resource.
    pub fn resource_name(&self, resource: ResourceId) -> &str {
        &self.resources[resource.0].name
    }
}

impl Policy {
    /// The config spelling of the policy.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::FixedPriority => "fixed-priority",
            Policy::Edf => "edf",
            Policy::Fifo => "fifo",
            Policy::RoundRobin => "round-robin",
        }
    }

    /// The OS policy the live engine uses when `live.os_policy` is not given.
    pub fn default_os_policy(self) -> OsPolicy {
        match self {
            Policy::FixedPriority | Policy::Fifo => OsPolicy::Fifo,
            Policy::Edf => OsPolicy::Deadline,
            Policy::RoundRobin => OsPolicy::Rr,
        }
    }
}

impl PriorityOrder {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PriorityOrder::RateMonotonic => "rate-monotonic",
            PriorityOrder::DeadlineMonotonic => "deadline-monotonic",
            PriorityOrder::Audsley => "audsley",
            PriorityOrder::Explicit => "explicit",
        }
    }
}

impl Locking {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Locking::None => "none",
            Locking::Inherit => "inherit",
            Locking::Ceiling => "ceiling",
        }
    }
}

impl OsPolicy {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OsPolicy::Fifo => "fifo",
            OsPolicy::Rr => "rr",
            OsPolicy::Deadline => "deadline",
            OsPolicy::Other => "other",
        }
    }
}

mod arrival;
mod build;
mod chain;
mod finish;
mod lock_order;
pub(crate) mod partition;
pub(crate) mod rules;
pub use arrival::Arrival;
pub(crate) use arrival::check as arrival_rules;
pub use build::{BuildError, SystemBuilder};
pub(crate) use chain::trigger_source;
pub use chain::{Chain, Link};
pub(crate) use finish::{finish, index_resources};
pub use lock_order::{LockCycle, lock_order_cycles};
pub use rules::{MAX_CPU, MAX_PRIORITY, ModelError};
