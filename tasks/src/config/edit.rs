//! Rewriting a config file in place, keeping its comments and layout.
//!
//! Edits are splices of the original text at the spans the parser reports:
//! a value is replaced where it stands, a missing key is inserted on its own
//! line after the table's `name` line (or after the table header). The
//! result is loaded again before it is returned, so an edit can never
//! produce a file that does not validate.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::{ConfigError, Loaded, load_str};

/// Why an edit could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The original text does not parse (it should have been loaded first).
    #[error("the config does not parse: {0}")]
    Parse(String),
    /// A task named in the edit is not in the file.
    #[error("no [[task]] named `{0}` in the file")]
    NoSuchTask(String),
    /// The edited text failed validation (a bug in the edit, reported
    /// rather than written).
    #[error("the edited config does not validate")]
    Invalid(#[source] Box<ConfigError>),
}

/// One text replacement: `range` of the original becomes `text`.
struct Splice {
    range: Range<usize>,
    text: String,
}

/// Sets `scheduler.priorities = "explicit"` and each named task's
/// `priority`, returning the new text and its loaded form.
///
/// `priorities` pairs task names with priorities (higher = more urgent,
/// 1..=99). Tasks not listed keep their text.
pub fn set_priorities(
    text: &str,
    name: &str,
    priorities: &[(String, u32)],
) -> Result<(String, Loaded), EditError> {
    let root = DeTable::parse(text).map_err(|e| EditError::Parse(e.message().to_string()))?;
    let root_span = root.span();
    let root = root.into_inner();
    let mut splices = Vec::new();

    // [scheduler] priorities = "explicit"
    match root.get("scheduler").map(|s| (s.span(), s.get_ref())) {
        Some((span, DeValue::Table(sched))) => match sched.get("priorities") {
            Some(v) => splices.push(value_splice(text, v.span(), "\"explicit\"")),
            None => splices.push(insert_after_header(text, span, "priorities = \"explicit\"")),
        },
        _ => {
            // No [scheduler] table: add one before the first table header.
            let at = first_table_header(text).unwrap_or(root_span.end);
            splices.push(Splice {
                range: at..at,
                text: "[scheduler]\npriorities = \"explicit\"\n\n".into(),
            });
        }
    }

    let tasks = root
        .get("task")
        .and_then(|t| t.get_ref().as_array())
        .map(|a| a.iter().collect::<Vec<_>>())
        .unwrap_or_default();
    for (task_name, priority) in priorities {
        let task = tasks.iter().find_map(|t| {
            let table = t.get_ref().as_table()?;
            let n = table.get("name")?;
            (n.get_ref().as_str() == Some(task_name.as_str())).then_some((
                t.span(),
                table,
                n.span(),
            ))
        });
        let Some((tspan, table, name_span)) = task else {
            return Err(EditError::NoSuchTask(task_name.clone()));
        };
        match table.get("priority") {
            Some(v) => splices.push(value_splice(text, v.span(), &priority.to_string())),
            None => {
                let _ = tspan;
                splices.push(insert_line_after(
                    text,
                    name_span.end,
                    &format!("priority = {priority}"),
                ));
            }
        }
    }

    splices.sort_by_key(|s| std::cmp::Reverse(s.range.start));
    let mut out = text.to_string();
    for s in splices {
        out.replace_range(s.range, &s.text);
    }
    let loaded = load_str(&out, name).map_err(|e| EditError::Invalid(Box::new(e)))?;
    Ok((out, loaded))
}

/// Replaces the value at `span` with `new`, keeping a comment after it in
/// its column: the spaces before the comment shrink or grow by the change
/// in width (down to one space).
fn value_splice(text: &str, span: Range<usize>, new: &str) -> Splice {
    let old = span.end - span.start;
    let rest = &text[span.end..];
    let spaces = rest.len() - rest.trim_start_matches(' ').len();
    if !rest[spaces..].starts_with('#') || spaces == 0 {
        return Splice {
            range: span,
            text: new.to_string(),
        };
    }
    let width = old + spaces;
    let pad = width.saturating_sub(new.len()).max(1);
    Splice {
        range: span.start..span.end + spaces,
        text: format!("{new}{}", " ".repeat(pad)),
    }
}

/// Byte offset of the first line that starts a table (`[` at column 1).
fn first_table_header(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('[') {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

/// Inserts `line` on its own line after the line containing `offset`, with
/// that line's indentation.
fn insert_line_after(text: &str, offset: usize, line: &str) -> Splice {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let end = text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1);
    let newline = if end == text.len() && !text.ends_with('\n') {
        "\n"
    } else {
        ""
    };
    Splice {
        range: end..end,
        text: format!("{newline}{indent}{line}\n"),
    }
}

/// Inserts `line` into the table whose span is `span`: the span of a
/// `[header]` table is its header line, that of an inline table its braces.
fn insert_after_header(text: &str, span: Range<usize>, line: &str) -> Splice {
    if text[span.clone()].starts_with('{') {
        let at = span.start + 1;
        let inner = text[at..span.end].trim();
        let sep = if inner == "}" { " " } else { "," };
        return Splice {
            range: at..at,
            text: format!(" {line}{sep}"),
        };
    }
    insert_line_after(text, span.start, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# header comment\nname = \"t\"\n\n[[task]]\nname = \"a\"   # fast\nperiod = \"4ms\"\nwcet = \"1ms\"\n\n[[task]]\nname = \"b\"\nperiod = \"2ms\"\nwcet = \"0.5ms\"\npriority = 7 # old\n";

    #[test]
    fn adds_scheduler_and_priorities_keeping_comments() {
        let (out, loaded) =
            set_priorities(TEXT, "t.toml", &[("a".into(), 89), ("b".into(), 90)]).unwrap();
        assert!(out.contains("# header comment"));
        assert!(out.contains("name = \"a\"   # fast\npriority = 89\n"));
        assert!(out.contains("priority = 90 # old"));
        assert!(out.contains("[scheduler]\npriorities = \"explicit\"\n\n[[task]]"));
        assert_eq!(loaded.system.tasks[0].priority, 89);
        assert_eq!(loaded.system.tasks[1].priority, 90);
    }

    #[test]
    fn replaces_an_existing_order() {
        let text = TEXT.replace("\n\n[[task]]\nname = \"a\"", "\n\n[scheduler]\npolicy = \"fixed-priority\"\npriorities = \"rate-monotonic\"\n\n[[task]]\nname = \"a\"");
        let (out, _) =
            set_priorities(&text, "t.toml", &[("a".into(), 2), ("b".into(), 1)]).unwrap();
        assert!(out.contains("priorities = \"explicit\""));
        assert!(!out.contains("rate-monotonic"));
        let text = TEXT.replace(
            "\n\n[[task]]\nname = \"a\"",
            "\n\n[scheduler]\npolicy = \"fixed-priority\"\n\n[[task]]\nname = \"a\"",
        );
        let (out, _) =
            set_priorities(&text, "t.toml", &[("a".into(), 2), ("b".into(), 1)]).unwrap();
        assert!(out.contains("[scheduler]\npriorities = \"explicit\"\npolicy"));
        let text = TEXT.replace(
            "name = \"t\"\n",
            "name = \"t\"\nscheduler = { policy = \"fixed-priority\" }\n",
        );
        let (out, loaded) =
            set_priorities(&text, "t.toml", &[("a".into(), 2), ("b".into(), 1)]).unwrap();
        assert!(
            out.contains("scheduler = { priorities = \"explicit\", policy"),
            "{out}"
        );
        assert_eq!(loaded.system.tasks[0].priority, 2);
    }

    #[test]
    fn unknown_task_is_an_error() {
        assert!(matches!(
            set_priorities(TEXT, "t.toml", &[("zz".into(), 1)]),
            Err(EditError::NoSuchTask(_))
        ));
    }

    /// A comment after a rewritten value stays in its column (tune on a
    /// file with aligned comments).
    #[test]
    fn a_comment_after_a_rewritten_value_keeps_its_column() {
        let text = "name = \"x\"\n[scheduler]\npriorities = \"rate-monotonic\"  # was RM\n\n[[task]]\nname = \"a\"\nperiod = \"1ms\"\nwcet = \"0.1ms\"\npriority = 1                    # lowest\n";
        let (out, _) = set_priorities(text, "x.toml", &[("a".to_string(), 90)]).unwrap();
        let column = |t: &str, key: &str| {
            t.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.find('#'))
                .unwrap()
        };
        assert_eq!(column(&out, "priority ="), column(text, "priority ="));
        assert_eq!(column(&out, "priorities"), column(text, "priorities"));
        assert!(
            out.contains("priority = 90                   # lowest"),
            "{out}"
        );
    }
}
