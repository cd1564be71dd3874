//! Typed, located access to a parsed TOML table that records every problem
//! instead of stopping at the first.
//!
//! The parser gives a tree of values with byte spans (`toml::de::DeTable`).
//! A [`TableReader`] reads one table of it: each accessor returns the value
//! with its span, or records a located [`Problem`] (wrong type, bad unit,
//! value not among the choices) and returns `None`, so that the caller goes
//! on and every problem of a file is reported in one pass.

pub(crate) mod suggest;

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use super::problem::{Problem, ProblemKind};
use crate::time::{Duration, TimeError};
use suggest::{bad_choice, did_you_mean};

/// A value and the byte range of the text it was read from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sp<T> {
    pub(crate) value: T,
    pub(crate) span: Range<usize>,
}

impl<T> Sp<T> {
    pub(crate) fn new(value: T, span: Range<usize>) -> Self {
        Sp { value, span }
    }
}

/// The problems found so far.
pub(crate) type Problems = Vec<Problem>;

/// The keys a table writes, whatever their values: a key written with a
/// value that could not be read is reported as such, never also as
/// missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Written(Vec<String>);

impl Written {
    /// True when the table writes `key`.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|k| k == key)
    }
}

/// One TOML table being read, with a human label for messages.
pub(crate) struct TableReader<'a, 'i> {
    table: &'a DeTable<'i>,
    span: Range<usize>,
    label: String,
    known: &'static [&'static str],
}

/// How a TOML value's type is named in messages.
pub(crate) fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

pub(crate) fn wrong_type(key: &str, expected: &str, v: &Spanned<DeValue<'_>>) -> Problem {
    Problem::error(
        ProblemKind::WrongType {
            key: key.to_string(),
            expected: expected.to_string(),
            found: type_name(v.get_ref()).to_string(),
        },
        v.span(),
    )
}

/// An integer value, if it is one and fits in `i64`.
pub(crate) fn as_i64(value: &DeValue<'_>) -> Option<i64> {
    let int = value.as_integer()?;
    i64::from_str_radix(int.as_str(), int.radix()).ok()
}

impl<'a, 'i> TableReader<'a, 'i> {
    /// Reads `table` (spanning `span`), labelled e.g. `[scheduler]`, whose
    /// allowed keys are `known`.
    pub(crate) fn new(
        table: &'a DeTable<'i>,
        span: Range<usize>,
        label: impl Into<String>,
        known: &'static [&'static str],
    ) -> Self {
        TableReader {
            table,
            span,
            label: label.into(),
            known,
        }
    }

    /// The span of the whole table (where a missing key is reported).
    pub(crate) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The label used in messages.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// The keys this table writes.
    pub(crate) fn written(&self) -> Written {
        Written(
            self.table
                .iter()
                .map(|(k, _)| k.get_ref().to_string())
                .collect(),
        )
    }

    /// Records every key that is not among the known ones.
    pub(crate) fn check_unknown(&self, out: &mut Problems) {
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref();
            if !self.known.contains(&name) {
                let mut p = Problem::error(
                    ProblemKind::UnknownKey {
                        key: name.to_string(),
                        table: self.label.clone(),
                    },
                    key.span(),
                );
                p = match did_you_mean(name, self.known) {
                    Some(near) => p.with_hint(format!("did you mean `{near}`?")),
                    None => p.with_hint(format!("known keys here: {}", self.known.join(", "))),
                };
                out.push(p);
            }
        }
    }

    /// The raw value of `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
        self.table
            .iter()
            .find(|(k, _)| {
                let k: &str = k.get_ref();
                k == key
            })
            .map(|(_, v)| v)
    }

    /// Records that a required key is missing.
    pub(crate) fn missing(&self, key: &str, hint: Option<&str>, out: &mut Problems) {
        let mut p = Problem::error(
            ProblemKind::MissingKey {
                key: key.to_string(),
                table: self.label.clone(),
            },
            self.span.clone(),
        );
        if let Some(h) = hint {
            p = p.with_hint(h);
        }
        out.push(p);
    }

    /// A string value.
    pub(crate) fn string(&self, key: &str, out: &mut Problems) -> Option<Sp<String>> {
        let v = self.get(key)?;
        match v.get_ref().as_str() {
            Some(s) => Some(Sp::new(s.to_string(), v.span())),
            None => {
                out.push(wrong_type(key, "a string", v));
                None
            }
        }
    }

    /// A duration string such as `"1.5ms"`.
    pub(crate) fn duration(&self, key: &str, out: &mut Problems) -> Option<Sp<Duration>> {
        let v = self.get(key)?;
        read_duration(key, v, out)
    }

    /// An integer.
    pub(crate) fn integer(&self, key: &str, out: &mut Problems) -> Option<Sp<i64>> {
        let v = self.get(key)?;
        match as_i64(v.get_ref()) {
            Some(i) => Some(Sp::new(i, v.span())),
            None => {
                out.push(wrong_type(key, "an integer", v));
                None
            }
        }
    }

    /// A non-negative integer.
    pub(crate) fn unsigned(&self, key: &str, out: &mut Problems) -> Option<Sp<u64>> {
        let v = self.integer(key, out)?;
        match u64::try_from(v.value) {
            Ok(u) => Some(Sp::new(u, v.span)),
            Err(_) => {
                out.push(Problem::error(
                    ProblemKind::BadValue {
                        key: key.to_string(),
                        message: format!("must be at least 0, found {}", v.value),
                    },
                    v.span,
                ));
                None
            }
        }
    }

    /// A number (float or integer) that is finite.
    pub(crate) fn number(&self, key: &str, out: &mut Problems) -> Option<Sp<f64>> {
        let v = self.get(key)?;
        let parsed = match v.get_ref() {
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            DeValue::Integer(_) => as_i64(v.get_ref()).map(|i| i as f64),
            _ => None,
        };
        match parsed {
            Some(x) if x.is_finite() => Some(Sp::new(x, v.span())),
            _ => {
                out.push(wrong_type(key, "a finite number", v));
                None
            }
        }
    }

    /// A boolean.
    pub(crate) fn boolean(&self, key: &str, out: &mut Problems) -> Option<Sp<bool>> {
        let v = self.get(key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some(Sp::new(b, v.span())),
            None => {
                out.push(wrong_type(key, "true or false", v));
                None
            }
        }
    }

    /// One of a fixed set of strings, mapped to `T`, at the enum key whose
    /// dotted path is `path` (`scheduler.policy`; see
    /// [`super::choices::enum_keys`]).
    pub(crate) fn choice<T: Copy>(
        &self,
        path: &str,
        choices: &[(&'static str, T)],
        out: &mut Problems,
    ) -> Option<Sp<T>> {
        let key = path.rsplit('.').next().unwrap_or(path);
        let s = self.string(key, out)?;
        if let Some((_, t)) = choices.iter().find(|(name, _)| *name == s.value) {
            return Some(Sp::new(*t, s.span));
        }
        let names: Vec<&'static str> = choices.iter().map(|(n, _)| *n).collect();
        out.push(bad_choice(path, &s.value, &names, s.span));
        None
    }

    /// A sub-table (a `[header]` table or an inline table).
    pub(crate) fn table(
        &self,
        key: &str,
        label: impl Into<String>,
        known: &'static [&'static str],
        out: &mut Problems,
    ) -> Option<TableReader<'a, 'i>> {
        let v = self.get(key)?;
        match v.get_ref().as_table() {
            Some(t) => Some(TableReader::new(t, v.span(), label, known)),
            None => {
                out.push(wrong_type(key, "a table", v));
                None
            }
        }
    }

    /// An array.
    pub(crate) fn array(&self, key: &str, out: &mut Problems) -> Option<Sp<&'a DeArray<'i>>> {
        let v = self.get(key)?;
        match v.get_ref().as_array() {
            Some(a) => Some(Sp::new(a, v.span())),
            None => {
                out.push(wrong_type(key, "an array", v));
                None
            }
        }
    }
}

/// Reads a duration from a value, recording a located problem on failure.
pub(crate) fn read_duration(
    key: &str,
    v: &Spanned<DeValue<'_>>,
    out: &mut Problems,
) -> Option<Sp<Duration>> {
    match v.get_ref() {
        DeValue::String(s) => match s.parse::<Duration>() {
            Ok(d) => Some(Sp::new(d, v.span())),
            // Not "durations are at least 0": say the bound of this key.
            Err(TimeError::Negative(text)) => {
                out.push(Problem::error(
                    ProblemKind::BadValue {
                        key: key.to_string(),
                        message: format!("{}, found \"{text}\"", duration_floor(key)),
                    },
                    v.span(),
                ));
                None
            }
            Err(error) => {
                out.push(
                    Problem::error(
                        ProblemKind::BadDuration {
                            key: key.to_string(),
                            error,
                        },
                        v.span(),
                    )
                    .with_hint("durations are strings with a unit: \"800ns\", \"250us\", \"1.5ms\", \"2s\""),
                );
                None
            }
        },
        DeValue::Integer(_) | DeValue::Float(_) => {
            let text = match v.get_ref() {
                DeValue::Integer(i) => i.as_str().to_string(),
                DeValue::Float(f) => f.as_str().to_string(),
                _ => String::new(),
            };
            out.push(
                wrong_type(key, "a duration string with a unit", v).with_hint(format!(
                    "a number without a unit is ambiguous: write \"{text}ms\" or \"{text}us\""
                )),
            );
            None
        }
        _ => {
            out.push(wrong_type(
                key,
                "a duration string with a unit, such as \"4ms\"",
                v,
            ));
            None
        }
    }
}

/// The bound of a duration that must not be 0, as messages state it.
pub(crate) const POSITIVE: &str = "must be greater than 0";

/// The least value of the duration key `key`, as a message states it (for
/// a negative value, which the duration parser refuses before validation
/// sees it). The rules that hold it: `validate`'s `positive` (`duration`,
/// `quantum`, `period`, `wcet`, `deadline`) and the model's for sections
/// (`hold`) and execution models (`min`, `mean`, `low` > 0; `max` >= `min`,
/// `high` >= `low`); the other durations (`offset`, `release_jitter`,
/// `spin_tail`, `after`, `stddev`) may be 0.
pub(crate) fn duration_floor(key: &str) -> &'static str {
    match key {
        "duration" | "quantum" | "period" | "wcet" | "deadline" | "hold" | "min" | "mean"
        | "low" => POSITIVE,
        "max" => "must be at least `min`",
        "high" => "must be at least `low`",
        _ => "must be at least 0",
    }
}
