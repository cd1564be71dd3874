//! The `fifo-rta` and `busy-window` verdicts, CPU by CPU: each CPU's bound,
//! what leaves a CPU undecided (a resource also locked on another CPU;
//! under round-robin, a lock-order cycle), and when a rejection is a proof
//! (a CPU whose own utilization exceeds 1, unless skipped releases keep its
//! backlog bounded).

use std::cmp::Ordering;

use super::{NoBound, busy_window, fifo_bound, skip_bound};
use crate::analysis::blocking::remote_share;
use crate::analysis::{
    Group, Run, TaskVerdict, TestKind, TestVerdict, Timing, cpu_prefix, fmt_ratio, has_offsets,
    timings, utilization,
};
use crate::model::lock_order_cycles;
use crate::model::{OnMiss, Overrun, ResourceId, System, TaskId};
use crate::time::Duration;

/// The dispatching rule of the CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Rule {
    /// First ready, first served, run to completion: `fifo-rta`.
    Fifo,
    /// Quantum by quantum in queue order: `busy-window`.
    RoundRobin,
}

impl Rule {
    fn test_name(self) -> &'static str {
        match self {
            Rule::Fifo => "fifo-rta",
            Rule::RoundRobin => "busy-window",
        }
    }

    fn intro(self) -> &'static str {
        match self {
            Rule::Fifo => {
                "no exact test for FIFO; sufficient bound (FIFO RTA, Bedarkar et al. 2022)"
            }
            Rule::RoundRobin => {
                "no exact test for round-robin; sufficient bound (every job ends with its busy window)"
            }
        }
    }
}

/// What keeps a CPU's bound from applying.
enum Obstacle {
    /// `resource` is also locked by `other`, on another CPU.
    Remote { resource: ResourceId, other: TaskId },
    /// Nested sections take these resources in a cycle (round-robin).
    Cycle(Vec<ResourceId>),
}

impl Obstacle {
    fn find(system: &System, group: &Group, rule: Rule) -> Option<Obstacle> {
        let remote = group
            .tasks
            .iter()
            .find_map(|&id| remote_share(system, id))
            .map(|(resource, other)| Obstacle::Remote { resource, other });
        remote.or_else(|| match rule {
            // FIFO never switches jobs inside a section: no local deadlock.
            Rule::Fifo => None,
            Rule::RoundRobin => lock_order_cycles(&system.tasks, system.resources.len())
                .into_iter()
                .find(|c| c.takers.iter().all(|t| group.tasks.contains(t)))
                .map(|c| Obstacle::Cycle(c.resources)),
        })
    }

    /// The CPU's part of the test detail.
    fn line(&self, system: &System) -> String {
        match self {
            Obstacle::Remote { resource, other } => format!(
                "undecided: `{}` is shared with `{}` on another CPU and remote blocking is not analysed",
                system.resource_name(*resource),
                system.tasks[other.0].name
            ),
            Obstacle::Cycle(cycle) => format!(
                "undecided: possible deadlock: lock order cycle {} (round-robin can switch jobs inside a section)",
                cycle_text(system, cycle)
            ),
        }
    }

    /// The note of every task of the CPU.
    fn note(&self, system: &System) -> String {
        match self {
            Obstacle::Remote { resource, other } => format!(
                "`{}` is also locked by `{}` on another CPU: remote blocking is not analysed, no bound",
                system.resource_name(*resource),
                system.tasks[other.0].name
            ),
            Obstacle::Cycle(cycle) => format!(
                "possible deadlock: lock order cycle {} on this CPU, no bound",
                cycle_text(system, cycle)
            ),
        }
    }
}

/// `r1 -> r2 -> r1`.
fn cycle_text(system: &System, cycle: &[ResourceId]) -> String {
    let mut names: Vec<&str> = cycle.iter().map(|&r| system.resource_name(r)).collect();
    names.extend(cycle.first().map(|&r| system.resource_name(r)));
    names.join(" -> ")
}

/// What one CPU's analysis found.
struct CpuOutcome {
    verdict: Option<bool>,
    refutes: bool,
    line: String,
}

/// The test of a partitioned FIFO or round-robin system, filling in the
/// per-task figures.
pub(super) fn run(system: &System, groups: &[Group], out: &mut [TaskVerdict], rule: Rule) -> Run {
    let outcomes: Vec<CpuOutcome> = groups
        .iter()
        .map(|g| analyse_cpu(system, groups, g, out, rule))
        .collect();
    let schedulable = if outcomes.iter().any(|o| o.verdict == Some(false)) {
        Some(false)
    } else if outcomes.iter().all(|o| o.verdict == Some(true)) {
        Some(true)
    } else {
        None
    };
    let lines: Vec<&str> = outcomes.iter().map(|o| o.line.as_str()).collect();
    Run {
        test: TestVerdict {
            name: rule.test_name().to_string(),
            kind: TestKind::Sufficient,
            applies: true,
            schedulable,
            detail: format!("{}: {}", rule.intro(), lines.join("; ")),
        },
        refutes: outcomes.iter().any(|o| o.refutes),
    }
}

fn analyse_cpu(
    system: &System,
    groups: &[Group],
    group: &Group,
    out: &mut [TaskVerdict],
    rule: Rule,
) -> CpuOutcome {
    let prefix = cpu_prefix(groups, group);
    let tasks = timings(system, &group.tasks);
    let skip = system.scheduler.overrun == Overrun::Skip;
    // With every job running its WCET the backlog of an overloaded CPU
    // grows without end (remote waits only add to it), so some job misses;
    // unless releases that find their task busy are dropped.
    let overloaded = utilization::compare(&tasks, 1) == Ordering::Greater;
    let proven = overloaded && !skip;
    let obstacle = Obstacle::find(system, group, rule);
    let free = obstacle.is_none();
    let mut outcome = match obstacle {
        Some(obstacle) => {
            let note = obstacle.note(system);
            for id in &group.tasks {
                out[id.0].add_note(note.clone());
            }
            CpuOutcome {
                verdict: None,
                refutes: false,
                line: format!("{prefix}{}", obstacle.line(system)),
            }
        }
        None => bounded(system, group, &tasks, out, rule, &prefix),
    };
    if proven {
        outcome.verdict = Some(false);
        outcome.refutes = true;
        // A job waiting for a remote lock can be overtaken: only without
        // one does FIFO make every task wait for the whole backlog.
        let every_task = free && rule == Rule::Fifo;
        overload(system, group, &tasks, out, every_task);
        outcome.line.push_str(&format!(
            "; {prefix}U = {} > 1: the backlog grows without end",
            fmt_ratio(utilization::total(&tasks))
        ));
    }
    if has_offsets(system, &group.tasks) {
        outcome.line.push_str(&format!(
            "; {prefix}offsets are ignored (the bound covers every phasing)"
        ));
    }
    outcome
}

/// The CPU's bound from the ready instant, and what it rests on.
fn cpu_bound(
    rule: Rule,
    tasks: &[Timing],
    skip: bool,
) -> Result<(Duration, &'static str), NoBound> {
    match rule {
        Rule::RoundRobin => busy_window(tasks).map(|b| (b, "")),
        Rule::Fifo if skip => {
            let one_each = skip_bound(tasks)?;
            Ok(match fifo_bound(tasks) {
                Ok(b) if b <= one_each => (b, ""),
                _ => (
                    one_each,
                    " (overrun = skip: at most one job of each task is pending)",
                ),
            })
        }
        Rule::Fifo => fifo_bound(tasks).map(|b| (b, "")),
    }
}

/// A CPU without obstacle: its bound, each task's response and verdict.
fn bounded(
    system: &System,
    group: &Group,
    tasks: &[Timing],
    out: &mut [TaskVerdict],
    rule: Rule,
    prefix: &str,
) -> CpuOutcome {
    let skip = system.scheduler.overrun == Overrun::Skip;
    match cpu_bound(rule, tasks, skip) {
        Ok((b, why)) => {
            let mut misses = Vec::new();
            for (n, id) in group.tasks.iter().enumerate() {
                let r = b.checked_add(tasks[n].jitter).unwrap_or(Duration::MAX);
                let v = &mut out[id.0];
                v.set_wcrt(r);
                // Every job's wait is inside the bound, none apart.
                v.blocking_ns = Some(0);
                if r > tasks[n].deadline {
                    misses.push(format!(
                        "R({}) <= {} > D = {}",
                        system.tasks[id.0].name, r, tasks[n].deadline
                    ));
                }
            }
            let ok = misses.is_empty();
            CpuOutcome {
                verdict: Some(ok),
                refutes: false,
                line: if ok {
                    format!("{prefix}every response <= {b} + jitter <= D{why}")
                } else {
                    format!("{prefix}{}{why}", misses.join("; "))
                },
            }
        }
        Err(e) => {
            for id in &group.tasks {
                out[id.0].add_note(e.describe());
            }
            let mut line = format!("{prefix}no bound: {}", e.describe());
            if e == NoBound::Overload && skip {
                line.push_str(" (overrun = skip drops releases, so this proves no miss)");
            }
            CpuOutcome {
                // Overload: the test does not accept; a cap: undecided.
                verdict: if e == NoBound::Overload {
                    Some(false)
                } else {
                    None
                },
                refutes: false,
                line,
            }
        }
    }
}

/// Per-task figures of a CPU proven overloaded. When every job waits for
/// the whole backlog ahead of it (`fifo_order`: FIFO, no remote lock) and
/// no job is aborted, every task misses; otherwise only the CPU is known to
/// miss somewhere.
fn overload(
    system: &System,
    group: &Group,
    tasks: &[Timing],
    out: &mut [TaskVerdict],
    fifo_order: bool,
) {
    let u = fmt_ratio(utilization::total(tasks));
    let every_task = fifo_order && system.scheduler.on_miss == OnMiss::Continue;
    for id in &group.tasks {
        let v = &mut out[id.0];
        if every_task {
            v.schedulable = Some(false);
            v.witness = Some(format!(
                "releases as configured, every job running its WCET: the CPU's backlog \
                 grows without end (U = {u} > 1) and FIFO serves each job after all of it, \
                 so the responses grow past the deadline"
            ));
        } else {
            v.add_note(format!(
                "U = {u} > 1 on this CPU: some job of the CPU misses its deadline"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::{TestKind, analyze};
    use crate::model::{Locking, OnMiss, Overrun, Policy, System, SystemBuilder};
    use crate::time::Duration;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    #[test]
    fn policies_get_their_bound() {
        let build = |policy| {
            SystemBuilder::new("q")
                .policy(policy)
                .task("a", ns(4), ns(1))
                .task("b", ns(6), ns(2))
                .task("c", ns(10), ns(3))
                .build()
        };
        let fifo = analyze(&build(Policy::Fifo));
        assert_eq!(fifo.tests[0].name, "fifo-rta");
        assert_eq!(fifo.tests[0].kind, TestKind::Sufficient);
        // a's bound 6 > D = 4: not accepted, but that proves nothing.
        assert_eq!(fifo.tests[0].schedulable, Some(false));
        assert_eq!(fifo.schedulable, None);
        assert_eq!(fifo.tasks[2].wcrt_ns, Some(6));
        let rr = analyze(&build(Policy::RoundRobin));
        assert_eq!(rr.tests[0].name, "busy-window");
        assert_eq!(rr.tasks[0].wcrt_ns, Some(10));
        assert_eq!(rr.schedulable, None);
        // A light set passes both.
        let light = SystemBuilder::new("light")
            .policy(Policy::Fifo)
            .task("a", ns(100), ns(10))
            .task("b", ns(100), ns(20))
            .build();
        assert_eq!(analyze(&light).schedulable, Some(true));
    }

    /// Issue 9, case 1: 14 ns of `r` every 10 ns across two CPUs; `extra`
    /// adds a task of C 6 to CPU 0.
    fn remote(policy: Policy, extra: bool) -> System {
        let mut b = SystemBuilder::new("remote")
            .cpus(&[0, 1])
            .policy(policy)
            .locking(Locking::Inherit)
            .task("a", ns(10), ns(5))
            .deadline(ns(6))
            .cpu(0)
            .section("r", ns(0), ns(5))
            .task("b", ns(10), ns(9))
            .cpu(1)
            .section("r", ns(0), ns(9));
        if extra {
            b = b.task("c", ns(10), ns(6)).cpu(0);
        }
        b.build()
    }

    #[test]
    fn a_lock_shared_across_cpus_leaves_fifo_and_round_robin_undecided() {
        for policy in [Policy::Fifo, Policy::RoundRobin] {
            let analysis = analyze(&remote(policy, false));
            let test = &analysis.tests[0];
            assert_eq!(analysis.schedulable, None, "{policy:?}");
            assert_eq!(test.schedulable, None);
            assert_eq!(test.kind, TestKind::Sufficient);
            assert!(
                test.detail.contains(
                    "cpu 0: undecided: `r` is shared with `b` on another CPU and remote blocking is not analysed; \
                     cpu 1: undecided: `r` is shared with `a` on another CPU"
                ),
                "{}",
                test.detail
            );
            for task in &analysis.tasks {
                assert_eq!((task.wcrt_ns, task.schedulable), (None, None));
            }
            assert_eq!(
                analysis.tasks[0].note.as_deref(),
                Some(
                    "`r` is also locked by `b` on another CPU: remote blocking is not analysed, no bound"
                )
            );
        }
    }

    #[test]
    fn an_overloaded_cpu_is_refuted_despite_a_remote_lock() {
        for policy in [Policy::Fifo, Policy::RoundRobin] {
            // CPU 0: U = 0.5 + 0.6 = 1.1.
            let analysis = analyze(&remote(policy, true));
            assert_eq!(analysis.schedulable, Some(false), "{policy:?}");
            assert!(
                analysis.tests[0]
                    .detail
                    .contains("cpu 0: U = 1.100 > 1: the backlog grows without end"),
                "{}",
                analysis.tests[0].detail
            );
            // A remote wait can let a job overtake: no per-task proof.
            assert_eq!(analysis.tasks[2].schedulable, None);
            assert_eq!(analysis.tasks[2].wcrt_ns, None);
        }
    }

    /// One task, T 10, C 15, D 20, with the given overrun and miss rules.
    fn overloaded(policy: Policy, overrun: Overrun, on_miss: OnMiss) -> System {
        let mut system = SystemBuilder::new("over")
            .policy(policy)
            .task("a", ns(10), ns(15))
            .deadline(ns(20))
            .build();
        system.scheduler.overrun = overrun;
        system.scheduler.on_miss = on_miss;
        system
    }

    #[test]
    fn overload_under_skip_is_no_proof_of_a_miss() {
        // Under skip the release at 10 is dropped and every job runs alone:
        // response 15 <= 20, no miss (rtlab simulate: 0 of 100 missed).
        let fifo = analyze(&overloaded(Policy::Fifo, Overrun::Skip, OnMiss::Continue));
        assert_eq!(fifo.schedulable, Some(true));
        assert_eq!(fifo.tasks[0].wcrt_ns, Some(15));
        assert!(fifo.tests[0].detail.contains("overrun = skip"));
        let rr = analyze(&overloaded(
            Policy::RoundRobin,
            Overrun::Skip,
            OnMiss::Continue,
        ));
        assert_eq!(rr.schedulable, None);
        assert!(
            rr.tests[0].detail.contains("so this proves no miss"),
            "{}",
            rr.tests[0].detail
        );
    }

    #[test]
    fn overload_with_queued_or_aborted_jobs_is_a_proven_miss() {
        let fifo = analyze(&overloaded(Policy::Fifo, Overrun::Queue, OnMiss::Continue));
        assert_eq!(fifo.schedulable, Some(false));
        assert_eq!(fifo.tasks[0].schedulable, Some(false));
        assert!(fifo.tasks[0].witness.is_some());
        // Aborted jobs keep the backlog bounded, but a job is aborted only
        // at a miss: some job misses, which one is not known.
        for policy in [Policy::Fifo, Policy::RoundRobin] {
            let abort = analyze(&overloaded(policy, Overrun::Queue, OnMiss::Abort));
            assert_eq!(abort.schedulable, Some(false), "{policy:?}");
            assert_eq!(abort.tasks[0].schedulable, None);
            assert_eq!(abort.tasks[0].witness, None);
        }
    }

    #[test]
    fn fifo_under_skip_waits_for_one_job_of_each_task() {
        // a (T 4, C 2), b (T 6, C 3, J 2): U = 1 with jitter, so under queue
        // the busy window never ends; under skip R <= 2 + 3 (+ J).
        let mut system = SystemBuilder::new("skip")
            .policy(Policy::Fifo)
            .task("a", ns(4), ns(2))
            .deadline(ns(5))
            .task("b", ns(6), ns(3))
            .jitter(ns(2))
            .deadline(ns(7))
            .build();
        let queued = analyze(&system);
        assert_eq!(queued.tests[0].schedulable, Some(false));
        assert_eq!(queued.schedulable, None);
        assert_eq!(queued.tasks[1].wcrt_ns, None);
        system.scheduler.overrun = Overrun::Skip;
        let analysis = analyze(&system);
        assert_eq!(analysis.schedulable, Some(true));
        let wcrt: Vec<Option<u64>> = analysis.tasks.iter().map(|t| t.wcrt_ns).collect();
        assert_eq!(wcrt, [Some(5), Some(7)]);
    }

    /// Issue 9, case 4's nesting: a takes r1 then r2, b r2 then r1.
    fn cycle(policy: Policy) -> System {
        SystemBuilder::new("cycle")
            .policy(policy)
            .locking(Locking::Inherit)
            .task("a", ns(100), ns(5))
            .section("r1", ns(0), ns(4))
            .section("r2", ns(2), ns(1))
            .task("b", ns(100), ns(5))
            .section("r2", ns(0), ns(4))
            .section("r1", ns(1), ns(1))
            .build()
    }

    #[test]
    fn round_robin_with_a_lock_order_cycle_is_undecided() {
        // Quantum 1ns: a takes r1, b takes r2, each then waits for the
        // other (rtlab simulate: deadlock at 3ns). The busy window bound
        // (10) would accept.
        let rr = analyze(&cycle(Policy::RoundRobin));
        assert_eq!(rr.schedulable, None);
        assert_eq!(rr.tasks[0].wcrt_ns, None);
        assert!(
            rr.tests[0]
                .detail
                .contains("undecided: possible deadlock: lock order cycle r1 -> r2 -> r1"),
            "{}",
            rr.tests[0].detail
        );
        // FIFO never switches jobs inside a section: the bound stands.
        let fifo = analyze(&cycle(Policy::Fifo));
        assert_eq!(fifo.schedulable, Some(true));
        assert_eq!(fifo.tasks[1].wcrt_ns, Some(10));
    }

    #[test]
    fn locks_on_one_cpu_keep_the_bounds() {
        // Nested sections in one order (r1 then r2) on one CPU: a job waits
        // for a lock only while its ready holder runs; still work-conserving.
        for policy in [Policy::Fifo, Policy::RoundRobin] {
            let system = SystemBuilder::new("local")
                .policy(policy)
                .locking(Locking::None)
                .task("a", ns(10), ns(3))
                .section("r1", ns(0), ns(3))
                .section("r2", ns(1), ns(1))
                .task("b", ns(20), ns(4))
                .section("r1", ns(1), ns(2))
                .section("r2", ns(2), ns(1))
                .build();
            let analysis = analyze(&system);
            assert_eq!(analysis.schedulable, Some(true), "{policy:?}");
            assert_eq!(analysis.tasks[1].wcrt_ns, Some(7));
        }
    }

    #[test]
    fn offsets_and_jitter_are_covered_not_assumed_away() {
        // a (T 4, C 1, J 3, offset 1), b (T 6, C 2): L = 4 (3 -> 4); FIFO
        // bound from the ready instant: A = 0: ⌈4/4⌉ + ⌈1/6⌉ 2 = 3; A = 1
        // (a steps): ⌈5/4⌉ + 2 - 1 = 3. R(a) = 3 + 3, R(b) = 3
        // (rtlab simulate, 5 seeds: 4 and 3).
        let analysis = analyze(
            &SystemBuilder::new("phase")
                .policy(Policy::Fifo)
                .task("a", ns(4), ns(1))
                .jitter(ns(3))
                .offset(ns(1))
                .deadline(ns(6))
                .task("b", ns(6), ns(2))
                .build(),
        );
        let wcrt: Vec<Option<u64>> = analysis.tasks.iter().map(|t| t.wcrt_ns).collect();
        assert_eq!(wcrt, [Some(6), Some(3)]);
        assert_eq!(analysis.schedulable, Some(true));
        assert_eq!(analysis.tests[0].kind, TestKind::Sufficient);
        assert!(
            analysis.tests[0]
                .detail
                .ends_with("offsets are ignored (the bound covers every phasing)")
        );
    }
}
