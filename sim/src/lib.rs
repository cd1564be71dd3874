//! rtlab-sim: the `rtlab` command line.
pub mod cli;
