//! The raw config: what the file says, typed and located, not yet checked
//! against itself.
//!
//! Reading fills these structs from the parsed TOML tree and records type
//! problems; [`super::validate`] turns them into the model and records
//! semantic problems. Every field keeps the span it was read from so that
//! any later complaint can point at it.

use std::ops::Range;

mod arrival;
mod chain;

use toml::de::{DeTable, DeValue};

pub(crate) use super::choices::{ArrivalKind, ExecKind};
use super::choices::{
    EXEC_KINDS, LOAD_KINDS, LOCKINGS, ON_MISS, ORDERS, OS_POLICIES, OVERRUNS, PLACEMENTS, POLICIES,
};
use super::problem::{Problem, ProblemKind};
use super::reader::{Problems, Sp, TableReader, Written, as_i64, type_name, wrong_type};
use crate::model::{
    LoadKind, Locking, OnMiss, OsPolicy, Overrun, Placement, Policy, PriorityOrder,
};
use crate::time::Duration;
pub(crate) use arrival::RawArrival;
use arrival::{ARRIVAL_KEYS, read_arrival};
pub(crate) use chain::RawChain;
use chain::{read_chains, string_list};

pub(crate) const ROOT_KEYS: &[&str] = &[
    "name",
    "description",
    "duration",
    "seed",
    "platform",
    "scheduler",
    "live",
    "task",
    "load",
    "chain",
    "variant",
];
const PLATFORM_KEYS: &[&str] = &["cpus"];
const SCHEDULER_KEYS: &[&str] = &[
    "policy",
    "preemptive",
    "priorities",
    "placement",
    "quantum",
    "locking",
    "overrun",
    "on_miss",
];
const LIVE_KEYS: &[&str] = &[
    "os_policy",
    "priority_top",
    "spin_tail",
    "lock_memory",
    "kernel_trace",
];
const TASK_KEYS: &[&str] = &[
    "name",
    "period",
    "wcet",
    "deadline",
    "offset",
    "priority",
    "cpu",
    "execution",
    "release_jitter",
    "arrival",
    "trigger",
    "reads",
    "sections",
    "faults",
];
const EXECUTION_KEYS: &[&str] = &[
    "model", "min", "max", "mean", "stddev", "low", "high", "p_high",
];
const SECTION_KEYS: &[&str] = &["resource", "after", "hold"];
const FAULT_KEYS: &[&str] = &["panic_every"];
const LOAD_KEYS: &[&str] = &["kind", "cpus", "duty", "period"];

/// The whole file, read.
#[derive(Debug, Default)]
pub(crate) struct RawConfig {
    pub(crate) span: Range<usize>,
    pub(crate) written: Written,
    pub(crate) name: Option<Sp<String>>,
    pub(crate) description: Option<Sp<String>>,
    pub(crate) duration: Option<Sp<Duration>>,
    pub(crate) seed: Option<Sp<u64>>,
    pub(crate) cpus: Option<Sp<Vec<Sp<i64>>>>,
    pub(crate) scheduler: RawScheduler,
    pub(crate) live: RawLive,
    pub(crate) tasks: Vec<RawTask>,
    pub(crate) loads: Vec<RawLoad>,
    pub(crate) chains: Vec<RawChain>,
}

/// `[scheduler]`.
#[derive(Debug, Default)]
pub(crate) struct RawScheduler {
    pub(crate) policy: Option<Sp<Policy>>,
    pub(crate) preemptive: Option<Sp<bool>>,
    pub(crate) priorities: Option<Sp<PriorityOrder>>,
    pub(crate) placement: Option<Sp<Placement>>,
    pub(crate) quantum: Option<Sp<Duration>>,
    pub(crate) locking: Option<Sp<Locking>>,
    pub(crate) overrun: Option<Sp<Overrun>>,
    pub(crate) on_miss: Option<Sp<OnMiss>>,
}

/// `[live]`.
#[derive(Debug, Default)]
pub(crate) struct RawLive {
    pub(crate) os_policy: Option<Sp<OsPolicy>>,
    pub(crate) priority_top: Option<Sp<i64>>,
    pub(crate) spin_tail: Option<Sp<Duration>>,
    pub(crate) lock_memory: Option<Sp<bool>>,
    pub(crate) kernel_trace: Option<Sp<bool>>,
}

/// One `[[task]]`.
#[derive(Debug, Default)]
pub(crate) struct RawTask {
    pub(crate) span: Range<usize>,
    pub(crate) written: Written,
    pub(crate) name: Option<Sp<String>>,
    pub(crate) period: Option<Sp<Duration>>,
    pub(crate) wcet: Option<Sp<Duration>>,
    pub(crate) deadline: Option<Sp<Duration>>,
    pub(crate) offset: Option<Sp<Duration>>,
    pub(crate) priority: Option<Sp<i64>>,
    pub(crate) cpu: Option<Sp<i64>>,
    pub(crate) execution: Option<RawExecution>,
    pub(crate) arrival: Option<RawArrival>,
    pub(crate) trigger: Option<Sp<String>>,
    pub(crate) reads: Option<Sp<Vec<Sp<String>>>>,
    pub(crate) release_jitter: Option<Sp<Duration>>,
    pub(crate) sections: Vec<RawSection>,
    pub(crate) panic_every: Option<Sp<u64>>,
}

/// A task's `execution` table.
#[derive(Debug)]
pub(crate) struct RawExecution {
    pub(crate) span: Range<usize>,
    pub(crate) model: Sp<ExecKind>,
    pub(crate) min: Option<Sp<Duration>>,
    pub(crate) max: Option<Sp<Duration>>,
    pub(crate) mean: Option<Sp<Duration>>,
    pub(crate) stddev: Option<Sp<Duration>>,
    pub(crate) low: Option<Sp<Duration>>,
    pub(crate) high: Option<Sp<Duration>>,
    pub(crate) p_high: Option<Sp<f64>>,
}

/// One entry of a task's `sections`.
#[derive(Debug)]
pub(crate) struct RawSection {
    pub(crate) span: Range<usize>,
    pub(crate) resource: Sp<String>,
    pub(crate) after: Sp<Duration>,
    pub(crate) hold: Sp<Duration>,
}

/// One `[[load]]`.
#[derive(Debug)]
pub(crate) struct RawLoad {
    pub(crate) span: Range<usize>,
    pub(crate) written: Written,
    pub(crate) kind: Option<Sp<LoadKind>>,
    pub(crate) cpus: Option<Sp<Vec<Sp<i64>>>>,
    pub(crate) duty: Option<Sp<f64>>,
    pub(crate) period: Option<Sp<Duration>>,
}

/// Reads the document root. Type problems go to `out`; what could be read
/// is returned.
pub(crate) fn read(root: &DeTable<'_>, span: Range<usize>, out: &mut Problems) -> RawConfig {
    let r = TableReader::new(root, span.clone(), "the top level", ROOT_KEYS);
    r.check_unknown(out);
    let mut raw = RawConfig {
        span,
        written: r.written(),
        name: r.string("name", out),
        description: r.string("description", out),
        duration: r.duration("duration", out),
        seed: r.unsigned("seed", out),
        ..RawConfig::default()
    };
    if let Some(p) = r.table("platform", "[platform]", PLATFORM_KEYS, out) {
        p.check_unknown(out);
        raw.cpus = integer_list(&p, "cpus", out);
    }
    if let Some(s) = r.table("scheduler", "[scheduler]", SCHEDULER_KEYS, out) {
        s.check_unknown(out);
        raw.scheduler = RawScheduler {
            policy: s.choice("scheduler.policy", POLICIES, out),
            preemptive: s.boolean("preemptive", out),
            priorities: s.choice("scheduler.priorities", ORDERS, out),
            placement: s.choice("scheduler.placement", PLACEMENTS, out),
            quantum: s.duration("quantum", out),
            locking: s.choice("scheduler.locking", LOCKINGS, out),
            overrun: s.choice("scheduler.overrun", OVERRUNS, out),
            on_miss: s.choice("scheduler.on_miss", ON_MISS, out),
        };
    }
    if let Some(l) = r.table("live", "[live]", LIVE_KEYS, out) {
        l.check_unknown(out);
        raw.live = RawLive {
            os_policy: l.choice("live.os_policy", OS_POLICIES, out),
            priority_top: l.integer("priority_top", out),
            spin_tail: l.duration("spin_tail", out),
            lock_memory: l.boolean("lock_memory", out),
            kernel_trace: l.boolean("kernel_trace", out),
        };
    }
    raw.tasks = read_tasks(&r, out);
    raw.loads = read_loads(&r, out);
    raw.chains = read_chains(&r, out);
    raw
}

/// The `[[task]]` tables; an empty list of them is an error.
fn read_tasks(r: &TableReader<'_, '_>, out: &mut Problems) -> Vec<RawTask> {
    let mut tasks = Vec::new();
    for (i, (table, tspan)) in tables_of(r, "task", "[[task]]", out)
        .into_iter()
        .enumerate()
    {
        let name = table
            .as_ref()
            .and_then(|t| t.get("name"))
            .and_then(|v| v.get_ref().as_str().map(str::to_string));
        let label = match &name {
            Some(n) => format!("[[task]] \"{n}\""),
            None => format!("[[task]] #{}", i + 1),
        };
        if let Some(t) = table {
            let reader = TableReader::new(t, tspan, label, TASK_KEYS);
            tasks.push(read_task(&reader, out));
        }
    }
    if let Some(v) = r
        .get("task")
        .filter(|v| v.get_ref().as_array().is_some_and(|a| a.is_empty()))
    {
        out.push(
            Problem::error(
                ProblemKind::BadValue {
                    key: "task".into(),
                    message: "is empty: a config needs at least one task".into(),
                },
                v.span(),
            )
            .with_hint("describe each task in a [[task]] table with name, period and wcet"),
        );
    }
    tasks
}

/// The `[[load]]` tables.
fn read_loads(r: &TableReader<'_, '_>, out: &mut Problems) -> Vec<RawLoad> {
    let mut loads = Vec::new();
    for (i, (table, tspan)) in tables_of(r, "load", "[[load]]", out)
        .into_iter()
        .enumerate()
    {
        if let Some(t) = table {
            let reader =
                TableReader::new(t, tspan.clone(), format!("[[load]] #{}", i + 1), LOAD_KEYS);
            reader.check_unknown(out);
            loads.push(RawLoad {
                span: tspan,
                written: reader.written(),
                kind: reader.choice("load.kind", LOAD_KINDS, out),
                cpus: integer_list(&reader, "cpus", out),
                duty: reader.number("duty", out),
                period: reader.duration("period", out),
            });
        }
    }
    loads
}

/// The tables of an array of tables (`[[task]]` or `task = [{..}, ..]`);
/// a non-table element is recorded and yields `None`.
pub(crate) fn tables_of<'a, 'i>(
    r: &TableReader<'a, 'i>,
    key: &str,
    what: &str,
    out: &mut Problems,
) -> Vec<(Option<&'a DeTable<'i>>, Range<usize>)> {
    let Some(array) = r.array(key, out) else {
        return Vec::new();
    };
    array
        .value
        .iter()
        .map(|item| match item.get_ref().as_table() {
            Some(t) => (Some(t), item.span()),
            None => {
                out.push(Problem::error(
                    ProblemKind::WrongType {
                        key: key.to_string(),
                        expected: format!("an array of tables ({what})"),
                        found: format!("an array holding {}", type_name(item.get_ref())),
                    },
                    item.span(),
                ));
                (None, item.span())
            }
        })
        .collect()
}

/// A list of CPU numbers (`platform.cpus`, a `[[load]]`'s `cpus`).
fn integer_list(
    r: &TableReader<'_, '_>,
    key: &str,
    out: &mut Problems,
) -> Option<Sp<Vec<Sp<i64>>>> {
    let v = r.get(key)?;
    let Some(array) = v.get_ref().as_array() else {
        out.push(wrong_type(key, "an array", v).with_hint(cpu_list_hint(key, v.get_ref())));
        return None;
    };
    let mut items = Vec::new();
    for item in array.iter() {
        match as_i64(item.get_ref()) {
            Some(i) => items.push(Sp::new(i, item.span())),
            None => out.push(Problem::error(
                ProblemKind::WrongType {
                    key: key.to_string(),
                    expected: "an array of integers (CPU numbers)".to_string(),
                    found: format!("an element that is {}", type_name(item.get_ref())),
                },
                item.span(),
            )),
        }
    }
    Some(Sp::new(items, v.span()))
}

/// How to write as a list the CPUs given as something else: `cpus = 1` or
/// `cpus = "0, 1"` is `[0, 1]`.
fn cpu_list_hint(key: &str, value: &DeValue<'_>) -> String {
    let numbers = match value {
        DeValue::Integer(_) => as_i64(value).map(|i| vec![i]),
        DeValue::String(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<i64>().ok())
            .collect::<Option<Vec<i64>>>()
            .filter(|list| !list.is_empty()),
        _ => None,
    };
    match numbers {
        Some(list) => format!(
            "a list of CPU numbers, even of one: write {key} = [{}]",
            list.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => format!("a list of CPU numbers, e.g. {key} = [0, 1]"),
    }
}

/// A task's `cpu`. A list (`cpu = [1]`) is told apart: a task runs on one
/// CPU, and the list of CPUs is the platform's.
fn task_cpu(r: &TableReader<'_, '_>, out: &mut Problems) -> Option<Sp<i64>> {
    let v = r.get("cpu")?;
    let Some(list) = v.get_ref().as_array() else {
        return r.integer("cpu", out);
    };
    let one = match list.iter().map(|c| as_i64(c.get_ref())).collect::<Vec<_>>()[..] {
        [Some(cpu)] => Some(cpu),
        _ => None,
    };
    let hint = match one {
        Some(cpu) => format!("a task runs on one CPU: write cpu = {cpu}"),
        None => "a task runs on one CPU: write one number, e.g. cpu = 1; to let rtlab place \
                 the tasks, list the CPUs in [platform] cpus and leave out `cpu`"
            .to_string(),
    };
    out.push(wrong_type("cpu", "an integer", v).with_hint(hint));
    None
}

fn read_task(r: &TableReader<'_, '_>, out: &mut Problems) -> RawTask {
    r.check_unknown(out);
    let mut task = RawTask {
        span: r.span(),
        written: r.written(),
        name: r.string("name", out),
        period: r.duration("period", out),
        wcet: r.duration("wcet", out),
        deadline: r.duration("deadline", out),
        offset: r.duration("offset", out),
        priority: r.integer("priority", out),
        cpu: task_cpu(r, out),
        release_jitter: r.duration("release_jitter", out),
        trigger: r.string("trigger", out),
        reads: string_list(r, "reads", out),
        ..RawTask::default()
    };
    let label = r.label().to_string();
    if let Some(e) = r.table(
        "execution",
        format!("{label} execution"),
        EXECUTION_KEYS,
        out,
    ) {
        task.execution = read_execution(&e, out);
    }
    if let Some(a) = r.table("arrival", format!("{label} arrival"), ARRIVAL_KEYS, out) {
        task.arrival = read_arrival(&a, out);
    }
    if let Some(f) = r.table("faults", format!("{label} faults"), FAULT_KEYS, out) {
        f.check_unknown(out);
        task.panic_every = f.unsigned("panic_every", out);
    }
    for (i, (table, span)) in tables_of(r, "sections", "{ resource, after, hold }", out)
        .into_iter()
        .enumerate()
    {
        let Some(table) = table else { continue };
        let s = TableReader::new(
            table,
            span.clone(),
            format!("{label} sections[{i}]"),
            SECTION_KEYS,
        );
        s.check_unknown(out);
        let resource = s.string("resource", out);
        let after = s.duration("after", out);
        let hold = s.duration("hold", out);
        if resource.is_none() && s.get("resource").is_none() {
            s.missing(
                "resource",
                Some("name the shared resource, e.g. resource = \"bus\""),
                out,
            );
        }
        if after.is_none() && s.get("after").is_none() {
            s.missing(
                "after",
                Some("execution time before the lock is taken, e.g. after = \"0.2ms\""),
                out,
            );
        }
        if hold.is_none() && s.get("hold").is_none() {
            s.missing(
                "hold",
                Some("execution time spent holding the lock, e.g. hold = \"0.3ms\""),
                out,
            );
        }
        if let (Some(resource), Some(after), Some(hold)) = (resource, after, hold) {
            task.sections.push(RawSection {
                span,
                resource,
                after,
                hold,
            });
        }
    }
    task
}

fn read_execution(e: &TableReader<'_, '_>, out: &mut Problems) -> Option<RawExecution> {
    e.check_unknown(out);
    let model = match e.choice("task.execution.model", EXEC_KINDS, out) {
        Some(m) => m,
        None => {
            if e.get("model").is_none() {
                e.missing(
                    "model",
                    Some("one of \"constant\", \"uniform\", \"normal\", \"bimodal\""),
                    out,
                );
            }
            return None;
        }
    };
    let exec = RawExecution {
        span: e.span(),
        min: e.duration("min", out),
        max: e.duration("max", out),
        mean: e.duration("mean", out),
        stddev: e.duration("stddev", out),
        low: e.duration("low", out),
        high: e.duration("high", out),
        p_high: e.number("p_high", out),
        model,
    };
    let (needed, allowed): (&[&str], &[&str]) = match exec.model.value {
        ExecKind::Constant => (&[], &[]),
        ExecKind::Uniform => (&["min"], &["min", "max"]),
        ExecKind::Normal => (&["mean", "stddev"], &["mean", "stddev"]),
        ExecKind::Bimodal => (&["low", "p_high"], &["low", "high", "p_high"]),
    };
    let model_name = EXEC_KINDS
        .iter()
        .find(|(_, k)| *k == exec.model.value)
        .map_or("?", |(n, _)| n);
    for key in needed {
        if e.get(key).is_none() {
            e.missing(
                key,
                Some(&format!(
                    "the {model_name} model needs {}",
                    needed.join(" and ")
                )),
                out,
            );
        }
    }
    for key in EXECUTION_KEYS.iter().filter(|k| **k != "model") {
        if let Some(v) = e.get(key).filter(|_| !allowed.contains(key)) {
            out.push(
                Problem::error(
                    ProblemKind::BadValue {
                        key: (*key).to_string(),
                        message: format!("does not apply to the {model_name} model"),
                    },
                    v.span(),
                )
                .with_hint(if allowed.is_empty() {
                    format!("the {model_name} model takes no parameters")
                } else {
                    format!("the {model_name} model takes {}", allowed.join(", "))
                }),
            );
        }
    }
    Some(exec)
}
