//! End-to-end tests of the `rtlab` binary: each module drives it the way a
//! user would, in a temporary directory, and checks what it prints, writes
//! and exits with.

mod analyze;
mod check;
mod cli;
mod cross;
mod simulate;
mod util;
