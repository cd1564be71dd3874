//! `rtlab merge FILE.json... --out FILE`: adds up shards.
//!
//! - `sweep.json` shards of one sweep (`rtlab sweep --shard I/N`): counts,
//!   sums and histograms add; files of another sweep (any parameter
//!   differs), cut into another number of shards, or repeating a shard are
//!   refused. Beside `--out` go the CSV and the plots, named after it
//!   (`sweep.json` gives `sweep.csv`, `sweep.png`, `breakdown.png`).
//! - `result.json` files of one configuration (e.g. the same config
//!   simulated with several seeds): see
//!   `rtlab_tasks::outcome::Outcome::merge`. When `--out` is named
//!   `result.json` its directory gets the whole result set (summary.csv,
//!   .hgrm files).
//!
//! Mixed kinds, unknown schemas and mismatched files exit 2 with the file
//! named.

use std::path::Path;

use rtlab_reports::export::read_result;
use rtlab_reports::export::result::{RESULT_FILE, result_json, write_result_dir};
use rtlab_tasks::outcome::{Outcome, RESULT_SCHEMA};

use rtlab_sim::sweep::{SWEEP_SCHEMA, Sweep};

use super::error::{CliError, Exit};
use super::output::{print, write_atomic};
use super::sweep_output::{table, write_files};

/// One input file, read.
enum Input {
    Sweep(Box<Sweep>),
    Result(Box<Outcome>),
}

fn usage(path: &Path, what: impl std::fmt::Display) -> CliError {
    CliError::Usage(format!("{}: {what}", path.display()))
}

/// Reads a file and tells what it is by its `schema`.
fn read(path: &Path) -> Result<Input, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| usage(path, format!("not JSON: {e}")))?;
    match value.get("schema").and_then(serde_json::Value::as_str) {
        Some(SWEEP_SCHEMA) => serde_json::from_value(value)
            .map(|s| Input::Sweep(Box::new(s)))
            .map_err(|e| usage(path, format!("not a readable sweep document: {e}"))),
        Some(RESULT_SCHEMA) => read_result(path)
            .map(|o| Input::Result(Box::new(o)))
            .map_err(|e| usage(path, e)),
        Some(other) => Err(usage(
            path,
            format!(
                "schema \"{other}\" cannot be merged; expected {SWEEP_SCHEMA} or {RESULT_SCHEMA}"
            ),
        )),
        None => Err(usage(
            path,
            format!("no \"schema\" field; expected a {SWEEP_SCHEMA} or {RESULT_SCHEMA} file"),
        )),
    }
}

/// Merges `files` into `out`.
pub(super) fn run(files: &[std::path::PathBuf], out: &Path) -> Result<Exit, CliError> {
    let mut inputs = files.iter().map(|p| read(p).map(|i| (p, i)));
    let Some(first) = inputs.next() else {
        return Err(CliError::Usage("nothing to merge".into()));
    };
    let (first_path, first) = first?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| CliError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    match first {
        Input::Sweep(mut merged) => {
            for next in inputs {
                let (path, input) = next?;
                let Input::Sweep(s) = input else {
                    return Err(usage(
                        path,
                        format!("is a result, but {} is a sweep", first_path.display()),
                    ));
                };
                merged.merge(&s).map_err(|e| usage(path, e))?;
            }
            let stem = out
                .file_stem()
                .map_or_else(|| "sweep".to_string(), |s| s.to_string_lossy().into_owned());
            let mut written = write_files(dir, &stem, &merged)?;
            let json = dir.join(format!("{stem}.json"));
            if json != out {
                write_atomic(out, merged.json().as_bytes())?;
                written.insert(0, out.to_path_buf());
            }
            let mut text = table(&merged);
            for p in written {
                text.push_str(&format!("wrote {}\n", p.display()));
            }
            print(&text)?;
        }
        Input::Result(mut merged) => {
            for next in inputs {
                let (path, input) = next?;
                let Input::Result(r) = input else {
                    return Err(usage(
                        path,
                        format!("is a sweep, but {} is a result", first_path.display()),
                    ));
                };
                merged.merge(&r).map_err(|e| usage(path, e))?;
            }
            if out.file_name().is_some_and(|n| n == RESULT_FILE) {
                write_result_dir(dir, &merged)?;
            } else {
                write_atomic(out, &result_json(&merged)?)?;
            }
            let jobs: u64 = merged.tasks.iter().map(|t| t.jobs).sum();
            print(&format!(
                "merged {} results of `{}`: {} jobs, {} deadline misses\nwrote {}\n",
                files.len(),
                merged
                    .config
                    .get("name")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("?"),
                jobs,
                merged.deadline_misses(),
                out.display()
            ))?;
        }
    }
    Ok(Exit::Success)
}
