//! Records into a [`Timeline`]: one small state machine per traced CPU.
//!
//! Each CPU has a base occupant (a thread, idle, or unknown) and a stack of
//! handlers running on top of it (a softirq, an interrupt inside it). Every
//! event names the thread current on its CPU (`common_pid`), so every event
//! checks the state: when it contradicts it (events were lost, or the first
//! event of a CPU), what ran since the CPU's previous event is recorded as
//! unknown and the state is taken from the event (a wake-up in a softirq
//! does not say which softirq runs: the CPU stays unknown until an event
//! that does).
//!
//! One inference is made, because some kernels need it: on this project's
//! 2-vCPU KVM guest (6.18) every switch *out of idle* on CPU 1 goes
//! unreported (measured: 72 of 72 in one second; about 1% of the other
//! switches on both CPUs too), only the thread's own events follow. When
//! an idle CPU shows a thread running that was woken onto it since it went
//! idle, the thread is taken to have run from that wake-up (or the CPU's
//! last idle event, if later): an idle CPU switches to a woken thread at
//! once. Such switches are counted ([`Timeline::inferred_switches`]). A
//! missed switch between two threads is not inferred (without kernel
//! preemption the switch may come milliseconds after the wake-up): that
//! stretch stays unknown. Nothing else is guessed.
//!
//! Memory: 16 bytes per stored segment, 8 per wake-up, plus (built at the
//! end) 8 per thread segment for the per-thread index; `Vec` growth may
//! double the segment vectors while recording. Past `cap` segments and
//! wakeups in all, segments are no longer stored (the timeline says
//! `truncated`) but each CPU's time keeps being added up, so the totals
//! stay exact: the last [`SETTLE_NS`] of it is held back so that the end
//! of the window can still be clipped.

use std::collections::{BTreeMap, HashMap, VecDeque};

use rtlab_tasks::model::CpuId;

use super::parse::{Context, Event, Line, Record, parse_line};
use super::task_state::TaskState;
use super::timeline::{CpuTime, CpuTimeline, Ended, RunRef, Slot, ThreadInfo, Timeline, Who};

/// Default cap on stored segments and wakeups: 4 Mi records, at most
/// 64 MiB of segments (about 3 minutes of a CPU switching every 50 µs).
pub(crate) const DEFAULT_CAP: usize = 4 << 20;

/// How far behind the newest event the time counted past the cap is kept
/// unsettled, in ns: `finish` must come within this of the window's end
/// for the totals of a truncated timeline to be clipped exactly there.
pub(crate) const SETTLE_NS: u64 = 2_000_000_000;

/// Accumulates records, then makes a [`Timeline`] of a window.
#[derive(Debug)]
pub(crate) struct Builder {
    cpus: Vec<CpuState>,
    threads: HashMap<u32, ThreadInfo>,
    irq_names: BTreeMap<u32, String>,
    softirq_names: BTreeMap<u32, String>,
    wakeups: HashMap<u32, Vec<u64>>,
    budget: Budget,
    lost_events: u64,
    lost_gaps: u64,
    events: u64,
    malformed: u64,
    inferred: u64,
    failed: Option<(u64, String)>,
}

#[derive(Debug)]
struct Budget {
    stored: usize,
    cap: usize,
    newest_ns: u64,
}

impl Budget {
    fn full(&self) -> bool {
        self.stored >= self.cap
    }
}

impl Builder {
    /// A builder for the CPUs `cpus`, storing at most `cap` segments and
    /// wakeups.
    pub(crate) fn new(cpus: &[CpuId], cap: usize) -> Builder {
        let mut ids = cpus.to_vec();
        ids.sort_unstable();
        ids.dedup();
        Builder {
            budget: Budget {
                stored: ids.len(),
                cap,
                newest_ns: 0,
            },
            cpus: ids.into_iter().map(CpuState::new).collect(),
            threads: HashMap::new(),
            irq_names: BTreeMap::new(),
            softirq_names: BTreeMap::new(),
            wakeups: HashMap::new(),
            lost_events: 0,
            lost_gaps: 0,
            events: 0,
            malformed: 0,
            inferred: 0,
            failed: None,
        }
    }

    /// Takes one line of `trace_pipe` (without its newline).
    pub(crate) fn line(&mut self, line: &[u8]) {
        match parse_line(line) {
            Some(Line::Event(record)) => {
                self.events += 1;
                self.record(&record);
            }
            Some(Line::Lost { cpu, events }) => {
                self.lost_events += events.unwrap_or(0);
                if let Some(c) = self.cpus.iter_mut().find(|c| c.id == cpu) {
                    self.lost_gaps += 1;
                    c.lose(&mut self.budget);
                }
            }
            None if line.trim_ascii().is_empty() => {}
            None => self.malformed += 1,
        }
    }

    /// Takes one record.
    pub(crate) fn record(&mut self, r: &Record<'_>) {
        self.budget.newest_ns = self.budget.newest_ns.max(r.ts_ns);
        self.names(r);
        if let Event::Wakeup {
            pid, target_cpu, ..
        } = r.event
            && let Some(target) = self.cpus.iter_mut().find(|c| c.id == target_cpu)
        {
            target.woken(pid, r.ts_ns);
            if !self.budget.full() {
                self.wakeups.entry(pid).or_default().push(r.ts_ns);
                self.budget.stored += 1;
            }
        }
        if let Some(c) = self.cpus.iter_mut().find(|c| c.id == r.cpu) {
            self.inferred += u64::from(c.event(r, &mut self.budget));
        }
    }

    /// The reader failed at `at_ns`: nothing is known after it.
    pub(crate) fn fail(&mut self, at_ns: u64, why: String) {
        self.failed.get_or_insert((at_ns, why));
    }

    fn names(&mut self, r: &Record<'_>) {
        let mut name = |pid: u32, comm: &[u8], prio: i32| {
            if pid == 0 {
                return;
            }
            let known = self.threads.get(&pid);
            if known.is_none_or(|t| t.prio != prio || t.comm.as_bytes() != comm) {
                let comm = String::from_utf8_lossy(comm).into_owned();
                self.threads.insert(pid, ThreadInfo { comm, prio });
            }
        };
        match r.event {
            Event::Switch(s) => {
                name(s.prev_pid, s.prev_comm, s.prev_prio);
                name(s.next_pid, s.next_comm, s.next_prio);
            }
            Event::Wakeup {
                comm, pid, prio, ..
            } => name(pid, comm, prio),
            Event::IrqEntry { irq, name } => remember(&mut self.irq_names, irq, name),
            Event::SoftirqEntry { vec, action } => {
                remember(&mut self.softirq_names, vec, action);
            }
            Event::IrqExit { .. } | Event::SoftirqExit { .. } => {}
        }
    }

    /// The timeline of `[from_ns, to_ns)`; tracing stopped at `stopped_ns`
    /// (what ran after it is unknown).
    pub(crate) fn finish(self, from_ns: u64, to_ns: u64, stopped_ns: u64) -> Timeline {
        let to_ns = to_ns.max(from_ns);
        let mut warnings = Vec::new();
        let mut end = stopped_ns;
        if let Some((at, why)) = self.failed {
            warnings.push(format!(
                "the kernel trace reader stopped early ({why}): what ran after that is unknown"
            ));
            end = end.min(at);
        }
        let truncated = self.cpus.iter().any(|c| c.frozen_at.is_some());
        if truncated {
            warnings.push(format!(
                "the kernel trace held more than {} segments: segments past that point were \
                 not kept (totals still cover the whole run)",
                self.budget.cap
            ));
        }
        let newest = self.budget.newest_ns;
        let cpus: Vec<CpuTimeline> = self
            .cpus
            .into_iter()
            .map(|c| c.into_window(from_ns, to_ns, end, newest))
            .collect();
        let mut wakeups = self.wakeups;
        for times in wakeups.values_mut() {
            times.sort_unstable();
            times.retain(|&w| w >= from_ns && w < to_ns);
        }
        wakeups.retain(|_, times| !times.is_empty());
        Timeline {
            from_ns,
            to_ns,
            lost_events: self.lost_events,
            lost_gaps: self.lost_gaps,
            events: self.events,
            malformed_lines: self.malformed,
            inferred_switches: self.inferred,
            truncated,
            warnings,
            runs: index_runs(&cpus),
            cpus,
            threads: self.threads.into_iter().collect(),
            irq_names: self.irq_names,
            softirq_names: self.softirq_names,
            wakeups,
        }
    }
}

fn remember(names: &mut BTreeMap<u32, String>, id: u32, name: &[u8]) {
    if names.get(&id).map(String::as_bytes) != Some(name) {
        names.insert(id, String::from_utf8_lossy(name).into_owned());
    }
}

/// Per thread, its segments in start order.
fn index_runs(cpus: &[CpuTimeline]) -> HashMap<u32, Vec<RunRef>> {
    let mut runs: HashMap<u32, Vec<RunRef>> = HashMap::new();
    for (ci, c) in cpus.iter().enumerate() {
        for (si, slot) in c.slots.iter().enumerate() {
            if let Who::Thread(pid) = slot.who() {
                runs.entry(pid).or_default().push(RunRef {
                    cpu: ci as u32,
                    slot: si as u32,
                });
            }
        }
    }
    for list in runs.values_mut() {
        list.sort_by_key(|r| (cpus[r.cpu as usize].slots[r.slot as usize].start_ns, r.cpu));
    }
    runs
}

/// Wake-ups remembered per CPU for [`CpuState::infer_idle_exit`]: more
/// than the threads woken onto one idle CPU before it switches.
const WAKES_KEPT: usize = 32;

fn who(pid: u32) -> Who {
    if pid == 0 {
        Who::Idle
    } else {
        Who::Thread(pid)
    }
}

#[derive(Debug)]
struct CpuState {
    id: CpuId,
    /// Contiguous; the last one is open.
    slots: Vec<Slot>,
    base: Who,
    /// Since when `base` holds the CPU.
    base_since: u64,
    /// Handlers on top of `base`, innermost last.
    stack: Vec<Who>,
    /// The latest wake-ups onto this CPU: (thread, when), at most
    /// [`WAKES_KEPT`].
    wakes: Vec<(u32, u64)>,
    open_start: u64,
    last_ns: u64,
    /// Segments are no longer stored from here (the cap was reached).
    frozen_at: Option<u64>,
    spill: Spill,
}

impl CpuState {
    fn new(id: CpuId) -> CpuState {
        CpuState {
            id,
            slots: vec![Slot::new(0, Who::Unknown)],
            base: Who::Unknown,
            base_since: 0,
            stack: Vec::new(),
            wakes: Vec::new(),
            open_start: 0,
            last_ns: 0,
            frozen_at: None,
            spill: Spill::default(),
        }
    }

    fn top(&self) -> Who {
        self.stack.last().copied().unwrap_or(self.base)
    }

    /// Thread `pid` was woken onto this CPU at `ts`.
    fn woken(&mut self, pid: u32, ts: u64) {
        self.wakes.retain(|&(p, _)| p != pid);
        if self.wakes.len() == WAKES_KEPT {
            self.wakes.remove(0);
        }
        self.wakes.push((pid, ts));
    }

    fn set_base(&mut self, base: Who, t: u64) {
        self.base = base;
        self.base_since = t;
    }

    /// Takes one record; true if it showed an unreported switch out of
    /// idle (see the module documentation).
    fn event(&mut self, r: &Record<'_>, budget: &mut Budget) -> bool {
        let t = r.ts_ns.max(self.last_ns);
        let current = who(r.pid);
        let inferred = self.infer_idle_exit(t, current, budget);
        match r.event {
            Event::Switch(s) => {
                let prev = who(s.prev_pid);
                if self.base == prev && self.stack.is_empty() && current == prev {
                    self.close(t, Ended::Switched(s.prev_state), budget);
                    self.set_base(who(s.next_pid), t);
                    self.open(t, budget);
                } else {
                    self.adopt(t, who(s.next_pid), None, budget);
                }
            }
            Event::IrqEntry { irq, .. } => self.enter(t, current, Who::Irq(irq), budget),
            Event::SoftirqEntry { vec, .. } => self.enter(t, current, Who::Softirq(vec), budget),
            Event::IrqExit { irq } => self.exit(t, current, Who::Irq(irq), budget),
            Event::SoftirqExit { vec } => self.exit(t, current, Who::Softirq(vec), budget),
            Event::Wakeup { .. } if self.base != current => {
                // In a hard interrupt without a traced handler (the local
                // timer, an IPI) the time counts as the interrupted
                // thread's, as everywhere; in a softirq we would not know
                // which one runs.
                if matches!(r.context, Context::Thread | Context::Hardirq) {
                    self.adopt(t, current, None, budget);
                } else {
                    self.lose(budget);
                }
            }
            Event::Wakeup { .. } => {}
        }
        self.last_ns = t;
        inferred
    }

    /// An idle CPU showing `current` running at `t`: if `current` was woken
    /// onto it since it went idle, it took the CPU then (or at the CPU's
    /// last idle event, if later).
    fn infer_idle_exit(&mut self, t: u64, current: Who, budget: &mut Budget) -> bool {
        let Who::Thread(pid) = current else {
            return false;
        };
        if self.base != Who::Idle || !self.stack.is_empty() {
            return false;
        }
        let since = self.base_since;
        let Some(woken) = self
            .wakes
            .iter()
            .rev()
            .find(|&&(p, w)| p == pid && w >= since)
            .map(|&(_, w)| w)
        else {
            return false;
        };
        let at = woken.max(self.last_ns).min(t);
        // The idle task leaves runnable, as the kernel reports it.
        self.close(at, Ended::Switched(TaskState::RUNNABLE), budget);
        self.set_base(current, at);
        self.open(at, budget);
        true
    }

    fn enter(&mut self, t: u64, current: Who, handler: Who, budget: &mut Budget) {
        if self.base != current {
            self.adopt(t, current, Some(handler), budget);
            return;
        }
        self.close(t, Ended::Interrupted, budget);
        self.stack.push(handler);
        self.open(t, budget);
    }

    fn exit(&mut self, t: u64, current: Who, handler: Who, budget: &mut Budget) {
        if self.base != current || self.stack.last() != Some(&handler) {
            self.adopt(t, current, None, budget);
            return;
        }
        self.close(t, Ended::Returned, budget);
        self.stack.pop();
        self.open(t, budget);
    }

    /// What ran after the last event is unknown.
    fn lose(&mut self, budget: &mut Budget) {
        if self.top() == Who::Unknown {
            return;
        }
        let t = self.last_ns.max(self.open_start);
        self.close(t, Ended::Unknown, budget);
        self.set_base(Who::Unknown, t);
        self.stack.clear();
        self.open(t, budget);
    }

    /// The event at `t` contradicts the state (or there was none): unknown
    /// since the last event, `base` (under `handler`) from `t`.
    fn adopt(&mut self, t: u64, base: Who, handler: Option<Who>, budget: &mut Budget) {
        self.lose(budget);
        self.close(t, Ended::Unknown, budget);
        self.set_base(base, t);
        self.stack.clear();
        self.stack.extend(handler);
        self.open(t, budget);
    }

    /// Ends the open segment at `t`.
    fn close(&mut self, t: u64, ended: Ended, budget: &Budget) {
        if self.frozen_at.is_some() {
            let top = self.top();
            self.spill.add(self.open_start, t, top, budget.newest_ns);
        } else if let Some(last) = self.slots.last_mut() {
            last.set_ended(ended);
        }
    }

    /// Opens a segment for the current top at `t`.
    fn open(&mut self, t: u64, budget: &mut Budget) {
        self.open_start = t;
        if self.frozen_at.is_some() {
            return;
        }
        if budget.full() {
            // One last slot: unknown from here on, as far as segments go.
            self.frozen_at = Some(t);
            self.slots.push(Slot::new(t, Who::Unknown));
            return;
        }
        // A zero-length unknown stretch says nothing.
        if let Some(last) = self.slots.last()
            && last.start_ns == t
            && last.who() == Who::Unknown
            && self.slots.len() > 1
        {
            self.slots.pop();
            budget.stored -= 1;
        }
        self.slots.push(Slot::new(t, self.top()));
        budget.stored += 1;
    }

    /// Closes the trace at `end` and cuts the window out.
    fn into_window(mut self, from: u64, to: u64, end: u64, newest: u64) -> CpuTimeline {
        let end = end.max(self.last_ns);
        let mut slots = std::mem::take(&mut self.slots);
        if let Some(frozen_at) = self.frozen_at {
            self.spill.add(self.open_start, end, self.top(), newest);
            self.spill.add(end, to.max(end), Who::Unknown, newest);
            let mut totals = slot_totals(&slots, from, to.min(frozen_at), end);
            self.spill.settle_into(&mut totals, from, to);
            return CpuTimeline {
                id: self.id,
                slots: clip(slots, from, to),
                end_ns: to,
                totals,
            };
        }
        if let Some(last) = slots.last_mut() {
            last.set_ended(Ended::Unknown);
            if last.who() != Who::Unknown {
                slots.push(Slot::new(end, Who::Unknown));
            }
        }
        let totals = slot_totals(&slots, from, to, u64::MAX);
        CpuTimeline {
            id: self.id,
            slots: clip(slots, from, to),
            end_ns: to,
            totals,
        }
    }
}

/// Time per occupant of contiguous `slots` within `[from, to)`; the last
/// slot ends at `last_end`.
fn slot_totals(slots: &[Slot], from: u64, to: u64, last_end: u64) -> CpuTime {
    let mut totals = CpuTime::default();
    for (i, slot) in slots.iter().enumerate() {
        let end = slots.get(i + 1).map_or(last_end, |s| s.start_ns).min(to);
        let start = slot.start_ns.max(from);
        if end > start {
            totals.add(slot.who(), end - start);
        }
    }
    totals
}

/// The slots overlapping `[from, to)`, the first starting at `from`, the
/// last marked clipped if it went on past `to`.
fn clip(mut slots: Vec<Slot>, from: u64, to: u64) -> Vec<Slot> {
    if from >= to {
        return Vec::new();
    }
    let first = slots
        .partition_point(|s| s.start_ns <= from)
        .saturating_sub(1);
    let last = slots.partition_point(|s| s.start_ns < to);
    let next_start = slots.get(last).map(|s| s.start_ns);
    slots.truncate(last);
    slots.drain(..first);
    if let Some(s) = slots.first_mut() {
        s.start_ns = s.start_ns.max(from);
    }
    if next_start.is_none_or(|n| n > to)
        && let Some(s) = slots.last_mut()
    {
        s.set_ended(Ended::Clipped);
    }
    slots.shrink_to_fit();
    slots
}

/// Time counted past the cap: settled totals, and the latest stretches
/// held back so that the window's end can still clip them.
#[derive(Debug, Default)]
struct Spill {
    settled: CpuTime,
    pending: VecDeque<(u64, u64, Who)>,
}

impl Spill {
    fn add(&mut self, start: u64, end: u64, who: Who, newest: u64) {
        if end > start {
            self.pending.push_back((start, end, who));
        }
        while let Some(&(s, e, w)) = self.pending.front()
            && e.saturating_add(SETTLE_NS) < newest
        {
            self.settled.add(w, e - s);
            self.pending.pop_front();
        }
    }

    fn settle_into(self, totals: &mut CpuTime, from: u64, to: u64) {
        let settled = self.settled;
        for (pid, ns) in settled.threads {
            totals.add(Who::Thread(pid), ns);
        }
        for (irq, ns) in settled.irqs {
            totals.add(Who::Irq(irq), ns);
        }
        for (vec, ns) in settled.softirqs {
            totals.add(Who::Softirq(vec), ns);
        }
        totals.add(Who::Idle, settled.idle_ns);
        totals.add(Who::Unknown, settled.unknown_ns);
        for (s, e, w) in self.pending {
            let (s, e) = (s.max(from), e.min(to));
            if e > s {
                totals.add(w, e - s);
            }
        }
    }
}
