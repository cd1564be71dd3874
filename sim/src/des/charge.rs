//! Time advance, and every waiting job's time charged to exactly one cause
//! (the ledger's partition).
//!
//! Over an interval where nothing happens:
//! - a ready job is charged to the task running in its domain, the one it
//!   would displace (under global placement, the least urgent running
//!   job, ties as dispatch breaks them): `interference` if that task is at
//!   least as urgent by base priority (EDF: own deadline), else
//!   `priority-inversion` (a task boosted by a ceiling or inheritance, or
//!   a non-preemptive job). If no job runs in its domain (the stack
//!   resource policy kept it out), it is blocked by the holder of a
//!   resource of its domain;
//! - a blocked job is charged to its resource and holder, with the task
//!   running where the holder could run: the holder itself or nobody
//!   (`blocking`), a task less urgent than the blocked job
//!   (`priority-inversion`: the Pathfinder's `comms`), or a more urgent
//!   one (`interference`).
//!
//! # When ready jobs are charged
//!
//! What a ready job is charged depends only on who runs in its domain
//! ([`Ran`]), so nothing is charged while time merely advances. Each domain
//! keeps a [`WaitLog`] of run segments: at the end of every instant where
//! who runs there may have changed, and a job waits there, the entry "from
//! now on, `ran`" (only when `ran` differs from the last entry). A ready job
//! remembers the entry and the time its wait began, and is charged when it
//! leaves the ready queue (started, aborted, or the run ends), one step per
//! entry of its wait: the same intervals, in the same order, with the same
//! causes as charging every ready job at every event, which cost O(ready
//! jobs) per event. Releases, completions and lock steps that change
//! nobody's wait cost nothing; a long wait's steps are summed per task in a
//! scratch array, one addition each, so a backlog of thousands of jobs
//! (a synchronous release) costs additions, not lookups.
//!
//! # When waits are itemized
//!
//! Where priority inversion is not tracked (no resources, preemptive
//! dispatch), every step of a wait is `interference` from the task that
//! ran, and the split by task is read only to explain a miss. There a
//! settled wait is charged in total ([`JobCauses::wait_unitemized`]) and
//! kept as a [`Span`] (its first entry, its start and its end); the spans
//! are walked into the per-task split only when the job ends late, is
//! aborted, or is pending and missed at the end of the run. A job that
//! meets its deadline costs O(1) per wait, not one step per entry: on a
//! 1000-task set most jobs wait behind hundreds of tasks. The split, when
//! made, is the one charging at settle time gives: the same entries, cut
//! at the same instants. Where inversion is tracked, a wait is itemized
//! when it is settled (its `priority-inversion` part is the `blocking`
//! metric of every job).
//!
//! The log keeps the entries back to the oldest uncharged wait, and all of
//! them while a job of the domain holds spans. So that it never grows with
//! the horizon (a job of an overloaded domain may wait for ever), a domain
//! whose log reaches [`CHECKPOINT`] entries, twice its ready jobs and
//! eight times the tasks charges them all up to now, itemizes every span
//! and drops the old entries: each entry is walked at most once per job
//! waiting over it, and the log holds O(tasks + ready jobs) entries.
//!
//! Blocked jobs (rare: only with resources) are charged eagerly at each
//! advance, O(blocked jobs) per event.

use std::collections::VecDeque;

use rtlab_tasks::model::Policy;
use rtlab_tasks::outcome::DelayKind;

#[cfg(doc)]
use crate::ledger::JobCauses;

use super::engine::Engine;
use super::state::{Span, Waiting, Where};

/// A log at least this long (and at least twice its domain's ready jobs
/// and eight times the tasks) is settled at once.
const CHECKPOINT: usize = 64;

/// A wait over at most this many log entries is charged entry by entry;
/// a longer one is summed per task first.
const DIRECT: usize = 4;

/// Who a ready job of a domain waits behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ran {
    /// The running job it would displace: its task and that job's own
    /// absolute deadline (ns; EDF's base urgency).
    Task { task: usize, deadline: u64 },
    /// Nobody runs; the stack resource policy keeps the ready jobs out
    /// while `holder` holds `resource`.
    Held { resource: usize, holder: usize },
    /// Nobody runs and nothing explains it (never expected).
    Nobody,
}

/// Who ran in a domain, from when, back to its oldest uncharged wait.
#[derive(Clone, Debug)]
pub(super) struct WaitLog {
    /// (start ns, who ran from then on), oldest first.
    entries: VecDeque<(u64, Ran)>,
    /// Absolute index of `entries[0]`.
    first: u64,
    /// The last entry may be out of date: nobody waited when it would
    /// have changed. It is brought up to date at the end of the instant a
    /// job starts waiting, before any time passes.
    pub(super) stale: bool,
}

impl WaitLog {
    /// A log saying nobody ran from time 0.
    pub(super) fn new() -> Self {
        WaitLog {
            entries: VecDeque::from([(0, Ran::Nobody)]),
            first: 0,
            stale: true,
        }
    }

    /// The absolute index of the newest entry.
    #[inline]
    fn last(&self) -> u64 {
        self.first + self.entries.len() as u64 - 1
    }

    /// Records that `ran` runs from `now` on.
    #[inline]
    fn record(&mut self, now: u64, ran: Ran) {
        let Some(&(start, last)) = self.entries.back() else {
            return;
        };
        if last == ran {
            return;
        }
        if start == now {
            // A zero-length entry: no wait overlaps it.
            if let Some(e) = self.entries.back_mut() {
                e.1 = ran;
            }
        } else {
            self.entries.push_back((now, ran));
        }
    }

    /// Keeps only the newest entry.
    #[inline]
    fn drop_old(&mut self) {
        let old = self.entries.len() - 1;
        if old > 0 {
            self.entries.drain(..old);
            self.first += old as u64;
        }
    }
}

impl Engine<'_> {
    /// Moves time forward to `t`, charging the blocked jobs (ready jobs
    /// are charged lazily).
    #[inline]
    pub(super) fn advance(&mut self, t: u64) {
        if !self.blocked.is_empty() && t > self.now {
            self.charge_blocked_all(t - self.now);
        }
        self.now = t;
    }

    /// Charges `dt` ns to every blocked job (out of line: most runs have
    /// no resources, and the event loop stays small).
    #[inline(never)]
    fn charge_blocked_all(&mut self, dt: u64) {
        for b in 0..self.blocked.len() {
            let task = self.blocked[b];
            self.charge_blocked(task, dt);
        }
    }

    /// The task a ready job of domain `d` waits behind: the running one
    /// dispatch would preempt first.
    #[inline]
    pub(super) fn displaceable(&self, d: usize) -> Option<usize> {
        let c = self.least_urgent_cpu(d)?;
        self.cpus[c].running
    }

    /// A ready job of `task` starts waiting now.
    #[inline]
    pub(super) fn start_wait(&mut self, task: usize) {
        let d = self.tasks[task].domain;
        self.tasks[task].active.waiting = Some(Waiting {
            entry: self.domains[d].log.last(),
            since: self.now,
        });
    }

    /// Charges `task`'s wait for a CPU up to now and ends it: itemized now
    /// where inversion is tracked, else in total, its [`Span`] kept.
    #[inline]
    pub(super) fn settle_wait(&mut self, task: usize) {
        let Some(w) = self.tasks[task].active.waiting.take() else {
            return;
        };
        // Dispatched at the instant it became ready: nothing to charge.
        if w.since == self.now {
            return;
        }
        if self.track_inversion {
            self.charge_wait(task, w.entry, w.since, self.now);
        } else {
            let d = self.tasks[task].domain;
            self.domains[d].spanned += 1;
            let a = &mut self.tasks[task].active;
            a.spans.push(Span {
                entry: w.entry,
                since: w.since,
                until: self.now,
            });
            a.causes.wait_unitemized(self.now - w.since);
        }
    }

    /// Ends the [`Span`]s of `task`'s head job: itemized into its causes
    /// when `itemize` (they are about to be read: a miss, or a checkpoint
    /// drops their log entries), else forgotten (their total stays).
    // No test for whether it holds any: whether a job waited follows no
    // pattern, and a mispredicted branch per job costs more than
    // subtracting zero and clearing an empty vector.
    #[inline]
    pub(super) fn close_spans(&mut self, task: usize, itemize: bool) {
        let d = self.tasks[task].domain;
        self.domains[d].spanned -= self.tasks[task].active.spans.len();
        if itemize {
            self.itemize_spans(task);
        }
        self.tasks[task].active.spans.clear();
    }

    /// Walks the spans of `task`'s head job into its causes (out of line:
    /// only for a miss or a checkpoint).
    #[inline(never)]
    fn itemize_spans(&mut self, task: usize) {
        let spans = std::mem::take(&mut self.tasks[task].active.spans);
        for s in &spans {
            self.charge_wait(task, s.entry, s.since, s.until);
            self.tasks[task].active.causes.itemized(s.until - s.since);
        }
        self.tasks[task].active.spans = spans;
    }

    /// Charges `task`'s wait for a CPU from `since` (covered by the log's
    /// entry `entry`) to `until` (out of line: the common wait of none
    /// stays cheap).
    ///
    /// A long wait is summed per (task that ran, kind) in a scratch array
    /// first, then added to the job's causes once per task, in the order
    /// the tasks first ran: the same causes, in the same order, as
    /// charging each entry in turn, with one lookup per task instead of
    /// one per entry.
    #[inline(never)]
    fn charge_wait(&mut self, task: usize, entry: u64, since: u64, until: u64) {
        let t = &self.tasks[task];
        let (priority, deadline) = (t.priority, t.jobs.front().map_or(u64::MAX, |j| j.deadline));
        let log = &self.domains[t.domain].log;
        let (tasks, sums, order) = (&mut self.tasks, &mut self.wait_sums, &mut self.wait_order);
        let from = (entry - log.first) as usize;
        let direct = log.entries.len() - from <= DIRECT;
        for i in from..log.entries.len() {
            let (start, ran) = log.entries[i];
            if start >= until {
                break;
            }
            let end = log.entries.get(i + 1).map_or(until, |e| e.0.min(until));
            let dt = end.saturating_sub(start.max(since));
            if dt == 0 {
                continue;
            }
            match ran {
                Ran::Task {
                    task: other,
                    deadline: other_deadline,
                } => {
                    let less_urgent = match self.policy {
                        Policy::FixedPriority => tasks[other].priority < priority,
                        Policy::Edf => other_deadline > deadline,
                        Policy::Fifo | Policy::RoundRobin => false,
                    };
                    let inversion = self.track_inversion && less_urgent;
                    if direct {
                        let kind = if inversion {
                            DelayKind::PriorityInversion
                        } else {
                            DelayKind::Interference
                        };
                        tasks[task].active.causes.wait(other, kind, dt);
                        continue;
                    }
                    let slot = 2 * other + usize::from(inversion);
                    if sums[slot] == 0 {
                        order.push(slot);
                    }
                    sums[slot] += dt;
                }
                Ran::Held { resource, holder } => {
                    let causes = &mut tasks[task].active.causes;
                    causes.block(resource, holder, None, DelayKind::Blocking, dt);
                }
                Ran::Nobody => {
                    debug_assert!(false, "a ready job with its domain idle");
                    tasks[task].active.causes.unexplained += dt;
                }
            }
        }
        let causes = &mut tasks[task].active.causes;
        for &slot in order.iter() {
            let kind = if slot % 2 == 1 {
                DelayKind::PriorityInversion
            } else {
                DelayKind::Interference
            };
            causes.wait(slot / 2, kind, sums[slot]);
            sums[slot] = 0;
        }
        order.clear();
    }

    /// Records, for every domain touched during this instant, who its
    /// ready jobs wait behind from now on.
    pub(super) fn note_who_runs(&mut self) {
        for w in 0..self.touched.len() {
            let mut bits = std::mem::take(&mut self.touched[w]);
            while bits != 0 {
                let d = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.note_who_runs_in(d);
            }
        }
    }

    /// [`Self::note_who_runs`] for domain `d`.
    fn note_who_runs_in(&mut self, d: usize) {
        let now = self.now;
        // With nobody waiting, nobody is charged: the log is cut to its
        // last entry, which goes stale, and is brought up to date at the
        // end of the instant a job starts waiting (its enqueue touches a
        // stale domain), before any time passes.
        if self.domains[d].ready.is_empty() {
            let domain = &mut self.domains[d];
            // Spans still read the old entries.
            if domain.spanned == 0 {
                domain.log.drop_old();
            }
            domain.log.stale = true;
            return;
        }
        let ran = self.ran_in(d);
        let waiting = self.domains[d].ready.len();
        let log = &mut self.domains[d].log;
        log.stale = false;
        log.record(now, ran);
        // Settling copies the log into every waiting job's causes (up to
        // one entry per task that ran): worth it only once the log is long
        // next to both the waiting jobs and the task set, so that a
        // synchronous release of thousands of tasks is walked from the
        // shared log rather than copied into each of them.
        let tasks = self.tasks.len();
        let log = &self.domains[d].log;
        if log.entries.len() >= CHECKPOINT.max(2 * waiting).max(8 * tasks) {
            self.checkpoint(d);
        }
    }

    /// Charges every ready job of `d` up to now, itemizes every span of
    /// its tasks, and drops the log's old entries.
    fn checkpoint(&mut self, d: usize) {
        let mut waiting = std::mem::take(&mut self.scratch);
        waiting.clear();
        waiting.extend(self.domains[d].ready.iter().map(|(_, t)| t));
        for &task in &waiting {
            self.settle_wait(task);
            self.start_wait(task);
        }
        self.scratch = waiting;
        // O(tasks), once per at least eight times as many log entries.
        for task in 0..self.tasks.len() {
            if self.domains[d].spanned == 0 {
                break;
            }
            if self.tasks[task].domain == d {
                self.close_spans(task, true);
            }
        }
        // Absolute indices survive the drop: every wait now points at the
        // newest entry, which stays.
        self.domains[d].log.drop_old();
    }

    /// Who a ready job of `d` waits behind now.
    fn ran_in(&self, d: usize) -> Ran {
        match self.displaceable(d) {
            Some(task) => Ran::Task {
                task,
                deadline: self.tasks[task]
                    .jobs
                    .front()
                    .map_or(u64::MAX, |j| j.deadline),
            },
            None => {
                // Only the stack resource policy leaves a domain idle with
                // a ready job: a resource of the domain is held.
                let tasks = &self.tasks;
                match self.locks.held_in(|o| tasks[o].domain == d).next() {
                    Some((resource, holder)) => Ran::Held { resource, holder },
                    None => Ran::Nobody,
                }
            }
        }
    }

    fn charge_blocked(&mut self, task: usize, dt: u64) {
        let Where::Blocked(r) = self.tasks[task].active.at else {
            return;
        };
        let holder = self.locks.owner(r).unwrap_or(task);
        let ran = match self.tasks[holder].active.at {
            Where::Running(_) => Some(holder),
            _ => self.displaceable(self.tasks[holder].domain),
        };
        let kind = match ran {
            Some(x) if x != holder => self.kind_of(x, task),
            _ => DelayKind::Blocking,
        };
        self.tasks[task]
            .active
            .causes
            .block(r, holder, ran, kind, dt);
    }

    /// The kind of delay `other` running inflicts on `task`.
    #[inline]
    fn kind_of(&self, other: usize, task: usize) -> DelayKind {
        if self.track_inversion && self.less_urgent_base(other, task) {
            DelayKind::PriorityInversion
        } else {
            DelayKind::Interference
        }
    }

    /// True if `a`'s base urgency (its own priority or deadline, without
    /// inheritance or ceilings) is below `b`'s.
    fn less_urgent_base(&self, a: usize, b: usize) -> bool {
        match self.policy {
            Policy::FixedPriority => self.tasks[a].priority < self.tasks[b].priority,
            Policy::Edf => {
                let da = self.tasks[a].jobs.front().map_or(u64::MAX, |j| j.deadline);
                let db = self.tasks[b].jobs.front().map_or(u64::MAX, |j| j.deadline);
                da > db
            }
            Policy::Fifo | Policy::RoundRobin => false,
        }
    }
}
