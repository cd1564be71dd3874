//! rtlab-sim: the `rtlab` binary's library.
//!
//! - [`cli`]: the command line, the only layer that talks to the user and
//!   to `rtlab-reports`;
//! - [`des`]: the discrete-event simulator (virtual, integer time);
//! - [`policy`]: scheduling decisions as pure functions, shared by the
//!   engines;
//! - [`rng`]: the seeded random streams (execution times, jitter);
//! - [`sweep`]: schedulability sweeps over random task sets.
//!
//! The engines produce `rtlab_tasks::outcome` values only; they never
//! touch reports or files.

pub mod cli;
pub mod des;
pub mod live;
pub mod policy;
pub mod rng;
pub mod sweep;
