//! A run as a report sees it: a label, the result, and the timeline windows
//! if the result directory has them.

use std::path::{Path, PathBuf};

use rtlab_tasks::outcome::window::Window;
use rtlab_tasks::outcome::{Engine, Outcome};

use crate::ReportError;
use crate::export::result::read_result;
use crate::export::window::read_window;

/// One result shown in a report.
#[derive(Clone, Debug)]
pub struct RunView {
    /// How the report names the run: config, variant and engine, e.g.
    /// `pathfinder · inherit · live`.
    pub label: String,
    /// Where it was read from.
    pub dir: PathBuf,
    /// The result.
    pub outcome: Outcome,
    /// Its timeline windows (the first stretch of its events, and those
    /// around each task's worst miss), if recorded.
    pub window: Option<Window>,
}

impl RunView {
    /// Reads `dir/result.json` (and `dir/window.json` if present).
    pub fn read(dir: &Path) -> Result<RunView, ReportError> {
        let outcome = read_result(dir)?;
        let window = read_window(dir)?;
        Ok(RunView {
            label: label(&outcome),
            dir: dir.to_path_buf(),
            outcome,
            window,
        })
    }

    /// The config's name.
    pub fn config_name(&self) -> &str {
        self.outcome.config["name"].as_str().unwrap_or("?")
    }

    /// `simulation` or `live`.
    pub fn engine(&self) -> &'static str {
        match self.outcome.engine {
            Engine::Simulation => "simulation",
            Engine::Live => "live",
        }
    }
}

/// `config · variant · engine` (the variant only when there is one).
pub fn label(outcome: &Outcome) -> String {
    let name = outcome.config["name"].as_str().unwrap_or("?");
    let engine = match outcome.engine {
        Engine::Simulation => "simulation",
        Engine::Live => "live",
    };
    match &outcome.variant {
        Some(v) => format!("{name} · {v} · {engine}"),
        None => format!("{name} · {engine}"),
    }
}
