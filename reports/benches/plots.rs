//! Benchmarks of the report plots.
//!
//! - `figures/live_10_tasks_1min`: [`figures::all`] for one live result of
//!   ten tasks (periods 1–100 ms, two CPUs) over one minute: about 130 000
//!   jobs recorded into the histograms, release jitter included, a few
//!   misses, and a window of the first 200 ms of job events (releases,
//!   starts, preemptions, locks, completions, a miss). Seven figures, each
//!   a PNG and an SVG, histogram decoding included.
//! - `figures/6_runs_10_tasks`: the same result six times over, as a
//!   comparison report (sim / live × three variants) draws it: 22 figures.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use rtlab_reports::figures;
use rtlab_reports::run::RunView;
use rtlab_tasks::outcome::window::{WINDOW_SCHEMA, Window, WindowEvent};
use rtlab_tasks::outcome::{
    CpuOutcome, Engine, Environment, Miss, MissKind, Outcome, RESULT_SCHEMA, TaskOutcome,
    TaskPrediction, TaskStats,
};

/// `(name, period in ms, WCET in µs)`: a small flight controller on two
/// CPUs, about 60% busy each.
const TASKS: [(&str, u64, u64); 10] = [
    ("imu", 1, 120),
    ("attitude", 2, 300),
    ("motors", 4, 350),
    ("gps", 5, 500),
    ("navigation", 10, 1_600),
    ("baro", 20, 900),
    ("radio", 25, 3_000),
    ("camera", 40, 9_000),
    ("logger", 50, 6_000),
    ("health", 100, 4_000),
];

/// The length of the run, in ns.
const RUN_NS: u64 = 60_000_000_000;
/// The window's length, in ns.
const WINDOW_NS: u64 = 200_000_000;

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Sequence(u64);

impl Sequence {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A wake-up latency in ns: mostly 10–40 µs, an exponential tail, a
    /// rare outlier up to half a millisecond (host noise).
    fn wake_up(&mut self) -> u64 {
        let base = 10_000.0 + 30_000.0 * self.unit();
        let tail = -8_000.0 * (1.0 - self.unit()).ln();
        let outlier = if self.next_u64().is_multiple_of(5_000) {
            500_000.0 * self.unit()
        } else {
            0.0
        };
        (base + tail + outlier) as u64
    }

    /// An execution time in ns: uniform between 60% and 100% of `wcet`.
    fn execution(&mut self, wcet: u64) -> u64 {
        (wcet as f64 * (0.6 + 0.4 * self.unit())) as u64
    }
}

fn task_outcome(i: usize, rng: &mut Sequence) -> TaskOutcome {
    let (name, period_ms, wcet_us) = TASKS[i];
    let (period, wcet) = (period_ms * 1_000_000, wcet_us * 1_000);
    let mut stats = TaskStats::default();
    for k in 0..RUN_NS / period {
        stats.jobs += 1;
        let jitter = rng.wake_up();
        // Interference from the higher-priority tasks on the same CPU.
        let interference = (i as f64 * 150_000.0 * rng.unit().powi(3)) as u64;
        let mut response = jitter + interference + rng.execution(wcet);
        // The camera overruns now and then.
        if name == "camera" && k % 400 == 7 {
            response += period;
        }
        stats.release_jitter.record(jitter);
        stats.start_delay.record(jitter + interference / 2);
        stats.blocking.record(interference / 4);
        let lateness = response as i64 - period as i64;
        stats.complete(response, lateness);
        if lateness > 0 {
            stats.keep_miss(Miss {
                job: k,
                release_ns: k * period,
                deadline_ns: (k + 1) * period,
                finish_ns: Some(k * period + response),
                lateness_ns: lateness as u64,
                kind: MissKind::Late,
                release_jitter_ns: 0,
                waited_for: Vec::new(),
                blocked_on: Vec::new(),
                queued_ns: 0,
                executed_ns: response,
                interference: Vec::new(),
                unexplained_ns: 0,
            });
        }
    }
    TaskOutcome {
        name: name.to_string(),
        cpu: Some((i % 2) as u32),
        priority: 90 - i as u32,
        period_ns: period,
        deadline_ns: period,
        wcet_ns: wcet,
        jobs: stats.jobs,
        completed: stats.completed,
        incomplete: 0,
        deadline_misses: stats.deadline_misses,
        skipped: 0,
        aborted: 0,
        faults: 0,
        preemptions: stats.jobs / 4,
        response_time: stats.response_time.summary(),
        release_jitter: stats.release_jitter.summary(),
        start_delay: stats.start_delay.summary(),
        tardiness: stats.tardiness.summary(),
        blocking: stats.blocking.summary(),
        lateness_min_ns: stats.lateness_min,
        lateness_max_ns: stats.lateness_max,
        analysis: TaskPrediction {
            wcrt_ns: (name != "camera").then_some(wcet + i as u64 * 200_000),
            schedulable: Some(name != "camera"),
            witness: None,
            exceeded_ns: None,
        },
        misses: stats.misses,
    }
}

/// The first 200 ms of job events: every job released, started after its
/// wake-up latency, a quarter of them preempted for 50 µs, the radio
/// locking a `bus`, and the camera's first job missing its deadline.
fn window(rng: &mut Sequence) -> Window {
    let mut events = Vec::new();
    let mut ev = |t, task, job, cpu: Option<u32>, kind: &str, resource| {
        events.push(WindowEvent {
            t,
            task,
            job,
            cpu,
            kind: kind.to_string(),
            resource,
        });
    };
    for (i, &(name, period_ms, wcet_us)) in TASKS.iter().enumerate() {
        let (period, wcet) = (period_ms * 1_000_000, wcet_us * 1_000);
        let cpu = Some((i % 2) as u32);
        for k in 0..WINDOW_NS / period {
            let release = k * period;
            let start = release + rng.wake_up();
            let mut run = rng.execution(wcet);
            if name == "camera" && k == 0 {
                run += period;
            }
            ev(release, i, k, cpu, "release", None);
            ev(start, i, k, cpu, "start", None);
            let mut end = start + run;
            if name == "radio" {
                ev(start + run / 4, i, k, cpu, "lock", Some(0));
                ev(start + run / 2, i, k, cpu, "unlock", Some(0));
            }
            if rng.next_u64().is_multiple_of(4) {
                ev(start + run / 2, i, k, cpu, "preempt", None);
                ev(start + run / 2 + 50_000, i, k, cpu, "resume", None);
                end += 50_000;
            }
            ev(end, i, k, cpu, "complete", None);
            if end > release + period {
                ev(release + period, i, k, cpu, "miss", None);
            }
        }
    }
    Window {
        schema: WINDOW_SCHEMA.to_string(),
        end_ns: WINDOW_NS,
        truncated: false,
        tasks: TASKS.iter().map(|t| t.0.to_string()).collect(),
        resources: vec!["bus".to_string()],
        deadlines_ns: TASKS.iter().map(|t| t.1 * 1_000_000).collect(),
        events,
        around_misses: Vec::new(),
    }
}

/// One minute of a live run of [`TASKS`].
fn live_run(label: &str) -> RunView {
    let mut rng = Sequence(0x9E37_79B9_7F4A_7C15);
    let tasks: Vec<TaskOutcome> = (0..TASKS.len())
        .map(|i| task_outcome(i, &mut rng))
        .collect();
    let busy = |cpu: usize| -> f64 {
        TASKS
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == cpu)
            .map(|(_, t)| t.2 as f64 * 0.8 / (t.1 as f64 * 1_000.0))
            .sum()
    };
    let outcome = Outcome {
        schema: RESULT_SCHEMA.to_string(),
        engine: Engine::Live,
        config: serde_json::json!({ "name": "flight" }),
        variant: None,
        seed: 1,
        environment: Environment::default(),
        started_at: Some("2026-01-01T00:00:00Z".to_string()),
        duration_ns: RUN_NS,
        interrupted: false,
        tasks,
        cpus: (0..2)
            .map(|c| CpuOutcome {
                id: c as u32,
                busy_ratio: busy(c),
                busy_ns: (busy(c) * RUN_NS as f64) as u64,
                usage: None,
            })
            .collect(),
        resources: Vec::new(),
        trace: None,
        deadlock: None,
        chains: Vec::new(),
    };
    RunView {
        label: label.to_string(),
        dir: PathBuf::from("flight"),
        window: Some(window(&mut rng)),
        outcome,
    }
}

fn plots(c: &mut Criterion) {
    let one = [live_run("flight · live")];
    let six: Vec<RunView> = ["none", "inherit", "ceiling"]
        .iter()
        .flat_map(|v| {
            ["simulation", "live"].map(|engine| live_run(&format!("flight · {v} · {engine}")))
        })
        .collect();
    // Sanity: the input is as large as it says.
    let jobs: u64 = one[0].outcome.tasks.iter().map(|t| t.jobs).sum();
    assert!(jobs > 100_000, "{jobs} jobs");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut group = c.benchmark_group("figures");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("live_10_tasks_1min", |b| {
        b.iter(|| black_box(figures::all(&one, dir.path()).expect("figures")));
    });
    group.bench_function("6_runs_10_tasks", |b| {
        b.iter(|| black_box(figures::all(&six, dir.path()).expect("figures")));
    });
    group.finish();
}

criterion_group!(benches, plots);
criterion_main!(benches);
