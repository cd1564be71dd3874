//! The terminal summary of a result (simulated or live): per task what
//! happened against what the analysis predicted (a worst response above
//! the analysis bound called out under the table), then for each task that
//! missed, its worst miss and what delayed it (the biggest foreign cause
//! in one line first), then the CPUs (live: where each one's time went).

use rtlab_reports::explain::chain;
use rtlab_reports::{format, usage};
use rtlab_tasks::model::{CpuId, System};
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
    out.push_str(&chain_table(outcome));
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
    let mut out = t.render(1);
    for task in &outcome.tasks {
        if let Some(text) = rtlab_reports::explain::exceeded(task) {
            out.push_str(&format!(
                " {} exceeded the analysis bound: {text}\n",
                task.name
            ));
        }
    }
    out
}

/// Per chain (none without chains): stages, instances, end-to-end misses
/// and latency against the bound and deadline, the worst instance's
/// dominant stage; then each chain that missed, in words.
fn chain_table(outcome: &Outcome) -> String {
    if outcome.chains.is_empty() {
        return String::new();
    }
    let mut t = Table::new(&[
        "chain",
        "stages",
        ">instances",
        ">missed",
        ">end to end p50",
        ">p99",
        ">max",
        ">bound",
        ">deadline",
        "worst: dominant stage",
    ]);
    for c in &outcome.chains {
        t.row(vec![
            c.name.clone(),
            c.tasks.join(" -> "),
            c.jobs.to_string(),
            c.deadline_misses.to_string(),
            dur(c.end_to_end.p50_ns),
            dur(c.end_to_end.p99_ns),
            dur(c.end_to_end.max_ns),
            c.analysis
                .as_ref()
                .map_or_else(|| "-".into(), |a| dur(a.bound_ns)),
            dur(c.deadline_ns),
            c.worst
                .as_ref()
                .and_then(chain::dominant_share)
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut out = format!("\n{}", t.render(1));
    for c in &outcome.chains {
        if let Some(line) = chain::missed(c) {
            out.push_str(&format!(" {line}\n"));
        }
        if let Some(text) = chain::exceeded(c) {
            out.push_str(&format!(
                " chain {} exceeded the analysis bound: {text}\n",
                c.name
            ));
        }
    }
    out
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
            if let Some(cause) = rtlab_reports::explain::foreign_cause(m, task.cpu) {
                out.push_str(&format!("    worst miss: {cause}\n"));
            }
            out.push_str(&explain(m, outcome.engine, task.cpu));
        }
    }
    out
}

/// How busy each CPU was (live: one line per CPU of where its time went,
/// see [`usage`]), each resource's contention, and a deadlock.
fn platform(outcome: &Outcome) -> String {
    let busy: Vec<String> = outcome
        .cpus
        .iter()
        .filter(|c| c.usage.is_none())
        .map(|c| format!("CPU {} {} busy", c.id, format::percent(c.busy_ratio)))
        .collect();
    let mut out = String::from("\n");
    for c in &outcome.cpus {
        if let Some(u) = &c.usage {
            out.push_str(&usage::line(c.id, u));
            out.push('\n');
        }
    }
    if !busy.is_empty() {
        out.push_str(&format!("{}\n", busy.join(", ")));
    }
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

/// One miss of a task on `cpu` in words: when, by how much, and the
/// largest delays.
fn explain(m: &Miss, engine: Engine, cpu: Option<CpuId>) -> String {
    let e = rtlab_reports::explain::miss(m, engine, cpu);
    let mut out = format!("    {}\n      why: {}\n", e.what, e.total);
    if let Some(advice) = e.advice {
        out.push_str(&format!("      fix: {advice}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::model::SystemBuilder;
    use rtlab_tasks::outcome::{
        CpuOutcome, CpuUsage, Environment, Interference, InterferenceKind, MissKind, RESULT_SCHEMA,
        TaskPrediction, TaskStats,
    };
    use rtlab_tasks::time::Duration;

    /// `ctl` (0.5 ms every 5 ms, deadline 2 ms, bound 0.52 ms) on CPU 1,
    /// live: one job 1.52 ms late behind a SCHED_FIFO intruder.
    fn intruded() -> (System, Outcome) {
        let us = |v| Duration::from_micros(v).expect("small");
        let system = SystemBuilder::new("intruded")
            .cpus(&[1])
            .task("ctl", us(5_000), us(500))
            .deadline(us(2_000))
            .cpu(1)
            .build();
        let mut stats = TaskStats::default();
        for r in [520_000, 530_000, 3_518_000] {
            stats.jobs += 1;
            stats.complete(r, r as i64 - 2_000_000);
        }
        stats.keep_miss(Miss {
            job: 2,
            release_ns: 10_000_000,
            deadline_ns: 12_000_000,
            finish_ns: Some(13_518_000),
            lateness_ns: 1_518_000,
            kind: MissKind::Late,
            release_jitter_ns: 18_000,
            waited_for: Vec::new(),
            blocked_on: Vec::new(),
            queued_ns: 0,
            executed_ns: 500_000,
            interference: vec![Interference {
                source: "intruder (pid 4242, SCHED_FIFO 95)".into(),
                kind: InterferenceKind::Thread,
                ns: 3_000_000,
            }],
            unexplained_ns: 0,
        });
        let prediction = TaskPrediction {
            wcrt_ns: Some(520_000),
            schedulable: Some(true),
            witness: None,
            exceeded_ns: Some(2_998_000),
        };
        let task = stats.into_outcome(&system.tasks[0], prediction);
        let outcome = Outcome {
            schema: RESULT_SCHEMA.into(),
            engine: Engine::Live,
            config: serde_json::json!({ "name": "intruded" }),
            variant: None,
            seed: 1,
            environment: Environment::default(),
            started_at: None,
            duration_ns: 1_000_000_000,
            interrupted: false,
            tasks: vec![task],
            chains: Vec::new(),
            cpus: vec![CpuOutcome {
                id: 1,
                busy_ratio: 0.08,
                busy_ns: 80_000_000,
                usage: Some(CpuUsage {
                    tasks_ns: 80_000_000,
                    load_ns: 500_000_000,
                    foreign_ns: 30_000_000,
                    irq_ns: 10_000_000,
                    steal_ns: 4_000_000,
                    idle_ns: 376_000_000,
                    source: "kernel-trace".into(),
                }),
            }],
            resources: Vec::new(),
            trace: None,
            deadlock: None,
        };
        (system, outcome)
    }

    #[test]
    fn a_live_summary_names_the_foreign_cause_the_excess_and_each_cpus_time() {
        let (system, outcome) = intruded();
        let text = render(&system, &outcome);
        let lines: Vec<&str> = text.lines().collect();
        for wanted in [
            " ctl exceeded the analysis bound: worst 3.52 ms > bound 520 µs (+3.00 ms)",
            "  ctl: 1 of 3 jobs missed",
            "    worst miss: 3.00 ms taken by `intruder` (pid 4242, SCHED_FIFO 95) on CPU 1",
            "      why: 3.52 ms response = 500 µs own execution + 3.00 ms while `intruder` \
             (pid 4242, SCHED_FIFO 95) ran on CPU 1 + 18.0 µs wake-up",
            "CPU 1: tasks 8.0%, load 50.0%, other threads 3.0%, IRQs 1.0%, steal 0.4%, \
             idle 37.6% (kernel trace)",
        ] {
            assert!(lines.contains(&wanted), "no line {wanted:?} in\n{text}");
        }
        // The usage line replaces the busy share of that CPU.
        assert!(!text.contains("busy"), "{text}");
    }

    #[test]
    fn a_simulated_summary_keeps_its_busy_line_and_has_no_foreign_cause() {
        let (system, mut outcome) = intruded();
        outcome.engine = Engine::Simulation;
        outcome.cpus[0].usage = None;
        outcome.tasks[0].analysis.exceeded_ns = None;
        outcome.tasks[0].misses[0].interference.clear();
        outcome.tasks[0].misses[0].executed_ns += 3_000_000;
        let text = render(&system, &outcome);
        assert!(text.contains("\nCPU 1 8.0% busy\n"), "{text}");
        assert!(text.contains("+ 18.0 µs release jitter"), "{text}");
        for absent in ["worst miss:", "exceeded", "CPU 1:"] {
            assert!(!text.contains(absent), "{absent} in\n{text}");
        }
    }
}
