//! Sweep throughput: task sets per second per test at n = 10 (UUniFast,
//! periods log-uniform over 1..1000 ms, implicit deadlines), on a fixed
//! batch of sets at U = 0.85 (near where the tests start to disagree);
//! plus drawing the sets, and the breakdown bisection of `rta`.
//!
//! `cargo bench -p rtlab-sim --bench sweep`; criterion reports
//! "thrpt" in sets per second (elements).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use rtlab_sim::sweep::{Test, breakdown, check, set_rng};
use rtlab_tasks::analysis::Timing;
use rtlab_tasks::generate::{self, Deadlines, Generator, Spec};
use rtlab_tasks::time::Duration;

const SETS: u64 = 64;

fn spec(utilization: f64) -> Spec {
    Spec {
        tasks: 10,
        utilization,
        generator: Generator::UUniFast,
        periods: "log-uniform:1ms:1000ms".parse().expect("valid periods"),
        grain: Duration::from_nanos(1),
        deadlines: Deadlines::Implicit,
    }
}

fn sets(utilization: f64) -> Vec<Vec<Timing>> {
    (0..SETS)
        .map(|i| {
            generate::task_set(&spec(utilization), &mut set_rng(1, 850_000, i))
                .expect("uunifast draws")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let batch = sets(0.85);
    let mut g = c.benchmark_group("sweep-n10-u0.85");
    g.throughput(Throughput::Elements(SETS));
    g.bench_function("generate", |b| b.iter(|| black_box(sets(0.85))));
    for test in [
        Test::LiuLayland,
        Test::Hyperbolic,
        Test::Rta,
        Test::EdfDemand,
        Test::SimFp,
        Test::SimEdf,
    ] {
        if test.simulates() {
            g.sample_size(10);
        }
        g.bench_function(test.as_str(), |b| {
            b.iter(|| {
                batch
                    .iter()
                    .filter(|s| {
                        check(test, black_box(s), 1, None) == rtlab_sim::sweep::Verdict::Schedulable
                    })
                    .count()
            })
        });
    }
    g.finish();
    let full = sets(1.0);
    let mut g = c.benchmark_group("sweep-n10-breakdown");
    g.throughput(Throughput::Elements(SETS));
    g.sample_size(10);
    for test in [Test::Rta, Test::EdfDemand] {
        g.bench_function(test.as_str(), |b| {
            b.iter(|| {
                full.iter()
                    .map(|s| breakdown(test, black_box(s), 1, None))
                    .sum::<u64>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
