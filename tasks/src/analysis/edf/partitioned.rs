//! The `edf-demand` test of a partitioned (or uniprocessor) EDF system,
//! CPU by CPU: QPA for independent preemptive tasks, the demand test with
//! blocking for non-preemptive dispatching and for shared resources (stack
//! resource policy under `ceiling`, deadline inheritance under `inherit`),
//! and the per-task figures.

use std::cmp::Ordering;

use super::{Demand, demand_test_with_blocking, non_preemptive_blocking, qpa};
use crate::analysis::{
    Group, Run, TaskVerdict, TestKind, TestVerdict, cpu_prefix, fmt_ratio, has_offsets, timings,
    utilization,
};
use crate::model::{Locking, System, TaskId};
use crate::time::Duration;

/// The sections of a CPU's tasks on resources shared on that CPU.
struct Shared<'a> {
    system: &'a System,
    tasks: &'a [TaskId],
}

impl Shared<'_> {
    /// Resources that a task with a deadline window within `t` (D - J <= t)
    /// may wait for: those it locks, closed under nesting.
    fn wanted(&self, t: Duration) -> Vec<bool> {
        let mut want = vec![false; self.system.resources.len()];
        for id in self.tasks {
            let task = &self.system.tasks[id.0];
            if task.deadline.saturating_sub(task.release_jitter) <= t {
                for s in &task.sections {
                    want[s.resource.0] = true;
                }
            }
        }
        loop {
            let mut changed = false;
            for id in self.tasks {
                let sections = &self.system.tasks[id.0].sections;
                for (a, outer) in sections.iter().enumerate() {
                    for (b, inner) in sections.iter().enumerate() {
                        if a != b
                            && want[outer.resource.0]
                            && !want[inner.resource.0]
                            && outer.contains(inner)
                        {
                            want[inner.resource.0] = true;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                return want;
            }
        }
    }

    /// `b(t)` under the stack resource policy or deadline inheritance.
    fn blocking(&self, t: Duration, inherit: bool) -> Duration {
        let want = self.wanted(t);
        let holders = self
            .tasks
            .iter()
            .map(|id| &self.system.tasks[id.0])
            .filter(|task| task.deadline > t);
        let longest = |task: &crate::model::Task| {
            task.sections
                .iter()
                .filter(|s| want[s.resource.0])
                .map(|s| s.hold)
                .max()
        };
        if !inherit {
            return holders.filter_map(longest).max().unwrap_or(Duration::ZERO);
        }
        let per_task: u64 = holders
            .clone()
            .filter_map(longest)
            .map(Duration::as_nanos)
            .fold(0, u64::saturating_add);
        let per_resource: u64 = (0..want.len())
            .filter(|&r| want[r])
            .filter_map(|r| {
                holders
                    .clone()
                    .flat_map(|task| task.sections.iter())
                    .filter(|s| s.resource.0 == r)
                    .map(|s| s.hold.as_nanos())
                    .max()
            })
            .fold(0, u64::saturating_add);
        Duration::from_nanos(per_task.min(per_resource))
    }

    /// An upper bound of `b(t)` over all `t`.
    fn max_blocking(&self) -> Duration {
        let total = self
            .tasks
            .iter()
            .filter_map(|id| {
                self.system.tasks[id.0]
                    .sections
                    .iter()
                    .map(|s| s.hold)
                    .max()
            })
            .map(Duration::as_nanos)
            .fold(0, u64::saturating_add);
        Duration::from_nanos(total)
    }
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

/// The `edf-demand` test of a partitioned EDF system, CPU by CPU.
pub(crate) fn run(system: &System, groups: &[Group], out: &mut [TaskVerdict]) -> Run {
    let preemptive = system.scheduler.preemptive;
    let mut lines = Vec::new();
    let mut verdicts = Vec::new();
    let mut refutes = false;
    let mut exact = true;
    let mut notes = Vec::new();
    for group in groups {
        let prefix = cpu_prefix(groups, group);
        let tasks = timings(system, &group.tasks);
        let shared = shared_resource(system, group);
        let jitter = tasks.iter().any(|t| !t.jitter.is_zero());
        let offsets = has_offsets(system, &group.tasks);
        let settles = tasks
            .iter()
            .map(|t| t.deadline)
            .max()
            .unwrap_or(Duration::ZERO);
        let resources = Shared {
            system,
            tasks: &group.tasks,
        };
        let (result, method, group_exact) = match (preemptive, shared, system.scheduler.locking) {
            (false, _, _) => {
                let max_b = tasks
                    .iter()
                    .map(|t| t.wcet.saturating_sub(Duration::from_nanos(1)))
                    .max()
                    .unwrap_or(Duration::ZERO);
                (
                    demand_test_with_blocking(
                        &tasks,
                        |t| non_preemptive_blocking(&tasks, t),
                        max_b,
                        settles,
                    ),
                    "non-preemptive (George, Rivierre & Spuri 1996), every deadline",
                    !jitter,
                )
            }
            (true, Some((r, a, b)), Locking::None) => {
                verdicts.push(None);
                lines.push(format!(
                    "{prefix}undecided: `{}` and `{}` share `{}` with plain mutexes (locking = none): \
                     under EDF the wait of a blocked job is not bounded by this test",
                    system.tasks[a.0].name,
                    system.tasks[b.0].name,
                    system.resources[r].name
                ));
                exact = false;
                for id in &group.tasks {
                    out[id.0].add_note(
                        "no per-task bound under EDF (plain mutexes: blocking not bounded)",
                    );
                }
                continue;
            }
            (true, Some(_), locking) => {
                let inherit = locking == Locking::Inherit;
                (
                    demand_test_with_blocking(
                        &tasks,
                        |t| resources.blocking(t, inherit),
                        resources.max_blocking(),
                        settles,
                    ),
                    if inherit {
                        "with deadline-inheritance blocking, every deadline"
                    } else {
                        "with SRP blocking (Baker 1991), every deadline"
                    },
                    false,
                )
            }
            (true, None, _) => (qpa(&tasks), "QPA", true),
        };
        let group_exact = group_exact && !offsets;
        exact &= group_exact;
        let u = utilization::total(&tasks);
        let load = utilization::compare(&tasks, 1);
        let u_text = match load {
            Ordering::Equal => "U = 1 (exactly)".to_string(),
            Ordering::Less => format!("U = {} < 1", fmt_ratio(u).replace("1.000", "0.999+")),
            Ordering::Greater => format!("U = {} > 1", fmt_ratio(u)),
        };
        let (verdict, line) = match result {
            Ok(Demand::Overload) => {
                refutes = true;
                (Some(false), format!("{prefix}{u_text}: overloaded"))
            }
            Ok(Demand::Feasible { steps: 0, horizon }) => (
                Some(true),
                format!(
                    "{prefix}{u_text}; no deadline lies below the bound L = {horizon} on the interval to check, so U <= 1 decides (Zhang & Burns 2009)"
                ),
            ),
            Ok(Demand::Feasible { horizon, steps }) => (
                Some(true),
                format!(
                    "{prefix}{u_text}; demand h(t) <= t at every deadline below L = {horizon} ({method}: {steps} step{})",
                    if steps == 1 { "" } else { "s" }
                ),
            ),
            Ok(Demand::Miss { at, demand, .. }) => {
                refutes |= group_exact;
                (
                    Some(false),
                    format!("{prefix}{u_text}; demand h({at}) = {demand} > {at} ({method})"),
                )
            }
            Err(e) => (None, format!("{prefix}{u_text}; {}", e.describe())),
        };
        verdicts.push(verdict);
        lines.push(line);
        for (n, id) in group.tasks.iter().enumerate() {
            let v = &mut out[id.0];
            v.schedulable = verdict;
            let window = tasks[n].deadline.saturating_sub(tasks[n].jitter);
            v.blocking_ns = Some(match (preemptive, shared) {
                (false, _) => non_preemptive_blocking(&tasks, window).as_nanos(),
                (true, Some(_)) => resources
                    .blocking(window, system.scheduler.locking == Locking::Inherit)
                    .as_nanos(),
                (true, None) => 0,
            });
            v.add_note("no per-task bound under EDF: the demand test is set-level");
        }
        if offsets {
            notes.push("offsets are ignored (a synchronous release is assumed)");
        }
        if shared.is_some() && preemptive {
            notes.push("blocking bounds are upper bounds");
        }
        if !preemptive && jitter {
            notes.push("non-preemptive with release jitter");
        }
    }
    let schedulable = if verdicts.contains(&Some(false)) {
        Some(false)
    } else if verdicts.iter().all(|v| *v == Some(true)) {
        Some(true)
    } else {
        None
    };
    let mut detail = lines.join("; ");
    notes.sort_unstable();
    notes.dedup();
    if !notes.is_empty() {
        detail.push_str(&format!("; sufficient here: {}", notes.join(", ")));
    }
    detail.push_str("; no per-task response-time bound under EDF");
    Run {
        test: TestVerdict {
            name: "edf-demand".to_string(),
            kind: if exact {
                TestKind::Exact
            } else {
                TestKind::Sufficient
            },
            applies: true,
            schedulable,
            detail,
        },
        refutes,
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::{TestKind, analyze};
    use crate::model::{Locking, Policy, SystemBuilder};
    use crate::time::Duration;

    fn ns(v: u64) -> Duration {
        Duration::from_nanos(v)
    }

    #[test]
    fn system_path() {
        // rm-vs-edf: (1,4), (2,6), (3,8) misses under RM (R3 = 10 > 8) but
        // U = 23/24 <= 1 is fine under EDF (course notes following Buttazzo).
        let build = |policy| {
            SystemBuilder::new("rm-vs-edf")
                .policy(policy)
                .task("a", ns(4), ns(1))
                .task("b", ns(6), ns(2))
                .task("c", ns(8), ns(3))
                .build()
        };
        let fp = analyze(&build(Policy::FixedPriority));
        assert_eq!(fp.schedulable, Some(false));
        assert_eq!(fp.tasks[2].wcrt_ns, Some(10));
        let edf = analyze(&build(Policy::Edf));
        assert_eq!(edf.schedulable, Some(true));
        assert_eq!(edf.tests[0].name, "edf-demand");
        assert_eq!(edf.tests[0].kind, TestKind::Exact);
        assert_eq!(edf.tasks[2].wcrt_ns, None);
        assert_eq!(edf.tasks[2].schedulable, Some(true));
        assert!(
            edf.tests[0]
                .detail
                .starts_with("U = 0.958 < 1; no deadline lies below the bound L = 0ns")
        );
    }

    #[test]
    fn srp_blocking_enters_the_demand() {
        // a (1, 4, 3) and b (4, 20, 20) share r; b holds it for 3. At t = 3:
        // h = 1, b(3) = 3 (D_b = 20 > 3 and a, with D_a = 3 <= 3, uses r):
        // 4 > 3, a miss.
        let system = SystemBuilder::new("srp")
            .policy(Policy::Edf)
            .locking(Locking::Ceiling)
            .task("a", ns(4), ns(1))
            .deadline(ns(3))
            .section("r", ns(0), ns(1))
            .task("b", ns(20), ns(4))
            .section("r", ns(0), ns(3))
            .build();
        let analysis = analyze(&system);
        assert_eq!(analysis.tests[0].schedulable, Some(false));
        assert_eq!(analysis.tests[0].kind, TestKind::Sufficient);
        assert_eq!(analysis.schedulable, None);
        assert_eq!(analysis.tasks[0].blocking_ns, Some(3));
        assert!(analysis.tests[0].detail.contains("h(3ns) = 4ns > 3ns"));
    }
}
