//! The terminal summary of a result (simulated or live): per task what
//! happened against what the analysis predicted, then for each task that
//! missed, its worst miss and what delayed it.

use rtlab_reports::format;
use rtlab_tasks::model::System;
use rtlab_tasks::outcome::{Engine, Miss, Outcome, TaskOutcome};

use super::analysis::headline;
use super::table::Table;

fn dur(ns: Option<u64>) -> String {
    ns.map_or_else(|| "-".to_string(), format::duration)
}

/// The summary of `outcome`, a run of `system`.
pub(super) fn render(system: &System, outcome: &Outcome) -> String {
    let mut out = heading(system, outcome);
    out.push_str(&task_table(outcome));
    out.push_str(&misses(outcome));
    out.push_str(&platform(outcome));
    if outcome.engine == Engine::Live {
        out.push_str(&machine(outcome));
    }
    out
}

/// The headline, then which engine ran for how long with which seed.
fn heading(system: &System, outcome: &Outcome) -> String {
    let engine = match outcome.engine {
        Engine::Simulation => "simulation",
        Engine::Live => "live run",
    };
    let variant = outcome
        .variant
        .as_deref()
        .map_or(String::new(), |v| format!(", variant `{v}`"));
    format!(
        "{}\n{engine}{variant}: {}, seed {}{}\n\n",
        headline(system),
        format::duration(outcome.duration_ns),
        outcome.seed,
        if outcome.interrupted {
            ", INTERRUPTED"
        } else {
            ""
        },
    )
}

/// Per task: jobs, misses, response times against the analysis bound.
fn task_table(outcome: &Outcome) -> String {
    let mut t = Table::new(&[
        "task",
        ">jobs",
        ">done",
        ">missed",
        ">response p50",
        ">p99",
        ">max",
        ">WCRT bound",
        ">blocking max",
    ]);
    for task in &outcome.tasks {
        t.row(vec![
            task.name.clone(),
            task.jobs.to_string(),
            task.completed.to_string(),
            task.deadline_misses.to_string(),
            dur(task.response_time.p50_ns),
            dur(task.response_time.p99_ns),
            dur(task.response_time.max_ns),
            task.analysis
                .wcrt_ns
                .map_or_else(|| "none".to_string(), format::duration),
            dur(task.blocking.max_ns),
        ]);
    }
    t.render(1)
}

/// "no deadline was missed", or each task that missed with its worst miss
/// explained.
fn misses(outcome: &Outcome) -> String {
    let missed: Vec<&TaskOutcome> = outcome
        .tasks
        .iter()
        .filter(|t| t.deadline_misses > 0)
        .collect();
    if missed.is_empty() {
        return "\nno deadline was missed\n".to_string();
    }
    let mut out = String::from("\ndeadline misses (the worst job of each task, and why):\n");
    for task in missed {
        out.push_str(&format!(
            "  {}: {} of {} jobs missed\n",
            task.name, task.deadline_misses, task.jobs
        ));
        if let Some(m) = task
            .misses
            .iter()
            .max_by_key(|m| (m.lateness_ns, std::cmp::Reverse(m.release_ns)))
        {
            out.push_str(&explain(m, outcome.engine));
        }
    }
    out
}

/// How busy each CPU was, each resource's contention, and a deadlock.
fn platform(outcome: &Outcome) -> String {
    let cpus: Vec<String> = outcome
        .cpus
        .iter()
        .map(|c| format!("CPU {} {} busy", c.id, format::percent(c.busy_ratio)))
        .collect();
    let mut out = format!("\n{}\n", cpus.join(", "));
    for r in &outcome.resources {
        out.push_str(&format!(
            "resource `{}`: {} locks, {} contended, wait max {}, hold max {}\n",
            r.name,
            r.acquisitions,
            r.contended,
            dur(r.wait.max_ns),
            dur(r.hold.max_ns)
        ));
    }
    if let Some(d) = &outcome.deadlock {
        out.push_str(&format!("\nDEADLOCK: {d}\n"));
    }
    out
}

/// What the machine of a live run was, and what it did to the measurement.
fn machine(outcome: &Outcome) -> String {
    let env = &outcome.environment;
    let mut out = format!(
        "\nmachine: {} CPUs online, kernel {}, policy {}{}\n",
        env.cpus_online.map_or("?".into(), |n| n.to_string()),
        env.kernel.as_deref().unwrap_or("?"),
        env.os_policy.as_deref().unwrap_or("?"),
        if env.rt_privileges == Some(false) {
            " (NO REAL-TIME PRIVILEGES)"
        } else {
            ""
        }
    );
    for w in &env.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// One miss in words: when, by how much, and the largest delays.
fn explain(m: &Miss, engine: Engine) -> String {
    let e = rtlab_reports::explain::miss(m, engine);
    let mut out = format!("    {}\n      why: {}\n", e.what, e.total);
    if let Some(advice) = e.advice {
        out.push_str(&format!("      fix: {advice}\n"));
    }
    out
}
