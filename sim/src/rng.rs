//! Random draws of a run: one ChaCha8 stream per task, all from the run's
//! seed, so adding a task does not change the others' draws and the same
//! seed always gives the same schedule.
//!
//! Per job, a task draws in a fixed order: first its release jitter (only
//! when `release_jitter > 0`), then its execution time (only for a
//! non-constant model). A sporadic or Poisson task draws the gaps between
//! its releases from a stream of their own ([`GapRng`]), so that making a
//! task sporadic changes when its jobs come, not how long they run. Execution times are whole nanoseconds in
//! `[floor, wcet]`, where `floor` is the end of the task's last critical
//! section (a job always runs at least to the end of its sections) and at
//! least 1 ns.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use rtlab_tasks::model::{Arrival, Execution, Task};

/// The stream number of a task's gaps: its id with the top bit set (the
/// execution stream is the id itself).
const GAP_STREAM: u64 = 1 << 63;

/// The gaps between a sporadic or Poisson task's releases, in
/// nanoseconds: one ChaCha8 stream per task, apart from its execution
/// times.
#[derive(Clone, Debug)]
pub struct GapRng {
    rng: ChaCha8Rng,
    arrival: Arrival,
}

impl GapRng {
    /// The gap stream of `task` for a run with `seed`, or `None` for a
    /// periodic task (its gap is always the period).
    pub fn new(seed: u64, task: &Task) -> Option<Self> {
        if task.arrival.is_periodic() {
            return None;
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(GAP_STREAM | task.id.0 as u64);
        Some(GapRng {
            rng,
            arrival: task.arrival,
        })
    }

    /// The next gap, in nanoseconds: uniform over `[min, max]` (sporadic),
    /// or `min` plus an exponential draw of mean `mean - min` by inversion,
    /// rounded to the nearest nanosecond (Poisson). Never below `min`.
    #[inline]
    pub fn gap(&mut self) -> u64 {
        match self.arrival {
            Arrival::Periodic => 0,
            Arrival::Sporadic { min, max } => {
                self.rng.random_range(min.as_nanos()..=max.as_nanos())
            }
            Arrival::Poisson { mean, min } => {
                let scale = (mean.as_nanos() - min.as_nanos()) as f64;
                // u in [0, 1): -ln(1 - u) is finite and >= 0.
                let u: f64 = self.rng.random::<f64>();
                let extra = (-(1.0 - u).ln() * scale).round();
                // A draw past u64 (u within 2^-53 of 1 on a huge mean)
                // saturates.
                min.as_nanos().saturating_add(extra as u64)
            }
        }
    }
}

/// The random stream of one task.
#[derive(Clone, Debug)]
pub struct TaskRng {
    rng: ChaCha8Rng,
    execution: Execution,
    wcet: u64,
    floor: u64,
    jitter: u64,
}

impl TaskRng {
    /// The stream of `task` for a run with `seed`.
    pub fn new(seed: u64, task: &Task) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(task.id.0 as u64);
        let floor = task
            .sections
            .iter()
            .map(|s| s.end().as_nanos())
            .max()
            .unwrap_or(0)
            .max(1);
        TaskRng {
            rng,
            execution: task.execution.clone(),
            wcet: task.wcet.as_nanos(),
            floor,
            jitter: task.release_jitter.as_nanos(),
        }
    }

    /// True when every draw is the same (constant execution, no jitter):
    /// engines may skip drawing altogether.
    pub fn is_deterministic(&self) -> bool {
        self.jitter == 0 && self.execution == Execution::Constant
    }

    /// The next release's jitter, uniform over `[0, release_jitter]`, in
    /// nanoseconds.
    #[inline]
    pub fn jitter(&mut self) -> u64 {
        if self.jitter == 0 {
            0
        } else {
            self.rng.random_range(0..=self.jitter)
        }
    }

    /// The next job's execution time, in nanoseconds, in `[floor, wcet]`.
    #[inline]
    pub fn execution(&mut self) -> u64 {
        let drawn = match self.execution {
            Execution::Constant => self.wcet,
            Execution::Uniform { min, max } => {
                self.rng.random_range(min.as_nanos()..=max.as_nanos())
            }
            Execution::Normal { mean, stddev } => {
                // Box-Muller from two uniform draws; the result is clamped
                // to (0, wcet] below (a normal can go negative: SimSo's does).
                let u1: f64 = 1.0 - self.rng.random::<f64>(); // (0, 1]
                let u2: f64 = self.rng.random::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let v = mean.as_nanos() as f64 + stddev.as_nanos() as f64 * z;
                if v <= 1.0 {
                    1
                } else if v >= self.wcet as f64 {
                    self.wcet
                } else {
                    v.round() as u64
                }
            }
            Execution::Bimodal { low, high, p_high } => {
                if self.rng.random::<f64>() < p_high {
                    high.as_nanos()
                } else {
                    low.as_nanos()
                }
            }
        };
        drawn.clamp(self.floor.min(self.wcet), self.wcet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::model::{Execution, SystemBuilder};
    use rtlab_tasks::time::Duration;

    fn task(execution: Execution) -> Task {
        let ms = |v| Duration::from_millis(v).unwrap();
        let s = SystemBuilder::new("r")
            .task("a", ms(10), ms(4))
            .execution(execution)
            .jitter(ms(1))
            .build();
        s.tasks[0].clone()
    }

    #[test]
    fn same_seed_same_draws_other_seed_other_draws() {
        let t = task(Execution::Uniform {
            min: Duration::from_nanos(1_000_000),
            max: Duration::from_nanos(4_000_000),
        });
        let draw = |seed| {
            let mut r = TaskRng::new(seed, &t);
            (0..50)
                .map(|_| (r.jitter(), r.execution()))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        for (j, e) in draw(7) {
            assert!(j <= 1_000_000);
            assert!((1_000_000..=4_000_000).contains(&e));
        }
    }

    #[test]
    fn every_model_stays_in_range() {
        let ns = Duration::from_nanos;
        for model in [
            Execution::Constant,
            Execution::Normal {
                mean: ns(3_900_000),
                stddev: ns(2_000_000),
            },
            Execution::Bimodal {
                low: ns(1_000_000),
                high: ns(4_000_000),
                p_high: 0.3,
            },
        ] {
            let t = task(model.clone());
            let mut r = TaskRng::new(1, &t);
            let draws: Vec<u64> = (0..2000).map(|_| r.execution()).collect();
            assert!(
                draws.iter().all(|&e| (1..=4_000_000).contains(&e)),
                "{model:?}"
            );
            if let Execution::Bimodal { .. } = model {
                let high = draws.iter().filter(|&&e| e == 4_000_000).count();
                assert!(
                    (400..800).contains(&high),
                    "p_high 0.3 of 2000 draws: {high}"
                );
            }
        }
    }
}
