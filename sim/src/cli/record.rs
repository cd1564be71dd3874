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

use rtlab_reports::export::result::result_json;

use super::summary::render;
use super::{CliError, Exit, print};

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

/// Shows a recorded run: the bytes of its `result.json` with `json`, else
/// the summary and where the result went.
pub(super) fn show(
    system: &System,
    outcome: &Outcome,
    dir: &Path,
    json: bool,
) -> Result<(), CliError> {
    if json {
        print(&String::from_utf8_lossy(&result_json(outcome)?))
    } else {
        let mut text = render(system, outcome);
        text.push_str(&format!("\nwrote {}\n", dir.join("result.json").display()));
        print(&text)
    }
}

/// The exit status of a recorded run: 1 when the tasks deadlocked (the
/// partial result is written), 130 when it was interrupted, 3 on a miss
/// with `--fail-on-miss`, else 0.
pub(super) fn exit_for(outcome: &Outcome, fail_on_miss: bool) -> Exit {
    if let Some(d) = &outcome.deadlock {
        eprintln!("rtlab: the tasks deadlocked: {d}");
        Exit::Failure
    } else if outcome.interrupted {
        Exit::Interrupted
    } else if fail_on_miss && outcome.deadline_misses() > 0 {
        Exit::Missed
    } else {
        Exit::Success
    }
}
