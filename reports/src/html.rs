//! `report.html`: one self-contained page for one or several runs.
//!
//! The page answers "which task missed which deadline, by how much, and
//! why" first (one verdict per run, with the worst miss of each task and
//! its causes, the biggest foreign one named on its own, and every task
//! whose measured worst response exceeded the analysis bound), with the
//! warnings each run reported about its machine right under it (before
//! any number: they say how far the numbers can be trusted); for two runs
//! or more the runs side by side (the `side-by-side-*` figures, a row per
//! task and a column per run); then a per-task table (an exceeded bound
//! marked) and, when the runs have chains, a per-chain table (stages,
//! end-to-end latency, bound, deadline, the worst instance's dominant
//! stage), the plots (inline SVG, with links to the PNG and SVG files
//! beside it), and what each run ran on, its facts in words and units
//! (live: where each CPU's time went, and its warnings again). Everything is in the one file: the
//! CSS, the drawings, a small self-check script; no network, no external
//! file is needed to read it, and it prints.
//!
//! The page is rendered from a `Serialize` view model with a template
//! compiled in (`html/report.html`); every text is HTML-escaped except the
//! SVG drawings, which rtlab itself produced.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tinytemplate::TinyTemplate;

use rtlab_tasks::outcome::{Engine, Miss, TaskOutcome};

use crate::ReportError;
use crate::explain::exceeded;
use crate::export::AtomicFile;
use crate::figures::{Figure, Section};
use crate::format;
use crate::run::RunView;

mod chains;
mod runs;

use chains::{CHAIN_HEADER, chain_details, chain_rows};
use runs::{EnvView, RunWarnings, environment, warnings};

const TEMPLATE: &str = include_str!("html/report.html");
const FIGURE: &str = include_str!("html/figure.html");
const CSS: &str = include_str!("html/report.css");
const CHECK: &str = include_str!("html/check.js");

/// The report's file name.
pub const REPORT_FILE: &str = "report.html";

#[derive(Serialize)]
struct Page {
    title: String,
    subtitle: String,
    version: &'static str,
    css: &'static str,
    check: &'static str,
    verdicts: Vec<VerdictView>,
    header: Vec<&'static str>,
    rows: Vec<RowView>,
    exceeded: bool,
    /// The per-chain table (empty without chains).
    chain_header: Vec<&'static str>,
    chain_rows: Vec<RowView>,
    /// The comparison's figures (runs side by side).
    comparison: Vec<FigureView>,
    figures: Vec<FigureView>,
    /// Runs whose environment warned, shown under the verdict.
    warnings: Vec<RunWarnings>,
    environments: Vec<EnvView>,
}

#[derive(Serialize)]
struct VerdictView {
    label: String,
    class: &'static str,
    mark: &'static str,
    headline: String,
    details: Vec<String>,
}

#[derive(Serialize)]
struct RowView {
    class: &'static str,
    cells: Vec<CellView>,
}

#[derive(Serialize)]
struct CellView {
    /// `exceeded` marks a bound the measurement went above.
    class: &'static str,
    text: String,
}

impl From<String> for CellView {
    fn from(text: String) -> Self {
        CellView { class: "", text }
    }
}

#[derive(Serialize)]
struct FigureView {
    id: String,
    title: String,
    caption: String,
    png: String,
    svg_file: String,
    svg: String,
}

fn dur(ns: Option<u64>) -> String {
    ns.map_or_else(|| "-".to_string(), format::duration)
}

/// One miss of `task`, recorded by `engine`, in words: which job, by how
/// much, and why.
pub fn explain_miss(task: &TaskOutcome, m: &Miss, engine: Engine) -> String {
    let e = crate::explain::miss(m, engine, task.cpu);
    let mut out = format!("`{}` {}; why: {}", task.name, e.what, e.total);
    if let Some(advice) = e.advice {
        out.push_str(&format!(". {advice}"));
    }
    out
}

fn verdict(run: &RunView) -> VerdictView {
    let o = &run.outcome;
    let missed: Vec<&TaskOutcome> = o.tasks.iter().filter(|t| t.deadline_misses > 0).collect();
    // A chain that missed is what the reader came for: it goes first.
    let mut details = chain_details(run);
    for t in &missed {
        let head = format!(
            "`{}` missed {} of {} deadlines ({})",
            t.name,
            t.deadline_misses,
            t.jobs,
            format::percent(t.deadline_misses as f64 / t.jobs.max(1) as f64)
        );
        match t
            .misses
            .iter()
            .max_by_key(|m| (m.lateness_ns, std::cmp::Reverse(m.release_ns)))
        {
            Some(m) => {
                let foreign = crate::explain::foreign_cause(m, t.cpu)
                    .map_or_else(String::new, |c| format!("; biggest foreign cause: {c}"));
                details.push(format!(
                    "{head}{foreign}; worst: {}",
                    explain_miss(t, m, o.engine)
                ));
            }
            None => details.push(head),
        }
    }
    for t in &o.tasks {
        if let Some(text) = exceeded(t) {
            details.push(format!("`{}` exceeded the analysis bound: {text}", t.name));
        }
    }
    if let Some(d) = &o.deadlock {
        details.push(format!("DEADLOCK: {d}"));
    }
    for t in &o.tasks {
        match (&t.analysis.schedulable, &t.analysis.witness) {
            (Some(false), Some(w)) => {
                details.push(format!("analysis: `{}` misses (proven): {w}", t.name));
            }
            (None, _) => details.push(format!(
                "analysis: `{}` is not proven to meet its deadline (see rtlab analyze)",
                t.name
            )),
            _ => {}
        }
    }
    if o.interrupted {
        details.push("the run was interrupted: the figures cover what ran".to_string());
    }
    let tally = crate::explain::tally(o);
    let (class, mark) = if tally.ok() {
        ("ok", "✔")
    } else {
        ("miss", "✘")
    };
    VerdictView {
        label: run.label.clone(),
        class,
        mark,
        headline: tally.headline(),
        details,
    }
}

const HEADER: [&str; 14] = [
    "run",
    "task",
    "jobs",
    "missed",
    "response p50",
    "p99",
    "max",
    "WCRT bound",
    "analysis",
    "deadline",
    "slack",
    "blocking max",
    "wake-up p99",
    "preemptions",
];

fn rows(runs: &[RunView]) -> Vec<RowView> {
    let mut out = Vec::new();
    for run in runs {
        for t in &run.outcome.tasks {
            let slack = t.response_time.max_ns.map(|r| {
                i64::try_from(i128::from(t.deadline_ns) - i128::from(r)).unwrap_or(i64::MIN)
            });
            out.push(RowView {
                class: if t.deadline_misses > 0 { "miss" } else { "" },
                cells: vec![
                    run.label.clone().into(),
                    t.name.clone().into(),
                    t.jobs.to_string().into(),
                    t.deadline_misses.to_string().into(),
                    dur(t.response_time.p50_ns).into(),
                    dur(t.response_time.p99_ns).into(),
                    dur(t.response_time.max_ns).into(),
                    bound_cell(t),
                    match t.analysis.schedulable {
                        Some(true) => "proven",
                        Some(false) => "miss proven",
                        None => "not proven",
                    }
                    .to_string()
                    .into(),
                    format::duration(t.deadline_ns).into(),
                    slack
                        .map_or_else(|| "-".to_string(), format::signed_duration)
                        .into(),
                    dur(t.blocking.max_ns).into(),
                    dur(t.release_jitter.p99_ns).into(),
                    t.preemptions.to_string().into(),
                ],
            });
        }
    }
    out
}

/// The WCRT bound of `t`, marked with the excess when the measured worst
/// response went above it: `4.00 ms, exceeded by 2.40 ms`.
fn bound_cell(t: &TaskOutcome) -> CellView {
    let bound = t
        .analysis
        .wcrt_ns
        .map_or_else(|| "none".to_string(), format::duration);
    match exceeded(t).and(t.analysis.exceeded_ns) {
        Some(over) => CellView {
            class: "exceeded",
            text: format!("{bound}, exceeded by {}", format::duration(over)),
        },
        None => bound.into(),
    }
}

/// The SVG element of a drawing, ready to inline (anything before `<svg`,
/// such as an XML declaration, dropped).
fn inline_svg(path: &Path) -> Result<String, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReportError::io("read", path, e))?;
    let start = text.find("<svg").unwrap_or(0);
    Ok(text[start..].to_string())
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// The page for `runs` with `figures`, as HTML text.
pub fn render(title: &str, runs: &[RunView], figures: &[Figure]) -> Result<String, ReportError> {
    let mut comparison = Vec::new();
    let mut figure_views = Vec::with_capacity(figures.len());
    for f in figures {
        let view = FigureView {
            id: f.id.clone(),
            title: f.title.clone(),
            caption: f.caption.clone(),
            png: file_name(&f.files.png),
            svg_file: file_name(&f.files.svg),
            svg: inline_svg(&f.files.svg)?,
        };
        match f.section {
            Section::Comparison => comparison.push(view),
            Section::Plots => figure_views.push(view),
        }
    }
    let labels: Vec<&str> = runs.iter().map(|r| r.label.as_str()).collect();
    let page = Page {
        title: title.to_string(),
        subtitle: format!(
            "{} run{}: {}",
            runs.len(),
            if runs.len() == 1 { "" } else { "s" },
            labels.join("; ")
        ),
        version: env!("CARGO_PKG_VERSION"),
        css: CSS,
        check: CHECK,
        verdicts: runs.iter().map(verdict).collect(),
        header: HEADER.to_vec(),
        rows: rows(runs),
        chain_header: CHAIN_HEADER.to_vec(),
        chain_rows: chain_rows(runs),
        exceeded: runs
            .iter()
            .any(|r| r.outcome.tasks.iter().any(|t| exceeded(t).is_some())),
        comparison,
        figures: figure_views,
        warnings: runs.iter().filter_map(warnings).collect(),
        environments: runs.iter().map(environment).collect(),
    };
    let mut tt = TinyTemplate::new();
    tt.add_template("report", TEMPLATE)
        .map_err(|e| ReportError::Template(e.to_string()))?;
    tt.add_template("figure", FIGURE)
        .map_err(|e| ReportError::Template(e.to_string()))?;
    tt.render("report", &page)
        .map_err(|e| ReportError::Template(e.to_string()))
}

/// What `write_report` wrote.
#[derive(Clone, Debug)]
pub struct ReportFiles {
    /// `report.html`.
    pub html: PathBuf,
    /// The plots beside it.
    pub figures: Vec<Figure>,
}

/// Draws every plot of `runs` into `out` and writes `out/report.html`.
pub fn write_report(title: &str, runs: &[RunView], out: &Path) -> Result<ReportFiles, ReportError> {
    std::fs::create_dir_all(out).map_err(|e| ReportError::io("create directory", out, e))?;
    let figures = crate::figures::all(runs, out)?;
    let html = render(title, runs, &figures)?;
    let path = out.join(REPORT_FILE);
    AtomicFile::write_with(&path, |w| w.write_all(html.as_bytes()))?;
    Ok(ReportFiles {
        html: path,
        figures,
    })
}
