//! Schedulability sweeps: random task sets, acceptance ratios against
//! utilization, breakdown utilizations, shards.
//!
//! A [`Plan`] names the task sets (number of tasks, CPUs, generator,
//! periods, deadlines), the utilization grid, the number of sets per point,
//! the [`Test`]s and the seed. [`run`] draws every set of the plan's
//! [`Shard`], runs every test on it in parallel (rayon) and adds the
//! verdicts up into a [`Sweep`] document (`rtlab.sweep/v1`).
//!
//! **Determinism.** Set `i` of the point at utilization `U` is drawn from
//! its own ChaCha8 stream: the key `splitmix64(seed ^ splitmix64(U in
//! millionths))` seeds it and `i` selects the stream (the breakdown sets use
//! the key of `U = 2^64 - 1` millionths). So a set does not depend on the
//! thread count, on the other points of the grid, on the tests, or on the
//! shard it falls in; counts are integers and are added in a fixed order, so
//! the same plan gives the same document whatever the number of threads.
//!
//! **Shards.** Shard `I/N` takes the sets whose index `i` has `i mod N =
//! I - 1`, at every point and for the breakdown. Shards are independent;
//! [`Sweep::merge`] adds them up, and all `N` shards merged give exactly the
//! unsharded document.
//!
//! **Multiprocessor.** With `cpus > 1` the uniprocessor tests are run
//! *partitioned*: the tasks are placed by worst-fit decreasing utilization
//! (`rtlab_tasks::config::worst_fit`, the placement of the config loader),
//! then each CPU is tested alone and the set passes when every CPU does.
//! `global-rta` (Bertogna & Cirinei) and `gfb` (Goossens, Funk & Baruah) are
//! the global sufficient tests.

mod check;
mod document;
mod grid;

use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use rtlab_tasks::generate::{self, Deadlines, GenerateError, Generator, Periods, Spec};
use rtlab_tasks::time::Duration;

pub use check::{BREAKDOWN_BITS, SIM_HORIZON_PERIODS, Verdict, breakdown, check};
pub use document::{BreakdownRow, MergeError, Parameters, Point, SWEEP_SCHEMA, ShardSet, Sweep};
pub use grid::{Grid, MAX_POINTS, Shard};

/// A schedulability test a sweep can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Test {
    /// Liu & Layland's bound (rate-monotonic, implicit deadlines).
    LiuLayland,
    /// The hyperbolic bound (rate-monotonic, implicit deadlines).
    Hyperbolic,
    /// Exact response-time analysis, deadline-monotonic priorities.
    Rta,
    /// EDF processor demand (QPA).
    EdfDemand,
    /// Simulation under deadline-monotonic fixed priorities.
    SimFp,
    /// Simulation under EDF.
    SimEdf,
    /// Global fixed priority, Bertogna & Cirinei's response-time bound.
    GlobalRta,
    /// Global EDF, the GFB density bound.
    Gfb,
}

impl Test {
    /// Every test, in the order of the docs.
    pub const ALL: [Test; 8] = [
        Test::LiuLayland,
        Test::Hyperbolic,
        Test::Rta,
        Test::EdfDemand,
        Test::SimFp,
        Test::SimEdf,
        Test::GlobalRta,
        Test::Gfb,
    ];

    /// The name on the command line and in the output.
    pub fn as_str(self) -> &'static str {
        match self {
            Test::LiuLayland => "liu-layland",
            Test::Hyperbolic => "hyperbolic",
            Test::Rta => "rta",
            Test::EdfDemand => "edf-demand",
            Test::SimFp => "sim-fp",
            Test::SimEdf => "sim-edf",
            Test::GlobalRta => "global-rta",
            Test::Gfb => "gfb",
        }
    }

    /// The test with this name.
    pub fn parse(name: &str) -> Option<Test> {
        Test::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// True for the tests that simulate.
    pub fn simulates(self) -> bool {
        matches!(self, Test::SimFp | Test::SimEdf)
    }
}

/// What a sweep does.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Tasks per set.
    pub tasks: usize,
    /// Identical CPUs.
    pub cpus: u32,
    /// The total utilizations (of the whole platform, e.g. up to 2 on two
    /// CPUs).
    pub utilization: Grid,
    /// Task sets per utilization point (the whole sweep, all shards).
    pub sets: u64,
    /// The utilization generator.
    pub generator: Generator,
    /// The period distribution.
    pub periods: Periods,
    /// Periods are whole multiples of this (1 ns: no rounding).
    pub grain: Duration,
    /// Implicit or constrained deadlines.
    pub deadlines: Deadlines,
    /// The tests, each run on every set, in this order.
    pub tests: Vec<Test>,
    /// Also compute each test's breakdown utilization on `sets` more sets.
    pub breakdown: bool,
    /// Root of every random draw.
    pub seed: u64,
    /// Which part of the sets this run covers.
    pub shard: Shard,
    /// Longest simulated horizon of the `sim-*` tests; `None`: the
    /// hyperperiod, capped at [`SIM_HORIZON_PERIODS`] times the set's
    /// longest period.
    pub sim_horizon: Option<Duration>,
}

/// Why a sweep cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The plan is inconsistent (bad arguments).
    #[error("{0}")]
    Plan(String),
    /// A task set could not be drawn.
    #[error(transparent)]
    Generate(#[from] GenerateError),
}

impl Plan {
    /// Checks what the arguments cannot check one by one: every point can be
    /// generated, the tests fit the deadlines.
    pub fn validate(&self) -> Result<(), SweepError> {
        let bad = |s: String| Err(SweepError::Plan(s));
        if self.tasks == 0 {
            return bad("--tasks must be at least 1".into());
        }
        if self.cpus == 0 {
            return bad("--cpus must be at least 1".into());
        }
        if self.sets == 0 {
            return bad("--sets must be at least 1".into());
        }
        if self.tests.is_empty() {
            return bad("--tests names no test".into());
        }
        self.periods.check(self.grain)?;
        let top = self.utilization.last_value();
        if self.generator != Generator::UUniFast && top > self.tasks as f64 {
            return bad(format!(
                "--util goes up to {top}, but {} tasks of utilization at most 1 carry at most {}",
                self.tasks, self.tasks
            ));
        }
        if self.deadlines == Deadlines::Constrained
            && let Some(t) = self
                .tests
                .iter()
                .find(|t| matches!(t, Test::LiuLayland | Test::Hyperbolic))
        {
            return bad(format!(
                "{} applies to implicit deadlines only (drop it or use --deadlines implicit)",
                t.as_str()
            ));
        }
        Ok(())
    }

    /// The generation spec of a point at total utilization `utilization`.
    pub fn spec(&self, utilization: f64) -> Spec {
        Spec {
            tasks: self.tasks,
            utilization,
            generator: self.generator,
            periods: self.periods.clone(),
            grain: self.grain,
            deadlines: self.deadlines,
        }
    }

    /// The set indices of this plan's shard, in increasing order.
    pub fn indices(&self) -> impl Iterator<Item = u64> + Clone + '_ {
        let (i, n) = (u64::from(self.shard.index), u64::from(self.shard.count));
        (i - 1..self.sets).step_by(n as usize)
    }
}

/// The key of the breakdown sets' streams.
const BREAKDOWN_KEY: u64 = u64::MAX;

/// SplitMix64's finalizer: a bijective mix of 64 bits.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The random stream of set `index` under `key` (a utilization in
/// millionths, or the breakdown key) for `seed`.
pub fn set_rng(seed: u64, key: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(splitmix64(seed ^ splitmix64(key)));
    rng.set_stream(index);
    rng
}

/// One unit of work: a set of a point, or a breakdown set.
#[derive(Clone, Copy, Debug)]
enum Job {
    Point { point: usize, index: u64 },
    Breakdown { index: u64 },
}

/// The results of one job: per test a verdict, or a breakdown value in
/// billionths.
enum Done {
    Point {
        point: usize,
        verdicts: Vec<Verdict>,
    },
    Breakdown {
        ppb: Vec<u64>,
    },
}

/// Runs the plan on the current rayon pool; `progress(n)` is called (from
/// any thread) as `n` more sets are done. The total is [`work`].
pub fn run(plan: &Plan, progress: &(dyn Fn(u64) + Sync)) -> Result<Sweep, SweepError> {
    plan.validate()?;
    let points: Vec<u64> = plan.utilization.points().collect();
    let mut jobs: Vec<Job> = Vec::new();
    for (p, _) in points.iter().enumerate() {
        jobs.extend(plan.indices().map(|index| Job::Point { point: p, index }));
    }
    if plan.breakdown {
        jobs.extend(plan.indices().map(|index| Job::Breakdown { index }));
    }
    let pending = AtomicU64::new(0);
    let done: Result<Vec<Done>, SweepError> = jobs
        .par_iter()
        .map(|job| {
            let out = match *job {
                Job::Point { point, index } => {
                    let micros = points[point];
                    let mut rng = set_rng(plan.seed, micros, index);
                    let spec = plan.spec(micros as f64 / 1e6);
                    let set = generate::task_set(&spec, &mut rng)?;
                    let verdicts = plan
                        .tests
                        .iter()
                        .map(|&t| check(t, &set, plan.cpus, plan.sim_horizon))
                        .collect();
                    Done::Point { point, verdicts }
                }
                Job::Breakdown { index } => {
                    let mut rng = set_rng(plan.seed, BREAKDOWN_KEY, index);
                    let spec = plan.spec(f64::from(plan.cpus).min(plan.tasks as f64));
                    let set = generate::task_set(&spec, &mut rng)?;
                    let ppb = plan
                        .tests
                        .iter()
                        .map(|&t| breakdown(t, &set, plan.cpus, plan.sim_horizon))
                        .collect();
                    Done::Breakdown { ppb }
                }
            };
            // Report in batches to keep the progress bar's lock cold.
            if pending.fetch_add(1, Ordering::Relaxed) % 16 == 15 {
                progress(16);
            }
            Ok(out)
        })
        .collect();
    let done = done?;
    progress(pending.load(Ordering::Relaxed) % 16);
    let mut sweep = Sweep::empty(plan, &points);
    for d in done {
        match d {
            Done::Point { point, verdicts } => sweep.add_verdicts(point, &verdicts),
            Done::Breakdown { ppb } => sweep.add_breakdown(&ppb),
        }
    }
    sweep.finish();
    Ok(sweep)
}

/// How many sets [`run`] draws for `plan` (the progress total).
pub fn work(plan: &Plan) -> u64 {
    let per_point = plan.indices().count() as u64;
    per_point * (plan.utilization.points().count() as u64 + u64::from(plan.breakdown))
}

#[cfg(test)]
mod tests;
