//! How a command ends: its exit status ([`Exit`], the codes of design.md)
//! and why it failed ([`CliError`]).

use std::path::PathBuf;
use std::process::ExitCode;

use rtlab_reports::ReportError;
use rtlab_sim::live::LiveError;
use rtlab_tasks::config::{ConfigError, edit::EditError};

/// An exit status of `rtlab`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Everything went as asked.
    Success,
    /// The run itself failed (I/O, an engine failure).
    Failure,
    /// Bad input: a config or the arguments.
    BadInput,
    /// A deadline was missed and `--fail-on-miss` was given.
    Missed,
    /// Interrupted by Ctrl-C or SIGTERM (after writing partial results).
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(match e {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::BadInput => 2,
            Exit::Missed => 3,
            Exit::Interrupted => 130,
        })
    }
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A config could not be loaded (already located, rendered by
    /// the CLI's diagnostics).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Bad arguments that clap could not catch.
    #[error("{0}")]
    Usage(String),
    /// An I/O failure on a named path.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Writing to standard output failed.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    /// An edit of a config produced a config that does not validate.
    #[error(transparent)]
    Edit(#[from] EditError),
    /// Writing or reading result files failed.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The live run could not be set up.
    #[error(transparent)]
    Live(#[from] LiveError),
}

impl CliError {
    /// The exit status this error ends the command with.
    pub(crate) fn exit(&self) -> Exit {
        match self {
            // A config that cannot be read is a bad argument, like one
            // that does not validate: exit 2 either way.
            CliError::Config(_) | CliError::Usage(_) => Exit::BadInput,
            CliError::Io { .. }
            | CliError::Stdout(_)
            | CliError::Edit(_)
            | CliError::Report(_)
            | CliError::Live(_) => Exit::Failure,
        }
    }
}
