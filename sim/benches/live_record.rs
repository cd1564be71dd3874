//! The live engine's cost of recording one job: the clock readings and
//! ledger records a task thread does per job (release, start, completion),
//! on its own book.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

use rtlab_sim::ledger::{Arrivals, JobCauses, Ledger};
use rtlab_sim::live::recording;
use rtlab_tasks::model::SystemBuilder;
use rtlab_tasks::time::Duration;

fn bench(c: &mut Criterion) {
    let us = |v| Duration::from_micros(v).expect("a small duration");
    let system = SystemBuilder::new("bench")
        .task("t", us(1000), us(100))
        .build();
    let ledger = Ledger::new(&system);
    let mut g = c.benchmark_group("live-recording");
    g.bench_function("clock-monotonic", |b| {
        b.iter(|| black_box(recording::now()))
    });
    g.bench_function("per-job", |b| {
        let mut book = ledger.fresh_book();
        let mut arrivals = Arrivals::new(&system.tasks[0], 1, u64::MAX);
        let causes = JobCauses::default();
        let run_start = recording::now();
        b.iter(|| {
            let job = arrivals.take();
            let jitter = recording::woke(run_start + job.release);
            recording::release(&mut book, Some(jitter));
            let start = recording::start(&mut book, &job, run_start);
            let end = recording::now();
            let lateness = recording::complete(&mut book, &job, run_start, end, &causes);
            black_box((start, lateness))
        });
        black_box(book.into_stats().jobs);
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
