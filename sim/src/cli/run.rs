//! `rtlab run CONFIG`: the live engine, its result files, and the summary.
//!
//! Results go to `--out`, by default `rtlab-out/<config>/live/` (or
//! `rtlab-out/<config>/<variant>/live/`): the same files as `simulate`,
//! with `environment` saying what the machine did to the measurement.
//! Exit codes: 0; 1 a deadlock among the tasks, or the run could not be set
//! up; 2 bad input (a CPU the machine does not have, `--strict` without
//! real-time privileges, a pure spin); 3 a miss with `--fail-on-miss`; 130
//! interrupted (the partial result is written first).

use std::path::Path;
use std::sync::Arc;

use rtlab_tasks::config::{ConfigError, Loaded, Problem, ProblemKind, cpu_span};
use rtlab_tasks::model::System;
use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::time::Duration;

use super::analyze::select;
use super::record::{exit_for, record, show};
use super::simulate::default_out;
use super::{CliError, Exit, load};
use crate::live::{self, LiveError, Options};

/// What `rtlab run` was asked.
#[derive(Debug)]
pub(super) struct Request<'a> {
    pub(super) config: &'a Path,
    pub(super) variant: Option<&'a str>,
    pub(super) duration: Option<Duration>,
    pub(super) seed: Option<u64>,
    pub(super) out: Option<&'a Path>,
    pub(super) json: bool,
    pub(super) trace: bool,
    pub(super) strict: bool,
    pub(super) fail_on_miss: bool,
}

/// Runs the config live and writes its files.
pub(super) fn run(req: &Request<'_>) -> Result<Exit, CliError> {
    let loaded = load(req.config)?;
    let system = select(&loaded, req.variant)?;
    let options = Options {
        duration: req.duration.unwrap_or(system.duration),
        seed: req.seed.unwrap_or(system.seed),
        strict: req.strict,
    };
    let dir = req.out.map_or_else(
        || default_out(system, req.variant, "live"),
        Path::to_path_buf,
    );
    if !req.json {
        eprintln!(
            "rtlab: running {} live for {} ({} task thread{})...",
            system.name,
            options.duration,
            system.tasks.len(),
            if system.tasks.len() == 1 { "" } else { "s" }
        );
    }
    let outcome = run_into(&loaded, system, req.variant, &options, &dir, req.trace)?;
    for w in &outcome.environment.warnings {
        eprintln!("rtlab: warning: {w}");
    }
    show(system, &outcome, &dir, req.json)?;
    Ok(exit_for(&outcome, req.fail_on_miss))
}

/// Runs `system` live and writes the result directory (and the trace);
/// shared with `compare` and the demo.
pub(super) fn run_into(
    loaded: &Loaded,
    system: &System,
    variant: Option<&str>,
    options: &Options,
    dir: &Path,
    trace: bool,
) -> Result<Outcome, CliError> {
    record(
        system,
        variant,
        dir,
        trace,
        "live",
        options.duration.as_nanos(),
        |sink| {
            live::run(system, options, Some(sink))
                .map(|run| (run.outcome, run.trace_dropped))
                .map_err(|e| live_error(loaded, e))
        },
    )
}

/// A live error as the CLI reports it: a CPU the machine lacks points into
/// the config (exit 2), like any config problem.
fn live_error(loaded: &Loaded, e: LiveError) -> CliError {
    match e {
        LiveError::CpuUnavailable { cpu, ref allowed } => {
            let span = cpu_span(&loaded.source, cpu).unwrap_or(0..0);
            let problem = Problem::error(
                ProblemKind::BadValue {
                    key: "cpu".into(),
                    message: format!("{cpu} is not a CPU this machine lets rtlab use"),
                },
                span,
            )
            .with_hint(format!(
                "this process may use CPUs {allowed:?}; change the config or run where CPU {cpu} exists"
            ));
            CliError::Config(ConfigError::Invalid {
                file: Arc::clone(&loaded.source),
                problems: vec![problem],
            })
        }
        LiveError::NoRtPrivileges | LiveError::PureSpin { .. } => CliError::Usage(e.to_string()),
        other => CliError::Live(other),
    }
}
