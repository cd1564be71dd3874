//! `rtlab`: parse the command line and dispatch; everything else lives in
//! the library (`rtlab_sim::cli`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = rtlab_sim::cli::Cli::parse();
    rtlab_sim::cli::run(cli)
}
