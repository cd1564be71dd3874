//! One task's thread: releases at absolute times, jobs that burn their
//! execution time on the thread's CPU clock and take real locks, and the
//! ledger's records of every job, kept by the thread in its own book (no
//! shared lock on the hot path).
//!
//! Choices (documented in docs/live.md):
//! - Releases are nominal: job `k` is released at `start + offset + k T`.
//!   A release found while the previous job still runs waits for it
//!   (`overrun = "queue"`: the wait shows in
//!   `start_delay`) or is skipped (`"skip"`).
//! - `release_jitter` is the wake-up latency: when the thread woke minus
//!   the nominal release. A queued job (released while its predecessor
//!   ran) records none: no wake-up happened. (The config's
//!   `release_jitter` is for simulation only.)
//! - A job burns its drawn execution time as CPU time of the thread; a gap
//!   of more than [`PREEMPTION_GAP_NS`] in its execution counts as a
//!   preemption.
//! - `blocking` is the time spent waiting for locks held by a known task.
//! - A miss's parts: the wake-up latency, queueing behind the previous job,
//!   the job's own CPU time, lock waits by resource and holder, and the
//!   rest as `unexplained_ns` (the thread was runnable and did not run).
//! - A job that completes at or after the run's end is unfinished, as in
//!   the simulator (the thread saw the end a little late).
//! - A triggered task's jobs come from its trigger's tokens
//!   ([`super::pipes`], `triggered.rs`); a completion sends its tokens
//!   and publishes its register before anything else.

mod timed;
mod triggered;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;

use crossbeam::queue::ArrayQueue;

use rtlab_tasks::model::{CpuId, ResourceId, TaskId};
use rtlab_tasks::outcome::DelayKind;
use rtlab_tasks::outcome::trace::{EventKind, JobEvent};

use super::clock;
use super::locks::{Mutex, NO_OWNER, Wait};
use super::pipes::{Kind, Links, Log};
use super::recording;
use super::spans::{Peer, Spans};
use super::thread::{self, Class};
use super::watchdog::{Control, InjectedFault, NOT_WAITING};
use crate::ledger::{Arrivals, JobCauses, JobPlan, ResourceBook, TaskBook};
use timed::wait_for_release;

/// A gap longer than this (ns) between two readings of the clocks while a
/// job burns means the thread was not running: a preemption.
pub(crate) const PREEMPTION_GAP_NS: u64 = 20_000;

/// What a task thread does, prepared by the runner.
pub(crate) struct TaskPlan {
    /// Position of the task in the config.
    pub(crate) index: usize,
    /// Lock steps: (execution time in ns, lock?, resource).
    pub(crate) steps: Vec<(u64, bool, usize)>,
    /// Drop releases that find the previous job unfinished.
    pub(crate) skip_overruns: bool,
    /// Abort a job at its deadline.
    pub(crate) abort_on_miss: bool,
    /// Busy-wait this long before each release, ns.
    pub(crate) spin_tail: u64,
    /// Non-preemptive dispatching: the class a job runs in (SCHED_FIFO at
    /// the top priority of the tasks sharing its CPUs), and the thread's
    /// own class to return to after it.
    pub(crate) non_preemptive: Option<(Class, Class)>,
    /// The tasks that keep this one off its CPU while they run, most
    /// urgent first: their time is not its wake-up latency.
    pub(crate) peers: Vec<Peer>,
    /// Per resource, how holding it raises this thread's priority.
    pub(crate) boosts: Vec<Boost>,
    /// Every task's OS priority (for inheritance from its waiters).
    pub(crate) priorities: Vec<u8>,
    /// The task's releases and draws (the ledger's, as in the simulator:
    /// same seed, same execution times).
    pub(crate) arrivals: Arrivals,
    /// Its ends of the pipeline links (set by the runner).
    pub(crate) links: Links,
}

/// How holding a resource raises a thread above its own priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Boost {
    /// It does not (a plain mutex, or a ceiling at its own priority).
    None,
    /// To this ceiling, from the lock to the unlock.
    Ceiling(u8),
    /// To its most urgent waiter's priority, while one waits.
    Inherit,
}

/// What a task thread hands back.
pub(crate) struct TaskResult {
    /// What it recorded of its jobs.
    pub(crate) book: TaskBook,
    /// Its view of the resources.
    pub(crate) resources: Vec<ResourceBook>,
    /// CPU time the thread used, ns.
    pub(crate) cpu_ns: u64,
    /// Trace events dropped because the buffer was full.
    pub(crate) dropped: u64,
    /// The first lock call that failed (resource, error), and how many
    /// did (each ended its job as a fault).
    pub(crate) lock_errors: Option<(usize, String, u64)>,
    /// The thread's kernel id (TID), to find it in a kernel trace.
    pub(crate) tid: u32,
    /// Its chain events, if the task is a stage of a chain.
    pub(crate) chain_log: Option<Log>,
}

/// How a job ended.
enum End {
    Completed(u64),
    Aborted(u64),
    Halted,
    Fault,
}

/// Why burning stopped early.
enum Stop {
    Abort,
    Halt,
    /// A lock call failed: the job ends as a fault.
    LockFailed,
}

/// The thread's state while it runs jobs.
struct Runner<'a> {
    plan: &'a TaskPlan,
    control: &'a Control,
    mutexes: &'a [Mutex],
    spans: &'a Spans,
    trace: Option<&'a ArrayQueue<JobEvent>>,
    dropped: u64,
    lock_errors: Option<(usize, String, u64)>,
    book: TaskBook,
    resources: Vec<ResourceBook>,
    /// The current job's causes.
    causes: JobCauses,
    job: u64,
    deadline_abs: u64,
    /// Since when the thread has been busy for its peers' books (its job
    /// and the bookkeeping after it, until it sleeps), CLOCK_MONOTONIC ns.
    busy_since: Option<u64>,
    /// When the last job ended (completed, aborted, faulted), ns.
    last_end: u64,
    /// The pipeline links and the chain log.
    links: Links,
}

/// Held locks, released (innermost first) when dropped: on a fault's
/// unwinding, an abort or a halt.
struct Held<'a> {
    mutexes: &'a [Mutex],
    stack: Vec<usize>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        while let Some(r) = self.stack.pop() {
            self.mutexes[r].unlock();
        }
    }
}

impl Runner<'_> {
    fn emit(&mut self, time_ns: u64, kind: EventKind) {
        let Some(q) = self.trace else { return };
        // SAFETY: sched_getcpu has no preconditions.
        let cpu = unsafe { libc::sched_getcpu() };
        let event = JobEvent {
            time_ns: time_ns.saturating_sub(self.control.start),
            task: TaskId(self.plan.index),
            job: self.job,
            cpu: CpuId::try_from(cpu).ok(),
            kind,
        };
        if q.push(event).is_err() {
            self.dropped += 1;
        }
    }

    /// Burns CPU time until the thread's clock reaches `target`.
    fn burn_until(&mut self, target: u64) -> Result<(), Stop> {
        let mut last = clock::now();
        loop {
            if clock::thread_cpu() >= target {
                return Ok(());
            }
            let wall = clock::now();
            if wall - last > PREEMPTION_GAP_NS {
                self.book.preempted();
                self.emit(last, EventKind::Preempt);
                self.emit(wall, EventKind::Resume);
            }
            last = wall;
            if self.control.halt.load(Ordering::Relaxed) {
                return Err(Stop::Halt);
            }
            if self.plan.abort_on_miss && wall >= self.deadline_abs {
                return Err(Stop::Abort);
            }
        }
    }

    fn lock(&mut self, r: usize, held: &mut Held<'_>) -> Result<(), Stop> {
        let m = &self.mutexes[r];
        let t0 = clock::now();
        let contended = match m.try_lock() {
            Ok(ours) => !ours,
            Err(e) => return Err(self.lock_failed(r, &e)),
        };
        if contended {
            let holder = m.owner.load(Ordering::Acquire);
            self.resources[r].contended();
            self.spans.waiting(self.plan.index, t0.max(1));
            self.control.waiting[self.plan.index].store(r, Ordering::Release);
            self.emit(
                t0,
                EventKind::Block {
                    resource: ResourceId(r),
                },
            );
            let halt = &self.control.halt;
            let until = if self.plan.abort_on_miss {
                self.deadline_abs
            } else {
                u64::MAX
            };
            let result = m.lock(until, || halt.load(Ordering::Relaxed));
            self.control.waiting[self.plan.index].store(NOT_WAITING, Ordering::Release);
            self.spans.waiting(self.plan.index, 0);
            match result {
                Ok(Wait::Locked) => {}
                Err(e) => return Err(self.lock_failed(r, &e)),
                Ok(Wait::GaveUp) => {
                    self.charge_wait(r, holder, clock::now() - t0);
                    return Err(if halt.load(Ordering::Relaxed) {
                        Stop::Halt
                    } else {
                        Stop::Abort
                    });
                }
            }
            let now = clock::now();
            self.charge_wait(r, holder, now - t0);
            self.emit(
                now,
                EventKind::Unblock {
                    resource: ResourceId(r),
                },
            );
        }
        let now = clock::now();
        m.owner.store(self.plan.index, Ordering::Release);
        held.stack.push(r);
        self.resources[r].acquired(now - t0);
        self.emit(
            now,
            EventKind::Lock {
                resource: ResourceId(r),
            },
        );
        Ok(())
    }

    fn unlock(&mut self, r: usize, held: &mut Held<'_>, locked_at: u64) {
        if let Some(pos) = held.stack.iter().rposition(|&h| h == r) {
            held.stack.remove(pos);
        }
        let now = clock::now();
        self.resources[r].released(now.saturating_sub(locked_at));
        self.publish_boost(r, locked_at, now);
        self.mutexes[r].unlock();
        self.emit(
            now,
            EventKind::Unlock {
                resource: ResourceId(r),
            },
        );
    }

    /// One job: `exec` ns of CPU time with its lock steps and maybe a fault
    /// half way.
    fn job(&mut self, exec: u64, fault_at: Option<u64>) -> End {
        let cpu0 = clock::thread_cpu();
        let steps = self.plan.steps.clone();
        let mutexes = self.mutexes;
        let body = catch_unwind(AssertUnwindSafe(|| {
            let mut held = Held {
                mutexes,
                stack: Vec::new(),
            };
            let mut locked_at = vec![0u64; mutexes.len()];
            let mut fault_pending = fault_at;
            for &(at, lock, r) in &steps {
                if let Some(f) = fault_pending
                    && (f < at || (f == at && lock))
                {
                    self.burn_until(cpu0 + f)?;
                    std::panic::panic_any(InjectedFault);
                }
                self.burn_until(cpu0 + at)?;
                if lock {
                    self.lock(r, &mut held)?;
                    locked_at[r] = clock::now();
                } else {
                    self.unlock(r, &mut held, locked_at[r]);
                }
            }
            if let Some(f) = fault_pending.take() {
                self.burn_until(cpu0 + f)?;
                std::panic::panic_any(InjectedFault);
            }
            self.burn_until(cpu0 + exec)?;
            Ok::<u64, Stop>(clock::now())
        }));
        self.causes.executed = clock::thread_cpu().saturating_sub(cpu0);
        match body {
            Ok(Ok(end)) => End::Completed(end),
            Ok(Err(Stop::Abort)) => End::Aborted(clock::now()),
            Ok(Err(Stop::Halt)) => End::Halted,
            Ok(Err(Stop::LockFailed)) | Err(_) => End::Fault,
        }
    }

    /// Publishes the time this thread ran above its own priority while
    /// holding `r` (locked at `locked_at`, unlocked `now`): under a
    /// ceiling, all of it; under inheritance, from the start of the wait
    /// of its most urgent waiter still waiting (read before the unlock
    /// hands the lock over).
    fn publish_boost(&self, r: usize, locked_at: u64, now: u64) {
        let i = self.plan.index;
        match self.plan.boosts[r] {
            Boost::None => {}
            Boost::Ceiling(c) => self.spans.boosted(i, locked_at, now, c),
            Boost::Inherit => {
                let own = self.plan.priorities[i];
                let waiters = (0..self.plan.priorities.len()).filter(|&w| {
                    self.plan.priorities[w] > own
                        && self.control.waiting[w].load(Ordering::Acquire) == r
                });
                let boost = waiters
                    .filter_map(|w| Some((self.spans.waiting_since(w)?, self.plan.priorities[w])))
                    .fold(None, |acc: Option<(u64, u8)>, (since, p)| match acc {
                        Some((s, q)) => Some((s.min(since), q.max(p))),
                        None => Some((since, p)),
                    });
                if let Some((since, p)) = boost {
                    self.spans.boosted(i, since.max(locked_at), now, p);
                }
            }
        }
    }

    /// Records a failed lock call on `r`: the job ends as a fault and the
    /// run warns (never an abort, whatever `on_miss` says).
    fn lock_failed(&mut self, r: usize, e: &std::io::Error) -> Stop {
        match &mut self.lock_errors {
            Some((_, _, n)) => *n += 1,
            None => self.lock_errors = Some((r, e.to_string(), 1)),
        }
        Stop::LockFailed
    }

    /// Charges `waited` ns of a lock wait on `r` to its holder (a wait
    /// whose holder was not seen stays unexplained).
    fn charge_wait(&mut self, r: usize, holder: usize, waited: u64) {
        if holder != NO_OWNER {
            self.causes
                .block(r, holder, None, DelayKind::Blocking, waited);
        }
    }

    /// Closes the current job's partition at `end` (CLOCK_MONOTONIC, ns):
    /// what was not measured is unexplained.
    fn settle(&mut self, nominal: u64, end: u64) {
        let total = end.saturating_sub(nominal);
        self.causes.unexplained = total.saturating_sub(self.causes.total());
    }
}

/// The body of a task thread, after its setup, from the common start to the
/// end of the run.
pub(crate) fn run_task(
    plan: &mut TaskPlan,
    control: &Control,
    mutexes: &[Mutex],
    spans: &Spans,
    trace: Option<&ArrayQueue<JobEvent>>,
    book: TaskBook,
    resources: Vec<ResourceBook>,
) -> TaskResult {
    let mut arrivals = plan.arrivals.clone();
    let mut links = std::mem::take(&mut plan.links);
    let input = links.input.take();
    let mut runner = Runner {
        plan: &*plan,
        control,
        mutexes,
        spans,
        trace,
        dropped: 0,
        lock_errors: None,
        book,
        resources,
        causes: JobCauses::default(),
        job: 0,
        deadline_abs: 0,
        busy_since: None,
        last_end: 0,
        links,
    };
    let held = match &input {
        Some(tokens) => runner.triggered(&mut arrivals, tokens),
        None => {
            runner.timed(&mut arrivals);
            None
        }
    };
    // Releases due before the run ended that never ran (the thread was
    // still busy, or the run was stopped) are incomplete jobs, as in the
    // simulator; misses if their deadline had passed.
    runner.idle();
    // No release left before the end: wait for it, so that the thread's
    // exit (about 100 µs of kernel work here) does not delay a peer's job
    // inside the run.
    wait_for_release(control.end, 0, control, || {});
    let end = control.ended_at().saturating_sub(control.start);
    match &input {
        Some(tokens) => runner.drain(&mut arrivals, tokens, held, end),
        None => {
            runner.log_unreleased(&arrivals, end);
            runner.book.unreleased(&arrivals, end, true);
        }
    }
    // Dropping the links ends the triggered threads' drains.
    TaskResult {
        book: runner.book,
        resources: runner.resources,
        cpu_ns: clock::thread_cpu(),
        dropped: runner.dropped,
        lock_errors: runner.lock_errors,
        tid: thread::tid(),
        chain_log: runner.links.log.take(),
    }
}

impl Runner<'_> {
    /// Runs released `job` (nominal release at `nominal`, CLOCK_MONOTONIC)
    /// and records it. Returns false when the run ended during it.
    fn run_job(&mut self, job: &JobPlan, nominal: u64, queued: bool, woke: u64) -> bool {
        let run_start = self.control.start;
        self.job = job.k;
        self.causes.clear();
        // The wake-up latency: the delay to running, less the time peers
        // ran meanwhile (theirs, charged to them).
        let mut jitter = woke;
        if !queued {
            let (by, total) = self
                .spans
                .charged(&self.plan.peers, nominal, nominal + woke);
            jitter = woke.saturating_sub(total);
            for (peer, ns) in by {
                self.causes.wait(peer.task, peer.kind, ns);
            }
        }
        recording::release(&mut self.book, (!queued).then_some(jitter));
        self.emit(nominal, EventKind::Release);
        let _raised = self.plan.non_preemptive.map(Raised::new);
        // Registers read before the start timestamp: what was read
        // completed no later than the job started.
        let reads = self.links.read();
        let started = recording::start(&mut self.book, job, run_start);
        self.links.log(
            job.k,
            started.saturating_sub(run_start),
            Kind::Started(reads),
        );
        self.busy(started);
        self.emit(started, EventKind::Start);
        self.deadline_abs = run_start.saturating_add(job.deadline);
        self.causes.release_jitter = jitter;
        if queued {
            self.causes.queued = started.saturating_sub(nominal);
        }
        let mut end = self.job(job.exec, job.fault_at);
        if let End::Completed(at) = end {
            if at >= self.control.ended_at() {
                end = End::Halted;
            } else {
                self.links.completed(job.k, at.saturating_sub(run_start));
            }
        }
        self.last_end = match end {
            End::Completed(at) | End::Aborted(at) => at,
            End::Fault | End::Halted => clock::now(),
        };
        match end {
            End::Completed(end) => {
                self.links
                    .log(job.k, end.saturating_sub(run_start), Kind::Completed);
                self.settle(nominal, end);
                let lateness =
                    recording::complete(&mut self.book, job, run_start, end, &self.causes);
                self.emit(end, EventKind::Complete);
                if lateness > 0 {
                    self.emit(self.deadline_abs, EventKind::Miss);
                }
            }
            End::Aborted(at) => {
                self.links
                    .log(job.k, at.saturating_sub(run_start), Kind::Dropped);
                self.settle(nominal, at);
                self.book.aborted(job, &self.causes);
                self.emit(at, EventKind::Abort);
                self.emit(self.deadline_abs, EventKind::Miss);
            }
            End::Fault => {
                let at = self.last_end.saturating_sub(run_start);
                self.links.log(job.k, at, Kind::Dropped);
                self.book.faulted();
                self.emit(clock::now(), EventKind::Fault);
            }
            End::Halted => {
                // Still running when the run ended: incomplete, and a miss
                // if its deadline had passed.
                let end = self.control.ended_at();
                self.settle(nominal, end);
                let end = end.saturating_sub(run_start);
                self.links.log(job.k, end, Kind::Dropped);
                self.book.unfinished(job, end, true, &self.causes);
                return false;
            }
        }
        true
    }
}

impl Runner<'_> {
    /// The thread is busy from `at` (a job starts): its peers' wake-ups
    /// do not count the time. A job that follows a queued one without a
    /// sleep closes the previous window first.
    fn busy(&mut self, at: u64) {
        if let Some(since) = self.busy_since.replace(at) {
            self.spans.ended(self.plan.index, since, at);
        }
        self.spans.started(self.plan.index, at);
    }

    /// The thread is about to sleep (or to end): its busy window, the job
    /// and the bookkeeping after it, is published for its peers.
    fn idle(&mut self) {
        if let Some(since) = self.busy_since.take() {
            self.spans.ended(self.plan.index, since, clock::now());
        }
    }
}

/// A job raised to its CPU's top priority (non-preemptive dispatching),
/// back to the thread's own class when dropped: at the job's end, however
/// it ends. Raised before the job's start is recorded, so that no other
/// task runs between the start and the raise.
struct Raised {
    own: Class,
}

impl Raised {
    fn new((during, own): (Class, Class)) -> Self {
        // A failure leaves the job preemptible; the same call succeeded
        // for the thread's own class at setup, at a priority this process
        // may use (the probe tried the top one).
        let _ = thread::set_class(during);
        Raised { own }
    }
}

impl Drop for Raised {
    fn drop(&mut self) {
        let _ = thread::set_class(self.own);
    }
}
