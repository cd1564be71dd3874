//! The `rta` test of a partitioned (or uniprocessor) fixed-priority
//! system: response times CPU by CPU with the system's priorities, release
//! jitter and blocking, the per-task figures, and whether a miss is a proof.

use super::task::{analyse_task_with_higher, dispatch_of};
use super::{NoBound, Response, TaskResponse, window, witness};
use crate::analysis::blocking;
use crate::analysis::blocking::Blocking;
use crate::analysis::{CpuOutcome, Group, Run, TaskVerdict, Timing, cpu_prefix, has_offsets};
use crate::model::{OnMiss, Overrun, Priority, ResourceId, System, TaskId};
use crate::time::Duration;

/// The `rta` test of a partitioned fixed-priority system, filling in the
/// per-task figures.
pub(crate) fn run(system: &System, groups: &[Group], out: &mut [TaskVerdict]) -> Run {
    let priorities: Vec<Priority> = system.tasks.iter().map(|t| t.priority).collect();
    let outcomes: Vec<CpuOutcome> = groups
        .iter()
        .map(|g| analyse_cpu(system, &priorities, groups, g, out))
        .collect();
    let lead = (!system.scheduler.preemptive).then_some("non-preemptive (Davis et al. 2007): ");
    Run::from_cpus("rta", &outcomes, lead)
}

/// Why the RTA of one CPU is only sufficient for the configured system
/// (empty: exact, the bound is reached by the synchronous release).
fn approximations(system: &System, priorities: &[Priority], group: &Group) -> Vec<String> {
    let s = &system.scheduler;
    let tasks = || group.tasks.iter().map(|id| &system.tasks[id.0]);
    let mut out = Vec::new();
    if !s.preemptive {
        out.push("non-preemptive analysis".to_string());
    }
    if has_offsets(system, &group.tasks) {
        out.push("offsets are ignored (a synchronous release is assumed)".to_string());
    }
    // Two tasks of one priority: sorted, they are neighbours.
    let mut levels: Vec<Priority> = group.tasks.iter().map(|id| priorities[id.0]).collect();
    levels.sort_unstable();
    let tied = levels.windows(2).any(|w| w[0] == w[1]);
    if tied {
        out.push("equal priorities interfere both ways".to_string());
    }
    if tasks().any(|t| t.trigger.is_some()) {
        out.push(
            "triggered tasks: holistic analysis (their activation jitter is their trigger's \
             worst response, a bound the pipeline may never reach)"
                .to_string(),
        );
    }
    if tasks().any(|t| t.trigger.is_none() && !t.release_jitter.is_zero()) {
        out.push(
            "release jitter: exact for sporadic arrivals, your periodic releases may do better"
                .to_string(),
        );
    }
    let shared = system
        .resources
        .iter()
        .any(|r| r.users.iter().filter(|u| group.tasks.contains(u)).count() >= 2);
    if shared && s.preemptive {
        out.push("shared resources: blocking bounds are upper bounds".to_string());
    }
    if s.overrun == Overrun::Skip {
        out.push("overrun = skip drops releases".to_string());
    }
    if s.on_miss == OnMiss::Abort {
        out.push("on_miss = abort ends late jobs early".to_string());
    }
    if tasks().any(|t| t.faults.panic_every > 0) {
        out.push("injected faults end jobs early".to_string());
    }
    if tasks().any(|t| t.longest_execution() < t.wcet) {
        out.push("an execution model never reaches its WCET".to_string());
    }
    out
}

/// What the analysis of one task found, for the CPU's line.
enum Finding {
    /// Meets its deadline: the slack and the bound.
    Meets(i128, Duration),
    /// Misses or has no bound: the sentence, and whether it is proven.
    Fails(String, bool),
    /// Undecided.
    Undecided(String),
}

/// Analyses the tasks of one CPU, filling in their verdicts, and sums up
/// what was found in the CPU's verdict and line.
fn analyse_cpu(
    system: &System,
    priorities: &[Priority],
    groups: &[Group],
    group: &Group,
    out: &mut [TaskVerdict],
) -> CpuOutcome {
    let prefix = cpu_prefix(groups, group);
    let approximations = approximations(system, priorities, group);
    let remote = group
        .tasks
        .iter()
        .find_map(|&id| blocking::remote_share(system, id));
    let mut findings = Vec::new();
    for &id in &group.tasks {
        let finding = analyse_one(system, priorities, group, id, remote, &mut out[id.0]);
        findings.push((id, finding));
    }
    let refutes = findings
        .iter()
        .any(|(_, f)| matches!(f, Finding::Fails(_, true)));
    let (verdict, line) = cpu_line(system, group, &prefix, remote, &findings);
    CpuOutcome {
        verdict,
        refutes,
        approximations,
        line,
    }
}

/// The CPU's verdict and line: its first failures, else the remote
/// sharing or what is undecided, else that every task meets its deadline.
fn cpu_line(
    system: &System,
    group: &Group,
    prefix: &str,
    remote: Option<(ResourceId, TaskId)>,
    findings: &[(TaskId, Finding)],
) -> (Option<bool>, String) {
    let failures: Vec<&str> = findings
        .iter()
        .filter_map(|(_, f)| match f {
            Finding::Fails(text, _) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let undecided: Vec<&str> = findings
        .iter()
        .filter_map(|(_, f)| match f {
            Finding::Undecided(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    if !failures.is_empty() {
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
    } else if let Some((resource, other)) = remote {
        (
            None,
            format!(
                "{prefix}undecided: `{}` is shared with `{}` on another CPU and remote blocking is not analysed",
                system.resource_name(resource),
                system.tasks[other.0].name
            ),
        )
    } else if !undecided.is_empty() {
        (None, format!("{prefix}{}", undecided.join("; ")))
    } else {
        (
            Some(true),
            format!("{prefix}{}", all_meet(system, group, findings)),
        )
    }
}

/// "All N tasks meet their deadlines", with the task of least slack.
fn all_meet(system: &System, group: &Group, findings: &[(TaskId, Finding)]) -> String {
    let tight = findings
        .iter()
        .filter_map(|(id, f)| match f {
            Finding::Meets(slack, wcrt) => Some((*slack, *id, *wcrt)),
            _ => None,
        })
        .min_by_key(|(slack, id, _)| (*slack, id.0))
        .map_or(String::new(), |(_, id, wcrt)| {
            let t = &system.tasks[id.0];
            format!("; tightest: R({}) = {} <= D = {}", t.name, wcrt, t.deadline)
        });
    let n = group.tasks.len();
    let all = if n == 1 {
        "the task meets its deadline".to_string()
    } else {
        format!("all {n} tasks meet their deadlines")
    };
    format!("{all}{tight}")
}

/// Analyses one task: fills in its verdict and says what it found.
fn analyse_one(
    system: &System,
    priorities: &[Priority],
    group: &Group,
    id: TaskId,
    remote: Option<(ResourceId, TaskId)>,
    verdict: &mut TaskVerdict,
) -> Finding {
    let mut jobs: Vec<Duration> = Vec::new();
    let deadline = system.tasks[id.0].deadline;
    let mut first_late = None;
    let (result, higher) =
        analyse_task_with_higher(system, priorities, &group.tasks, id, |q, r| {
            if jobs.len() < 8 {
                jobs.push(r);
            }
            if r > deadline && first_late.is_none() {
                first_late = Some((q, r));
            }
        });
    // The witness's recurrence is often this one: handed over, it is not
    // solved twice.
    let solved = match (&result.blocking, &higher) {
        (Blocking::Bounded { time, .. }, Some(higher)) => Some(witness::Solved {
            task: Timing::of(&system.tasks[id.0]),
            blocking: *time,
            higher,
            dispatch: dispatch_of(system),
            response: result.response,
            first_late,
        }),
        _ => None,
    };
    let proof = witness::find(system, priorities, &group.tasks, id, solved);
    record_blocking(system, id, &result, verdict);
    if let Some(shared) = remote {
        return remote_finding(system, id, shared, &result, proof, verdict);
    }
    match result.response {
        Ok(r) => {
            let shown = result.window.is_none().then_some(jobs.as_slice());
            bounded_finding(system, id, &r, shown, proof, verdict)
        }
        Err(e) => unbounded_finding(system, id, e, proof, verdict),
    }
}

/// Fills in the task's blocking time and its explanation: from the busy
/// window under plain mutexes, else from the blocking bound.
fn record_blocking(system: &System, id: TaskId, result: &TaskResponse, verdict: &mut TaskVerdict) {
    match &result.window {
        Some(w) => {
            let total = result.response.as_ref().map_or(w.length, |r| r.wcrt);
            verdict.blocking_ns = Some(total.saturating_sub(w.unblocked).as_nanos());
            verdict.blocking_detail = Some(window::describe(system, id, w));
        }
        None => {
            verdict.blocking_ns = result.blocking.time().map(Duration::as_nanos);
            verdict.blocking_detail = blocking::describe(system, &result.blocking);
        }
    }
}

/// A task that shares `resource` with `other` on another CPU: no bound
/// (remote blocking is not analysed), a miss only when a witness proves it.
fn remote_finding(
    system: &System,
    id: TaskId,
    (resource, other): (ResourceId, TaskId),
    result: &TaskResponse,
    proof: Option<witness::Witness>,
    verdict: &mut TaskVerdict,
) -> Finding {
    let task = &system.tasks[id.0];
    let local = match result.response {
        Ok(r) => format!("; ignoring it, R = {}", r.wcrt),
        Err(_) => String::new(),
    };
    verdict.add_note(format!(
        "`{}` is also locked by `{}` on another CPU: remote blocking is not analysed, no bound{local}",
        system.resource_name(resource),
        system.tasks[other.0].name
    ));
    match proof {
        Some(w) => {
            prove(system, id, &w, verdict);
            Finding::Fails(format!("`{}` misses (proven)", task.name), true)
        }
        None => Finding::Undecided(format!("`{}`: remote blocking", task.name)),
    }
}

/// A task with a response-time bound `r`: meets its deadline, or misses it
/// (proven when there is a witness). `jobs`, the first responses of the
/// busy period, are listed in a note when there is more than one job.
fn bounded_finding(
    system: &System,
    id: TaskId,
    r: &Response,
    jobs: Option<&[Duration]>,
    proof: Option<witness::Witness>,
    verdict: &mut TaskVerdict,
) -> Finding {
    let task = &system.tasks[id.0];
    let r = &own_release(task, r);
    verdict.set_wcrt(r.wcrt);
    verdict.jobs_examined = Some(r.jobs);
    if let Some(jobs) = jobs
        && r.jobs > 1
    {
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
    if r.wcrt <= task.deadline {
        let slack = i128::from(task.deadline.as_nanos()) - i128::from(r.wcrt.as_nanos());
        return Finding::Meets(slack, r.wcrt);
    }
    let text = format!(
        "R({}) = {} > D = {} (by {})",
        task.name,
        r.wcrt,
        task.deadline,
        r.wcrt.saturating_sub(task.deadline)
    );
    match proof {
        Some(w) => {
            prove(system, id, &w, verdict);
            Finding::Fails(text, true)
        }
        None => {
            verdict.schedulable = None;
            verdict.add_note("the bound exceeds the deadline, but it is only an upper bound here: a miss is not proven");
            Finding::Fails(format!("{text}, not proven"), false)
        }
    }
}

/// The response of a triggered task from its own release (its activation,
/// where the simulator measures it and its deadline starts) rather than
/// from its source's: `R - J` when its busy period holds a single job of
/// it, else `R` (see [`crate::analysis::holistic`]). Other tasks: `r`.
fn own_release(task: &crate::model::Task, r: &Response) -> Response {
    if task.trigger.is_some() && r.jobs == 1 {
        Response {
            wcrt: r.wcrt.saturating_sub(task.release_jitter),
            ..*r
        }
    } else {
        *r
    }
}

/// A task without a bound (`e` says why): a proven miss with a witness, an
/// unproven one when the CPU is overloaded, else undecided.
fn unbounded_finding(
    system: &System,
    id: TaskId,
    e: NoBound,
    proof: Option<witness::Witness>,
    verdict: &mut TaskVerdict,
) -> Finding {
    let task = &system.tasks[id.0];
    let why = e.describe(system);
    verdict.add_note(why.clone());
    match proof {
        Some(w) => {
            prove(system, id, &w, verdict);
            Finding::Fails(format!("no bound for `{}`: {why}", task.name), true)
        }
        None if e.is_overload() || matches!(e, NoBound::WindowOverload(_)) => Finding::Fails(
            format!("no bound for `{}`: {why}, not proven", task.name),
            false,
        ),
        None => Finding::Undecided(format!("`{}`: {why}", task.name)),
    }
}

/// Records a proven miss on the task's verdict.
fn prove(system: &System, id: TaskId, w: &witness::Witness, verdict: &mut TaskVerdict) {
    verdict.schedulable = Some(false);
    verdict.witness = Some(witness::describe(system, id, w));
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
    fn pathfinder_inversion_is_bounded_by_the_busy_window_and_not_a_proof() {
        // The lesson of pathfinder.toml: with plain mutexes, `medium` can
        // run while `high` waits for `low`'s bus: no bound made of critical
        // sections exists, but the level-`low` busy window bounds it
        // (L = 2 + 2 + 5 + 4 = 13ms), which is above high's deadline and
        // not a proof of a miss; with inheritance it is one section and the
        // set is schedulable.
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
        assert_eq!(none.schedulable, None);
        assert_eq!(none.tasks[0].wcrt_ns, Some(13_000_000));
        // Everything above the unblocked response (2ms) is inversion.
        assert_eq!(none.tasks[0].blocking_ns, Some(11_000_000));
        assert_eq!(none.tasks[0].schedulable, None);
        assert_eq!(none.tasks[0].witness, None);
        assert!(
            none.tasks[0]
                .blocking_detail
                .as_deref()
                .unwrap()
                .contains("`high` can wait for a resource held by `low` while `medium` runs")
        );
        assert!(
            none.tests[2]
                .detail
                .contains("R(high) = 13ms > D = 10ms (by 3ms), not proven")
        );
        // medium takes no lock: high's delayed jobs land in its response,
        // within the same window, which meets its deadline.
        assert_eq!(none.tasks[1].wcrt_ns, Some(13_000_000));
        assert_eq!(none.tasks[1].schedulable, Some(true));
        assert_eq!(none.tasks[2].wcrt_ns, Some(13_000_000));
        assert_eq!(none.flagged, ["high"]);
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
