//! What a simulation saw, job by job, read from its trace.
//!
//! The harness does not take the simulator's counters on trust: it
//! recomputes every job's response, and which jobs missed, from the trace
//! events and the task parameters alone (job `k` of a periodic task is
//! nominally released at `offset + k * period`; a sporadic or triggered
//! task's job at its release event, as the harness gives such tasks no
//! jitter; the deadline is `deadline` later). The
//! properties then compare the analysis with these figures, and the
//! simulator's own counters with them too.

use std::collections::{BTreeMap, BTreeSet};

use rtlab_tasks::model::System;
use rtlab_tasks::outcome::trace::{EventKind, JobEvent, TraceSink};

/// How a missed job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MissEnd {
    /// Completed at this time (nanoseconds), after its deadline.
    Late(u64),
    /// Aborted at its deadline.
    Aborted,
    /// Still unfinished at the end of the run, its deadline passed (at
    /// the horizon: at or before it).
    Unfinished,
}

/// One job that missed its deadline.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JobMiss {
    /// The job number, from 0.
    pub(crate) job: u64,
    /// Nominal release, in nanoseconds.
    pub(crate) release: u64,
    /// Absolute deadline, in nanoseconds.
    pub(crate) deadline: u64,
    /// How it ended.
    pub(crate) end: MissEnd,
}

/// The longest response of a task's jobs, or a lower bound of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Response {
    /// The job number, from 0.
    pub(crate) job: u64,
    /// Its nominal release, in nanoseconds.
    pub(crate) release: u64,
    /// Completion minus nominal release (completed), or end of the run
    /// minus nominal release (unfinished: the response is at least this).
    pub(crate) ns: u64,
    /// How the job stood at the end.
    pub(crate) state: JobState,
}

/// Whether a job completed, and if not, how sure its response is longer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JobState {
    /// It completed.
    Completed,
    /// Unfinished at the horizon: a job completing at the horizon counts
    /// as completed, so this one completes strictly later.
    Unfinished,
    /// Unfinished when a deadlock stopped the run: events of that instant
    /// may not have been handled, so it may complete at the instant.
    Cut,
}

impl Response {
    /// True when this response is certainly longer than `bound_ns`.
    pub(crate) fn exceeds(&self, bound_ns: u64) -> bool {
        match self.state {
            JobState::Completed | JobState::Cut => self.ns > bound_ns,
            JobState::Unfinished => self.ns >= bound_ns,
        }
    }

    /// Longer, or as long and less certain to end (so that the response
    /// most likely to exceed a bound is kept).
    fn beats(&self, other: &Response) -> bool {
        self.ns > other.ns
            || (self.ns == other.ns
                && self.state == JobState::Unfinished
                && other.state != JobState::Unfinished)
    }
}

/// Everything seen of one task.
#[derive(Clone, Debug, Default)]
pub(crate) struct TaskSeen {
    /// Jobs that completed.
    pub(crate) completed: u64,
    /// Jobs aborted at their deadline.
    pub(crate) aborted: u64,
    /// Releases skipped (`overrun = "skip"`).
    pub(crate) skipped: u64,
    /// Every job that missed its deadline, in the order seen.
    pub(crate) misses: Vec<JobMiss>,
    /// The longest response of a completed job.
    pub(crate) max_completed: Option<Response>,
    /// The longest response, unfinished jobs included (lower bounds).
    pub(crate) worst: Option<Response>,
    /// Jobs released and not ended, by number.
    open: BTreeSet<u64>,
    /// Jobs with a release or skip event (numbers `0..seen`).
    seen: u64,
}

impl TaskSeen {
    fn note_response(&mut self, r: Response) {
        if r.state == JobState::Completed && self.max_completed.is_none_or(|m| r.ns > m.ns) {
            self.max_completed = Some(r);
        }
        if self.worst.is_none_or(|w| r.beats(&w)) {
            self.worst = Some(r);
        }
    }
}

/// A [`TraceSink`] that keeps per task what [`TaskSeen`] needs.
#[derive(Clone, Debug)]
pub(crate) struct Observer {
    /// `(offset, period, deadline)` per task, in nanoseconds.
    params: Vec<(u64, u64, u64)>,
    /// Per task released by events (sporadic, triggered), the release of
    /// each job seen by number; `None` for periodic tasks.
    released: Vec<Option<BTreeMap<u64, u64>>>,
    tasks: Vec<TaskSeen>,
}

impl Observer {
    /// An observer for the tasks of `system`.
    pub(crate) fn new(system: &System) -> Observer {
        Observer {
            params: system
                .tasks
                .iter()
                .map(|t| {
                    (
                        t.offset.as_nanos(),
                        t.period.as_nanos(),
                        t.deadline.as_nanos(),
                    )
                })
                .collect(),
            released: system
                .tasks
                .iter()
                .map(|t| (t.trigger.is_some() || !t.arrival.is_periodic()).then(BTreeMap::new))
                .collect(),
            tasks: vec![TaskSeen::default(); system.tasks.len()],
        }
    }

    fn release_of(&self, task: usize, job: u64) -> (u64, u64) {
        let (offset, period, deadline) = self.params[task];
        let release = match &self.released[task] {
            Some(seen) => seen.get(&job).copied().unwrap_or(0),
            None => offset + job * period,
        };
        (release, release + deadline)
    }

    /// Closes the run at `end_ns`: jobs released before it and not ended
    /// are unfinished, a miss when their deadline is at or before the end.
    /// `cut`: a deadlock stopped the run at `end_ns`, before the horizon
    /// (then a job may still complete at `end_ns`, so only a deadline
    /// before it is a certain miss).
    pub(crate) fn finish(mut self, end_ns: u64, cut: bool) -> Vec<TaskSeen> {
        let state = if cut {
            JobState::Cut
        } else {
            JobState::Unfinished
        };
        for task in 0..self.tasks.len() {
            let (offset, period, _) = self.params[task];
            // Jobs nominally released before the end; those never seen
            // were still delayed by their release jitter (a task released
            // by events has none: every release was seen).
            let due = if self.released[task].is_some() {
                self.tasks[task].seen
            } else if offset < end_ns {
                (end_ns - offset - 1) / period + 1
            } else {
                0
            };
            let seen = self.tasks[task].seen;
            let open: Vec<u64> = self.tasks[task].open.iter().copied().collect();
            for job in open.into_iter().chain(seen..due) {
                let (release, deadline) = self.release_of(task, job);
                let t = &mut self.tasks[task];
                t.note_response(Response {
                    job,
                    release,
                    ns: end_ns - release,
                    state,
                });
                if deadline < end_ns || (deadline == end_ns && !cut) {
                    t.misses.push(JobMiss {
                        job,
                        release,
                        deadline,
                        end: MissEnd::Unfinished,
                    });
                }
            }
        }
        self.tasks
    }
}

impl TraceSink for Observer {
    fn event(&mut self, e: &JobEvent) {
        let task = e.task.0;
        if let (Some(seen), EventKind::Release | EventKind::Skip) =
            (&mut self.released[task], e.kind)
        {
            seen.insert(e.job, e.time_ns);
        }
        let (release, deadline) = self.release_of(task, e.job);
        let t = &mut self.tasks[task];
        match e.kind {
            EventKind::Release => {
                t.open.insert(e.job);
                t.seen = t.seen.max(e.job + 1);
            }
            EventKind::Skip => {
                t.skipped += 1;
                t.seen = t.seen.max(e.job + 1);
            }
            EventKind::Complete => {
                t.open.remove(&e.job);
                t.completed += 1;
                t.note_response(Response {
                    job: e.job,
                    release,
                    ns: e.time_ns.saturating_sub(release),
                    state: JobState::Completed,
                });
                if e.time_ns > deadline {
                    t.misses.push(JobMiss {
                        job: e.job,
                        release,
                        deadline,
                        end: MissEnd::Late(e.time_ns),
                    });
                }
            }
            EventKind::Abort => {
                t.open.remove(&e.job);
                t.aborted += 1;
                t.misses.push(JobMiss {
                    job: e.job,
                    release,
                    deadline,
                    end: MissEnd::Aborted,
                });
            }
            EventKind::Fault => {
                t.open.remove(&e.job);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use rtlab_tasks::model::{SystemBuilder, TaskId};
    use rtlab_tasks::time::Duration;

    use super::*;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    /// One task: period 4, WCET 2, deadline 3, offset 1.
    fn observer() -> Observer {
        let system = SystemBuilder::new("o")
            .task("a", ns(4), ns(2))
            .deadline(ns(3))
            .offset(ns(1))
            .build();
        Observer::new(&system)
    }

    fn event(observer: &mut Observer, time_ns: u64, job: u64, kind: EventKind) {
        observer.event(&JobEvent {
            time_ns,
            task: TaskId(0),
            job,
            cpu: Some(0),
            kind,
        });
    }

    #[test]
    fn responses_count_from_the_nominal_release_and_late_completions_miss() {
        let mut o = observer();
        event(&mut o, 2, 0, EventKind::Release); // nominal 1, jitter 1
        event(&mut o, 4, 0, EventKind::Complete); // deadline 4: in time
        event(&mut o, 5, 1, EventKind::Release);
        event(&mut o, 9, 1, EventKind::Complete); // deadline 8: late
        let seen = &o.finish(9, false)[0];
        assert_eq!(seen.completed, 2);
        assert_eq!(seen.max_completed.map(|r| (r.job, r.ns)), Some((1, 4)));
        assert_eq!(seen.misses.len(), 1);
        assert_eq!(seen.misses[0].end, MissEnd::Late(9));
    }

    #[test]
    fn a_job_unfinished_at_the_horizon_misses_if_its_deadline_is_not_after_it() {
        let mut o = observer();
        event(&mut o, 1, 0, EventKind::Release);
        let seen = &o.finish(4, false)[0];
        assert_eq!(seen.misses.len(), 1, "deadline 4 = horizon 4");
        let worst = seen.worst.unwrap();
        assert!(
            worst.exceeds(3),
            "unfinished after 3ns: responds more than 3ns"
        );
    }

    #[test]
    fn a_job_cut_by_a_deadlock_at_its_deadline_is_not_a_certain_miss() {
        let mut o = observer();
        event(&mut o, 1, 0, EventKind::Release);
        let seen = &o.finish(4, true)[0];
        assert!(seen.misses.is_empty());
        assert!(!seen.worst.unwrap().exceeds(3));
    }

    #[test]
    fn releases_delayed_past_the_end_by_jitter_are_unfinished_jobs() {
        let mut o = observer();
        event(&mut o, 1, 0, EventKind::Release);
        event(&mut o, 3, 0, EventKind::Complete);
        // Jobs 1 (nominal 5) and 2 (nominal 9) never became ready.
        let seen = &o.finish(10, false)[0];
        let missed: Vec<u64> = seen.misses.iter().map(|m| m.job).collect();
        assert_eq!(
            missed,
            [1],
            "job 1's deadline 8 passed; job 2's (12) did not"
        );
        assert_eq!(seen.worst.map(|r| (r.job, r.ns)), Some((1, 5)));
    }
}
