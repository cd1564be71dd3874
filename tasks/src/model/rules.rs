//! The rules of a [`System`], each written once.
//!
//! The config validator applies each rule to the values where they stand in
//! the file, so that its message points there (`file:line:col`), and maps
//! the [`ModelError`] to its located problem. [`super::finish()`] applies them
//! all to a whole system ([`check`]), so that a system made by
//! [`super::SystemBuilder`] obeys exactly what a config file must.
//!
//! Rules about the file itself (types, units, unknown keys, the config's
//! name, the longest duration a file may give, `[[load]]` and `[live]`
//! settings) stay in the validator: a built system cannot break them, or
//! the engines check them on their own (the simulator refuses a horizon
//! longer than its `MAX_HORIZON`).

use std::collections::BTreeSet;

use super::{CpuId, Execution, Placement, Priority, PriorityOrder, Section, System};
use crate::time::Duration;

mod error;

pub use error::ModelError;

/// CPU numbers at or above this are refused (Linux's `CPU_SETSIZE`).
pub const MAX_CPU: CpuId = 1024;

/// The highest explicit priority: explicit priorities are `1..=99`, the
/// range Linux SCHED_FIFO accepts (the live engine uses them as they are).
pub const MAX_PRIORITY: Priority = 99;

/// Task names name result files and threads: letters, digits, `-`, `_`
/// and `.`, 1 to 64 bytes, not starting with `.`.
pub(crate) fn task_name(name: &str) -> Result<(), ModelError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(ModelError::BadTaskName {
            name: name.to_string(),
        })
    }
}

/// `wcet <= deadline`.
pub(crate) fn wcet_within_deadline(
    task: &str,
    wcet: Duration,
    deadline: Duration,
) -> Result<(), ModelError> {
    if wcet <= deadline {
        Ok(())
    } else {
        Err(ModelError::WcetExceedsDeadline {
            task: task.to_string(),
            wcet,
            deadline,
        })
    }
}

/// A partitioned task's CPU is one of the platform's.
pub(crate) fn cpu_in_platform(
    task: &str,
    cpu: u64,
    platform: &[CpuId],
) -> Result<CpuId, ModelError> {
    match CpuId::try_from(cpu) {
        Ok(c) if platform.contains(&c) => Ok(c),
        _ => Err(ModelError::UnknownCpu {
            task: task.to_string(),
            cpu,
            platform: platform.to_vec(),
        }),
    }
}

/// Under explicit priorities every task has one, in `1..=99`.
pub(crate) fn explicit_priority(task: &str, given: Option<i64>) -> Result<Priority, ModelError> {
    let Some(p) = given else {
        return Err(ModelError::MissingPriority {
            task: task.to_string(),
        });
    };
    match Priority::try_from(p) {
        Ok(p) if (1..=MAX_PRIORITY).contains(&p) => Ok(p),
        _ => Err(ModelError::PriorityOutOfRange {
            task: task.to_string(),
            priority: p,
        }),
    }
}

/// A section holds its lock for some time and ends within the WCET (a
/// section is part of the job's execution).
pub(crate) fn section_fits(
    task: &str,
    resource: &str,
    after: Duration,
    hold: Duration,
    wcet: Duration,
) -> Result<(), ModelError> {
    let (task, resource) = (task.to_string(), resource.to_string());
    if hold.is_zero() {
        return Err(ModelError::EmptySection { task, resource });
    }
    match after.checked_add(hold) {
        None => Err(ModelError::SectionOverflow { task, resource }),
        Some(end) if end > wcet => Err(ModelError::SectionDoesNotFit {
            task,
            resource,
            end,
            wcet,
        }),
        Some(_) => Ok(()),
    }
}

/// Two sections of one task are disjoint or nested, and a nested one does
/// not lock the resource its outer section holds. `a` is the one listed
/// first (by start, longer first), named `ra`; `b` named `rb`.
pub(crate) fn nesting(
    task: &str,
    (a, ra): (&Section, &str),
    (b, rb): (&Section, &str),
) -> Result<(), ModelError> {
    let disjoint = a.end() <= b.after || b.end() <= a.after;
    if disjoint {
        Ok(())
    } else if !a.contains(b) && !b.contains(a) {
        Err(ModelError::SectionsOverlap {
            task: task.to_string(),
            a: ra.to_string(),
            b: rb.to_string(),
        })
    } else if ra == rb {
        Err(ModelError::SelfNested {
            task: task.to_string(),
            resource: ra.to_string(),
        })
    } else {
        Ok(())
    }
}

/// The execution model draws from `(0, wcet]`: every problem, in the order
/// of the model's fields as the validator reports them.
pub(crate) fn execution(task: &str, model: &Execution, wcet: Duration) -> Vec<ModelError> {
    let mut out = Vec::new();
    let t = || task.to_string();
    // True when `value` is positive (if it must be) and at most the WCET.
    let in_range = |out: &mut Vec<ModelError>, field, value: Duration, positive: bool| {
        if positive && value.is_zero() {
            out.push(ModelError::ExecutionNotPositive { task: t(), field });
            false
        } else if value > wcet {
            out.push(ModelError::ExecutionAboveWcet {
                task: t(),
                field,
                value,
                wcet,
            });
            false
        } else {
            true
        }
    };
    match *model {
        Execution::Constant => {}
        Execution::Uniform { min, max } => {
            let max_ok = in_range(&mut out, "max", max, false);
            let min_ok = in_range(&mut out, "min", min, true);
            if min_ok && max_ok && min > max {
                out.push(order(task, "min", min, "max", max));
            }
        }
        Execution::Normal { mean, .. } => {
            in_range(&mut out, "mean", mean, true);
        }
        Execution::Bimodal { low, high, p_high } => {
            let high_ok = in_range(&mut out, "high", high, false);
            let low_ok = in_range(&mut out, "low", low, true);
            if !(0.0..=1.0).contains(&p_high) {
                out.push(ModelError::Probability { task: t(), p_high });
            }
            if low_ok && high_ok && low > high {
                out.push(order(task, "low", low, "high", high));
            }
        }
    }
    out
}

fn order(
    task: &str,
    field: &'static str,
    value: Duration,
    limit_field: &'static str,
    limit: Duration,
) -> ModelError {
    ModelError::ExecutionOrder {
        task: task.to_string(),
        field,
        value,
        limit_field,
        limit,
    }
}

/// Every rule, over a whole system: the platform, the scheduler's times,
/// then each task in order. Empty when the system obeys them all.
pub(crate) fn check(system: &System) -> Vec<ModelError> {
    let mut out = Vec::new();
    if system.tasks.is_empty() {
        out.push(ModelError::NoTasks);
    }
    let cpus = &system.platform.cpus;
    if cpus.is_empty() {
        out.push(ModelError::NoCpus);
    }
    let mut seen = BTreeSet::new();
    for &cpu in cpus {
        if cpu >= MAX_CPU {
            out.push(ModelError::CpuOutOfRange { cpu });
        } else if !seen.insert(cpu) {
            out.push(ModelError::DuplicateCpu { cpu });
        }
    }
    if system.duration.is_zero() {
        out.push(ModelError::ZeroDuration);
    }
    if system.scheduler.quantum.is_zero() {
        out.push(ModelError::ZeroQuantum);
    }
    let mut names = BTreeSet::new();
    for task in &system.tasks {
        if !names.insert(task.name.as_str()) {
            out.push(ModelError::DuplicateTask {
                name: task.name.clone(),
            });
        }
        check_task(system, task, &mut out);
    }
    out.extend(super::chain::check(system));
    out
}

/// The rules of one task (all but the uniqueness of its name).
fn check_task(system: &System, task: &super::Task, out: &mut Vec<ModelError>) {
    let name = task.name.as_str();
    out.extend(task_name(name).err());
    for (field, d) in [
        ("period", task.period),
        ("wcet", task.wcet),
        ("deadline", task.deadline),
    ] {
        if d.is_zero() {
            out.push(ModelError::NotPositive {
                task: name.to_string(),
                field,
            });
        }
    }
    if !task.wcet.is_zero() && !task.deadline.is_zero() {
        out.extend(wcet_within_deadline(name, task.wcet, task.deadline).err());
    }
    if system.scheduler.placement == Placement::Partitioned
        && let Some(cpu) = task.cpu
    {
        out.extend(cpu_in_platform(name, u64::from(cpu), &system.platform.cpus).err());
    }
    if system.scheduler.priorities == PriorityOrder::Explicit {
        // In a built system, priority 0 is "not given".
        let given = (task.priority != 0).then_some(i64::from(task.priority));
        out.extend(explicit_priority(name, given).err());
    }
    if !task.wcet.is_zero() {
        out.extend(execution(name, &task.execution, task.wcet));
    }
    if !task.period.is_zero() {
        out.extend(super::arrival::check(name, &task.arrival, task.period));
    }
    let mut named: Vec<(&Section, &str)> = Vec::with_capacity(task.sections.len());
    for s in &task.sections {
        match system.resources.get(s.resource.0) {
            Some(r) => match section_fits(name, &r.name, s.after, s.hold, task.wcet) {
                Ok(()) => named.push((s, &r.name)),
                Err(e) => out.push(e),
            },
            None => out.push(ModelError::UnknownResource {
                task: name.to_string(),
                index: s.resource.0,
            }),
        }
    }
    // Pairs in start order (outer first), as the validator reports them.
    named.sort_by_key(|(s, _)| (s.after, std::cmp::Reverse(s.hold)));
    for (i, &a) in named.iter().enumerate() {
        for &b in &named[i + 1..] {
            out.extend(nesting(name, a, b).err());
        }
    }
}
