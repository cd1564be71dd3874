//! The recent job windows of every task thread, shared without locks, so
//! that a thread that wakes late can tell how much of its delay was other
//! rtlab tasks running on its CPU (which is scheduling, not wake-up
//! latency).
//!
//! Each thread publishes the start of the job it runs and, at the job's
//! end, its window `[start, end]` into a ring of the last [`RING`] windows.
//! A waking thread reads the rings of its *peers*: the tasks on its CPU
//! that keep it off the CPU when it becomes ready (under SCHED_FIFO / RR,
//! those of an equal or higher OS priority; under non-preemptive
//! dispatching, every task of the CPU). Time those peers' jobs spent in
//! its `[release, running]` window is charged to them; the rest is its
//! wake-up latency: the timer, the interrupt, the scheduler and anything
//! else (foreign threads, interrupts: a kernel trace names those).
//!
//! A less urgent task of the CPU keeps it off the CPU too while it runs
//! above its own priority: in a critical section under a priority
//! ceiling (from the lock to the unlock), or under priority inheritance
//! while a more urgent task waits for its lock (from the wait's start to
//! the unlock, as the holder sees at the unlock). Those *boosted* windows
//! are published in a second ring, with the priority they ran at.
//!
//! A peer's job window counts whole: a peer preempted inside it by a more
//! urgent peer hands its time to that one (the most urgent peer in progress
//! at an instant is the one running, on one CPU under SCHED_FIFO), and a
//! peer preempted by a foreign thread keeps that time (without a kernel
//! trace nobody can say better).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use rtlab_tasks::outcome::DelayKind;

/// Job windows kept per task: enough for a release delayed by 64 jobs of
/// one peer.
const RING: usize = 64;

/// One published window; `end` is 0 while it is being written.
#[derive(Default)]
struct Slot {
    start: AtomicU64,
    end: AtomicU64,
    /// For a boosted window, the OS priority it ran at.
    priority: AtomicU64,
}

/// One task's windows.
struct Ring {
    slots: [Slot; RING],
    /// Windows written so far.
    written: AtomicUsize,
    /// Start of the job in progress (CLOCK_MONOTONIC ns), 0 when none.
    current: AtomicU64,
}

impl Default for Ring {
    fn default() -> Self {
        Ring {
            slots: std::array::from_fn(|_| Slot::default()),
            written: AtomicUsize::new(0),
            current: AtomicU64::new(0),
        }
    }
}

/// Every task's recent job windows and boosted windows (CLOCK_MONOTONIC
/// ns), and when each started waiting for a lock.
pub(crate) struct Spans {
    rings: Vec<Ring>,
    boosts: Vec<Ring>,
    /// Per task: when its current lock wait started, 0 when not waiting.
    waiting_since: Vec<AtomicU64>,
}

/// A peer of a task: it keeps the task off its CPU while it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Peer {
    /// The peer's task index.
    pub(crate) task: usize,
    /// Its urgency: peers are listed most urgent first.
    pub(crate) kind: DelayKind,
    /// `None`: its job windows count; `Some(p)`: only its boosted windows
    /// at OS priority `p` or above (a less urgent task).
    pub(crate) boosted_to: Option<u8>,
}

impl Spans {
    /// Rings for `n` tasks.
    pub(crate) fn new(n: usize) -> Self {
        Spans {
            rings: (0..n).map(|_| Ring::default()).collect(),
            boosts: (0..n).map(|_| Ring::default()).collect(),
            waiting_since: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Task `task` ran at OS priority `priority` (above its own) from
    /// `start` to `end`.
    pub(crate) fn boosted(&self, task: usize, start: u64, end: u64, priority: u8) {
        publish(&self.boosts[task], start, end, u64::from(priority));
    }

    /// Task `task` waits for a lock since `since` (0: it no longer waits).
    pub(crate) fn waiting(&self, task: usize, since: u64) {
        self.waiting_since[task].store(since, Ordering::Release);
    }

    /// When task `task`'s current lock wait started, if it waits.
    pub(crate) fn waiting_since(&self, task: usize) -> Option<u64> {
        match self.waiting_since[task].load(Ordering::Acquire) {
            0 => None,
            t => Some(t),
        }
    }

    /// Task `task` started a job at `start`.
    pub(crate) fn started(&self, task: usize, start: u64) {
        self.rings[task]
            .current
            .store(start.max(1), Ordering::Release);
    }

    /// Task `task`'s job that started at `start` ended at `end`.
    pub(crate) fn ended(&self, task: usize, start: u64, end: u64) {
        let ring = &self.rings[task];
        publish(ring, start, end, 0);
        ring.current.store(0, Ordering::Release);
    }

    /// The time `peers` (most urgent first) ran in `[from, to]`, by peer
    /// (each instant charged to the most urgent peer with a job in
    /// progress), and in all.
    pub(crate) fn charged(&self, peers: &[Peer], from: u64, to: u64) -> (Vec<(Peer, u64)>, u64) {
        let mut covered: Vec<(u64, u64)> = Vec::new();
        let mut out = Vec::new();
        for &peer in peers {
            let windows = match peer.boosted_to {
                None => self.windows(peer.task, from, to),
                Some(p) => read(&self.boosts[peer.task], from, to, u64::from(p), 0),
            };
            let ns: u64 = windows.iter().map(|&w| uncovered(w, &covered)).sum();
            if ns > 0 {
                out.push((peer, ns));
            }
            covered.extend(windows);
            covered = merge(covered);
        }
        let total = covered.iter().map(|(a, b)| b - a).sum();
        (out, total)
    }

    /// `task`'s job windows clipped to `[from, to]`, the job in progress
    /// included (running until `to`).
    fn windows(&self, task: usize, from: u64, to: u64) -> Vec<(u64, u64)> {
        let ring = &self.rings[task];
        let current = ring.current.load(Ordering::Acquire);
        let mut out = read(ring, from, to, 0, current);
        if current != 0 && current.max(from) < to {
            out.push((current.max(from), to));
        }
        out
    }
}

/// Writes window `[start, end]` (with `priority`) into `ring`.
fn publish(ring: &Ring, start: u64, end: u64, priority: u64) {
    let n = ring.written.load(Ordering::Relaxed);
    let slot = &ring.slots[n % RING];
    slot.end.store(0, Ordering::Release);
    slot.start.store(start, Ordering::Release);
    slot.priority.store(priority, Ordering::Release);
    slot.end.store(end.max(start).max(1), Ordering::Release);
    ring.written.store(n + 1, Ordering::Release);
}

/// The windows of `ring` at `priority` or above, clipped to `[from, to]`,
/// but the one that started at `skip` (a job read as in progress that
/// ended since: it is already counted).
fn read(ring: &Ring, from: u64, to: u64, priority: u64, skip: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let written = ring.written.load(Ordering::Acquire);
    for n in (written.saturating_sub(RING)..written).rev() {
        let slot = &ring.slots[n % RING];
        let end = slot.end.load(Ordering::Acquire);
        let start = slot.start.load(Ordering::Acquire);
        let p = slot.priority.load(Ordering::Acquire);
        // Torn (being rewritten): skip it.
        if end == 0 || slot.end.load(Ordering::Acquire) != end {
            continue;
        }
        // Windows are written at their end, in end order.
        if end <= from {
            break;
        }
        if p < priority || (skip != 0 && start == skip) {
            continue;
        }
        let (s, e) = (start.max(from), end.min(to));
        if s < e {
            out.push((s, e));
        }
    }
    out
}

/// The part of `w` not in `covered` (sorted, disjoint), ns.
fn uncovered(w: (u64, u64), covered: &[(u64, u64)]) -> u64 {
    let inside: u64 = covered
        .iter()
        .map(|&(a, b)| b.min(w.1).saturating_sub(a.max(w.0)))
        .sum();
    (w.1 - w.0).saturating_sub(inside)
}

/// `spans` sorted and merged into disjoint intervals.
fn merge(mut spans: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    spans.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
    for (a, b) in spans {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HI: Peer = Peer {
        task: 0,
        kind: DelayKind::Interference,
        boosted_to: None,
    };
    const MID: Peer = Peer {
        task: 1,
        kind: DelayKind::Interference,
        boosted_to: None,
    };

    #[test]
    fn the_most_urgent_peer_in_progress_gets_each_instant() {
        let spans = Spans::new(3);
        // mid runs [100, 400], preempted by hi [200, 300].
        spans.ended(0, 200, 300);
        spans.ended(1, 100, 400);
        // Task 2 released at 150, running at 450: 250 of its 300 ns
        // were the peers'; 50 are its own wake-up latency.
        let (by, total) = spans.charged(&[HI, MID], 150, 450);
        assert_eq!(by, vec![(HI, 100), (MID, 150)]);
        assert_eq!(total, 250);
    }

    #[test]
    fn a_job_in_progress_counts_up_to_the_wake_up_and_old_windows_not_at_all() {
        let spans = Spans::new(2);
        spans.ended(0, 10, 20);
        spans.started(0, 1_000);
        let (by, total) = spans.charged(&[HI], 900, 1_500);
        assert_eq!((by, total), (vec![(HI, 500)], 500));
        spans.ended(0, 1_000, 1_200);
        let (by, total) = spans.charged(&[HI], 1_300, 1_500);
        assert_eq!((by, total), (vec![], 0));
    }

    #[test]
    fn only_the_last_windows_are_kept_and_they_are_read_newest_first() {
        let spans = Spans::new(1);
        for k in 0..(RING as u64 + 10) {
            spans.ended(0, k * 100, k * 100 + 10);
        }
        // Windows older than the ring are gone; the newest are there.
        assert_eq!(spans.charged(&[HI], 0, 500).1, 0);
        let last = (RING as u64 + 9) * 100;
        assert_eq!(spans.charged(&[HI], last, last + 100).1, 10);
    }

    /// A reader that saw a job in progress and then its window in the ring
    /// (it ended in between) counts it once.
    #[test]
    fn a_job_read_in_progress_and_ended_counts_once() {
        let spans = Spans::new(1);
        spans.ended(0, 100, 200);
        // As if `current` had been read before the job ended.
        spans.rings[0].current.store(100, Ordering::Release);
        let (by, total) = spans.charged(&[HI], 0, 300);
        assert_eq!((by, total), (vec![(HI, 200)], 200));
    }

    /// A less urgent task counts only while it ran boosted to the waking
    /// task's priority or above.
    #[test]
    fn a_less_urgent_peer_counts_only_while_boosted_high_enough() {
        let spans = Spans::new(2);
        spans.ended(1, 0, 1_000);
        spans.boosted(1, 200, 500, 90);
        spans.boosted(1, 600, 700, 50);
        let lo = Peer {
            task: 1,
            kind: DelayKind::PriorityInversion,
            boosted_to: Some(80),
        };
        // Released at 100, running at 900: only 200-500 at 90 >= 80.
        assert_eq!(spans.charged(&[lo], 100, 900), (vec![(lo, 300)], 300));
    }
}
