//! `rtlab compare CONFIG... [--engine sim|live|both] [--out DIR] [--json]`:
//! every config and every `[[variant]]` of it, on one or both engines, then
//! one report with the configurations side by side.
//!
//! Results go to `OUT/<config>/<variant or "base">/<engine>/`, the report to
//! `OUT/report.html`. `OUT` defaults to `rtlab-out/<config>/compare` for one
//! config and `rtlab-out/compare` for several. `--json` prints
//! `rtlab.comparison/v1`: `{"schema", "runs": [{"config", "variant",
//! "engine", "result": <rtlab.result/v1>}]}`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use rtlab_reports::format;
use rtlab_reports::html::write_report;
use rtlab_reports::run::RunView;
use rtlab_sim::{des, live};
use rtlab_tasks::config::Loaded;
use rtlab_tasks::model::System;
use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::time::Duration;

use super::error::{CliError, Exit};
use super::input::load;
use super::output::print;
use super::record::{Subject, report_title, run_into, simulate_into};
use super::table::Table;
use rtlab_tasks::analysis::Analysis;

/// Which engines `compare` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Engines {
    /// The discrete-event simulator only.
    Sim,
    /// The live engine only.
    Live,
    /// Both, side by side.
    Both,
}

/// What `rtlab compare` was asked.
#[derive(Debug)]
pub(super) struct Request<'a> {
    pub(super) configs: &'a [PathBuf],
    pub(super) engine: Engines,
    pub(super) out: Option<&'a Path>,
    pub(super) json: bool,
    pub(super) duration: Option<Duration>,
    pub(super) fail_on_miss: bool,
}

#[derive(Serialize)]
struct ComparisonRun<'a> {
    config: &'a str,
    variant: Option<&'a str>,
    engine: &'a str,
    result: &'a Outcome,
}

#[derive(Serialize)]
struct Comparison<'a> {
    schema: &'static str,
    runs: Vec<ComparisonRun<'a>>,
}

/// One run to make.
struct Job<'a> {
    loaded: &'a Loaded,
    system: &'a System,
    variant: Option<&'a str>,
    live: bool,
}

/// Runs everything, writes the report, prints a table (or the JSON).
pub(super) fn run(req: &Request<'_>) -> Result<Exit, CliError> {
    let loaded: Vec<Loaded> = req
        .configs
        .iter()
        .map(|p| load(p))
        .collect::<Result<_, _>>()?;
    let out = match (req.out, loaded.as_slice()) {
        (Some(o), _) => o.to_path_buf(),
        (None, [one]) => super::record::default_out(one, &one.system, None, "compare"),
        (None, _) => PathBuf::from("rtlab-out").join("compare"),
    };
    let jobs = plan(&loaded, req.engine);
    let bar = progress(jobs.len() as u64);
    let mut outcomes = Vec::with_capacity(jobs.len());
    let mut dirs = Vec::with_capacity(jobs.len());
    let mut interrupted = false;
    for job in &jobs {
        let dir = out
            .join(&job.system.name)
            .join(job.variant.unwrap_or("base"))
            .join(job.engine());
        bar.set_message(format!(
            "{} {} {}",
            job.system.name,
            job.variant.unwrap_or("base"),
            job.engine()
        ));
        let outcome = job.run(req.duration, &dir)?;
        let stop = live::interrupted();
        outcomes.push(outcome);
        bar.inc(1);
        dirs.push(dir);
        if stop {
            interrupted = true;
            break;
        }
    }
    bar.finish_and_clear();
    if interrupted {
        eprintln!(
            "rtlab: interrupted: {} of {} runs were not started; the report covers the others",
            jobs.len() - outcomes.len(),
            jobs.len()
        );
    }
    let runs: Vec<RunView> = dirs
        .iter()
        .map(|d| RunView::read(d))
        .collect::<Result<_, _>>()?;
    let written = write_report(&report_title(&runs), &runs, &out)?;
    if req.json {
        print(&comparison_json(&jobs, &outcomes)?)?;
    } else {
        print(&(table(&runs) + &format!("\nwrote {}\n", written.html.display())))?;
    }
    let missed = outcomes.iter().any(|o| o.deadline_misses() > 0);
    Ok(if interrupted {
        Exit::Interrupted
    } else if req.fail_on_miss && missed {
        Exit::Missed
    } else {
        Exit::Success
    })
}

/// Every run to make: each config, its base then each variant, on each
/// engine asked for.
fn plan(loaded: &[Loaded], engines: Engines) -> Vec<Job<'_>> {
    let engines: &[bool] = match engines {
        Engines::Sim => &[false],
        Engines::Live => &[true],
        Engines::Both => &[false, true],
    };
    let mut jobs = Vec::new();
    for l in loaded {
        let systems = std::iter::once((&l.system, None)).chain(
            l.variants
                .iter()
                .map(|v| (&v.system, Some(v.name.as_str()))),
        );
        for (system, variant) in systems {
            for &live in engines {
                jobs.push(Job {
                    loaded: l,
                    system,
                    variant,
                    live,
                });
            }
        }
    }
    jobs
}

impl Job<'_> {
    /// The engine's name, as in result directories and the JSON.
    /// The job's subject, with its analysis.
    fn subject<'a>(&'a self, analysis: &'a OnceLock<Analysis>) -> Subject<'a> {
        Subject {
            system: self.system,
            variant: self.variant,
            analysis,
        }
    }

    fn engine(&self) -> &'static str {
        if self.live { "live" } else { "simulation" }
    }

    /// Runs the job for `duration` (default: the config's) into `dir`.
    fn run(&self, duration: Option<Duration>, dir: &Path) -> Result<Outcome, CliError> {
        let length = duration.unwrap_or(self.system.duration);
        let analysis = OnceLock::from(rtlab_tasks::analysis::analyze(self.system));
        if self.live {
            let options = live::Options {
                duration: length,
                seed: self.system.seed,
                strict: false,
            };
            run_into(self.loaded, self.subject(&analysis), &options, dir, false)
        } else {
            let options = des::Options {
                horizon: length,
                seed: self.system.seed,
            };
            simulate_into(self.subject(&analysis), &options, dir, false)
        }
    }
}

/// The `rtlab.comparison/v1` document of the runs, as printed.
fn comparison_json(jobs: &[Job<'_>], outcomes: &[Outcome]) -> Result<String, CliError> {
    let doc = Comparison {
        schema: "rtlab.comparison/v1",
        runs: jobs
            .iter()
            .zip(outcomes)
            .map(|(j, o)| ComparisonRun {
                config: &j.system.name,
                variant: j.variant,
                engine: j.engine(),
                result: o,
            })
            .collect(),
    };
    let text = serde_json::to_string_pretty(&doc)
        .map_err(|e| CliError::Usage(format!("cannot serialize the comparison: {e}")))?;
    Ok(text + "\n")
}

fn progress(len: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} compare [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// One line per run: misses, the task that missed most, the worst
/// lateness.
fn table(runs: &[RunView]) -> String {
    let mut t = Table::new(&[
        "run",
        ">jobs",
        ">missed",
        "worst task",
        ">worst lateness",
        ">busy",
    ]);
    for r in runs {
        let o = &r.outcome;
        let jobs: u64 = o.tasks.iter().map(|t| t.jobs).sum();
        let worst = o
            .tasks
            .iter()
            .filter(|t| t.deadline_misses > 0)
            .max_by_key(|t| t.deadline_misses);
        let lateness = o
            .tasks
            .iter()
            .filter_map(|t| t.lateness_max_ns)
            .max()
            .filter(|l| *l > 0);
        let busy = o.cpus.iter().map(|c| c.busy_ratio).fold(0.0_f64, f64::max);
        t.row(vec![
            r.label.clone(),
            jobs.to_string(),
            o.deadline_misses().to_string(),
            worst.map_or("-".into(), |t| {
                format!("{} ({} of {})", t.name, t.deadline_misses, t.jobs)
            }),
            lateness.map_or("-".into(), format::signed_duration),
            format::percent(busy),
        ]);
    }
    let mut out = t.render(1);
    // With chains, the runs ranked by end-to-end latency.
    let outcomes: Vec<&Outcome> = runs.iter().map(|r| &r.outcome).collect();
    let labels: Vec<String> = runs.iter().map(|r| r.label.clone()).collect();
    for line in rtlab_reports::explain::chain::ranking_lines(&outcomes, &labels) {
        out.push_str(&format!("\n{line}\n"));
    }
    out
}
