//! A result directory: `result.json`, `summary.csv` and one `.hgrm` per
//! task and metric; with chains, `chain-<chain>.<metric>.hgrm` and
//! `chains.csv` too.
//!
//! [`write_result_dir`] writes the whole set; [`read_result`] reads
//! `result.json` back. Output is deterministic: the same [`Outcome`] gives
//! byte-identical files (struct fields in declaration order, tasks in
//! result order, floats in Rust's shortest round-trip form, no hash-map
//! iteration).

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rtlab_tasks::outcome::metrics::Metric;
use rtlab_tasks::outcome::{Outcome, RESULT_SCHEMA, TaskOutcome};
use serde::Deserialize;

use super::{AtomicFile, StagedDir, csv, hgrm};
use crate::ReportError;

/// File name of the result document in a result directory.
pub const RESULT_FILE: &str = "result.json";

/// File name of the per-task summary table in a result directory.
pub const SUMMARY_FILE: &str = "summary.csv";

/// File name of the per-chain table in a result directory (results with
/// chains only).
pub const CHAINS_FILE: &str = "chains.csv";

/// The chain metrics exported as `.hgrm` files: `end_to_end` always,
/// `data_age` for chains with a register link.
pub const CHAIN_METRICS: [&str; 2] = ["end_to_end", "data_age"];

/// The metrics exported as `.hgrm` files, in file order, as named in
/// `result.json` and in the file names.
pub const METRICS: [&str; 5] = [
    "response_time",
    "release_jitter",
    "start_delay",
    "tardiness",
    "blocking",
];

/// The files [`write_result_dir`] wrote, as paths inside the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenFiles {
    /// `result.json`.
    pub result: PathBuf,
    /// `summary.csv`.
    pub summary: PathBuf,
    /// `<task>.<metric>.hgrm`, by task in result order, then by metric in
    /// [`METRICS`] order.
    pub histograms: Vec<PathBuf>,
    /// `chain-<chain>.<metric>.hgrm` by chain in result order (see
    /// [`CHAIN_METRICS`]), then [`CHAINS_FILE`]; empty without chains.
    pub chains: Vec<PathBuf>,
}

impl WrittenFiles {
    /// Every file, in the order written: histograms, chain files,
    /// summary, result.
    pub fn all(&self) -> impl Iterator<Item = &Path> {
        self.histograms
            .iter()
            .chain(&self.chains)
            .chain([&self.summary, &self.result])
            .map(PathBuf::as_path)
    }
}

/// The task's metrics with their names, in [`METRICS`] order.
pub fn metrics(task: &TaskOutcome) -> [(&'static str, &Metric); 5] {
    [
        (METRICS[0], &task.response_time),
        (METRICS[1], &task.release_jitter),
        (METRICS[2], &task.start_delay),
        (METRICS[3], &task.tardiness),
        (METRICS[4], &task.blocking),
    ]
}

/// The file name of one task's metric: `<task>.<metric>.hgrm`.
pub fn hgrm_file_name(task: &str, metric: &str) -> String {
    format!("{task}.{metric}.hgrm")
}

/// The file name of one chain's metric: `chain-<chain>.<metric>.hgrm`
/// (a task's files end in one of [`METRICS`], never in a chain metric, so
/// the two never collide).
pub fn chain_hgrm_file_name(chain: &str, metric: &str) -> String {
    format!("chain-{chain}.{metric}.hgrm")
}

/// Writes each chain's `.hgrm` files and [`CHAINS_FILE`] into `dir`.
fn write_chain_files(dir: &Path, outcome: &Outcome) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    if outcome.chains.is_empty() {
        return Ok(written);
    }
    for c in &outcome.chains {
        let metrics = [
            (CHAIN_METRICS[0], Some(&c.end_to_end)),
            (CHAIN_METRICS[1], c.data_age.as_ref()),
        ];
        for (metric, m) in metrics {
            let Some(m) = m else { continue };
            let recorder = m.recorder().map_err(|source| ReportError::Metric {
                task: format!("chain {}", c.name),
                metric,
                source,
            })?;
            let path = dir.join(chain_hgrm_file_name(&c.name, metric));
            AtomicFile::write_with(&path, |out| hgrm::write(out, &recorder))?;
            written.push(path);
        }
    }
    let path = dir.join(CHAINS_FILE);
    AtomicFile::write_with(&path, |out| csv::write_chains(out, outcome))?;
    written.push(path);
    Ok(written)
}

/// `outcome` as `result.json` holds it: pretty-printed JSON (two-space
/// indent) with a trailing newline. The CLI prints the same bytes for
/// `--json`.
pub fn result_json(outcome: &Outcome) -> Result<Vec<u8>, ReportError> {
    let mut bytes = serde_json::to_vec_pretty(outcome).map_err(ReportError::Serialize)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `outcome` into `dir` (created with its parents if needed):
/// `<task>.<metric>.hgrm` for every task and every metric of [`METRICS`]
/// (an empty metric gets a valid empty distribution, so the file set only
/// depends on the task names), then [`SUMMARY_FILE`], then [`RESULT_FILE`]
/// last, so that a directory with a `result.json` is complete.
///
/// Each file goes to a temporary name in `dir` and is renamed into place.
/// Files of an earlier run in `dir` that this outcome does not produce
/// (other task names) are left alone.
///
/// # Errors
///
/// A task name that cannot name a file (see [`ReportError::TaskName`]),
/// two tasks with one name, a histogram that does not decode, or an I/O
/// error (naming the path). Nothing is written when a name is rejected.
pub fn write_result_dir(dir: &Path, outcome: &Outcome) -> Result<WrittenFiles, ReportError> {
    check_task_names(outcome)?;
    fs::create_dir_all(dir).map_err(|e| ReportError::io("create directory", dir, e))?;
    write_files(&StagedDir::in_place(dir), outcome)
}

/// [`write_result_dir`] into `dir`, which the caller commits. Into a
/// staging directory (see [`StagedDir`]), which no one else sees before
/// the commit, the `.hgrm` files are written under their own names.
/// Paths returned and named in errors are those after the commit.
///
/// # Errors
///
/// As [`write_result_dir`].
pub fn write_result_staged(
    dir: &StagedDir,
    outcome: &Outcome,
) -> Result<WrittenFiles, ReportError> {
    check_task_names(outcome)?;
    let written = write_files(dir, outcome).map_err(|e| dir.relocate(e))?;
    let at = |p: PathBuf| dir.dest_of(&p);
    Ok(WrittenFiles {
        result: at(written.result),
        summary: at(written.summary),
        histograms: written.histograms.into_iter().map(at).collect(),
        chains: written.chains.into_iter().map(at).collect(),
    })
}

/// The files of a result directory into `staged` (see
/// [`StagedDir::write_file`] for the `.hgrm` files).
fn write_files(staged: &StagedDir, outcome: &Outcome) -> Result<WrittenFiles, ReportError> {
    let dir = staged.path();
    let summary = dir.join(SUMMARY_FILE);
    let result = dir.join(RESULT_FILE);
    // The summary and the result document are rendered while the
    // histograms are written (on a 1000-task set each takes milliseconds),
    // and written after them: result.json stays the last file.
    let (histograms, rendered) = rayon::join(
        || write_task_histograms(staged, outcome),
        || {
            let mut table = Vec::new();
            csv::write_summary(&mut table, outcome)
                .map_err(|e| ReportError::io("write", &summary, e))?;
            Ok::<_, ReportError>((table, result_json(outcome)?))
        },
    );
    let histograms = histograms?;
    let chains = write_chain_files(dir, outcome)?;
    let (table, json) = rendered?;
    AtomicFile::write_bytes(&summary, &table)?;
    AtomicFile::write_bytes(&result, &json)?;
    Ok(WrittenFiles {
        result,
        summary,
        histograms,
        chains,
    })
}

/// Writes every task's `.hgrm` files into `staged`, in parallel (a 1000-task
/// result is 5000 files: decoding, rendering and the file system's work
/// for each, independent of the others). Returns their paths by task in
/// result order, then by metric; on failure, the error of the first
/// failing file in that order, whichever thread met it first, so the
/// error does not depend on scheduling.
fn write_task_histograms(
    staged: &StagedDir,
    outcome: &Outcome,
) -> Result<Vec<PathBuf>, ReportError> {
    let dir = staged.path();
    let files: Vec<(&TaskOutcome, &'static str, &Metric)> = outcome
        .tasks
        .iter()
        .flat_map(|task| metrics(task).map(|(metric, m)| (task, metric, m)))
        .collect();
    files
        .par_iter()
        // Enough files per piece of work to pay for handing it out.
        .with_min_len(16)
        .map(|&(task, metric, m)| {
            let recorder = m.recorder().map_err(|source| ReportError::Metric {
                task: task.name.clone(),
                metric,
                source,
            })?;
            let path = dir.join(hgrm_file_name(&task.name, metric));
            staged.write_file(&path, &hgrm::to_bytes(&recorder))?;
            Ok(path)
        })
        // Every file's outcome in order, then the first error in that
        // order: rayon's own collection into a `Result` returns
        // whichever error a thread met first.
        .collect::<Vec<Result<PathBuf, ReportError>>>()
        .into_iter()
        .collect()
}

/// Reads a result back: `path` is a `result.json` file or a result
/// directory holding one.
///
/// # Errors
///
/// An I/O error, text that is not JSON, a document whose `schema` is not
/// `rtlab.result/v1` (reported as such, before any other field is
/// checked), or a document with missing or mistyped fields.
pub fn read_result(path: &Path) -> Result<Outcome, ReportError> {
    let file = if path.is_dir() {
        path.join(RESULT_FILE)
    } else {
        path.to_path_buf()
    };
    let bytes = fs::read(&file).map_err(|e| ReportError::io("read", &file, e))?;
    check_schema(&file, &bytes)?;
    serde_json::from_slice(&bytes).map_err(|source| ReportError::Json { path: file, source })
}

/// Only the schema tag of a document (everything else is skipped).
#[derive(Deserialize)]
struct SchemaTag {
    schema: Option<serde_json::Value>,
}

/// Fails unless `bytes` is a JSON object whose `schema` is
/// [`RESULT_SCHEMA`].
fn check_schema(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let tag: SchemaTag = serde_json::from_slice(bytes).map_err(|source| ReportError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let found = match tag.schema {
        Some(serde_json::Value::String(s)) if s == RESULT_SCHEMA => return Ok(()),
        Some(v) => v.to_string(),
        None => "no \"schema\" field".to_string(),
    };
    Err(ReportError::Schema {
        path: path.to_path_buf(),
        found,
        expected: RESULT_SCHEMA,
    })
}

/// Rejects task names that would not stay one plain file name in the
/// directory, and duplicates. The config loader allows the same
/// characters; this guards results read from elsewhere.
fn check_task_names(outcome: &Outcome) -> Result<(), ReportError> {
    let mut seen = std::collections::BTreeSet::new();
    // Chains name files too (`chain-<name>.<metric>.hgrm`): the same rule,
    // in their own name space.
    let mut chains = std::collections::BTreeSet::new();
    for c in &outcome.chains {
        let usable = !c.name.is_empty()
            && c.name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
        if !usable || !chains.insert(c.name.as_str()) {
            return Err(ReportError::TaskName {
                name: format!("chain {}", c.name),
            });
        }
    }
    for task in &outcome.tasks {
        let name = &task.name;
        let usable = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !usable {
            return Err(ReportError::TaskName { name: name.clone() });
        }
        if !seen.insert(name.as_str()) {
            return Err(ReportError::DuplicateTask { name: name.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_json(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("result.json");
        fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn another_schema_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_json(dir.path(), r#"{"schema": "rtlab.sweep/v1", "points": []}"#);
        let err = read_result(&path).unwrap_err();
        assert!(matches!(err, ReportError::Schema { .. }));
        let text = err.to_string();
        assert!(
            text.contains("has schema \"rtlab.sweep/v1\", expected \"rtlab.result/v1\""),
            "{text}"
        );
    }

    #[test]
    fn a_missing_schema_is_named() {
        let dir = tempfile::tempdir().unwrap();
        write_json(dir.path(), r#"{"tasks": []}"#);
        // A directory is read through its result.json.
        let err = read_result(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("has schema no \"schema\" field"),
            "{err}"
        );
    }

    #[test]
    fn broken_json_and_missing_files_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_json(dir.path(), "{\"schema\": ");
        let err = read_result(&path).unwrap_err();
        assert!(matches!(err, ReportError::Json { .. }));
        assert!(
            err.to_string()
                .contains("result.json is not a readable result file"),
            "{err}"
        );
        let missing = dir.path().join("nope.json");
        let err = read_result(&missing).unwrap_err();
        assert!(err.to_string().starts_with("cannot read "), "{err}");
        assert!(err.to_string().contains("nope.json"), "{err}");
    }

    #[test]
    fn a_right_schema_with_wrong_fields_is_a_json_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_json(dir.path(), r#"{"schema": "rtlab.result/v1"}"#);
        let err = read_result(&path).unwrap_err();
        assert!(matches!(err, ReportError::Json { .. }), "{err}");
        assert!(err.to_string().contains("missing field"), "{err}");
    }
}
