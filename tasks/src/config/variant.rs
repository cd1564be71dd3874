//! `[[variant]]`: the same config with dotted-path overrides.
//!
//! A variant's `set` table maps a dotted path to a value:
//!
//! ```toml
//! [[variant]]
//! name = "no-inheritance"
//! set = { "scheduler.locking" = "none", "task.telemetry.priority" = 5 }
//! ```
//!
//! Paths name tables and keys of the config (`scheduler.locking`,
//! `live.os_policy`, `duration`); a `[[task]]` is selected by its name
//! (`task.sensor.wcet`) or all at once with `*` (`task.*.release_jitter`),
//! a `[[load]]` by its index from 0 (`load.0.duty`). The override replaces
//! the value in the parsed tree, keeping the span of the override, and the
//! result is read and validated exactly like the base config, so a bad
//! override is reported at the line of the variant that made it.

use std::borrow::Cow;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::problem::{Problem, ProblemKind};
use super::raw::tables_of;
use super::reader::{Problems, Sp, TableReader};
use super::validate::check_config_name;

const VARIANT_KEYS: &[&str] = &["name", "description", "set"];

/// One `[[variant]]` as written.
pub(crate) struct RawVariant<'a, 'i> {
    pub(crate) name: Option<Sp<String>>,
    pub(crate) description: Option<Sp<String>>,
    pub(crate) set: Vec<(Sp<String>, &'a Spanned<DeValue<'i>>)>,
}

/// Reads every `[[variant]]` of the root table.
pub(crate) fn read<'a, 'i>(
    root: &'a DeTable<'i>,
    span: Range<usize>,
    out: &mut Problems,
) -> Vec<RawVariant<'a, 'i>> {
    let r = TableReader::new(root, span, "the top level", super::raw::ROOT_KEYS);
    let mut variants: Vec<RawVariant<'a, 'i>> = Vec::new();
    for (i, (table, vspan)) in tables_of(&r, "variant", "[[variant]]", out)
        .into_iter()
        .enumerate()
    {
        let Some(table) = table else { continue };
        let v = TableReader::new(
            table,
            vspan.clone(),
            format!("[[variant]] #{}", i + 1),
            VARIANT_KEYS,
        );
        v.check_unknown(out);
        let name = v.string("name", out);
        match &name {
            None if v.get("name").is_none() => v.missing(
                "name",
                Some("name the variant, e.g. name = \"no-inheritance\""),
                out,
            ),
            Some(n)
                if check_config_name(out, "name", n)
                    && variants
                        .iter()
                        .any(|p| p.name.as_ref().is_some_and(|p| p.value == n.value)) =>
            {
                out.push(Problem::error(
                    ProblemKind::DuplicateName {
                        what: "variant",
                        name: n.value.clone(),
                    },
                    n.span.clone(),
                ));
            }
            _ => {}
        }
        let mut set = Vec::new();
        match v.get("set").map(|s| (s, s.get_ref().as_table())) {
            None => v.missing(
                "set",
                Some("the overrides, e.g. set = { \"scheduler.locking\" = \"none\" }"),
                out,
            ),
            Some((s, None)) => out.push(Problem::error(
                ProblemKind::WrongType {
                    key: "set".into(),
                    expected: "a table of dotted paths and values".into(),
                    found: super::reader::type_name(s.get_ref()).into(),
                },
                s.span(),
            )),
            Some((s, Some(tv))) => {
                for (key, value) in tv.iter() {
                    let k: &str = key.get_ref();
                    set.push((Sp::new(k.to_string(), key.span()), value));
                }
                if set.is_empty() {
                    out.push(Problem::warning(
                        "this variant's `set` is empty: it is the base config again",
                        s.span(),
                    ));
                }
            }
        }
        variants.push(RawVariant {
            name,
            description: v.string("description", out),
            set,
        });
    }
    variants
}

/// The root table with the variant's overrides applied; path problems go
/// to `out`.
pub(crate) fn apply<'i>(
    root: &DeTable<'i>,
    variant: &RawVariant<'_, 'i>,
    out: &mut Problems,
) -> DeTable<'i> {
    let mut table = root.clone();
    // The variants themselves are not part of a variant's config.
    table.remove("variant");
    for (path, value) in &variant.set {
        let parts: Vec<&str> = path.value.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            out.push(
                Problem::error(
                    ProblemKind::BadValue {
                        key: path.value.clone(),
                        message: "is not a dotted path".into(),
                    },
                    path.span.clone(),
                )
                .with_hint("write paths such as \"scheduler.locking\" or \"task.sensor.wcet\""),
            );
            continue;
        }
        if parts[0] == "variant" {
            out.push(Problem::error(
                ProblemKind::BadValue {
                    key: path.value.clone(),
                    message: "cannot override variants from a variant".into(),
                },
                path.span.clone(),
            ));
            continue;
        }
        if let Err(message) = set_path(&mut table, &parts, &path.span, value) {
            out.push(
                Problem::error(
                    ProblemKind::BadValue {
                        key: path.value.clone(),
                        message,
                    },
                    path.span.clone(),
                )
                .with_hint("tasks are selected by name (\"task.sensor.wcet\") or all with \"task.*.wcet\"; loads by index (\"load.0.duty\")"),
            );
        }
    }
    table
}

fn set_path<'i>(
    table: &mut DeTable<'i>,
    parts: &[&str],
    key_span: &Range<usize>,
    value: &Spanned<DeValue<'i>>,
) -> Result<(), String> {
    let (head, rest) = match parts.split_first() {
        Some(split) => split,
        None => return Ok(()),
    };
    if rest.is_empty() {
        match table.get_mut(*head) {
            Some(slot) => *slot = value.clone(),
            None => {
                table.insert(
                    Spanned::new(key_span.clone(), Cow::Owned((*head).to_string())),
                    value.clone(),
                );
            }
        }
        return Ok(());
    }
    if table.get(*head).is_none() {
        table.insert(
            Spanned::new(key_span.clone(), Cow::Owned((*head).to_string())),
            Spanned::new(key_span.clone(), DeValue::Table(DeTable::new())),
        );
    }
    let Some(slot) = table.get_mut(*head) else {
        return Err(format!("cannot reach `{head}`"));
    };
    match slot.get_mut() {
        DeValue::Table(inner) => set_path(inner, rest, key_span, value),
        DeValue::Array(items) => {
            let (selector, rest) = rest
                .split_first()
                .ok_or_else(|| format!("`{head}` is an array: select an element"))?;
            if rest.is_empty() {
                return Err(format!("name a key of `{head}.{selector}` to set"));
            }
            let mut matched = 0;
            for (i, item) in items.iter_mut().enumerate() {
                let DeValue::Table(t) = item.get_mut() else {
                    continue;
                };
                let by_name = t.get("name").and_then(|n| n.get_ref().as_str()) == Some(*selector);
                let by_index = selector.parse::<usize>().ok() == Some(i);
                if *selector == "*" || by_name || (*head != "task" && by_index) {
                    set_path(t, rest, key_span, value)?;
                    matched += 1;
                }
            }
            if matched == 0 {
                Err(if *head == "task" {
                    format!("names no task: there is no [[task]] named `{selector}`")
                } else {
                    format!("selects nothing: `{head}` has no element `{selector}`")
                })
            } else {
                Ok(())
            }
        }
        other => Err(format!(
            "cannot set a key inside `{head}`, which is {}",
            super::reader::type_name(other)
        )),
    }
}
