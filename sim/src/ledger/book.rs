//! One task's book: counters, metrics and misses from the job events.

use std::sync::Arc;

use rtlab_tasks::outcome::metrics::MetricError;
use rtlab_tasks::outcome::{Miss, MissKind, TaskStats};

use super::Names;
use super::arrivals::{Arrivals, JobPlan};
use super::causes::JobCauses;

/// What a run recorded for one task.
#[derive(Clone, Debug)]
pub struct TaskBook {
    names: Arc<Names>,
    stats: TaskStats,
    /// Per completed job (test builds): its accounted time and response.
    #[cfg(test)]
    pub(crate) audit: Vec<(u64, u64, u64)>,
}

/// `at - deadline` in ns, saturated on the side it overflows (a huge
/// deadline is very early, never late).
#[inline]
fn lateness(at: u64, deadline: u64) -> i64 {
    let l = i128::from(at) - i128::from(deadline);
    i64::try_from(l).unwrap_or(if l < 0 { i64::MIN } else { i64::MAX })
}

impl TaskBook {
    pub(super) fn new(names: Arc<Names>) -> Self {
        TaskBook {
            names,
            stats: TaskStats::default(),
            #[cfg(test)]
            audit: Vec::new(),
        }
    }

    /// A job was released and became ready `release_jitter_ns` after its
    /// nominal release.
    #[inline]
    pub fn released(&mut self, release_jitter_ns: u64) {
        self.stats.jobs += 1;
        self.stats.release_jitter.record(release_jitter_ns);
    }

    /// A job was released while its task's previous job still ran (live:
    /// no wake-up happened, so no `release_jitter` is recorded, as
    /// cyclictest records nothing for a missed period).
    #[inline]
    pub fn released_queued(&mut self) {
        self.stats.jobs += 1;
    }

    /// A release was dropped: the previous job was unfinished
    /// (`overrun = "skip"`).
    #[inline]
    pub fn skipped(&mut self) {
        self.stats.jobs += 1;
        self.stats.skipped += 1;
    }

    /// `job` executed for the first time at `at_ns`.
    #[inline]
    pub fn started(&mut self, job: &JobPlan, at_ns: u64) {
        self.stats
            .start_delay
            .record(at_ns.saturating_sub(job.release));
    }

    /// The running job was preempted.
    #[inline]
    pub fn preempted(&mut self) {
        self.stats.preemptions += 1;
    }

    /// A job panicked (fault injection).
    #[inline]
    pub fn faulted(&mut self) {
        self.stats.faults += 1;
    }

    /// Whether `job`, completing at `at_ns`, misses its deadline (its
    /// lateness is positive): the one rule [`Self::completed`] keeps a
    /// miss by, for an engine that prepares the miss's causes first.
    #[inline]
    pub fn misses_on_completion(job: &JobPlan, at_ns: u64) -> bool {
        lateness(at_ns, job.deadline) > 0
    }

    /// `job` completed at `at_ns`, its time spent as `causes` say. Returns
    /// its lateness (ns, negative = early): positive is a miss, kept with
    /// its causes.
    #[inline]
    pub fn completed(&mut self, job: &JobPlan, at_ns: u64, causes: &JobCauses) -> i64 {
        let lateness = lateness(at_ns, job.deadline);
        let response = at_ns.saturating_sub(job.release);
        self.stats.complete(response, lateness);
        self.stats.blocking.record(causes.blocking());
        #[cfg(test)]
        self.audit.push((job.k, causes.total(), response));
        if Self::misses_on_completion(job, at_ns) {
            self.keep(job, Some(at_ns), lateness as u64, MissKind::Late, causes);
        }
        lateness
    }

    /// `job` was aborted at its deadline (`on_miss = "abort"`).
    pub fn aborted(&mut self, job: &JobPlan, causes: &JobCauses) {
        self.stats.aborted += 1;
        self.stats.deadline_misses += 1;
        self.keep(job, None, 0, MissKind::Aborted, causes);
    }

    /// `job` was still pending or running when the run ended at `end_ns`:
    /// incomplete, and a miss if its deadline is before the end (or at it,
    /// when `whole`: every completion at that instant was handled). Returns
    /// whether it missed.
    pub fn unfinished(
        &mut self,
        job: &JobPlan,
        end_ns: u64,
        whole: bool,
        causes: &JobCauses,
    ) -> bool {
        self.stats.incomplete += 1;
        let missed = Self::misses_at_end(job, end_ns, whole);
        if missed {
            self.stats.deadline_misses += 1;
            let late = end_ns - job.deadline;
            self.keep(job, None, late, MissKind::Incomplete, causes);
        }
        missed
    }

    /// Whether `job`, still pending when the run ended at `end_ns`, counts
    /// as a miss: its deadline is before the end, or at it when `whole`.
    #[inline]
    pub fn misses_at_end(job: &JobPlan, end_ns: u64, whole: bool) -> bool {
        job.deadline < end_ns || (whole && job.deadline == end_ns)
    }

    /// Counts the releases before `end_ns` that `arrivals` never handed
    /// out: incomplete jobs, and misses when their deadline passed.
    pub fn unreleased(&mut self, arrivals: &Arrivals, end_ns: u64, whole: bool) {
        let (count, missed) = arrivals.unreleased(end_ns, whole);
        self.stats.jobs += count;
        self.stats.incomplete += count;
        self.stats.deadline_misses += missed;
    }

    fn keep(
        &mut self,
        job: &JobPlan,
        finish: Option<u64>,
        lateness_ns: u64,
        kind: MissKind,
        causes: &JobCauses,
    ) {
        let mut miss = Miss {
            job: job.k,
            release_ns: job.release,
            deadline_ns: job.deadline,
            finish_ns: finish,
            lateness_ns,
            kind,
            release_jitter_ns: 0,
            waited_for: Vec::new(),
            blocked_on: Vec::new(),
            queued_ns: 0,
            executed_ns: 0,
            interference: Vec::new(),
            unexplained_ns: 0,
        };
        causes.fill(&mut miss, &self.names);
        self.stats.keep_miss(miss);
    }

    /// Adds another book of the same task.
    pub fn merge(&mut self, other: &TaskBook) -> Result<(), MetricError> {
        self.stats.merge(&other.stats)
    }

    /// Deadline misses recorded so far.
    pub fn deadline_misses(&self) -> u64 {
        self.stats.deadline_misses
    }

    /// The counters and metrics recorded.
    pub fn into_stats(self) -> TaskStats {
        self.stats
    }
}
