//! What can go wrong while writing or reading reports.

use std::path::PathBuf;

use rtlab_tasks::outcome::metrics::MetricError;

/// Why a report or an export could not be written or read.
///
/// Every variant that touches the file system names its path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A file or directory could not be created, written, renamed or read.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, as a verb phrase ("write", "create directory").
        action: &'static str,
        /// The file or directory the user asked for (not a temporary name).
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A result file is not JSON, or not shaped like an `rtlab.result/v1`
    /// document.
    #[error("{} is not a readable result file: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error (with line and column).
        source: serde_json::Error,
    },
    /// A JSON file was read, but it is another kind of document.
    #[error("{} has schema {found}, expected \"{expected}\"", path.display())]
    Schema {
        /// The file.
        path: PathBuf,
        /// The `schema` value found (quoted), or `no "schema" field`.
        found: String,
        /// The schema this reader understands.
        expected: &'static str,
    },
    /// A result could not be turned into JSON.
    #[error("cannot serialize the result: {0}")]
    Serialize(#[source] serde_json::Error),
    /// A metric's histogram (base64 HdrHistogram V2) does not decode.
    #[error("task `{task}`, metric {metric}: {source}")]
    Metric {
        /// The task.
        task: String,
        /// The metric (`response_time`, ...).
        metric: &'static str,
        /// What is wrong with the histogram.
        source: MetricError,
    },
    /// A task name that cannot name a result file (it would leave the
    /// directory or hide the file).
    #[error(
        "task name {name:?} cannot name a result file: use letters, digits, '-', '_' or '.' \
         (not starting with '.')"
    )]
    TaskName {
        /// The offending name.
        name: String,
    },
    /// Two tasks of one result have the same name: their files would
    /// overwrite each other.
    #[error("two tasks are named `{name}`; their result files would collide")]
    DuplicateTask {
        /// The repeated name.
        name: String,
    },
    /// The HTML template could not be rendered (a bug in rtlab).
    #[error("cannot render the report page: {0}")]
    Template(String),
    /// A plot could not be drawn or written.
    #[error("cannot draw {}: {message}", path.display())]
    Plot {
        /// The image file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A `.hgrm` percentile distribution could not be read back.
    #[error("percentile distribution, line {line}: {message}")]
    Hgrm {
        /// 1-based line number.
        line: usize,
        /// What was expected there.
        message: String,
    },
}

impl ReportError {
    /// An I/O error on `path` while doing `action`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ReportError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
