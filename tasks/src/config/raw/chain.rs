//! Pipelines as written: a task's `trigger` and `reads`, and the
//! `[[chain]]` tables.

use super::super::problem::{Problem, ProblemKind};
use super::super::reader::{Problems, Sp, TableReader, Written, type_name, wrong_type};
use super::tables_of;
use crate::time::Duration;

const CHAIN_KEYS: &[&str] = &["name", "tasks", "deadline"];

/// One `[[chain]]`.
#[derive(Debug)]
pub(crate) struct RawChain {
    pub(crate) written: Written,
    pub(crate) name: Option<Sp<String>>,
    pub(crate) tasks: Option<Sp<Vec<Sp<String>>>>,
    pub(crate) deadline: Option<Sp<Duration>>,
}

/// The `[[chain]]` tables.
pub(crate) fn read_chains(r: &TableReader<'_, '_>, out: &mut Problems) -> Vec<RawChain> {
    let mut chains = Vec::new();
    for (i, (table, span)) in tables_of(r, "chain", "[[chain]]", out)
        .into_iter()
        .enumerate()
    {
        let Some(t) = table else { continue };
        let c = TableReader::new(t, span, format!("[[chain]] #{}", i + 1), CHAIN_KEYS);
        c.check_unknown(out);
        let chain = RawChain {
            written: c.written(),
            name: c.string("name", out),
            tasks: string_list(&c, "tasks", out),
            deadline: c.duration("deadline", out),
        };
        if !chain.written.has("name") {
            c.missing(
                "name",
                Some("name the chain, e.g. name = \"camera-to-brake\""),
                out,
            );
        }
        if !chain.written.has("tasks") {
            c.missing(
                "tasks",
                Some("list its stages in order, e.g. tasks = [\"camera\", \"detect\", \"brake\"]"),
                out,
            );
        }
        chains.push(chain);
    }
    chains
}

/// A list of task names (`reads`, a chain's `tasks`).
pub(crate) fn string_list(
    r: &TableReader<'_, '_>,
    key: &str,
    out: &mut Problems,
) -> Option<Sp<Vec<Sp<String>>>> {
    let v = r.get(key)?;
    let Some(array) = v.get_ref().as_array() else {
        let hint = match v.get_ref().as_str() {
            Some(s) => format!("a list, even of one: write {key} = [\"{s}\"]"),
            None => format!("a list of task names, e.g. {key} = [\"sensor\"]"),
        };
        out.push(wrong_type(key, "an array of task names", v).with_hint(hint));
        return None;
    };
    let mut items = Vec::new();
    for item in array.iter() {
        match item.get_ref().as_str() {
            Some(s) => items.push(Sp::new(s.to_string(), item.span())),
            None => out.push(Problem::error(
                ProblemKind::WrongType {
                    key: key.to_string(),
                    expected: "an array of task names (strings)".to_string(),
                    found: format!("an element that is {}", type_name(item.get_ref())),
                },
                item.span(),
            )),
        }
    }
    Some(Sp::new(items, v.span()))
}
