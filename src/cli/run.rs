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
use std::sync::OnceLock;

use rtlab_sim::live::Options;
use rtlab_tasks::time::Duration;

use super::error::{CliError, Exit};
use super::input::{load, select};
use super::record::{Subject, default_out, exit_for, run_into, show};

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
        || default_out(&loaded, system, req.variant, "live"),
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
    let analysis = OnceLock::from(rtlab_tasks::analysis::analyze(system));
    let subject = Subject {
        system,
        variant: req.variant,
        analysis: &analysis,
    };
    let outcome = run_into(&loaded, subject, &options, &dir, req.trace)?;
    for w in &outcome.environment.warnings {
        eprintln!("rtlab: warning: {w}");
    }
    show(system, &outcome, &dir, req.json)?;
    Ok(exit_for(&outcome, req.fail_on_miss))
}
