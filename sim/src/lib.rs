//! rtlab-sim: the `rtlab` binary's library.
//!
//! - [`cli`]: the command line, the only layer that talks to the user and
//!   to `rtlab-reports`.
//!
//! The discrete-event simulator and the live engine join this crate in
//! later versions; they will produce `rtlab_tasks` values only.

pub mod cli;
