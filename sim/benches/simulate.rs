//! Simulator throughput: simulated jobs per second on a 3-task
//! rate-monotonic set (configs/rm-textbook.toml: C = 1, 2, 3 ms, T = 4, 6,
//! 10 ms) over a long horizon, with and without a trace sink, and on the
//! pathfinder set (locks and inheritance).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use rtlab_sim::des::{Options, simulate};
use rtlab_tasks::config;
use rtlab_tasks::outcome::trace::{JobEvent, TraceSink};
use rtlab_tasks::time::Duration;

/// A sink that only counts (the cost of the engine's side of tracing).
struct Count(u64);

impl TraceSink for Count {
    fn event(&mut self, e: &JobEvent) {
        self.0 += black_box(e.time_ns) & 1;
    }
}

fn bench(c: &mut Criterion) {
    let rm = config::load_str(
        include_str!("../../configs/rm-textbook.toml"),
        "rm-textbook.toml",
    )
    .expect("shipped config loads")
    .system;
    let horizon = Duration::from_millis(100_000).expect("100 s fits");
    let options = Options { horizon, seed: 1 };
    let jobs: u64 = simulate(&rm, &options, None)
        .expect("simulates")
        .tasks
        .iter()
        .map(|t| t.jobs)
        .sum();
    let mut g = c.benchmark_group("simulate-rm-textbook-100s");
    g.sample_size(20);
    g.throughput(Throughput::Elements(jobs));
    g.bench_function("jobs", |b| {
        b.iter(|| simulate(black_box(&rm), &options, None).expect("simulates"))
    });
    g.bench_function("jobs-with-trace-sink", |b| {
        b.iter(|| {
            let mut sink = Count(0);
            simulate(black_box(&rm), &options, Some(&mut sink)).expect("simulates");
            sink.0
        })
    });
    g.finish();

    let pf = config::load_str(
        include_str!("../../configs/pathfinder.toml"),
        "pathfinder.toml",
    )
    .expect("shipped config loads");
    let inherit = &pf.variants[0].system;
    let jobs: u64 = simulate(inherit, &options, None)
        .expect("simulates")
        .tasks
        .iter()
        .map(|t| t.jobs)
        .sum();
    let mut g = c.benchmark_group("simulate-pathfinder-inherit-100s");
    g.sample_size(20);
    g.throughput(Throughput::Elements(jobs));
    g.bench_function("jobs", |b| {
        b.iter(|| simulate(black_box(inherit), &options, None).expect("simulates"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
