//! `rtlab simulate CONFIG`: the discrete-event simulation, its result
//! files, and a summary that says which task missed which deadline, by how
//! much, and why.
//!
//! Results go to `--out`, by default `rtlab-out/<config>/simulation/` (or
//! `rtlab-out/<config>/<variant>/simulation/`), so that a live run of the
//! same config (`.../live/`) does not overwrite them: `result.json`
//! (`rtlab.result/v1`), `summary.csv`, one `.hgrm` per task and metric, and
//! with `--trace` the Perfetto / Chrome trace `trace.json`.

use std::path::Path;
use std::sync::OnceLock;

use rtlab_sim::des::Options;
use rtlab_tasks::time::Duration;

use super::error::{CliError, Exit};
use super::input::{load, select};
use super::record::{Subject, default_out, exit_for, show, simulate_into};

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

/// Runs the simulation and writes its files.
pub(super) fn run(req: &Request<'_>) -> Result<Exit, CliError> {
    let loaded = load(req.config)?;
    let system = select(&loaded, req.variant)?;
    let options = Options {
        horizon: req.horizon.unwrap_or(system.duration),
        seed: req.seed.unwrap_or(system.seed),
    };
    let dir = req.out.map_or_else(
        || default_out(&loaded, system, req.variant, "simulation"),
        Path::to_path_buf,
    );
    // The analysis runs beside the simulation (on a large set each takes
    // tens of milliseconds); the result files wait for it.
    let analysis = OnceLock::new();
    let subject = Subject {
        system,
        variant: req.variant,
        analysis: &analysis,
    };
    let outcome = std::thread::scope(|scope| {
        // Without a thread, the recording computes the analysis itself.
        let _ = std::thread::Builder::new()
            .name("rtlab-analysis".to_string())
            .spawn_scoped(scope, || subject.analysis());
        simulate_into(subject, &options, &dir, req.trace)
    })?;
    show(system, &outcome, &dir, req.json)?;
    Ok(exit_for(&outcome, req.fail_on_miss))
}
