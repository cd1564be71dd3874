//! A live run from start to end: plan the threads, check the machine, start
//! every thread at one common instant, watch the clock, Ctrl-C and
//! deadlocks, stop on time, collect and merge.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use std::time::Duration as StdDuration;

use crossbeam::channel;
use crossbeam::queue::ArrayQueue;

use rtlab_tasks::model::{CpuId, Locking, OsPolicy, Policy, System};
use rtlab_tasks::outcome::trace::{JobEvent, TraceSink};
use rtlab_tasks::outcome::{CpuOutcome, Deadlock, DeadlockEdge, ResourceOutcome, TaskStats};

use super::clock;
use super::environment::{self, DmaLatency};
use super::locks::{Mutex, Protocol};
use super::plan::Plan;
use super::thread;
use super::watchdog::{self, Control};
use super::workload::{self, ResourceStats, TaskResult};
use super::{LiveError, Options};

/// Capacity of each thread's trace buffer, in events.
const TRACE_BUFFER: usize = 1 << 16;
/// How often the main thread looks at the clock, Ctrl-C and the buffers.
const TICK: StdDuration = StdDuration::from_millis(50);
/// How long threads get to stop after the end before the run gives up on
/// them.
const GRACE: StdDuration = StdDuration::from_secs(1);
/// Time between all threads being ready and the common start, ns.
const START_MARGIN_NS: u64 = 20_000_000;

/// A wait-for cycle: (task, resource it waits for, holder).
type Cycle = Vec<(usize, usize, usize)>;

/// Everything a run produced, before it becomes an `Outcome`.
pub(crate) struct Raw {
    pub(crate) tasks: Vec<TaskStats>,
    pub(crate) cpus: Vec<CpuOutcome>,
    pub(crate) resources: Vec<ResourceOutcome>,
    pub(crate) deadlock: Option<Deadlock>,
    pub(crate) started_at_wall: u64,
    pub(crate) length_ns: u64,
    pub(crate) interrupted: bool,
    pub(crate) dropped: u64,
    pub(crate) warnings: Vec<String>,
    pub(crate) details: serde_json::Map<String, serde_json::Value>,
}

/// Runs `plan` of `system` for `options.duration`.
pub(crate) fn run(
    system: &System,
    plan: Plan,
    options: &Options,
    mut trace: Option<&mut dyn TraceSink>,
) -> Result<Raw, LiveError> {
    let Plan {
        tasks: task_plans,
        classes,
        affinity,
        mut warnings,
        rt_privileges,
    } = plan;
    watchdog::quiet_injected_faults();
    if let Err(e) = watchdog::install_interrupt_handler() {
        warnings.push(format!(
            "Ctrl-C handler not installed ({e}): stop the run with SIGKILL only"
        ));
    }
    let mut details = serde_json::Map::new();
    let dma = DmaLatency::hold_zero();
    details.insert("cpu_dma_latency".into(), dma.status.clone().into());
    if !dma.held() {
        warnings.push(format!(
            "/dev/cpu_dma_latency {}: wake-up latency can be about twice as high",
            dma.status
        ));
    }
    let locked = if system.live.lock_memory {
        let r = environment::lock_memory();
        if let Err(e) = &r {
            warnings.push(format!(
                "mlockall failed ({e}): page faults can add latency"
            ));
        }
        r.is_ok()
    } else {
        false
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

    let mutexes = make_mutexes(system, &classes, rt_privileges, &mut warnings)?;
    let mutexes = Arc::new(mutexes);

    let n = task_plans.len();
    let queues: Vec<Arc<ArrayQueue<JobEvent>>> = (0..if trace.is_some() { n } else { 0 })
        .map(|_| Arc::new(ArrayQueue::new(TRACE_BUFFER)))
        .collect();

    // Threads set themselves up, report, then wait for the common start.
    let go = Arc::new(Barrier::new(n + 1));
    let (ready_tx, ready_rx) = channel::unbounded::<Result<(), String>>();
    let (done_tx, done_rx) = channel::unbounded::<(usize, TaskResult)>();
    let control_slot: Arc<std::sync::OnceLock<Arc<Control>>> = Arc::new(std::sync::OnceLock::new());
    let mut handles = Vec::with_capacity(n);
    for (i, mut tp) in task_plans.into_iter().enumerate() {
        let class = classes[i];
        let cpus = affinity[i].clone();
        let go = Arc::clone(&go);
        let ready_tx = ready_tx.clone();
        let done_tx = done_tx.clone();
        let slot = Arc::clone(&control_slot);
        let mutexes = Arc::clone(&mutexes);
        let queue = queues.get(i).cloned();
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
            go.wait();
            let Some(control) = slot.get() else { return };
            if !ok || control.stop.load(Ordering::Acquire) {
                return;
            }
            let result = workload::run_task(&mut tp, control, &mutexes, queue.as_deref());
            let _ = done_tx.send((i, result));
        });
        match spawned {
            Ok(h) => handles.push(h),
            Err(e) => return Err(LiveError::Setup(format!("cannot start a thread: {e}"))),
        }
    }
    drop(ready_tx);
    drop(done_tx);
    let mut setup_errors = Vec::new();
    for (i, r) in ready_rx.iter().take(n).enumerate() {
        if let Err(e) = r {
            setup_errors.push(format!("{} (thread {i})", e));
        }
    }
    let task_names: Vec<String> = system.tasks.iter().map(|t| t.name.clone()).collect();
    let resource_names: Vec<String> = system.resources.iter().map(|r| r.name.clone()).collect();
    let start = clock::now() + START_MARGIN_NS;
    let end = start + options.duration.as_nanos();
    let control = Arc::new(Control::new(start, end, task_names, resource_names));
    let _ = control_slot.set(Arc::clone(&control));
    if !setup_errors.is_empty() {
        control.stop_at(start);
        go.wait();
        for h in handles {
            let _ = h.join();
        }
        if locked {
            environment::unlock_memory();
        }
        return Err(LiveError::Setup(setup_errors.join("; ")));
    }
    let loads = super::load::spawn(&system.loads, &control);
    let ticks_before = environment::cpu_ticks();
    let ticks_before_at = clock::now();
    let started_at_wall = clock::wall() + START_MARGIN_NS;
    go.wait();

    // Watch until the end (or Ctrl-C).
    let mut interrupted = false;
    let mut deadlock: Option<(u64, Cycle)> = None;
    let mut seen_cycle: Option<Cycle> = None;
    loop {
        let now = clock::now();
        if watchdog::interrupted() {
            interrupted = true;
            control.stop_at(now);
            break;
        }
        if now >= end {
            control.stop_at(end);
            break;
        }
        if let Some(sink) = trace.as_deref_mut() {
            drain(&queues, sink);
        }
        // A cycle seen twice in a row is a deadlock (one reading of the
        // owners and waiters can be torn).
        if deadlock.is_none() && !mutexes.is_empty() {
            let cycle = watchdog::wait_cycle(&control, &mutexes);
            if cycle.is_some() && cycle == seen_cycle {
                deadlock = cycle.clone().map(|c| (now.saturating_sub(start), c));
            }
            seen_cycle = cycle;
        }
        let left = end.saturating_sub(now);
        std::thread::sleep(TICK.min(StdDuration::from_nanos(left.max(1))));
    }

    // Collect, giving stuck threads a grace period.
    let mut results: Vec<Option<TaskResult>> = (0..n).map(|_| None).collect();
    let deadline = std::time::Instant::now() + GRACE;
    while results.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match done_rx.recv_timeout(left) {
            Ok((i, r)) => results[i] = Some(r),
            Err(_) => break,
        }
    }
    let mut load_cpu: BTreeMap<CpuId, u64> = BTreeMap::new();
    for h in loads {
        if let Ok((cpu, ns)) = h.join() {
            *load_cpu.entry(cpu).or_default() += ns;
        }
    }
    let ticks_after = environment::cpu_ticks();
    let ticks_elapsed = clock::now().saturating_sub(ticks_before_at);
    if let Some(sink) = trace {
        drain(&queues, sink);
    }
    let ended = control.ended_at();
    let length = ended.saturating_sub(start);
    let mut stuck = Vec::new();
    for (i, h) in handles.into_iter().enumerate() {
        if results[i].is_some() {
            let _ = h.join();
        } else {
            stuck.push(system.tasks[i].name.clone());
        }
    }
    if !stuck.is_empty() {
        interrupted = true;
        warnings.push(format!(
            "task thread(s) {} did not stop within {} s of the end; their results are missing",
            stuck.join(", "),
            GRACE.as_secs()
        ));
    }
    if locked {
        environment::unlock_memory();
    }
    drop(dma);

    // CPU time per CPU: pinned threads count on their CPU, unpinned ones are
    // spread evenly over the platform.
    let platform = &system.platform.cpus;
    let mut own: BTreeMap<CpuId, u64> = load_cpu.clone();
    let mut busy: BTreeMap<CpuId, u64> = BTreeMap::new();
    for (i, r) in results.iter().enumerate() {
        let Some(r) = r else { continue };
        match affinity[i].as_slice() {
            [one] => {
                *own.entry(*one).or_default() += r.cpu_ns;
                *busy.entry(*one).or_default() += r.cpu_ns;
            }
            _ => {
                let share = r.cpu_ns / platform.len().max(1) as u64;
                for &c in platform {
                    *own.entry(c).or_default() += share;
                    *busy.entry(c).or_default() += share;
                }
            }
        }
    }
    let (steal, foreign) =
        environment::interference(&ticks_before, &ticks_after, ticks_elapsed, &own);
    let per_cpu = |m: &BTreeMap<CpuId, u64>| -> serde_json::Value {
        m.iter()
            .filter(|(c, _)| platform.contains(c) || load_cpu.contains_key(c))
            .map(|(c, v)| (c.to_string(), serde_json::Value::from(*v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    details.insert("steal_ns".into(), per_cpu(&steal));
    details.insert("foreign_ns".into(), per_cpu(&foreign));
    let worst_foreign = foreign
        .iter()
        .filter(|(c, _)| platform.contains(c))
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(0);
    if length > 0 && worst_foreign > environment::FOREIGN_NOISE_NS && worst_foreign * 10 > length {
        warnings.push(format!(
            "other processes used {:.0}% of a platform CPU during the run: expect longer tails",
            worst_foreign as f64 * 100.0 / length as f64
        ));
    }
    let worst_steal = steal.values().copied().max().unwrap_or(0);
    if worst_steal > 0 {
        warnings.push(format!(
            "the hypervisor took {:.1} ms of CPU time from this VM (steal) during the run",
            worst_steal as f64 / 1e6
        ));
    }

    let cpus = platform
        .iter()
        .map(|&id| {
            let b = busy.get(&id).copied().unwrap_or(0);
            CpuOutcome {
                id,
                busy_ratio: if length == 0 {
                    0.0
                } else {
                    (b as f64 / length as f64).min(1.0)
                },
                busy_ns: b,
            }
        })
        .collect();
    let mut res_stats: Vec<ResourceStats> = vec![ResourceStats::default(); system.resources.len()];
    let mut tasks = Vec::with_capacity(n);
    let mut dropped = 0;
    for r in results {
        match r {
            Some(r) => {
                for (acc, s) in res_stats.iter_mut().zip(&r.resources) {
                    acc.acquisitions += s.acquisitions;
                    acc.contended += s.contended;
                    // Merging histograms of one precision cannot fail.
                    let _ = acc.wait.merge(&s.wait);
                    let _ = acc.hold.merge(&s.hold);
                }
                dropped += r.dropped;
                tasks.push(r.stats);
            }
            None => tasks.push(TaskStats::default()),
        }
    }
    let resources = system
        .resources
        .iter()
        .zip(res_stats)
        .map(|(res, s)| ResourceOutcome {
            name: res.name.clone(),
            acquisitions: s.acquisitions,
            contended: s.contended,
            wait: s.wait.summary(),
            hold: s.hold.summary(),
        })
        .collect();
    let deadlock = deadlock.map(|(at, cycle)| Deadlock {
        at_ns: at,
        cycle: cycle
            .into_iter()
            .map(|(t, r, h)| DeadlockEdge {
                task: system.tasks[t].name.clone(),
                resource: system.resources[r].name.clone(),
                held_by: system.tasks[h].name.clone(),
            })
            .collect(),
    });
    if dropped > 0 {
        warnings.push(format!(
            "{dropped} trace events dropped (a thread's trace buffer was full)"
        ));
    }
    Ok(Raw {
        tasks,
        cpus,
        resources,
        deadlock,
        started_at_wall,
        length_ns: length,
        interrupted,
        dropped,
        warnings,
        details,
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

/// One mutex per resource, with the config's protocol.
fn make_mutexes(
    system: &System,
    classes: &[thread::Class],
    rt: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<Mutex>, LiveError> {
    let mut out = Vec::with_capacity(system.resources.len());
    let priorities_mean_something =
        matches!(system.scheduler.policy, Policy::FixedPriority | Policy::Edf);
    for res in &system.resources {
        let mut protocol = match system.scheduler.locking {
            Locking::None => Protocol::None,
            Locking::Inherit => Protocol::Inherit,
            Locking::Ceiling => {
                let ceiling = res
                    .users
                    .iter()
                    .map(|t| i32::from(classes[t.0].priority()))
                    .max()
                    .unwrap_or(0);
                if ceiling >= 1 && rt {
                    Protocol::Ceiling(ceiling)
                } else {
                    warnings.push(format!(
                        "resource `{}`: a priority ceiling needs real-time priorities; priority inheritance used instead",
                        res.name
                    ));
                    Protocol::Inherit
                }
            }
        };
        if !priorities_mean_something {
            protocol = Protocol::None;
        }
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
