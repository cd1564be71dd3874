//! rtlab-sim: the engines that run a task set and produce its
//! `rtlab_tasks::outcome::Outcome`.
//!
//! - [`ledger`]: what a run records, written once for both engines
//!   (arrivals and draws, task and resource books, the partition of each
//!   job's time, deadlock detection, the `Outcome`);
//! - [`des`]: the discrete-event simulator (virtual, integer time);
//! - [`live`]: the live engine (one OS thread per task, real time);
//! - [`policy`]: scheduling decisions as pure functions (dispatch order,
//!   preemption, the live OS priorities and lock protocols);
//! - [`rng`]: the seeded random streams (execution times, jitter);
//! - [`sweep`]: schedulability sweeps over random task sets.
//!
//! The crate depends on `rtlab-tasks` only: it never touches reports or
//! files. The `rtlab` binary (the root package) records what the engines
//! produce and hands it to `rtlab-reports`.

pub mod des;
pub mod ledger;
pub mod live;
pub mod policy;
pub mod rng;
pub mod sweep;
