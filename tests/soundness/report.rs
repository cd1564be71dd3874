//! A counterexample, printed so that a user can reproduce it: the config
//! as a file, what `rtlab analyze` says about it, and what the simulation
//! with the same horizon and seed showed.

use std::fmt::Write as _;

use rtlab_tasks::analysis::{Analysis, TaskVerdict};

use crate::check::{Failure, Sim};
use crate::generate::Spec;
use crate::observe::{JobState, MissEnd, TaskSeen};

/// Misses listed per task (the count is always given).
const MISSES_SHOWN: usize = 3;

/// The whole counterexample, several lines.
pub(crate) fn render(f: &Failure) -> String {
    let (horizon, seed) = f
        .sim
        .as_ref()
        .map_or((f.case.horizons[0], 1), |s| (s.horizon, s.seed));
    let mut out = String::new();
    let _ = writeln!(out, "soundness counterexample: {}", f.what);
    let _ = writeln!(
        out,
        "\n== config (save as soundness.toml; `rtlab analyze soundness.toml`, \
         `rtlab simulate soundness.toml` runs this horizon and seed)\n"
    );
    out.push_str(&f.case.spec.toml(horizon, seed));
    out.push_str(&analysis(&f.case.analysis));
    if let Some(sim) = &f.sim {
        out.push_str(&simulation(&f.case.analysis, sim));
    }
    out
}

fn opt<T: std::fmt::Display>(v: Option<T>, unit: &str) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v}{unit}"))
}

fn verdict(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "null",
    }
}

fn analysis(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n== analysis: schedulable = {}",
        verdict(a.schedulable)
    );
    for t in a.tests.iter().filter(|t| t.applies) {
        let kind = match t.kind {
            rtlab_tasks::analysis::TestKind::Exact => "exact",
            rtlab_tasks::analysis::TestKind::Sufficient => "sufficient",
        };
        let _ = writeln!(
            out,
            "  test {} ({kind}): {}: {}",
            t.name,
            verdict(t.schedulable),
            t.detail
        );
    }
    for t in &a.tasks {
        out.push_str(&task_verdict(t));
    }
    out
}

fn task_verdict(t: &TaskVerdict) -> String {
    let mut line = format!(
        "  task {}: cpu {}, priority {}, wcrt {}, blocking {}, schedulable {}",
        t.name,
        opt(t.cpu, ""),
        t.priority,
        opt(t.wcrt_ns, "ns"),
        opt(t.blocking_ns, "ns"),
        verdict(t.schedulable),
    );
    for (label, text) in [
        ("blocking", &t.blocking_detail),
        ("note", &t.note),
        ("witness", &t.witness),
    ] {
        if let Some(text) = text {
            let _ = write!(line, "\n      {label}: {text}");
        }
    }
    line.push('\n');
    line
}

fn simulation(a: &Analysis, sim: &Sim) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n== simulation: horizon {}ns, seed {}, ran to {}ns",
        sim.horizon, sim.seed, sim.outcome.duration_ns
    );
    if let Some(d) = &sim.outcome.deadlock {
        let _ = writeln!(out, "  deadlock at {}ns: {d}", d.at_ns);
    }
    for ((v, seen), o) in a.tasks.iter().zip(&sim.seen).zip(&sim.outcome.tasks) {
        out.push_str(&task_seen(&v.name, seen));
        let _ = writeln!(
            out,
            "      simulator's counters: misses {}, completed {}, aborted {}, skipped {}, \
             incomplete {}, max response {}",
            o.deadline_misses,
            o.completed,
            o.aborted,
            o.skipped,
            o.incomplete,
            opt(o.response_time.max_ns, "ns"),
        );
    }
    out
}

fn task_seen(name: &str, seen: &TaskSeen) -> String {
    let worst = seen.worst.map_or_else(
        || "-".to_string(),
        |w| {
            let how = match w.state {
                JobState::Completed => "completed",
                JobState::Unfinished => "unfinished at the horizon: more than",
                JobState::Cut => "unfinished at the deadlock: at least",
            };
            format!(
                "job {} released at {}ns, {how} {}ns",
                w.job, w.release, w.ns
            )
        },
    );
    let mut out = format!(
        "  task {name}: completed {}, misses {}, aborted {}, skipped {}; worst response: {worst}\n",
        seen.completed,
        seen.misses.len(),
        seen.aborted,
        seen.skipped,
    );
    for m in seen.misses.iter().take(MISSES_SHOWN) {
        let end = match m.end {
            MissEnd::Late(t) => format!("completed at {t}ns (response {}ns)", t - m.release),
            MissEnd::Aborted => "aborted".to_string(),
            MissEnd::Unfinished => "unfinished at the end".to_string(),
        };
        let _ = writeln!(
            out,
            "      miss: job {} released at {}ns, deadline {}ns, {end}",
            m.job, m.release, m.deadline
        );
    }
    out
}

/// A panic in the loader, the analysis or the simulator (`what`: where
/// and why), with the config that caused it.
pub(crate) fn render_panic(spec: &Spec, what: &str) -> String {
    format!(
        "soundness counterexample: a panic: {what}\n\n== config (save as soundness.toml)\n\n{}",
        spec.toml(1000, 1)
    )
}
