//! Benchmarks of the exporters.
//!
//! - `perfetto/stream_1M_events`: one million job events of a two-CPU
//!   schedule (releases, starts, preemptions, locks, completions) streamed
//!   through a `PerfettoWriter` into a file in a temporary directory,
//!   finish and rename included; criterion reports events per second.
//! - `result_dir/10_tasks`: `write_result_dir` for a 10-task outcome with
//!   10 000 samples per metric (50 `.hgrm` files, `summary.csv`,
//!   `result.json`), histogram decoding included.

#[path = "../tests/export/sample.rs"]
mod sample;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtlab_reports::export::{PerfettoWriter, write_result_dir};
use rtlab_tasks::outcome::trace::{JobEvent, TraceSink};

const EVENTS: usize = 1_000_000;

fn perfetto(c: &mut Criterion) {
    let system = sample::system(2);
    let events: Vec<JobEvent> = sample::events(EVENTS).collect();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("trace.json");
    let mut group = c.benchmark_group("perfetto");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("stream_1M_events", |b| {
        b.iter(|| {
            let mut writer = PerfettoWriter::create(&path, &system, "simulation").expect("writer");
            for e in &events {
                writer.event(e);
            }
            black_box(writer.finish().expect("finished trace"))
        });
    });
    group.finish();
}

fn result_dir(c: &mut Criterion) {
    let outcome = sample::outcome(10, 10_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut group = c.benchmark_group("result_dir");
    group.bench_function("10_tasks", |b| {
        b.iter(|| black_box(write_result_dir(dir.path(), &outcome).expect("written")));
    });
    group.finish();
}

criterion_group!(benches, perfetto, result_dir);
criterion_main!(benches);
