//! One problem found in a config: what is wrong, where, and how to fix it.

use std::fmt;
use std::ops::Range;

use crate::time::TimeError;

/// Whether a problem stops the config from being used.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Severity {
    /// The config is usable; the user should still look (exit 0).
    Warning,
    /// The config is rejected (exit 2).
    Error,
}

/// What is wrong, with the context a user needs to fix it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file is not valid TOML.
    #[error("TOML syntax: {0}")]
    Syntax(String),
    /// The file is not UTF-8 text (a binary file, or another encoding).
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    /// A key rtlab does not know.
    #[error("unknown key `{key}` in {table}")]
    UnknownKey {
        /// The key as written.
        key: String,
        /// Where it was found, e.g. `[scheduler]` or `[[task]] \"sensor\"`.
        table: String,
    },
    /// A required key is absent.
    #[error("missing required key `{key}` in {table}")]
    MissingKey {
        /// The key that is needed.
        key: String,
        /// The table that lacks it.
        table: String,
    },
    /// A value of the wrong TOML type.
    #[error("`{key}` must be {expected}, found {found}")]
    WrongType {
        /// The key (dotted path from its table).
        key: String,
        /// What was expected, e.g. `a string with a unit such as "4ms"`.
        expected: String,
        /// The TOML type found.
        found: String,
    },
    /// A duration string that does not parse.
    #[error("`{key}`: {error}")]
    BadDuration {
        /// The key.
        key: String,
        /// Why the text is not a duration.
        error: TimeError,
    },
    /// A value of the right type but outside what is allowed.
    #[error("`{key}` {message}")]
    BadValue {
        /// The key.
        key: String,
        /// What is wrong with the value, e.g. `must be greater than 0`.
        message: String,
    },
    /// A value that another enum key takes, written at this one
    /// (`policy = "rate-monotonic"`).
    #[error(
        "`{value}` is a value of {}, not `{key}`; `{}` takes {}",
        quoted(owners),
        key.rsplit('.').next().unwrap_or(key),
        choices.join(", ")
    )]
    ValueOfOtherKey {
        /// The value, as the keys spell it.
        value: String,
        /// The key it was written at, as a dotted path (`scheduler.policy`).
        key: String,
        /// The keys that take it, as dotted paths.
        owners: Vec<String>,
        /// The values the key written takes.
        choices: Vec<String>,
    },
    /// Two items share a name.
    #[error("duplicate {what} name `{name}`")]
    DuplicateName {
        /// `task` or `variant`.
        what: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A task's CPU is not in `platform.cpus`.
    #[error("task `{task}` is placed on CPU {cpu}, which is not in platform.cpus {platform:?}")]
    UnknownCpu {
        /// The task.
        task: String,
        /// The CPU it names.
        cpu: u64,
        /// The platform's CPUs.
        platform: Vec<u32>,
    },
    /// `wcet` exceeds the deadline: the task can never meet it.
    #[error("task `{task}`: wcet {wcet} is longer than its deadline {deadline}")]
    WcetExceedsDeadline {
        /// The task.
        task: String,
        /// Its WCET, as a duration string.
        wcet: String,
        /// Its deadline, as a duration string.
        deadline: String,
    },
    /// A critical section ends after the WCET.
    #[error("task `{task}`: section on `{resource}` ends at {end}, after the wcet {wcet}")]
    SectionDoesNotFit {
        /// The task.
        task: String,
        /// The section's resource.
        resource: String,
        /// `after + hold`.
        end: String,
        /// The task's WCET.
        wcet: String,
    },
    /// Two sections of one task overlap without one containing the other.
    #[error("task `{task}`: sections on `{a}` and `{b}` overlap without nesting")]
    SectionsOverlap {
        /// The task.
        task: String,
        /// First resource.
        a: String,
        /// Second resource.
        b: String,
    },
    /// `scheduler.priorities = "explicit"` and a task has no priority.
    #[error("task `{task}` has no `priority`, but scheduler.priorities is \"explicit\"")]
    MissingPriority {
        /// The task.
        task: String,
    },
    /// A problem found only after a variant's overrides were applied.
    #[error("variant `{variant}`: {problem}")]
    InVariant {
        /// The variant's name.
        variant: String,
        /// What is wrong in it.
        problem: Box<ProblemKind>,
    },
    /// A situation that is allowed but deserves attention.
    #[error("{0}")]
    Notice(String),
}

/// A located problem in a config file.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Error (rejects the config) or warning.
    pub severity: Severity,
    /// What is wrong.
    pub kind: ProblemKind,
    /// Byte range in the source that the problem points at.
    pub span: Range<usize>,
    /// How to fix it, where that is obvious.
    pub hint: Option<String>,
}

impl Problem {
    /// An error at `span`.
    pub fn error(kind: ProblemKind, span: Range<usize>) -> Self {
        Problem {
            severity: Severity::Error,
            kind,
            span,
            hint: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(message: impl Into<String>, span: Range<usize>) -> Self {
        Problem {
            severity: Severity::Warning,
            kind: ProblemKind::Notice(message.into()),
            span,
            hint: None,
        }
    }

    /// The same problem with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// True for errors (as opposed to warnings).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

/// Dotted paths as a message lists them: `` `a` and `b` ``.
fn quoted(paths: &[String]) -> String {
    paths
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(" and ")
}
