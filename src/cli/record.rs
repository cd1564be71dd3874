//! Recording a run: where its result directory goes, the engine run with
//! its job events going to the window kept for the report's timeline (and
//! with `--trace` to `trace.json` too), the result directory written, then
//! the summary (or the JSON) and the exit status. Shared by `simulate`,
//! `run`, `compare` and the demo, which also share the report's title.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rtlab_reports::export::StagedDir;
use rtlab_reports::export::perfetto::{PerfettoWriter, TRACE_FILE};
use rtlab_reports::export::result::{result_json, write_result_staged};
use rtlab_reports::export::window::write_window;
use rtlab_reports::run::RunView;
use rtlab_sim::des;
use rtlab_sim::live::{self, LiveError};
use rtlab_tasks::analysis::Analysis;
use rtlab_tasks::config::{ConfigError, Loaded, Problem, ProblemKind, cpu_span, key_span};
use rtlab_tasks::model::System;
use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::outcome::trace::TraceSink;
use rtlab_tasks::outcome::window::{WindowSink, window_length};

use super::error::{CliError, Exit};
use super::output::print;
use super::summary::render;

/// The default result directory of a config (and variant) for an engine
/// (`"simulation"`, `"live"`, `"compare"`): `rtlab-out/NAME/...`, claimed
/// for the config file `loaded` was read from (see [`claim`]).
pub(super) fn default_out(
    loaded: &Loaded,
    system: &System,
    variant: Option<&str>,
    engine: &str,
) -> PathBuf {
    let mut dir = PathBuf::from("rtlab-out").join(&system.name);
    claim(&dir, loaded.source.name(), loaded.source.text());
    if let Some(v) = variant {
        dir.push(v);
    }
    dir.join(engine)
}

/// Name of the file in `rtlab-out/NAME/` that says which config file its
/// results are of.
const CLAIM: &str = ".rtlab-config";

/// Records that `dir` (`rtlab-out/NAME`) holds the results of the config
/// file `config` (its text: `text`). Two different configs with the same
/// `name` share that directory: when it held the other's results, a
/// warning says so (they are being replaced). The same text under another
/// path (the demo's embedded config and `configs/demo.toml`) is the same
/// config. A directory that cannot be written is left to the writer to
/// report.
fn claim(dir: &Path, config: &str, text: &str) {
    use std::hash::{Hash, Hasher};
    let path = std::fs::canonicalize(config)
        .map_or_else(|_| config.to_string(), |p| p.display().to_string());
    let mut hasher = std::hash::DefaultHasher::new();
    text.hash(&mut hasher);
    let line = format!("{:016x} {path}", hasher.finish());
    let marker = dir.join(CLAIM);
    if let Ok(before) = std::fs::read_to_string(&marker)
        && let Some((hash, other)) = before.trim_end().split_once(' ')
        && !line.starts_with(hash)
    {
        eprintln!(
            "rtlab: warning: {} held results of {other}, a different config also named {:?}: \
             they are replaced by those of {path} (give the configs different `name`s, or use --out)",
            dir.display(),
            dir.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
        );
    }
    let tmp = dir.join(format!("{CLAIM}.tmp"));
    if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, format!("{line}\n")).is_ok() {
        let _ = std::fs::rename(&tmp, &marker);
    }
}

/// What a recorded run is of: the system, its variant's name, and its
/// analysis (computed once, shown beside the measurement). The analysis
/// may still be running on another thread while the engine runs (see
/// `simulate`): [`Subject::analysis`] waits for it, or computes it.
#[derive(Clone, Copy)]
pub(super) struct Subject<'a> {
    pub(super) system: &'a System,
    pub(super) variant: Option<&'a str>,
    pub(super) analysis: &'a OnceLock<Analysis>,
}

impl<'a> Subject<'a> {
    /// The analysis of the system: the one computed (or being computed)
    /// already, else computed now.
    pub(super) fn analysis(&self) -> &'a Analysis {
        let system = self.system;
        self.analysis
            .get_or_init(|| rtlab_tasks::analysis::analyze(system))
    }
}

/// Simulates the subject and writes the result directory (and the trace);
/// shared by `simulate`, `compare` and the demo.
pub(super) fn simulate_into(
    subject: Subject<'_>,
    options: &des::Options,
    dir: &Path,
    trace: bool,
) -> Result<Outcome, CliError> {
    record(
        subject,
        dir,
        trace,
        "simulation",
        options.horizon.as_nanos(),
        |sink| {
            des::simulate(subject.system, options, Some(sink))
                .map(|o| (o, 0))
                .map_err(|e| CliError::Usage(format!("cannot simulate: {e}")))
        },
    )
}

/// Runs the subject live and writes the result directory (and the trace);
/// shared with `compare` and the demo.
pub(super) fn run_into(
    loaded: &Loaded,
    subject: Subject<'_>,
    options: &live::Options,
    dir: &Path,
    trace: bool,
) -> Result<Outcome, CliError> {
    record(
        subject,
        dir,
        trace,
        "live",
        options.duration.as_nanos(),
        |sink| {
            live::run(subject.system, options, Some(sink))
                .map(|run| (run.outcome, run.trace_dropped))
                .map_err(|e| live_error(loaded, e))
        },
    )
}

/// A live error as the CLI reports it: a CPU the machine lacks points into
/// the config (exit 2), like any config problem.
fn live_error(loaded: &Loaded, e: LiveError) -> CliError {
    match e {
        LiveError::CpuUnavailable { cpu, ref allowed } => {
            let span = cpu_span(&loaded.source, cpu).unwrap_or(0..0);
            let problem = Problem::error(
                ProblemKind::BadValue {
                    key: "cpu".into(),
                    message: format!("{cpu} is not a CPU this machine lets rtlab use"),
                },
                span,
            )
            .with_hint(format!(
                "this process may use CPUs {allowed:?}; change the config or run where CPU {cpu} exists"
            ));
            CliError::Config(ConfigError::Invalid {
                file: Arc::clone(&loaded.source),
                problems: vec![problem],
            })
        }
        LiveError::NotPreemptible { ref os_policy } => {
            let span = key_span(&loaded.source, &["scheduler", "preemptive"])
                .or_else(|| key_span(&loaded.source, &["live", "os_policy"]))
                .unwrap_or(0..0);
            let problem = Problem::error(
                ProblemKind::BadValue {
                    key: "preemptive".into(),
                    message: format!(
                        "non-preemptive dispatching cannot run live under os_policy \"{os_policy}\""
                    ),
                },
                span,
            )
            .with_hint(
                "Linux has no non-preemptive SCHED_DEADLINE or SCHED_OTHER; use os_policy = \"fifo\" or \"rr\" \
                 (a running job is raised to its CPU's top priority), or `rtlab simulate`",
            );
            CliError::Config(ConfigError::Invalid {
                file: Arc::clone(&loaded.source),
                problems: vec![problem],
            })
        }
        LiveError::NoRtPrivileges | LiveError::PureSpin { .. } => CliError::Usage(e.to_string()),
        other => CliError::Live(other),
    }
}

/// What an engine hands back: the result and the trace events it lost.
type EngineRun = Result<(Outcome, u64), CliError>;

/// Runs `engine` (labelled `label` in the trace) on the subject for
/// `length_ns` with its events recorded, puts the analysis beside the
/// measurement, and writes `dir`.
fn record(
    subject: Subject<'_>,
    dir: &Path,
    trace: bool,
    label: &str,
    length_ns: u64,
    engine: impl FnOnce(&mut dyn TraceSink) -> EngineRun,
) -> Result<Outcome, CliError> {
    // A new directory appears whole at the end (written in a hidden
    // sibling, then renamed); an existing one gets each file atomically.
    let staged = StagedDir::create(dir)?;
    let written = || -> Result<Outcome, CliError> {
        let system = subject.system;
        let dir = staged.path();
        let mut writer = if trace {
            Some(PerfettoWriter::create(
                &dir.join(TRACE_FILE),
                system,
                label,
            )?)
        } else {
            None
        };
        let inner = writer.as_mut().map(|w| w as &mut dyn TraceSink);
        let mut window = WindowSink::new(system, window_length(system, length_ns), inner);
        let result = engine(&mut window);
        let window = window.into_window();
        let (mut outcome, dropped) = result?;
        outcome.variant = subject.variant.map(str::to_string);
        outcome.attach_analysis(system, subject.analysis());
        if let Some(w) = writer {
            let file = w.finish_at(outcome.duration_ns)?;
            outcome.trace = Some(file.summary(dropped));
        }
        write_window(dir, &window)?;
        write_result_staged(&staged, &outcome)?;
        Ok(outcome)
    };
    // Errors name the files as the user knows them, not the sibling.
    let outcome = written().map_err(|e| match e {
        CliError::Report(e) => CliError::Report(staged.relocate(e)),
        other => other,
    })?;
    staged.commit()?;
    Ok(outcome)
}

/// Shows a recorded run: the bytes of its `result.json` with `json`, else
/// the summary and where the result went.
pub(super) fn show(
    system: &System,
    outcome: &Outcome,
    dir: &Path,
    json: bool,
) -> Result<(), CliError> {
    if json {
        print(&String::from_utf8_lossy(&result_json(outcome)?))
    } else {
        let mut text = render(system, outcome);
        text.push_str(&format!("\nwrote {}\n", dir.join("result.json").display()));
        print(&text)
    }
}

/// The exit status of a recorded run: 1 when the tasks deadlocked (the
/// partial result is written), 130 when it was interrupted, 3 on a miss
/// with `--fail-on-miss`, else 0.
pub(super) fn exit_for(outcome: &Outcome, fail_on_miss: bool) -> Exit {
    if let Some(d) = &outcome.deadlock {
        eprintln!("rtlab: the tasks deadlocked: {d}");
        Exit::Failure
    } else if outcome.interrupted {
        Exit::Interrupted
    } else if fail_on_miss && outcome.deadline_misses() > 0 {
        Exit::Missed
    } else {
        Exit::Success
    }
}

/// The title of a report on `runs`: the config(s) it covers.
pub(super) fn report_title(runs: &[RunView]) -> String {
    let mut names: Vec<&str> = runs.iter().map(RunView::config_name).collect();
    names.dedup();
    format!("rtlab report: {}", names.join(", "))
}
