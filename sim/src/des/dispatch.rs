//! Releases and dispatch: jobs joining their task's queue and their
//! domain's ready list, the policy choosing who runs, preemption, starts.

use std::cmp::Reverse;

use rtlab_tasks::model::{Locking, Overrun, Policy};
use rtlab_tasks::outcome::trace::EventKind;

use super::engine::Engine;
use super::state::Where;
use crate::policy::{self, Candidate};

impl Engine<'_, '_> {
    /// The CPU a task's jobs are reported on when not running (its own
    /// CPU when partitioned).
    pub(super) fn home_cpu(&self, task: usize) -> Option<usize> {
        let d = &self.domains[self.tasks[task].domain];
        (d.cpus.len() == 1).then(|| d.cpus[0])
    }

    /// A release of `task` at `self.now`.
    pub(super) fn release(&mut self, task: usize) {
        let now = self.now;
        let t = &mut self.tasks[task];
        let job = t.arrivals.take();
        if let Some(ready) = t.arrivals.next_ready() {
            self.releases.push(Reverse((ready, task)));
        }
        if self.overrun == Overrun::Skip && !t.jobs.is_empty() {
            self.ledger.task(task).skipped();
            let cpu = self.home_cpu(task);
            self.emit(task, job.k, cpu, EventKind::Skip);
            return;
        }
        self.ledger.task(task).released(now - job.release);
        let t = &mut self.tasks[task];
        t.jobs.push_back(job);
        let head = t.jobs.len() == 1;
        if self.abort_on_miss {
            // Jitter can make a job ready after its deadline: it is aborted
            // at once, never in the past.
            self.aborts
                .push(Reverse((job.deadline.max(now), task, job.k)));
        }
        let cpu = self.home_cpu(task);
        self.emit(task, job.k, cpu, EventKind::Release);
        if head {
            self.become_head(task);
        }
    }

    /// The front job of `task` becomes its head job and is ready.
    pub(super) fn become_head(&mut self, task: usize) {
        let now = self.now;
        let t = &mut self.tasks[task];
        let Some(job) = t.jobs.front().copied() else {
            t.active.at = Where::Idle;
            return;
        };
        t.active.reset();
        t.active.causes.release_jitter = job.ready - job.release;
        t.active.causes.queued = now - job.ready;
        t.active.priority = t.priority;
        t.active.deadline = job.deadline;
        self.make_ready(task);
    }

    /// Puts the head job of `task` in its domain's ready list, at the back
    /// of the round-robin queue with a fresh quantum.
    pub(super) fn make_ready(&mut self, task: usize) {
        self.sequence += 1;
        let t = &mut self.tasks[task];
        t.active.sequence = self.sequence;
        t.active.quantum_left = self.quantum;
        t.active.at = Where::Ready;
        let d = t.domain;
        self.domains[d].ready.push(task);
    }

    pub(super) fn candidate(&self, task: usize) -> Candidate {
        let t = &self.tasks[task];
        Candidate {
            task,
            priority: t.active.priority,
            deadline: t.active.deadline,
            release: t.jobs.front().map_or(0, |j| j.ready),
            sequence: t.active.sequence,
        }
    }

    /// Whether a ready job may start under the stack resource policy (EDF
    /// with `ceiling`): jobs already started always may.
    fn may_start(&self, task: usize) -> bool {
        if !(self.policy == Policy::Edf && self.locking == Locking::Ceiling) {
            return true;
        }
        let t = &self.tasks[task];
        let tasks = &self.tasks;
        t.active.started
            || t.rel_deadline < self.locks.system_ceiling(|o| tasks[o].domain == t.domain)
    }

    /// The job of domain `d` to run next: the most urgent ready job if it
    /// may start. Under the stack resource policy (Baker 1991), a job starts
    /// only when it is the most urgent ready job *and* its preemption level
    /// is above the system ceiling: when the most urgent one may not start,
    /// only jobs already started may run (a less urgent job above the
    /// ceiling does not jump ahead of it).
    fn best_ready(&self, d: usize) -> Option<(usize, usize)> {
        let most_urgent = |admit: &dyn Fn(usize) -> bool| {
            let mut best: Option<(usize, usize, (u64, u64, usize))> = None;
            for (i, &task) in self.domains[d].ready.iter().enumerate() {
                if !admit(task) {
                    continue;
                }
                let k = policy::key(self.policy, &self.candidate(task));
                if best.is_none_or(|(_, _, bk)| k < bk) {
                    best = Some((i, task, k));
                }
            }
            best.map(|(i, task, _)| (i, task))
        };
        let (i, task) = most_urgent(&|_| true)?;
        if self.may_start(task) {
            Some((i, task))
        } else {
            most_urgent(&|t| self.tasks[t].active.started)
        }
    }

    /// Gives CPUs to the most urgent ready jobs of domain `d`.
    pub(super) fn dispatch(&mut self, d: usize) {
        loop {
            let Some((index, task)) = self.best_ready(d) else {
                return;
            };
            let idle = self.domains[d]
                .cpus
                .iter()
                .copied()
                .find(|&c| self.cpus[c].running.is_none());
            if let Some(c) = idle {
                self.domains[d].ready.swap_remove(index);
                self.start(task, c);
                continue;
            }
            // Preempt the least urgent running job, if the best ready one
            // beats it (ties: the CPU listed last).
            let mut worst: Option<(usize, (u64, u64, usize))> = None;
            for &c in &self.domains[d].cpus {
                if let Some(r) = self.cpus[c].running {
                    let k = policy::key(self.policy, &self.candidate(r));
                    if worst.is_none_or(|(_, wk)| k >= wk) {
                        worst = Some((c, k));
                    }
                }
            }
            let Some((c, _)) = worst else { return };
            let Some(running) = self.cpus[c].running else {
                return;
            };
            if !policy::preempts(
                self.policy,
                self.preemptive,
                &self.candidate(task),
                &self.candidate(running),
            ) {
                return;
            }
            self.domains[d].ready.swap_remove(index);
            self.preempt(c);
            self.start(task, c);
        }
    }

    /// Takes the running job off CPU `c` (back to ready).
    fn preempt(&mut self, c: usize) {
        let Some(task) = self.settle(c) else { return };
        self.cpus[c].running = None;
        self.cpus[c].next_event = u64::MAX;
        self.ledger.task(task).preempted();
        self.tasks[task].active.at = Where::Ready;
        let d = self.tasks[task].domain;
        self.domains[d].ready.push(task);
        let k = self.head_k(task);
        self.emit(task, k, Some(c), EventKind::Preempt);
    }

    /// Starts (or resumes) the head job of `task` on CPU `c`.
    fn start(&mut self, task: usize, c: usize) {
        let now = self.now;
        let k = self.head_k(task);
        let t = &mut self.tasks[task];
        t.active.at = Where::Running(c);
        let first = !t.active.started;
        if first {
            t.active.started = true;
            if let Some(job) = t.jobs.front() {
                self.ledger.task(task).started(job, now);
            }
        }
        self.cpus[c].running = Some(task);
        self.cpus[c].since = now;
        self.emit(
            task,
            k,
            Some(c),
            if first {
                EventKind::Start
            } else {
                EventKind::Resume
            },
        );
        self.schedule_cpu(c);
    }

    pub(super) fn head_k(&self, task: usize) -> u64 {
        self.tasks[task].jobs.front().map_or(0, |j| j.k)
    }
}
