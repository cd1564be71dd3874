//! The `rta` test of a partitioned (or uniprocessor) fixed-priority
//! system: response times CPU by CPU with the system's priorities, release
//! jitter and blocking, the per-task figures, and whether a miss is a proof.

use super::{NoBound, analyse_task};
use crate::analysis::blocking;
use crate::analysis::{Group, Run, TaskVerdict, TestKind, TestVerdict, cpu_prefix, has_offsets};
use crate::model::{Priority, System, TaskId};
use crate::time::Duration;

/// What one CPU's analysis found.
struct CpuOutcome {
    verdict: Option<bool>,
    refutes: bool,
    /// Reasons the analysis is only sufficient on this CPU.
    approximations: Vec<String>,
    line: String,
}

/// The `rta` test of a partitioned fixed-priority system, filling in the
/// per-task figures.
pub(crate) fn run(system: &System, groups: &[Group], out: &mut [TaskVerdict]) -> Run {
    let priorities: Vec<Priority> = system.tasks.iter().map(|t| t.priority).collect();
    let outcomes: Vec<CpuOutcome> = groups
        .iter()
        .map(|g| analyse_cpu(system, &priorities, groups, g, out))
        .collect();
    let verdict = if outcomes.iter().any(|o| o.verdict == Some(false)) {
        Some(false)
    } else if outcomes.iter().all(|o| o.verdict == Some(true)) {
        Some(true)
    } else {
        None
    };
    let mut approximations: Vec<String> = outcomes
        .iter()
        .flat_map(|o| o.approximations.iter().cloned())
        .collect();
    approximations.sort();
    approximations.dedup();
    let mut detail = outcomes
        .iter()
        .map(|o| o.line.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let kind = if approximations.is_empty() {
        TestKind::Exact
    } else {
        detail.push_str(&format!("; sufficient here: {}", approximations.join(", ")));
        TestKind::Sufficient
    };
    if !system.scheduler.preemptive {
        detail = format!("non-preemptive (Davis et al. 2007): {detail}");
    }
    Run {
        test: TestVerdict {
            name: "rta".to_string(),
            kind,
            applies: true,
            schedulable: verdict,
            detail,
        },
        refutes: outcomes.iter().any(|o| o.refutes),
    }
}

fn analyse_cpu(
    system: &System,
    priorities: &[Priority],
    groups: &[Group],
    group: &Group,
    out: &mut [TaskVerdict],
) -> CpuOutcome {
    let prefix = cpu_prefix(groups, group);
    let mut approximations = Vec::new();
    if !system.scheduler.preemptive {
        approximations.push("non-preemptive analysis".to_string());
    }
    if has_offsets(system, &group.tasks) {
        approximations.push("offsets are ignored (a synchronous release is assumed)".to_string());
    }
    let tied = group.tasks.iter().enumerate().any(|(n, a)| {
        group.tasks[n + 1..]
            .iter()
            .any(|b| priorities[a.0] == priorities[b.0])
    });
    if tied {
        approximations.push("equal priorities interfere both ways".to_string());
    }
    let remote = group
        .tasks
        .iter()
        .find_map(|&id| blocking::remote_share(system, id));
    let mut failures = Vec::new();
    let mut inversions: Vec<(String, Vec<TaskId>)> = Vec::new();
    let mut undecided = Vec::new();
    let mut refutes = false;
    let mut tightest: Option<(i128, TaskId, Duration)> = None;
    let mut any_blocking = false;
    for &id in &group.tasks {
        let task = &system.tasks[id.0];
        let mut jobs: Vec<Duration> = Vec::new();
        let result = analyse_task(system, priorities, &group.tasks, id, |_, r| {
            if jobs.len() < 8 {
                jobs.push(r);
            }
        });
        let verdict = &mut out[id.0];
        verdict.blocking_ns = result.blocking.time().map(Duration::as_nanos);
        verdict.blocking_detail = blocking::describe(system, &result.blocking);
        any_blocking |= result.blocking.time().is_some_and(|b| !b.is_zero());
        if let Some((resource, other)) = remote {
            let local = match result.response {
                Ok(r) => format!("; ignoring it, R = {}", r.wcrt),
                Err(_) => String::new(),
            };
            verdict.add_note(format!(
                "`{}` is also locked by `{}` on another CPU: remote blocking is not analysed, no bound{local}",
                system.resource_name(resource),
                system.tasks[other.0].name
            ));
            if let Err(e) = result.response
                && e.is_overload()
            {
                verdict.schedulable = Some(false);
                refutes = true;
            }
            continue;
        }
        match result.response {
            Ok(r) => {
                verdict.set_wcrt(r.wcrt);
                verdict.jobs_examined = Some(r.jobs);
                if r.jobs > 1 {
                    let list: Vec<String> = jobs.iter().map(Duration::to_string).collect();
                    let more = if r.jobs > jobs.len() as u64 {
                        ", ..."
                    } else {
                        ""
                    };
                    verdict.add_note(format!(
                        "{} jobs in the busy period of {}, responses {}{more}; the worst is job {}",
                        r.jobs,
                        r.busy_period,
                        list.join(", "),
                        r.worst_job + 1
                    ));
                }
                let slack = i128::from(task.deadline.as_nanos()) - i128::from(r.wcrt.as_nanos());
                if r.wcrt > task.deadline {
                    failures.push(format!(
                        "R({}) = {} > D = {} (by {})",
                        task.name,
                        r.wcrt,
                        task.deadline,
                        r.wcrt.saturating_sub(task.deadline)
                    ));
                } else if tightest.is_none_or(|(s, _, _)| slack < s) {
                    tightest = Some((slack, id, r.wcrt));
                }
            }
            Err(NoBound::Inversion(inversion)) => {
                verdict.schedulable = Some(false);
                verdict.add_note(
                    "no response-time bound: the blocking is unbounded (see blocking_detail)",
                );
                // One line per inversion, naming every task it leaves
                // without a bound.
                let cause = blocking::describe_cause(system, &inversion);
                match inversions.iter_mut().find(|(c, _)| *c == cause) {
                    Some((_, victims)) => victims.push(id),
                    None => inversions.push((cause, vec![id])),
                }
                refutes = true;
            }
            Err(e) if e.is_overload() => {
                verdict.schedulable = Some(false);
                verdict.add_note(e.describe(system));
                failures.push(format!(
                    "no bound for `{}`: {}",
                    task.name,
                    e.describe(system)
                ));
                refutes = true;
            }
            Err(e) => {
                verdict.add_note(e.describe(system));
                undecided.push(format!("`{}`: {}", task.name, e.describe(system)));
            }
        }
    }
    for (cause, victims) in inversions.into_iter().rev() {
        let names: Vec<String> = victims
            .iter()
            .map(|v| format!("`{}`", system.tasks[v.0].name))
            .collect();
        failures.insert(0, format!("{cause}: no bound for {}", names.join(", ")));
    }
    if any_blocking && system.scheduler.preemptive {
        approximations.push("blocking bounds are upper bounds".to_string());
    }
    if let Some((resource, other)) = remote {
        return CpuOutcome {
            verdict: if refutes { Some(false) } else { None },
            refutes,
            approximations,
            line: format!(
                "{prefix}undecided: `{}` is shared with `{}` on another CPU and remote blocking is not analysed",
                system.resource_name(resource),
                system.tasks[other.0].name
            ),
        };
    }
    let n = group.tasks.len();
    let (verdict, line) = if !failures.is_empty() {
        let shown = failures.len().min(4);
        let more = if failures.len() > shown {
            format!("; and {} more", failures.len() - shown)
        } else {
            String::new()
        };
        (
            Some(false),
            format!("{prefix}{}{more}", failures[..shown].join("; ")),
        )
    } else if !undecided.is_empty() {
        (None, format!("{prefix}{}", undecided.join("; ")))
    } else {
        let tight = tightest.map_or(String::new(), |(_, id, wcrt)| {
            let t = &system.tasks[id.0];
            format!("; tightest: R({}) = {} <= D = {}", t.name, wcrt, t.deadline)
        });
        let all = if n == 1 {
            "the task meets its deadline".to_string()
        } else {
            format!("all {n} tasks meet their deadlines")
        };
        (Some(true), format!("{prefix}{all}{tight}"))
    };
    // A miss found by an exact analysis is a proof.
    if verdict == Some(false) && approximations.is_empty() {
        refutes = true;
    }
    CpuOutcome {
        verdict,
        refutes,
        approximations,
        line,
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::{TestKind, analyze};
    use crate::model::{Locking, SystemBuilder};
    use crate::time::Duration;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v).unwrap()
    }

    #[test]
    fn burns_wellings_task_set_a_misses_by_2ms() {
        // Burns & Wellings, 4th ed., ch. 11, task set A: R_a = 52ms > 50ms,
        // reported above the deadline with the slack it lacks.
        let system = SystemBuilder::new("bw-a")
            .task("a", ms(50), ms(12))
            .task("b", ms(40), ms(10))
            .task("c", ms(30), ms(10))
            .build();
        let analysis = analyze(&system);
        assert_eq!(analysis.tasks[0].wcrt_ns, Some(52_000_000));
        assert_eq!(analysis.tasks[0].schedulable, Some(false));
        assert_eq!(analysis.tests[2].detail, "R(a) = 52ms > D = 50ms (by 2ms)");
        assert_eq!(analysis.schedulable, Some(false));
    }

    #[test]
    fn pathfinder_misses_without_inheritance() {
        // The lesson of pathfinder.toml: with plain mutexes the high task's
        // wait is unbounded (the set is unschedulable by definition); with
        // inheritance it is one section and the set is schedulable.
        let build = |locking| {
            SystemBuilder::new("pathfinder")
                .locking(locking)
                .task("high", ms(10), ms(2))
                .priority(3)
                .section("bus", ms(0), ms(1))
                .task("medium", ms(20), ms(5))
                .priority(2)
                .task("low", ms(40), ms(4))
                .priority(1)
                .section("bus", ms(1), ms(2))
                .build()
        };
        let none = analyze(&build(Locking::None));
        assert_eq!(none.schedulable, Some(false));
        assert_eq!(none.tasks[0].wcrt_ns, None);
        assert_eq!(none.tasks[0].blocking_ns, None);
        assert_eq!(none.tasks[0].schedulable, Some(false));
        assert!(none.tests[2].detail.contains(
            "unbounded priority inversion: `medium` can preempt `low` while it holds `bus`, which `high` waits for"
        ));
        // medium: high's delayed jobs can land in its response.
        assert_eq!(none.tasks[1].wcrt_ns, None);
        assert_eq!(none.tasks[2].wcrt_ns, Some(13_000_000));
        let inherit = analyze(&build(Locking::Inherit));
        assert_eq!(inherit.schedulable, Some(true));
        // high: C 2 + B 2 (low's section) = 4ms.
        assert_eq!(inherit.tasks[0].wcrt_ns, Some(4_000_000));
        assert_eq!(inherit.tasks[0].blocking_ns, Some(2_000_000));
        assert_eq!(
            inherit.tasks[0].blocking_detail.as_deref(),
            Some("`low` holds `bus` for 2ms (inheritance)")
        );
        assert_eq!(inherit.tests[2].kind, TestKind::Sufficient);
    }

    #[test]
    fn remote_sharing_is_undecided() {
        let system = SystemBuilder::new("two")
            .cpus(&[0, 1])
            .locking(Locking::Inherit)
            .task("h", ms(10), ms(2))
            .cpu(0)
            .section("bus", ms(0), ms(1))
            .task("l", ms(40), ms(4))
            .cpu(1)
            .section("bus", ms(0), ms(3))
            .build();
        let analysis = analyze(&system);
        assert_eq!(analysis.schedulable, None);
        assert_eq!(analysis.tasks[0].wcrt_ns, None);
        assert!(
            analysis.tasks[0]
                .note
                .as_deref()
                .unwrap()
                .contains("remote blocking")
        );
    }

    #[test]
    fn arbitrary_deadline_note_lists_the_jobs() {
        // Lehoczky example 2, reversed order, through the system path.
        let system = SystemBuilder::new("lehoczky")
            .task("t1", ns(100), ns(52))
            .deadline(ns(110))
            .priority(1)
            .task("t2", ns(140), ns(52))
            .deadline(ns(154))
            .priority(2)
            .build();
        let analysis = analyze(&system);
        assert_eq!(analysis.schedulable, Some(true));
        assert_eq!(analysis.tasks[0].wcrt_ns, Some(108));
        assert_eq!(analysis.tasks[0].jobs_examined, Some(3));
        assert_eq!(
            analysis.tasks[0].note.as_deref(),
            Some(
                "3 jobs in the busy period of 260ns, responses 104ns, 108ns, 60ns; the worst is job 2"
            )
        );
    }
}
