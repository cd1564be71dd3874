//! A task's releases and the per-job draws, in one order for both engines.
//!
//! Job `k` of a periodic task is released at `offset + k * period`
//! (nominal); a sporadic or Poisson task's job `k + 1` is released a drawn
//! gap after job `k` ([`GapRng`], its own stream; job 0 at `offset`). A job
//! is ready `jitter_k` after its release, never before job `k - 1` was
//! ready (releases of one task keep their order). The task's random stream
//! ([`TaskRng`]) is drawn in this order, the same in every engine, so the
//! same seed gives job `k` the same execution time in the simulator and
//! in a live run:
//!
//! 1. when the arrivals are created, the jitter of job 0;
//! 2. when job `k` is taken: its execution time, then the jitter of job
//!    `k + 1` if that job is released before the end (the gap to job
//!    `k + 1` is drawn first, from the gap stream).
//!
//! (Draws are skipped when nothing is random: constant execution, no
//! jitter.) Every `panic_every`-th job (counting from 1) panics half way
//! through its execution.

use rtlab_tasks::model::Task;

use crate::rng::{GapRng, TaskRng};

/// One job as its task's arrivals planned it (times in ns from the start).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobPlan {
    /// Job number of the task, from 0.
    pub k: u64,
    /// Nominal release, in ns.
    pub release: u64,
    /// Ready time (release plus jitter, never before the previous job's),
    /// in ns; the simulator releases the job then.
    pub ready: u64,
    /// Absolute deadline, in ns.
    pub deadline: u64,
    /// Execution time drawn for it, in ns.
    pub exec: u64,
    /// Execution time at which it panics (fault injection), in ns.
    pub fault_at: Option<u64>,
}

/// The releases of one task up to the end of a run.
#[derive(Clone, Debug)]
pub struct Arrivals {
    rng: TaskRng,
    /// The gaps of a sporadic or Poisson task; `None`: every gap is the
    /// period.
    gaps: Option<GapRng>,
    deterministic: bool,
    period: u64,
    deadline: u64,
    wcet: u64,
    panic_every: u64,
    end: u64,
    next_k: u64,
    next_release: u64,
    next_ready: u64,
}

impl Arrivals {
    /// The arrivals of `task` in a run with `seed` that releases nothing
    /// at or after `end_ns`. A triggered task has no timed release: its
    /// jobs come from [`Arrivals::triggered`].
    pub fn new(task: &Task, seed: u64, end_ns: u64) -> Self {
        let mut rng = TaskRng::new(seed, task);
        let deterministic = rng.is_deterministic();
        let offset = task.offset.as_nanos();
        let first_jitter = if deterministic { 0 } else { rng.jitter() };
        Arrivals {
            rng,
            gaps: GapRng::new(seed, task),
            deterministic,
            period: task.period.as_nanos(),
            deadline: task.deadline.as_nanos(),
            wcet: task.wcet.as_nanos(),
            panic_every: task.faults.panic_every,
            end: if task.trigger.is_some() { 0 } else { end_ns },
            next_k: 0,
            next_release: offset,
            next_ready: offset.saturating_add(first_jitter),
        }
    }

    /// The number of the next job (jobs taken so far).
    #[inline]
    pub fn next_job(&self) -> u64 {
        self.next_k
    }

    /// The nominal release of the next job, if it is before the end.
    #[inline]
    pub fn next_release(&self) -> Option<u64> {
        (self.next_release < self.end).then_some(self.next_release)
    }

    /// The ready time of the next job, if it is released before the end.
    #[inline]
    pub fn next_ready(&self) -> Option<u64> {
        (self.next_release < self.end).then_some(self.next_ready)
    }

    /// Takes the next job (call only while [`Arrivals::next_release`] is
    /// `Some`), drawing its execution time and the next job's jitter.
    #[inline]
    pub fn take(&mut self) -> JobPlan {
        let (release, ready) = (self.next_release, self.next_ready);
        let job = self.next_job_at(release, ready);
        let gap = match &mut self.gaps {
            Some(g) => g.gap(),
            None => self.period,
        };
        self.next_release = release.saturating_add(gap);
        if self.next_release < self.end {
            let jitter = if self.deterministic {
                0
            } else {
                self.rng.jitter()
            };
            self.next_ready = self.next_release.saturating_add(jitter).max(ready);
        }
        job
    }

    /// A job of a triggered task released at `at_ns` (its trigger's
    /// completion), drawing its execution time: the next job number,
    /// release and ready time `at_ns`.
    pub fn triggered(&mut self, at_ns: u64) -> JobPlan {
        self.next_job_at(at_ns, at_ns)
    }

    /// The next job, released at `release` and ready at `ready`: its
    /// number, its execution time (drawn), deadline and fault.
    #[inline]
    fn next_job_at(&mut self, release: u64, ready: u64) -> JobPlan {
        let k = self.next_k;
        self.next_k += 1;
        let exec = if self.deterministic {
            self.wcet
        } else {
            self.rng.execution()
        };
        let fault = self.panic_every > 0 && (k + 1).is_multiple_of(self.panic_every);
        JobPlan {
            k,
            release,
            ready,
            deadline: release.saturating_add(self.deadline),
            exec,
            fault_at: fault.then_some(exec / 2),
        }
    }

    /// The jobs never taken whose nominal release is before `end_ns` (the
    /// run's end, at most the arrivals' end): how many, and how many of
    /// them missed their deadline by then (a deadline at `end_ns` counts
    /// when `whole`: every completion at that instant was handled).
    /// Counted, not walked, for a periodic task: a long jitter can hold
    /// back many periods. A sporadic or Poisson task's are walked, drawing
    /// the gaps a longer run would have drawn.
    pub fn unreleased(&self, end_ns: u64, whole: bool) -> (u64, u64) {
        if self.gaps.is_some() {
            return self.unreleased_walked(end_ns, whole);
        }
        let first = self.next_release;
        if first >= end_ns.min(self.end) || self.period == 0 {
            return (0, 0);
        }
        let count = end_ns
            .min(self.end)
            .saturating_sub(first)
            .div_ceil(self.period);
        // Deadlines first + j T + D, j < count, at or before the last
        // instant that counts as missed.
        let last = if whole {
            Some(end_ns)
        } else {
            end_ns.checked_sub(1)
        };
        let missed = last
            .and_then(|l| l.checked_sub(first.saturating_add(self.deadline)))
            .map_or(0, |span| span / self.period + 1)
            .min(count);
        (count, missed)
    }
}

impl Arrivals {
    /// [`Arrivals::unreleased`] by taking the jobs of a copy.
    fn unreleased_walked(&self, end_ns: u64, whole: bool) -> (u64, u64) {
        let end = end_ns.min(self.end);
        let mut rest = self.clone();
        let (mut count, mut missed) = (0, 0);
        while rest.next_release < end {
            let job = rest.take();
            count += 1;
            if job.deadline < end_ns || (whole && job.deadline == end_ns) {
                missed += 1;
            }
        }
        (count, missed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::model::{Arrival, Execution, SystemBuilder};
    use rtlab_tasks::time::Duration;

    fn task(jitter_us: u64) -> Task {
        let us = |v| Duration::from_micros(v).unwrap();
        SystemBuilder::new("a")
            .task("t", us(1000), us(400))
            .execution(Execution::Uniform {
                min: us(100),
                max: us(400),
            })
            .jitter(us(jitter_us))
            .build()
            .tasks[0]
            .clone()
    }

    #[test]
    fn draws_follow_the_documented_order() {
        let t = task(300);
        let mut a = Arrivals::new(&t, 9, 10_000_000);
        let mut rng = TaskRng::new(9, &t);
        let mut jitter = rng.jitter();
        for k in 0..9 {
            let job = a.take();
            assert_eq!(job.k, k);
            assert_eq!(job.release, k * 1_000_000);
            assert_eq!(job.exec, rng.execution());
            assert_eq!(job.ready, job.release + jitter);
            jitter = rng.jitter();
        }
    }

    #[test]
    fn unreleased_jobs_are_counted_with_their_misses() {
        let t = task(0);
        let mut a = Arrivals::new(&t, 1, 10_000_000);
        a.take();
        // Releases at 1, 2, ..., 9 ms before 10 ms; deadlines 2..10 ms.
        assert_eq!(a.unreleased(10_000_000, true), (9, 9));
        assert_eq!(a.unreleased(10_000_000, false), (9, 8));
        assert_eq!(a.unreleased(1_000_000, true), (0, 0));
    }

    fn sporadic(arrival: Arrival) -> Task {
        let us = |v| Duration::from_micros(v).unwrap();
        SystemBuilder::new("s")
            .task("t", us(1000), us(400))
            .execution(Execution::Uniform {
                min: us(100),
                max: us(400),
            })
            .arrival(arrival)
            .build()
            .tasks[0]
            .clone()
    }

    /// The gaps between `n` releases of `task` from seed 1.
    fn gaps(task: &Task, n: usize) -> Vec<u64> {
        let mut a = Arrivals::new(task, 1, u64::MAX);
        let mut last = a.take().release;
        (0..n)
            .map(|_| {
                let r = a.take().release;
                let gap = r - last;
                last = r;
                gap
            })
            .collect()
    }

    #[test]
    fn sporadic_gaps_stay_in_min_max_and_average_their_midpoint() {
        let (min, max) = (5_000_000, 20_000_000);
        let t = sporadic(Arrival::Sporadic {
            min: Duration::from_nanos(min),
            max: Duration::from_nanos(max),
        });
        let g = gaps(&t, 100_000);
        assert!(g.iter().all(|&x| (min..=max).contains(&x)));
        let mean = g.iter().sum::<u64>() as f64 / g.len() as f64;
        let mid = (min + max) as f64 / 2.0;
        // 100 000 uniform draws: the standard error is 0.014% of the
        // midpoint; 2% is the bound.
        assert!((mean - mid).abs() < 0.02 * mid, "mean gap {mean} vs {mid}");
        assert!((mean - mid).abs() < 0.001 * mid, "mean gap {mean} vs {mid}");
    }

    #[test]
    fn poisson_gaps_never_go_below_min_and_average_the_mean() {
        let (mean_ns, min) = (10_000_000, 1_000_000);
        let t = sporadic(Arrival::Poisson {
            mean: Duration::from_nanos(mean_ns),
            min: Duration::from_nanos(min),
        });
        let g = gaps(&t, 100_000);
        assert!(g.iter().all(|&x| x >= min));
        let mean = g.iter().sum::<u64>() as f64 / g.len() as f64;
        assert!(
            (mean - mean_ns as f64).abs() < 0.02 * mean_ns as f64,
            "mean gap {mean}"
        );
        // Exponential beyond min: about e^-1 of the gaps exceed the mean
        // (min + (mean - min)), far from a uniform's 1/2.
        let above = g.iter().filter(|&&x| x > mean_ns).count() as f64 / g.len() as f64;
        assert!((above - (-1.0f64).exp()).abs() < 0.01, "{above}");
    }

    #[test]
    fn a_sporadic_task_runs_the_periodic_tasks_execution_times() {
        let periodic = task(0);
        let s = sporadic(Arrival::Sporadic {
            min: Duration::from_nanos(1_000_000),
            max: Duration::from_nanos(3_000_000),
        });
        let (mut a, mut b) = (
            Arrivals::new(&periodic, 4, u64::MAX),
            Arrivals::new(&s, 4, u64::MAX),
        );
        for _ in 0..100 {
            assert_eq!(a.take().exec, b.take().exec);
        }
    }

    #[test]
    fn a_sporadic_tasks_unreleased_jobs_are_the_ones_a_longer_run_releases() {
        let s = sporadic(Arrival::Poisson {
            mean: Duration::from_nanos(3_000_000),
            min: Duration::from_nanos(1_000_000),
        });
        let end = 100_000_000;
        let mut a = Arrivals::new(&s, 2, end);
        a.take();
        let mut rest = a.clone();
        let (mut count, mut missed) = (0, 0);
        while let Some(r) = rest.next_release() {
            let job = rest.take();
            assert!(r < end);
            count += 1;
            missed += u64::from(job.deadline <= end);
        }
        assert!(count > 20, "{count}");
        assert_eq!(a.unreleased(end, true), (count, missed));
    }
}
