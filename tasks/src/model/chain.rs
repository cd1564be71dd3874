//! Pipelines: tasks released by another task's completions (`trigger`),
//! tasks that read another's latest result (`reads`, a register), and the
//! chains of them whose end-to-end latency is measured and bounded.
//!
//! A triggered task has no clock of its own: one of its jobs is released
//! at each completion of its trigger's jobs. Its [`super::Task::period`]
//! is the minimum gap of the periodic or sporadic task at the head of its
//! trigger links (the *source*): completions of the trigger come at most
//! that often on average, and the analyses take it as the period, with
//! the release jitter the trigger's response times give
//! (`analysis::chain`). A register link changes no release: the reading
//! task keeps its own period and reads, when each job starts, the value
//! the last completed job of the written task left.

use serde::Serialize;

use super::rules::ModelError;
use super::{System, TaskId};
use crate::time::Duration;

/// How one stage of a chain hands its result to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Link {
    /// The next stage's job is released by this stage's completion.
    Trigger,
    /// The next stage reads this stage's latest completed value when its
    /// job starts.
    Register,
}

/// A named path of tasks, each consecutive pair linked by a trigger or a
/// register, whose end-to-end latency is measured and bounded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Chain {
    /// Unique name (names result files: the rules of task names).
    pub name: String,
    /// The stages, first (the stimulus) to last (the reaction); at least
    /// two.
    #[serde(skip)]
    pub tasks: Vec<TaskId>,
    /// End-to-end deadline, from the first stage's release to the last
    /// stage's completion, if any.
    pub deadline: Option<Duration>,
}

impl System {
    /// How `from` hands over to `to`, if it does: a trigger link first
    /// (`to` is released by `from`), else a register (`to` reads `from`).
    pub fn link(&self, from: TaskId, to: TaskId) -> Option<Link> {
        let t = self.tasks.get(to.0)?;
        if t.trigger == Some(from) {
            Some(Link::Trigger)
        } else if t.reads.contains(&from) {
            Some(Link::Register)
        } else {
            None
        }
    }

    /// The task at the head of `task`'s trigger links: `task` itself when
    /// it is not triggered. `None` on a cycle or a link out of range
    /// (broken rules).
    pub fn trigger_source(&self, task: TaskId) -> Option<TaskId> {
        trigger_source(&self.tasks, task)
    }

    /// The tasks `task`'s completions release, in task order.
    pub fn triggered_by(&self, task: TaskId) -> impl Iterator<Item = TaskId> + '_ {
        self.tasks
            .iter()
            .filter(move |t| t.trigger == Some(task))
            .map(|t| t.id)
    }
}

/// The task at the head of `task`'s trigger links among `tasks` (see
/// [`System::trigger_source`]); also for tasks not yet in a system (the
/// config's validation).
pub(crate) fn trigger_source(tasks: &[super::Task], task: TaskId) -> Option<TaskId> {
    let mut at = task;
    for _ in 0..=tasks.len() {
        match tasks.get(at.0)?.trigger {
            None => return Some(at),
            Some(next) => at = next,
        }
    }
    None
}

/// The rules of links and chains: every link names another task, trigger
/// links form no cycle, a triggered task has no timing of its own (its
/// period is its source's, no arrival model, offset or release jitter),
/// and every chain is named like a task, unique, of at least two tasks,
/// each consecutive pair linked, with a positive deadline if any.
pub(crate) fn check(system: &System) -> Vec<ModelError> {
    let mut out = Vec::new();
    let n = system.tasks.len();
    for task in &system.tasks {
        let name = || task.name.clone();
        for &other in task.trigger.iter().chain(&task.reads) {
            if other.0 >= n || other == task.id {
                out.push(ModelError::BadLink {
                    task: name(),
                    index: other.0,
                });
            }
        }
        if task.trigger.is_none() || out.iter().any(|e| e.task() == Some(&task.name)) {
            continue;
        }
        let Some(source) = system.trigger_source(task.id) else {
            out.push(ModelError::TriggerCycle { task: name() });
            continue;
        };
        let own = !task.arrival.is_periodic() || !task.offset.is_zero();
        if own || !task.release_jitter.is_zero() {
            out.push(ModelError::TriggeredTiming { task: name() });
        }
        let period = system.tasks[source.0].period;
        if task.period != period {
            out.push(ModelError::TriggeredPeriod {
                task: name(),
                period: task.period,
                source_period: period,
            });
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for chain in &system.chains {
        if super::rules::task_name(&chain.name).is_err() {
            out.push(ModelError::BadChain {
                chain: chain.name.clone(),
                problem: "is not a usable name (letters, digits, '-', '_' or '.')".into(),
            });
        }
        if !names.insert(chain.name.as_str()) {
            out.push(ModelError::BadChain {
                chain: chain.name.clone(),
                problem: "is defined twice".into(),
            });
        }
        out.extend(check_chain(system, chain).err());
    }
    out
}

/// A chain's own rules: length, task ids, links, deadline.
fn check_chain(system: &System, chain: &Chain) -> Result<(), ModelError> {
    let bad = |problem: String| ModelError::BadChain {
        chain: chain.name.clone(),
        problem,
    };
    if chain.tasks.len() < 2 {
        return Err(bad("needs at least two tasks".into()));
    }
    if let Some(t) = chain.tasks.iter().find(|t| t.0 >= system.tasks.len()) {
        return Err(bad(format!("names task #{}, which does not exist", t.0)));
    }
    for pair in chain.tasks.windows(2) {
        if system.link(pair[0], pair[1]).is_none() {
            return Err(ModelError::ChainNotLinked {
                chain: chain.name.clone(),
                from: system.tasks[pair[0].0].name.clone(),
                to: system.tasks[pair[1].0].name.clone(),
            });
        }
    }
    if chain.deadline.is_some_and(|d| d.is_zero()) {
        return Err(bad("deadline must be greater than 0".into()));
    }
    Ok(())
}
