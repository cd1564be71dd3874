//! `rtlab simulate CONFIG`: the discrete-event simulation, its result
//! files, and a summary that says which task missed which deadline, by how
//! much, and why.
//!
//! Results go to `--out`, by default `rtlab-out/<config>/simulation/` (or
//! `rtlab-out/<config>/<variant>/simulation/`), so that a live run of the
//! same config (`.../live/`) does not overwrite them: `result.json`
//! (`rtlab.result/v1`), `summary.csv`, one `.hgrm` per task and metric, and
//! with `--trace` the Perfetto / Chrome trace `trace.json`.

use std::path::{Path, PathBuf};

use rtlab_tasks::model::System;
use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::time::Duration;

use super::analyze::select;
use super::record::{exit_for, record, show};
use super::{CliError, Exit, load};
use crate::des::{self, Options};

/// What `rtlab simulate` was asked.
#[derive(Debug)]
pub(super) struct Request<'a> {
    pub(super) config: &'a Path,
    pub(super) variant: Option<&'a str>,
    pub(super) horizon: Option<Duration>,
    pub(super) seed: Option<u64>,
    pub(super) out: Option<&'a Path>,
    pub(super) json: bool,
    pub(super) trace: bool,
    pub(super) fail_on_miss: bool,
}

/// The default result directory of a config (and variant) for an engine
/// (`"simulation"` or `"live"`).
pub(super) fn default_out(system: &System, variant: Option<&str>, engine: &str) -> PathBuf {
    let mut dir = PathBuf::from("rtlab-out").join(&system.name);
    if let Some(v) = variant {
        dir.push(v);
    }
    dir.join(engine)
}

/// Runs the simulation and writes its files.
pub(super) fn run(req: &Request<'_>) -> Result<Exit, CliError> {
    let loaded = load(req.config)?;
    let system = select(&loaded, req.variant)?;
    let options = Options {
        horizon: req.horizon.unwrap_or(system.duration),
        seed: req.seed.unwrap_or(system.seed),
    };
    let dir = req.out.map_or_else(
        || default_out(system, req.variant, "simulation"),
        Path::to_path_buf,
    );
    let outcome = simulate_into(system, req.variant, &options, &dir, req.trace)?;
    show(system, &outcome, &dir, req.json)?;
    Ok(exit_for(&outcome, req.fail_on_miss))
}

/// Simulates `system` and writes the result directory (and the trace);
/// shared by `simulate`, `compare` and the demo.
pub(super) fn simulate_into(
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
        "simulation",
        options.horizon.as_nanos(),
        |sink| {
            des::simulate(system, options, Some(sink))
                .map(|o| (o, 0))
                .map_err(|e| CliError::Usage(format!("cannot simulate: {e}")))
        },
    )
}
