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
//! ([`Ran`]), so nothing is charged while time merely advances. Each
//! domain remembers who its ready jobs wait behind as of the end of the
//! last instant that changed something there; each ready job, since when
//! its wait is uncharged. A job is charged when it leaves the ready queue
//! (started, aborted, the run's end), and every ready job of a domain is
//! charged up to now when the job they wait behind changes: the same
//! intervals, in the same order, with the same causes as charging every
//! ready job at every event (which cost O(ready jobs) per event), at
//! O(ready jobs of the domain) per change of its least urgent running job
//! and O(1) per job leaving the queue. Releases, completions elsewhere and
//! lock steps that change nobody's wait cost nothing. (A per-CPU log of run
//! segments walked by each job at its end, as the issue sketched, does the
//! same number of steps and also holds the segments.)
//!
//! Blocked jobs (rare: only with resources) are charged eagerly at each
//! advance, O(blocked jobs) per event.

use rtlab_tasks::model::Policy;
use rtlab_tasks::outcome::DelayKind;

use super::engine::Engine;
use super::state::{TaskState, Where};

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

impl Engine<'_, '_> {
    /// Moves time forward to `t`, charging the blocked jobs (ready jobs
    /// are charged lazily).
    #[inline]
    pub(super) fn advance(&mut self, t: u64) {
        let dt = t.saturating_sub(self.now);
        if dt > 0 {
            for b in 0..self.blocked.len() {
                let task = self.blocked[b];
                self.charge_blocked(task, dt);
            }
        }
        self.now = t;
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
        self.tasks[task].active.waiting = Some(self.now);
    }

    /// Charges `task`'s wait for a CPU up to now and ends it.
    #[inline]
    pub(super) fn settle_wait(&mut self, task: usize) {
        let Some(since) = self.tasks[task].active.waiting.take() else {
            return;
        };
        let ran = self.domains[self.tasks[task].domain].ran;
        self.charge_ready(task, ran, self.now - since);
    }

    /// Records, for every domain touched during this instant, who its
    /// ready jobs wait behind from now on; where that changed, its ready
    /// jobs are charged up to now first.
    pub(super) fn note_who_runs(&mut self) {
        let now = self.now;
        for w in 0..self.touched.len() {
            let mut bits = std::mem::take(&mut self.touched[w]);
            while bits != 0 {
                let d = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.note_who_runs_in(d, now);
            }
        }
    }

    /// [`Self::note_who_runs`] for domain `d`.
    fn note_who_runs_in(&mut self, d: usize, now: u64) {
        // With nobody waiting there is nothing to charge; `ran` goes stale
        // and is noted again at the end of the instant a job starts
        // waiting (its enqueue touches a stale domain), before any time
        // passes.
        if self.domains[d].ready.is_empty() {
            self.domains[d].ran_stale = true;
            return;
        }
        self.domains[d].ran_stale = false;
        {
            let ran = self.ran_in(d);
            let before = self.domains[d].ran;
            if ran == before {
                return;
            }
            self.domains[d].ran = ran;
            for (_, task) in self.domains[d].ready.iter() {
                let Some(since) = self.tasks[task].active.waiting.replace(now) else {
                    continue;
                };
                charge(
                    &mut self.tasks,
                    self.policy,
                    self.track_inversion,
                    task,
                    before,
                    now - since,
                );
            }
        }
    }

    /// Charges `dt` ns of `task`'s wait for a CPU to `ran`.
    #[inline]
    fn charge_ready(&mut self, task: usize, ran: Ran, dt: u64) {
        let (policy, track) = (self.policy, self.track_inversion);
        charge(&mut self.tasks, policy, track, task, ran, dt);
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

/// Charges `dt` ns of `task`'s wait for a CPU to `ran`: `interference`,
/// or `priority-inversion` when `track` and the task that ran is less
/// urgent by base priority (EDF: its own job's deadline is later).
#[inline(always)]
fn charge(tasks: &mut [TaskState], policy: Policy, track: bool, task: usize, ran: Ran, dt: u64) {
    if dt == 0 {
        return;
    }
    match ran {
        Ran::Task {
            task: other,
            deadline: other_deadline,
        } => {
            let less_urgent = match policy {
                Policy::FixedPriority => tasks[other].priority < tasks[task].priority,
                Policy::Edf => {
                    let own = tasks[task].jobs.front().map_or(u64::MAX, |j| j.deadline);
                    other_deadline > own
                }
                Policy::Fifo | Policy::RoundRobin => false,
            };
            let kind = if track && less_urgent {
                DelayKind::PriorityInversion
            } else {
                DelayKind::Interference
            };
            tasks[task].active.causes.wait(other, kind, dt);
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
