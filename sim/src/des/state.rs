//! The simulator's state: tasks with their queue of pending jobs, the
//! active (head) job of each task, CPUs and scheduling domains.
//!
//! Only the head job of a task can run, block or hold locks (jobs of one
//! task never run in parallel), so everything dynamic about a running job
//! lives once per task in [`Active`]; queued jobs are plain [`JobPlan`]s.

use std::cmp::Reverse;
use std::collections::VecDeque;

use rtlab_tasks::model::{CpuId, Task};

use super::charge::WaitLog;
use super::heap::IndexedHeap;
use crate::ledger::{Arrivals, JobCauses, JobPlan};

/// A job's place in the policy's order ([`crate::policy::key`]): smaller
/// is more urgent, distinct for distinct tasks.
pub(super) type Key = (u64, u64, usize);

/// Since when, and from which entry of its domain's [`WaitLog`], a ready
/// job's wait for a CPU is not yet charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Waiting {
    /// Absolute index of the log entry that covered `since`.
    pub(super) entry: u64,
    /// Start of the uncharged wait, in ns.
    pub(super) since: u64,
}

/// A wait for a CPU that is over and charged in total, but not yet split
/// among the tasks that ran (see `charge.rs`, "When waits are itemized").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    /// Absolute index of the log entry that covered `since`.
    pub(super) entry: u64,
    /// Start of the wait, in ns.
    pub(super) since: u64,
    /// End of the wait, in ns.
    pub(super) until: u64,
}

/// One step of a job's critical sections, at an execution time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Op {
    /// Execution time of the job at which it happens, in ns.
    pub(super) at: u64,
    /// Lock (true) or unlock (false).
    pub(super) lock: bool,
    /// The resource.
    pub(super) resource: usize,
}

/// The lock / unlock steps of a task in execution order
/// ([`Task::lock_steps`]), in integer nanoseconds.
pub(super) fn ops_of(task: &Task) -> Vec<Op> {
    task.lock_steps()
        .into_iter()
        .map(|s| Op {
            at: s.at.as_nanos(),
            lock: s.lock,
            resource: s.resource.0,
        })
        .collect()
}

/// Where the head job of a task is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Where {
    /// No job pending.
    Idle,
    /// Waiting for a CPU (in its domain's ready list).
    Ready,
    /// Running on a CPU (index into the engine's CPUs).
    Running(usize),
    /// Waiting for a resource.
    Blocked(usize),
    /// Its round-robin quantum ended: it rejoins the queue after this
    /// instant's releases.
    Requeue,
}

/// Dynamic state of a task's head job.
#[derive(Clone, Debug)]
pub(super) struct Active {
    /// Where it is.
    pub(super) at: Where,
    /// Execution done so far, in ns (up to the running CPU's `since`).
    pub(super) executed: u64,
    /// Index of the next lock / unlock step.
    pub(super) next_op: usize,
    /// Whether it has run at all.
    pub(super) started: bool,
    /// Effective priority (base, ceilings, inheritance).
    pub(super) priority: u32,
    /// Effective absolute deadline (own, or inherited under EDF).
    pub(super) deadline: u64,
    /// Round-robin queue position.
    pub(super) sequence: u64,
    /// Round-robin quantum left, in ns.
    pub(super) quantum_left: u64,
    /// Resources held, in locking order.
    pub(super) held: Vec<usize>,
    /// Where its time went so far (the ledger's partition).
    pub(super) causes: JobCauses,
    /// While it is ready: its wait not yet charged to `causes`.
    pub(super) waiting: Option<Waiting>,
    /// Its waits charged in total but not itemized, oldest first.
    pub(super) spans: Vec<Span>,
}

impl Active {
    pub(super) fn new() -> Self {
        Active {
            at: Where::Idle,
            executed: 0,
            next_op: 0,
            started: false,
            priority: 0,
            deadline: 0,
            sequence: 0,
            quantum_left: 0,
            held: Vec::new(),
            causes: JobCauses::default(),
            waiting: None,
            spans: Vec::new(),
        }
    }

    /// Clears the per-job fields for the next head job (buffers kept).
    pub(super) fn reset(&mut self) {
        self.at = Where::Idle;
        self.executed = 0;
        self.next_op = 0;
        self.started = false;
        self.held.clear();
        self.causes.clear();
        self.waiting = None;
        // `end_job` closes them (itemized or forgotten) and counts them
        // out of their domain; dropped here too, so that no span of one
        // job ever reaches the next one's causes.
        debug_assert!(self.spans.is_empty(), "spans closed when the job ended");
        self.spans.clear();
    }
}

/// Static and dynamic state of one task.
#[derive(Debug)]
pub(super) struct TaskState {
    /// Scheduling domain (index into the engine's domains).
    pub(super) domain: usize,
    /// Base priority.
    pub(super) priority: u32,
    /// Relative deadline, in ns (the stack resource policy's level).
    pub(super) rel_deadline: u64,
    /// Lock / unlock steps.
    pub(super) ops: Vec<Op>,
    /// Its releases and draws (the ledger's).
    pub(super) arrivals: Arrivals,
    /// Pending jobs, head first.
    pub(super) jobs: VecDeque<JobPlan>,
    /// The head job's dynamic state.
    pub(super) active: Active,
    /// The tasks each completion of this one releases a job of (`trigger`
    /// links), in task order.
    pub(super) triggers: Vec<usize>,
}

/// One CPU of the platform.
#[derive(Clone, Debug)]
pub(super) struct CpuState {
    /// OS CPU number.
    pub(super) id: CpuId,
    /// The task whose head job runs here.
    pub(super) running: Option<usize>,
    /// When the running job's current stretch began, in ns.
    pub(super) since: u64,
    /// When the running job next reaches an event, in ns (`u64::MAX`: idle).
    pub(super) next_event: u64,
    /// Execution time of task jobs so far, in ns.
    pub(super) busy: u64,
    /// Its scheduling domain (index into the engine's domains).
    pub(super) domain: usize,
}

/// A set of CPUs sharing one ready queue: one CPU (partitioned) or all
/// (global). Every query dispatch makes is a heap's top: O(log n) per
/// change, no scan of the ready jobs or of the CPUs.
#[derive(Clone, Debug)]
pub(super) struct Domain {
    /// Indices into the engine's CPUs, in platform order.
    pub(super) cpus: Vec<usize>,
    /// Its CPU, when it has only one: then `running` and `idle` are not
    /// kept (the CPU's own state answers), which keeps the common
    /// partitioned case as cheap as it was before the heaps.
    pub(super) only: Option<usize>,
    /// Tasks whose head job is ready, most urgent first.
    pub(super) ready: IndexedHeap<Key>,
    /// CPUs running a job, the least urgent job first (the one dispatch
    /// preempts, and the one a ready job waits behind).
    pub(super) running: IndexedHeap<Reverse<Key>>,
    /// Idle CPUs, the first in platform order first.
    pub(super) idle: IndexedHeap<usize>,
    /// Who its ready jobs waited behind, until they are charged.
    pub(super) log: WaitLog,
    /// [`Span`]s held by head jobs of its tasks: while there are any, the
    /// log keeps its entries.
    pub(super) spanned: usize,
}

impl Domain {
    /// A domain of `cpus` (all idle) for `tasks` tasks and `all_cpus`
    /// CPUs in the platform.
    pub(super) fn new(cpus: Vec<usize>, tasks: usize, all_cpus: usize) -> Self {
        let mut idle = IndexedHeap::new(all_cpus);
        for &c in &cpus {
            idle.set(c, c);
        }
        Domain {
            only: match cpus.as_slice() {
                [c] => Some(*c),
                _ => None,
            },
            cpus,
            ready: IndexedHeap::new(tasks),
            running: IndexedHeap::new(all_cpus),
            idle,
            log: WaitLog::new(),
            spanned: 0,
        }
    }
}

/// How a head job ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// It completed its execution.
    Complete,
    /// It panicked (fault injection).
    Fault,
    /// It was aborted at its deadline.
    Abort,
}
