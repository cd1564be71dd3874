//! When no priority order proves every task meets its deadline: what
//! would, each cure tried with the analysis and shown with its numbers.
//!
//! Cures tried, on the tuned order:
//! - a locking protocol (inheritance, ceiling) when tasks share resources;
//! - another task of the failing task's CPU moved to a CPU of its own
//!   (partitioned placement): the best such move;
//! - shorter critical sections, under a protocol: the blocking the failing
//!   task could bear (its deadline minus its bound without blocking),
//!   against the blocking it has.

use rtlab_tasks::analysis::{self, Analysis};
use rtlab_tasks::model::{Locking, Placement, System};
use rtlab_tasks::time::Duration;

/// The advice, or `None` when every task is proven after tuning.
pub(super) fn advice(tuned: &System, after: &Analysis) -> Option<String> {
    let failing: Vec<usize> = (0..tuned.tasks.len())
        .filter(|&i| after.tasks[i].schedulable != Some(true))
        .collect();
    if failing.is_empty() {
        return None;
    }
    let names: Vec<&str> = failing
        .iter()
        .map(|&i| tuned.tasks[i].name.as_str())
        .collect();
    let mut out = format!(
        "\nNo priority order proves that {} meet{} {} deadline{}. What would:\n",
        list(&names),
        if names.len() == 1 { "s" } else { "" },
        if names.len() == 1 { "its" } else { "their" },
        if names.len() == 1 { "" } else { "s" },
    );
    let before = out.len();
    protocols(tuned, after, &failing, &mut out);
    moves(tuned, after, &failing, &mut out);
    sections(tuned, after, &failing, &mut out);
    if out.len() == before {
        out.push_str("- nothing rtlab can try here: shorter WCETs, longer deadlines or periods, or more CPUs\n");
    }
    Some(out)
}

/// `a`, `a and b`, `a, b and c`.
fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `d` as written in configs.
fn ms(ns: Option<u64>) -> String {
    ns.map_or_else(
        || "no bound".to_string(),
        |n| Duration::from_nanos(n).to_string(),
    )
}

/// What happens to the failing tasks under `cure`: a line of the advice.
fn outcome(
    cure: &str,
    tuned: &System,
    before: &Analysis,
    after: &Analysis,
    failing: &[usize],
) -> String {
    let figures: Vec<String> = failing
        .iter()
        .map(|&i| {
            format!(
                "`{}` bound {} -> {} (deadline {})",
                tuned.tasks[i].name,
                ms(before.tasks[i].wcrt_ns),
                ms(after.tasks[i].wcrt_ns),
                tuned.tasks[i].deadline
            )
        })
        .collect();
    let all = after.tasks.iter().all(|t| t.schedulable == Some(true));
    format!(
        "- {cure}: {}; {}\n",
        figures.join(", "),
        if all {
            "every task proven to meet its deadline"
        } else {
            "still not every task proven"
        }
    )
}

/// A locking protocol, when tasks share resources and none is used yet
/// (or a better one exists).
fn protocols(tuned: &System, after: &Analysis, failing: &[usize], out: &mut String) {
    if tuned.resources.is_empty() {
        return;
    }
    for (locking, name) in [(Locking::Inherit, "inherit"), (Locking::Ceiling, "ceiling")] {
        if tuned.scheduler.locking == locking || tuned.scheduler.locking == Locking::Ceiling {
            continue;
        }
        let mut s = tuned.clone();
        s.scheduler.locking = locking;
        let a = analysis::analyze(&s);
        out.push_str(&outcome(
            &format!("locking = \"{name}\" under [scheduler]"),
            tuned,
            after,
            &a,
            failing,
        ));
    }
}

/// The best move of one other task of a failing task's CPU to a CPU of
/// its own (partitioned placement only).
fn moves(tuned: &System, after: &Analysis, failing: &[usize], out: &mut String) {
    if tuned.scheduler.placement != Placement::Partitioned {
        return;
    }
    let spare = tuned.platform.cpus.iter().copied().max().unwrap_or(0) + 1;
    let mut best: Option<(usize, Analysis, u64)> = None;
    for &f in failing {
        let cpu = tuned.tasks[f].cpu;
        for j in (0..tuned.tasks.len()).filter(|&j| j != f && tuned.tasks[j].cpu == cpu) {
            let mut s = tuned.clone();
            s.platform.cpus.push(spare);
            s.tasks[j].cpu = Some(spare);
            let a = analysis::analyze(&s);
            let proven = a
                .tasks
                .iter()
                .filter(|t| t.schedulable == Some(true))
                .count() as u64;
            if best.as_ref().is_none_or(|b| proven > b.2) {
                best = Some((j, a, proven));
            }
        }
    }
    if let Some((j, a, _)) = best {
        out.push_str(&outcome(
            &format!("`{}` on a CPU of its own", tuned.tasks[j].name),
            tuned,
            after,
            &a,
            failing,
        ));
    }
}

/// The blocking each failing task could bear, against the blocking it has
/// (under a protocol, where blocking is bounded by critical sections).
fn sections(tuned: &System, after: &Analysis, failing: &[usize], out: &mut String) {
    if tuned.scheduler.locking == Locking::None {
        return;
    }
    for &f in failing {
        let t = &after.tasks[f];
        let (Some(wcrt), Some(blocking)) = (t.wcrt_ns, t.blocking_ns) else {
            continue;
        };
        if blocking == 0 {
            continue;
        }
        let deadline = tuned.tasks[f].deadline.as_nanos();
        let without = wcrt.saturating_sub(blocking);
        if without >= deadline {
            continue;
        }
        out.push_str(&format!(
            "- shorter critical sections: `{}` is blocked up to {}; it meets its {} deadline with at most {} (a bound of {} without blocking)\n",
            tuned.tasks[f].name,
            ms(Some(blocking)),
            tuned.tasks[f].deadline,
            ms(Some(deadline - without)),
            ms(Some(without)),
        ));
    }
}
