//! The command line: arguments, dispatch, exit codes and error display.
//!
//! Exit codes (design.md): 0 success; 1 the run itself went wrong (I/O, an
//! engine failure); 2 bad input (config, arguments); 3 a deadline was missed
//! and `--fail-on-miss` was given; 130 interrupted.

mod analyze;
mod check;
mod compare;
mod demo;
mod diagnostics;
mod init;
mod merge;
mod record;
mod report;
mod run;
mod simulate;
mod summary;
mod sweep;
mod table;
mod tune;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use rtlab_reports::ReportError;
use rtlab_tasks::config::{self, ConfigError, Loaded};
use rtlab_tasks::time::Duration;

/// rtlab: a soft real-time scheduling laboratory.
///
/// With no command, runs the demo on the embedded default config.
#[derive(Debug, Parser)]
#[command(name = "rtlab", version, about, long_about = None)]
pub struct Cli {
    /// What to do (default: the demo).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate configs: exit 0, or exit 2 with every problem as file:line:col.
    Check {
        /// Config files to check.
        #[arg(required = true, value_name = "CONFIG")]
        configs: Vec<PathBuf>,
    },
    /// Schedulability analysis: utilization bounds, response times, EDF demand.
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
    Tune {
        /// The config file.
        config: PathBuf,
        /// Rewrite the priorities in the file (comments are kept).
        #[arg(long)]
        write: bool,
    },
    /// Write a commented starter config (templates: `rtlab init --list`).
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
    Sweep(sweep::SweepArgs),
    /// Merge shards: sweep.json files of one sweep (counts add) or
    /// result.json files of one config (histograms merge losslessly).
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

/// An exit status of `rtlab`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything went as asked.
    Success,
    /// The run itself failed (I/O, an engine failure).
    Failure,
    /// Bad input: a config or the arguments.
    BadInput,
    /// A deadline was missed and `--fail-on-miss` was given.
    Missed,
    /// Interrupted by Ctrl-C or SIGTERM (after writing partial results).
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::BadInput => 2,
            Exit::Missed => 3,
            Exit::Interrupted => 130,
        })
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A config could not be loaded (already located, rendered by
    /// the CLI's diagnostics).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Bad arguments that clap could not catch.
    #[error("{0}")]
    Usage(String),
    /// An I/O failure on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Writing to standard output failed.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    /// An edit of a config produced a config that does not validate.
    #[error(transparent)]
    Edit(#[from] config::edit::EditError),
    /// Writing or reading result files failed.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The live run could not be set up.
    #[error(transparent)]
    Live(#[from] crate::live::LiveError),
}

impl CliError {
    fn exit(&self) -> Exit {
        match self {
            // A config that cannot be read is a bad argument, like one
            // that does not validate: exit 2 either way.
            CliError::Config(_) | CliError::Usage(_) => Exit::BadInput,
            CliError::Io { .. }
            | CliError::Stdout(_)
            | CliError::Edit(_)
            | CliError::Report(_)
            | CliError::Live(_) => Exit::Failure,
        }
    }
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
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
    };
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            diagnostics::report_error(&e);
            e.exit().into()
        }
    }
}

/// Parses a duration argument such as `10s` or `1.5ms`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    text.parse::<Duration>().map_err(|e| e.to_string())
}

/// Parses the length of a run (`simulate --horizon`, `run` and `compare
/// --duration`): a duration at most as long as a config's `duration` may
/// be ([`crate::des::MAX_HORIZON`]).
fn parse_horizon(text: &str) -> Result<Duration, String> {
    let d = parse_duration(text)?;
    let max = crate::des::MAX_HORIZON;
    if d > max {
        Err(format!(
            "longer than {max} (about 126 years), the longest run (as for a config's `duration`)"
        ))
    } else {
        Ok(d)
    }
}

/// Loads a config file and prints its warnings to standard error.
fn load(path: &std::path::Path) -> Result<Loaded, CliError> {
    let loaded = config::load_file(path)?;
    diagnostics::report_warnings(&loaded);
    Ok(loaded)
}

/// Writes `text` to standard output, mapping a closed pipe to an error.
fn print(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::Stdout)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, then a rename, so readers never see a half-written file.
fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    let io = |source| CliError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}
