//! What a task thread records per job, on its own statistics (no shared
//! lock): three clock readings and five histogram records. Public so that
//! the criterion bench measures exactly the code the threads run.

use rtlab_tasks::outcome::TaskStats;

use super::clock;

/// The wake-up latency of a release: now minus the nominal release, ns.
#[inline]
pub fn woke(nominal_ns: u64) -> u64 {
    clock::now().saturating_sub(nominal_ns)
}

/// Records a release with its wake-up latency (ns).
#[inline]
pub fn release(stats: &mut TaskStats, jitter_ns: u64) {
    stats.jobs += 1;
    stats.release_jitter.record(jitter_ns);
}

/// Records that the job starts now; returns the start time (CLOCK_MONOTONIC,
/// ns).
#[inline]
pub fn start(stats: &mut TaskStats, nominal_ns: u64) -> u64 {
    let start = clock::now();
    stats.start_delay.record(start.saturating_sub(nominal_ns));
    start
}

/// Records a completion at `end_ns` of the job released at `nominal_ns`
/// with absolute deadline `deadline_ns` and `blocking_ns` of lock waits;
/// returns its lateness (negative = early), ns.
#[inline]
pub fn complete(
    stats: &mut TaskStats,
    nominal_ns: u64,
    deadline_ns: u64,
    end_ns: u64,
    blocking_ns: u64,
) -> i64 {
    let lateness = i64::try_from(i128::from(end_ns) - i128::from(deadline_ns)).unwrap_or(i64::MAX);
    stats.complete(end_ns.saturating_sub(nominal_ns), lateness);
    stats.blocking.record(blocking_ns);
    lateness
}

/// CLOCK_MONOTONIC now, ns (the clock every timestamp of a run uses).
#[inline]
pub fn now() -> u64 {
    clock::now()
}
