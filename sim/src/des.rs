//! The discrete-event simulator: the task set on virtual, integer time.
//!
//! [`simulate`] runs a [`System`] up to a horizon and returns its
//! [`Outcome`] (`rtlab.result/v1`): per task the counters and metrics of
//! `design.md`, the worst misses with what delayed them, per CPU the busy
//! ratio, per resource the contention. Every job event can be streamed to a
//! [`TraceSink`]. Same system, horizon and seed: same outcome, bit for bit.
//!
//! # Semantics (pinned by the tests)
//!
//! - Time advances from event to event: releases, and for each running job
//!   the next point of its own execution where something happens (a lock
//!   taken or released, a fault, completion, the end of a round-robin
//!   quantum), and deadlines when `on_miss = "abort"`.
//! - At one instant, events are handled in this order: first what running
//!   jobs reach (CPUs in platform order), then aborts at a deadline, then
//!   releases (by task order), then round-robin jobs whose quantum ended go
//!   to the back of the queue (behind the jobs released at that instant),
//!   then every CPU is dispatched; repeated until nothing is left at that
//!   instant. A job whose first lock is at execution time 0 takes it at the
//!   instant it starts.
//! - An unlock is a scheduling point: a job that releases a lock and takes
//!   another at the same point of its execution takes the second only after
//!   the CPUs were dispatched at that instant. A job the unlock woke, or
//!   that the holder's ceiling (or the stack resource policy's system
//!   ceiling) kept out, runs first if it is now more urgent.
//! - Jobs of one task run in release order, never in parallel: a job
//!   released while its predecessor is unfinished waits (`overrun =
//!   "queue"`) or is dropped (`"skip"`). Dispatch order and preemption are
//!   [`crate::policy`]'s: equal priority (or deadline) never preempts.
//! - `on_miss = "abort"`: a job still pending at its deadline is aborted
//!   there; one that release jitter made ready after its deadline is
//!   aborted as it is released.
//! - A job released at or after the horizon is not counted; a job still
//!   pending or running at the horizon is `incomplete`, and also a
//!   deadline miss (kind `incomplete`) if its deadline is at or before the
//!   horizon: it can only finish after it. A job that completes exactly at
//!   the horizon is complete. The horizon is at most [`MAX_HORIZON`].
//! - Release jitter delays each release by a draw from `[0,
//!   release_jitter]`; releases of one task keep their order.
//! - Critical sections: a lock is taken when the job's execution reaches
//!   the section's `after` and released at `after + hold`. A free resource is
//!   taken at once; a held one blocks the job, which joins the resource's
//!   waiters. An unlock hands the resource to the most urgent waiter (by the
//!   policy's order with effective priorities; ties: the one waiting
//!   longest). Protocols: `inherit`, a holder runs at the highest effective
//!   priority of the jobs it blocks (transitively; under EDF, the earliest
//!   deadline); `ceiling`, under fixed priority a holder runs at the
//!   resource's ceiling (immediate priority ceiling), under EDF the stack
//!   resource policy (a job may start only if its relative deadline is
//!   shorter than that of every user of a resource held on its CPU);
//!   `none`, plain mutexes. FIFO and round-robin ignore priorities: waiters
//!   are served in arrival order.
//! - A job blocked on a resource held by a job that (transitively) waits
//!   for it is a deadlock: the run stops there, `interrupted`, with the
//!   cycle in [`Outcome::deadlock`].
//! - `faults.panic_every = N`: jobs N, 2N, ... (counting from 1) panic half
//!   way through their execution: their locks are released, they count as
//!   `faults` (not completed) and the task goes on with its next job.
//! - `blocking` of a job: time blocked on a resource plus time ready while a
//!   job of lower base priority (EDF: later deadline) ran on its CPU.

mod charge;
mod dispatch;
mod engine;
mod execution;
mod heap;
mod jobs;
mod locking;
mod resources;
mod state;

use rtlab_tasks::model::System;
use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::outcome::trace::TraceSink;
use rtlab_tasks::time::Duration;

/// The longest horizon, 4 000 000 000 s (about 126 years): the longest
/// `duration` a config may have. With the task times that validation also
/// bounds by it, every time the simulator derives (a release before the
/// horizon plus a period, a deadline, a jitter) stays below 2^64 ns and
/// every lateness fits in an `i64`.
pub const MAX_HORIZON: Duration = Duration::from_nanos(4_000_000_000_000_000_000);

/// How to run a simulation.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Simulate up to this time (exclusive for releases); at most
    /// [`MAX_HORIZON`].
    pub horizon: Duration,
    /// Seed of every random draw.
    pub seed: u64,
}

impl Options {
    /// The system's own duration and seed.
    pub fn of(system: &System) -> Self {
        Options {
            horizon: system.duration,
            seed: system.seed,
        }
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A zero horizon simulates nothing.
    #[error("the horizon must be longer than 0")]
    ZeroHorizon,
    /// The horizon is longer than [`MAX_HORIZON`].
    #[error("the horizon {horizon} is longer than the longest one, {max} (about 126 years)")]
    HorizonTooLong {
        /// The horizon asked for.
        horizon: Duration,
        /// [`MAX_HORIZON`].
        max: Duration,
    },
}

/// Simulates `system` up to `options.horizon`; every job event goes to
/// `trace` if given.
///
/// A deadlock among the simulated jobs is not an error: the outcome says
/// where it stopped and why ([`Outcome::deadlock`], `interrupted`). The
/// analysis' predictions (`tasks[].analysis`) are left empty: the caller,
/// which analyses the system once, attaches them
/// ([`Outcome::attach_analysis`]).
pub fn simulate(
    system: &System,
    options: &Options,
    trace: Option<&mut dyn TraceSink>,
) -> Result<Outcome, SimError> {
    check_horizon(options)?;
    let run = engine::Engine::new(system, options, trace).run();
    Ok(run.into_outcome(system, options.seed))
}

/// The number of deadline misses of `system` up to `options.horizon`
/// (the sum of `tasks[].deadline_misses` of [`simulate`]'s outcome),
/// without building the rest of the outcome: what a schedulability check
/// by simulation needs, at a fraction of the cost (no metric is
/// summarized or serialized).
pub fn deadline_misses(system: &System, options: &Options) -> Result<u64, SimError> {
    check_horizon(options)?;
    let run = engine::Engine::new(system, options, None).run();
    Ok(run.ledger.deadline_misses())
}

fn check_horizon(options: &Options) -> Result<(), SimError> {
    if options.horizon.is_zero() {
        return Err(SimError::ZeroHorizon);
    }
    if options.horizon > MAX_HORIZON {
        return Err(SimError::HorizonTooLong {
            horizon: options.horizon,
            max: MAX_HORIZON,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
