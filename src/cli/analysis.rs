//! A schedulability analysis in words: the headline saying how a system is
//! scheduled, the per-task table with the tests, and the closing verdict.
//! Shared by `analyze`, `tune`, the demo and the run summaries.

use rtlab_tasks::analysis::{self, Analysis};
use rtlab_tasks::model::{Arrival, Placement, Policy, System};
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
    out.push_str(&verdict(system, report));
    out
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
    match report.schedulable {
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
    }
}
