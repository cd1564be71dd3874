//! A live run from start to end: prepare the machine, start every thread
//! at one common instant, watch the clock, Ctrl-C and deadlocks, stop on
//! time, collect the threads' books into the ledger. CPU figures are in
//! `usage.rs`.

mod chains;
mod kernel;
mod usage;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration as StdDuration;

use crossbeam::channel::{self, Receiver, Sender};
use crossbeam::queue::ArrayQueue;

use rtlab_tasks::model::{CpuId, OsPolicy, ResourceId, System};
use rtlab_tasks::outcome::trace::{JobEvent, TraceSink};
use rtlab_tasks::outcome::{CpuOutcome, Deadlock};

use super::attribution::OwnThreads;
use super::clock;
use super::environment::{self, DmaLatency};
use super::kernel_trace::Timeline;
use super::locks::Mutex;
use super::pipes;
use super::plan::Plan;
use super::spans::Spans;
use super::thread;
use super::watchdog::{self, Control};
use super::workload::{self, TaskPlan, TaskResult};
use super::{LiveError, Options};
use crate::ledger::{Ledger, WaitEdge};
use crate::policy;

/// Capacity of each thread's trace buffer, in events.
const TRACE_BUFFER: usize = 1 << 16;
/// How often the main thread looks at the clock, Ctrl-C and the buffers.
const TICK: StdDuration = StdDuration::from_millis(50);
/// How long threads get to stop after the end before the run gives up on
/// them.
const GRACE: StdDuration = StdDuration::from_secs(1);
/// Time between all threads being ready and the common start, ns.
const START_MARGIN_NS: u64 = 20_000_000;

/// Everything a run produced, before it becomes an `Outcome`.
pub(crate) struct Raw {
    pub(crate) ledger: Ledger,
    pub(crate) cpus: Vec<CpuOutcome>,
    pub(crate) deadlock: Option<Deadlock>,
    pub(crate) started_at_wall: u64,
    pub(crate) length_ns: u64,
    pub(crate) interrupted: bool,
    pub(crate) dropped: u64,
    pub(crate) warnings: Vec<String>,
    pub(crate) details: serde_json::Map<String, serde_json::Value>,
    /// The kernel's view of the task CPUs during the run, when traced.
    pub(crate) kernel: Option<Timeline>,
    /// rtlab's threads by kernel id, to read `kernel`.
    pub(crate) threads: OwnThreads,
    /// CLOCK_MONOTONIC of the common start, ns.
    pub(crate) start_ns: u64,
}

/// What the run holds on the machine while it goes (`/dev/cpu_dma_latency`
/// held open, memory locked), given back when dropped, whatever way the run
/// ends.
struct Held {
    _dma: DmaLatency,
    locked: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.locked {
            environment::unlock_memory();
        }
    }
}

/// The task threads, started and waiting for the common start.
struct Threads {
    handles: Vec<JoinHandle<()>>,
    /// Dropping it lets every thread go at once (a thread waits until the
    /// channel is disconnected). Dropped with `Threads` too, so threads
    /// started before a failed spawn never wait forever.
    go: Sender<()>,
    done: Receiver<(usize, TaskResult)>,
    control: Arc<OnceLock<Arc<Control>>>,
    setup_errors: Vec<String>,
}

/// Runs `plan` of `system` for `options.duration`.
pub(crate) fn run(
    system: &System,
    plan: Plan,
    options: &Options,
    mut trace: Option<&mut dyn TraceSink>,
) -> Result<Raw, LiveError> {
    let Plan {
        mut tasks,
        classes,
        affinity,
        mut warnings,
        ..
    } = plan;
    let mut details = serde_json::Map::new();
    // Before anything starts a thread: rtlab's own threads stay off the
    // task CPUs (task and load threads pin themselves).
    let away = thread::AwayFrom::cpus(&system.platform.cpus);
    // A thread the plan leaves unpinned (SCHED_DEADLINE) may use every CPU
    // of the process.
    let affinity: Vec<Vec<CpuId>> = affinity
        .into_iter()
        .map(|a| if a.is_empty() { away.before.clone() } else { a })
        .collect();
    let held = prepare(system, &mut warnings, &mut details);
    let traced = traced_cpus(system, &affinity);
    let session = kernel::start(
        (&traced, system.live.kernel_trace),
        &mut warnings,
        &mut details,
    );
    let helpers = kernel::helper_threads();
    let mutexes = Arc::new(make_mutexes(system, &tasks, &classes, &mut warnings)?);
    let n = tasks.len();
    let queues = trace_queues(if trace.is_some() { n } else { 0 });
    let mut ledger = Ledger::new(system);
    let links = pipes::links(system, ledger.chains(), options.duration.as_nanos());
    for (tp, l) in tasks.iter_mut().zip(links) {
        tp.links = l;
    }
    let spans = Arc::new(Spans::new(n));
    let shape = Shape {
        spans: &spans,
        classes: &classes,
        affinity: &affinity,
        ledger: &ledger,
        mutexes: &mutexes,
        queues: &queues,
    };
    let threads = spawn(system, tasks, &shape)?;
    let start = clock::now() + START_MARGIN_NS;
    // To line the run up with other tools' CLOCK_MONOTONIC timestamps.
    details.insert("clock_monotonic_start_ns".into(), start.into());
    let control = Arc::new(Control::new(start, start + options.duration.as_nanos(), n));
    let _ = threads.control.set(Arc::clone(&control));
    if !threads.setup_errors.is_empty() {
        return Err(threads.abandon(&control));
    }
    let loads = super::load::spawn(&system.loads, &control);
    let before = usage::Snapshot::take();
    let started_at_wall = clock::wall() + START_MARGIN_NS;
    let (handles, done) = threads.go();
    let (mut interrupted, deadlock) = watch(&control, &mutexes, &queues, trace.as_deref_mut());
    let results = collect(&done, n);
    let loads = usage::join_loads(loads);
    let after = usage::Snapshot::take();
    if let Some(sink) = trace {
        drain(&queues, sink);
    }
    let length = control.ended_at().saturating_sub(start);
    let kernel = kernel::finish(
        session,
        (start, start + length),
        &mut warnings,
        &mut details,
    );
    if let Some(stuck) = join_or_leave(system, handles, &results) {
        interrupted = true;
        warnings.push(stuck);
    }
    drop(held);
    Ok(account(Ended {
        system,
        classes: &classes,
        affinity: &affinity,
        results,
        loads,
        usage: (before, after),
        start,
        length,
        kernel,
        started_at_wall,
        interrupted,
        deadlock,
        warnings,
        details,
        ledger,
        helpers,
    }))
}

/// What a run left once its threads stopped, before it is accounted.
struct Ended<'a> {
    system: &'a System,
    classes: &'a [thread::Class],
    affinity: &'a [Vec<CpuId>],
    results: Vec<Option<TaskResult>>,
    loads: Vec<super::load::LoadResult>,
    /// `/proc/stat` before and after.
    usage: (usage::Snapshot, usage::Snapshot),
    /// CLOCK_MONOTONIC of the common start, ns.
    start: u64,
    length: u64,
    kernel: Option<Timeline>,
    started_at_wall: u64,
    interrupted: bool,
    deadlock: Option<(u64, Vec<WaitEdge>)>,
    warnings: Vec<String>,
    details: serde_json::Map<String, serde_json::Value>,
    ledger: Ledger,
    /// rtlab's own other threads (tid -> name).
    helpers: BTreeMap<u32, String>,
}

/// The threads' books into the ledger, the CPUs' figures, the deadlock.
fn account(e: Ended<'_>) -> Raw {
    let Ended {
        mut ledger,
        mut warnings,
        mut details,
        ..
    } = e;
    let own = kernel::threads(
        e.system,
        (e.classes, e.affinity),
        &e.results,
        (&e.loads, e.helpers),
    );
    let usage = usage::Usage {
        system: e.system,
        affinity: e.affinity,
        results: &e.results,
        load_cpu: &usage::load_time(&e.loads),
        length: e.length,
        kernel: e.kernel.as_ref().map(|k| (k, &own)),
    };
    let cpus = usage.figures(&e.usage.0, &e.usage.1, &mut warnings, &mut details);
    let dropped = absorb(e.system, &mut ledger, &e.results, &mut warnings);
    let logs: Vec<Option<&pipes::Log>> = e
        .results
        .iter()
        .map(|r| r.as_ref().and_then(|r| r.chain_log.as_ref()))
        .collect();
    chains::replay(e.system, ledger.chains(), &logs);
    let deadlock = e
        .deadlock
        .map(|(at, cycle)| ledger.deadlock(at.saturating_sub(e.start), &cycle));
    Raw {
        ledger,
        cpus,
        deadlock,
        started_at_wall: e.started_at_wall,
        length_ns: e.length,
        interrupted: e.interrupted,
        dropped,
        warnings,
        details,
        kernel: e.kernel,
        threads: own,
        start_ns: e.start,
    }
}

/// The CPUs to trace: every CPU a task thread may run on.
fn traced_cpus(system: &System, affinity: &[Vec<CpuId>]) -> Vec<CpuId> {
    let mut cpus: Vec<CpuId> = system
        .platform
        .cpus
        .iter()
        .chain(affinity.iter().flatten())
        .copied()
        .collect();
    cpus.sort_unstable();
    cpus.dedup();
    cpus
}

/// One trace buffer per task thread (`n` = 0: no trace).
fn trace_queues(n: usize) -> Vec<Arc<ArrayQueue<JobEvent>>> {
    (0..n)
        .map(|_| Arc::new(ArrayQueue::new(TRACE_BUFFER)))
        .collect()
}

impl Threads {
    /// Lets every thread go at once; their handles and the channel of
    /// their results.
    fn go(self) -> (Vec<JoinHandle<()>>, Receiver<(usize, TaskResult)>) {
        drop(self.go);
        (self.handles, self.done)
    }

    /// Lets the threads through the barrier to stop at once (one failed
    /// its setup) and joins them; the error says why.
    fn abandon(self, control: &Control) -> LiveError {
        control.stop_at(control.start);
        drop(self.go);
        for h in self.handles {
            let _ = h.join();
        }
        LiveError::Setup(self.setup_errors.join("; "))
    }
}

/// Adds the threads' books to the ledger; returns the trace events they
/// dropped (with a warning when there were some).
fn absorb(
    system: &System,
    ledger: &mut Ledger,
    results: &[Option<TaskResult>],
    warnings: &mut Vec<String>,
) -> u64 {
    let mut dropped = 0;
    for (i, r) in results.iter().enumerate() {
        if let Some(r) = r {
            // Books of one precision always merge.
            let _ = ledger.absorb(i, &r.book, &r.resources);
            dropped += r.dropped;
            if let Some((res, e, n)) = &r.lock_errors {
                warnings.push(format!(
                    "task `{}`: locking `{}` failed ({e}) {n} time(s); each of those jobs ended as a fault",
                    system.tasks[i].name, system.resources[*res].name
                ));
            }
        }
    }
    if dropped > 0 {
        warnings.push(format!(
            "{dropped} trace events dropped (a thread's trace buffer was full)"
        ));
    }
    dropped
}

/// Holds the machine settings of a run (`/dev/cpu_dma_latency`, memory
/// locked, the interrupt handler) and records them.
fn prepare(
    system: &System,
    warnings: &mut Vec<String>,
    details: &mut serde_json::Map<String, serde_json::Value>,
) -> Held {
    watchdog::quiet_injected_faults();
    watchdog::clear_interrupt();
    if let Err(e) = watchdog::install_interrupt_handler() {
        warnings.push(format!(
            "Ctrl-C handler not installed ({e}): stop the run with SIGKILL only"
        ));
    }
    let dma = DmaLatency::hold_zero();
    details.insert("cpu_dma_latency".into(), dma.status.clone().into());
    if !dma.held() {
        warnings.push(format!(
            "/dev/cpu_dma_latency {}: wake-up latency can be about twice as high",
            dma.status
        ));
    }
    let locked = system.live.lock_memory
        && match environment::lock_memory() {
            Ok(()) => true,
            Err(e) => {
                warnings.push(format!(
                    "mlockall failed ({e}): page faults can add latency"
                ));
                false
            }
        };
    details.insert("mlockall".into(), locked.into());
    let (rt_runtime, rt_period) = environment::rt_throttling();
    details.insert("sched_rt_runtime_us".into(), rt_runtime.into());
    details.insert("sched_rt_period_us".into(), rt_period.into());
    details.insert(
        "sched_rr_timeslice_ms".into(),
        environment::rr_timeslice_ms().into(),
    );
    details.insert(
        "preemption_gap_ns".into(),
        workload::PREEMPTION_GAP_NS.into(),
    );
    Held { _dma: dma, locked }
}

/// What every task thread is started with, beside its own plan.
struct Shape<'a> {
    classes: &'a [thread::Class],
    affinity: &'a [Vec<CpuId>],
    ledger: &'a Ledger,
    mutexes: &'a Arc<Vec<Mutex>>,
    spans: &'a Arc<Spans>,
    queues: &'a [Arc<ArrayQueue<JobEvent>>],
}

/// Starts one thread per task: each pins itself, takes its class,
/// reports, and waits at the barrier for the common start.
fn spawn(system: &System, tasks: Vec<TaskPlan>, shape: &Shape<'_>) -> Result<Threads, LiveError> {
    let n = tasks.len();
    let (go, gate) = channel::bounded::<()>(0);
    let (ready_tx, ready_rx) = channel::unbounded::<Result<(), String>>();
    let (done_tx, done_rx) = channel::unbounded::<(usize, TaskResult)>();
    let slot: Arc<OnceLock<Arc<Control>>> = Arc::new(OnceLock::new());
    let mut handles = Vec::with_capacity(n);
    for (i, mut tp) in tasks.into_iter().enumerate() {
        let class = shape.classes[i];
        let cpus = shape.affinity[i].clone();
        let (gate, ready_tx, done_tx) = (gate.clone(), ready_tx.clone(), done_tx.clone());
        let (slot, mutexes) = (Arc::clone(&slot), Arc::clone(shape.mutexes));
        let spans = Arc::clone(shape.spans);
        let queue = shape.queues.get(i).cloned();
        let (book, resources) = (shape.ledger.fresh_book(), shape.ledger.resource_books());
        let name = thread::thread_name(&system.tasks[i].name);
        let spawned = std::thread::Builder::new().name(name).spawn(move || {
            let setup = (|| {
                if !cpus.is_empty() {
                    thread::pin(&cpus).map_err(|e| e.to_string())?;
                }
                thread::set_class(class).map_err(|e| e.to_string())
            })();
            let ok = setup.is_ok();
            let _ = ready_tx.send(setup);
            // Err once the sender is gone: the start (or the abandon).
            let _ = gate.recv();
            let Some(control) = slot.get() else { return };
            if !ok || control.stop.load(Ordering::Acquire) {
                return;
            }
            let result = workload::run_task(
                &mut tp,
                control,
                &mutexes,
                &spans,
                queue.as_deref(),
                book,
                resources,
            );
            let _ = done_tx.send((i, result));
        });
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => return Err(LiveError::Setup(format!("cannot start a thread: {e}"))),
        }
    }
    drop(ready_tx);
    let setup_errors = ready_rx
        .iter()
        .take(n)
        .enumerate()
        .filter_map(|(i, r)| r.err().map(|e| format!("{e} (thread {i})")))
        .collect();
    Ok(Threads {
        handles,
        go,
        done: done_rx,
        control: slot,
        setup_errors,
    })
}

/// Watches the run until its end or Ctrl-C, draining trace buffers and
/// looking for deadlocks. Returns whether it was interrupted, and the
/// deadlock (when it was confirmed, CLOCK_MONOTONIC ns, and its cycle).
fn watch<'s>(
    control: &Control,
    mutexes: &[Mutex],
    queues: &[Arc<ArrayQueue<JobEvent>>],
    mut trace: Option<&mut (dyn TraceSink + 's)>,
) -> (bool, Option<(u64, Vec<WaitEdge>)>) {
    let mut deadlock = None;
    let mut seen: Option<Vec<WaitEdge>> = None;
    loop {
        let now = clock::now();
        if watchdog::interrupted() {
            control.stop_at(now);
            return (true, deadlock);
        }
        if now >= control.end {
            control.stop_at(control.end);
            return (false, deadlock);
        }
        if let Some(sink) = trace.as_deref_mut() {
            drain(queues, sink);
        }
        // A cycle seen twice in a row is a deadlock (one reading of the
        // owners and waiters can be torn).
        if deadlock.is_none() && !mutexes.is_empty() {
            let cycle = watchdog::wait_cycle(control, mutexes);
            if cycle.is_some() && cycle == seen {
                deadlock = cycle.clone().map(|c| (now, c));
            }
            seen = cycle;
        }
        let left = control.end.saturating_sub(now);
        std::thread::sleep(TICK.min(StdDuration::from_nanos(left.max(1))));
    }
}

/// The threads' results, in task order, giving stuck threads a grace
/// period (`None`: it did not stop in time).
fn collect(done: &Receiver<(usize, TaskResult)>, n: usize) -> Vec<Option<TaskResult>> {
    let mut results: Vec<Option<TaskResult>> = (0..n).map(|_| None).collect();
    let deadline = std::time::Instant::now() + GRACE;
    while results.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match done.recv_timeout(left) {
            Ok((i, r)) => results[i] = Some(r),
            Err(_) => break,
        }
    }
    results
}

/// Joins the threads that reported; a warning names those left behind.
fn join_or_leave(
    system: &System,
    handles: Vec<JoinHandle<()>>,
    results: &[Option<TaskResult>],
) -> Option<String> {
    let mut stuck = Vec::new();
    for (i, h) in handles.into_iter().enumerate() {
        if results[i].is_some() {
            let _ = h.join();
        } else {
            stuck.push(system.tasks[i].name.clone());
        }
    }
    (!stuck.is_empty()).then(|| {
        format!(
            "task thread(s) {} did not stop within {} s of the end; their results are missing",
            stuck.join(", "),
            GRACE.as_secs()
        )
    })
}

/// Moves buffered events to the sink, in time order within the batch.
fn drain(queues: &[Arc<ArrayQueue<JobEvent>>], sink: &mut dyn TraceSink) {
    let mut batch = Vec::new();
    for q in queues {
        while let Some(e) = q.pop() {
            batch.push(e);
        }
    }
    batch.sort_by_key(|e| e.time_ns);
    for e in &batch {
        sink.event(e);
    }
}

/// One mutex per resource, with the protocol the policy gives it. A
/// ceiling covers the priority its users run their jobs at (raised to
/// their CPU's top under non-preemptive dispatching: Linux refuses to lock
/// a priority-protect mutex above its ceiling).
fn make_mutexes(
    system: &System,
    tasks: &[TaskPlan],
    classes: &[thread::Class],
    warnings: &mut Vec<String>,
) -> Result<Vec<Mutex>, LiveError> {
    let os_priority: Vec<u8> = classes
        .iter()
        .zip(tasks)
        .map(|(c, t)| {
            t.non_preemptive
                .map_or(c.priority(), |(raised, _)| raised.priority())
        })
        .collect();
    let mut out = Vec::with_capacity(system.resources.len());
    for (r, res) in system.resources.iter().enumerate() {
        let (protocol, note) = policy::lock_protocol(system, ResourceId(r), &os_priority);
        warnings.extend(note);
        let m = Mutex::new(protocol).map_err(|e| {
            LiveError::Setup(format!(
                "cannot create the mutex for `{}` ({protocol:?}): {e}",
                res.name
            ))
        })?;
        out.push(m);
    }
    Ok(out)
}

/// The OS policy in effect, for the environment record.
pub(crate) fn policy_label(classes: &[thread::Class], requested: OsPolicy) -> String {
    let used: Vec<&str> = classes.iter().map(|c| c.os_policy().as_str()).collect();
    let first = used.first().copied().unwrap_or(requested.as_str());
    if used.iter().all(|u| *u == first) {
        first.to_string()
    } else {
        used.join(",")
    }
}
