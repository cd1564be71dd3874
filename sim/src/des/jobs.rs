//! The end of a job (completion, fault, abort), misses with their causes,
//! and the close of a run at its horizon.

use rtlab_tasks::outcome::trace::EventKind;
use rtlab_tasks::outcome::{CpuOutcome, Delay, Miss, MissKind};

use super::engine::{Engine, Run};
use super::state::{Job, Where};

impl Engine<'_, '_> {
    /// Removes the head job of `task` (completed, faulted or aborted),
    /// frees its CPU, releases its locks, and promotes the next job.
    pub(super) fn end_job(&mut self, task: usize, cpu: Option<usize>, how: End) {
        let now = self.now;
        if let Some(c) = cpu {
            self.cpus[c].running = None;
            self.cpus[c].next_event = u64::MAX;
        }
        match self.tasks[task].active.at {
            Where::Ready => {
                let d = self.tasks[task].domain;
                self.domains[d].ready.retain(|&t| t != task);
            }
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
        let Some(job) = self.tasks[task].jobs.pop_front() else {
            return;
        };
        let lateness = i128::from(now) - i128::from(job.deadline);
        // Saturate on the side it overflows: a huge deadline is very early,
        // never late.
        let lateness =
            i64::try_from(lateness).unwrap_or(if lateness < 0 { i64::MIN } else { i64::MAX });
        match how {
            End::Complete => {
                let t = &mut self.tasks[task];
                t.stats.complete(now - job.release, lateness);
                t.stats.blocking.record(t.active.blocking);
                self.emit(task, job.k, cpu, EventKind::Complete);
                if lateness > 0 {
                    self.emit_at(job.deadline, task, job.k, EventKind::Miss);
                    self.keep_miss(task, &job, Some(now), lateness as u64, MissKind::Late);
                }
            }
            End::Fault => {
                self.tasks[task].stats.faults += 1;
                self.emit(task, job.k, cpu, EventKind::Fault);
            }
            End::Abort => {
                let t = &mut self.tasks[task];
                t.stats.aborted += 1;
                t.stats.deadline_misses += 1;
                self.emit(task, job.k, cpu, EventKind::Abort);
                self.emit_at(job.deadline, task, job.k, EventKind::Miss);
                self.keep_miss(task, &job, None, 0, MissKind::Aborted);
            }
        }
        self.become_head(task);
    }

    /// Records a missed job with what delayed it.
    pub(super) fn keep_miss(
        &mut self,
        task: usize,
        job: &Job,
        finish: Option<u64>,
        lateness: u64,
        kind: MissKind,
    ) {
        let names = &self.sys.tasks;
        let a = &self.tasks[task].active;
        let mut waited: Vec<Delay> = a
            .waited
            .iter()
            .map(|&(t, ns)| Delay {
                task: names[t].name.clone(),
                resource: None,
                ns,
            })
            .collect();
        waited.sort_by(|x, y| y.ns.cmp(&x.ns).then_with(|| x.task.cmp(&y.task)));
        let mut blocked: Vec<Delay> = a
            .blocked_on
            .iter()
            .map(|&((res, holder), ns)| Delay {
                task: names[holder].name.clone(),
                resource: Some(self.sys.resources[res].name.clone()),
                ns,
            })
            .collect();
        blocked.sort_by(|x, y| y.ns.cmp(&x.ns).then_with(|| x.task.cmp(&y.task)));
        let miss = Miss {
            job: job.k,
            release_ns: job.release,
            deadline_ns: job.deadline,
            finish_ns: finish,
            lateness_ns: lateness,
            kind,
            waited_for: waited,
            blocked_on: blocked,
            queued_ns: a.queued,
        };
        self.tasks[task].stats.keep_miss(miss);
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
                let t = &mut self.tasks[task];
                t.stats.aborted += 1;
                t.stats.deadline_misses += 1;
                self.emit(task, k, None, EventKind::Abort);
                self.emit_at(job.deadline, task, k, EventKind::Miss);
                let queued = self.now - job.ready;
                let miss = Miss {
                    job: k,
                    release_ns: job.release,
                    deadline_ns: job.deadline,
                    finish_ns: None,
                    lateness_ns: 0,
                    kind: MissKind::Aborted,
                    waited_for: Vec::new(),
                    blocked_on: Vec::new(),
                    queued_ns: queued,
                };
                self.tasks[task].stats.keep_miss(miss);
            }
        }
    }

    /// Closes the run at `end`: unfinished jobs, CPU and resource figures.
    ///
    /// An unfinished job is `incomplete`, and also a miss when its deadline
    /// is at or before the horizon: every completion at the horizon was
    /// handled, so it can only finish after its deadline. (A run stopped by
    /// a deadlock may not have handled every event of its last instant: a
    /// deadline at that instant is not counted.)
    pub(super) fn finish(mut self, end: u64) -> Run {
        for c in 0..self.cpus.len() {
            self.settle(c);
        }
        let whole = self.deadlock.is_none();
        let missed = |deadline: u64| deadline < end || (whole && deadline == end);
        for task in 0..self.tasks.len() {
            // Releases due before the end that never became ready count as
            // jobs too: the pending one (jitter pushed it past the end) and
            // every later one before the end (a jitter longer than the
            // period holds back all releases after the pending one).
            if self.releases.iter().any(|r| r.0.1 == task) {
                let t = &mut self.tasks[task];
                let first = t.next_release;
                // Counted, not walked: a jitter can hold back many periods.
                let count = end.saturating_sub(first).div_ceil(t.period);
                // Deadlines first + k T + D, k < count, at or before the
                // last instant that counts as missed.
                let last = if whole { Some(end) } else { end.checked_sub(1) };
                let late = last
                    .and_then(|l| l.checked_sub(first.saturating_add(t.rel_deadline)))
                    .map_or(0, |span| span / t.period + 1)
                    .min(count);
                t.stats.jobs += count;
                t.stats.incomplete += count;
                t.stats.deadline_misses += late;
            }
            let jobs: Vec<Job> = self.tasks[task].jobs.iter().copied().collect();
            for (i, job) in jobs.iter().enumerate() {
                self.tasks[task].stats.incomplete += 1;
                if missed(job.deadline) {
                    self.tasks[task].stats.deadline_misses += 1;
                    if i == 0 {
                        self.keep_miss(task, job, None, end - job.deadline, MissKind::Incomplete);
                    } else {
                        let miss = Miss {
                            job: job.k,
                            release_ns: job.release,
                            deadline_ns: job.deadline,
                            finish_ns: None,
                            lateness_ns: end - job.deadline,
                            kind: MissKind::Incomplete,
                            waited_for: Vec::new(),
                            blocked_on: Vec::new(),
                            queued_ns: end - job.ready,
                        };
                        self.tasks[task].stats.keep_miss(miss);
                    }
                }
            }
        }
        let cpus = self
            .cpus
            .iter()
            .map(|c| CpuOutcome {
                id: c.id,
                busy_ratio: if end == 0 {
                    0.0
                } else {
                    c.busy as f64 / end as f64
                },
                busy_ns: c.busy,
            })
            .collect();
        let resources = self.locks.outcomes(self.sys);
        Run {
            tasks: self.tasks.into_iter().map(|t| t.stats).collect(),
            cpus,
            resources,
            deadlock: self.deadlock,
            end_ns: end,
        }
    }
}

/// How a head job ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// It completed its execution.
    Complete,
    /// It panicked (fault injection).
    Fault,
    /// It was aborted at its deadline.
    Abort,
}
