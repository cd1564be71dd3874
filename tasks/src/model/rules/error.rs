//! [`ModelError`]: one broken rule of a system, naming what it concerns.

use super::{CpuId, MAX_CPU, MAX_PRIORITY};
use crate::time::Duration;

/// One broken rule of a [`System`](crate::model::System), naming the task it concerns.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The system has no task.
    #[error("the system has no task")]
    NoTasks,
    /// The platform lists no CPU.
    #[error("the platform has no CPU")]
    NoCpus,
    /// A platform CPU number at or above [`MAX_CPU`].
    #[error("platform CPU {cpu} is not a CPU number from 0 to {}", MAX_CPU - 1)]
    CpuOutOfRange {
        /// The CPU number.
        cpu: CpuId,
    },
    /// The platform lists a CPU twice.
    #[error("the platform names CPU {cpu} twice")]
    DuplicateCpu {
        /// The CPU number.
        cpu: CpuId,
    },
    /// The horizon / run length is zero.
    #[error("the duration must be greater than 0")]
    ZeroDuration,
    /// The round-robin quantum is zero.
    #[error("the quantum must be greater than 0")]
    ZeroQuantum,
    /// A task name that cannot name files and threads.
    #[error(
        "\"{name}\" is not a usable task name (letters, digits, '-', '_' or '.', at most 64, not starting with '.')"
    )]
    BadTaskName {
        /// The name.
        name: String,
    },
    /// Two tasks share a name.
    #[error("duplicate task name `{name}`")]
    DuplicateTask {
        /// The repeated name.
        name: String,
    },
    /// A period, WCET or deadline of zero.
    #[error("task `{task}`: {field} must be greater than 0")]
    NotPositive {
        /// The task.
        task: String,
        /// `period`, `wcet` or `deadline`.
        field: &'static str,
    },
    /// The WCET exceeds the deadline: the task can never meet it.
    #[error("task `{task}`: wcet {wcet} is longer than its deadline {deadline}")]
    WcetExceedsDeadline {
        /// The task.
        task: String,
        /// Its WCET.
        wcet: Duration,
        /// Its relative deadline.
        deadline: Duration,
    },
    /// A partitioned task's CPU is not in the platform.
    #[error("task `{task}` is placed on CPU {cpu}, which is not in platform.cpus {platform:?}")]
    UnknownCpu {
        /// The task.
        task: String,
        /// The CPU it names.
        cpu: u64,
        /// The platform's CPUs.
        platform: Vec<CpuId>,
    },
    /// Explicit priorities, and a task without one (priority 0 in a built
    /// system).
    #[error("task `{task}` has no `priority`, but scheduler.priorities is \"explicit\"")]
    MissingPriority {
        /// The task.
        task: String,
    },
    /// An explicit priority outside `1..=99`.
    #[error("task `{task}`: priority {priority} is not from 1 to {MAX_PRIORITY}")]
    PriorityOutOfRange {
        /// The task.
        task: String,
        /// The priority given.
        priority: i64,
    },
    /// A critical section held for no time.
    #[error("task `{task}`: the section on `{resource}` must hold it for more than 0")]
    EmptySection {
        /// The task.
        task: String,
        /// The section's resource.
        resource: String,
    },
    /// `after + hold` does not fit in 64-bit nanoseconds.
    #[error("task `{task}`: the end of the section on `{resource}` overflows")]
    SectionOverflow {
        /// The task.
        task: String,
        /// The section's resource.
        resource: String,
    },
    /// A critical section ends after the WCET.
    #[error("task `{task}`: section on `{resource}` ends at {end}, after the wcet {wcet}")]
    SectionDoesNotFit {
        /// The task.
        task: String,
        /// The section's resource.
        resource: String,
        /// `after + hold`.
        end: Duration,
        /// The task's WCET.
        wcet: Duration,
    },
    /// Two sections of one task overlap without one containing the other.
    #[error("task `{task}`: sections on `{a}` and `{b}` overlap without nesting")]
    SectionsOverlap {
        /// The task.
        task: String,
        /// The resource of the section that starts first.
        a: String,
        /// The resource of the other one.
        b: String,
    },
    /// A section locks a resource inside a section that already holds it.
    #[error(
        "task `{task}` locks `{resource}` inside a section that already holds it (self-deadlock)"
    )]
    SelfNested {
        /// The task.
        task: String,
        /// The resource.
        resource: String,
    },
    /// A section's resource id is not an index of `System::resources`.
    #[error("task `{task}`: a section names resource #{index}, which the system does not have")]
    UnknownResource {
        /// The task.
        task: String,
        /// The id.
        index: usize,
    },
    /// An execution-model time of zero (`min`, `mean`, `low`).
    #[error("task `{task}`: execution `{field}` must be greater than 0")]
    ExecutionNotPositive {
        /// The task.
        task: String,
        /// The field of the execution model.
        field: &'static str,
    },
    /// An execution-model time above the WCET.
    #[error("task `{task}`: execution `{field}` ({value}) must not exceed the wcet ({wcet})")]
    ExecutionAboveWcet {
        /// The task.
        task: String,
        /// The field of the execution model.
        field: &'static str,
        /// Its value.
        value: Duration,
        /// The task's WCET.
        wcet: Duration,
    },
    /// The short end of an execution model above its long end.
    #[error("task `{task}`: execution `{field}` ({value}) must not exceed {limit_field} ({limit})")]
    ExecutionOrder {
        /// The task.
        task: String,
        /// `min` or `low`.
        field: &'static str,
        /// Its value.
        value: Duration,
        /// `max` or `high`.
        limit_field: &'static str,
        /// Their value.
        limit: Duration,
    },
    /// A sporadic or Poisson `min` of zero.
    #[error("task `{task}`: arrival `min` must be greater than 0")]
    ArrivalNotPositive {
        /// The task.
        task: String,
    },
    /// A sporadic `min` above its `max`, or a Poisson `min` above its
    /// `mean`.
    #[error("task `{task}`: arrival `min` ({min}) must not exceed `{limit_field}` ({limit})")]
    ArrivalOrder {
        /// The task.
        task: String,
        /// The shortest gap.
        min: Duration,
        /// `max` or `mean`.
        limit_field: &'static str,
        /// Its value.
        limit: Duration,
    },
    /// A sporadic or Poisson task whose period is not its minimum gap.
    #[error(
        "task `{task}`: period {period} differs from arrival `min` {min}, the minimum \
         inter-arrival time that stands for the period"
    )]
    PeriodNotMinGap {
        /// The task.
        task: String,
        /// Its period.
        period: Duration,
        /// The arrival model's `min`.
        min: Duration,
    },
    /// A `trigger` or `reads` entry that names the task itself or no task.
    #[error("task `{task}` links to task #{index}, which is itself or does not exist")]
    BadLink {
        /// The task.
        task: String,
        /// The index it names.
        index: usize,
    },
    /// Trigger links that come back to the task.
    #[error("task `{task}`: its trigger links form a cycle, so no job would ever be released")]
    TriggerCycle {
        /// The task.
        task: String,
    },
    /// A triggered task with an arrival model, offset or release jitter of
    /// its own.
    #[error(
        "task `{task}` is triggered: its releases are its trigger's completions, so it takes no \
         arrival model, offset or release jitter"
    )]
    TriggeredTiming {
        /// The task.
        task: String,
    },
    /// A triggered task whose period is not its source's.
    #[error(
        "task `{task}`: a triggered task's period ({period}) must be its trigger source's ({source_period})"
    )]
    TriggeredPeriod {
        /// The task.
        task: String,
        /// Its period.
        period: Duration,
        /// The source's period.
        source_period: Duration,
    },
    /// A chain with a bad name, too few or unknown tasks, a repeated name
    /// or a zero deadline.
    #[error("chain `{chain}` {problem}")]
    BadChain {
        /// The chain.
        chain: String,
        /// What is wrong, as a predicate.
        problem: String,
    },
    /// Two consecutive tasks of a chain that no trigger or register links.
    #[error("chain `{chain}`: `{to}` neither is triggered by nor reads `{from}`")]
    ChainNotLinked {
        /// The chain.
        chain: String,
        /// The earlier stage.
        from: String,
        /// The later stage.
        to: String,
    },
    /// A bimodal `p_high` outside `[0, 1]`.
    #[error("task `{task}`: execution `p_high` is a probability, from 0 to 1, found {p_high}")]
    Probability {
        /// The task.
        task: String,
        /// The value given.
        p_high: f64,
    },
}

impl ModelError {
    /// The task the problem concerns, if it concerns one.
    pub fn task(&self) -> Option<&str> {
        use ModelError::*;
        match self {
            NoTasks
            | NoCpus
            | CpuOutOfRange { .. }
            | DuplicateCpu { .. }
            | ZeroDuration
            | ZeroQuantum => None,
            BadTaskName { name } | DuplicateTask { name } => Some(name),
            NotPositive { task, .. }
            | WcetExceedsDeadline { task, .. }
            | UnknownCpu { task, .. }
            | MissingPriority { task }
            | PriorityOutOfRange { task, .. }
            | EmptySection { task, .. }
            | SectionOverflow { task, .. }
            | SectionDoesNotFit { task, .. }
            | SectionsOverlap { task, .. }
            | SelfNested { task, .. }
            | UnknownResource { task, .. }
            | ExecutionNotPositive { task, .. }
            | ExecutionAboveWcet { task, .. }
            | ExecutionOrder { task, .. }
            | Probability { task, .. }
            | ArrivalNotPositive { task }
            | ArrivalOrder { task, .. }
            | PeriodNotMinGap { task, .. }
            | BadLink { task, .. }
            | TriggerCycle { task }
            | TriggeredTiming { task }
            | TriggeredPeriod { task, .. } => Some(task),
            BadChain { .. } | ChainNotLinked { .. } => None,
        }
    }
}
