//! The command line: the arguments ([`Cli`]) and their dispatch to one
//! module per command.
//!
//! Commands never import each other. What several of them share lives in
//! modules named after what it is about:
//!
//! - `error`: exit statuses (the codes of design.md) and [`CliError`];
//! - `input`: loading configs, picking a `[[variant]]`, duration arguments;
//! - `output`: standard output and files written atomically;
//! - `diagnostics`: config problems and errors on standard error;
//! - `record`: an engine run recorded into its result directory, shown,
//!   and its exit status;
//! - `analysis`, `summary`, `table`: an analysis and a result in words;
//! - `templates`: the configs compiled into the binary;
//! - `sweep_output`: a sweep document's table and files.
//!
//! Exit codes (design.md): 0 success; 1 the run itself went wrong (I/O, an
//! engine failure); 2 bad input (config, arguments); 3 a deadline was missed
//! and `--fail-on-miss` was given; 130 interrupted.

mod analysis;
mod analyze;
mod check;
mod compare;
mod demo;
mod diagnostics;
mod error;
mod init;
mod input;
mod merge;
mod output;
mod record;
mod report;
mod run;
mod simulate;
mod summary;
mod sweep;
mod sweep_output;
mod table;
mod templates;
mod tune;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use rtlab_tasks::time::Duration;

pub(crate) use diagnostics::report_error;
pub(crate) use error::{CliError, Exit};
use input::parse_horizon;

/// rtlab: a soft real-time scheduling laboratory.
///
/// With no command, runs the demo on the embedded default config.
#[derive(Debug, Parser)]
#[command(name = "rtlab", version, about, long_about = None)]
pub(crate) struct Cli {
    /// What to do (default: the demo).
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Validate configs: exit 0, or exit 2 with every problem as file:line:col.
    #[command(after_help = "Example:\n  rtlab check configs/demo.toml configs/pathfinder.toml")]
    Check {
        /// Config files to check.
        #[arg(required = true, value_name = "CONFIG")]
        configs: Vec<PathBuf>,
    },
    /// Schedulability analysis: utilization bounds, response times, EDF demand.
    #[command(
        after_help = "Example:\n  rtlab analyze configs/pathfinder.toml --variant inherit --fail-on-miss"
    )]
    Analyze {
        /// The config file.
        config: PathBuf,
        /// Analyse this `[[variant]]` instead of the base config.
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
        /// Print the `rtlab.analysis/v1` document instead of the table.
        #[arg(long)]
        json: bool,
        /// Exit 3 unless every task is proven to meet its deadline (a
        /// proven miss, or an unknown verdict, exits 3).
        #[arg(long)]
        fail_on_miss: bool,
    },
    /// Discrete-event simulation: result.json, summary.csv, .hgrm files
    /// (and trace.json with --trace).
    #[command(
        after_help = "Example:\n  rtlab simulate configs/pathfinder.toml --horizon 2s --trace"
    )]
    Simulate {
        /// The config file.
        config: PathBuf,
        /// Simulate this `[[variant]]` instead of the base config.
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
        /// Simulated time (default: the config's `duration`), e.g. 10s.
        #[arg(long, value_name = "DURATION", value_parser = parse_horizon)]
        horizon: Option<Duration>,
        /// Seed of every random draw (default: the config's `seed`).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Result directory (default: rtlab-out/NAME/simulation).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the `rtlab.result/v1` document instead of the summary.
        #[arg(long)]
        json: bool,
        /// Also write every job event to trace.json (Perfetto / Chrome).
        #[arg(long)]
        trace: bool,
        /// Exit 3 when a deadline was missed.
        #[arg(long)]
        fail_on_miss: bool,
    },
    /// Live run on real threads: pinned, real-time policy, absolute-time
    /// releases, latencies in HDR histograms.
    #[command(
        after_help = "Example:\n  rtlab run configs/jitter-under-load.toml --variant no-rt --duration 5s"
    )]
    Run {
        /// The config file.
        config: PathBuf,
        /// Run this `[[variant]]` instead of the base config.
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
        /// Length of the run (default: the config's `duration`), e.g. 5s.
        #[arg(long, value_name = "DURATION", value_parser = parse_horizon)]
        duration: Option<Duration>,
        /// Seed of the execution-time draws (default: the config's `seed`).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Result directory (default: rtlab-out/NAME/live).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print the `rtlab.result/v1` document instead of the summary.
        #[arg(long)]
        json: bool,
        /// Also write job events to trace.json (Perfetto / Chrome).
        #[arg(long)]
        trace: bool,
        /// Exit 2 instead of falling back to SCHED_OTHER without real-time
        /// privileges.
        #[arg(long)]
        strict: bool,
        /// Exit 3 when a deadline was missed.
        #[arg(long)]
        fail_on_miss: bool,
    },
    /// Plots and a self-contained report.html for result directories (any
    /// mix of simulated and live).
    #[command(
        after_help = "Example:\n  rtlab report rtlab-out/demo/simulation rtlab-out/demo/live"
    )]
    Report {
        /// Result directories (written by simulate, run or compare).
        #[arg(required = true, value_name = "DIR")]
        dirs: Vec<PathBuf>,
        /// Where to write the report (default: the directory, or the common
        /// parent of several).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Run each config and each of its variants, then one comparison report.
    #[command(
        after_help = "Example:\n  rtlab compare configs/pathfinder.toml --engine both --duration 2s"
    )]
    Compare {
        /// Config files.
        #[arg(required = true, value_name = "CONFIG")]
        configs: Vec<PathBuf>,
        /// Which engines to run.
        #[arg(long, value_enum, default_value = "sim")]
        engine: compare::Engines,
        /// Where to write the results and the report (default:
        /// rtlab-out/NAME/compare, or rtlab-out/compare for several configs).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print `rtlab.comparison/v1` instead of the table.
        #[arg(long)]
        json: bool,
        /// Length of every run (default: each config's `duration`).
        #[arg(long, value_name = "DURATION", value_parser = parse_horizon)]
        duration: Option<Duration>,
        /// Exit 3 when any run missed a deadline.
        #[arg(long)]
        fail_on_miss: bool,
    },
    /// Find a feasible fixed-priority order (Audsley, else deadline-monotonic)
    /// and show what changes.
    #[command(after_help = "Example:\n  rtlab tune configs/demo.toml --write")]
    Tune {
        /// The config file.
        config: PathBuf,
        /// Rewrite the priorities in the file (comments are kept).
        #[arg(long)]
        write: bool,
    },
    /// Write a commented starter config (templates: `rtlab init --list`).
    #[command(after_help = "Example:\n  rtlab init pathfinder --out my-robot.toml")]
    Init {
        /// Template name (default: starter).
        template: Option<String>,
        /// Write to this file instead of standard output (never overwrites).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// List the templates.
        #[arg(long)]
        list: bool,
    },
    /// Random task sets: acceptance ratio against utilization per test,
    /// breakdown utilization; sweep.json, sweep.csv, sweep.png.
    #[command(
        after_help = "Example:\n  rtlab sweep --tasks 10 --cpus 2 --util 0.5:1:0.1 --sets 200"
    )]
    Sweep(sweep::SweepArgs),
    /// Merge shards: sweep.json files of one sweep (counts add) or
    /// result.json files of one config (histograms merge losslessly).
    #[command(
        after_help = "Example:\n  rtlab merge shard-1/sweep.json shard-2/sweep.json --out sweep.json"
    )]
    Merge {
        /// The files to merge (all sweep.json or all result.json).
        #[arg(required = true, value_name = "FILE.json")]
        files: Vec<PathBuf>,
        /// The merged file (for result.json, its directory gets the whole
        /// result set).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Runs a parsed command line: the demo, or the command it names.
pub(crate) fn run(cli: Cli) -> Result<Exit, CliError> {
    match cli.command {
        None => demo::run(),
        Some(Command::Check { configs }) => check::run(&configs),
        Some(Command::Analyze {
            config,
            variant,
            json,
            fail_on_miss,
        }) => analyze::run(&config, variant.as_deref(), json, fail_on_miss),
        Some(Command::Simulate {
            config,
            variant,
            horizon,
            seed,
            out,
            json,
            trace,
            fail_on_miss,
        }) => simulate::run(&simulate::Request {
            config: &config,
            variant: variant.as_deref(),
            horizon,
            seed,
            out: out.as_deref(),
            json,
            trace,
            fail_on_miss,
        }),
        Some(Command::Run {
            config,
            variant,
            duration,
            seed,
            out,
            json,
            trace,
            strict,
            fail_on_miss,
        }) => run::run(&run::Request {
            config: &config,
            variant: variant.as_deref(),
            duration,
            seed,
            out: out.as_deref(),
            json,
            trace,
            strict,
            fail_on_miss,
        }),
        Some(Command::Report { dirs, out }) => report::run(&dirs, out.as_deref()),
        Some(Command::Compare {
            configs,
            engine,
            out,
            json,
            duration,
            fail_on_miss,
        }) => compare::run(&compare::Request {
            configs: &configs,
            engine,
            out: out.as_deref(),
            json,
            duration,
            fail_on_miss,
        }),
        Some(Command::Tune { config, write }) => tune::run(&config, write),
        Some(Command::Init {
            template,
            out,
            list,
        }) => init::run(template.as_deref(), out.as_deref(), list),
        Some(Command::Sweep(args)) => sweep::run(&args),
        Some(Command::Merge { files, out }) => merge::run(&files, &out),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every subcommand's help ends with an example, and the example is a
    /// command line rtlab accepts.
    #[test]
    fn every_subcommand_has_an_example_that_parses() {
        let cli = Cli::command();
        for sub in cli.get_subcommands() {
            let help = sub
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            let example = help
                .strip_prefix("Example:\n  ")
                .unwrap_or_else(|| panic!("`rtlab {}` has no example: {help:?}", sub.get_name()));
            let args: Vec<&str> = example.split_whitespace().collect();
            assert_eq!(args.get(1), Some(&sub.get_name()), "{example}");
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!("`{example}` does not parse: {e}");
            }
        }
    }
}
