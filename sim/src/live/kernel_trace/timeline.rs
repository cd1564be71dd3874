//! What ran on the traced CPUs during a window of `CLOCK_MONOTONIC` time,
//! and the queries a miss explanation needs.
//!
//! Each traced CPU's window is a gap-free sequence of segments (the end of
//! one is the start of the next, zero-length segments included: at the
//! trace's microsecond resolution a short handler starts and ends at one
//! instant), stored packed in 16 bytes ([`Slot`]) and searched by start
//! time, so every query costs O(log n + k) for k segments in its range.

use std::collections::{BTreeMap, HashMap};

use rtlab_tasks::model::CpuId;

use super::task_state::TaskState;

/// Who held a CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Who {
    /// Not known: before the CPU's first event, after lost events, after
    /// the trace stopped, or past the segment cap.
    Unknown,
    /// The idle task (pid 0).
    Idle,
    /// A thread, by kernel thread id (what `gettid` returns).
    Thread(u32),
    /// A hard interrupt handler, by interrupt number.
    Irq(u32),
    /// A softirq, by vector.
    Softirq(u32),
}

/// How a segment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Its thread was switched out (`sched_switch`), in this state: runnable
    /// (`R`, `R+` = preempted) or asleep (`S`, `D`, ...).
    Switched(TaskState),
    /// An interrupt or softirq handler took the CPU (the next segment).
    Interrupted,
    /// Its handler returned.
    Returned,
    /// Not known (events lost, trace stopped).
    Unknown,
    /// It goes on past the end of the window asked for.
    Clipped,
}

/// One stretch of a CPU's time, in `CLOCK_MONOTONIC` nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Start, ns.
    pub(crate) start_ns: u64,
    /// End, ns (exclusive; equal to `start_ns` for an event pair within one
    /// microsecond).
    pub(crate) end_ns: u64,
    /// Who held the CPU.
    pub(crate) who: Who,
    /// How it ended.
    pub(crate) ended: Ended,
}

/// A segment packed in 16 bytes: the end is the next slot's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Slot {
    pub(super) start_ns: u64,
    id: u32,
    ended: u16,
    kind: u8,
}

const ENDED_TAG: u32 = 13;

impl Slot {
    /// A slot for `who` from `start_ns`, its end not known yet.
    pub(super) fn new(start_ns: u64, who: Who) -> Slot {
        let (kind, id) = match who {
            Who::Unknown => (0, 0),
            Who::Idle => (1, 0),
            Who::Thread(p) => (2, p),
            Who::Irq(n) => (3, n),
            Who::Softirq(v) => (4, v),
        };
        Slot {
            start_ns,
            id,
            ended: 0,
            kind,
        }
    }

    pub(super) fn who(&self) -> Who {
        match self.kind {
            1 => Who::Idle,
            2 => Who::Thread(self.id),
            3 => Who::Irq(self.id),
            4 => Who::Softirq(self.id),
            _ => Who::Unknown,
        }
    }

    pub(super) fn ended(&self) -> Ended {
        match u32::from(self.ended) >> ENDED_TAG {
            1 => Ended::Switched(TaskState::from_bits(self.ended)),
            2 => Ended::Interrupted,
            3 => Ended::Returned,
            4 => Ended::Clipped,
            _ => Ended::Unknown,
        }
    }

    pub(super) fn set_ended(&mut self, ended: Ended) {
        let (tag, bits) = match ended {
            Ended::Unknown => (0u16, 0),
            Ended::Switched(s) => (1, s.bits()),
            Ended::Interrupted => (2, 0),
            Ended::Returned => (3, 0),
            Ended::Clipped => (4, 0),
        };
        self.ended = (tag << ENDED_TAG) | bits;
    }
}

/// A thread's name and priority as the kernel last reported them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ThreadInfo {
    /// `comm` (at most 15 bytes; invalid UTF-8 replaced).
    pub(crate) comm: String,
    /// The kernel priority (`prio`): see [`KernelPrio`].
    pub(crate) prio: i32,
}

/// A kernel `prio` in user terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KernelPrio {
    /// `prio` -1: SCHED_DEADLINE.
    Deadline,
    /// `prio` 0..=99: SCHED_FIFO or SCHED_RR at this priority (`99 - prio`).
    RealTime(u32),
    /// `prio` 100..=139: SCHED_OTHER / BATCH / IDLE at this nice value
    /// (`prio - 120`).
    Nice(i32),
}

impl ThreadInfo {
    /// The scheduling class and priority `prio` stands for (`None` for a
    /// value outside the kernel's ranges).
    pub(crate) fn priority(&self) -> Option<KernelPrio> {
        match self.prio {
            -1 => Some(KernelPrio::Deadline),
            p @ 0..=99 => Some(KernelPrio::RealTime((99 - p) as u32)),
            p @ 100..=139 => Some(KernelPrio::Nice(p - 120)),
            _ => None,
        }
    }
}

impl std::fmt::Display for KernelPrio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KernelPrio::Deadline => f.write_str("SCHED_DEADLINE"),
            KernelPrio::RealTime(p) => write!(f, "real-time {p}"),
            KernelPrio::Nice(n) => write!(f, "nice {n}"),
        }
    }
}

/// A thread's state over a stretch of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ThreadState {
    /// On `cpu`, executing.
    Running {
        /// The CPU.
        cpu: CpuId,
    },
    /// On `cpu`, but an interrupt or softirq handler had the CPU.
    Interrupted {
        /// The CPU.
        cpu: CpuId,
    },
    /// Ready, waiting for a CPU: switched out runnable, or woken.
    Runnable,
    /// Switched out asleep (`S`, `D`, ...) and not woken yet.
    Asleep,
    /// Switched out dead (`X`) or a zombie (`Z`).
    Exited,
    /// Not known (not seen yet, or events lost).
    Unknown,
}

/// A thread's state from `start_ns` to `end_ns` (ns, end exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StateSpan {
    /// Start, ns.
    pub(crate) start_ns: u64,
    /// End, ns.
    pub(crate) end_ns: u64,
    /// The state.
    pub(crate) state: ThreadState,
}

/// Where one CPU's time went over the whole window, in nanoseconds. The
/// parts add up to the window's length.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CpuTime {
    /// Per thread id.
    pub(crate) threads: BTreeMap<u32, u64>,
    /// Per interrupt number.
    pub(crate) irqs: BTreeMap<u32, u64>,
    /// Per softirq vector.
    pub(crate) softirqs: BTreeMap<u32, u64>,
    /// All interrupt handlers.
    pub(crate) irq_ns: u64,
    /// All softirqs.
    pub(crate) softirq_ns: u64,
    /// The idle task.
    pub(crate) idle_ns: u64,
    /// Not known (see [`Who::Unknown`]).
    pub(crate) unknown_ns: u64,
}

impl CpuTime {
    pub(super) fn add(&mut self, who: Who, ns: u64) {
        match who {
            Who::Unknown => self.unknown_ns += ns,
            Who::Idle => self.idle_ns += ns,
            Who::Thread(p) => *self.threads.entry(p).or_default() += ns,
            Who::Irq(n) => {
                *self.irqs.entry(n).or_default() += ns;
                self.irq_ns += ns;
            }
            Who::Softirq(v) => {
                *self.softirqs.entry(v).or_default() += ns;
                self.softirq_ns += ns;
            }
        }
    }

    /// All of it (the window's length).
    #[cfg(test)]
    pub(crate) fn total_ns(&self) -> u64 {
        self.threads.values().sum::<u64>()
            + self.irq_ns
            + self.softirq_ns
            + self.idle_ns
            + self.unknown_ns
    }
}

/// One traced CPU's window.
#[derive(Debug)]
pub(super) struct CpuTimeline {
    pub(super) id: CpuId,
    /// Contiguous from the window's start; the last ends at `end_ns`.
    pub(super) slots: Vec<Slot>,
    pub(super) end_ns: u64,
    pub(super) totals: CpuTime,
}

impl CpuTimeline {
    fn end_of(&self, i: usize) -> u64 {
        self.slots.get(i + 1).map_or(self.end_ns, |s| s.start_ns)
    }

    /// The slots overlapping `[from, to)`.
    fn range(&self, from: u64, to: u64) -> std::ops::Range<usize> {
        if from >= to {
            return 0..0;
        }
        let first = self
            .slots
            .partition_point(|s| s.start_ns <= from)
            .saturating_sub(1);
        let last = self.slots.partition_point(|s| s.start_ns < to);
        first..last.max(first)
    }
}

/// A thread segment, by CPU index and slot index (8 bytes).
#[derive(Clone, Copy, Debug)]
pub(super) struct RunRef {
    pub(super) cpu: u32,
    pub(super) slot: u32,
}

struct Run {
    start: u64,
    end: u64,
    cpu: CpuId,
    ended: Ended,
}

/// What ran on each traced CPU over `[from_ns, to_ns)`.
#[derive(Debug)]
pub(crate) struct Timeline {
    /// Window start, `CLOCK_MONOTONIC` ns.
    pub(crate) from_ns: u64,
    /// Window end, ns.
    pub(crate) to_ns: u64,
    /// Events the kernel dropped (its buffer was full), summed over the
    /// `LOST` reports that gave a count.
    pub(crate) lost_events: u64,
    /// `LOST` reports on traced CPUs; each leaves an unknown gap.
    pub(crate) lost_gaps: u64,
    /// Event lines read (all CPUs, whole trace).
    pub(crate) events: u64,
    /// Lines that were not one of the events read (skipped).
    pub(crate) malformed_lines: u64,
    /// Switches out of idle the kernel did not report, placed at the
    /// wake-up of the thread that ran next (see the builder's
    /// documentation; some virtual machines never report them on some
    /// CPUs).
    pub(crate) inferred_switches: u64,
    /// The segment cap was reached: segments stop at some point (unknown
    /// after it), `totals` still cover the whole window.
    pub(crate) truncated: bool,
    /// Anything that makes the record less than complete, in words.
    pub(crate) warnings: Vec<String>,
    pub(super) cpus: Vec<CpuTimeline>,
    pub(super) threads: BTreeMap<u32, ThreadInfo>,
    pub(super) irq_names: BTreeMap<u32, String>,
    pub(super) softirq_names: BTreeMap<u32, String>,
    /// Sorted, within the window.
    pub(super) wakeups: HashMap<u32, Vec<u64>>,
    /// Per thread, its segments sorted by start.
    pub(super) runs: HashMap<u32, Vec<RunRef>>,
}

impl Timeline {
    /// The traced CPUs, in order.
    pub(crate) fn cpus(&self) -> Vec<CpuId> {
        self.cpus.iter().map(|c| c.id).collect()
    }

    fn cpu(&self, cpu: CpuId) -> Option<&CpuTimeline> {
        self.cpus.iter().find(|c| c.id == cpu)
    }

    /// `[from, to)` clamped to the window.
    fn window(&self, from_ns: u64, to_ns: u64) -> (u64, u64) {
        let from = from_ns.max(self.from_ns);
        (from, to_ns.min(self.to_ns).max(from))
    }

    /// The segments of `cpu` overlapping `[from_ns, to_ns)`, clipped to it
    /// (empty for a CPU not traced).
    pub(crate) fn segments(&self, cpu: CpuId, from_ns: u64, to_ns: u64) -> Vec<Segment> {
        let (from, to) = self.window(from_ns, to_ns);
        let Some(c) = self.cpu(cpu) else {
            return Vec::new();
        };
        c.range(from, to)
            .map(|i| {
                let slot = &c.slots[i];
                let end = c.end_of(i);
                Segment {
                    start_ns: slot.start_ns.max(from),
                    end_ns: end.min(to),
                    who: slot.who(),
                    ended: if end > to {
                        Ended::Clipped
                    } else {
                        slot.ended()
                    },
                }
            })
            .collect()
    }

    /// How long each occupant held `cpu` within `[from_ns, to_ns)`, largest
    /// first (ties in [`Who`] order); the times add up to the window's
    /// length on a traced CPU.
    pub(crate) fn occupancy(&self, cpu: CpuId, from_ns: u64, to_ns: u64) -> Vec<(Who, u64)> {
        let mut held: BTreeMap<Who, u64> = BTreeMap::new();
        for s in self.segments(cpu, from_ns, to_ns) {
            *held.entry(s.who).or_default() += s.end_ns - s.start_ns;
        }
        let mut held: Vec<(Who, u64)> = held.into_iter().filter(|&(_, ns)| ns > 0).collect();
        held.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        held
    }

    /// Where `cpu`'s time went over the whole window (`None` if not traced).
    pub(crate) fn totals(&self, cpu: CpuId) -> Option<&CpuTime> {
        self.cpu(cpu).map(|c| &c.totals)
    }

    /// The name and last priority seen for thread `pid`.
    pub(crate) fn thread(&self, pid: u32) -> Option<&ThreadInfo> {
        self.threads.get(&pid)
    }

    /// The handler name of interrupt `irq` (`virtio0`).
    pub(crate) fn irq_name(&self, irq: u32) -> Option<&str> {
        self.irq_names.get(&irq).map(String::as_str)
    }

    /// The name of softirq vector `vec` (`TIMER`).
    pub(crate) fn softirq_name(&self, vec: u32) -> Option<&str> {
        self.softirq_names.get(&vec).map(String::as_str)
    }

    /// When thread `pid` was woken onto a traced CPU (`sched_wakeup`)
    /// within `[from_ns,
    /// to_ns)`, sorted.
    #[cfg(test)]
    pub(crate) fn wakeups(&self, pid: u32, from_ns: u64, to_ns: u64) -> &[u64] {
        let (from, to) = self.window(from_ns, to_ns);
        let all = self.wakeups.get(&pid).map_or(&[][..], Vec::as_slice);
        &all[all.partition_point(|&w| w < from)..all.partition_point(|&w| w < to)]
    }

    /// `who` in words: `intruder (pid 4242)`, `irq 11 (virtio0)`, `softirq
    /// TIMER`, `idle`, `unknown`.
    pub(crate) fn describe(&self, who: Who) -> String {
        match who {
            Who::Thread(pid) => match self.thread(pid) {
                Some(t) => format!("{} (pid {pid})", t.comm),
                None => format!("pid {pid}"),
            },
            Who::Irq(n) => match self.irq_name(n) {
                Some(name) => format!("irq {n} ({name})"),
                None => format!("irq {n}"),
            },
            Who::Softirq(v) => match self.softirq_name(v) {
                Some(name) => format!("softirq {name}"),
                None => format!("softirq {v}"),
            },
            Who::Idle => "idle".to_string(),
            Who::Unknown => "unknown".to_string(),
        }
    }

    fn run(&self, r: RunRef) -> Run {
        let c = &self.cpus[r.cpu as usize];
        let i = r.slot as usize;
        Run {
            start: c.slots[i].start_ns,
            end: c.end_of(i),
            cpu: c.id,
            ended: c.slots[i].ended(),
        }
    }

    /// Thread `pid`'s states over `[from_ns, to_ns)`, in order, adjacent
    /// spans of one state merged and empty ones left out; they cover the
    /// window. Running and interrupted come from its segments; between
    /// two, the first one's end says: preempted (runnable), interrupted,
    /// asleep until its next wake-up (then runnable), or exited; with
    /// no segment before, it is unknown until its last wake-up. Exact for
    /// threads that run only on traced CPUs (rtlab's task threads): one that
    /// ran elsewhere shows there as runnable or asleep.
    pub(crate) fn thread_states(&self, pid: u32, from_ns: u64, to_ns: u64) -> Vec<StateSpan> {
        let (from, to) = self.window(from_ns, to_ns);
        let mut spans = Spans(Vec::new());
        let runs = self.runs.get(&pid).map_or(&[][..], Vec::as_slice);
        let wakeups = self.wakeups.get(&pid).map_or(&[][..], Vec::as_slice);
        let first = runs.partition_point(|&r| self.run(r).end <= from);
        let mut prev = first.checked_sub(1).map(|i| self.run(runs[i]));
        let mut cursor = from;
        for &r in &runs[first..] {
            let run = self.run(r);
            if run.start >= to {
                break;
            }
            if run.start > cursor {
                gap(&mut spans, prev.as_ref(), wakeups, cursor, run.start);
            }
            let cpu = run.cpu;
            spans.push(
                run.start.max(cursor),
                run.end.min(to),
                ThreadState::Running { cpu },
            );
            cursor = cursor.max(run.end);
            prev = Some(run);
        }
        if cursor < to {
            gap(&mut spans, prev.as_ref(), wakeups, cursor, to);
        }
        spans.0
    }
}

/// The states of a thread over `[a, b)`, between its segment `prev` and
/// its next one.
fn gap(spans: &mut Spans, prev: Option<&Run>, wakeups: &[u64], a: u64, b: u64) {
    let since = prev.map_or(0, |p| p.end);
    match prev.map(|p| (p.ended, p.cpu)) {
        Some((Ended::Interrupted, cpu)) => spans.push(a, b, ThreadState::Interrupted { cpu }),
        Some((Ended::Switched(s), _)) if s.exited() => spans.push(a, b, ThreadState::Exited),
        Some((Ended::Switched(s), _)) if s.runnable() => spans.push(a, b, ThreadState::Runnable),
        Some((Ended::Switched(_), _)) => {
            // Asleep until the first wake-up after it went to sleep.
            let woken = wakeups
                .get(wakeups.partition_point(|&w| w < since))
                .copied()
                .filter(|&w| w < b);
            split_at_wakeup(spans, a, b, woken, ThreadState::Asleep);
        }
        _ => {
            // Not known until the last wake-up since: it was asleep just
            // before and runnable from then.
            let woken = wakeups[..wakeups.partition_point(|&w| w < b)]
                .last()
                .copied()
                .filter(|&w| w >= since);
            split_at_wakeup(spans, a, b, woken, ThreadState::Unknown);
        }
    }
}

fn split_at_wakeup(spans: &mut Spans, a: u64, b: u64, woken: Option<u64>, before: ThreadState) {
    match woken {
        Some(w) => {
            let w = w.clamp(a, b);
            spans.push(a, w, before);
            spans.push(w, b, ThreadState::Runnable);
        }
        None => spans.push(a, b, before),
    }
}

struct Spans(Vec<StateSpan>);

impl Spans {
    fn push(&mut self, start_ns: u64, end_ns: u64, state: ThreadState) {
        if end_ns <= start_ns {
            return;
        }
        if let Some(last) = self.0.last_mut()
            && last.state == state
            && last.end_ns == start_ns
        {
            last.end_ns = end_ns;
            return;
        }
        self.0.push(StateSpan {
            start_ns,
            end_ns,
            state,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_packs_in_16_bytes_and_round_trips() {
        assert_eq!(std::mem::size_of::<Slot>(), 16);
        for who in [
            Who::Unknown,
            Who::Idle,
            Who::Thread(4_194_304),
            Who::Irq(11),
            Who::Softirq(9),
        ] {
            for ended in [
                Ended::Unknown,
                Ended::Switched(TaskState::PREEMPTED),
                Ended::Switched(TaskState::parse(b"D|K").expect("state")),
                Ended::Interrupted,
                Ended::Returned,
                Ended::Clipped,
            ] {
                let mut s = Slot::new(7, who);
                s.set_ended(ended);
                assert_eq!((s.start_ns, s.who(), s.ended()), (7, who, ended));
            }
        }
    }

    #[test]
    fn kernel_prio_reads_as_class_and_priority() {
        let info = |prio| ThreadInfo {
            comm: String::new(),
            prio,
        };
        assert_eq!(info(4).priority(), Some(KernelPrio::RealTime(95)));
        assert_eq!(info(120).priority(), Some(KernelPrio::Nice(0)));
        assert_eq!(info(139).priority(), Some(KernelPrio::Nice(19)));
        assert_eq!(info(-1).priority(), Some(KernelPrio::Deadline));
        assert_eq!(info(140).priority(), None);
        assert_eq!(KernelPrio::RealTime(95).to_string(), "real-time 95");
    }
}
