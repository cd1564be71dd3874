//! Showing config problems: `file:line:col: level: message` lines, and on a
//! terminal the offending line underlined (miette).

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};

use rtlab_tasks::config::{self, ConfigError, Loaded, Problem, Severity, Source};

use super::error::CliError;

/// Prints a failed command's error to standard error.
pub(crate) fn report_error(e: &CliError) {
    match e {
        CliError::Config(ConfigError::Invalid { file, problems }) => {
            print_problems(file, problems);
            eprintln!("rtlab: {e}");
        }
        other => eprintln!("rtlab: error: {other}"),
    }
}

/// Prints a loaded config's warnings to standard error.
pub(super) fn report_warnings(loaded: &Loaded) {
    print_problems(&loaded.source, &loaded.warnings);
}

fn print_problems(file: &Source, problems: &[Problem]) {
    let fancy = std::io::stderr().is_terminal();
    for p in problems {
        if fancy {
            eprint!("{}", render_fancy(file, p));
        } else {
            eprintln!("{}", config::render_plain(file, p));
        }
    }
}

/// The problem with its source line underlined, for a terminal.
fn render_fancy(file: &Source, p: &Problem) -> String {
    let at = file.location(p.span.start);
    let severity = match p.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let span = file.clamp(p.span.clone());
    let mut diag = MietteDiagnostic::new(format!("{}:{at}: {p}", file.name()))
        .with_severity(severity)
        .with_label(LabeledSpan::underline(span));
    if let Some(hint) = &p.hint {
        diag = diag.with_help(hint.clone());
    }
    let report = miette::Report::new(diag)
        .with_source_code(NamedSource::new(file.name(), file.text().to_string()));
    let theme = if std::env::var_os("NO_COLOR").is_some() {
        GraphicalTheme::unicode_nocolor()
    } else {
        GraphicalTheme::unicode()
    };
    let mut out = String::new();
    match GraphicalReportHandler::new_themed(theme).render_report(&mut out, report.as_ref()) {
        Ok(()) => out,
        Err(_) => format!("{}\n", config::render_plain(file, p)),
    }
}
