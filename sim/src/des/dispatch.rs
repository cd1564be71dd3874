//! Releases and dispatch: jobs joining their task's queue and their
//! domain's ready list, the policy choosing who runs, preemption, starts.

use std::cmp::Reverse;

use rtlab_tasks::model::{Locking, Overrun, Policy};
use rtlab_tasks::outcome::trace::EventKind;

use super::engine::Engine;
use super::state::{Key, Where};
use crate::ledger::{JobPlan, Token};
use crate::policy::{self, Candidate};

impl Engine<'_> {
    /// The CPU a task's jobs are reported on when not running (its own
    /// CPU when partitioned).
    pub(super) fn home_cpu(&self, task: usize) -> Option<usize> {
        let d = &self.domains[self.tasks[task].domain];
        (d.cpus.len() == 1).then(|| d.cpus[0])
    }

    /// A release of `task` at `self.now`: the top of the release heap.
    pub(super) fn release(&mut self, task: usize) {
        let t = &mut self.tasks[task];
        let job = t.arrivals.take();
        // The task's next release takes this one's place at the top: one
        // sift down instead of a pop and a push.
        match t.arrivals.next_ready() {
            Some(ready) => {
                if let Some(mut top) = self.releases.peek_mut() {
                    debug_assert_eq!(top.0, (self.now, task), "the release is the top");
                    *top = Reverse((ready, task));
                }
            }
            None => {
                self.releases.pop();
            }
        }
        self.admit(task, job, None);
    }

    /// Releases a job of every task `task`'s completion triggers, at
    /// `self.now`, handing on `token`; none at or after the horizon (no
    /// timed release is made there either).
    pub(super) fn release_triggered(&mut self, task: usize, token: &Token) {
        if self.now >= self.horizon {
            return;
        }
        for i in 0..self.tasks[task].triggers.len() {
            let next = self.tasks[task].triggers[i];
            let job = self.tasks[next].arrivals.triggered(self.now);
            self.admit(next, job, Some(token));
        }
    }

    /// A job of `task` arrives now: skipped (overrun `skip` with a job
    /// pending), or queued behind the task's pending jobs, ready at once
    /// when it is the only one.
    fn admit(&mut self, task: usize, job: JobPlan, token: Option<&Token>) {
        let now = self.now;
        let t = &mut self.tasks[task];
        if self.overrun == Overrun::Skip && !t.jobs.is_empty() {
            self.ledger.task(task).skipped();
            let cpu = self.home_cpu(task);
            self.emit(task, job.k, cpu, EventKind::Skip);
            return;
        }
        self.ledger.task(task).released(now - job.release);
        self.ledger
            .chains()
            .released(task, job.k, job.release, token);
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
    #[inline]
    pub(super) fn become_head(&mut self, task: usize) {
        let t = &mut self.tasks[task];
        if t.jobs.is_empty() {
            t.active.at = Where::Idle;
        } else {
            self.promote(task);
        }
    }

    /// [`Self::become_head`] of a task with a job (out of line: a task
    /// whose job completed usually has none).
    #[inline(never)]
    fn promote(&mut self, task: usize) {
        let now = self.now;
        let t = &mut self.tasks[task];
        let Some(job) = t.jobs.front().copied() else {
            return;
        };
        t.active.reset();
        t.active.causes.release_jitter = job.ready - job.release;
        t.active.causes.queued = now - job.ready;
        t.active.priority = t.priority;
        t.active.deadline = job.deadline;
        self.make_ready(task);
    }

    /// Puts the head job of `task` in its domain's ready queue, at the back
    /// of the round-robin queue with a fresh quantum.
    pub(super) fn make_ready(&mut self, task: usize) {
        self.sequence += 1;
        let t = &mut self.tasks[task];
        t.active.sequence = self.sequence;
        t.active.quantum_left = self.quantum;
        self.enqueue(task);
    }

    /// Puts the head job of `task` in its domain's ready queue; its wait
    /// for a CPU starts now.
    #[inline(always)]
    fn enqueue(&mut self, task: usize) {
        self.tasks[task].active.at = Where::Ready;
        let d = self.tasks[task].domain;
        let key = self.key_of(task);
        self.domains[d].ready.set(task, key);
        self.start_wait(task);
        self.mark_dispatch(d);
        if self.domains[d].log.stale {
            self.touch(d);
        }
    }

    /// Takes the head job of `task` out of its domain's ready queue, its
    /// wait charged.
    #[inline(always)]
    pub(super) fn dequeue(&mut self, task: usize) {
        let d = self.tasks[task].domain;
        if self.domains[d].ready.remove(task).is_some() {
            self.settle_wait(task);
            self.mark_dispatch(d);
        }
    }

    /// The policy's key of `task`'s head job now.
    #[inline]
    pub(super) fn key_of(&self, task: usize) -> Key {
        policy::key(self.policy, &self.candidate(task))
    }

    /// `task`'s effective priority or deadline changed: its place in the
    /// ready queue, or its CPU's place among the running ones, follows.
    pub(super) fn rekey(&mut self, task: usize) {
        let d = self.tasks[task].domain;
        // A job being ended still says where it was while its locks are
        // released (and its urgency refreshed): it is moved only if it is
        // still in its queue or on its CPU.
        match self.tasks[task].active.at {
            Where::Ready if self.domains[d].ready.contains(task) => {
                let key = self.key_of(task);
                self.domains[d].ready.set(task, key);
            }
            // One CPU's domain keeps no running heap.
            Where::Running(c)
                if self.domains[d].only.is_none() && self.cpus[c].running == Some(task) =>
            {
                let key = self.key_of(task);
                self.domains[d].running.set(c, Reverse(key));
            }
            _ => {}
        }
        self.mark(d);
    }

    /// CPU `c` now runs `task`'s head job.
    #[inline]
    fn occupy(&mut self, c: usize, task: usize) {
        self.cpus[c].running = Some(task);
        let d = self.cpus[c].domain;
        if self.domains[d].only.is_none() {
            let key = self.key_of(task);
            let dom = &mut self.domains[d];
            dom.idle.remove(c);
            dom.running.set(c, Reverse(key));
        }
        self.mark(d);
    }

    /// CPU `c` runs nothing now.
    #[inline(always)]
    pub(super) fn vacate(&mut self, c: usize) {
        self.cpus[c].running = None;
        self.set_next_event(c, u64::MAX);
        let d = self.cpus[c].domain;
        let dom = &mut self.domains[d];
        if dom.only.is_none() {
            dom.running.remove(c);
            dom.idle.set(c, c);
        }
        self.mark(d);
    }

    /// An idle CPU of domain `d`, the first in platform order.
    #[inline]
    fn idle_cpu(&self, d: usize) -> Option<usize> {
        match self.domains[d].only {
            Some(c) => self.cpus[c].running.is_none().then_some(c),
            None => self.domains[d].idle.peek().map(|(_, c)| c),
        }
    }

    /// The CPU of domain `d` running its least urgent job.
    #[inline]
    pub(super) fn least_urgent_cpu(&self, d: usize) -> Option<usize> {
        match self.domains[d].only {
            Some(c) => self.cpus[c].running.is_some().then_some(c),
            None => self.domains[d].running.peek().map(|(_, c)| c),
        }
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
    /// ceiling does not jump ahead of it). That case (EDF with `ceiling`
    /// only) scans the ready jobs.
    fn best_ready(&self, d: usize) -> Option<usize> {
        let (_, task) = self.domains[d].ready.peek()?;
        if self.may_start(task) {
            return Some(task);
        }
        self.domains[d]
            .ready
            .iter()
            .filter(|&(_, t)| self.tasks[t].active.started)
            .min()
            .map(|(_, t)| t)
    }

    /// Gives CPUs to the most urgent ready jobs of domain `d`: an idle
    /// CPU (the first in platform order) if there is one, else the CPU of
    /// the least urgent running job, if the ready job preempts it.
    pub(super) fn dispatch(&mut self, d: usize) {
        loop {
            let Some(task) = self.best_ready(d) else {
                return;
            };
            if let Some(c) = self.idle_cpu(d) {
                self.dequeue(task);
                self.start(task, c);
                continue;
            }
            let Some(c) = self.least_urgent_cpu(d) else {
                return;
            };
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
            self.dequeue(task);
            self.preempt(c);
            self.start(task, c);
        }
    }

    /// Takes the running job off CPU `c` (back to ready).
    fn preempt(&mut self, c: usize) {
        let Some(task) = self.settle(c) else { return };
        self.vacate(c);
        self.ledger.task(task).preempted();
        self.enqueue(task);
        let k = self.head_k(task);
        self.emit(task, k, Some(c), EventKind::Preempt);
    }

    /// Starts (or resumes) the head job of `task` on CPU `c`.
    fn start(&mut self, task: usize, c: usize) {
        let now = self.now;
        debug_assert!(
            !self.tasks[task].jobs.is_empty(),
            "a task with no job starts"
        );
        let k = self.head_k(task);
        let t = &mut self.tasks[task];
        t.active.at = Where::Running(c);
        let first = !t.active.started;
        if first {
            t.active.started = true;
            if let Some(job) = t.jobs.front() {
                self.ledger.task(task).started(job, now);
                self.ledger.chains().started(task, job.k, now);
            }
        }
        self.occupy(c, task);
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
