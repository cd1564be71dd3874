//! The ring of a run's recent events, from which a window around a new
//! worst miss is cut, trimmed lazily.
//!
//! ## What it holds
//!
//! The ring keeps the latest events, minus those that are too old or too
//! many: after event `k`, with horizon `h_k` (the newest event time minus
//! how far back the ring keeps, never decreasing), it holds the events from
//! the first index `j` with `time(e_j) >= h_k` and `k - j < MAX` on. Events
//! are not in time order (a miss is stamped at its deadline, before the
//! job's end), so an old event behind a recent one stays until the recent
//! one goes; [`Ring::evicted_until`] is the latest time among the events
//! let go.
//!
//! ## Lazy trimming
//!
//! Letting go of the front at every event (the eager ring) costs a test
//! and a pop per event; the ring instead keeps the engine's batches whole
//! (handed over, not copied, which made a 3-task run about 3% faster) and trims
//! only when it has grown to twice its size after the last trim, and
//! whenever its contents are read. Both give the same contents at every
//! read: `time(e_j) >= h_k` and `k - j < MAX` both get harder to meet as
//! `k` grows (the horizon never decreases), so an event the eager ring let
//! go of at some step fails the condition at every later step too, and the
//! eager ring after event `k` is exactly the shortest suffix whose first
//! event meets the condition of step `k`: what one trim at step `k` leaves,
//! from any older state. The events let go are the same, so
//! `evicted_until` is too. Memory stays bounded: at most twice the eager
//! ring, and at most twice [`MAX_WINDOW_EVENTS`] and one batch.

use std::collections::VecDeque;

use super::MAX_WINDOW_EVENTS;
use crate::outcome::trace::JobEvent;

/// The fewest entries a trim waits for.
const MIN_TRIM: usize = 256;
/// The most entries the ring holds between trims, besides one batch.
pub(super) const MAX_HELD: usize = 2 * MAX_WINDOW_EVENTS;
/// Emptied batches kept for the engine to fill again, at most.
const SPARES: usize = 4;
/// The fewest events a batch the ring makes itself has room for.
const MIN_BATCH: usize = 256;

/// Recent events, trimmed lazily (see the module docs).
#[derive(Debug)]
pub(super) struct Ring {
    /// The engine's batches, kept whole, oldest first; the front one from
    /// `head` on.
    batches: VecDeque<Vec<JobEvent>>,
    head: usize,
    /// How many events are held (from `head` on).
    len: usize,
    /// Trim when this many entries are held.
    trim_at: usize,
    /// The latest time of an event let go, in ns.
    evicted_until: Option<u64>,
    /// Batches let go, emptied, to give back.
    spares: Vec<Vec<JobEvent>>,
}

impl Ring {
    pub(super) fn new() -> Ring {
        Ring {
            batches: VecDeque::new(),
            head: 0,
            len: 0,
            trim_at: MIN_TRIM,
            evicted_until: None,
            spares: Vec::new(),
        }
    }

    /// Keeps `batch` itself (no copy); trims to `horizon_ns` (the horizon
    /// after its last event) when the ring has grown enough. Gives back an
    /// emptied batch let go earlier, if there is one.
    #[inline]
    pub(super) fn keep(&mut self, batch: Vec<JobEvent>, horizon_ns: u64) -> Option<Vec<JobEvent>> {
        if batch.is_empty() {
            return Some(batch);
        }
        self.len += batch.len();
        self.batches.push_back(batch);
        if self.len >= self.trim_at {
            self.trim(horizon_ns);
        }
        self.spares.pop()
    }

    /// Adds a copy of `events`, in order, into the newest batch while it
    /// has room (a live run hands events over one by one), else into a
    /// batch of its own; trims as [`Ring::keep`].
    pub(super) fn extend(&mut self, events: &[JobEvent], horizon_ns: u64) {
        if events.is_empty() {
            return;
        }
        match self.batches.back_mut() {
            Some(back) if back.capacity() - back.len() >= events.len() => {
                back.extend_from_slice(events);
            }
            _ => {
                let mut batch = self.spares.pop().unwrap_or_default();
                batch.reserve(events.len().max(MIN_BATCH));
                batch.extend_from_slice(events);
                self.batches.push_back(batch);
            }
        }
        self.len += events.len();
        if self.len >= self.trim_at {
            self.trim(horizon_ns);
        }
    }

    /// Lets go of the events the eager ring would not hold at horizon
    /// `horizon_ns` (the horizon after the latest event added).
    pub(super) fn trim(&mut self, horizon_ns: u64) {
        // How many go: those beyond the cap, then those before the
        // horizon; the latest time among them, found on the way.
        let first = self.len.saturating_sub(MAX_WINDOW_EVENTS);
        let mut latest = 0;
        let mut gone = 0;
        'scan: for (i, batch) in self.batches.iter().enumerate() {
            let from = if i == 0 { self.head } else { 0 };
            for e in &batch[from..] {
                if gone >= first && e.time_ns >= horizon_ns {
                    break 'scan;
                }
                latest = latest.max(e.time_ns);
                gone += 1;
            }
        }
        if gone > 0 {
            self.evicted_until = Some(self.evicted_until.map_or(latest, |u| u.max(latest)));
            self.len -= gone;
            self.let_go(gone);
        }
        // Twice what is kept: a trim comes after at least as many new
        // entries as it looks at.
        self.trim_at = (2 * self.len).clamp(MIN_TRIM, MAX_HELD);
    }

    /// Moves the start `gone` events on, emptying the batches passed.
    fn let_go(&mut self, mut gone: usize) {
        while let Some(front) = self.batches.front() {
            let left = front.len() - self.head;
            if gone < left {
                self.head += gone;
                return;
            }
            gone -= left;
            self.head = 0;
            if let Some(mut batch) = self.batches.pop_front()
                && self.spares.len() < SPARES
            {
                batch.clear();
                self.spares.push(batch);
            }
        }
    }

    /// The latest time of an event let go, in ns, as of the last trim.
    pub(super) fn evicted_until(&self) -> Option<u64> {
        self.evicted_until
    }

    /// The events held, oldest first, as of the last trim and the events
    /// added since.
    pub(super) fn events(&self) -> impl Iterator<Item = &JobEvent> {
        let head = self.head;
        self.batches
            .iter()
            .enumerate()
            .flat_map(move |(i, b)| b[if i == 0 { head } else { 0 }..].iter())
    }

    /// How many events are held.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// How many batches hold them.
    #[cfg(test)]
    fn batch_count(&self) -> usize {
        self.batches.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ResourceId, TaskId};
    use crate::outcome::trace::EventKind;
    use proptest::prelude::*;

    /// The ring as it was: trimmed after every push.
    struct Eager {
        entries: VecDeque<JobEvent>,
        evicted_until: Option<u64>,
    }

    impl Eager {
        fn push(&mut self, e: JobEvent, horizon_ns: u64) {
            self.entries.push_back(e);
            while self.entries.front().is_some_and(|f| f.time_ns < horizon_ns)
                || self.entries.len() > MAX_WINDOW_EVENTS
            {
                if let Some(f) = self.entries.pop_front() {
                    let t = f.time_ns;
                    self.evicted_until = Some(self.evicted_until.map_or(t, |u| u.max(t)));
                }
            }
        }
    }

    fn kind(code: u8, r: usize) -> EventKind {
        let resource = ResourceId(r);
        match code % 13 {
            0 => EventKind::Release,
            1 => EventKind::Start,
            2 => EventKind::Preempt,
            3 => EventKind::Resume,
            4 => EventKind::Block { resource },
            5 => EventKind::Unblock { resource },
            6 => EventKind::Lock { resource },
            7 => EventKind::Unlock { resource },
            8 => EventKind::Complete,
            9 => EventKind::Miss,
            10 => EventKind::Abort,
            11 => EventKind::Skip,
            _ => EventKind::Fault,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// At every step where the lazy ring is read (trimmed first), it
        /// holds exactly what the eager ring holds, and has let go of the
        /// same latest time, whatever the batches.
        #[test]
        fn the_lazy_ring_reads_as_the_eager_one(
            steps in proptest::collection::vec(
                (0u64..2_000, 0u64..3_000, any::<u8>(), 0usize..4, proptest::option::of(0u32..4),
                 0u16..1_000),
                1..30_000),
            keep in 0u64..400_000,
            dense in any::<bool>(),
        ) {
            let mut lazy = Ring::new();
            let mut eager = Eager { entries: VecDeque::new(), evicted_until: None };
            let mut newest = 0u64;
            let mut batch = Vec::new();
            for (i, &(advance, back, code, r, cpu, read)) in steps.iter().enumerate() {
                newest += if dense { advance / 100 } else { advance };
                // Some events are stamped in the past, as a miss is.
                let t = if code % 5 == 0 { newest.saturating_sub(back) } else { newest };
                let e = JobEvent { time_ns: t, task: TaskId(i % 7), job: i as u64, cpu, kind: kind(code, r) };
                let horizon = newest.saturating_sub(keep);
                batch.push(e);
                eager.push(e, horizon);
                // Batches of one to a few hundred events.
                if batch.len() > usize::from(code) || read == 0 || i + 1 == steps.len() {
                    // Batches handed over whole or copied, as the engine
                    // and a window cut in a batch's middle do.
                    if code % 2 == 0 {
                        let given = lazy.keep(std::mem::take(&mut batch), horizon);
                        prop_assert!(given.as_ref().is_none_or(Vec::is_empty));
                    } else {
                        lazy.extend(&batch, horizon);
                        batch.clear();
                    }
                }
                if read == 0 || i + 1 == steps.len() {
                    lazy.trim(horizon);
                    let got: Vec<JobEvent> = lazy.events().copied().collect();
                    prop_assert_eq!(got.len(), lazy.len());
                    let want: Vec<JobEvent> = eager.entries.iter().copied().collect();
                    prop_assert_eq!(got, want);
                    prop_assert_eq!(lazy.evicted_until(), eager.evicted_until);
                }
                prop_assert!(lazy.len() < MAX_HELD + 256);
            }
        }
    }

    #[test]
    fn a_dense_run_holds_at_most_twice_the_cap() {
        let mut ring = Ring::new();
        let (mut peak, mut batches) = (0, 0);
        for i in 0..100_000u64 {
            let e = JobEvent {
                time_ns: i,
                task: TaskId(0),
                job: i,
                cpu: None,
                kind: EventKind::Start,
            };
            ring.extend(&[e], 0);
            peak = peak.max(ring.len());
            batches = batches.max(ring.batch_count());
        }
        // The push that reaches MAX_HELD trims at once.
        assert_eq!(peak, MAX_HELD - 1);
        // Events come one by one (as a live run hands them over): they
        // share batches, not one allocation each.
        assert!(batches <= MAX_HELD / MIN_BATCH + 2, "{batches} batches");
        ring.trim(0);
        assert_eq!(ring.len(), MAX_WINDOW_EVENTS);
        assert_eq!(
            ring.evicted_until(),
            Some(100_000 - MAX_WINDOW_EVENTS as u64 - 1)
        );
    }
}
