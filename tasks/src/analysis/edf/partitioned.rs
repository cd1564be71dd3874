//! The `edf-demand` test of a partitioned (or uniprocessor) EDF system,
//! CPU by CPU: the demand test (QPA for independent preemptive tasks, the
//! demand test with blocking for non-preemptive dispatching and for shared
//! resources), the per-task response-time bounds of [`super::response`],
//! whether a rejection is a proof ([`super::conditions`]) and its witness
//! ([`super::witness`]).
//!
//! A CPU is accepted when the demand test accepts or every task's bound is
//! within its deadline (both are sound; the demand test implies the bounds,
//! see `docs/analysis.md`). A CPU is undecided, never accepted, when one of
//! its resources is also locked on another CPU (remote blocking is not
//! analysed), when plain mutexes are shared under preemption, and when
//! nested sections under deadline inheritance can deadlock.

use std::cmp::Ordering;

use super::blocking::Resources;
use super::conditions::{self, Conditions};
use super::per_task::{self, Blocker};
use super::witness;
use super::{Demand, demand_test_with_blocking, non_preemptive_blocking, qpa};
use crate::analysis::blocking::remote_share;
use crate::analysis::{
    CpuOutcome, Group, Run, TaskVerdict, Timing, cpu_prefix, fmt_ratio, timings, utilization,
};
use crate::model::{Locking, OnMiss, System, TaskId, lock_order_cycles};
use crate::time::Duration;

/// The `edf-demand` test of a partitioned EDF system, filling in the
/// per-task figures.
pub(crate) fn run(system: &System, groups: &[Group], out: &mut [TaskVerdict]) -> Run {
    let outcomes: Vec<CpuOutcome> = groups
        .iter()
        .map(|g| analyse_cpu(system, groups, g, out))
        .collect();
    Run::from_cpus("edf-demand", &outcomes, None)
}

/// A resource two tasks of the group lock, with those tasks.
fn shared_resource(system: &System, group: &Group) -> Option<(usize, TaskId, TaskId)> {
    system.resources.iter().find_map(|r| {
        let mut users = r.users.iter().filter(|u| group.tasks.contains(u));
        match (users.next(), users.next()) {
            (Some(&a), Some(&b)) => Some((r.id.0, a, b)),
            _ => None,
        }
    })
}

/// `U = 0.958 < 1` and the like, exact comparison with 1.
fn utilization_text(tasks: &[Timing]) -> String {
    let u = utilization::total(tasks);
    match utilization::compare(tasks, 1) {
        Ordering::Equal => "U = 1 (exactly)".to_string(),
        Ordering::Less => format!("U = {} < 1", fmt_ratio(u).replace("1.000", "0.999+")),
        Ordering::Greater => format!("U = {} > 1", fmt_ratio(u)),
    }
}

/// Why a CPU gets no verdict before any test runs.
struct Undecided {
    /// For the CPU line, after "undecided: ".
    line: String,
    /// For each task's note.
    note: String,
    /// For "sufficient here: ...".
    short: &'static str,
    /// The local blocking bounds are still worth showing (remote sharing).
    show_blocking: bool,
}

fn undecided_reason(
    system: &System,
    group: &Group,
    shared: Option<(usize, TaskId, TaskId)>,
) -> Option<Undecided> {
    if let Some((resource, other)) = group.tasks.iter().find_map(|&id| remote_share(system, id)) {
        let (r, o) = (system.resource_name(resource), &system.tasks[other.0].name);
        return Some(Undecided {
            line: format!(
                "`{r}` is shared with `{o}` on another CPU and remote blocking is not analysed"
            ),
            note: format!(
                "`{r}` is also locked by `{o}` on another CPU: remote blocking is not analysed, no bound"
            ),
            short: "remote blocking is not analysed",
            // Plain mutexes have no local bound to show either.
            show_blocking: system.scheduler.locking != Locking::None,
        });
    }
    if !system.scheduler.preemptive {
        return None;
    }
    let (r, a, b) = shared?;
    match system.scheduler.locking {
        Locking::None => Some(Undecided {
            line: format!(
                "`{}` and `{}` share `{}` with plain mutexes (locking = none): under EDF the wait of a blocked job is not bounded by this test",
                system.tasks[a.0].name, system.tasks[b.0].name, system.resources[r].name
            ),
            note: "plain mutexes (locking = none): blocking not bounded, no bound".to_string(),
            short: "plain mutexes: blocking not bounded",
            show_blocking: false,
        }),
        Locking::Inherit => {
            let cycle = lock_order_cycles(&system.tasks, system.resources.len())
                .into_iter()
                .find(|c| c.takers.iter().all(|t| group.tasks.contains(t)))?;
            let text = format!(
                "possible deadlock: lock order cycle {}",
                system.describe_cycle(&cycle)
            );
            Some(Undecided {
                line: text.clone(),
                note: format!("{text}: no bound"),
                short: "possible deadlock",
                show_blocking: false,
            })
        }
        Locking::Ceiling => None,
    }
}

/// One CPU under analysis.
struct Cpu<'a> {
    system: &'a System,
    group: &'a Group,
    tasks: Vec<Timing>,
    conditions: Conditions,
    /// `"cpu 1: "` or nothing.
    prefix: String,
    /// `U = 0.958 < 1` and the like.
    u_text: String,
}

fn analyse_cpu(
    system: &System,
    groups: &[Group],
    group: &Group,
    out: &mut [TaskVerdict],
) -> CpuOutcome {
    let tasks = timings(system, &group.tasks);
    let preemptive = system.scheduler.preemptive;
    let shared = shared_resource(system, group);
    let mut cpu = Cpu {
        system,
        group,
        u_text: utilization_text(&tasks),
        tasks,
        conditions: conditions::of(
            system,
            &group.tasks,
            preemptive,
            shared.is_some() && preemptive,
        ),
        prefix: cpu_prefix(groups, group),
    };
    let resources = Resources {
        system,
        tasks: &group.tasks,
        inherit: system.scheduler.locking == Locking::Inherit,
    };
    let blocker = choose_blocker(system, group, shared.is_some(), &resources);
    if let Some(why) = undecided_reason(system, group, shared) {
        // The bound "ignoring it" leaves out the blocking it voids.
        let shown = match blocker {
            Blocker::Resources(_) if !why.show_blocking => Blocker::None,
            other => other,
        };
        // Whatever makes the CPU undecided also perturbs the schedule: a
        // miss can still be proven, but not who misses first.
        cpu.conditions.terms.push(why.short.to_string());
        return cpu.undecided(&why, shown, out);
    }
    let (result, method) = cpu.demand_test(blocker);
    let bounds = per_task::fill(system, group, &cpu.tasks, blocker, out);
    let verdict = match result {
        Ok(Demand::Overload) => Some(false),
        Ok(Demand::Feasible { .. }) => Some(true),
        _ if bounds.all_within => Some(true),
        Ok(Demand::Miss { .. }) => Some(false),
        Err(_) if bounds.some_beyond => Some(false),
        Err(_) => None,
    };
    let mut line = demand_line(&cpu.prefix, &cpu.u_text, &result, method);
    line.push_str(&bounds.summary);
    let mut outcome = CpuOutcome {
        verdict,
        refutes: false,
        approximations: cpu.conditions.all().cloned().collect(),
        line,
    };
    if verdict == Some(true) {
        for id in &group.tasks {
            if out[id.0].schedulable.is_none() {
                out[id.0].schedulable = Some(true);
                out[id.0].add_note("the CPU's demand test shows it meets its deadlines");
            }
        }
    } else if verdict == Some(false) {
        cpu.prove(&result, &mut outcome, out);
    }
    outcome
}

/// What can delay a job of the CPU besides the jobs due no later.
fn choose_blocker<'a>(
    system: &System,
    group: &Group,
    shared: bool,
    resources: &'a Resources<'a>,
) -> Blocker<'a> {
    // Under the stack resource policy a section blocks through its
    // ceiling even when no other task locks the resource (a jittered job
    // due earlier than the holder's may not start); with one user and no
    // jitter b(t) is zero.
    let srp_sections = system.scheduler.locking == Locking::Ceiling
        && group
            .tasks
            .iter()
            .any(|id| !system.tasks[id.0].sections.is_empty());
    match (system.scheduler.preemptive, shared || srp_sections) {
        (false, _) => Blocker::NonPreemptive,
        (true, true) => Blocker::Resources(resources),
        (true, false) => Blocker::None,
    }
}

/// The CPU line of the demand test.
fn demand_line(
    prefix: &str,
    u_text: &str,
    result: &Result<Demand, super::Undecided>,
    method: &str,
) -> String {
    match result {
        Ok(Demand::Overload) => format!("{prefix}{u_text}: overloaded"),
        Ok(Demand::Feasible { steps: 0, horizon }) => format!(
            "{prefix}{u_text}; no deadline lies below the bound L = {horizon} on the interval to check, so U <= 1 decides (Zhang & Burns 2009)"
        ),
        Ok(Demand::Feasible { horizon, steps }) => format!(
            "{prefix}{u_text}; demand h(t) <= t at every deadline below L = {horizon} ({method}: {steps} step{})",
            if *steps == 1 { "" } else { "s" }
        ),
        Ok(Demand::Miss { at, demand, .. }) => {
            format!("{prefix}{u_text}; demand h({at}) = {demand} > {at} ({method})")
        }
        Err(e) => format!("{prefix}{u_text}; {}", e.describe()),
    }
}

impl Cpu<'_> {
    /// The demand test that fits the blocking, with its name.
    fn demand_test(
        &self,
        blocker: Blocker<'_>,
    ) -> (Result<Demand, super::Undecided>, &'static str) {
        let tasks = &self.tasks;
        let settles = tasks
            .iter()
            .map(|t| t.deadline)
            .max()
            .unwrap_or(Duration::ZERO);
        match blocker {
            Blocker::NonPreemptive => {
                let max_b = tasks
                    .iter()
                    .map(|t| t.wcet.saturating_sub(Duration::from_nanos(1)))
                    .max()
                    .unwrap_or(Duration::ZERO);
                (
                    demand_test_with_blocking(
                        tasks,
                        |t| non_preemptive_blocking(tasks, t),
                        max_b,
                        settles,
                    ),
                    "non-preemptive (George, Rivierre & Spuri 1996), every deadline",
                )
            }
            Blocker::Resources(res) => (
                demand_test_with_blocking(
                    tasks,
                    |t| res.blocking(t, None).time,
                    res.max_blocking(),
                    settles,
                ),
                if res.inherit {
                    "with deadline-inheritance blocking, every deadline"
                } else {
                    "with stack-resource-policy blocking (Baker 1991), every deadline"
                },
            ),
            Blocker::None => (qpa(tasks), "QPA"),
        }
    }

    /// A CPU without a verdict (remote blocking, plain mutexes, possible
    /// deadlock), unless it is overloaded. `blocker` gives the local
    /// blocking shown (not a bound).
    fn undecided(
        &self,
        why: &Undecided,
        blocker: Blocker<'_>,
        out: &mut [TaskVerdict],
    ) -> CpuOutcome {
        per_task::undecided(
            self.system,
            self.group,
            &self.tasks,
            blocker,
            why.show_blocking,
            &why.note,
            out,
        );
        let mut outcome = CpuOutcome {
            verdict: None,
            refutes: false,
            approximations: self.conditions.all().cloned().collect(),
            line: format!("{}undecided: {}", self.prefix, why.line),
        };
        if utilization::compare(&self.tasks, 1) == Ordering::Greater {
            outcome.verdict = Some(false);
            outcome.line = format!("{}{}: overloaded ({})", self.prefix, self.u_text, why.line);
            self.prove(&Ok(Demand::Overload), &mut outcome, out);
        }
        outcome
    }

    /// After a rejection: whether it is a proof, and the witnesses.
    fn prove(
        &self,
        result: &Result<Demand, super::Undecided>,
        outcome: &mut CpuOutcome,
        out: &mut [TaskVerdict],
    ) {
        let overload = matches!(result, Ok(Demand::Overload));
        if overload && self.conditions.overload_proves {
            outcome.refutes = true;
            if self.system.scheduler.on_miss == OnMiss::Continue {
                let text = witness::describe_overload(&self.u_text);
                for id in &self.group.tasks {
                    out[id.0].schedulable = Some(false);
                    out[id.0].witness = Some(text.clone());
                }
            } else {
                outcome
                    .line
                    .push_str(" (proven: with U > 1 some job misses before any is aborted)");
            }
        }
        if !self.conditions.pattern.is_empty() {
            return;
        }
        // The synchronous release is the configured one. A window whose
        // independent demand exceeds it is a proof whatever the
        // scheduler; the first such deadline is missed, by a known job
        // under preemptive EDF without blocking.
        let exact = self.conditions.exact();
        let known = match result {
            Ok(Demand::Miss { at, demand, .. }) if exact => Some((*at, *demand)),
            _ if exact => None,
            _ => match qpa(&self.tasks) {
                Ok(Demand::Miss { at, demand, .. }) => Some((at, demand)),
                _ => None,
            },
        };
        let first = if known.is_some() || overload {
            witness::first_miss(&self.tasks, known.map(|(at, _)| at.as_nanos()))
        } else {
            None
        };
        match (first, known) {
            (Some((t, demand)), _) => {
                outcome.refutes = true;
                self.attribute(t, demand, outcome, out);
            }
            (None, Some((at, demand))) => {
                outcome.refutes = true;
                outcome.line.push_str(&format!(
                    " (proven: with the synchronous release at {}, the jobs due by {} need {demand} of CPU time, \
                     so one of them misses)",
                    self.at(0),
                    self.at(at.as_nanos())
                ));
            }
            (None, None) => {}
        }
    }

    /// The instant `t` after the synchronous release.
    fn at(&self, t: u64) -> Duration {
        let offset = self
            .group
            .tasks
            .first()
            .map_or(Duration::ZERO, |id| self.system.tasks[id.0].offset);
        Duration::from_nanos(offset.as_nanos().saturating_add(t))
    }

    /// A proven first miss at `t` after the synchronous release: on the
    /// task that misses under preemptive EDF, else in the CPU line.
    fn attribute(&self, t: u64, demand: u128, outcome: &mut CpuOutcome, out: &mut [TaskVerdict]) {
        let due = witness::due_at(&self.tasks, t);
        let (start, at) = (self.at(0), self.at(t));
        let h = Duration::from_nanos(u64::try_from(demand).unwrap_or(u64::MAX));
        match due.last() {
            Some(&(n, k)) if self.conditions.exact() => {
                let name = |m: usize| self.system.tasks[self.group.tasks[m].0].name.as_str();
                let others: Vec<&str> = due[..due.len() - 1].iter().map(|&(m, _)| name(m)).collect();
                let v = &mut out[self.group.tasks[n].0];
                v.schedulable = Some(false);
                v.witness = Some(witness::describe_first_miss(start, t, demand, &self.tasks[n], k, &others));
                outcome.line.push_str(&format!(
                    " (proven: with the synchronous release at {start}, `{}` misses its deadline at {at})",
                    name(n)
                ));
            }
            _ => outcome.line.push_str(&format!(
                " (proven: with the synchronous release at {start}, the jobs due by {at} need {h} of CPU time, \
                 so one of them misses whatever the order)"
            )),
        }
    }
}
