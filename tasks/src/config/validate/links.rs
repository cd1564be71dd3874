//! Validation of pipelines, once every task is known: each `trigger` and
//! `reads` names another task, triggers form no cycle, a triggered task
//! takes its source's period (and, unless it has one, deadline), and each
//! `[[chain]]` lists linked tasks. Every problem is located at the name or
//! key to change.

use std::collections::BTreeMap;
use std::ops::Range;

use super::located::problem;
use super::positive;
use crate::config::problem::{Problem, ProblemKind};
use crate::config::raw::{RawChain, RawConfig};
use crate::config::reader::suggest::did_you_mean;
use crate::config::reader::{Problems, Sp};
use crate::model::{self, Chain, ModelError, Task, TaskId, rules};

/// Resolves the links of `tasks` (built from `raw.tasks`, index for
/// index) and reads the chains; `None` when anything is wrong.
pub(super) fn links(raw: &RawConfig, tasks: &mut [Task], out: &mut Problems) -> Option<Vec<Chain>> {
    let ids: BTreeMap<String, TaskId> = tasks.iter().map(|t| (t.name.clone(), t.id)).collect();
    let resolve = |name: &Sp<String>, of: &str, out: &mut Problems| -> Option<TaskId> {
        let found = ids.get(&name.value).copied();
        if found.is_none() {
            unknown_task(&ids, name, of, out);
        }
        found
    };
    let mut ok = true;
    for (task, rt) in tasks.iter_mut().zip(&raw.tasks) {
        if let Some(name) = &rt.trigger {
            task.trigger = resolve(name, "trigger", out);
            ok &= task.trigger.is_some() && not_itself(task, "trigger", name, out);
        }
        for name in rt.reads.iter().flat_map(|r| &r.value) {
            match resolve(name, "reads", out) {
                Some(id) if not_itself(task, "reads", name, out) => task.reads.push(id),
                _ => ok = false,
            }
        }
    }
    if !ok {
        return None;
    }
    ok &= triggered_timing(raw, tasks, out);
    let mut chains: Vec<Chain> = Vec::with_capacity(raw.chains.len());
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, rc) in raw.chains.iter().enumerate() {
        if let Some(n) = &rc.name
            && let Some(prev) = seen.insert(&n.value, i)
        {
            out.push(
                Problem::error(
                    ProblemKind::DuplicateName {
                        what: "chain",
                        name: n.value.clone(),
                    },
                    n.span.clone(),
                )
                .with_hint(format!(
                    "chain #{} already has this name; names must be unique",
                    prev + 1
                )),
            );
            ok = false;
        }
        chains.extend(chain(rc, &ids, tasks, out));
    }
    (ok && chains.len() == raw.chains.len()).then_some(chains)
}

/// A name that is no task, with the closest task name as a hint.
fn unknown_task(ids: &BTreeMap<String, TaskId>, name: &Sp<String>, of: &str, out: &mut Problems) {
    let names: Vec<&str> = ids.keys().map(String::as_str).collect();
    let hint = match did_you_mean(&name.value, &names) {
        Some(n) => format!("did you mean \"{n}\"?"),
        None => format!("the tasks are {}", names.join(", ")),
    };
    out.push(
        bad(
            of,
            format!(
                "names \"{}\", which is not a task of this config",
                name.value
            ),
            name.span.clone(),
        )
        .with_hint(hint),
    );
}

/// A task that links to itself (by `key`: `trigger` or `reads`) is an
/// error at the name.
fn not_itself(task: &Task, key: &str, name: &Sp<String>, out: &mut Problems) -> bool {
    if name.value != task.name {
        return true;
    }
    out.push(
        bad(
            key,
            format!("of task `{}` names the task itself", task.name),
            name.span.clone(),
        )
        .with_hint("a task is triggered by, or reads, another task's completions"),
    );
    false
}

/// Triggered tasks: no cycle, the source's period, the deadline (written
/// or the period) at least the WCET.
fn triggered_timing(raw: &RawConfig, tasks: &mut [Task], out: &mut Problems) -> bool {
    let mut ok = true;
    let sources: Vec<Option<Option<TaskId>>> = (0..tasks.len())
        .map(|i| {
            tasks[i]
                .trigger
                .map(|_| model::trigger_source(tasks, TaskId(i)))
        })
        .collect();
    for ((i, rt), source) in raw.tasks.iter().enumerate().zip(sources) {
        let Some(source) = source else { continue };
        let trigger_span = rt
            .trigger
            .as_ref()
            .map_or(rt.span.clone(), |t| t.span.clone());
        let Some(source) = source else {
            let e = ModelError::TriggerCycle {
                task: tasks[i].name.clone(),
            };
            out.push(problem(e, trigger_span));
            ok = false;
            continue;
        };
        let period = tasks[source.0].period;
        let t = &mut tasks[i];
        t.period = period;
        if rt.deadline.is_none() {
            t.deadline = period;
        }
        if let Err(e) = rules::wcet_within_deadline(&t.name, t.wcet, t.deadline) {
            let span = rt.wcet.as_ref().map_or(rt.span.clone(), |w| w.span.clone());
            out.push(problem(e, span).with_hint(
                "a triggered task's deadline is its source's period unless it has one: \
                 shorten wcet or give it a longer deadline",
            ));
            ok = false;
        }
    }
    ok
}

/// One `[[chain]]`: a usable, unique name, at least two known tasks, each
/// linked to the one before it, a positive deadline.
fn chain(
    rc: &RawChain,
    ids: &BTreeMap<String, TaskId>,
    tasks: &[Task],
    out: &mut Problems,
) -> Option<Chain> {
    let name = rc.name.as_ref()?;
    if rules::task_name(&name.value).is_err() {
        out.push(
            bad(
                "name",
                format!("\"{}\" is not a usable chain name", name.value),
                name.span.clone(),
            )
            .with_hint(
                "use letters, digits, '-', '_' or '.' (at most 64, not starting with '.'): \
                 it names result files",
            ),
        );
        return None;
    }
    let listed = rc.tasks.as_ref()?;
    if listed.value.len() < 2 {
        out.push(
            bad(
                "tasks",
                "needs at least two tasks: a stimulus and a reaction",
                listed.span.clone(),
            )
            .with_hint("list the stages in order, e.g. tasks = [\"camera\", \"detect\"]"),
        );
        return None;
    }
    let mut stages = Vec::with_capacity(listed.value.len());
    for t in &listed.value {
        match ids.get(&t.value) {
            Some(&id) => stages.push(id),
            None => unknown_task(ids, t, "tasks", out),
        }
    }
    if stages.len() != listed.value.len() {
        return None;
    }
    let mut linked = true;
    for (i, pair) in stages.windows(2).enumerate() {
        let to = &tasks[pair[1].0];
        if to.trigger == Some(pair[0]) || to.reads.contains(&pair[0]) {
            continue;
        }
        let e = ModelError::ChainNotLinked {
            chain: name.value.clone(),
            from: tasks[pair[0].0].name.clone(),
            to: to.name.clone(),
        };
        out.push(problem(e, listed.value[i + 1].span.clone()));
        linked = false;
    }
    let deadline_ok = rc
        .deadline
        .as_ref()
        .is_none_or(|d| positive(out, "deadline", d));
    (linked && deadline_ok).then(|| Chain {
        name: name.value.clone(),
        tasks: stages,
        deadline: rc.deadline.as_ref().map(|d| d.value),
    })
}

/// A value problem at `span`.
fn bad(key: &str, message: impl Into<String>, span: Range<usize>) -> Problem {
    Problem::error(
        ProblemKind::BadValue {
            key: key.to_string(),
            message: message.into(),
        },
        span,
    )
}
