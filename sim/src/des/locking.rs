//! Locking on the simulated CPUs: taking and releasing resources, handing
//! them to waiters, priority inheritance and ceilings, and the deadlock
//! check when a job blocks (the ledger's wait-for cycle).

use rtlab_tasks::model::ResourceId;
use rtlab_tasks::model::{Locking, Policy};
use rtlab_tasks::outcome::trace::EventKind;

use super::engine::Engine;
use super::state::Where;
use crate::ledger;
use crate::policy::{self, Candidate};

impl Engine<'_> {
    /// The head job of `task`, running on `c`, tries to lock `r`. Returns
    /// false if it blocked (its CPU is then free).
    pub(super) fn lock(&mut self, task: usize, r: usize, c: usize) -> bool {
        let now = self.now;
        let k = self.head_k(task);
        match self.locks.owner(r) {
            None => {
                self.locks.set_owner(r, Some(task));
                self.mark(self.tasks[task].domain);
                self.locks.acquired_at[r] = now;
                self.ledger.resource(r).acquired(0);
                self.tasks[task].active.held.push(r);
                self.emit(
                    task,
                    k,
                    Some(c),
                    EventKind::Lock {
                        resource: ResourceId(r),
                    },
                );
                self.refresh(task);
                true
            }
            Some(holder) => {
                self.ledger.resource(r).contended();
                self.vacate(c);
                self.tasks[task].active.at = Where::Blocked(r);
                self.locks.waiters[r].push((task, now));
                self.blocked.push(task);
                self.emit(
                    task,
                    k,
                    Some(c),
                    EventKind::Block {
                        resource: ResourceId(r),
                    },
                );
                self.check_deadlock(task);
                self.refresh(holder);
                false
            }
        }
    }

    /// `task` releases `r`; the most urgent waiter (ties: the one waiting
    /// longest) gets it at once.
    pub(super) fn unlock(&mut self, task: usize, r: usize) {
        let now = self.now;
        let k = self.head_k(task);
        if let Some(pos) = self.tasks[task].active.held.iter().rposition(|&h| h == r) {
            self.tasks[task].active.held.remove(pos);
        }
        self.ledger
            .resource(r)
            .released(now - self.locks.acquired_at[r]);
        let cpu = match self.tasks[task].active.at {
            Where::Running(c) => Some(c),
            _ => None,
        };
        self.emit(
            task,
            k,
            cpu,
            EventKind::Unlock {
                resource: ResourceId(r),
            },
        );
        self.mark(self.tasks[task].domain);
        match self.most_urgent_waiter(r) {
            None => self.locks.set_owner(r, None),
            Some(i) => {
                let (w, since) = self.locks.waiters[r].remove(i);
                self.locks.set_owner(r, Some(w));
                self.mark(self.tasks[w].domain);
                self.locks.acquired_at[r] = now;
                self.ledger.resource(r).acquired(now - since);
                self.blocked.retain(|&b| b != w);
                let a = &mut self.tasks[w].active;
                a.held.push(r);
                // The lock step it was blocked on is done.
                a.next_op += 1;
                let wk = self.head_k(w);
                self.emit(
                    w,
                    wk,
                    None,
                    EventKind::Unblock {
                        resource: ResourceId(r),
                    },
                );
                self.make_ready(w);
                self.refresh(w);
            }
        }
        self.refresh(task);
    }

    fn most_urgent_waiter(&self, r: usize) -> Option<usize> {
        let waiters = &self.locks.waiters[r];
        let by_priority = matches!(self.policy, Policy::FixedPriority | Policy::Edf);
        waiters
            .iter()
            .enumerate()
            .min_by_key(|&(_, &(t, since))| {
                let urgency = if by_priority {
                    let a = &self.tasks[t].active;
                    policy::key(
                        self.policy,
                        &Candidate {
                            task: t,
                            priority: a.priority,
                            deadline: a.deadline,
                            release: 0,
                            sequence: 0,
                        },
                    )
                    .0
                } else {
                    0
                };
                (urgency, since, t)
            })
            .map(|(i, _)| i)
    }

    /// Recomputes the effective priority (or deadline) of `task`'s head
    /// job, and of the holders it waits for, transitively.
    pub(super) fn refresh(&mut self, mut task: usize) {
        for _ in 0..=self.tasks.len() {
            let Some(job) = self.tasks[task].jobs.front() else {
                return;
            };
            let own_deadline = job.deadline;
            let mut priority = self.tasks[task].priority;
            let mut deadline = own_deadline;
            for &r in &self.tasks[task].active.held {
                match (self.policy, self.locking) {
                    (Policy::FixedPriority, Locking::Ceiling) => {
                        priority = priority.max(self.locks.ceiling[r]);
                    }
                    (Policy::FixedPriority, Locking::Inherit) => {
                        for &(w, _) in &self.locks.waiters[r] {
                            priority = priority.max(self.tasks[w].active.priority);
                        }
                    }
                    (Policy::Edf, Locking::Inherit) => {
                        for &(w, _) in &self.locks.waiters[r] {
                            deadline = deadline.min(self.tasks[w].active.deadline);
                        }
                    }
                    _ => {}
                }
            }
            let a = &mut self.tasks[task].active;
            if a.priority == priority && a.deadline == deadline {
                return;
            }
            a.priority = priority;
            a.deadline = deadline;
            let at = a.at;
            self.rekey(task);
            // A blocked job passes its new urgency on to its holder.
            match at {
                Where::Blocked(r) => match self.locks.owner(r) {
                    Some(o) if o != task => task = o,
                    _ => return,
                },
                _ => return,
            }
        }
    }

    /// Refreshes the holder of `r`, if any (a waiter left).
    pub(super) fn refresh_owner_of(&mut self, r: usize) {
        if let Some(o) = self.locks.owner(r) {
            self.refresh(o);
        }
    }

    /// `task` just blocked: if the jobs it waits for (transitively) wait
    /// for it, they are deadlocked and the run stops here.
    fn check_deadlock(&mut self, task: usize) {
        let cycle = ledger::wait_for_cycle(self.tasks.len(), Some(task), |t| {
            let Where::Blocked(r) = self.tasks[t].active.at else {
                return None;
            };
            self.locks.owner(r).map(|h| (r, h))
        });
        if let Some(cycle) = cycle {
            self.deadlock = Some(self.ledger.deadlock(self.now, &cycle));
        }
    }
}
