//! `rtlab` with no arguments: the demo on the embedded `configs/demo.toml`.
//!
//! The demo shows the point of the tool on a configuration that misses and
//! a variant that fixes it: the analysis of both, their simulation, a live
//! run of both (about five seconds in all), then one report with the four
//! results side by side under `rtlab-out/demo/`, its path and a three-line
//! verdict. It adapts to the machine: the tasks go to CPU 1 when this
//! process may use it, else to the last CPU it may use, and the demo says
//! which. Without real-time privileges the live runs fall back to
//! SCHED_OTHER and say so.

use std::path::PathBuf;
use std::sync::OnceLock;

use rtlab_reports::html::write_report;
use rtlab_reports::run::RunView;
use rtlab_sim::{des, live};
use rtlab_tasks::analysis;
use rtlab_tasks::analysis::Analysis;
use rtlab_tasks::config::{self, Loaded};
use rtlab_tasks::model::{CpuId, System};
use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::time::Duration;

use super::analysis::{headline, render as render_analysis, verdict};
use super::error::{CliError, Exit};
use super::output::print;
use super::record::{Subject, default_out, run_into, simulate_into};
use super::summary::render as render_summary;
use super::templates::template;

/// Length of each of the two live runs.
const LIVE_EACH: Duration = Duration::from_nanos(2_500_000_000);

/// Moves every task of `system` to `cpu`.
fn place_on(system: &mut System, cpu: CpuId) {
    system.platform.cpus = vec![cpu];
    for t in &mut system.tasks {
        if t.cpu.is_some() {
            t.cpu = Some(cpu);
        }
    }
}

/// The CPU the demo uses: the config's when allowed, else the last allowed.
fn choose_cpu(wanted: CpuId) -> (CpuId, String) {
    let allowed = live::allowed_cpus();
    if allowed.contains(&wanted) || allowed.is_empty() {
        (wanted, format!("CPU {wanted} (as configured)"))
    } else {
        let cpu = allowed.last().copied().unwrap_or(0);
        (
            cpu,
            format!(
                "CPU {cpu}: CPU {wanted} is not available here, so the last CPU this process may use"
            ),
        )
    }
}

/// Runs the demo.
pub(super) fn run() -> Result<Exit, CliError> {
    let text = template("demo").unwrap_or_default();
    let mut loaded: Loaded = config::load_str(text, "configs/demo.toml (embedded)")?;
    let wanted = loaded.system.platform.cpus.first().copied().unwrap_or(1);
    let (cpu, cpu_note) = choose_cpu(wanted);
    place_on(&mut loaded.system, cpu);
    for v in &mut loaded.variants {
        place_on(&mut v.system, cpu);
    }
    let base = &loaded.system;
    // Every configuration: (system, variant name), analysed once.
    let mut configs: Vec<(&System, Option<&str>)> = vec![(base, None)];
    configs.extend(
        loaded
            .variants
            .iter()
            .map(|v| (&v.system, Some(v.name.as_str()))),
    );
    let analyses_of: Vec<OnceLock<Analysis>> = configs
        .iter()
        .map(|(s, _)| OnceLock::from(analysis::analyze(s)))
        .collect();
    let all: Vec<Subject<'_>> = configs
        .iter()
        .zip(&analyses_of)
        .map(|(&(system, variant), analysis)| Subject {
            system,
            variant,
            analysis,
        })
        .collect();
    print(&analyses(&loaded, &all, &cpu_note))?;

    let mut dirs: Vec<PathBuf> = Vec::new();
    let (sims, mut out) = simulations(&loaded, &all, &mut dirs)?;
    out.push_str(&format!(
        "\n== 3. live run ({} of each, on real threads) ==\n\n",
        LIVE_EACH
    ));
    print(&out)?;
    let (lives, mut out) = live_runs(&loaded, &all, &mut dirs)?;

    let runs: Vec<RunView> = dirs
        .iter()
        .map(|d| RunView::read(d))
        .collect::<Result<_, _>>()?;
    let report_dir = PathBuf::from("rtlab-out").join(&base.name);
    let written = write_report(
        "rtlab demo: priorities by importance vs rate-monotonic",
        &runs,
        &report_dir,
    )?;
    out.push_str(&format!("\n== 4. report: {} ==\n", written.html.display()));
    out.push_str(&three_lines(base, &configs, &sims, &lives, &written.html));
    print(&out)?;
    Ok(Exit::Success)
}

/// Part 1: what the demo is, where it runs, and the analysis of the base
/// config and of each variant.
fn analyses(loaded: &Loaded, all: &[Subject<'_>], cpu_note: &str) -> String {
    let base = &loaded.system;
    let mut out = String::new();
    out.push_str("rtlab demo: the embedded configs/demo.toml\n\n");
    out.push_str(base.description.trim());
    out.push_str(&format!(
        "\n\nrunning on {cpu_note}\n\n== 1. analysis ==\n\n"
    ));
    out.push_str(&render_analysis(base, all[0].analysis()));
    for (v, subject) in loaded.variants.iter().zip(&all[1..]) {
        out.push_str(&format!("\nvariant `{}`: {}\n", v.name, v.description));
        out.push_str(&format!("{}\n", headline(&v.system)));
        out.push_str(&verdict(&v.system, subject.analysis()));
    }
    out
}

/// Part 2: every configuration (`base` first) simulated (result directories added to
/// `dirs`); the outcomes and the text (the base's summary, a line per
/// variant).
fn simulations(
    loaded: &Loaded,
    all: &[Subject<'_>],
    dirs: &mut Vec<PathBuf>,
) -> Result<(Vec<Outcome>, String), CliError> {
    let mut out = format!(
        "\n== 2. simulation ({} of virtual time, seed {}) ==\n\n",
        loaded.system.duration, loaded.system.seed
    );
    let mut sims: Vec<Outcome> = Vec::new();
    for &subject in all {
        let (system, variant) = (subject.system, subject.variant);
        let dir = default_out(loaded, system, variant, "simulation");
        let outcome = simulate_into(subject, &des::Options::of(system), &dir, false)?;
        match variant {
            None => out.push_str(&render_summary(system, &outcome)),
            Some(v) => out.push_str(&format!("\nvariant `{v}`: {}\n", misses_line(&outcome))),
        }
        sims.push(outcome);
        dirs.push(dir);
    }
    Ok((sims, out))
}

/// Part 3: every configuration run live for [`LIVE_EACH`] (result
/// directories added to `dirs`); the outcomes and a line per run.
fn live_runs(
    loaded: &Loaded,
    all: &[Subject<'_>],
    dirs: &mut Vec<PathBuf>,
) -> Result<(Vec<Outcome>, String), CliError> {
    let mut lives: Vec<Outcome> = Vec::new();
    let mut out = String::new();
    for &subject in all {
        let (system, variant) = (subject.system, subject.variant);
        let dir = default_out(loaded, system, variant, "live");
        let options = live::Options {
            duration: LIVE_EACH,
            seed: system.seed,
            strict: false,
        };
        eprintln!(
            "rtlab: running {} live for {LIVE_EACH}...",
            variant.map_or_else(|| system.name.clone(), |v| format!("{} ({v})", system.name))
        );
        let outcome = run_into(loaded, subject, &options, &dir, false)?;
        out.push_str(&format!(
            "{}: {}\n",
            variant.map_or_else(|| "base".to_string(), |v| format!("variant `{v}`")),
            misses_line(&outcome)
        ));
        for w in &outcome.environment.warnings {
            out.push_str(&format!("  warning: {w}\n"));
        }
        lives.push(outcome);
        dirs.push(dir);
    }
    Ok((lives, out))
}

/// "no deadline missed" or "N of M deadlines missed (task: k of j)".
fn misses_line(o: &Outcome) -> String {
    let total = o.deadline_misses();
    if total == 0 {
        return "no deadline was missed".to_string();
    }
    let jobs: u64 = o.tasks.iter().map(|t| t.jobs).sum();
    let worst: Vec<String> = o
        .tasks
        .iter()
        .filter(|t| t.deadline_misses > 0)
        .map(|t| format!("{} missed {} of {}", t.name, t.deadline_misses, t.jobs))
        .collect();
    format!("{total} of {jobs} deadlines missed ({})", worst.join(", "))
}

/// The closing verdict, three lines.
fn three_lines(
    base: &System,
    all: &[(&System, Option<&str>)],
    sims: &[Outcome],
    lives: &[Outcome],
    report: &std::path::Path,
) -> String {
    let mut lines = Vec::new();
    if let (Some(sim), Some(live)) = (sims.first(), lives.first()) {
        match sim
            .tasks
            .iter()
            .filter(|t| t.deadline_misses > 0)
            .max_by_key(|t| t.deadline_misses)
        {
            Some(t) => {
                let live_t = live.tasks.iter().find(|l| l.name == t.name);
                let who: Vec<String> = t
                    .misses
                    .iter()
                    .max_by_key(|m| m.lateness_ns)
                    .map(|m| {
                        m.waited_for
                            .iter()
                            .take(3)
                            .map(|d| format!("`{}`", d.task))
                            .collect()
                    })
                    .unwrap_or_default();
                let why = if who.is_empty() {
                    String::new()
                } else {
                    format!(": it waits while {} run", who.join(", "))
                };
                lines.push(format!(
                    "verdict: as configured, `{}` misses {} of {} deadlines simulated and {} of {} live (up to {} late){why}.",
                    t.name,
                    t.deadline_misses,
                    t.jobs,
                    live_t.map_or(0, |l| l.deadline_misses),
                    live_t.map_or(0, |l| l.jobs),
                    t.lateness_max_ns
                        .map_or_else(|| "?".to_string(), |l| rtlab_reports::format::duration(l.unsigned_abs())),
                ));
            }
            None => lines.push(format!(
                "verdict: `{}` as configured meets every deadline.",
                base.name
            )),
        }
    }
    for (i, (_, variant)) in all.iter().enumerate().skip(1) {
        let (Some(sim), Some(live)) = (sims.get(i), lives.get(i)) else {
            continue;
        };
        let name = variant.unwrap_or("?");
        if sim.deadline_misses() == 0 && live.deadline_misses() == 0 {
            lines.push(format!(
                "         variant `{name}` meets every deadline, simulated and live."
            ));
        } else {
            lines.push(format!(
                "         variant `{name}`: simulated {}; live {}.",
                misses_line(sim),
                misses_line(live)
            ));
        }
    }
    lines.push(format!("         report: {}", report.display()));
    format!("\n{}\n", lines.join("\n"))
}
