//! `rtlab check CONFIG...`: validate, report every problem, exit 0 or 2.

use std::path::PathBuf;

use rtlab_tasks::config;

use super::diagnostics;
use super::error::{CliError, Exit};

/// Checks each config; exit 2 if any has an error (all are checked).
pub(super) fn run(paths: &[PathBuf]) -> Result<Exit, CliError> {
    let mut exit = Exit::Success;
    for path in paths {
        match config::load_file(path) {
            Ok(loaded) => {
                diagnostics::report_warnings(&loaded);
                let s = &loaded.system;
                let variants = match loaded.variants.len() {
                    0 => String::new(),
                    1 => ", 1 variant".to_string(),
                    n => format!(", {n} variants"),
                };
                let warnings = match loaded.warnings.len() {
                    0 => String::new(),
                    1 => ", 1 warning".to_string(),
                    n => format!(", {n} warnings"),
                };
                println!(
                    "ok: {} ({}: {} task{}, {}{variants}{warnings})",
                    path.display(),
                    s.name,
                    s.tasks.len(),
                    if s.tasks.len() == 1 { "" } else { "s" },
                    s.scheduler.policy.as_str(),
                );
            }
            Err(e) => {
                let e = CliError::from(e);
                diagnostics::report_error(&e);
                exit = match (exit, e.exit()) {
                    (Exit::BadInput, _) | (_, Exit::BadInput) => Exit::BadInput,
                    (_, other) => other,
                };
            }
        }
    }
    Ok(exit)
}
