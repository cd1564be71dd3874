//! From the raw config to the model: defaults and cross-field checks, each
//! located in the file. The model's rules are written once in
//! `model/rules.rs`; this pass applies each where its values stand and maps
//! the broken rule to its located problem (`validate/located.rs`). Every
//! problem is recorded; when there is none, the system goes through the
//! same `model::finish` as a built one (resource ids, default CPUs,
//! priorities).

use std::collections::BTreeMap;
use std::ops::Range;

mod arrival;
mod links;
mod located;
mod resources;
mod task;

use super::problem::{Problem, ProblemKind};
use super::raw::RawConfig;
use super::reader::{POSITIVE, Problems, Sp};
use crate::model::{
    CpuId, Live, Load, ModelError, Placement, Platform, Policy, Scheduler, System, Task, TaskId,
};
use crate::time::Duration;

/// CPU numbers at or above this are rejected (Linux's CPU_SETSIZE).
const MAX_CPU: i64 = crate::model::MAX_CPU as i64;
/// Default horizon of `simulate` and length of `run`.
pub(crate) const DEFAULT_DURATION: Duration = Duration::from_nanos(1_000_000_000);
/// The longest `duration`, and the longest period, deadline, offset and
/// release jitter of a task: 4 000 000 000 s (about 126 years). With every
/// input at most this, whatever the engines derive (a release before the
/// horizon plus a period, a deadline and a jitter) stays below 2^64 ns, and
/// every lateness (completion minus deadline) fits in an `i64`. The
/// simulator's `MAX_HORIZON` is the same value.
pub(crate) const MAX_DURATION: Duration = Duration::from_nanos(4_000_000_000_000_000_000);
/// Default round-robin quantum.
pub(crate) const DEFAULT_QUANTUM: Duration = Duration::from_nanos(1_000_000);
/// Default cycle of a `[[load]]`'s duty.
pub(crate) const DEFAULT_LOAD_PERIOD: Duration = Duration::from_nanos(10_000_000);

pub(super) fn err(out: &mut Problems, kind: ProblemKind, span: Range<usize>, hint: Option<&str>) {
    let mut p = Problem::error(kind, span);
    if let Some(h) = hint {
        p = p.with_hint(h);
    }
    out.push(p);
}

pub(super) fn bad(out: &mut Problems, key: &str, message: impl Into<String>, span: Range<usize>) {
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

pub(super) fn positive(out: &mut Problems, key: &str, d: &Sp<Duration>) -> bool {
    if d.value.is_zero() {
        bad(out, key, POSITIVE, d.span.clone());
        false
    } else {
        true
    }
}

/// False (with a located error) if `d` is longer than [`MAX_DURATION`].
pub(super) fn not_too_long(out: &mut Problems, key: &str, d: &Sp<Duration>) -> bool {
    if d.value <= MAX_DURATION {
        return true;
    }
    err(
        out,
        ProblemKind::BadValue {
            key: key.to_string(),
            message: format!(
                "is longer than {MAX_DURATION} (about 126 years), the longest time rtlab handles"
            ),
        },
        d.span.clone(),
        Some(if key == "duration" {
            "a few hyperperiods show the steady state, e.g. duration = \"10s\""
        } else {
            "times are integer nanoseconds from the start of the run; use a shorter one"
        }),
    );
    false
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
        // Written but not a string: reported as such when it was read.
        None if raw.written.has("name") => String::new(),
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
        Some(d) if positive(out, "duration", d) && not_too_long(out, "duration", d) => d.value,
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
                let e = ModelError::DuplicateTask {
                    name: n.value.clone(),
                };
                out.push(located::problem(e, n.span.clone()).with_hint(format!(
                    "task #{} already has this name; names must be unique",
                    prev + 1
                )));
            } else {
                first_seen.insert(&n.value, i);
            }
        }
        if let Some((t, order)) = task::task(TaskId(i), rt, &cpus, &scheduler, out) {
            tasks.push(t);
            section_order.push(order);
        }
    }
    let loads = loads(raw, out);
    // Links name other tasks: resolved once all of them are built.
    let chains = if tasks.len() == raw.tasks.len() {
        links::links(raw, &mut tasks, out)
    } else {
        None
    };
    let resources = resources::resources(raw, &mut tasks, &section_order);
    resources::lock_order_warnings(raw, &tasks, &resources, out);
    resources::thread_name_warnings(raw, out);

    let errors_now = out.iter().filter(|p| p.is_error()).count();
    if errors_now > errors_before || !tasks_ok || tasks.len() != raw.tasks.len() {
        return None;
    }
    let chains = chains?;

    let system = System {
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
        chains,
    };
    finish(raw, system, out)
}

/// The semantic part both doors share (`model::finish`): its notes become
/// warnings at `scheduler.priorities`. Its rules were all applied above,
/// where they could be located; one broken anyway is reported at its
/// task's table (or the top of the file) rather than lost.
fn finish(raw: &RawConfig, mut system: System, out: &mut Problems) -> Option<System> {
    let top = raw.span.start..raw.span.start;
    match crate::model::finish(&mut system) {
        Ok(notes) => {
            if let Some(note) = notes.priorities {
                let span = raw
                    .scheduler
                    .priorities
                    .as_ref()
                    .map_or(top, |p| p.span.clone());
                out.push(Problem::warning(note, span));
            }
            Some(system)
        }
        Err(errors) => {
            for e in errors {
                let span = e
                    .task()
                    .and_then(|name| {
                        raw.tasks
                            .iter()
                            .find(|t| t.name.as_ref().is_some_and(|n| n.value == name))
                    })
                    .map_or(top.clone(), |t| t.span.clone());
                out.push(located::problem(e, span));
            }
            None
        }
    }
}

/// A CPU number from a `cpus` list, or a recorded problem.
fn cpu_number(out: &mut Problems, c: &Sp<i64>) -> Option<CpuId> {
    if (0..MAX_CPU).contains(&c.value) {
        Some(c.value as CpuId)
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
        None
    }
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
        let Some(cpu) = cpu_number(out, c) else {
            continue;
        };
        if cpus.contains(&cpu) {
            bad(
                out,
                "cpus",
                format!("names CPU {} twice", c.value),
                c.span.clone(),
            );
        } else {
            cpus.push(cpu);
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
        kernel_trace: l.kernel_trace.as_ref().is_none_or(|v| v.value),
    }
}

/// False when the config has no task; a `task` written but unusable was
/// reported when it was read.
fn check_task_count(raw: &RawConfig, out: &mut Problems) -> bool {
    if !raw.tasks.is_empty() {
        return true;
    }
    if !raw.written.has("task") {
        err(
            out,
            ProblemKind::MissingKey {
                key: "task".into(),
                table: "the top level".into(),
            },
            raw.span.start..raw.span.start,
            Some("describe at least one task in a [[task]] table with name, period and wcet"),
        );
    }
    false
}

fn loads(raw: &RawConfig, out: &mut Problems) -> Vec<Load> {
    let mut loads = Vec::new();
    for l in &raw.loads {
        let table = "[[load]]".to_string();
        let miss = |out: &mut Problems, key: &str, hint: &str| {
            if l.written.has(key) {
                // Written with a value that could not be read, and so
                // already reported.
                return;
            }
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
                    if let Some(cpu) = cpu_number(out, c) {
                        cpus.push(cpu);
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
