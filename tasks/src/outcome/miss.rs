//! One missed deadline and why: the partition of the job's time.
//!
//! A [`Miss`] splits the time from the job's nominal release to its
//! completion (a late job), its abort, or the end of the run (an unfinished
//! job) into parts that add up exactly, in simulation:
//!
//! ```text
//! release_jitter_ns + queued_ns + executed_ns
//!     + Σ waited_for[].ns + Σ blocked_on[].ns + Σ interference[].ns
//!     + unexplained_ns
//! ```
//!
//! - `release_jitter_ns`: from the nominal release until the job was ready
//!   (simulation: the injected jitter; live: the wake-up latency);
//! - `queued_ns`: ready, but behind its own task's previous job;
//! - `executed_ns`: the job's own execution;
//! - `waited_for`: ready for a CPU while another task ran on it, by task
//!   and kind (more urgent work, or a priority inversion);
//! - `blocked_on`: waiting for a resource, by resource, holder, the task
//!   that ran on the job's CPU meanwhile, and kind;
//! - `interference`: live only, what ran on the job's CPU while it was
//!   runnable and not running, or interrupted it, that is not an rtlab
//!   task: other threads, interrupt handlers, `[[load]]` threads (from a
//!   kernel trace of the run);
//! - `unexplained_ns`: live only, time the engine could not attribute
//!   (the thread was runnable and did not run); always 0 in simulation.

use serde::{Deserialize, Serialize};

/// How a missed job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissKind {
    /// Completed after its deadline.
    Late,
    /// Aborted at its deadline.
    Aborted,
    /// Still unfinished at the end of the run, its deadline passed.
    Incomplete,
}

/// One missed deadline and its causes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Miss {
    /// Job number of the task, from 0.
    pub job: u64,
    /// Nominal release, in nanoseconds from the start.
    pub release_ns: u64,
    /// Absolute deadline, in nanoseconds from the start.
    pub deadline_ns: u64,
    /// Completion time, if it completed.
    pub finish_ns: Option<u64>,
    /// How late: completion (or the end of the run) minus the deadline.
    pub lateness_ns: u64,
    /// How it ended.
    pub kind: MissKind,
    /// From the nominal release until the job was ready, in nanoseconds
    /// (simulation: the injected release jitter; live: the wake-up
    /// latency).
    #[serde(default)]
    pub release_jitter_ns: u64,
    /// Time ready while another task ran on a CPU the job could use, by
    /// task and kind (largest first). Under global placement each instant
    /// is charged to one task: the least urgent one running, which is the
    /// one the job would have displaced.
    #[serde(default)]
    pub waited_for: Vec<Delay>,
    /// Time waiting for a resource, by resource, holder and the task that
    /// ran meanwhile (largest first).
    #[serde(default)]
    pub blocked_on: Vec<Delay>,
    /// Time waiting for its own task's previous job (overrun queueing),
    /// in nanoseconds.
    #[serde(default)]
    pub queued_ns: u64,
    /// The job's own execution, in nanoseconds.
    #[serde(default)]
    pub executed_ns: u64,
    /// Live only: time taken from the job by work that is not an rtlab
    /// task (other threads, interrupts, `[[load]]` threads), by source
    /// (largest first); empty in simulation and without a kernel trace.
    #[serde(default)]
    pub interference: Vec<Interference>,
    /// Time not attributed to any part, in nanoseconds: live only (the
    /// thread was runnable but did not run and no trace says who ran, or
    /// its CPU was taken by the hypervisor); 0 in simulation, where the
    /// parts are exact.
    #[serde(default)]
    pub unexplained_ns: u64,
}

/// What kind of work an [`Interference`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InterferenceKind {
    /// A thread of another process (or a kernel thread, or one of rtlab's
    /// own helper threads).
    Thread,
    /// A hard interrupt handler.
    Irq,
    /// A soft interrupt handler.
    Softirq,
    /// The hypervisor ran something else on the virtual CPU.
    Steal,
    /// One of the config's `[[load]]` threads.
    Load,
    /// An rtlab task, counted here only where `waited_for` cannot hold it.
    Task,
}

impl InterferenceKind {
    /// The kind as written in `result.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            InterferenceKind::Thread => "thread",
            InterferenceKind::Irq => "irq",
            InterferenceKind::Softirq => "softirq",
            InterferenceKind::Steal => "steal",
            InterferenceKind::Load => "load",
            InterferenceKind::Task => "task",
        }
    }
}

/// Time a job lost to one foreign source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interference {
    /// Who: `"intruder (pid 4242, SCHED_FIFO 95)"`, `"irq 11 virtio0"`,
    /// `"softirq TIMER"`, `"load 0"`.
    pub source: String,
    /// What kind of work it is.
    pub kind: InterferenceKind,
    /// How long, in nanoseconds.
    pub ns: u64,
}

impl Miss {
    /// The sum of the parts: the job's time from its nominal release to
    /// its completion, abort or the end of the run, in nanoseconds.
    pub fn explained_ns(&self) -> u64 {
        let delays = |d: &[Delay]| d.iter().map(|x| x.ns).sum::<u64>();
        self.release_jitter_ns
            + self.queued_ns
            + self.executed_ns
            + delays(&self.waited_for)
            + delays(&self.blocked_on)
            + self.interference.iter().map(|x| x.ns).sum::<u64>()
            + self.unexplained_ns
    }

    /// True if a less urgent task delayed the job (a priority inversion).
    pub fn has_priority_inversion(&self) -> bool {
        self.waited_for
            .iter()
            .chain(&self.blocked_on)
            .any(|d| d.kind == DelayKind::PriorityInversion)
    }
}

/// What kind of delay a [`Delay`] is.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum DelayKind {
    /// More urgent (or equally urgent, earlier) work ran: the scheduling
    /// policy working as configured.
    #[default]
    Interference,
    /// A less urgent task ran while the job waited: priority inversion
    /// (a task boosted by a ceiling or inheritance, a non-preemptive job,
    /// or, while the job was blocked, a task that preempted the holder).
    PriorityInversion,
    /// The job waited for a resource while its holder ran (or while no
    /// task ran on the job's CPU).
    Blocking,
}

impl DelayKind {
    /// The kind as written in `result.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            DelayKind::Interference => "interference",
            DelayKind::PriorityInversion => "priority-inversion",
            DelayKind::Blocking => "blocking",
        }
    }
}

/// A delay attributed to a task (and for blocking, a resource).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delay {
    /// In `waited_for`, the task that ran; in `blocked_on`, the task that
    /// held the resource.
    pub task: String,
    /// The resource waited for, for blocking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// In `blocked_on`: the task that ran on the job's CPU meanwhile (the
    /// holder itself, or a task that kept the holder off it); absent when
    /// none ran there or it is not known (live).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ran: Option<String>,
    /// What kind of delay it is.
    #[serde(default)]
    pub kind: DelayKind,
    /// How long, in nanoseconds.
    pub ns: u64,
}
