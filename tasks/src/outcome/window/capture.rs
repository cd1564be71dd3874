//! The windows around each task's worst miss, captured while the run
//! streams by: a ring of the recent events, and one capture per task.
//!
//! A job's `miss` is timestamped at the deadline it missed. The simulator
//! emits it right after the job's `complete` (or `abort`); a live run's
//! events reach the sink sorted by time, so there the miss comes first and
//! the end later. Either way the lateness is known once both have come
//! (the end's time minus the miss's; a job still unfinished when the run
//! ends counts until the last event), and the events before its deadline
//! are in the ring. A miss later than the task's worst
//! so far (strictly: on a tie the first stays) starts a new capture from
//! the ring, which then takes the events that follow until its end.
//!
//! The ring (see [`super::ring`]) and the pending misses hold the engine's
//! events in compact `Copy` form (no allocation per event): an event
//! becomes a [`WindowEvent`] only when a window keeps it.

use std::collections::VecDeque;

use super::ring::Ring;
use super::{AroundMiss, MAX_WINDOW_EVENTS, WindowEvent, window_event};
use crate::outcome::trace::{EventKind, JobEvent};

/// The ring of recent events and each task's worst miss, with its window.
#[derive(Debug)]
pub(super) struct Captures {
    /// How long a window is, in ns (the first window's length).
    length_ns: u64,
    /// Per task, how far before the missed deadline its window starts,
    /// in ns: three quarters of the window, or the relative deadline and a
    /// sixteenth more when that is longer, so the release is inside.
    leads_ns: Vec<u64>,
    /// How far back the ring keeps events, in ns: the longest lead and one
    /// window more, so a miss up to one window late still finds its start.
    keep_ns: u64,
    /// The recent events. Its latest let-go time: a window that starts at
    /// or before it lost events.
    ring: Ring,
    /// The ring's horizon after the latest event, in ns: the newest time
    /// minus `keep_ns`.
    horizon_ns: u64,
    /// The latest event time seen, in ns.
    newest_ns: u64,
    /// Per task: the last job that ended, and when (ns).
    last_end: Vec<Option<(u64, u64)>>,
    /// Per task: the worst miss so far, its window possibly still filling.
    worst: Vec<Option<AroundMiss>>,
    /// Tasks whose window ended after the newest event when last looked
    /// at: the only ones an event in time order can fall into (an event
    /// older than the newest, a miss stamped at its deadline, is checked
    /// against every window). Keeps the cost per event independent of the
    /// number of tasks.
    open: Vec<usize>,
    /// Per task: the misses whose jobs have not ended yet, in job order
    /// (a job can end after the deadlines of several later jobs), at most
    /// [`MAX_PENDING`] (the oldest let go).
    pending: Vec<VecDeque<JobEvent>>,
    /// How many misses wait in `pending`, all tasks together (most runs:
    /// none, and a job's end need not look).
    pending_count: usize,
}

/// The most misses per task waiting for their job's end.
const MAX_PENDING: usize = 4096;

impl Captures {
    /// Captures of `length_ns` for tasks of relative deadlines
    /// `deadlines_ns`.
    pub(super) fn new(length_ns: u64, deadlines_ns: &[u64]) -> Captures {
        let three_quarters = length_ns / 4 * 3;
        let leads_ns: Vec<u64> = deadlines_ns
            .iter()
            .map(|&d| three_quarters.max(d.saturating_add(length_ns / 16)))
            .collect();
        let longest = leads_ns.iter().copied().max().unwrap_or(three_quarters);
        Captures {
            length_ns,
            keep_ns: longest.saturating_add(length_ns),
            leads_ns,
            ring: Ring::new(),
            horizon_ns: 0,
            newest_ns: 0,
            last_end: vec![None; deadlines_ns.len()],
            worst: vec![None; deadlines_ns.len()],
            open: Vec::new(),
            pending: vec![VecDeque::new(); deadlines_ns.len()],
            pending_count: 0,
        }
    }

    /// Takes a batch of events (in the order the engine emitted them).
    pub(super) fn events(&mut self, batch: &[JobEvent]) {
        let from = self.scan(batch);
        self.ring.extend(&batch[from..], self.horizon_ns);
    }

    /// [`Captures::events`] of a batch handed over: the ring keeps it (no
    /// copy) unless a window was cut in its middle. Gives back an emptied
    /// batch, if there is one.
    pub(super) fn take_batch(&mut self, mut batch: Vec<JobEvent>) -> Option<Vec<JobEvent>> {
        let from = self.scan(&batch);
        if from == 0 {
            return self.ring.keep(batch, self.horizon_ns);
        }
        self.ring.extend(&batch[from..], self.horizon_ns);
        batch.clear();
        Some(batch)
    }

    /// Follows a batch's events; returns how many of its first events are
    /// in the ring already (those ahead of a miss whose window was cut:
    /// a window starts from what the ring holds before its miss). The
    /// horizon is then the one after the batch's last event.
    fn scan(&mut self, batch: &[JobEvent]) -> usize {
        let mut from = 0;
        for (i, e) in batch.iter().enumerate() {
            let before = self.newest_ns;
            self.follow(e);
            if let Some((miss, lateness_ns)) = self.lateness_known(e) {
                self.horizon_ns = before.saturating_sub(self.keep_ns);
                self.ring.extend(&batch[from..i], self.horizon_ns);
                from = i;
                self.consider(&miss, lateness_ns);
            }
        }
        self.horizon_ns = self.newest_ns.saturating_sub(self.keep_ns);
        from
    }

    /// Takes one event: a batch of one.
    #[cfg(test)]
    pub(super) fn event(&mut self, e: &JobEvent) {
        self.events(std::slice::from_ref(e));
    }

    /// `e` joins the windows still filling that it falls in.
    #[inline]
    fn follow(&mut self, e: &JobEvent) {
        if e.time_ns >= self.newest_ns {
            self.newest_ns = e.time_ns;
            if !self.open.is_empty() {
                self.take_open(e);
            }
        } else {
            self.take_any(e);
        }
    }

    /// `e`, the newest event, joins the open windows; those it ends leave.
    #[inline(never)]
    fn take_open(&mut self, e: &JobEvent) {
        let t = e.time_ns;
        let worst = &self.worst;
        self.open
            .retain(|&o| worst[o].as_ref().is_some_and(|w| w.end_ns > t));
        for &o in &self.open {
            if let Some(w) = self.worst[o].as_mut() {
                take(w, e);
            }
        }
    }

    /// `e`, older than the newest event, joins whichever window it falls in.
    #[inline(never)]
    fn take_any(&mut self, e: &JobEvent) {
        for w in self.worst.iter_mut().flatten() {
            take(w, e);
        }
    }

    /// The miss whose lateness `e` makes known, with that lateness in ns:
    /// `e` is its job's end and the miss came first, or `e` is the miss
    /// and its job has ended. A miss whose job has not ended waits.
    #[inline]
    fn lateness_known(&mut self, e: &JobEvent) -> Option<(JobEvent, u64)> {
        match e.kind {
            EventKind::Complete | EventKind::Abort | EventKind::Fault => {
                if let Some(end) = self.last_end.get_mut(e.task.0) {
                    *end = Some((e.job, e.time_ns));
                }
                if self.pending_count == 0 {
                    return None;
                }
                let m = self.ended(e.task.0, e.job)?;
                Some((m, e.time_ns.saturating_sub(m.time_ns)))
            }
            EventKind::Miss => self.missed(e),
            _ => None,
        }
    }

    /// A miss `e`: its lateness if its job has ended, else it waits.
    #[inline(never)]
    fn missed(&mut self, e: &JobEvent) -> Option<(JobEvent, u64)> {
        let task = e.task.0;
        match self.last_end.get(task).copied().flatten() {
            Some((job, at)) if job == e.job => Some((*e, at.saturating_sub(e.time_ns))),
            _ => {
                if let Some(p) = self.pending.get_mut(task) {
                    if p.len() == MAX_PENDING {
                        p.pop_front();
                        self.pending_count -= 1;
                    }
                    p.push_back(*e);
                    self.pending_count += 1;
                }
                None
            }
        }
    }

    /// The pending miss of `task`'s job `job`, which just ended (misses of
    /// earlier jobs still pending are let go: their jobs ended unseen).
    #[inline(never)]
    fn ended(&mut self, task: usize, job: u64) -> Option<JobEvent> {
        let pending = self.pending.get_mut(task)?;
        while let Some(m) = pending.pop_front() {
            match m.job.cmp(&job) {
                std::cmp::Ordering::Less => self.pending_count -= 1,
                std::cmp::Ordering::Equal => {
                    self.pending_count -= 1;
                    return Some(m);
                }
                std::cmp::Ordering::Greater => {
                    pending.push_front(m);
                    return None;
                }
            }
        }
        None
    }

    /// A miss `e`, `lateness_ns` late: if it is the task's latest yet, its
    /// window replaces the task's capture, from what the ring still holds.
    fn consider(&mut self, e: &JobEvent, lateness_ns: u64) {
        let (t, task) = (e.time_ns, e.task.0);
        let Some(&lead) = self.leads_ns.get(task) else {
            return;
        };
        if self.worst[task]
            .as_ref()
            .is_some_and(|w| w.lateness_ns >= lateness_ns)
        {
            return;
        }
        let wanted = t.saturating_sub(lead);
        // The ring as it stands after the event before this one.
        self.ring.trim(self.horizon_ns);
        // Events the ring already let go of are lost to this window: it
        // starts after them and says so.
        let lost = self.ring.evicted_until().filter(|&u| u >= wanted);
        let start_ns = lost.map_or(wanted, |u| u + 1);
        let end_ns = t.saturating_add(self.length_ns - self.length_ns / 4 * 3);
        if start_ns >= end_ns {
            // The ring let go of the whole window (a job unfinished at the
            // end, its miss long past): nothing left to show.
            return;
        }
        let inside = |r: &&JobEvent| r.time_ns >= start_ns && r.time_ns < end_ns;
        let mut events: Vec<WindowEvent> = self
            .ring
            .events()
            .filter(inside)
            .map(window_event)
            .collect();
        if !self.ring.events().filter(inside).any(|r| r == e) {
            events.push(window_event(e));
        }
        let over = events.len() > MAX_WINDOW_EVENTS;
        events.truncate(MAX_WINDOW_EVENTS);
        if end_ns > self.newest_ns && !self.open.contains(&task) {
            self.open.push(task);
        }
        self.worst[task] = Some(AroundMiss {
            task,
            job: e.job,
            deadline_ns: t,
            lateness_ns,
            start_ns,
            end_ns,
            truncated: lost.is_some() || over,
            events,
        });
    }

    /// How many events are held in all (ring and captures): what the
    /// memory bound is about.
    #[cfg(test)]
    pub(super) fn held(&self) -> usize {
        self.ring.len()
            + self
                .worst
                .iter()
                .flatten()
                .map(|w| w.events.len())
                .sum::<usize>()
    }

    /// The windows, in time order (then task order), each clipped to the
    /// last event of the run.
    pub(super) fn finish(mut self) -> Vec<AroundMiss> {
        let newest = self.newest_ns;
        // Jobs still unfinished at the end: late until the last event.
        let pending: Vec<JobEvent> = self.pending.iter_mut().flat_map(std::mem::take).collect();
        self.pending_count = 0;
        for m in pending {
            self.consider(&m, newest.saturating_sub(m.time_ns));
        }
        let mut out: Vec<AroundMiss> = self
            .worst
            .into_iter()
            .flatten()
            .map(|mut w| {
                w.end_ns = w
                    .end_ns
                    .min(newest.saturating_add(1))
                    .max(w.deadline_ns + 1);
                w
            })
            .collect();
        out.sort_by_key(|w| (w.start_ns, w.task));
        out
    }
}

/// Adds `e` to window `w` if it falls inside it.
fn take(w: &mut AroundMiss, e: &JobEvent) {
    if e.time_ns >= w.start_ns && e.time_ns < w.end_ns {
        if w.events.len() < MAX_WINDOW_EVENTS {
            w.events.push(window_event(e));
        } else {
            w.truncated = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ring::MAX_HELD;
    use super::*;

    fn ev(time_ns: u64, task: usize, job: u64, kind: &str) -> JobEvent {
        let kind = match kind {
            "release" => EventKind::Release,
            "complete" => EventKind::Complete,
            "miss" => EventKind::Miss,
            other => panic!("no test event {other}"),
        };
        JobEvent {
            time_ns,
            task: crate::model::TaskId(task),
            job,
            cpu: Some(0),
            kind,
        }
    }

    #[test]
    fn memory_stays_bounded_however_dense_the_run() {
        // A 1 ms window over a run with an event every 10 ns, and a miss
        // later than the one before every 100 µs: the capture holds at most
        // MAX_WINDOW_EVENTS, the lazily trimmed ring twice that.
        let mut c = Captures::new(1_000_000, &[50_000]);
        let mut peak = 0;
        for i in 0..400_000u64 {
            let t = i * 10;
            c.event(&ev(t, 0, i, "complete"));
            if i % 10_000 == 9_999 {
                c.event(&ev(t - i / 1_000, 0, i, "miss"));
            }
            peak = peak.max(c.held());
        }
        assert!(peak <= MAX_WINDOW_EVENTS + MAX_HELD, "{peak}");
        let windows = c.finish();
        assert_eq!(windows.len(), 1);
        let w = &windows[0];
        assert_eq!(w.job, 399_999);
        assert!(w.truncated, "a 1 ms window of 100 000 events is cut");
        assert_eq!(w.events.len(), MAX_WINDOW_EVENTS);
    }

    #[test]
    fn a_miss_later_than_the_ring_reaches_says_its_window_lost_events() {
        // Window 8 ms, deadline 2 ms: the ring keeps 6 + 8 = 14 ms. Job 0
        // of task 0, released at 8 ms, misses its deadline at 10 ms (its
        // window: 4 to 12 ms) and ends at 25 ms, when the ring holds only
        // events from 11 ms on (the last one let go was at 10 ms): the
        // window keeps what came after 10 ms and says it lost the rest.
        let mut c = Captures::new(8_000_000, &[2_000_000]);
        for k in 0..=25u64 {
            c.event(&ev(k * 1_000_000, 1, k, "release"));
            if k == 8 {
                c.event(&ev(k * 1_000_000, 0, 0, "release"));
            }
        }
        c.event(&ev(25_000_000, 0, 0, "complete"));
        c.event(&ev(10_000_000, 0, 0, "miss"));
        let w = c.finish();
        assert_eq!(w.len(), 1);
        assert!(w[0].truncated);
        assert_eq!(w[0].lateness_ns, 15_000_000);
        assert_eq!((w[0].start_ns, w[0].end_ns), (10_000_001, 12_000_000));
    }

    #[test]
    fn a_miss_whose_whole_window_the_ring_let_go_gets_none() {
        // Window 8 ms, deadline 2 ms: the ring keeps 6 + 8 = 14 ms. A job
        // released at 0 ends 30 ms after its deadline at 2 ms: its window
        // (0 to 4 ms) is long gone, and an empty timeline would say nothing.
        let mut c = Captures::new(8_000_000, &[2_000_000]);
        c.event(&ev(0, 0, 0, "release"));
        for k in 1..=32u64 {
            c.event(&ev(k * 1_000_000, 1, k, "release"));
        }
        c.event(&ev(32_000_000, 0, 0, "complete"));
        c.event(&ev(2_000_000, 0, 0, "miss"));
        assert!(c.finish().is_empty());
    }

    /// A live run's events come sorted by time: the miss (at the deadline)
    /// before the job's end. The window knows the lateness all the same.
    #[test]
    fn a_miss_that_comes_before_its_jobs_end_gets_its_lateness() {
        let mut c = Captures::new(20_000_000, &[2_000_000]);
        c.event(&ev(0, 0, 0, "release"));
        c.event(&ev(2_000_000, 0, 0, "miss"));
        c.event(&ev(9_000_000, 0, 0, "complete"));
        c.event(&ev(10_000_000, 0, 1, "release"));
        c.event(&ev(12_000_000, 0, 1, "miss"));
        let w = c.finish();
        assert_eq!(w.len(), 1);
        assert_eq!((w[0].job, w[0].lateness_ns), (0, 7_000_000));
        assert_eq!(w[0].events.iter().filter(|e| e.kind == "miss").count(), 1);
    }

    /// A job late by more than a period ends after the next jobs' deadlines:
    /// each miss waits for its own job's end.
    #[test]
    fn misses_of_overlapping_late_jobs_each_wait_for_their_own_end() {
        let mut c = Captures::new(40_000_000, &[2_000_000]);
        c.event(&ev(2_000_000, 0, 0, "miss"));
        c.event(&ev(4_000_000, 0, 1, "miss"));
        c.event(&ev(5_000_000, 0, 0, "complete"));
        c.event(&ev(6_000_000, 0, 2, "miss"));
        c.event(&ev(14_000_000, 0, 1, "complete"));
        c.event(&ev(15_000_000, 0, 2, "complete"));
        let w = c.finish();
        assert_eq!((w[0].job, w[0].lateness_ns), (1, 10_000_000));
    }
}
