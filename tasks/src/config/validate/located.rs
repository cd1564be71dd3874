//! A model rule broken in a config file, as the located [`Problem`] that
//! `rtlab check` prints: the kind of problem, its wording and the hint are
//! fixed here, once for every [`ModelError`]; the caller knows the span.

use std::ops::Range;

use crate::config::problem::{Problem, ProblemKind};
use crate::config::reader::POSITIVE;
use crate::model::{MAX_CPU, MAX_PRIORITY, ModelError};

/// The problem a config file with this error has, at `span`.
pub(super) fn problem(error: ModelError, span: Range<usize>) -> Problem {
    let (kind, hint) = kind(error);
    let p = Problem::error(kind, span);
    match hint {
        Some(h) => p.with_hint(h),
        None => p,
    }
}

/// The execution-model field an error is about (`min`, `max`, `mean`,
/// `low`, `high` or `p_high`), to point at it.
pub(super) fn execution_field(error: &ModelError) -> Option<&'static str> {
    match error {
        ModelError::ExecutionNotPositive { field, .. }
        | ModelError::ExecutionAboveWcet { field, .. }
        | ModelError::ExecutionOrder { field, .. } => Some(field),
        ModelError::Probability { .. } => Some("p_high"),
        _ => None,
    }
}

fn bad(key: &str, message: impl Into<String>) -> ProblemKind {
    ProblemKind::BadValue {
        key: key.to_string(),
        message: message.into(),
    }
}

/// The kind of problem an error is, and its hint.
// One long match on purpose: a flat table from error to wording, exhaustive,
// so a new `ModelError` does not compile until it has its wording here.
fn kind(error: ModelError) -> (ProblemKind, Option<&'static str>) {
    use ModelError as E;
    match error {
        E::NoTasks => (
            ProblemKind::MissingKey {
                key: "task".into(),
                table: "the top level".into(),
            },
            Some("describe at least one task in a [[task]] table with name, period and wcet"),
        ),
        E::NoCpus => (bad("cpus", "must name at least one CPU"), None),
        E::CpuOutOfRange { cpu } => (
            bad(
                "cpus",
                format!(
                    "holds {cpu}, expected a CPU number from 0 to {}",
                    MAX_CPU - 1
                ),
            ),
            None,
        ),
        E::DuplicateCpu { cpu } => (bad("cpus", format!("names CPU {cpu} twice")), None),
        E::ZeroDuration => (bad("duration", POSITIVE), None),
        E::ZeroQuantum => (bad("quantum", POSITIVE), None),
        E::BadTaskName { name } => (
            bad("name", format!("\"{name}\" is not a usable task name")),
            Some(
                "use letters, digits, '-', '_' or '.' (at most 64, not starting with '.'): it names result files and threads",
            ),
        ),
        E::DuplicateTask { name } => (ProblemKind::DuplicateName { what: "task", name }, None),
        E::NotPositive { field, .. } => (bad(field, POSITIVE), None),
        E::WcetExceedsDeadline {
            task,
            wcet,
            deadline,
        } => (
            ProblemKind::WcetExceedsDeadline {
                task,
                wcet: wcet.to_string(),
                deadline: deadline.to_string(),
            },
            Some("the task can never meet its deadline: shorten wcet or lengthen the deadline"),
        ),
        E::UnknownCpu {
            task,
            cpu,
            platform,
        } => (
            ProblemKind::UnknownCpu {
                task,
                cpu,
                platform,
            },
            Some("use one of platform.cpus, or omit `cpu` to let rtlab place the task"),
        ),
        E::MissingPriority { task } => (
            ProblemKind::MissingPriority { task },
            Some(
                "add priority = N (1..=99, higher = more urgent), or set [scheduler] priorities = \"rate-monotonic\"",
            ),
        ),
        E::PriorityOutOfRange { priority, .. } => (
            bad(
                "priority",
                format!(
                    "must be from 1 to {MAX_PRIORITY} (higher = more urgent; the SCHED_FIFO range), found {priority}"
                ),
            ),
            None,
        ),
        E::EmptySection { .. } => (bad("hold", POSITIVE), None),
        E::SectionOverflow { .. } => (bad("hold", "makes the section end overflow"), None),
        E::SectionDoesNotFit {
            task,
            resource,
            end,
            wcet,
        } => (
            ProblemKind::SectionDoesNotFit {
                task,
                resource,
                end: end.to_string(),
                wcet: wcet.to_string(),
            },
            Some("after + hold must be at most the wcet: a section is part of the job's execution"),
        ),
        E::SectionsOverlap { task, a, b } => (
            ProblemKind::SectionsOverlap { task, a, b },
            Some(
                "sections must be disjoint or nested: an inner section must end before its outer one",
            ),
        ),
        E::SelfNested { task, resource } => (
            bad(
                "sections",
                format!(
                    "of task `{task}` lock `{resource}` inside a section that already holds it (self-deadlock)"
                ),
            ),
            None,
        ),
        E::UnknownResource { index, .. } => (
            bad(
                "sections",
                format!("name resource #{index}, which the system does not have"),
            ),
            None,
        ),
        E::ExecutionNotPositive { field, .. } => (bad(field, POSITIVE), None),
        E::ExecutionAboveWcet {
            field, value, wcet, ..
        } => (
            bad(
                field,
                format!("({value}) must not exceed the wcet ({wcet})"),
            ),
            None,
        ),
        E::ExecutionOrder {
            field,
            value,
            limit_field,
            limit,
            ..
        } => (
            bad(
                field,
                format!("({value}) must not exceed {limit_field} ({limit})"),
            ),
            None,
        ),
        E::ArrivalNotPositive { .. } => (bad("min", POSITIVE), None),
        E::ArrivalOrder {
            min,
            limit_field,
            limit,
            ..
        } => (
            bad(
                "min",
                format!("({min}) must not exceed {limit_field} ({limit})"),
            ),
            Some(if limit_field == "max" {
                "a sporadic task's gaps are drawn from [min, max]: swap them, or raise max"
            } else {
                "a Poisson task's gaps are never below min and average mean: lower min, or raise mean"
            }),
        ),
        E::PeriodNotMinGap { period, min, .. } => (
            bad(
                "period",
                format!("({period}) differs from the arrival model's min ({min})"),
            ),
            Some(
                "a sporadic or Poisson task's period is its minimum gap, arrival.min: remove `period`",
            ),
        ),
        E::BadLink { index, .. } => (
            bad(
                "trigger",
                format!("names task #{index}, which is the task itself or does not exist"),
            ),
            None,
        ),
        E::TriggerCycle { task } => (
            bad(
                "trigger",
                format!(
                    "of task `{task}` closes a cycle of triggers: no job of them would ever be released"
                ),
            ),
            Some(
                "the first stage of a pipeline needs a period (or an arrival model) of its own: remove its `trigger`",
            ),
        ),
        E::TriggeredTiming { task } => (
            bad(
                "trigger",
                format!(
                    "makes task `{task}` triggered: it takes no arrival, offset or release_jitter"
                ),
            ),
            Some(
                "a triggered task is released by its trigger's completions: remove the other timing keys",
            ),
        ),
        E::TriggeredPeriod {
            period,
            source_period: source,
            ..
        } => (
            bad(
                "period",
                format!("({period}) is not the trigger source's period ({source})"),
            ),
            Some("a triggered task takes its trigger source's period: remove `period`"),
        ),
        E::BadChain { chain, problem } => (bad("chain", format!("`{chain}` {problem}")), None),
        E::ChainNotLinked { chain, from, to } => (
            bad(
                "tasks",
                format!("of chain `{chain}`: `{to}` neither is triggered by nor reads `{from}`"),
            ),
            Some(
                "link each stage to the one before it: trigger = \"FROM\" (released by its completions) or reads = [\"FROM\"] (its latest value)",
            ),
        ),
        E::Probability { p_high, .. } => (
            bad(
                "p_high",
                format!("is a probability, from 0 to 1, found {p_high}"),
            ),
            None,
        ),
    }
}
