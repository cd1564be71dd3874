//! Shared resources: owners, waiters, priority inheritance, ceilings, the
//! stack resource policy's system ceiling, deadlock detection and
//! contention statistics.

use rtlab_tasks::model::ResourceId;
use rtlab_tasks::model::{Locking, Policy, System};
use rtlab_tasks::outcome::metrics::Recorder;
use rtlab_tasks::outcome::trace::EventKind;
use rtlab_tasks::outcome::{Deadlock, DeadlockEdge, ResourceOutcome};

use super::engine::Engine;
use super::state::Where;
use crate::policy::{self, Candidate};

/// The state of every resource.
#[derive(Debug)]
pub(super) struct Locks {
    owner: Vec<Option<usize>>,
    /// Waiting tasks with the time they started waiting.
    waiters: Vec<Vec<(usize, u64)>>,
    acquired_at: Vec<u64>,
    acquisitions: Vec<u64>,
    contended: Vec<u64>,
    wait: Vec<Recorder>,
    hold: Vec<Recorder>,
    /// Immediate-ceiling priority: the highest base priority of the users.
    ceiling: Vec<u32>,
    /// Stack-resource-policy ceiling: the shortest relative deadline of the
    /// users, in ns.
    srp_ceiling: Vec<u64>,
}

impl Locks {
    pub(super) fn new(sys: &System) -> Self {
        let n = sys.resources.len();
        let srp_ceiling = sys
            .resources
            .iter()
            .map(|r| {
                r.users
                    .iter()
                    .map(|t| sys.tasks[t.0].deadline.as_nanos())
                    .min()
                    .unwrap_or(u64::MAX)
            })
            .collect();
        Locks {
            owner: vec![None; n],
            waiters: vec![Vec::new(); n],
            acquired_at: vec![0; n],
            acquisitions: vec![0; n],
            contended: vec![0; n],
            wait: (0..n).map(|_| Recorder::new()).collect(),
            hold: (0..n).map(|_| Recorder::new()).collect(),
            ceiling: (0..n).map(|r| sys.ceiling(ResourceId(r))).collect(),
            srp_ceiling,
        }
    }

    /// The task holding `r`.
    pub(super) fn owner(&self, r: usize) -> Option<usize> {
        self.owner[r]
    }

    /// Forgets a waiter (its job ended while it waited).
    pub(super) fn remove_waiter(&mut self, r: usize, task: usize) {
        self.waiters[r].retain(|&(t, _)| t != task);
    }

    /// The SRP system ceiling of a domain: the shortest relative deadline
    /// among the users of resources held by its tasks (`u64::MAX`: none).
    pub(super) fn system_ceiling(&self, engine: &Engine<'_, '_>, domain: usize) -> u64 {
        self.owner
            .iter()
            .enumerate()
            .filter_map(|(r, o)| o.map(|o| (r, o)))
            .filter(|&(_, o)| engine.tasks[o].domain == domain)
            .map(|(r, _)| self.srp_ceiling[r])
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Per-resource contention figures.
    pub(super) fn outcomes(&self, sys: &System) -> Vec<ResourceOutcome> {
        sys.resources
            .iter()
            .enumerate()
            .map(|(r, res)| ResourceOutcome {
                name: res.name.clone(),
                acquisitions: self.acquisitions[r],
                contended: self.contended[r],
                wait: self.wait[r].summary(),
                hold: self.hold[r].summary(),
            })
            .collect()
    }
}

impl Engine<'_, '_> {
    /// The head job of `task`, running on `c`, tries to lock `r`. Returns
    /// false if it blocked (its CPU is then free).
    pub(super) fn lock(&mut self, task: usize, r: usize, c: usize) -> bool {
        let now = self.now;
        let k = self.head_k(task);
        match self.locks.owner[r] {
            None => {
                self.locks.owner[r] = Some(task);
                self.locks.acquired_at[r] = now;
                self.locks.acquisitions[r] += 1;
                self.locks.wait[r].record(0);
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
                self.locks.contended[r] += 1;
                self.cpus[c].running = None;
                self.cpus[c].next_event = u64::MAX;
                let a = &mut self.tasks[task].active;
                a.at = Where::Blocked(r);
                a.blocked_since = now;
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
                self.check_deadlock(task, r, holder);
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
        self.locks.hold[r].record(now - self.locks.acquired_at[r]);
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
        match self.most_urgent_waiter(r) {
            None => self.locks.owner[r] = None,
            Some(i) => {
                let (w, since) = self.locks.waiters[r].remove(i);
                self.locks.owner[r] = Some(w);
                self.locks.acquired_at[r] = now;
                self.locks.acquisitions[r] += 1;
                self.locks.wait[r].record(now - since);
                self.blocked.retain(|&b| b != w);
                let a = &mut self.tasks[w].active;
                a.blocking += now - since;
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
            // A blocked job passes its new urgency on to its holder.
            match a.at {
                Where::Blocked(r) => match self.locks.owner[r] {
                    Some(o) if o != task => task = o,
                    _ => return,
                },
                _ => return,
            }
        }
    }

    /// Refreshes the holder of `r`, if any (a waiter left).
    pub(super) fn refresh_owner_of(&mut self, r: usize) {
        if let Some(o) = self.locks.owner[r] {
            self.refresh(o);
        }
    }

    /// `task` now waits for `r`, held by `holder`: if `holder` (through the
    /// resources it waits for) waits for `task`, the jobs are deadlocked.
    fn check_deadlock(&mut self, task: usize, r: usize, holder: usize) {
        let name = |t: usize| self.sys.tasks[t].name.clone();
        let res = |r: usize| self.sys.resources[r].name.clone();
        let mut cycle = vec![DeadlockEdge {
            task: name(task),
            resource: res(r),
            held_by: name(holder),
        }];
        let mut x = holder;
        for _ in 0..=self.tasks.len() {
            if x == task {
                self.deadlock = Some(Deadlock {
                    at_ns: self.now,
                    cycle,
                });
                return;
            }
            let Where::Blocked(r2) = self.tasks[x].active.at else {
                return;
            };
            let Some(next) = self.locks.owner[r2] else {
                return;
            };
            cycle.push(DeadlockEdge {
                task: name(x),
                resource: res(r2),
                held_by: name(next),
            });
            x = next;
        }
    }
}
