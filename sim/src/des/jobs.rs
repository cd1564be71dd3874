//! The end of a job (completion, fault, abort) and the close of a run at
//! its horizon; what is recorded of them is the ledger's.

use rtlab_tasks::model::System;
use rtlab_tasks::outcome::trace::EventKind;
use rtlab_tasks::outcome::{Engine as EngineKind, Environment, Outcome};

use super::engine::{Engine, Run};
use super::state::{End, Where};
use crate::ledger::{self, Closing, JobCauses, TaskBook};

impl Engine<'_> {
    /// Removes the head job of `task` (completed, faulted or aborted),
    /// frees its CPU, releases its locks, and promotes the next job.
    pub(super) fn end_job(&mut self, task: usize, cpu: Option<usize>, how: End) {
        let now = self.now;
        if let Some(c) = cpu {
            self.vacate(c);
        }
        match self.tasks[task].active.at {
            Where::Ready => self.dequeue(task),
            Where::Blocked(res) => {
                self.blocked.retain(|&t| t != task);
                self.locks.remove_waiter(res, task);
                self.refresh_owner_of(res);
            }
            _ => {}
        }
        // Locks held are released, innermost first, as unwinding would.
        while let Some(&res) = self.tasks[task].active.held.last() {
            self.unlock(task, res);
        }
        // Its waits are itemized only if its causes explain a miss.
        let missed = match how {
            End::Complete => self.tasks[task]
                .jobs
                .front()
                .is_some_and(|j| TaskBook::misses_on_completion(j, now)),
            End::Fault => false,
            End::Abort => true,
        };
        self.close_spans(task, missed);
        let Some(job) = self.tasks[task].jobs.pop_front() else {
            return;
        };
        let a = &mut self.tasks[task].active;
        a.causes.executed = a.executed;
        let causes = &a.causes;
        let mut token = None;
        match how {
            End::Complete => {
                let lateness = self.ledger.task(task).completed(&job, now, causes);
                // A token only where a chain follows the job or a trigger
                // hands it on: most tasks have neither, and moving an
                // empty one costs a store-forwarding stall per job.
                if self.ledger.chains().tracks(task) || !self.tasks[task].triggers.is_empty() {
                    token = Some(self.ledger.chains().completed(task, job.k, now));
                }
                self.emit(task, job.k, cpu, EventKind::Complete);
                if lateness > 0 {
                    self.emit_at(job.deadline, task, job.k, EventKind::Miss);
                }
            }
            End::Fault => {
                self.ledger.task(task).faulted();
                self.ledger.chains().dropped(task, job.k);
                self.emit(task, job.k, cpu, EventKind::Fault);
            }
            End::Abort => {
                self.ledger.task(task).aborted(&job, causes);
                self.ledger.chains().dropped(task, job.k);
                self.emit(task, job.k, cpu, EventKind::Abort);
                self.emit_at(job.deadline, task, job.k, EventKind::Miss);
            }
        }
        self.become_head(task);
        // The jobs it triggers are released once its own next job is
        // ready, at the same instant.
        if let Some(token) = token
            && !self.tasks[task].triggers.is_empty()
        {
            self.release_triggered(task, &token);
        }
    }

    /// Aborts job `k` of `task` at its deadline if it is still pending.
    pub(super) fn abort(&mut self, task: usize, k: u64) {
        let head = self.tasks[task].jobs.front().map(|j| j.k);
        if head == Some(k) {
            let cpu = match self.tasks[task].active.at {
                Where::Running(c) => {
                    self.settle(c);
                    Some(c)
                }
                _ => None,
            };
            self.end_job(task, cpu, End::Abort);
        } else if let Some(pos) = self.tasks[task].jobs.iter().position(|j| j.k == k) {
            // A queued job behind its own predecessor.
            if let Some(job) = self.tasks[task].jobs.remove(pos) {
                let causes = JobCauses::queued_until(job.release, job.ready, self.now);
                self.ledger.task(task).aborted(&job, &causes);
                self.ledger.chains().dropped(task, k);
                self.emit(task, k, None, EventKind::Abort);
                self.emit_at(job.deadline, task, k, EventKind::Miss);
            }
        }
    }

    /// Closes the run at `end`: unfinished jobs, and the releases before
    /// the end that never became ready (jitter pushed them past it).
    ///
    /// A run stopped by a deadlock may not have handled every event of its
    /// last instant: a deadline at that instant is not counted as missed.
    pub(super) fn finish(mut self, end: u64) -> Run {
        for c in 0..self.cpus.len() {
            self.settle(c);
        }
        let whole = self.deadlock.is_none();
        for task in 0..self.tasks.len() {
            self.settle_wait(task);
            let missed = self.tasks[task]
                .jobs
                .front()
                .is_some_and(|j| TaskBook::misses_at_end(j, end, whole));
            self.close_spans(task, missed);
        }
        for task in 0..self.tasks.len() {
            let t = &mut self.tasks[task];
            let book = self.ledger.task(task);
            book.unreleased(&t.arrivals, end, whole);
            t.active.causes.executed = t.active.executed;
            for (i, job) in t.jobs.iter().enumerate() {
                if i == 0 {
                    book.unfinished(job, end, whole, &t.active.causes);
                } else {
                    let causes = JobCauses::queued_until(job.release, job.ready, end);
                    book.unfinished(job, end, whole, &causes);
                }
            }
        }
        Run {
            busy: self.cpus.iter().map(|c| c.busy).collect(),
            ledger: self.ledger,
            deadlock: self.deadlock,
            end_ns: end,
        }
    }
}

impl Run {
    /// The simulation's result: the ledger closed with the CPUs' busy time,
    /// the end and the deadlock, if any.
    pub(super) fn into_outcome(self, system: &System, seed: u64) -> Outcome {
        let cpus = system
            .platform
            .cpus
            .iter()
            .zip(&self.busy)
            .map(|(&id, &busy)| ledger::cpu_outcome(id, busy, self.end_ns))
            .collect();
        self.ledger.close(
            system,
            Closing {
                engine: EngineKind::Simulation,
                seed,
                environment: Environment::default(),
                started_at: None,
                duration_ns: self.end_ns,
                interrupted: self.deadlock.is_some(),
                cpus,
                deadlock: self.deadlock,
            },
        )
    }
}
