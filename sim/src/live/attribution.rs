//! A missed job's time, split by what the kernel saw: with a kernel trace
//! of the run ([`kernel_trace`](super::kernel_trace)), each instant of a
//! missed job's window is the job's own (running), someone else's (the
//! thread was runnable and another thread or an interrupt held its CPU),
//! a lock wait (asleep after its wake-up) or its wake-up (asleep from the
//! release until the timer woke it).
//!
//! What the thread measured itself stays: its own CPU time
//! (`executed_ns`), its lock waits by resource and holder (`blocked_on`)
//! and the wait behind its own previous job (`queued_ns`). The trace
//! replaces the wake-up latency (`release_jitter_ns`), who ran while it
//! waited (`waited_for`: rtlab tasks; `interference`: threads of other
//! processes, `[[load]]` threads, interrupt handlers) and leaves in
//! `unexplained_ns` what neither accounts for (a runnable thread on an idle
//! CPU, time before the trace saw the CPU, time the hypervisor took from a
//! running thread).

mod observed;

use std::collections::BTreeMap;

use rtlab_tasks::model::CpuId;
use rtlab_tasks::outcome::{Delay, DelayKind, Interference, InterferenceKind, Miss, Outcome};

/// A thread's state over a stretch of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// On this CPU.
    Running(CpuId),
    /// Ready, waiting for a CPU.
    Runnable,
    /// Sleeping (a timer, a lock).
    Asleep,
    /// The trace does not say.
    Unknown,
}

/// Who held a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Occupant {
    /// Nobody: the idle task.
    Idle,
    /// The trace does not say (before its first event on the CPU).
    Unknown,
    /// A thread, by kernel id.
    Thread(u32),
    /// A hard interrupt handler, by IRQ number.
    Irq(u32),
    /// A soft interrupt handler, by vector.
    Softirq(u32),
}

/// What a kernel trace of the run says, as attribution needs it (times:
/// CLOCK_MONOTONIC ns).
pub(crate) trait Observed {
    /// `tid`'s states over `[from, to]`, in time order.
    fn states(&self, tid: u32, from: u64, to: u64) -> Vec<(u64, u64, State)>;
    /// Who held `cpu` in `[from, to]`, and how long.
    fn occupants(&self, cpu: CpuId, from: u64, to: u64) -> Vec<(Occupant, u64)>;
    /// A reader's name for an occupant that is not an rtlab thread:
    /// `"intruder (pid 4242, SCHED_FIFO 95)"`, `"irq 11 virtio0"`,
    /// `"softirq TIMER"`.
    fn name(&self, who: Occupant) -> String;
}

/// rtlab's own threads, by kernel id.
#[derive(Clone, Debug, Default)]
pub(crate) struct OwnThreads {
    /// Task threads, by tid.
    pub(crate) tasks: BTreeMap<u32, OwnTask>,
    /// `[[load]]` threads: tid -> name.
    pub(crate) loads: BTreeMap<u32, String>,
    /// rtlab's other threads (the main thread, the Ctrl-C handler, the
    /// trace reader): tid -> name. They run off the task CPUs when the
    /// process may use another one.
    pub(crate) helpers: BTreeMap<u32, String>,
    /// Task names, in task order.
    pub(crate) names: Vec<String>,
}

/// One task thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OwnTask {
    /// The task's index.
    pub(crate) index: usize,
    /// Its OS priority (higher is more urgent).
    pub(crate) priority: u8,
    /// Its CPU, when pinned to one: who held that CPU kept it waiting.
    /// A thread free to run on several CPUs waits for all of them, and
    /// its waits are not charged to one occupant.
    pub(crate) cpu: Option<CpuId>,
}

/// The job's time as the trace splits it, before it is merged into the
/// miss.
#[derive(Debug, Default)]
struct Split {
    wake_up: u64,
    running: u64,
    /// Asleep after the wake-up: lock waits.
    asleep: u64,
    /// While running: interrupt handlers, by source.
    interrupted: BTreeMap<(InterferenceKind, String), u64>,
    /// While runnable: rtlab tasks, by task index.
    tasks: BTreeMap<usize, u64>,
    /// While runnable: other work, by source.
    others: BTreeMap<(InterferenceKind, String), u64>,
    unexplained: u64,
}

/// Re-splits `miss` of task thread `tid` (its window `[from, to]` in
/// CLOCK_MONOTONIC ns) with what `trace` saw. Leaves the miss as the
/// thread recorded it when the trace has nothing on the thread in that
/// window.
pub(crate) fn attribute(
    miss: &mut Miss,
    (tid, task): (u32, OwnTask),
    (from, to): (u64, u64),
    threads: &OwnThreads,
    trace: &impl Observed,
) {
    let start = from.saturating_add(miss.queued_ns).min(to);
    let states = trace.states(tid, start, to);
    if states.iter().all(|s| s.2 == State::Unknown) {
        return;
    }
    let split = split(&states, (miss.queued_ns == 0, task.cpu), threads, trace);
    let total = to - from;
    miss.release_jitter_ns = split.wake_up;
    // Interrupts inside a running stretch may already be in the thread's
    // CPU time (kernels without IRQ time accounting charge them to it):
    // only the running time beyond its own CPU time goes to them.
    let mut budget = split.running.saturating_sub(miss.executed_ns);
    let mut parts: Vec<Interference> = Vec::new();
    for ((kind, source), ns) in largest_first(split.interrupted) {
        let ns = ns.min(budget);
        budget -= ns;
        push(&mut parts, kind, source, ns);
    }
    for ((kind, source), ns) in split.others {
        push(&mut parts, kind, source, ns);
    }
    parts.sort_by(|a, b| b.ns.cmp(&a.ns).then_with(|| a.source.cmp(&b.source)));
    miss.interference = parts;
    miss.waited_for = split
        .tasks
        .into_iter()
        .filter(|&(_, ns)| ns > 0)
        .map(|(j, ns)| {
            let other = threads.tasks.values().find(|t| t.index == j);
            let kind = match other {
                Some(o) if o.priority < task.priority => DelayKind::PriorityInversion,
                _ => DelayKind::Interference,
            };
            Delay {
                task: threads.names.get(j).cloned().unwrap_or_default(),
                resource: None,
                ran: None,
                kind,
                ns,
            }
        })
        .collect();
    miss.waited_for.sort_by_key(|d| std::cmp::Reverse(d.ns));
    cap_lock_waits(&mut miss.blocked_on, split.asleep);
    miss.unexplained_ns = 0;
    let accounted = miss.explained_ns();
    miss.unexplained_ns = total.saturating_sub(accounted);
}

/// Re-splits every kept miss of `outcome` (a live run that started at
/// `start`, CLOCK_MONOTONIC ns) with what `trace` saw of its thread.
pub(crate) fn attribute_misses(
    outcome: &mut Outcome,
    trace: &impl Observed,
    own: &OwnThreads,
    start: u64,
) {
    for (i, outcome) in outcome.tasks.iter_mut().enumerate() {
        let Some((&tid, &task)) = own.tasks.iter().find(|(_, t)| t.index == i) else {
            continue;
        };
        for m in &mut outcome.misses {
            let from = start.saturating_add(m.release_ns);
            let to = match m.finish_ns {
                Some(f) => start.saturating_add(f),
                // Aborted or unfinished: the thread's parts cover the
                // window up to the abort or the end of the run.
                None => from.saturating_add(m.explained_ns()),
            };
            attribute(m, (tid, task), (from, to.max(from)), own, trace);
        }
    }
}

/// The thread measured its lock waits by the clock, from the failed
/// attempt until it ran with the lock: that includes the time it was
/// runnable after the hand-over, which the trace charges to whoever held
/// the CPU. The waits are cut, in proportion, to the time it was asleep.
fn cap_lock_waits(blocked_on: &mut [Delay], asleep: u64) {
    let total: u64 = blocked_on.iter().map(|d| d.ns).sum();
    if total <= asleep {
        return;
    }
    let mut left = asleep;
    let n = blocked_on.len();
    for (i, d) in blocked_on.iter_mut().enumerate() {
        let share = if i + 1 == n {
            left
        } else {
            (u128::from(d.ns) * u128::from(asleep) / u128::from(total)) as u64
        };
        d.ns = share.min(left);
        left -= d.ns;
    }
}

/// Adds `ns` of `kind` from `source` to `parts` (nothing for 0).
fn push(parts: &mut Vec<Interference>, kind: InterferenceKind, source: String, ns: u64) {
    if ns == 0 {
        return;
    }
    match parts
        .iter_mut()
        .find(|p| p.kind == kind && p.source == source)
    {
        Some(p) => p.ns += ns,
        None => parts.push(Interference { source, kind, ns }),
    }
}

fn largest_first<K: Ord>(m: BTreeMap<K, u64>) -> Vec<(K, u64)> {
    let mut v: Vec<(K, u64)> = m.into_iter().collect();
    v.sort_by_key(|x| std::cmp::Reverse(x.1));
    v
}

/// Walks the thread's states: a leading sleep is the wake-up (when the
/// job was not queued), running stretches and their interrupts, runnable
/// stretches by who held the CPU, later sleeps (lock waits, measured by
/// the thread itself) left out.
fn split(
    states: &[(u64, u64, State)],
    (woke_for_it, cpu): (bool, Option<CpuId>),
    threads: &OwnThreads,
    trace: &impl Observed,
) -> Split {
    let mut out = Split::default();
    let mut leading = woke_for_it;
    for &(a, b, state) in states {
        let len = b.saturating_sub(a);
        if leading && state == State::Asleep {
            out.wake_up += len;
            continue;
        }
        leading = false;
        match state {
            State::Running(c) => {
                out.running += len;
                for (who, ns) in trace.occupants(c, a, b) {
                    if let Some(kind) = interrupt_kind(who) {
                        *out.interrupted.entry((kind, trace.name(who))).or_default() += ns;
                    }
                }
            }
            State::Runnable => match cpu {
                Some(c) => runnable(&mut out, trace.occupants(c, a, b), threads, trace),
                None => out.unexplained += len,
            },
            State::Asleep => out.asleep += len,
            State::Unknown => out.unexplained += len,
        }
    }
    out
}

fn interrupt_kind(who: Occupant) -> Option<InterferenceKind> {
    match who {
        Occupant::Irq(_) => Some(InterferenceKind::Irq),
        Occupant::Softirq(_) => Some(InterferenceKind::Softirq),
        _ => None,
    }
}

/// Charges a runnable stretch to whoever held the CPU.
fn runnable(
    out: &mut Split,
    held: Vec<(Occupant, u64)>,
    threads: &OwnThreads,
    trace: &impl Observed,
) {
    for (who, ns) in held {
        match who {
            Occupant::Thread(t) if threads.tasks.contains_key(&t) => {
                let task = threads.tasks[&t].index;
                *out.tasks.entry(task).or_default() += ns;
            }
            Occupant::Thread(t) if threads.loads.contains_key(&t) => {
                let key = (InterferenceKind::Load, threads.loads[&t].clone());
                *out.others.entry(key).or_default() += ns;
            }
            Occupant::Thread(t) if threads.helpers.contains_key(&t) => {
                let name = format!("rtlab's own thread `{}` (pid {t})", threads.helpers[&t]);
                *out.others
                    .entry((InterferenceKind::Thread, name))
                    .or_default() += ns;
            }
            Occupant::Thread(0) | Occupant::Idle | Occupant::Unknown => out.unexplained += ns,
            Occupant::Thread(_) => {
                let key = (InterferenceKind::Thread, trace.name(who));
                *out.others.entry(key).or_default() += ns;
            }
            Occupant::Irq(_) | Occupant::Softirq(_) => {
                if let Some(kind) = interrupt_kind(who) {
                    *out.others.entry((kind, trace.name(who))).or_default() += ns;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::outcome::MissKind;

    /// A trace of CPU 1 written by hand: the thread's states and the
    /// CPU's occupants as segments.
    struct Fake {
        states: Vec<(u64, u64, State)>,
        cpu: Vec<(u64, u64, Occupant)>,
    }

    impl Observed for Fake {
        fn states(&self, _tid: u32, from: u64, to: u64) -> Vec<(u64, u64, State)> {
            clip(&self.states, from, to)
        }
        fn occupants(&self, _cpu: CpuId, from: u64, to: u64) -> Vec<(Occupant, u64)> {
            let mut m: BTreeMap<Occupant, u64> = BTreeMap::new();
            for (a, b, who) in clip(&self.cpu, from, to) {
                *m.entry(who).or_default() += b - a;
            }
            m.into_iter().collect()
        }
        fn name(&self, who: Occupant) -> String {
            match who {
                Occupant::Thread(t) => format!("intruder (pid {t}, SCHED_FIFO 95)"),
                Occupant::Irq(n) => format!("irq {n} virtio0"),
                Occupant::Softirq(_) => "softirq TIMER".into(),
                _ => String::new(),
            }
        }
    }

    fn clip<T: Copy>(v: &[(u64, u64, T)], from: u64, to: u64) -> Vec<(u64, u64, T)> {
        v.iter()
            .filter_map(|&(a, b, x)| {
                let (a, b) = (a.max(from), b.min(to));
                (a < b).then_some((a, b, x))
            })
            .collect()
    }

    fn miss(executed: u64, response: u64) -> Miss {
        Miss {
            job: 3,
            release_ns: 0,
            deadline_ns: 2_000,
            finish_ns: Some(response),
            lateness_ns: response.saturating_sub(2_000),
            kind: MissKind::Late,
            release_jitter_ns: 3_000,
            waited_for: Vec::new(),
            blocked_on: Vec::new(),
            interference: Vec::new(),
            queued_ns: 0,
            executed_ns: executed,
            unexplained_ns: response.saturating_sub(3_000 + executed),
        }
    }

    fn threads() -> OwnThreads {
        OwnThreads {
            tasks: [(100, own(0, 90)), (101, own(1, 80))].into_iter().collect(),
            loads: [(300, "load0-cpu1".to_string())].into_iter().collect(),
            helpers: BTreeMap::new(),
            names: vec!["ctl".into(), "low".into()],
        }
    }

    const CPU: CpuId = 1;

    fn own(index: usize, priority: u8) -> OwnTask {
        OwnTask {
            index,
            priority,
            cpu: Some(CPU),
        }
    }

    /// Released at 0 (ns ×1000 below), woken at 20, the intruder holds the
    /// CPU until 3000, `ctl` runs 3000-3500 with an interrupt of 10 inside.
    #[test]
    fn a_foreign_thread_holding_the_cpu_is_named_with_its_time() {
        let trace = Fake {
            states: vec![
                (0, 20, State::Asleep),
                (20, 3_000, State::Runnable),
                (3_000, 3_500, State::Running(CPU)),
            ],
            cpu: vec![
                (0, 3_000, Occupant::Thread(4242)),
                (3_000, 3_200, Occupant::Thread(100)),
                (3_200, 3_210, Occupant::Irq(11)),
                (3_210, 3_500, Occupant::Thread(100)),
            ],
        };
        let mut m = miss(490, 3_500);
        attribute(&mut m, (100, own(0, 90)), (0, 3_500), &threads(), &trace);
        assert_eq!(m.release_jitter_ns, 20);
        assert_eq!(
            m.interference,
            vec![
                Interference {
                    source: "intruder (pid 4242, SCHED_FIFO 95)".into(),
                    kind: InterferenceKind::Thread,
                    ns: 2_980,
                },
                Interference {
                    source: "irq 11 virtio0".into(),
                    kind: InterferenceKind::Irq,
                    ns: 10,
                },
            ]
        );
        assert_eq!(m.unexplained_ns, 0);
        assert_eq!(m.explained_ns(), 3_500);
    }

    /// rtlab tasks go to `waited_for` (a less urgent one as a priority
    /// inversion), a load thread and an idle CPU where they belong, and an
    /// interrupt already in the thread's CPU time is not counted twice.
    #[test]
    fn tasks_loads_and_idle_time_each_go_to_their_part() {
        let trace = Fake {
            states: vec![
                (0, 10, State::Asleep),
                (10, 1_010, State::Runnable),
                (1_010, 1_510, State::Running(CPU)),
            ],
            cpu: vec![
                (0, 400, Occupant::Thread(101)),
                (400, 900, Occupant::Thread(300)),
                (900, 1_010, Occupant::Idle),
                (1_010, 1_100, Occupant::Thread(100)),
                (1_100, 1_150, Occupant::Softirq(1)),
                (1_150, 1_510, Occupant::Thread(100)),
            ],
        };
        // The thread's own clock says 480 of its 500 running: only 20 of
        // the 50 of softirq can be outside it.
        let mut m = miss(480, 1_510);
        m.deadline_ns = 1_000;
        attribute(&mut m, (100, own(0, 90)), (0, 1_510), &threads(), &trace);
        assert_eq!(m.release_jitter_ns, 10);
        assert_eq!(m.waited_for.len(), 1);
        assert_eq!(
            (
                m.waited_for[0].task.as_str(),
                m.waited_for[0].kind,
                m.waited_for[0].ns
            ),
            ("low", DelayKind::PriorityInversion, 390)
        );
        let kinds: Vec<_> = m.interference.iter().map(|i| (i.kind, i.ns)).collect();
        assert_eq!(
            kinds,
            vec![
                (InterferenceKind::Load, 500),
                (InterferenceKind::Softirq, 20)
            ]
        );
        assert_eq!(m.unexplained_ns, 110);
        assert_eq!(m.explained_ns(), 1_510);
    }

    #[test]
    fn without_the_thread_in_the_trace_the_miss_stays_as_measured() {
        let trace = Fake {
            states: vec![(0, 5_000, State::Unknown)],
            cpu: Vec::new(),
        };
        let mut m = miss(490, 3_500);
        let before = m.clone();
        attribute(&mut m, (100, own(0, 90)), (0, 3_500), &threads(), &trace);
        assert_eq!(m, before);
    }

    /// A lock wait measured by the clock (500, failed attempt to running
    /// with the lock) holds 100 of runnable time after the hand-over, which
    /// the trace gives to the task that ran: the wait keeps only its sleep.
    #[test]
    fn a_lock_wait_keeps_only_the_time_the_thread_slept() {
        let trace = Fake {
            states: vec![
                (0, 10, State::Asleep),
                (10, 210, State::Running(CPU)),
                (210, 610, State::Asleep),
                (610, 710, State::Runnable),
                (710, 1_010, State::Running(CPU)),
            ],
            cpu: vec![
                (0, 10, Occupant::Idle),
                (10, 210, Occupant::Thread(100)),
                (210, 610, Occupant::Idle),
                (610, 710, Occupant::Thread(101)),
                (710, 1_010, Occupant::Thread(100)),
            ],
        };
        let mut m = miss(500, 1_010);
        m.deadline_ns = 900;
        m.blocked_on = vec![Delay {
            task: "low".into(),
            resource: Some("r".into()),
            ran: None,
            kind: DelayKind::Blocking,
            ns: 500,
        }];
        attribute(&mut m, (100, own(0, 90)), (0, 1_010), &threads(), &trace);
        assert_eq!(m.blocked_on[0].ns, 400);
        assert_eq!(m.waited_for[0].ns, 100);
        assert_eq!(m.explained_ns(), 1_010);
        assert_eq!(m.unexplained_ns, 0);
    }
}
