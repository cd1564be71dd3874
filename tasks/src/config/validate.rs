//! From the raw config to the model: defaults, cross-field checks,
//! partitioning and priorities. Every problem is recorded; the model is
//! built only when there are no errors.

use std::collections::BTreeMap;
use std::ops::Range;

use super::partition::worst_fit_decreasing;
use super::problem::{Problem, ProblemKind};
use super::raw::{ExecKind, RawConfig, RawExecution, RawTask};
use super::reader::{Problems, Sp};
use crate::model::{
    CpuId, Execution, Faults, Live, Load, Placement, Platform, Policy, PriorityOrder, Resource,
    ResourceId, Scheduler, Section, System, Task, TaskId,
};
use crate::time::Duration;

/// CPU numbers at or above this are rejected (Linux's CPU_SETSIZE).
pub(crate) const MAX_CPU: i64 = 1024;
/// Default horizon of `simulate` and length of `run`.
pub(crate) const DEFAULT_DURATION: Duration = Duration::from_nanos(1_000_000_000);
/// Default round-robin quantum.
pub(crate) const DEFAULT_QUANTUM: Duration = Duration::from_nanos(1_000_000);
/// Default cycle of a `[[load]]`'s duty.
pub(crate) const DEFAULT_LOAD_PERIOD: Duration = Duration::from_nanos(10_000_000);

fn err(out: &mut Problems, kind: ProblemKind, span: Range<usize>, hint: Option<&str>) {
    let mut p = Problem::error(kind, span);
    if let Some(h) = hint {
        p = p.with_hint(h);
    }
    out.push(p);
}

fn bad(out: &mut Problems, key: &str, message: impl Into<String>, span: Range<usize>) {
    err(
        out,
        ProblemKind::BadValue {
            key: key.to_string(),
            message: message.into(),
        },
        span,
        None,
    );
}

fn positive(out: &mut Problems, key: &str, d: &Sp<Duration>) -> bool {
    if d.value.is_zero() {
        bad(out, key, "must be greater than 0", d.span.clone());
        false
    } else {
        true
    }
}

/// A name usable in file names and messages: `[a-z0-9-]+` for configs and
/// variants.
pub(crate) fn check_config_name(out: &mut Problems, key: &str, name: &Sp<String>) -> bool {
    let ok = !name.value.is_empty()
        && name
            .value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        out.push(
            Problem::error(
                ProblemKind::BadValue {
                    key: key.to_string(),
                    message: format!(
                        "must be lowercase letters, digits and dashes ([a-z0-9-]+), found \"{}\"",
                        name.value
                    ),
                },
                name.span.clone(),
            )
            .with_hint("it names the output directory, e.g. \"control-loop\""),
        );
    }
    ok
}

/// Validates `raw`; returns the model when no error was found.
pub(crate) fn validate(raw: &RawConfig, out: &mut Problems) -> Option<System> {
    let errors_before = out.iter().filter(|p| p.is_error()).count();

    let name = match &raw.name {
        Some(n) => {
            check_config_name(out, "name", n);
            n.value.clone()
        }
        None => {
            err(
                out,
                ProblemKind::MissingKey {
                    key: "name".into(),
                    table: "the top level".into(),
                },
                raw.span.start..raw.span.start,
                Some("add a line such as name = \"control-loop\" at the top"),
            );
            String::new()
        }
    };
    let duration = match &raw.duration {
        Some(d) if positive(out, "duration", d) => d.value,
        _ => DEFAULT_DURATION,
    };

    let cpus = platform_cpus(raw, out);
    let scheduler = scheduler(raw, out);
    let live = live(raw, &scheduler, out);
    let tasks_ok = check_task_count(raw, out);
    let mut tasks: Vec<Task> = Vec::with_capacity(raw.tasks.len());
    let mut first_seen: BTreeMap<&str, usize> = BTreeMap::new();
    // For each built task, the raw index of each of its (sorted) sections.
    let mut section_order: Vec<Vec<usize>> = Vec::with_capacity(raw.tasks.len());
    for (i, rt) in raw.tasks.iter().enumerate() {
        if let Some(n) = &rt.name {
            if let Some(&prev) = first_seen.get(n.value.as_str()) {
                err(
                    out,
                    ProblemKind::DuplicateName {
                        what: "task",
                        name: n.value.clone(),
                    },
                    n.span.clone(),
                    Some(&format!(
                        "task #{} already has this name; names must be unique",
                        prev + 1
                    )),
                );
            } else {
                first_seen.insert(&n.value, i);
            }
        }
        if let Some((t, order)) = task(TaskId(i), rt, &cpus, &scheduler, out) {
            tasks.push(t);
            section_order.push(order);
        }
    }
    let loads = loads(raw, out);
    let resources = resources(raw, &mut tasks, &section_order);
    lock_order_warnings(raw, &tasks, &resources, out);
    thread_name_warnings(raw, out);

    let errors_now = out.iter().filter(|p| p.is_error()).count();
    if errors_now > errors_before || !tasks_ok || tasks.len() != raw.tasks.len() {
        return None;
    }

    let mut system = System {
        name,
        description: raw
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_default(),
        duration,
        seed: raw.seed.as_ref().map_or(1, |s| s.value),
        platform: Platform { cpus },
        scheduler,
        live,
        tasks,
        resources,
        loads,
    };
    if system.scheduler.placement == Placement::Partitioned {
        worst_fit_decreasing(&mut system);
    }
    assign_priorities(raw, &mut system, out);
    Some(system)
}

fn platform_cpus(raw: &RawConfig, out: &mut Problems) -> Vec<CpuId> {
    let Some(list) = &raw.cpus else {
        return vec![0];
    };
    if list.value.is_empty() {
        bad(out, "cpus", "must name at least one CPU", list.span.clone());
        return vec![0];
    }
    let mut cpus = Vec::new();
    for c in &list.value {
        if !(0..MAX_CPU).contains(&c.value) {
            bad(
                out,
                "cpus",
                format!(
                    "holds {}, expected a CPU number from 0 to {}",
                    c.value,
                    MAX_CPU - 1
                ),
                c.span.clone(),
            );
        } else if cpus.contains(&(c.value as CpuId)) {
            bad(
                out,
                "cpus",
                format!("names CPU {} twice", c.value),
                c.span.clone(),
            );
        } else {
            cpus.push(c.value as CpuId);
        }
    }
    cpus
}

fn scheduler(raw: &RawConfig, out: &mut Problems) -> Scheduler {
    let s = &raw.scheduler;
    let d = Scheduler::default();
    let policy = s.policy.as_ref().map_or(d.policy, |p| p.value);
    let quantum = match &s.quantum {
        Some(q) => {
            if positive(out, "quantum", q) && policy != Policy::RoundRobin {
                out.push(Problem::warning(
                    format!(
                        "`quantum` only matters for policy \"round-robin\", not \"{}\"",
                        policy.as_str()
                    ),
                    q.span.clone(),
                ));
            }
            if q.value.is_zero() {
                DEFAULT_QUANTUM
            } else {
                q.value
            }
        }
        None => DEFAULT_QUANTUM,
    };
    Scheduler {
        policy,
        preemptive: s.preemptive.as_ref().map_or(d.preemptive, |v| v.value),
        priorities: s.priorities.as_ref().map_or(d.priorities, |v| v.value),
        placement: s.placement.as_ref().map_or(d.placement, |v| v.value),
        quantum,
        locking: s.locking.as_ref().map_or(d.locking, |v| v.value),
        overrun: s.overrun.as_ref().map_or(d.overrun, |v| v.value),
        on_miss: s.on_miss.as_ref().map_or(d.on_miss, |v| v.value),
    }
}

fn live(raw: &RawConfig, scheduler: &Scheduler, out: &mut Problems) -> Live {
    let l = &raw.live;
    let os_policy = l
        .os_policy
        .as_ref()
        .map_or(scheduler.policy.default_os_policy(), |p| p.value);
    let mut priority_top = 90;
    if let Some(p) = &l.priority_top {
        if (1..=99).contains(&p.value) {
            priority_top = p.value as u8;
        } else {
            bad(
                out,
                "priority_top",
                format!(
                    "must be from 1 to 99 (the SCHED_FIFO range), found {}",
                    p.value
                ),
                p.span.clone(),
            );
        }
    }
    if os_policy == crate::model::OsPolicy::Deadline
        && scheduler.placement == Placement::Partitioned
    {
        let span = l
            .os_policy
            .as_ref()
            .map(|p| p.span.clone())
            .or_else(|| raw.scheduler.policy.as_ref().map(|p| p.span.clone()))
            .unwrap_or(0..0);
        out.push(
            Problem::warning(
                "live os_policy \"deadline\" cannot pin threads to a CPU subset (Linux refuses SCHED_DEADLINE with a narrowed affinity): `rtlab run` leaves them unpinned, i.e. global EDF over all CPUs",
                span,
            )
            .with_hint("set [live] os_policy = \"fifo\" to keep the partitioning in the live run"),
        );
    }
    Live {
        os_policy,
        priority_top,
        spin_tail: l.spin_tail.as_ref().map_or(Duration::ZERO, |s| s.value),
        lock_memory: l.lock_memory.as_ref().is_none_or(|v| v.value),
    }
}

fn check_task_count(raw: &RawConfig, out: &mut Problems) -> bool {
    if raw.tasks.is_empty() {
        err(
            out,
            ProblemKind::MissingKey {
                key: "task".into(),
                table: "the top level".into(),
            },
            raw.span.start..raw.span.start,
            Some("describe at least one task in a [[task]] table with name, period and wcet"),
        );
        false
    } else {
        true
    }
}

/// Characters allowed in task names (they name files and threads).
fn valid_task_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

fn task(
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
/// index of its raw entry; resource ids are filled in by [`resources`].
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

/// Collects resources in order of first use and sets section resource ids;
/// `order[k]` lists the raw section index of each section of `tasks[k]`.
fn resources(raw: &RawConfig, tasks: &mut [Task], order: &[Vec<usize>]) -> Vec<Resource> {
    let mut resources: Vec<Resource> = Vec::new();
    for (task, order) in tasks.iter_mut().zip(order) {
        let rt = &raw.tasks[task.id.0];
        for (section, &i) in task.sections.iter_mut().zip(order) {
            let name = &rt.sections[i].resource.value;
            let id = match resources.iter().position(|r| &r.name == name) {
                Some(r) => ResourceId(r),
                None => {
                    resources.push(Resource {
                        id: ResourceId(resources.len()),
                        name: name.clone(),
                        users: Vec::new(),
                    });
                    ResourceId(resources.len() - 1)
                }
            };
            section.resource = id;
            if !resources[id.0].users.contains(&task.id) {
                resources[id.0].users.push(task.id);
            }
        }
    }
    resources
}

/// Warns about cycles in the order in which nested sections take locks.
fn lock_order_warnings(
    raw: &RawConfig,
    tasks: &[Task],
    resources: &[Resource],
    out: &mut Problems,
) {
    // Edge outer -> inner, remembering one task and span that takes it.
    let mut edges: BTreeMap<(usize, usize), (usize, Range<usize>)> = BTreeMap::new();
    for task in tasks {
        for (a, sa) in task.sections.iter().enumerate() {
            for sb in &task.sections[a + 1..] {
                if sa.contains(sb) && sa.resource != sb.resource {
                    let span = raw.tasks[task.id.0]
                        .sections
                        .iter()
                        .find(|s| s.after.value == sb.after && s.hold.value == sb.hold)
                        .map_or(raw.tasks[task.id.0].span.clone(), |s| s.span.clone());
                    edges
                        .entry((sa.resource.0, sb.resource.0))
                        .or_insert((task.id.0, span));
                }
            }
        }
    }
    let n = resources.len();
    let mut reported = Vec::new();
    for start in 0..n {
        // Depth-first search for a path back to `start` through resources
        // with larger ids (each cycle reported once, from its smallest id).
        let mut stack = vec![(start, vec![start])];
        while let Some((node, path)) = stack.pop() {
            for (&(a, b), _) in edges.range((node, 0)..=(node, usize::MAX)) {
                debug_assert_eq!(a, node);
                if b == start {
                    if !reported.contains(&path) {
                        let mut names: Vec<&str> =
                            path.iter().map(|&r| resources[r].name.as_str()).collect();
                        names.push(&resources[start].name);
                        let how: Vec<String> = path
                            .iter()
                            .zip(path.iter().skip(1).chain(std::iter::once(&start)))
                            .map(|(&x, &y)| {
                                let (t, _) = &edges[&(x, y)];
                                format!(
                                    "`{}` takes {} then {}",
                                    tasks[*t].name, resources[x].name, resources[y].name
                                )
                            })
                            .collect();
                        let span = edges[&(node, start)].1.clone();
                        out.push(
                            Problem::warning(
                                format!("possible deadlock: lock order cycle {} ({})", names.join(" -> "), how.join("; ")),
                                span,
                            )
                            .with_hint("take nested locks in one global order, or use locking = \"ceiling\" on one CPU"),
                        );
                        reported.push(path.clone());
                    }
                } else if b > start && !path.contains(&b) {
                    let mut next = path.clone();
                    next.push(b);
                    stack.push((b, next));
                }
            }
        }
    }
}

/// Warns when two task names share their first 15 bytes (the live engine's
/// thread names would be the same).
fn thread_name_warnings(raw: &RawConfig, out: &mut Problems) {
    let mut seen: BTreeMap<&[u8], &str> = BTreeMap::new();
    for t in &raw.tasks {
        let Some(n) = &t.name else { continue };
        let key = &n.value.as_bytes()[..n.value.len().min(15)];
        match seen.get(key) {
            Some(other) if *other != n.value => out.push(Problem::warning(
                format!(
                    "task names `{other}` and `{}` share their first 15 bytes: their live threads will have the same name in top and ps",
                    n.value
                ),
                n.span.clone(),
            )),
            _ => {
                seen.insert(key, &n.value);
            }
        }
    }
}

fn loads(raw: &RawConfig, out: &mut Problems) -> Vec<Load> {
    let mut loads = Vec::new();
    for l in &raw.loads {
        let table = "[[load]]".to_string();
        let miss = |out: &mut Problems, key: &str, hint: &str| {
            err(
                out,
                ProblemKind::MissingKey {
                    key: key.into(),
                    table: table.clone(),
                },
                l.span.clone(),
                Some(hint),
            )
        };
        if l.kind.is_none() {
            miss(out, "kind", "one of \"cpu\", \"memory\", \"syscalls\"");
        }
        let mut cpus = Vec::new();
        match &l.cpus {
            None => miss(out, "cpus", "the CPUs to load, e.g. cpus = [1]"),
            Some(list) if list.value.is_empty() => {
                bad(out, "cpus", "must name at least one CPU", list.span.clone())
            }
            Some(list) => {
                for c in &list.value {
                    if (0..MAX_CPU).contains(&c.value) {
                        cpus.push(c.value as CpuId);
                    } else {
                        bad(
                            out,
                            "cpus",
                            format!(
                                "holds {}, expected a CPU number from 0 to {}",
                                c.value,
                                MAX_CPU - 1
                            ),
                            c.span.clone(),
                        );
                    }
                }
            }
        }
        let duty = match &l.duty {
            None => {
                miss(
                    out,
                    "duty",
                    "the busy fraction of each period, e.g. duty = 0.5",
                );
                None
            }
            Some(d) if d.value > 0.0 && d.value <= 1.0 => Some(d.value),
            Some(d) => {
                bad(
                    out,
                    "duty",
                    format!("is the busy fraction, in (0, 1], found {}", d.value),
                    d.span.clone(),
                );
                None
            }
        };
        let period = match &l.period {
            Some(p) => positive(out, "period", p).then_some(p.value),
            None => Some(DEFAULT_LOAD_PERIOD),
        };
        if let (Some(kind), Some(duty), Some(period)) = (&l.kind, duty, period) {
            loads.push(Load {
                kind: kind.value,
                cpus,
                duty,
                period,
            });
        }
    }
    loads
}

/// Sets every task's priority: explicit ones are already set; derived
/// orders come from [`crate::analysis::priority::assign`].
fn assign_priorities(raw: &RawConfig, system: &mut System, out: &mut Problems) {
    let order = system.scheduler.priorities;
    if order == PriorityOrder::Explicit {
        return;
    }
    let assignment = crate::analysis::priority::assign(system, order);
    for (task, p) in system.tasks.iter_mut().zip(&assignment.priorities) {
        task.priority = *p;
    }
    if let Some(note) = assignment.note.as_deref() {
        let span = raw
            .scheduler
            .priorities
            .as_ref()
            .map_or(raw.span.start..raw.span.start, |p| p.span.clone());
        out.push(Problem::warning(note.to_string(), span));
    }
}
