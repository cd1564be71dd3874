//! rtlab-reports: plots, the HTML report and exporters for rtlab results.
//!
//! Thin for now: the simulator and live engines that produce results land
//! first. This crate depends on `rtlab-tasks` only.

pub use rtlab_tasks as tasks;
