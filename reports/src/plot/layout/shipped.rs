//! The plots of the shipped configs' reports (`configs/*.toml`, simulated
//! as `rtlab compare --engine sim` runs them: the base, then each
//! variant), and of comparisons of several configs, drawn on the recording
//! backend: no text overlaps another, runs off the image or is painted
//! over (see `recorder` for how a text's box is measured and the
//! tolerance).
//!
//! Each test covers some plot kinds (file stems), and fails if a report
//! has such a plot that was not recorded (drawn other than through
//! `layout::render`). With `RTLAB_PLOT_PAIRS=1` every pair of configs is
//! compared too, each with all its variants (28 more reports, minutes).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rtlab_sim::des;
use rtlab_tasks::analysis::analyze;
use rtlab_tasks::config::load_file;
use rtlab_tasks::model::System;
use rtlab_tasks::outcome::window::{WindowSink, window_length};

use super::recorder::{self, Recording};
use crate::figures;
use crate::run::{RunView, label};

/// The shipped configs: every `configs/*.toml`, by name, sorted.
fn configs() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("the configs directory")
            .filter_map(|e| {
                let path = e.expect("a directory entry").path();
                let stem = path.file_stem()?.to_str()?.to_string();
                (path.extension()? == "toml").then_some(stem)
            })
            .collect();
        names.sort();
        names
    })
}

/// Simulates `system` (the variant `variant`) over its duration with its
/// timeline window, as `rtlab simulate` records it.
fn simulate(system: &System, variant: Option<&str>) -> RunView {
    let analysis = analyze(system);
    let options = des::Options {
        horizon: system.duration,
        seed: system.seed,
    };
    let length = window_length(system, options.horizon.as_nanos());
    let mut sink = WindowSink::new(system, length, None);
    let mut outcome = des::simulate(system, &options, Some(&mut sink)).expect("simulates");
    outcome.variant = variant.map(str::to_string);
    outcome.attach_analysis(system, &analysis);
    with_links(&mut outcome.config, system);
    RunView {
        label: label(&outcome),
        dir: PathBuf::new(),
        outcome,
        window: Some(sink.into_window()),
    }
}

/// Writes each task's `trigger` and `reads` into the normalized `config`
/// where it has none, from the model, so that the timelines draw the
/// hand-offs whether or not `config::normalized` writes them yet.
fn with_links(config: &mut serde_json::Value, system: &System) {
    let name = |id: rtlab_tasks::model::TaskId| system.tasks[id.0].name.clone();
    let Some(list) = config["task"].as_array_mut() else {
        return;
    };
    for (t, task) in list.iter_mut().zip(&system.tasks) {
        if let (Some(from), None) = (task.trigger, t.get("trigger")) {
            t["trigger"] = name(from).into();
        }
        if !task.reads.is_empty() && t.get("reads").is_none() {
            t["reads"] = task.reads.iter().map(|&r| name(r)).collect();
        }
    }
}

/// The runs of config `name`: its base, then each variant when `variants`.
fn runs(name: &str, variants: bool) -> Vec<RunView> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs")
        .join(format!("{name}.toml"));
    let loaded = load_file(&path).expect("a shipped config loads");
    let mut runs = vec![simulate(&loaded.system, None)];
    if variants {
        for v in &loaded.variants {
            runs.push(simulate(&v.system, Some(&v.name)));
        }
    }
    runs
}

/// A report's figures (file stems) and what its plots drew.
struct Report {
    name: String,
    figures: Vec<String>,
    recordings: Vec<Recording>,
}

fn report(name: String, runs: &[RunView]) -> Report {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (figures, recordings) = recorder::capture(|| figures::all(runs, dir.path()));
    let figures = figures
        .expect("the report draws")
        .into_iter()
        .map(|f| f.id)
        .collect();
    Report {
        name,
        figures,
        recordings,
    }
}

/// Every report, made once: each config compared with its variants (the
/// three-run comparison of `pathfinder` among them); two configs' bases
/// side by side (tasks that only one of them has); and two configs with
/// all their variants (seven tasks, five runs).
fn reports() -> &'static [Report] {
    static REPORTS: OnceLock<Vec<Report>> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let mut out = Vec::new();
        let mut bases = Vec::new();
        for name in configs() {
            let all = runs(name, true);
            bases.push(all[0].clone());
            out.push(report(name.to_string(), &all));
        }
        let base = |n: &str| {
            let i = configs()
                .iter()
                .position(|c| c.as_str() == n)
                .expect("shipped");
            bases[i].clone()
        };
        for (a, b) in [
            ("demo", "pathfinder"),
            ("starter", "rm-textbook"),
            ("rm-vs-edf", "two-cores"),
            ("jitter-under-load", "overload"),
            ("pipeline", "request-server"),
        ] {
            out.push(report(format!("{a} + {b}"), &[base(a), base(b)]));
        }
        if std::env::var_os("RTLAB_PLOT_PAIRS").is_some() {
            for (i, a) in configs().iter().enumerate() {
                for b in &configs()[i + 1..] {
                    let mut r = runs(a, true);
                    r.extend(runs(b, true));
                    out.push(report(format!("{a} + {b}, with variants"), &r));
                }
            }
        }
        let mut both = runs("demo", true);
        both.extend(runs("pathfinder", true));
        out.push(report("demo + pathfinder, with variants".into(), &both));
        out
    })
}

/// Checks every plot whose stem starts with one of `kinds`: each was
/// recorded, and none has a text problem.
fn check(kinds: &[&str]) {
    let mut problems = Vec::new();
    let mut seen = 0;
    for r in reports() {
        for stem in r
            .figures
            .iter()
            .filter(|f| kinds.iter().any(|k| f.starts_with(k)))
        {
            seen += 1;
            match r.recordings.iter().find(|rec| &rec.name == stem) {
                Some(rec) => problems.extend(
                    rec.problems()
                        .into_iter()
                        .map(|p| format!("[{}] {p}", r.name)),
                ),
                None => problems.push(format!("[{}] {stem}: not recorded", r.name)),
            }
        }
    }
    assert!(seen > 0, "no plot of {kinds:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_shipped_config_is_checked_pipelines_included() {
    let names = configs();
    for name in ["demo", "pathfinder", "pipeline", "request-server"] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
    assert!(names.len() >= 10, "{names:?}");
}

#[test]
fn chain_plots_have_no_overlapping_or_hidden_text() {
    check(&["chain-"]);
}

#[test]
fn the_pipelines_timelines_draw_hand_offs_and_each_chain_has_its_plot() {
    use super::recorder::Mark;
    let pipeline = reports()
        .iter()
        .find(|r| r.name == "pipeline")
        .expect("the pipeline report");
    // The base and its two variants, one chain each.
    for n in 1..=3 {
        let stem = format!("chain-{n}-frame-to-brake");
        assert!(pipeline.figures.contains(&stem), "{stem}");
    }
    assert!(pipeline.figures.iter().any(|f| f == "side-by-side-chains"));
    let legend = "hand-off: completion releases the next stage";
    let timelines = pipeline
        .recordings
        .iter()
        .filter(|rec| rec.name.starts_with("gantt-"));
    let with = timelines
        .filter(|rec| {
            rec.marks
                .iter()
                .any(|m| matches!(m, Mark::Text { text, .. } if text == legend))
        })
        .count();
    assert!(with >= 3, "{with} pipeline timelines show hand-offs");
}

#[test]
fn misses_plots_have_no_overlapping_or_hidden_text() {
    check(&["misses"]);
}

#[test]
fn timelines_have_no_overlapping_or_hidden_text() {
    check(&["gantt-"]);
}

#[test]
fn utilization_plots_have_no_overlapping_or_hidden_text() {
    check(&["utilization"]);
}

#[test]
fn response_plots_have_no_overlapping_or_hidden_text() {
    check(&["response-vs-deadline"]);
}

#[test]
fn percentile_plots_have_no_overlapping_or_hidden_text() {
    check(&["response-percentiles"]);
}

#[test]
fn latency_plots_have_no_overlapping_or_hidden_text() {
    check(&["latency-"]);
}

#[test]
fn side_by_side_plots_have_no_overlapping_or_hidden_text() {
    check(&["side-by-side-"]);
}

/// The colours of misses and of grid lines, `style::MISS` and
/// `style::GRID`.
const MISS: (u8, u8, u8) = (0xCC, 0x11, 0x11);
const GRID: (u8, u8, u8) = (0xE4, 0xE4, 0xE4);

#[test]
fn timeline_lateness_labels_hide_no_arrow_tick_or_other_line() {
    use super::recorder::{Mark, Shape, TOLERANCE};
    let mut labels = 0;
    let mut problems = Vec::new();
    for r in reports() {
        for rec in r
            .recordings
            .iter()
            .filter(|rec| rec.name.starts_with("gantt-"))
        {
            for (i, mark) in rec.marks.iter().enumerate() {
                let Mark::Text {
                    text,
                    bounds,
                    color: MISS,
                } = mark
                else {
                    continue;
                };
                labels += 1;
                let inside = bounds.grow(-TOLERANCE);
                let mid = (bounds.y0 + bounds.y1) / 2;
                // Under the label: its white box, grid lines, and the one
                // red line it is written on (2 pixels tall, through its
                // middle).
                for before in &rec.marks[..i] {
                    let Mark::Shape { shape, color } = before else {
                        continue;
                    };
                    let own_line = matches!(shape, Shape::Area(b)
                        if *color == MISS && b.y1 - b.y0 <= 3 && b.y0 <= mid && mid <= b.y1);
                    let background = [(255, 255, 255), GRID].contains(color);
                    if !background && !own_line && shape.covers(&inside) {
                        problems.push(format!(
                            "[{}] {}: `{text}` {bounds} hides {shape:?} in {color:?}",
                            r.name, rec.name
                        ));
                    }
                }
            }
        }
    }
    // The demo's and pathfinder's timelines have misses to label.
    assert!(labels >= 4, "{labels} lateness labels");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
