//! `rtlab analyze CONFIG [--variant NAME] [--json]`: schedulability tests
//! and per-task response-time bounds, as a table or `rtlab.analysis/v1`.

use std::path::Path;

use rtlab_tasks::analysis::{self, Analysis};
use rtlab_tasks::config::Loaded;
use rtlab_tasks::model::{Placement, Policy, System};
use rtlab_tasks::time::Duration;

use super::table::Table;
use super::{CliError, Exit, load, print};

/// Analyses the base config or one variant.
pub(super) fn run(
    path: &Path,
    variant: Option<&str>,
    json: bool,
    fail_on_miss: bool,
) -> Result<Exit, CliError> {
    let loaded = load(path)?;
    let system = select(&loaded, variant)?;
    let report = analysis::analyze(system);
    if json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::Usage(format!("cannot serialize the analysis: {e}")))?;
        print(&(text + "\n"))?;
    } else {
        let mut text = render(system, &report);
        if variant.is_none() && !loaded.variants.is_empty() {
            text.push_str(&variants_summary(&loaded));
        }
        print(&text)?;
    }
    // A task that is not proven safe can miss: only a proof passes.
    Ok(if fail_on_miss && report.schedulable != Some(true) {
        eprintln!(
            "rtlab: --fail-on-miss: not every task is proven to meet its deadline ({}): {}",
            report.flagged.join(", "),
            report.reason
        );
        Exit::Missed
    } else {
        Exit::Success
    })
}

/// The base system, or the named variant's.
pub(super) fn select<'a>(
    loaded: &'a Loaded,
    variant: Option<&str>,
) -> Result<&'a System, CliError> {
    match variant {
        None => Ok(&loaded.system),
        Some(name) => loaded
            .variants
            .iter()
            .find(|v| v.name == name)
            .map(|v| &v.system)
            .ok_or_else(|| {
                let names: Vec<&str> = loaded.variants.iter().map(|v| v.name.as_str()).collect();
                CliError::Usage(if names.is_empty() {
                    format!("no variant named `{name}`: the config has no [[variant]]")
                } else {
                    format!("no variant named `{name}`; variants: {}", names.join(", "))
                })
            }),
    }
}

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
            task.period.to_string(),
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

/// One line per variant with its verdict.
fn variants_summary(loaded: &Loaded) -> String {
    let mut out = String::from("\nvariants (rtlab analyze --variant NAME for details):\n");
    for v in &loaded.variants {
        let report = analysis::analyze(&v.system);
        let verdict = match report.schedulable {
            Some(true) => "schedulable".to_string(),
            Some(false) => {
                let n = report
                    .tasks
                    .iter()
                    .filter(|t| t.schedulable == Some(false))
                    .count();
                format!(
                    "NOT schedulable ({n} task{} can miss)",
                    if n == 1 { "" } else { "s" }
                )
            }
            None => "unknown".to_string(),
        };
        out.push_str(&format!("  {}: {verdict}\n", v.name));
    }
    out
}
