//! `rtlab init [TEMPLATE] [--out FILE]`: write a commented starter config.
//!
//! The templates are the configs shipped in `configs/`, compiled into the
//! binary, so `init` works anywhere.

use std::path::Path;

use super::{CliError, Exit, print, write_atomic};

/// `(name, what it teaches, text)` of every template; the first is the
/// default.
pub(super) const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "starter",
        "every key with its default and meaning",
        include_str!("../../../configs/starter.toml"),
    ),
    (
        "demo",
        "priorities by importance miss; rate-monotonic fixes it",
        include_str!("../../../configs/demo.toml"),
    ),
    (
        "rm-textbook",
        "three tasks under RM: utilization bounds vs exact RTA",
        include_str!("../../../configs/rm-textbook.toml"),
    ),
    (
        "rm-vs-edf",
        "schedulable under EDF, not under RM",
        include_str!("../../../configs/rm-vs-edf.toml"),
    ),
    (
        "pathfinder",
        "priority inversion and its cures (inherit, ceiling)",
        include_str!("../../../configs/pathfinder.toml"),
    ),
    (
        "overload",
        "U > 1: how FP and EDF degrade",
        include_str!("../../../configs/overload.toml"),
    ),
    (
        "two-cores",
        "partitioned vs global on two CPUs (Dhall effect)",
        include_str!("../../../configs/two-cores.toml"),
    ),
    (
        "jitter-under-load",
        "wake-up latency under load, with and without SCHED_FIFO",
        include_str!("../../../configs/jitter-under-load.toml"),
    ),
];

/// The text of a template by name.
pub(super) fn template(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, t)| *t)
}

/// Writes the template to `out` (never overwriting) or standard output.
pub(super) fn run(name: Option<&str>, out: Option<&Path>, list: bool) -> Result<Exit, CliError> {
    if list {
        let width = TEMPLATES.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
        let mut text = String::new();
        for (n, what, _) in TEMPLATES {
            text.push_str(&format!("{n:width$}  {what}\n"));
        }
        print(&text)?;
        return Ok(Exit::Success);
    }
    let name = name.unwrap_or(TEMPLATES[0].0);
    let Some(text) = template(name) else {
        let names: Vec<&str> = TEMPLATES.iter().map(|(n, _, _)| *n).collect();
        return Err(CliError::Usage(format!(
            "no template named `{name}`; templates: {}",
            names.join(", ")
        )));
    };
    match out {
        None => print(text)?,
        Some(path) => {
            if path.exists() {
                return Err(CliError::Usage(format!(
                    "{} exists; rtlab init never overwrites a file",
                    path.display()
                )));
            }
            write_atomic(path, text.as_bytes())?;
            eprintln!(
                "wrote {} (template `{name}`); next: rtlab check {}",
                path.display(),
                path.display()
            );
        }
    }
    Ok(Exit::Success)
}
