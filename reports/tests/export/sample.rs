//! Deterministic inputs for the export tests and benches: a system, an
//! outcome with realistic histograms, and a schedule of job events.
//!
//! Shared with `benches/export.rs` through `#[path]`.

use rtlab_tasks::model::{System, SystemBuilder};
use rtlab_tasks::outcome::metrics::Recorder;
use rtlab_tasks::outcome::trace::{EventKind, JobEvent};
use rtlab_tasks::outcome::{
    CpuOutcome, Engine, Environment, Miss, MissKind, Outcome, RESULT_SCHEMA, ResourceOutcome,
    TaskPrediction, TaskStats,
};
use rtlab_tasks::time::Duration;

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
pub(crate) struct Sequence(pub(crate) u64);

impl Sequence {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Log-uniform in `[lo, hi)` nanoseconds.
    pub(crate) fn log_uniform(&mut self, lo: u64, hi: u64) -> u64 {
        let unit = (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64;
        let (lo, hi) = (lo as f64, hi as f64);
        (lo * (hi / lo).powf(unit)) as u64
    }
}

/// `n` tasks `t00`, `t01`, ... with periods from 1 ms up, on CPUs 0 and 1,
/// the first two sharing resource `bus`.
pub(crate) fn system(n: usize) -> System {
    let ms = |v: u64| Duration::from_millis(v).expect("small durations fit");
    let mut b = SystemBuilder::new("sample").cpus(&[0, 1]);
    for i in 0..n {
        let period = 1 + i as u64;
        b = b.task(
            &format!("t{i:02}"),
            ms(period),
            Duration::from_nanos(period * 200_000),
        );
        b = b.cpu((i % 2) as u32);
        if i < 2 {
            b = b.section(
                "bus",
                Duration::from_nanos(50_000),
                Duration::from_nanos(50_000),
            );
        }
    }
    b.build()
}

/// An outcome of `system(n)` with `samples` values per metric and task
/// (the last task has none, as a task that never ran), and a resource, a
/// miss and analysis predictions.
pub(crate) fn outcome(n: usize, samples: usize) -> Outcome {
    let system = system(n);
    let mut rng = Sequence(0x9E37_79B9_7F4A_7C15);
    let tasks = system
        .tasks
        .iter()
        .enumerate()
        .map(|(i, task)| {
            let mut stats = TaskStats::default();
            let count = if i + 1 == n { 0 } else { samples };
            let deadline = task.deadline.as_nanos();
            for _ in 0..count {
                stats.jobs += 1;
                let response = rng.log_uniform(task.wcet.as_nanos(), deadline * 2);
                stats.complete(response, response as i64 - deadline as i64);
                stats.release_jitter.record(rng.log_uniform(1_000, 80_000));
                stats.start_delay.record(rng.log_uniform(1_000, deadline));
                stats.blocking.record(rng.next_u64() % 50_000);
            }
            if i == 0 && count > 0 {
                stats.keep_miss(Miss {
                    job: 3,
                    release_ns: 3 * deadline,
                    deadline_ns: 4 * deadline,
                    finish_ns: Some(4 * deadline + 1_234),
                    lateness_ns: 1_234,
                    kind: MissKind::Late,
                    release_jitter_ns: 0,
                    waited_for: Vec::new(),
                    blocked_on: Vec::new(),
                    queued_ns: 0,
                    executed_ns: deadline + 1_234,
                    interference: Vec::new(),
                    unexplained_ns: 0,
                });
            }
            let prediction = TaskPrediction {
                wcrt_ns: (i % 3 != 2).then_some(deadline / 2),
                schedulable: (i % 3 != 2).then_some(i % 3 == 0),
                witness: None,
                exceeded_ns: None,
            };
            stats.into_outcome(task, prediction)
        })
        .collect();
    let mut wait = Recorder::new();
    let mut hold = Recorder::new();
    for _ in 0..samples {
        wait.record(rng.next_u64() % 40_000);
        hold.record(50_000);
    }
    Outcome {
        schema: RESULT_SCHEMA.to_string(),
        engine: Engine::Simulation,
        config: serde_json::json!({ "name": "sample", "seed": 1 }),
        variant: None,
        seed: 1,
        environment: Environment {
            rtlab_version: "0.1.0".to_string(),
            ..Environment::default()
        },
        started_at: None,
        duration_ns: 1_000_000_000,
        interrupted: false,
        tasks,
        cpus: vec![
            CpuOutcome {
                id: 0,
                busy_ratio: 0.625,
                busy_ns: 625_000_000,
                usage: None,
            },
            CpuOutcome {
                id: 1,
                busy_ratio: 0.25,
                busy_ns: 250_000_000,
                usage: None,
            },
        ],
        resources: vec![ResourceOutcome {
            name: "bus".to_string(),
            acquisitions: samples as u64,
            contended: samples as u64 / 10,
            wait: wait.summary(),
            hold: hold.summary(),
        }],
        trace: None,
        deadlock: None,
        chains: Vec::new(),
    }
}

/// About `count` events of a plausible schedule of `system(2)`: `t00`
/// runs 200 µs every 1 ms on CPU 0; `t01` runs 400 µs every 2 ms on CPU 1
/// and is preempted once per job, taking `bus` on the way.
pub(crate) fn events(count: usize) -> impl Iterator<Item = JobEvent> {
    let ev = |time_ns, task, job, cpu, kind| JobEvent {
        time_ns,
        task: rtlab_tasks::model::TaskId(task),
        job,
        cpu,
        kind,
    };
    let bus = rtlab_tasks::model::ResourceId(0);
    (0u64..)
        .flat_map(move |period| {
            let t = period * 2_000_000;
            [
                ev(t, 0, 2 * period, None, EventKind::Release),
                ev(t, 0, 2 * period, Some(0), EventKind::Start),
                ev(t + 200_000, 0, 2 * period, Some(0), EventKind::Complete),
                ev(t, 1, period, None, EventKind::Release),
                ev(t + 1, 1, period, Some(1), EventKind::Start),
                ev(
                    t + 50_001,
                    1,
                    period,
                    Some(1),
                    EventKind::Lock { resource: bus },
                ),
                ev(
                    t + 100_001,
                    1,
                    period,
                    Some(1),
                    EventKind::Unlock { resource: bus },
                ),
                ev(t + 150_000, 1, period, Some(1), EventKind::Preempt),
                ev(t + 160_000, 1, period, Some(1), EventKind::Resume),
                ev(t + 410_000, 1, period, Some(1), EventKind::Complete),
                ev(t + 1_000_000, 0, 2 * period + 1, None, EventKind::Release),
                ev(t + 1_000_000, 0, 2 * period + 1, Some(0), EventKind::Start),
                ev(
                    t + 1_200_000,
                    0,
                    2 * period + 1,
                    Some(0),
                    EventKind::Complete,
                ),
            ]
        })
        .take(count)
}
