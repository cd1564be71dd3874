//! The live engine's cost of recording one job: the clock readings and
//! histogram records a task thread does per job (release, start,
//! completion), on its own statistics.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

use rtlab_sim::live::recording;
use rtlab_tasks::outcome::TaskStats;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("live-recording");
    g.bench_function("clock-monotonic", |b| {
        b.iter(|| black_box(recording::now()))
    });
    g.bench_function("per-job", |b| {
        let mut stats = TaskStats::default();
        let mut nominal = recording::now();
        b.iter(|| {
            let jitter = recording::woke(nominal);
            recording::release(&mut stats, jitter);
            let start = recording::start(&mut stats, nominal);
            let end = recording::now();
            let lateness = recording::complete(&mut stats, nominal, nominal + 1_000_000, end, 0);
            nominal += 1;
            black_box((start, lateness))
        });
        black_box(stats.jobs);
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
