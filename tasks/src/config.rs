//! Reading a TOML config into a validated [`System`].
//!
//! Loading runs in three passes and reports **every** problem of a file, each
//! located by a byte span that [`Source::location`] turns into `line:column`:
//!
//! 1. text: the bytes must be UTF-8 and valid TOML (all syntax errors the
//!    parser can recover from are reported together);
//! 2. reading (`config/raw.rs`): every key is known, every value has the right type
//!    and unit;
//! 3. validation (`config/validate.rs`): defaults, cross-field rules (`wcet <=
//!    deadline`, CPUs in the platform, sections inside the WCET, priorities
//!    under `explicit`...), automatic partitioning (`config/partition.rs`) and
//!    priority assignment.
//!
//! Then each `[[variant]]` (`config/variant.rs`) is applied to the parsed tree and
//! goes through passes 2 and 3 again; its problems are reported once, as the
//! variant's, and only when the base config does not already have them.
//!
//! Warnings (a deadline longer than the period, a possible lock-order
//! deadlock, ignored keys) never make loading fail; they travel in
//! [`Loaded::warnings`].

mod choices;
pub mod edit;
mod locate;
mod normalize;
mod problem;
mod raw;
mod reader;
mod source;
mod validate;
mod variant;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::de::DeTable;

pub use crate::model::partition::worst_fit;
pub use locate::{cpu_span, key_span};
pub use normalize::normalized;
pub use problem::{Problem, ProblemKind, Severity};
pub use source::{Location, Source};

use crate::model::System;

/// A config that loaded: the base system, its variants and any warnings.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The file's text, for locating warnings.
    pub source: Arc<Source>,
    /// The base configuration.
    pub system: System,
    /// The `[[variant]]`s, in file order, each fully validated.
    pub variants: Vec<Variant>,
    /// Warnings of the base config and of the variants, in file order.
    pub warnings: Vec<Problem>,
}

/// One `[[variant]]`: the base config with overrides applied.
#[derive(Clone, Debug)]
pub struct Variant {
    /// The variant's name (`[a-z0-9-]+`).
    pub name: String,
    /// Its description, if any.
    pub description: String,
    /// The overrides as written: dotted path and value text.
    pub overrides: Vec<(String, String)>,
    /// The resulting system.
    pub system: System,
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {}: {source}", path.display())]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file was read and has problems (at least one error).
    #[error("{} in {}", count(problems), file.name())]
    Invalid {
        /// The file, for locating the problems.
        file: Arc<Source>,
        /// Every error and warning, in file order.
        problems: Vec<Problem>,
    },
}

fn count(problems: &[Problem]) -> String {
    let n = problems.iter().filter(|p| p.is_error()).count();
    if n == 1 {
        "1 error".to_string()
    } else {
        format!("{n} errors")
    }
}

impl ConfigError {
    /// The problems and the file they point into (`None` for I/O errors).
    pub fn problems(&self) -> Option<(&Arc<Source>, &[Problem])> {
        match self {
            ConfigError::Invalid { file, problems } => Some((file, problems)),
            ConfigError::Io { .. } => None,
        }
    }
}

/// Formats a problem as one line, `file:line:col: error: message`, followed
/// by `  hint: ...` when there is a hint. This is the format of `rtlab
/// check` when its output is not a terminal, and the one editors parse.
pub fn render_plain(source: &Source, problem: &Problem) -> String {
    let at = source.location(problem.span.start);
    let level = match problem.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut line = format!("{}:{}: {level}: {problem}", source.name(), at);
    if let Some(hint) = &problem.hint {
        line.push_str("\n  hint: ");
        line.push_str(hint);
    }
    line
}

/// Reads and validates the config file at `path`; errors cite the path as
/// given.
pub fn load_file(path: &Path) -> Result<Loaded, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_bytes(&bytes, &path.display().to_string())
}

/// Validates config text; `name` is how errors cite it.
pub fn load_str(text: &str, name: &str) -> Result<Loaded, ConfigError> {
    load_source(Arc::new(Source::new(name, text)))
}

/// Validates config bytes, which must be UTF-8; `name` is how errors cite it.
pub fn load_bytes(bytes: &[u8], name: &str) -> Result<Loaded, ConfigError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(text, name),
        Err(e) => {
            // Show the valid prefix so that the location makes sense.
            let valid = String::from_utf8_lossy(bytes).into_owned();
            let file = Arc::new(Source::new(name, valid));
            let at = e.valid_up_to();
            Err(ConfigError::Invalid {
                problems: vec![
                    Problem::error(ProblemKind::NotUtf8, at..at + 1).with_hint(
                        "a config is a TOML text file in UTF-8; is this the right file?",
                    ),
                ],
                file,
            })
        }
    }
}

/// Runs the three passes over the base config and each variant; the
/// problems of all, sorted by place, or the loaded config when none is an
/// error.
fn load_source(file: Arc<Source>) -> Result<Loaded, ConfigError> {
    let mut problems = Vec::new();
    let (root, syntax) = DeTable::parse_recoverable(file.text());
    if !syntax.is_empty() {
        for e in syntax {
            let span = e.span().unwrap_or(0..0);
            problems.push(Problem::error(
                ProblemKind::Syntax(e.message().trim().to_string()),
                span,
            ));
        }
        return Err(invalid(file, problems));
    }
    let span = root.span();
    let root = root.into_inner();

    let raw = raw::read(&root, span.clone(), &mut problems);
    let system = validate::validate(&raw, &mut problems);
    let raw_variants = variant::read(&root, span.clone(), &mut problems);

    let base_problems = problems.clone();
    let mut variants = Vec::new();
    for rv in &raw_variants {
        if let Some(v) = load_variant(
            &file,
            &root,
            span.clone(),
            rv,
            &base_problems,
            &mut problems,
        ) {
            variants.push(v);
        }
    }

    problems.sort_by_key(|p| (p.span.start, std::cmp::Reverse(p.severity)));
    problems.dedup();
    match system {
        Some(system) if !problems.iter().any(Problem::is_error) => Ok(Loaded {
            source: file,
            system,
            variants,
            warnings: problems,
        }),
        _ => Err(invalid(file, problems)),
    }
}

/// Applies one `[[variant]]` to the parsed tree and runs passes 2 and 3 on
/// the result: its problems that the base does not have go to `problems`,
/// as the variant's; the variant, when it has a name and a valid system.
fn load_variant<'i>(
    file: &Source,
    root: &DeTable<'i>,
    span: std::ops::Range<usize>,
    rv: &variant::RawVariant<'_, 'i>,
    base_problems: &[Problem],
    problems: &mut Vec<Problem>,
) -> Option<Variant> {
    let mut own = Vec::new();
    let tree = variant::apply(root, rv, &mut own);
    let vraw = raw::read(&tree, span, &mut own);
    let vsystem = validate::validate(&vraw, &mut own);
    let vname = rv
        .name
        .as_ref()
        .map_or_else(|| "?".to_string(), |n| n.value.clone());
    let in_overrides = |span: &std::ops::Range<usize>| {
        rv.set.iter().any(|(key, value)| {
            let v = value.span();
            (key.span.start <= span.start && span.end <= key.span.end)
                || (v.start <= span.start && span.end <= v.end)
        })
    };
    for p in own {
        // Errors always count; a warning counts only when an override
        // caused it where it stands (not, say, the base's explicit
        // priorities becoming unused under a derived order).
        if base_problems.contains(&p) || (!p.is_error() && !in_overrides(&p.span)) {
            continue;
        }
        problems.push(Problem {
            kind: ProblemKind::InVariant {
                variant: vname.clone(),
                problem: Box::new(p.kind),
            },
            ..p
        });
    }
    let (system, name) = (vsystem?, rv.name.as_ref()?);
    Some(Variant {
        name: name.value.clone(),
        description: rv
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_default(),
        overrides: rv
            .set
            .iter()
            .map(|(path, value)| {
                let text = file
                    .text()
                    .get(file.clamp(value.span()))
                    .unwrap_or("")
                    .to_string();
                (path.value.clone(), text)
            })
            .collect(),
        system,
    })
}

fn invalid(file: Arc<Source>, problems: Vec<Problem>) -> ConfigError {
    ConfigError::Invalid { file, problems }
}

#[cfg(test)]
mod tests;
