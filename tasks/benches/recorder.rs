//! Benchmarks of the latency recorder against the dense HdrHistogram it
//! replaced.
//!
//! `record` is on the simulator's hot path (2 to 5 values per job, ~10 M
//! jobs/s on small sets), so it is measured on the simulator's common case,
//! a handful of values repeating (a task's response times under a fixed
//! schedule), and on values spread at random over 1 us..100 ms (log-uniform,
//! the worst case for a compact layout). `summary` (once per metric at the
//! end of a run) is measured on both recordings. "dense" is the recorder as
//! it was: an auto-resizing `Histogram<u64>` at 3 significant digits beside
//! exact min, max and sum.

use std::hint::black_box;

use base64::Engine as _;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use rtlab_tasks::outcome::metrics::{Metric, Recorder};

/// Values recorded per iteration.
const VALUES: usize = 10_000;

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Sequence(u64);

impl Sequence {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (v >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// Response times of a task whose schedule repeats: five values, in
/// nanoseconds, cycling in a fixed order.
fn handful() -> Vec<u64> {
    let cycle = [1_204_000, 1_530_500, 2_004_100, 1_204_000, 3_100_250];
    cycle.iter().copied().cycle().take(VALUES).collect()
}

/// Values log-uniform over 1 us..100 ms.
fn spread() -> Vec<u64> {
    let mut seq = Sequence(0x9E37_79B9_7F4A_7C15);
    let (lo, hi) = (1_000f64.ln(), 100_000_000f64.ln());
    (0..VALUES)
        .map(|_| (lo + seq.next_f64() * (hi - lo)).exp() as u64)
        .collect()
}

/// The recorder as it was: a dense, auto-resizing histogram beside exact
/// extremes and sum (zeros are not benchmarked: both count them apart).
struct Dense {
    hist: Histogram<u64>,
    min: u64,
    max: u64,
    sum: u128,
    count: u64,
}

impl Dense {
    fn new() -> Self {
        Dense {
            hist: Histogram::new(3).expect("3 digits is a valid precision"),
            min: u64::MAX,
            max: 0,
            sum: 0,
            count: 0,
        }
    }

    #[inline]
    fn record(&mut self, ns: u64) {
        if self.hist.record(ns).is_err() {
            self.hist.saturating_record(ns);
        }
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
        self.sum += u128::from(ns);
        self.count += 1;
    }

    /// The summary as it was made: serialize the histogram, read four
    /// quantiles from it.
    fn summary(&self) -> Metric {
        let mut bytes = Vec::new();
        let hdr = match V2Serializer::new().serialize(&self.hist, &mut bytes) {
            Ok(_) => base64::engine::general_purpose::STANDARD.encode(&bytes),
            Err(_) => String::new(),
        };
        let q = |q: f64| Some(self.hist.value_at_quantile(q).min(self.max));
        Metric {
            count: self.count,
            min_ns: Some(self.min),
            mean_ns: Some(self.sum as f64 / self.count as f64),
            p50_ns: q(0.5),
            p90_ns: q(0.9),
            p99_ns: q(0.99),
            p999_ns: q(0.999),
            max_ns: Some(self.max),
            sum_ns: self.sum,
            hdr,
        }
    }
}

fn record(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(VALUES as u64));
    for (name, values) in [("handful", handful()), ("spread", spread())] {
        // Recorders warmed with the values first, as after a simulation's
        // first hyperperiod: the steady state of the hot path.
        let mut compact = Recorder::new();
        let mut dense = Dense::new();
        for &v in &values {
            compact.record(v);
            dense.record(v);
        }
        group.bench_with_input(BenchmarkId::new("compact", name), &values, |b, values| {
            b.iter(|| {
                for &v in values {
                    compact.record(black_box(v));
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("dense", name), &values, |b, values| {
            b.iter(|| {
                for &v in values {
                    dense.record(black_box(v));
                }
            })
        });
        // From empty: growth (list, chunks, dense resizes) included.
        group.bench_with_input(
            BenchmarkId::new("compact-fresh", name),
            &values,
            |b, values| {
                b.iter(|| {
                    let mut r = Recorder::new();
                    for &v in values {
                        r.record(black_box(v));
                    }
                    r
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("dense-fresh", name),
            &values,
            |b, values| {
                b.iter(|| {
                    let mut d = Dense::new();
                    for &v in values {
                        d.record(black_box(v));
                    }
                    d
                })
            },
        );
    }
    group.finish();
}

fn summary(c: &mut Criterion) {
    let mut group = c.benchmark_group("summary");
    for (name, values) in [("handful", handful()), ("spread", spread())] {
        let mut compact = Recorder::new();
        let mut dense = Dense::new();
        for &v in &values {
            compact.record(v);
            dense.record(v);
        }
        assert_eq!(compact.summary(), dense.summary(), "the same summary");
        group.bench_function(BenchmarkId::new("compact", name), |b| {
            b.iter(|| black_box(&compact).summary())
        });
        group.bench_function(BenchmarkId::new("dense", name), |b| {
            b.iter(|| black_box(&dense).summary())
        });
    }
    group.finish();
}

criterion_group!(benches, record, summary);
criterion_main!(benches);
