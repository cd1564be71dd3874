//! `rtlab tune CONFIG [--write]`: a feasible fixed-priority order.
//!
//! Audsley's optimal priority assignment (with the exact response-time test,
//! blocking and jitter included) finds an order whenever one exists; when
//! none does, deadline-monotonic is proposed and the remaining misses are
//! shown. The new priorities count down from `live.priority_top`, so they
//! can be used as SCHED_FIFO priorities as they are. `--write` rewrites the
//! file in place: `scheduler.priorities = "explicit"` and one `priority`
//! per task, comments and layout kept.

mod advice;

use std::path::Path;

use rtlab_tasks::analysis::{self, Analysis, priority};
use rtlab_tasks::config::edit;
use rtlab_tasks::model::{Policy, PriorityOrder, System};
use rtlab_tasks::time::Duration;

use super::analysis::verdict;
use super::error::{CliError, Exit};
use super::input::load;
use super::output::{print, write_atomic};
use super::table::Table;

/// Proposes (and with `write`, applies) a feasible priority order.
pub(super) fn run(path: &Path, write: bool) -> Result<Exit, CliError> {
    let loaded = load(path)?;
    let system = &loaded.system;
    if system.scheduler.policy != Policy::FixedPriority {
        print(&format!(
            "{}: policy \"{}\" does not use task priorities; nothing to tune\n",
            system.name,
            system.scheduler.policy.as_str()
        ))?;
        return Ok(Exit::Success);
    }
    let new_priority = audsley_priorities(system)?;
    let mut tuned = system.clone();
    tuned.scheduler.priorities = PriorityOrder::Explicit;
    for (task, p) in tuned.tasks.iter_mut().zip(&new_priority) {
        task.priority = *p;
    }
    let before = analysis::analyze(system);
    let after = analysis::analyze(&tuned);

    let mut out = format!(
        "{}: priority order by Audsley's algorithm (exact RTA{})\n\n",
        system.name,
        if system.resources.is_empty() {
            ""
        } else {
            " with blocking"
        }
    );
    out.push_str(&changes(system, &new_priority, &before, &after));
    out.push('\n');
    out.push_str("before: ");
    out.push_str(&verdict(system, &before));
    out.push_str("after:  ");
    out.push_str(&verdict(&tuned, &after));
    let same_order = same_relative_order(system, &tuned);
    if same_order {
        out.push_str("\nThe current order is already this one; only the numbers differ.\n");
    }
    if let Some(advice) = advice::advice(&tuned, &after) {
        out.push_str(&advice);
    }
    if write {
        write_priorities(path, system, &new_priority)?;
        let why = match system.scheduler.priorities {
            PriorityOrder::Explicit => String::new(),
            order => format!(
                ": the file derived them ({}); they are now written out, in the order found",
                order.as_str()
            ),
        };
        out.push_str(&format!(
            "\nwrote the new priorities to {} (scheduler.priorities = \"explicit\"{why})\n",
            path.display()
        ));
    } else if !same_order || system.scheduler.priorities != PriorityOrder::Explicit {
        out.push_str(
            "\nrtlab tune --write rewrites the priorities in the file (comments are kept).\n",
        );
    }
    print(&out)?;
    Ok(Exit::Success)
}

/// The new priority of each task (by task index): Audsley's order, counting
/// down from `live.priority_top`.
fn audsley_priorities(system: &System) -> Result<Vec<u32>, CliError> {
    let n = system.tasks.len();
    let top = u32::from(system.live.priority_top);
    if n as u32 > top {
        return Err(CliError::Usage(format!(
            "{n} tasks need {n} distinct priorities but live.priority_top is {top}; raise it (at most 99)"
        )));
    }
    let assignment = priority::assign(system, PriorityOrder::Audsley);
    // Rank 0 = most urgent; the new priority is priority_top - rank.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(assignment.priorities[i]), i));
    let mut new_priority = vec![0u32; n];
    for (rank, &i) in order.iter().enumerate() {
        new_priority[i] = top - rank as u32;
    }
    Ok(new_priority)
}

/// Per task: the priority and the response-time bound before and after.
fn changes(system: &System, new_priority: &[u32], before: &Analysis, after: &Analysis) -> String {
    let mut t = Table::new(&[
        "task",
        ">cpu",
        ">deadline",
        ">prio",
        ">new",
        ">WCRT",
        ">new WCRT",
        "verdict",
    ]);
    let show = |v: Option<u64>| v.map_or("-".to_string(), |r| Duration::from_nanos(r).to_string());
    let ok = |v: Option<bool>| match v {
        Some(true) => "ok",
        Some(false) => "MISS",
        None => "unknown",
    };
    for (((task, b), a), p) in system
        .tasks
        .iter()
        .zip(&before.tasks)
        .zip(&after.tasks)
        .zip(new_priority)
    {
        t.row(vec![
            task.name.clone(),
            task.cpu.map_or("any".into(), |c| c.to_string()),
            task.deadline.to_string(),
            task.priority.to_string(),
            p.to_string(),
            show(b.wcrt_ns),
            show(a.wcrt_ns),
            format!("{} -> {}", ok(b.schedulable), ok(a.schedulable)),
        ]);
    }
    t.render(1)
}

/// Rewrites the priorities in the config file at `path`, comments kept.
fn write_priorities(path: &Path, system: &System, new_priority: &[u32]) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let pairs: Vec<(String, u32)> = system
        .tasks
        .iter()
        .zip(new_priority)
        .map(|(t, p)| (t.name.clone(), *p))
        .collect();
    let (new_text, _) = edit::set_priorities(&text, &path.display().to_string(), &pairs)?;
    write_atomic(path, new_text.as_bytes())
}

/// True if both systems order every pair of tasks the same way.
fn same_relative_order(a: &System, b: &System) -> bool {
    let n = a.tasks.len();
    (0..n).all(|i| {
        (0..n).all(|j| {
            a.tasks[i].priority.cmp(&a.tasks[j].priority)
                == b.tasks[i].priority.cmp(&b.tasks[j].priority)
        })
    })
}
