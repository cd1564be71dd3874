//! `rtlab analyze CONFIG [--variant NAME] [--json]`: schedulability tests
//! and per-task response-time bounds, as a table or `rtlab.analysis/v1`.

use std::path::Path;

use rtlab_tasks::analysis;
use rtlab_tasks::config::Loaded;

use super::analysis::render;
use super::error::{CliError, Exit};
use super::input::{load, select};
use super::output::print;

/// Analyses the base config or one variant.
pub(super) fn run(
    path: &Path,
    variant: Option<&str>,
    json: bool,
    fail_on_miss: bool,
) -> Result<Exit, CliError> {
    let loaded = load(path)?;
    let system = select(&loaded, variant)?;
    let report = analysis::analyze(system);
    if json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::Usage(format!("cannot serialize the analysis: {e}")))?;
        print(&(text + "\n"))?;
    } else {
        let mut text = render(system, &report);
        if variant.is_none() && !loaded.variants.is_empty() {
            text.push_str(&variants_summary(&loaded));
        }
        print(&text)?;
    }
    // A task that is not proven safe can miss: only a proof passes.
    Ok(if fail_on_miss && report.schedulable != Some(true) {
        eprintln!(
            "rtlab: --fail-on-miss: not every task is proven to meet its deadline ({}): {}",
            report.flagged.join(", "),
            report.reason
        );
        Exit::Missed
    } else {
        Exit::Success
    })
}

/// One line per variant with its verdict.
fn variants_summary(loaded: &Loaded) -> String {
    let mut out = String::from("\nvariants (rtlab analyze --variant NAME for details):\n");
    for v in &loaded.variants {
        let report = analysis::analyze(&v.system);
        let verdict = match report.schedulable {
            Some(true) => "schedulable".to_string(),
            Some(false) => {
                let n = report
                    .tasks
                    .iter()
                    .filter(|t| t.schedulable == Some(false))
                    .count();
                format!(
                    "NOT schedulable ({n} task{} can miss)",
                    if n == 1 { "" } else { "s" }
                )
            }
            None => "unknown".to_string(),
        };
        out.push_str(&format!("  {}: {verdict}\n", v.name));
    }
    out
}
