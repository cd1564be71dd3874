//! One task's thread: releases at absolute times, jobs that burn their
//! execution time on the thread's CPU clock and take real locks, and the
//! statistics of every job, kept by the thread itself (no shared lock on the
//! hot path).
//!
//! Choices (documented in docs/live.md):
//! - Releases are nominal: job `k` is released at `start + offset + k T`.
//!   A release found while the previous job still runs waits for it
//!   (`overrun = "queue"`: cyclictest's catch-up, the wait shows in
//!   `start_delay`) or is skipped (`"skip"`).
//! - `release_jitter` is the wake-up latency: when the thread woke minus
//!   the nominal release (0 for a queued job, which was ready at its
//!   release; the config's `release_jitter` is for simulation only).
//! - A job burns its drawn execution time as CPU time of the thread; a gap
//!   of more than [`PREEMPTION_GAP_NS`] in its execution counts as a
//!   preemption.
//! - `blocking` is the time spent waiting for locks.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::Ordering;

use crossbeam::queue::ArrayQueue;

use rtlab_tasks::model::{CpuId, ResourceId, TaskId};
use rtlab_tasks::outcome::metrics::Recorder;
use rtlab_tasks::outcome::trace::{EventKind, JobEvent};
use rtlab_tasks::outcome::{Delay, Miss, MissKind, TaskStats};

use super::clock;
use super::locks::{Mutex, NO_OWNER, Wait};
use super::recording;
use super::watchdog::{Control, InjectedFault, NOT_WAITING};
use crate::rng::TaskRng;

/// A gap longer than this (ns) between two readings of the clocks while a
/// job burns means the thread was not running: a preemption.
pub(crate) const PREEMPTION_GAP_NS: u64 = 20_000;

/// What a task thread does, prepared by the runner.
pub(crate) struct TaskPlan {
    /// Position of the task in the config.
    pub(crate) index: usize,
    /// Period, relative deadline, offset, in ns.
    pub(crate) period: u64,
    pub(crate) deadline: u64,
    pub(crate) offset: u64,
    /// Lock steps: (execution time in ns, lock?, resource).
    pub(crate) steps: Vec<(u64, bool, usize)>,
    /// Every Nth job panics (0 = never).
    pub(crate) panic_every: u64,
    /// Drop releases that find the previous job unfinished.
    pub(crate) skip_overruns: bool,
    /// Abort a job at its deadline.
    pub(crate) abort_on_miss: bool,
    /// Busy-wait this long before each release, ns.
    pub(crate) spin_tail: u64,
    /// The task's random stream (the simulator's, same seed: same draws).
    pub(crate) rng: TaskRng,
}

/// Contention on one resource seen by one thread.
#[derive(Clone, Debug, Default)]
pub(crate) struct ResourceStats {
    pub(crate) acquisitions: u64,
    pub(crate) contended: u64,
    pub(crate) wait: Recorder,
    pub(crate) hold: Recorder,
}

/// What a task thread hands back.
pub(crate) struct TaskResult {
    pub(crate) stats: TaskStats,
    pub(crate) resources: Vec<ResourceStats>,
    /// CPU time the thread used, ns.
    pub(crate) cpu_ns: u64,
    /// Trace events dropped because the buffer was full.
    pub(crate) dropped: u64,
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
}

/// The thread's state while it runs jobs.
struct Runner<'a> {
    plan: &'a TaskPlan,
    control: &'a Control,
    mutexes: &'a [Mutex],
    trace: Option<&'a ArrayQueue<JobEvent>>,
    dropped: u64,
    resources: Vec<ResourceStats>,
    /// Per job: preemptions seen, blocking, blocked-on delays.
    job_blocking: u64,
    job_blocked_on: Vec<(usize, usize, u64)>,
    job: u64,
    deadline_abs: u64,
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
    fn burn_until(&mut self, target: u64, stats: &mut TaskStats) -> Result<(), Stop> {
        let mut last = clock::now();
        loop {
            if clock::thread_cpu() >= target {
                return Ok(());
            }
            let wall = clock::now();
            if wall - last > PREEMPTION_GAP_NS {
                stats.preemptions += 1;
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
        let contended = !m.try_lock();
        if contended {
            let holder = m.owner.load(Ordering::Acquire);
            self.resources[r].contended += 1;
            self.control.waiting[self.plan.index].store(r, Ordering::Release);
            self.emit(
                t0,
                EventKind::Block {
                    resource: ResourceId(r),
                },
            );
            let halt = &self.control.halt;
            let (abort, deadline) = (self.plan.abort_on_miss, self.deadline_abs);
            let result =
                m.lock(|| halt.load(Ordering::Relaxed) || (abort && clock::now() >= deadline));
            self.control.waiting[self.plan.index].store(NOT_WAITING, Ordering::Release);
            match result {
                Ok(Wait::Locked) => {}
                Ok(Wait::GaveUp) | Err(_) => {
                    let waited = clock::now() - t0;
                    self.job_blocking += waited;
                    return Err(if halt.load(Ordering::Relaxed) {
                        Stop::Halt
                    } else {
                        Stop::Abort
                    });
                }
            }
            let now = clock::now();
            let waited = now - t0;
            self.job_blocking += waited;
            if holder != NO_OWNER {
                match self
                    .job_blocked_on
                    .iter_mut()
                    .find(|(res, h, _)| *res == r && *h == holder)
                {
                    Some(e) => e.2 += waited,
                    None => self.job_blocked_on.push((r, holder, waited)),
                }
            }
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
        let stats = &mut self.resources[r];
        stats.acquisitions += 1;
        stats.wait.record(now - t0);
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
        self.resources[r].hold.record(now.saturating_sub(locked_at));
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
    fn job(&mut self, exec: u64, fault: bool, stats: &mut TaskStats) -> End {
        let cpu0 = clock::thread_cpu();
        let fault_at = fault.then_some(exec / 2);
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
                    self.burn_until(cpu0 + f, stats)?;
                    std::panic::panic_any(InjectedFault);
                }
                self.burn_until(cpu0 + at, stats)?;
                if lock {
                    self.lock(r, &mut held)?;
                    locked_at[r] = clock::now();
                } else {
                    self.unlock(r, &mut held, locked_at[r]);
                }
            }
            if let Some(f) = fault_pending.take() {
                self.burn_until(cpu0 + f, stats)?;
                std::panic::panic_any(InjectedFault);
            }
            self.burn_until(cpu0 + exec, stats)?;
            Ok::<u64, Stop>(clock::now())
        }));
        match body {
            Ok(Ok(end)) => End::Completed(end),
            Ok(Err(Stop::Abort)) => End::Aborted(clock::now()),
            Ok(Err(Stop::Halt)) => End::Halted,
            Err(_) => End::Fault,
        }
    }

    fn miss(
        &self,
        job: u64,
        release: u64,
        finish: Option<u64>,
        lateness: u64,
        kind: MissKind,
        queued: u64,
    ) -> Miss {
        let names = &self.control.task_names;
        let start = self.control.start;
        let mut blocked_on: Vec<Delay> = self
            .job_blocked_on
            .iter()
            .map(|&(r, holder, ns)| Delay {
                task: names.get(holder).cloned().unwrap_or_default(),
                resource: Some(self.control.resource_names[r].clone()),
                ns,
            })
            .collect();
        blocked_on.sort_by(|a, b| b.ns.cmp(&a.ns).then_with(|| a.task.cmp(&b.task)));
        Miss {
            job,
            release_ns: release - start,
            deadline_ns: release - start + self.plan.deadline,
            finish_ns: finish.map(|f| f - start),
            lateness_ns: lateness,
            kind,
            waited_for: Vec::new(),
            blocked_on,
            queued_ns: queued,
        }
    }
}

/// The body of a task thread, after its setup, from the common start to the
/// end of the run.
pub(crate) fn run_task(
    plan: &mut TaskPlan,
    control: &Control,
    mutexes: &[Mutex],
    trace: Option<&ArrayQueue<JobEvent>>,
) -> TaskResult {
    let mut stats = TaskStats::default();
    let mut runner = Runner {
        plan: &*plan,
        control,
        mutexes,
        trace,
        dropped: 0,
        resources: vec![ResourceStats::default(); mutexes.len()],
        job_blocking: 0,
        job_blocked_on: Vec::new(),
        job: 0,
        deadline_abs: 0,
    };
    // The simulator draws the first release's jitter at the start; the live
    // engine does not use it but draws it too, so that job k gets the same
    // execution time in both engines.
    let mut rng = plan.rng.clone();
    let _ = rng.jitter();
    let base = control.start + plan.offset;
    let mut k: u64 = 0;
    loop {
        let nominal = base.saturating_add(k.saturating_mul(plan.period));
        if nominal >= control.end || control.stop.load(Ordering::Relaxed) {
            break;
        }
        // Per release, in the simulator's order: this job's execution
        // time, then the next release's jitter (unused live).
        let exec = rng.execution();
        if nominal.saturating_add(plan.period) < control.end {
            let _ = rng.jitter();
        }
        runner.job = k;
        let queued = k > 0 && clock::now() > nominal;
        if queued && plan.skip_overruns {
            stats.jobs += 1;
            stats.skipped += 1;
            runner.emit(nominal, EventKind::Skip);
            k += 1;
            continue;
        }
        let jitter = if queued {
            0
        } else {
            wait_for_release(nominal, plan.spin_tail, control);
            if control.stop.load(Ordering::Relaxed) {
                break;
            }
            recording::woke(nominal)
        };
        recording::release(&mut stats, jitter);
        runner.emit(nominal, EventKind::Release);
        let start = recording::start(&mut stats, nominal);
        runner.emit(start, EventKind::Start);
        runner.deadline_abs = nominal + plan.deadline;
        runner.job_blocking = 0;
        runner.job_blocked_on.clear();
        let fault = plan.panic_every > 0 && (k + 1).is_multiple_of(plan.panic_every);
        let queued_ns = if queued { start - nominal } else { 0 };
        k += 1;
        match runner.job(exec, fault, &mut stats) {
            End::Completed(end) => {
                let lateness = recording::complete(
                    &mut stats,
                    nominal,
                    runner.deadline_abs,
                    end,
                    runner.job_blocking,
                );
                runner.emit(end, EventKind::Complete);
                if lateness > 0 {
                    runner.emit(runner.deadline_abs, EventKind::Miss);
                    let m = runner.miss(
                        k - 1,
                        nominal,
                        Some(end),
                        lateness as u64,
                        MissKind::Late,
                        queued_ns,
                    );
                    stats.keep_miss(m);
                }
            }
            End::Aborted(at) => {
                stats.aborted += 1;
                stats.deadline_misses += 1;
                runner.emit(at, EventKind::Abort);
                runner.emit(runner.deadline_abs, EventKind::Miss);
                let m = runner.miss(k - 1, nominal, None, 0, MissKind::Aborted, queued_ns);
                stats.keep_miss(m);
            }
            End::Fault => {
                stats.faults += 1;
                runner.emit(clock::now(), EventKind::Fault);
            }
            End::Halted => {
                // Still running when the run ended: incomplete, and a miss
                // if its deadline had passed.
                stats.incomplete += 1;
                let end = control.ended_at();
                if runner.deadline_abs <= end {
                    stats.deadline_misses += 1;
                    let late = end - runner.deadline_abs;
                    let m =
                        runner.miss(k - 1, nominal, None, late, MissKind::Incomplete, queued_ns);
                    stats.keep_miss(m);
                }
                break;
            }
        }
    }
    // Releases due before the run ended that never ran (the thread was
    // still busy, or the run was stopped) are incomplete jobs, as in the
    // simulator; misses if their deadline had passed.
    let end = control.ended_at();
    loop {
        let nominal = base.saturating_add(k.saturating_mul(plan.period));
        if nominal >= end {
            break;
        }
        stats.jobs += 1;
        stats.incomplete += 1;
        if nominal + plan.deadline <= end {
            stats.deadline_misses += 1;
        }
        k += 1;
    }
    TaskResult {
        stats,
        resources: runner.resources,
        cpu_ns: clock::thread_cpu(),
        dropped: runner.dropped,
    }
}

/// Sleeps until `release` (absolute, CLOCK_MONOTONIC), spinning for the last
/// `spin_tail` ns; long sleeps are cut into slices so that a stop is seen
/// within 200 ms.
fn wait_for_release(release: u64, spin_tail: u64, control: &Control) {
    const SLICE: u64 = 200_000_000;
    let wake = release.saturating_sub(spin_tail);
    loop {
        let now = clock::now();
        if now >= wake || control.stop.load(Ordering::Relaxed) {
            break;
        }
        let target = if wake - now > SLICE {
            now + SLICE
        } else {
            wake
        };
        clock::sleep_until(target);
    }
    while spin_tail > 0 && clock::now() < release && !control.stop.load(Ordering::Relaxed) {
        std::hint::spin_loop();
    }
}
