//! Validation of one `[[task]]`: timing, CPU, priority, execution model
//! and critical sections.

use super::located::{execution_field, problem};
use super::{err, not_too_long, positive};
use crate::config::problem::{Problem, ProblemKind};
use crate::config::raw::{ExecKind, RawExecution, RawTask};
use crate::config::reader::Problems;
use crate::model::rules;
use crate::model::{
    Arrival, CpuId, Execution, Faults, ModelError, Placement, PriorityOrder, ResourceId, Scheduler,
    Section, Task, TaskId,
};
use crate::time::Duration;

/// The model task of one `[[task]]` with the raw index of each of its
/// sections (resource ids are filled in later), or `None` when any field
/// is unusable; every problem found is recorded in `out`.
pub(super) fn task(
    id: TaskId,
    rt: &RawTask,
    cpus: &[CpuId],
    scheduler: &Scheduler,
    out: &mut Problems,
) -> Option<(Task, Vec<usize>)> {
    let name = task_name(id, rt, out);
    let untimed = triggered_keys(rt, out);
    let arrival = super::arrival::read(rt, out);
    let timing = timing(id, rt, arrival.as_ref(), out);
    check_timing(id, rt, &timing, name.as_deref(), out);
    let arrival_ok = match (&arrival, timing.period, &name) {
        (Some(a), Some(p), Some(n)) => super::arrival::check(rt, n, a, p, out),
        _ => true,
    };
    let cpu = task_cpu(rt, cpus, scheduler, name.as_deref(), out);
    let priority = task_priority(rt, scheduler, name.as_deref(), out);
    let execution = match (&rt.execution, timing.wcet) {
        (Some(e), Some(w)) => execution(e, w, name.as_deref().unwrap_or("?"), out),
        (Some(_), None) => None,
        (None, _) => Some(Execution::Constant),
    };
    let sections = sections(rt, timing.wcet, name.as_deref(), out);
    warn_short_execution(id, rt, execution.as_ref(), &sections, out);
    if !untimed {
        return None;
    }
    let t = Task {
        id,
        name: name?,
        period: timing.period?,
        wcet: timing.wcet?,
        deadline: timing.deadline?,
        offset: rt.offset.as_ref().map_or(Duration::ZERO, |o| o.value),
        priority: priority?,
        cpu: cpu?,
        cpu_auto: false,
        execution: execution?,
        arrival: arrival.filter(|_| arrival_ok)?,
        // Links are resolved once every task is known (`validate/links.rs`).
        trigger: None,
        reads: Vec::new(),
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

/// How a message names the task: "task `NAME` WHAT", or "task #N WHAT"
/// (1-based) when the task has no name.
fn label(id: TaskId, rt: &RawTask, what: &str) -> String {
    rt.name
        .as_ref()
        .map_or(format!("task #{} {what}", id.0 + 1), |n| {
            format!("task `{}` {what}", n.value)
        })
}

/// Records that the task has no `key`, at the whole `[[task]]` table,
/// unless the task writes it: a value that could not be read was reported
/// at the value.
fn missing(id: TaskId, rt: &RawTask, out: &mut Problems, key: &str, hint: &str) {
    if rt.written.has(key) {
        return;
    }
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
}

/// The task's name, when it is there and usable.
fn task_name(id: TaskId, rt: &RawTask, out: &mut Problems) -> Option<String> {
    match &rt.name {
        Some(n) => match rules::task_name(&n.value) {
            Ok(()) => Some(n.value.clone()),
            Err(e) => {
                out.push(problem(e, n.span.clone()));
                None
            }
        },
        None => {
            missing(
                id,
                rt,
                out,
                "name",
                "give the task a unique name, e.g. name = \"sensor\"",
            );
            None
        }
    }
}

/// The task's period, WCET and deadline (nanoseconds), each `None` when it
/// is missing or unusable.
struct TaskTiming {
    period: Option<Duration>,
    wcet: Option<Duration>,
    /// The deadline as written, or the period when there is none.
    deadline: Option<Duration>,
}

/// Reads period, WCET and deadline, checking each on its own: present
/// (period and WCET), positive, and not too long (offset and release jitter
/// too). A sporadic or Poisson task's period, when not written, is its
/// minimum gap.
fn timing(id: TaskId, rt: &RawTask, arrival: Option<&Arrival>, out: &mut Problems) -> TaskTiming {
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
    let min_gap = arrival.and_then(Arrival::min_gap);
    let period = match &rt.period {
        // Set to its source's once every task is known
        // (`validate/links.rs`); written, it is an error
        // (`triggered_keys`). The placeholder keeps every check against
        // the period quiet meanwhile.
        _ if rt.trigger.is_some() => Some(Duration::MAX),
        Some(p) => positive(out, "period", p).then_some(p.value),
        None if min_gap.is_some() => min_gap,
        // An arrival model that could not be read: its problem is told.
        None if arrival.is_none() => None,
        None => {
            missing(id, rt, out, "period", "e.g. period = \"10ms\"");
            None
        }
    };
    let wcet = match &rt.wcet {
        Some(w) => positive(out, "wcet", w).then_some(w.value),
        None => {
            missing(
                id,
                rt,
                out,
                "wcet",
                "the worst-case execution time, e.g. wcet = \"2ms\"",
            );
            None
        }
    };
    let deadline = match (&rt.deadline, period) {
        (Some(d), _) => positive(out, "deadline", d).then_some(d.value),
        // An unreadable deadline is not the period: checking the wcet
        // against the period would blame the wrong key.
        (None, _) if rt.written.has("deadline") => None,
        (None, p) => p,
    };
    TaskTiming {
        period,
        wcet,
        deadline,
    }
}

/// A triggered task takes no timing of its own: each of `period`,
/// `arrival`, `offset` and `release_jitter` written on it is an error at
/// the key. True when none is.
fn triggered_keys(rt: &RawTask, out: &mut Problems) -> bool {
    let Some(trigger) = &rt.trigger else {
        return true;
    };
    let spans = [
        ("period", rt.period.as_ref().map(|p| p.span.clone())),
        ("arrival", rt.arrival.as_ref().map(|a| a.span.clone())),
        ("offset", rt.offset.as_ref().map(|o| o.span.clone())),
        (
            "release_jitter",
            rt.release_jitter.as_ref().map(|j| j.span.clone()),
        ),
    ];
    let mut ok = true;
    for (key, span) in spans {
        if !rt.written.has(key) {
            continue;
        }
        ok = false;
        err(
            out,
            ProblemKind::BadValue {
                key: key.into(),
                message: format!(
                    "does not apply to a triggered task: its jobs are released by each \
                     completion of `{}`",
                    trigger.value
                ),
            },
            span.unwrap_or_else(|| rt.span.clone()),
            Some(match key {
                "period" => "remove `period`: a triggered task takes its trigger source's period",
                _ => "remove it, or remove `trigger` to give the task a clock of its own",
            }),
        );
    }
    ok
}

/// Checks the timing fields against each other: an error when the WCET
/// exceeds the deadline, a warning when the deadline exceeds the period.
fn check_timing(
    id: TaskId,
    rt: &RawTask,
    timing: &TaskTiming,
    name: Option<&str>,
    out: &mut Problems,
) {
    if let (Some(w), Some(d), Some(n)) = (timing.wcet, timing.deadline, name)
        && let Err(e) = rules::wcet_within_deadline(n, w, d)
    {
        let span = rt.wcet.as_ref().map_or(rt.span.clone(), |w| w.span.clone());
        let what = if rt.deadline.is_some() {
            "deadline"
        } else {
            "deadline (= period)"
        };
        out.push(problem(e, span).with_hint(format!(
            "the task can never meet its {what}: shorten wcet or lengthen the deadline"
        )));
    }
    if let (Some(p), Some(d)) = (timing.period, &rt.deadline)
        && d.value > p
        && !d.value.is_zero()
    {
        out.push(Problem::warning(
            format!(
                "{} is longer than its period {}: jobs may overlap (arbitrary deadline; the analysis examines the whole busy period)",
                label(id, rt, &format!("deadline {}", d.value)),
                p
            ),
            d.span.clone(),
        ));
    }
}

/// Warns when the execution model can draw a time shorter than the end of
/// the task's last critical section.
fn warn_short_execution(
    id: TaskId,
    rt: &RawTask,
    execution: Option<&Execution>,
    sections: &[(Section, usize)],
    out: &mut Problems,
) {
    if let (
        Some(Execution::Uniform { min: shortest, .. } | Execution::Bimodal { low: shortest, .. }),
        Some(last),
    ) = (execution, sections.iter().map(|(s, _)| s.end()).max())
        && *shortest < last
    {
        out.push(Problem::warning(
            format!(
                "{} can be shorter than the end of its last critical section ({last}); such jobs run at least to the end of their sections",
                label(id, rt, &format!("execution time {shortest}"))
            ),
            rt.execution.as_ref().map_or(rt.span.clone(), |e| e.span.clone()),
        ));
    }
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
    let Ok(cpu) = u64::try_from(c.value) else {
        err(
            out,
            ProblemKind::BadValue {
                key: "cpu".into(),
                message: format!("must be a CPU number (0 or more), found {}", c.value),
            },
            c.span.clone(),
            Some("use one of platform.cpus, or omit `cpu` to let rtlab place the task"),
        );
        return None;
    };
    match rules::cpu_in_platform(name.unwrap_or("?"), cpu, cpus) {
        Ok(cpu) => Some(Some(cpu)),
        Err(e) => {
            out.push(problem(e, c.span.clone()));
            None
        }
    }
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
        (given, true) => {
            let task = name.unwrap_or("?");
            match rules::explicit_priority(task, given.as_ref().map(|p| p.value)) {
                Ok(p) => Some(p),
                Err(e) => {
                    let span = given.as_ref().map_or(rt.span.clone(), |p| p.span.clone());
                    out.push(problem(e, span));
                    None
                }
            }
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

/// The execution model, when its required fields are there (a missing one
/// was reported when reading) and it obeys the model's rules; each broken
/// rule is reported at its field.
fn execution(
    e: &RawExecution,
    wcet: Duration,
    task: &str,
    out: &mut Problems,
) -> Option<Execution> {
    let model = match e.model.value {
        ExecKind::Constant => Execution::Constant,
        ExecKind::Uniform => Execution::Uniform {
            min: e.min.as_ref()?.value,
            max: e.max.as_ref().map_or(wcet, |m| m.value),
        },
        ExecKind::Normal => Execution::Normal {
            mean: e.mean.as_ref()?.value,
            stddev: e.stddev.as_ref()?.value,
        },
        ExecKind::Bimodal => Execution::Bimodal {
            low: e.low.as_ref()?.value,
            high: e.high.as_ref().map_or(wcet, |h| h.value),
            p_high: e.p_high.as_ref()?.value,
        },
    };
    let errors = rules::execution(task, &model, wcet);
    let ok = errors.is_empty();
    for error in errors {
        let span = match execution_field(&error) {
            Some("min") => e.min.as_ref().map(|v| v.span.clone()),
            Some("max") => e.max.as_ref().map(|v| v.span.clone()),
            Some("mean") => e.mean.as_ref().map(|v| v.span.clone()),
            Some("low") => e.low.as_ref().map(|v| v.span.clone()),
            Some("high") => e.high.as_ref().map(|v| v.span.clone()),
            Some("p_high") => e.p_high.as_ref().map(|v| v.span.clone()),
            _ => None,
        };
        out.push(problem(error, span.unwrap_or_else(|| e.span.clone())));
    }
    ok.then_some(model)
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
        let (after, hold) = (s.after.value, s.hold.value);
        // Without a usable wcet only `hold` itself can be checked.
        let fits = rules::section_fits(
            &task,
            &s.resource.value,
            after,
            hold,
            wcet.unwrap_or(Duration::MAX),
        );
        if let Err(e) = fits {
            let span = match e {
                ModelError::SectionDoesNotFit { .. } => s.span.clone(),
                _ => s.hold.span.clone(),
            };
            out.push(problem(e, span));
            continue;
        }
        list.push((
            Section {
                resource: ResourceId(usize::MAX),
                after,
                hold,
            },
            i,
        ));
    }
    list.sort_by_key(|(s, i)| (s.after, std::cmp::Reverse(s.hold), *i));
    for a in 0..list.len() {
        for b in a + 1..list.len() {
            let (sa, ia) = &list[a];
            let (sb, ib) = &list[b];
            let ra = &rt.sections[*ia].resource.value;
            let rb = &rt.sections[*ib].resource.value;
            if let Err(e) = rules::nesting(&task, (sa, ra), (sb, rb)) {
                out.push(problem(e, rt.sections[*ib].span.clone()));
            }
        }
    }
    list
}
