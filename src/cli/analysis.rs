//! A schedulability analysis in words: the headline saying how a system is
//! scheduled, the per-task table with the tests, and the closing verdict.
//! Shared by `analyze`, `tune`, the demo and the run summaries.

use rtlab_tasks::analysis::{self, Analysis};
use rtlab_tasks::model::{Arrival, Link, Placement, Policy, System};
use rtlab_tasks::time::Duration;

use super::table::Table;

fn ns(v: u64) -> String {
    Duration::from_nanos(v).to_string()
}

/// One line saying how the system is scheduled.
pub(super) fn headline(system: &System) -> String {
    let s = &system.scheduler;
    let mut how = vec![
        if s.preemptive {
            "preemptive"
        } else {
            "non-preemptive"
        }
        .to_string(),
    ];
    if matches!(s.policy, Policy::FixedPriority) {
        how.push(format!("{} priorities", s.priorities.as_str()));
    }
    if !system.resources.is_empty() {
        how.push(format!("locking {}", s.locking.as_str()));
    }
    let cpus: Vec<String> = system.platform.cpus.iter().map(u32::to_string).collect();
    let place = match (s.placement, cpus.len()) {
        (_, 1) => format!("on CPU {}", cpus[0]),
        (Placement::Partitioned, _) => format!("partitioned on CPUs {}", cpus.join(", ")),
        (Placement::Global, _) => format!("global on CPUs {}", cpus.join(", ")),
    };
    format!(
        "{}: {} ({}), {place}",
        system.name,
        s.policy.as_str(),
        how.join(", ")
    )
}

/// The human report: headline, per-task table, tests, verdict with the
/// tasks that fail and by how much.
pub(super) fn render(system: &System, report: &Analysis) -> String {
    let mut out = format!("{}\n", headline(system));
    out.push_str(&format!(
        "total utilization U = {:.3}\n\n",
        report.utilization
    ));

    let mut t = Table::new(&[
        "task",
        ">cpu",
        ">prio",
        ">period",
        ">wcet",
        ">deadline",
        ">U",
        ">blocking",
        ">WCRT",
        ">slack",
        "verdict",
    ]);
    for (task, v) in system.tasks.iter().zip(&report.tasks) {
        let deadline = task.deadline.as_nanos();
        let slack = v.wcrt_ns.map(|r| i128::from(deadline) - i128::from(r));
        t.row(vec![
            task.name.clone(),
            task.cpu.map_or("any".into(), |c| c.to_string()),
            task.priority.to_string(),
            match task.arrival.min_gap() {
                // The minimum gap stands for the period.
                Some(min) => format!(">={min}"),
                None => task.period.to_string(),
            },
            task.wcet.to_string(),
            task.deadline.to_string(),
            format!("{:.3}", v.utilization),
            v.blocking_ns.map_or("-".into(), ns),
            v.wcrt_ns.map_or("-".into(), ns),
            slack.map_or("-".into(), |s| {
                if s < 0 {
                    format!("-{}", ns(s.unsigned_abs() as u64))
                } else {
                    ns(s as u64)
                }
            }),
            match v.schedulable {
                Some(true) => "ok".into(),
                Some(false) => "MISS".into(),
                None => "unknown".into(),
            },
        ]);
    }
    out.push_str(&t.render(1));
    out.push_str(&arrival_notes(system));
    out.push_str(&trigger_notes(system));
    out.push('\n');

    let mut tests = Table::new(&["test", "verdict", "detail"]);
    for test in &report.tests {
        tests.row(vec![
            test.name.clone(),
            match (test.applies, test.schedulable) {
                (false, _) => "n/a".into(),
                (true, Some(true)) => "schedulable".into(),
                (true, Some(false)) if test.kind == analysis::TestKind::Exact => {
                    "not schedulable".into()
                }
                (true, Some(false)) => "not accepted".into(),
                (true, None) => "inconclusive".into(),
            },
            test.detail.clone(),
        ]);
    }
    out.push_str(&tests.render(1));
    out.push('\n');
    if !report.chains.is_empty() {
        out.push_str(&chains(system, report));
        out.push('\n');
    }
    out.push_str(&verdict(system, report));
    out
}

/// The chains table: stages (`->` a trigger, `~>` a register), bound,
/// data age, deadline, method and verdict, with each chain's detail.
fn chains(system: &System, report: &Analysis) -> String {
    let mut t = Table::new(&[
        "chain",
        "tasks",
        ">bound",
        ">data age",
        ">deadline",
        "method",
        "verdict",
    ]);
    for (chain, v) in system.chains.iter().zip(&report.chains) {
        let mut stages = system.tasks[chain.tasks[0].0].name.clone();
        for pair in chain.tasks.windows(2) {
            stages.push_str(match system.link(pair[0], pair[1]) {
                Some(Link::Register) => " ~> ",
                _ => " -> ",
            });
            stages.push_str(&system.tasks[pair[1].0].name);
        }
        t.row(vec![
            v.name.clone(),
            stages,
            v.bound_ns.map_or("-".into(), ns),
            v.data_age_bound_ns.flatten().map_or("-".into(), ns),
            chain.deadline.map_or("-".into(), |d| d.to_string()),
            v.method.to_string(),
            chain_verdict(v).into(),
        ]);
    }
    let mut out = t.render(1);
    for v in &report.chains {
        out.push_str(&format!(" {}: {}\n", v.name, v.detail));
    }
    out
}

/// A chain's verdict in a word: `ok` (bound within the deadline, proven),
/// `unknown` (a bound above the deadline is not a proof, or no bound),
/// `-` (no deadline to check).
fn chain_verdict(v: &analysis::chain::ChainVerdict) -> &'static str {
    match (v.schedulable, v.deadline_ns) {
        (Some(true), _) => "ok",
        (_, None) => "-",
        _ => "unknown",
    }
}

/// One line per sporadic or Poisson task: what the analysis took as its
/// period.
fn arrival_notes(system: &System) -> String {
    let mut out = String::new();
    for task in &system.tasks {
        let gaps = match task.arrival {
            Arrival::Periodic => continue,
            Arrival::Sporadic { min, max } => format!("sporadic arrivals, gaps {min} to {max}"),
            Arrival::Poisson { mean, min } => {
                format!("poisson arrivals, mean gap {mean}, never below {min}")
            }
        };
        out.push_str(&format!(
            " {}: {gaps}; the analysis takes the minimum gap {} as the period (the worst case of \
             the model)\n",
            task.name, task.period
        ));
    }
    out
}

/// One line per triggered task: where its releases come from and what
/// its figures are measured from.
fn trigger_notes(system: &System) -> String {
    let mut out = String::new();
    for task in &system.tasks {
        let Some(trigger) = task.trigger else {
            continue;
        };
        let source = system.trigger_source(task.id).unwrap_or(trigger);
        out.push_str(&format!(
            " {}: released by each completion of `{}`; its period is `{}`'s, its WCRT is from its \
             own release, with the activation jitter `{}` passes on (holistic analysis)\n",
            task.name,
            system.tasks[trigger.0].name,
            system.tasks[source.0].name,
            system.tasks[trigger.0].name,
        ));
    }
    out
}

/// The closing verdict: proven schedulable, NOT schedulable with the
/// witness, or unknown with the reason and the tasks not proven safe.
pub(super) fn verdict(system: &System, report: &Analysis) -> String {
    let line = |task: &rtlab_tasks::model::Task, v: &analysis::TaskVerdict| {
        let what = match (v.schedulable, v.wcrt_ns) {
            (Some(false), _) => format!(
                "misses (proven): {}",
                v.witness
                    .as_deref()
                    .unwrap_or("its bound exceeds its deadline")
            ),
            (_, Some(r)) if r > task.deadline.as_nanos() => format!(
                "not proven: bound {} > deadline {} (an upper bound only){}",
                ns(r),
                task.deadline,
                v.blocking_detail
                    .as_deref()
                    .filter(|d| d.starts_with("priority inversion"))
                    .map_or(String::new(), |d| format!("; {d}"))
            ),
            (_, Some(_)) => "not proven".to_string(),
            (_, None) => "not proven: no response-time bound".to_string(),
        };
        format!("  {}: {what}\n", task.name)
    };
    let listed: String = system
        .tasks
        .iter()
        .zip(&report.tasks)
        .filter(|(_, v)| match report.schedulable {
            Some(false) => v.schedulable == Some(false),
            _ => v.schedulable != Some(true),
        })
        .map(|(t, v)| line(t, v))
        .collect();
    let tasks = match report.schedulable {
        Some(true) => format!("verdict: {}\n", report.reason),
        Some(false) => format!("verdict: {}\n{listed}", report.reason),
        None => format!(
            "verdict: {}\n{}{listed}",
            report.reason,
            if listed.is_empty() {
                ""
            } else {
                "tasks not proven to meet their deadlines:\n"
            }
        ),
    };
    format!("{tasks}{}", chain_lines(report))
}

/// One line per chain with an end-to-end deadline: proven within it, or
/// not proven (never a proven miss: the bounds are upper bounds).
fn chain_lines(report: &Analysis) -> String {
    let mut out = String::new();
    for v in &report.chains {
        let Some(deadline) = v.deadline_ns else {
            continue;
        };
        let what = match (v.schedulable, v.bound_ns) {
            (Some(true), Some(b)) => format!(
                "within its deadline (proven): end-to-end bound {} <= {}",
                ns(b),
                ns(deadline)
            ),
            (_, Some(b)) => format!(
                "not proven: end-to-end bound {} > deadline {} (an upper bound only)",
                ns(b),
                ns(deadline)
            ),
            (_, None) => "not proven: no end-to-end bound".to_string(),
        };
        out.push_str(&format!("chain {}: {what}\n", v.name));
    }
    out
}

#[cfg(test)]
mod tests {
    use rtlab_tasks::analysis;
    use rtlab_tasks::model::SystemBuilder;
    use rtlab_tasks::time::Duration;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    #[test]
    fn chains_table_marks_registers_and_the_verdict_lines_stay_honest() {
        // camera (T 100, C 10) -> detect (C 20) ~> ctrl (T 50, C 5): the
        // bounds of tasks/src/analysis/chain/tests.rs (mixed chain): 155ns,
        // above a 150ns deadline (not proven), within 200ns (proven).
        let system = SystemBuilder::new("mixed")
            .task("camera", ns(100), ns(10))
            .priority(3)
            .task("detect", ns(100), ns(20))
            .priority(2)
            .triggered_by("camera")
            .task("ctrl", ns(50), ns(5))
            .priority(4)
            .reads("detect")
            .chain("tight", &["camera", "detect", "ctrl"], Some(ns(150)))
            .chain("loose", &["camera", "detect", "ctrl"], Some(ns(200)))
            .build();
        let report = analysis::analyze(&system);
        let text = super::render(&system, &report);
        assert!(text.contains("camera -> detect ~> ctrl"), "{text}");
        assert!(text.contains("holistic+davare"), "{text}");
        assert!(
            text.contains(
                "chain tight: not proven: end-to-end bound 155ns > deadline 150ns (an upper bound only)"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "chain loose: within its deadline (proven): end-to-end bound 155ns <= 200ns"
            ),
            "{text}"
        );
        assert!(
            text.contains(" detect: released by each completion of `camera`"),
            "{text}"
        );
    }
}
