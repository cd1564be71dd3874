//! Simulator throughput as the system grows (issue 12): simulated jobs per
//! second over n = 10, 100, 1000, 10 000 tasks and m = 1, 4, 16, 64 CPUs,
//! partitioned and global, fixed priority (rate-monotonic) and EDF.
//!
//! The sets: seeded (ChaCha8), U = 0.7 per CPU, UUniFast-Discard, periods
//! log-uniform over 1..100 ms in whole microseconds, implicit deadlines,
//! constant execution times, all released at 0. Partitioned: n/m tasks per
//! CPU drawn at U = 0.7 each and pinned with `cpu`. Global: one set at
//! U = 0.7 m. FP and EDF simulate the same set.
//!
//! Which (n, m) exist: every m with n >= 2 m (n = 10: m = 1, 4; n = 100:
//! m = 1, 4, 16; n = 1000 and 10 000: all four), partitioned for each, global
//! for each with m >= 4 (global on one CPU is the 1-CPU partitioned case):
//! 22 systems, 44 benchmarks.
//!
//! The horizon keeps the work per iteration about constant: long enough for
//! ~50 000 jobs, and at least 100 ms (the longest period, so that every task
//! releases and the cases with 10 000 tasks are not all start-up; they
//! simulate ~215 000 jobs). Criterion's throughput is the exact job count
//! (`Σ ceil(H / T_i)`, checked against the result on the first iteration).
//!
//! `cargo bench -p rtlab-sim --bench scale`; one size:
//! `cargo bench -p rtlab-sim --bench scale -- 'n=100/'`; names are
//! `scale-{fp,edf}-{partitioned,global}/n=N/m=M`.

use std::cell::Cell;
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration as StdDuration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use rtlab_sim::des::{Options, simulate};
use rtlab_tasks::analysis::Timing;
use rtlab_tasks::config;
use rtlab_tasks::generate::{self, Deadlines, Generator, Spec};
use rtlab_tasks::model::System;
use rtlab_tasks::time::Duration;

/// Utilization per CPU.
const U_PER_CPU: f64 = 0.7;
/// Jobs per iteration the horizon aims at.
const JOBS: f64 = 50_000.0;
/// Shortest horizon, in milliseconds: the longest period.
const MIN_HORIZON_MS: u64 = 100;

/// The task counts, and the CPU counts.
const TASKS: [usize; 4] = [10, 100, 1000, 10_000];
const CPUS: [u32; 4] = [1, 4, 16, 64];

#[derive(Clone, Copy, PartialEq)]
enum Placement {
    Partitioned,
    Global,
}

impl Placement {
    fn as_str(self) -> &'static str {
        match self {
            Placement::Partitioned => "partitioned",
            Placement::Global => "global",
        }
    }
}

/// One generated set: each task's timing and, when partitioned, its CPU.
struct Set {
    tasks: Vec<(Timing, Option<u32>)>,
}

fn spec(tasks: usize, utilization: f64) -> Spec {
    Spec {
        tasks,
        utilization,
        generator: Generator::UUniFastDiscard,
        periods: "log-uniform:1ms:100ms".parse().expect("valid periods"),
        grain: Duration::from_micros(1).expect("1 us fits"),
        deadlines: Deadlines::Implicit,
    }
}

/// The set of `n` tasks on `m` CPUs; the seed depends on (n, m, placement)
/// only, so FP and EDF see the same set.
fn set(n: usize, m: u32, placement: Placement) -> Set {
    let seed = (n as u64) << 16 | u64::from(m) << 1 | u64::from(placement == Placement::Global);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let tasks = match placement {
        Placement::Global => generate::task_set(&spec(n, U_PER_CPU * f64::from(m)), &mut rng)
            .expect("draws")
            .into_iter()
            .map(|t| (t, None))
            .collect(),
        Placement::Partitioned => (0..m)
            .flat_map(|cpu| {
                // The first n mod m CPUs take one task more.
                let k = n / m as usize + usize::from((cpu as usize) < n % m as usize);
                generate::task_set(&spec(k, U_PER_CPU), &mut rng)
                    .expect("draws")
                    .into_iter()
                    .map(move |t| (t, Some(cpu)))
            })
            .collect(),
    };
    Set { tasks }
}

impl Set {
    /// The horizon: ~[`JOBS`] jobs, at least [`MIN_HORIZON_MS`].
    fn horizon(&self) -> Duration {
        let per_ms: f64 = self
            .tasks
            .iter()
            .map(|(t, _)| 1e6 / t.period.as_nanos() as f64)
            .sum();
        let ms = ((JOBS / per_ms).ceil() as u64).max(MIN_HORIZON_MS);
        Duration::from_millis(ms).expect("fits")
    }

    /// Jobs released before `horizon` (all offsets are 0, no jitter).
    fn jobs(&self, horizon: Duration) -> u64 {
        self.tasks
            .iter()
            .map(|(t, _)| horizon.as_nanos().div_ceil(t.period.as_nanos()))
            .sum()
    }

    /// The system as a config would give it.
    fn system(&self, m: u32, placement: Placement, policy: &str) -> System {
        let cpus: Vec<String> = (0..m).map(|c| c.to_string()).collect();
        let mut toml = format!(
            "name = \"scale\"\n[platform]\ncpus = [{}]\n[scheduler]\npolicy = \"{policy}\"\n\
             priorities = \"rate-monotonic\"\nplacement = \"{}\"\n",
            cpus.join(", "),
            placement.as_str(),
        );
        for (i, (t, cpu)) in self.tasks.iter().enumerate() {
            let _ = write!(
                toml,
                "[[task]]\nname = \"t{i}\"\nperiod = \"{}ns\"\nwcet = \"{}ns\"\n",
                t.period.as_nanos(),
                t.wcet.as_nanos()
            );
            if let Some(c) = cpu {
                let _ = writeln!(toml, "cpu = {c}");
            }
        }
        config::load_str(&toml, "scale.toml")
            .expect("generated config loads")
            .system
    }
}

fn bench(c: &mut Criterion) {
    for policy in ["fixed-priority", "edf"] {
        for placement in [Placement::Partitioned, Placement::Global] {
            let short = if policy == "edf" { "edf" } else { "fp" };
            let mut g = c.benchmark_group(format!("scale-{short}-{}", placement.as_str()));
            g.sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .warm_up_time(StdDuration::from_millis(500))
                .measurement_time(StdDuration::from_secs(2));
            for n in TASKS {
                for m in CPUS {
                    if n < 2 * m as usize || (placement == Placement::Global && m == 1) {
                        continue;
                    }
                    let set = set(n, m, placement);
                    let horizon = set.horizon();
                    let jobs = set.jobs(horizon);
                    g.throughput(Throughput::Elements(jobs));
                    let id = BenchmarkId::new(format!("n={n}"), format!("m={m}"));
                    // Built only when the filter selects the benchmark.
                    g.bench_function(id, |b| {
                        let system = set.system(m, placement, policy);
                        let options = Options { horizon, seed: 1 };
                        let checked = Cell::new(false);
                        b.iter(|| {
                            let out =
                                simulate(black_box(&system), &options, None).expect("simulates");
                            if !checked.replace(true) {
                                let seen: u64 = out.tasks.iter().map(|t| t.jobs).sum();
                                assert_eq!(seen, jobs, "the throughput counts every job");
                            }
                            out
                        })
                    });
                }
            }
            g.finish();
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
