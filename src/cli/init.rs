//! `rtlab init [TEMPLATE] [--out FILE]`: write a commented starter config.
//!
//! The templates are the configs shipped in `configs/`, compiled into the
//! binary (`templates`), so `init` works anywhere.

use std::path::Path;

use super::error::{CliError, Exit};
use super::output::{print, write_atomic};
use super::templates::{TEMPLATES, template};

/// Writes the template to `out` (never overwriting) or standard output.
pub(super) fn run(name: Option<&str>, out: Option<&Path>, list: bool) -> Result<Exit, CliError> {
    if list {
        let width = TEMPLATES.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
        let mut text = String::new();
        for (n, what, _) in TEMPLATES {
            text.push_str(&format!("{n:width$}  {what}\n"));
        }
        print(&text)?;
        return Ok(Exit::Success);
    }
    let name = name.unwrap_or(TEMPLATES[0].0);
    let Some(text) = template(name) else {
        let names: Vec<&str> = TEMPLATES.iter().map(|(n, _, _)| *n).collect();
        return Err(CliError::Usage(format!(
            "no template named `{name}`; templates: {}",
            names.join(", ")
        )));
    };
    match out {
        None => print(text)?,
        Some(path) => {
            if path.exists() {
                return Err(CliError::Usage(format!(
                    "{} exists; rtlab init never overwrites a file",
                    path.display()
                )));
            }
            write_atomic(path, text.as_bytes())?;
            eprintln!(
                "wrote {} (template `{name}`); next: rtlab check {}",
                path.display(),
                path.display()
            );
        }
    }
    Ok(Exit::Success)
}
