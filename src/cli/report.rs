//! `rtlab report DIR... [--out DIR]`: plots and `report.html` for one or
//! more result directories (any mix of simulated and live).
//!
//! Without `--out`, a single directory gets its report inside it, and
//! several get theirs in their closest common parent directory (so
//! `rtlab report rtlab-out/demo/simulation rtlab-out/demo/live` writes
//! `rtlab-out/demo/report.html`).

use std::path::{Path, PathBuf};

use rtlab_reports::html::write_report;
use rtlab_reports::run::RunView;

use super::error::{CliError, Exit};
use super::output::print;
use super::record::report_title;

/// Renders the report of `dirs`.
pub(super) fn run(dirs: &[PathBuf], out: Option<&Path>) -> Result<Exit, CliError> {
    let mut runs = Vec::with_capacity(dirs.len());
    for dir in dirs {
        if !dir.join("result.json").is_file() {
            return Err(CliError::Usage(format!(
                "{} holds no result.json (a directory written by rtlab simulate or rtlab run)",
                dir.display()
            )));
        }
        runs.push(RunView::read(dir)?);
    }
    let out = match out {
        Some(o) => o.to_path_buf(),
        None => default_out(dirs),
    };
    let written = write_report(&report_title(&runs), &runs, &out)?;
    print(&format!(
        "wrote {} ({} run{}, {} plots)\n",
        written.html.display(),
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        written.figures.len()
    ))?;
    Ok(Exit::Success)
}

/// One directory: itself; several: their closest common parent.
fn default_out(dirs: &[PathBuf]) -> PathBuf {
    if let [one] = dirs {
        return one.clone();
    }
    let mut common: Option<PathBuf> = None;
    for d in dirs {
        let parent = d.parent().map_or_else(PathBuf::new, Path::to_path_buf);
        common = Some(match common {
            None => parent,
            Some(c) => c
                .components()
                .zip(parent.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a.as_os_str())
                .collect(),
        });
    }
    match common {
        Some(c) if !c.as_os_str().is_empty() => c,
        _ => PathBuf::from("rtlab-out").join("report"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_out_is_the_common_parent() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(default_out(&[p("a/b/sim")]), p("a/b/sim"));
        assert_eq!(
            default_out(&[p("out/demo/simulation"), p("out/demo/live")]),
            p("out/demo")
        );
        assert_eq!(
            default_out(&[p("out/x/inherit/simulation"), p("out/x/live")]),
            p("out/x")
        );
        assert_eq!(
            default_out(&[p("a/sim"), p("b/live")]),
            p("rtlab-out/report")
        );
    }
}
