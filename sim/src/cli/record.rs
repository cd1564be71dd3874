//! Recording a run: the engine's job events go to the window kept for the
//! report's timeline (and with `--trace` to `trace.json` too), then the
//! result directory is written. Shared by `simulate`, `run`, `compare` and
//! the demo.

use std::path::Path;

use rtlab_reports::export::perfetto::{PerfettoWriter, TRACE_FILE};
use rtlab_reports::export::result::write_result_dir;
use rtlab_reports::export::window::write_window;
use rtlab_tasks::model::System;
use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::outcome::trace::TraceSink;
use rtlab_tasks::outcome::window::{WindowSink, window_length};

use super::CliError;

/// What an engine hands back: the result and the trace events it lost.
pub(super) type EngineRun = Result<(Outcome, u64), CliError>;

/// Runs `engine` (labelled `label` in the trace) on `system` for `length_ns`
/// with its events recorded, and writes `dir`.
pub(super) fn record(
    system: &System,
    variant: Option<&str>,
    dir: &Path,
    trace: bool,
    label: &str,
    length_ns: u64,
    engine: impl FnOnce(&mut dyn TraceSink) -> EngineRun,
) -> Result<Outcome, CliError> {
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut writer = if trace {
        Some(PerfettoWriter::create(
            &dir.join(TRACE_FILE),
            system,
            label,
        )?)
    } else {
        None
    };
    let inner = writer.as_mut().map(|w| w as &mut dyn TraceSink);
    let mut window = WindowSink::new(system, window_length(system, length_ns), inner);
    let result = engine(&mut window);
    let window = window.into_window();
    let (mut outcome, dropped) = result?;
    outcome.variant = variant.map(str::to_string);
    if let Some(w) = writer {
        let file = w.finish_at(outcome.duration_ns)?;
        outcome.trace = Some(file.summary(dropped));
    }
    write_window(dir, &window)?;
    write_result_dir(dir, &outcome)?;
    Ok(outcome)
}
