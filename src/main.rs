//! `rtlab`, a soft real-time scheduling laboratory: parse the command line,
//! dispatch it, turn the result into the exit code. The commands live in
//! [`cli`]; the engines in `rtlab-sim`, the reports in `rtlab-reports`, the
//! model and analysis in `rtlab-tasks`.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let exit = cli::run(cli::Cli::parse()).unwrap_or_else(|e| {
        cli::report_error(&e);
        e.exit()
    });
    exit.into()
}
