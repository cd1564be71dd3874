//! Validation of one `[[task]]`: timing, CPU, priority, execution model
//! and critical sections.

use super::{bad, err, not_too_long, positive};
use crate::config::problem::{Problem, ProblemKind};
use crate::config::raw::{ExecKind, RawExecution, RawTask};
use crate::config::reader::{Problems, Sp};
use crate::model::{
    CpuId, Execution, Faults, Placement, PriorityOrder, ResourceId, Scheduler, Section, Task,
    TaskId,
};
use crate::time::Duration;

/// Characters allowed in task names (they name files and threads).
fn valid_task_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

pub(super) fn task(
    id: TaskId,
    rt: &RawTask,
    cpus: &[CpuId],
    scheduler: &Scheduler,
    out: &mut Problems,
) -> Option<(Task, Vec<usize>)> {
    let label = |what: &str| {
        rt.name.as_ref().map_or(format!("task #{}", id.0 + 1), |n| {
            format!("task `{}` {what}", n.value)
        })
    };
    let missing = |out: &mut Problems, key: &str, hint: &str| {
        err(
            out,
            ProblemKind::MissingKey {
                key: key.into(),
                table: rt
                    .name
                    .as_ref()
                    .map_or(format!("[[task]] #{}", id.0 + 1), |n| {
                        format!("[[task]] \"{}\"", n.value)
                    }),
            },
            rt.span.clone(),
            Some(hint),
        );
    };
    let name = match &rt.name {
        Some(n) if valid_task_name(&n.value) => Some(n.value.clone()),
        Some(n) => {
            err(
                out,
                ProblemKind::BadValue {
                    key: "name".into(),
                    message: format!("\"{}\" is not a usable task name", n.value),
                },
                n.span.clone(),
                Some(
                    "use letters, digits, '-', '_' or '.' (at most 64, not starting with '.'): it names result files and threads",
                ),
            );
            None
        }
        None => {
            missing(
                out,
                "name",
                "give the task a unique name, e.g. name = \"sensor\"",
            );
            None
        }
    };
    // Bounded so that every time derived from them is representable.
    for (key, d) in [
        ("period", &rt.period),
        ("deadline", &rt.deadline),
        ("offset", &rt.offset),
        ("release_jitter", &rt.release_jitter),
    ] {
        if let Some(d) = d {
            not_too_long(out, key, d);
        }
    }
    let period = match &rt.period {
        Some(p) => positive(out, "period", p).then_some(p.value),
        None => {
            missing(out, "period", "e.g. period = \"10ms\"");
            None
        }
    };
    let wcet = match &rt.wcet {
        Some(w) => positive(out, "wcet", w).then_some(w.value),
        None => {
            missing(
                out,
                "wcet",
                "the worst-case execution time, e.g. wcet = \"2ms\"",
            );
            None
        }
    };
    let deadline = match (&rt.deadline, period) {
        (Some(d), _) => positive(out, "deadline", d).then_some(d.value),
        (None, p) => p,
    };
    if let (Some(w), Some(d), Some(n)) = (wcet, deadline, &name)
        && w > d
    {
        let span = rt.wcet.as_ref().map_or(rt.span.clone(), |w| w.span.clone());
        let what = if rt.deadline.is_some() {
            "deadline"
        } else {
            "deadline (= period)"
        };
        err(
            out,
            ProblemKind::WcetExceedsDeadline {
                task: n.clone(),
                wcet: w.to_string(),
                deadline: d.to_string(),
            },
            span,
            Some(&format!(
                "the task can never meet its {what}: shorten wcet or lengthen the deadline"
            )),
        );
    }
    if let (Some(p), Some(d)) = (period, &rt.deadline)
        && d.value > p
        && !d.value.is_zero()
    {
        out.push(Problem::warning(
            format!(
                "{} is longer than its period {}: jobs may overlap (arbitrary deadline; the analysis examines the whole busy period)",
                label(&format!("deadline {}", d.value)),
                p
            ),
            d.span.clone(),
        ));
    }
    let cpu = task_cpu(rt, cpus, scheduler, name.as_deref(), out);
    let priority = task_priority(rt, scheduler, name.as_deref(), out);
    let execution = match (&rt.execution, wcet) {
        (Some(e), Some(w)) => execution(e, w, out),
        (Some(_), None) => None,
        (None, _) => Some(Execution::Constant),
    };
    let sections = sections(rt, wcet, name.as_deref(), out);
    if let (
        Some(Execution::Uniform { min: shortest, .. } | Execution::Bimodal { low: shortest, .. }),
        Some(last),
    ) = (&execution, sections.iter().map(|(s, _)| s.end()).max())
        && *shortest < last
    {
        out.push(Problem::warning(
            format!(
                "{} can be shorter than the end of its last critical section ({last}); such jobs run at least to the end of their sections",
                label(&format!("execution time {shortest}"))
            ),
            rt.execution.as_ref().map_or(rt.span.clone(), |e| e.span.clone()),
        ));
    }
    let t = Task {
        id,
        name: name?,
        period: period?,
        wcet: wcet?,
        deadline: deadline?,
        offset: rt.offset.as_ref().map_or(Duration::ZERO, |o| o.value),
        priority: priority?,
        cpu: cpu?,
        cpu_auto: false,
        execution: execution?,
        release_jitter: rt
            .release_jitter
            .as_ref()
            .map_or(Duration::ZERO, |j| j.value),
        // Resource ids are assigned once all tasks are known.
        sections: sections.iter().map(|(s, _)| *s).collect(),
        faults: Faults {
            panic_every: rt.panic_every.as_ref().map_or(0, |p| p.value),
        },
    };
    Some((t, sections.iter().map(|(_, i)| *i).collect()))
}

/// `Some(None)`: no CPU (global, or left to the partitioner); `None`: error.
fn task_cpu(
    rt: &RawTask,
    cpus: &[CpuId],
    scheduler: &Scheduler,
    name: Option<&str>,
    out: &mut Problems,
) -> Option<Option<CpuId>> {
    let Some(c) = &rt.cpu else { return Some(None) };
    if scheduler.placement == Placement::Global {
        out.push(
            Problem::warning(
                format!(
                    "`cpu` of task `{}` is ignored under global placement",
                    name.unwrap_or("?")
                ),
                c.span.clone(),
            )
            .with_hint("remove it, or set [scheduler] placement = \"partitioned\""),
        );
        return Some(None);
    }
    if let Some(cpu) = u32::try_from(c.value).ok().filter(|v| cpus.contains(v)) {
        return Some(Some(cpu));
    }
    err(
        out,
        ProblemKind::UnknownCpu {
            task: name.unwrap_or("?").to_string(),
            cpu: u64::try_from(c.value).unwrap_or(0),
            platform: cpus.to_vec(),
        },
        c.span.clone(),
        Some("use one of platform.cpus, or omit `cpu` to let rtlab place the task"),
    );
    if c.value < 0 {
        // Negative CPU: the message above would print 0; be precise.
        if let Some(last) = out.last_mut() {
            last.kind = ProblemKind::BadValue {
                key: "cpu".into(),
                message: format!("must be a CPU number (0 or more), found {}", c.value),
            };
        }
    }
    None
}

/// The explicit priority, or 0 (assigned later) for derived orders.
fn task_priority(
    rt: &RawTask,
    scheduler: &Scheduler,
    name: Option<&str>,
    out: &mut Problems,
) -> Option<u32> {
    let explicit = scheduler.priorities == PriorityOrder::Explicit;
    match (&rt.priority, explicit) {
        (Some(p), true) => {
            if (1..=99).contains(&p.value) {
                Some(p.value as u32)
            } else {
                err(
                    out,
                    ProblemKind::BadValue {
                        key: "priority".into(),
                        message: format!(
                            "must be from 1 to 99 (higher = more urgent; the SCHED_FIFO range), found {}",
                            p.value
                        ),
                    },
                    p.span.clone(),
                    None,
                );
                None
            }
        }
        (None, true) => {
            err(
                out,
                ProblemKind::MissingPriority {
                    task: name.unwrap_or("?").to_string(),
                },
                rt.span.clone(),
                Some(
                    "add priority = N (1..=99, higher = more urgent), or set [scheduler] priorities = \"rate-monotonic\"",
                ),
            );
            None
        }
        (Some(p), false) => {
            out.push(
                Problem::warning(
                    format!(
                        "`priority` of task `{}` is ignored: scheduler.priorities is \"{}\"",
                        name.unwrap_or("?"),
                        scheduler.priorities.as_str()
                    ),
                    p.span.clone(),
                )
                .with_hint(
                    "set [scheduler] priorities = \"explicit\" to use the priorities in the file",
                ),
            );
            Some(0)
        }
        (None, false) => Some(0),
    }
}

fn execution(e: &RawExecution, wcet: Duration, out: &mut Problems) -> Option<Execution> {
    let at_most_wcet = |out: &mut Problems, key: &str, d: &Sp<Duration>| -> bool {
        if d.value > wcet {
            bad(
                out,
                key,
                format!("({}) must not exceed the wcet ({wcet})", d.value),
                d.span.clone(),
            );
            false
        } else {
            true
        }
    };
    match e.model.value {
        ExecKind::Constant => Some(Execution::Constant),
        ExecKind::Uniform => {
            let min = e.min.as_ref()?;
            let max_ok = e.max.as_ref().is_none_or(|m| at_most_wcet(out, "max", m));
            let max = e.max.as_ref().map_or(wcet, |m| m.value);
            let min_ok = positive(out, "min", min) && at_most_wcet(out, "min", min);
            if min_ok && max_ok && min.value > max {
                bad(
                    out,
                    "min",
                    format!("({}) must not exceed max ({max})", min.value),
                    min.span.clone(),
                );
                return None;
            }
            (min_ok && max_ok).then_some(Execution::Uniform {
                min: min.value,
                max,
            })
        }
        ExecKind::Normal => {
            let mean = e.mean.as_ref()?;
            let stddev = e.stddev.as_ref()?;
            let ok = positive(out, "mean", mean) && at_most_wcet(out, "mean", mean);
            ok.then_some(Execution::Normal {
                mean: mean.value,
                stddev: stddev.value,
            })
        }
        ExecKind::Bimodal => {
            let low = e.low.as_ref()?;
            let p = e.p_high.as_ref()?;
            let high_ok = e.high.as_ref().is_none_or(|h| at_most_wcet(out, "high", h));
            let high = e.high.as_ref().map_or(wcet, |h| h.value);
            let low_ok = positive(out, "low", low) && at_most_wcet(out, "low", low);
            let p_ok = (0.0..=1.0).contains(&p.value);
            if !p_ok {
                bad(
                    out,
                    "p_high",
                    format!("is a probability, from 0 to 1, found {}", p.value),
                    p.span.clone(),
                );
            }
            if low_ok && high_ok && low.value > high {
                bad(
                    out,
                    "low",
                    format!("({}) must not exceed high ({high})", low.value),
                    low.span.clone(),
                );
                return None;
            }
            (low_ok && high_ok && p_ok).then_some(Execution::Bimodal {
                low: low.value,
                high,
                p_high: p.value,
            })
        }
    }
}

/// The task's sections, sorted by start (outer before inner), each with the
/// index of its raw entry; resource ids are filled in by `resources::resources`.
fn sections(
    rt: &RawTask,
    wcet: Option<Duration>,
    name: Option<&str>,
    out: &mut Problems,
) -> Vec<(Section, usize)> {
    let task = name.unwrap_or("?").to_string();
    let mut list: Vec<(Section, usize)> = Vec::new();
    for (i, s) in rt.sections.iter().enumerate() {
        if !positive(out, "hold", &s.hold) {
            continue;
        }
        let Some(end) = s.after.value.checked_add(s.hold.value) else {
            bad(
                out,
                "hold",
                "makes the section end overflow",
                s.hold.span.clone(),
            );
            continue;
        };
        if let Some(w) = wcet
            && end > w
        {
            err(
                out,
                ProblemKind::SectionDoesNotFit {
                    task: task.clone(),
                    resource: s.resource.value.clone(),
                    end: end.to_string(),
                    wcet: w.to_string(),
                },
                s.span.clone(),
                Some(
                    "after + hold must be at most the wcet: a section is part of the job's execution",
                ),
            );
            continue;
        }
        list.push((
            Section {
                resource: ResourceId(usize::MAX),
                after: s.after.value,
                hold: s.hold.value,
            },
            i,
        ));
    }
    list.sort_by_key(|(s, i)| (s.after, std::cmp::Reverse(s.hold), *i));
    for a in 0..list.len() {
        for b in a + 1..list.len() {
            let (sa, ia) = &list[a];
            let (sb, ib) = &list[b];
            let disjoint = sa.end() <= sb.after || sb.end() <= sa.after;
            let ra = &rt.sections[*ia].resource.value;
            let rb = &rt.sections[*ib].resource.value;
            if !disjoint && !sa.contains(sb) {
                err(
                    out,
                    ProblemKind::SectionsOverlap {
                        task: task.clone(),
                        a: ra.clone(),
                        b: rb.clone(),
                    },
                    rt.sections[*ib].span.clone(),
                    Some(
                        "sections must be disjoint or nested: an inner section must end before its outer one",
                    ),
                );
            } else if !disjoint && ra == rb {
                err(
                    out,
                    ProblemKind::BadValue {
                        key: "sections".into(),
                        message: format!(
                            "of task `{task}` lock `{ra}` inside a section that already holds it (self-deadlock)"
                        ),
                    },
                    rt.sections[*ib].span.clone(),
                    None,
                );
            }
        }
    }
    list
}
