//! Time advance: CPU time to the running jobs, and every waiting job's
//! time charged to exactly one cause (the ledger's partition).
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

use rtlab_tasks::model::Policy;
use rtlab_tasks::outcome::DelayKind;

use super::engine::Engine;
use super::state::Where;
use crate::policy;

impl Engine<'_, '_> {
    /// Moves time forward to `t`, charging the interval to the jobs.
    #[inline]
    pub(super) fn advance(&mut self, t: u64) {
        let dt = t.saturating_sub(self.now);
        if dt > 0 {
            for d in 0..self.domains.len() {
                if self.domains[d].ready.is_empty() {
                    continue;
                }
                let ran = match self.domains[d].cpus.as_slice() {
                    [c] => self.cpus[*c].running,
                    _ => self.displaceable(d),
                };
                for r in 0..self.domains[d].ready.len() {
                    let task = self.domains[d].ready[r];
                    self.charge_ready(task, ran, dt);
                }
            }
            for b in 0..self.blocked.len() {
                let task = self.blocked[b];
                self.charge_blocked(task, dt);
            }
        }
        self.now = t;
    }

    /// The task a ready job of domain `d` waits behind: the running one
    /// dispatch would preempt first (ties: the CPU listed last).
    #[inline]
    fn displaceable(&self, d: usize) -> Option<usize> {
        let cpus = &self.domains[d].cpus;
        if let [c] = cpus.as_slice() {
            return self.cpus[*c].running;
        }
        let mut worst: Option<(usize, (u64, u64, usize))> = None;
        for &c in cpus {
            if let Some(r) = self.cpus[c].running {
                let k = policy::key(self.policy, &self.candidate(r));
                if worst.is_none_or(|(_, wk)| k >= wk) {
                    worst = Some((r, k));
                }
            }
        }
        worst.map(|(r, _)| r)
    }

    #[inline]
    fn charge_ready(&mut self, task: usize, ran: Option<usize>, dt: u64) {
        match ran {
            Some(other) => {
                let kind = self.kind_of(other, task);
                self.tasks[task].active.causes.wait(other, kind, dt);
            }
            None => {
                // Only the stack resource policy leaves a domain idle with
                // a ready job: a resource of the domain is held.
                let d = self.tasks[task].domain;
                let tasks = &self.tasks;
                let held = self.locks.held_in(|o| tasks[o].domain == d).next();
                let causes = &mut self.tasks[task].active.causes;
                match held {
                    Some((r, holder)) => causes.block(r, holder, None, DelayKind::Blocking, dt),
                    None => {
                        debug_assert!(false, "a ready job with its domain idle");
                        causes.unexplained += dt;
                    }
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
