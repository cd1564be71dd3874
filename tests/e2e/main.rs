//! End-to-end tests of the `rtlab` binary: each module drives it the way a
//! user would, in a temporary directory, and checks what it prints, writes
//! and exits with.

// A test binary: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod analyze;
mod check;
mod cli;
mod colors;
mod cross;
mod engines;
mod live;
mod live_chains;
mod live_classes;
mod live_latency;
mod live_preemption;
mod prose;
mod report;
mod simulate;
mod sweep;
mod util;
mod verdicts;
