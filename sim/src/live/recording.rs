//! What a task thread records per job, on its own book (no shared lock):
//! three clock readings and the ledger's records. Public so that the
//! criterion bench measures exactly the code the threads run.

use crate::ledger::{JobCauses, JobPlan, TaskBook};

use super::clock;

/// The wake-up latency of a release: now minus the nominal release
/// (CLOCK_MONOTONIC), ns.
#[inline]
pub fn woke(nominal_ns: u64) -> u64 {
    clock::now().saturating_sub(nominal_ns)
}

/// Records a release with its wake-up latency (ns), or none for a release
/// that found the previous job still running (no wake-up happened).
#[inline]
pub fn release(book: &mut TaskBook, jitter_ns: Option<u64>) {
    match jitter_ns {
        Some(ns) => book.released(ns),
        None => book.released_queued(),
    }
}

/// Records that `job` of a run that started at `run_start_ns` starts now;
/// returns the start time (CLOCK_MONOTONIC, ns).
#[inline]
pub fn start(book: &mut TaskBook, job: &JobPlan, run_start_ns: u64) -> u64 {
    let start = clock::now();
    book.started(job, start.saturating_sub(run_start_ns));
    start
}

/// Records `job`'s completion at `end_ns` (CLOCK_MONOTONIC) in a run that
/// started at `run_start_ns`, its time spent as `causes` say; returns its
/// lateness (negative = early), ns.
#[inline]
pub fn complete(
    book: &mut TaskBook,
    job: &JobPlan,
    run_start_ns: u64,
    end_ns: u64,
    causes: &JobCauses,
) -> i64 {
    book.completed(job, end_ns.saturating_sub(run_start_ns), causes)
}

/// CLOCK_MONOTONIC now, ns (the clock every timestamp of a run uses).
#[inline]
pub fn now() -> u64 {
    clock::now()
}
