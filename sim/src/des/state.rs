//! The simulator's state: tasks with their queue of pending jobs, the
//! active (head) job of each task, CPUs and scheduling domains.
//!
//! Only the head job of a task can run, block or hold locks (jobs of one
//! task never run in parallel), so everything dynamic about a running job
//! lives once per task in [`Active`]; queued jobs are plain [`Job`]s.

use std::collections::VecDeque;

use rtlab_tasks::model::{CpuId, Task};
use rtlab_tasks::outcome::TaskStats;

use crate::rng::TaskRng;

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

/// A released job waiting in its task's queue (or the head).
#[derive(Clone, Copy, Debug)]
pub(super) struct Job {
    /// Job number of the task, from 0.
    pub(super) k: u64,
    /// Nominal release, in ns.
    pub(super) release: u64,
    /// Ready time (release plus jitter), in ns.
    pub(super) ready: u64,
    /// Absolute deadline, in ns.
    pub(super) deadline: u64,
    /// Execution time drawn for it, in ns.
    pub(super) exec: u64,
    /// Execution time at which it panics (fault injection).
    pub(super) fault_at: Option<u64>,
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
    /// When it blocked (valid while blocked).
    pub(super) blocked_since: u64,
    /// Blocking so far (blocked time plus inversion), in ns.
    pub(super) blocking: u64,
    /// Resources held, in locking order.
    pub(super) held: Vec<usize>,
    /// Time ready or blocked while another task ran in its domain: (task,
    /// ns).
    pub(super) waited: Vec<(usize, u64)>,
    /// Time blocked, by (resource, holder task): ns.
    pub(super) blocked_on: Vec<((usize, usize), u64)>,
    /// Time spent queued behind its own task's previous job, in ns.
    pub(super) queued: u64,
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
            blocked_since: 0,
            blocking: 0,
            held: Vec::new(),
            waited: Vec::new(),
            blocked_on: Vec::new(),
            queued: 0,
        }
    }

    /// Clears the per-job fields for the next head job (buffers kept).
    pub(super) fn reset(&mut self) {
        self.at = Where::Idle;
        self.executed = 0;
        self.next_op = 0;
        self.started = false;
        self.blocking = 0;
        self.held.clear();
        self.waited.clear();
        self.blocked_on.clear();
        self.queued = 0;
    }
}

/// Static and dynamic state of one task.
#[derive(Debug)]
pub(super) struct TaskState {
    /// Scheduling domain (index into the engine's domains).
    pub(super) domain: usize,
    /// Base priority.
    pub(super) priority: u32,
    /// Period, relative deadline, offset, WCET, in ns.
    pub(super) period: u64,
    pub(super) rel_deadline: u64,
    pub(super) wcet: u64,
    /// Lock / unlock steps.
    pub(super) ops: Vec<Op>,
    /// Every Nth job panics (0 = never).
    pub(super) panic_every: u64,
    /// The random stream.
    pub(super) rng: TaskRng,
    /// Whether draws can be skipped.
    pub(super) deterministic: bool,
    /// Job number and nominal release of the next release (in the heap).
    pub(super) next_k: u64,
    pub(super) next_release: u64,
    /// Pending jobs, head first.
    pub(super) jobs: VecDeque<Job>,
    /// The head job's dynamic state.
    pub(super) active: Active,
    /// Results so far.
    pub(super) stats: TaskStats,
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
}

/// A set of CPUs sharing one ready queue: one CPU (partitioned) or all
/// (global).
#[derive(Clone, Debug, Default)]
pub(super) struct Domain {
    /// Indices into the engine's CPUs.
    pub(super) cpus: Vec<usize>,
    /// Tasks whose head job is ready.
    pub(super) ready: Vec<usize>,
}

/// Adds `ns` to the entry for `key` in a small association list.
#[inline]
pub(super) fn add_to<K: PartialEq + Copy>(list: &mut Vec<(K, u64)>, key: K, ns: u64) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, v)) => *v += ns,
        None => list.push((key, ns)),
    }
}
