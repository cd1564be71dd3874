//! Benchmarks of the schedulability analysis on a deterministic 100-task set.
//!
//! The set: UUniFast utilizations summing to 0.9 (Bini & Buttazzo 2005),
//! log-uniform periods between 1 ms and 1 s (rounded to whole
//! microseconds), constrained deadlines between the middle of the
//! execution-to-period span and the period, all drawn from a fixed
//! xorshift sequence so every run measures the same set. A sweep runs these
//! functions on 10^5 such sets.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rtlab_tasks::analysis::edf;
use rtlab_tasks::analysis::priority::assign;
use rtlab_tasks::analysis::rta::{self, Dispatch};
use rtlab_tasks::analysis::{Timing, analyze};
use rtlab_tasks::model::{Policy, PriorityOrder, System, SystemBuilder};
use rtlab_tasks::time::Duration;

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

/// `n` tasks with total utilization `u`, most urgent (shortest deadline)
/// first.
fn task_set(n: usize, u: f64, seed: u64) -> Vec<Timing> {
    let mut rng = Sequence(seed);
    // UUniFast.
    let mut left = u;
    let mut utils = Vec::with_capacity(n);
    for i in 1..n {
        let next = left * rng.next_f64().powf(1.0 / (n - i) as f64);
        utils.push(left - next);
        left = next;
    }
    utils.push(left);
    let mut set: Vec<Timing> = utils
        .iter()
        .map(|&ui| {
            let period_us = (1_000.0 * 1_000_f64.powf(rng.next_f64())).round() as u64;
            let period = period_us * 1_000;
            let wcet = ((ui * period as f64) as u64).clamp(1, period);
            let span = period - wcet;
            let deadline = wcet + span / 2 + (span as f64 / 2.0 * rng.next_f64()) as u64;
            Timing::new(
                Duration::from_nanos(wcet),
                Duration::from_nanos(period),
                Duration::from_nanos(deadline.clamp(wcet, period)),
            )
        })
        .collect();
    set.sort_by_key(|t| t.deadline);
    set
}

fn system(set: &[Timing], policy: Policy, order: PriorityOrder) -> System {
    let mut builder = SystemBuilder::new("bench").policy(policy).priorities(order);
    for (i, t) in set.iter().enumerate() {
        builder = builder
            .task(&format!("t{i}"), t.period, t.wcet)
            .deadline(t.deadline);
    }
    builder.build()
}

fn benches(c: &mut Criterion) {
    let set = task_set(100, 0.9, 0x5eed_1234_abcd_ef01);
    // What the measured set is like (printed once, for the record).
    let bounded = (0..set.len())
        .filter(|&i| {
            rta::response_time(&set[i], Duration::ZERO, &set[..i], Dispatch::Preemptive).is_ok()
        })
        .count();
    let worst = (0..set.len())
        .filter_map(|i| {
            edf::response::response_time(&set, i, Dispatch::Preemptive, |_| Duration::ZERO).ok()
        })
        .max_by_key(|r| r.offsets);
    eprintln!(
        "set: 100 tasks, U = {:.3}, DM schedulable by RTA: {:?}, {bounded} bounded, QPA: {:?}, \
         EDF RTA: most offsets for one task {:?}",
        rtlab_tasks::analysis::utilization::total(&set),
        rta::all_meet_deadlines(&set, Dispatch::Preemptive),
        edf::qpa(&set),
        worst.map(|r| (r.offsets, r.steps, r.busy_period)),
    );
    let mut group = c.benchmark_group("analysis-100-tasks-u0.9");
    group.bench_function("rta-every-task", |b| {
        b.iter(|| {
            for i in 0..set.len() {
                let r =
                    rta::response_time(&set[i], Duration::ZERO, &set[..i], Dispatch::Preemptive);
                black_box(r.ok());
            }
        });
    });
    group.bench_function("rta-all-meet-deadlines", |b| {
        b.iter(|| {
            black_box(rta::all_meet_deadlines(
                black_box(&set),
                Dispatch::Preemptive,
            ))
        });
    });
    group.bench_function("rta-non-preemptive-every-task", |b| {
        b.iter(|| {
            for i in 0..set.len() {
                let blocking = set[i + 1..]
                    .iter()
                    .map(|t| t.wcet.saturating_sub(Duration::from_nanos(1)))
                    .max()
                    .unwrap_or(Duration::ZERO);
                let r = rta::response_time(&set[i], blocking, &set[..i], Dispatch::NonPreemptive);
                black_box(r.ok());
            }
        });
    });
    group.bench_function("qpa", |b| b.iter(|| black_box(edf::qpa(black_box(&set)))));
    // Spuri's EDF response-time analysis of every task (the offsets below
    // the synchronous busy period, most skipped with one evaluation).
    group.bench_function("edf-rta-every-task", |b| {
        b.iter(|| {
            for i in 0..set.len() {
                let r =
                    edf::response::response_time(&set, i, Dispatch::Preemptive, |_| Duration::ZERO);
                black_box(r.ok());
            }
        });
    });
    group.bench_function("edf-rta-non-preemptive-every-task", |b| {
        b.iter(|| {
            for i in 0..set.len() {
                let r = edf::response::response_time(&set, i, Dispatch::NonPreemptive, |_| {
                    Duration::ZERO
                });
                black_box(r.ok());
            }
        });
    });
    let under_edf = system(&set, Policy::Edf, PriorityOrder::DeadlineMonotonic);
    group.bench_function("analyze-edf-system", |b| {
        b.iter(|| black_box(analyze(black_box(&under_edf))))
    });
    let dm = system(
        &set,
        Policy::FixedPriority,
        PriorityOrder::DeadlineMonotonic,
    );
    group.bench_function("analyze-system", |b| {
        b.iter(|| black_box(analyze(black_box(&dm))))
    });
    group.sample_size(10);
    group.bench_function("audsley-assign", |b| {
        b.iter(|| black_box(assign(black_box(&dm), PriorityOrder::Audsley)));
    });
    group.finish();
}

criterion_group!(analysis, benches);
criterion_main!(analysis);
