//! Schedulability analysis: which tests apply to a [`System`], their verdicts
//! and the per-task bounds, serialized as `rtlab.analysis/v1`.
//!
//! [`analyze`] runs the tests that fit the system's policy and placement:
//!
//! | policy, placement | tests (`name` in the output) |
//! |---|---|
//! | fixed priority, partitioned | `liu-layland`, `hyperbolic` ([`utilization`]), `rta` ([`rta`], with [`blocking`]) |
//! | EDF, partitioned | `edf-demand` ([`edf`], QPA or the processor-demand test with blocking) |
//! | FIFO, partitioned | `fifo-rta` ([`fifo`]) |
//! | round-robin, partitioned | `busy-window` ([`fifo`]) |
//! | fixed priority, global | `global-rta` ([`global`], Bertogna & Cirinei 2007) |
//! | EDF, global | `gfb` ([`global`], Goossens, Funk & Baruah 2003) |
//!
//! Partitioned placement is analysed CPU by CPU: tasks interfere only with
//! tasks on the same CPU, and the set verdict is the conjunction over CPUs.
//! A uniprocessor is a partitioned platform with one CPU.
//!
//! Triggered tasks (`trigger`) inherit release jitter from their trigger's
//! response: under partitioned fixed priorities the tests run on the
//! system with those jitters, found by the holistic iteration
//! ([`holistic`]); elsewhere the tasks sharing a scheduler with a
//! triggered task are left undecided. Chains get end-to-end and data-age
//! bounds from the per-task ones ([`chain`]).
//!
//! Verdicts are three-valued. A test's own `schedulable` is `true` when it
//! accepts the set, `false` when it does not and `null` when it could not
//! decide (iteration cap, time overflow). Each test says whether it is
//! `exact` (a rejection proves a deadline can be missed) or `sufficient`
//! (only an acceptance proves anything) *for this system*: response-time
//! analysis is exact for independent synchronous tasks, but only sufficient
//! once blocking bounds, offsets or equal priorities enter. The set-level
//! [`Analysis::schedulable`] is `true` when any applicable test accepts,
//! `false` when a rejection is a proof (an exact test, an overloaded CPU,
//! unbounded priority inversion), and `null` otherwise.
//!
//! All time arithmetic is in integer nanoseconds ([`Duration`]); `f64`
//! appears only in utilization figures for display.

use serde::Serialize;

use crate::model::{CpuId, Policy, Priority, System, Task, TaskId};
use crate::time::Duration;

pub mod blocking;
pub mod chain;
pub mod edf;
pub mod fifo;
pub mod global;
pub mod holistic;
pub mod priority;
pub mod ratio;
pub mod rta;
pub mod utilization;
mod verdict;

pub(crate) use verdict::{CpuOutcome, Run};
use verdict::{combine, explain, void_for_deadlock};

/// The timing parameters a schedulability test reads from one task.
///
/// Every field is a [`Duration`] in nanoseconds. The analyses assume
/// `0 < wcet`, `0 < period` and `wcet <= deadline`, as a validated
/// [`System`] guarantees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timing {
    /// Worst-case execution time `C`.
    pub wcet: Duration,
    /// Period, or minimum time between two nominal releases, `T`.
    pub period: Duration,
    /// Relative deadline `D`, counted from the nominal release.
    pub deadline: Duration,
    /// Release jitter `J`: a job becomes ready up to `J` after its nominal
    /// release. Response times are measured from the nominal release.
    pub jitter: Duration,
}

impl Timing {
    /// A task with execution time `wcet`, `period` and `deadline` (all in
    /// nanoseconds) and no release jitter.
    pub const fn new(wcet: Duration, period: Duration, deadline: Duration) -> Timing {
        Timing {
            wcet,
            period,
            deadline,
            jitter: Duration::ZERO,
        }
    }

    /// The same task with release jitter `jitter` (nanoseconds).
    pub const fn with_jitter(self, jitter: Duration) -> Timing {
        Timing { jitter, ..self }
    }

    /// The timing parameters of a model task (its `release_jitter` is `J`).
    pub fn of(task: &Task) -> Timing {
        Timing {
            wcet: task.wcet,
            period: task.period,
            deadline: task.deadline,
            jitter: task.release_jitter,
        }
    }

    /// `wcet / period`, for display (tests compare utilizations exactly,
    /// see [`ratio`]).
    pub fn utilization(&self) -> f64 {
        self.wcet.ratio(self.period)
    }
}

impl TestKind {
    /// `exact` or `sufficient`.
    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Exact => "exact",
            TestKind::Sufficient => "sufficient",
        }
    }
}

/// Whether a test's rejection proves anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestKind {
    /// Necessary and sufficient for this system: a rejection means some
    /// deadline can be missed.
    Exact,
    /// Sufficient only: an acceptance is a guarantee, a rejection is not a
    /// proof of a miss.
    Sufficient,
}

/// The result of analysing a system, serialized as `rtlab.analysis/v1`.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// Always `rtlab.analysis/v1`.
    pub schema: &'static str,
    /// The config's name.
    pub name: String,
    /// The scheduling policy analysed.
    pub policy: Policy,
    /// Total utilization `Σ wcet / period` over all tasks and CPUs (display
    /// figure; the tests compare exactly).
    pub utilization: f64,
    /// The set-level verdict: `true` if an applicable test accepts the set,
    /// `false` if a rejection is a proof (see the module docs), `None`
    /// (`null`) when no test decides.
    pub schedulable: Option<bool>,
    /// The verdict in a sentence: what proves it (`schedulable`, `NOT
    /// schedulable` with the witness) or why it is `unknown`.
    pub reason: String,
    /// The tasks not proven to meet their deadlines (empty when the set is
    /// proven schedulable), in task order.
    pub flagged: Vec<String>,
    /// Every test considered, including those that do not apply (with the
    /// reason in `detail`).
    pub tests: Vec<TestVerdict>,
    /// Per-task figures, in task (file) order.
    pub tasks: Vec<TaskVerdict>,
    /// End-to-end bounds of the config's chains, in file order (absent
    /// when there are none). See [`chain`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub chains: Vec<chain::ChainVerdict>,
}

/// One schedulability test's verdict (`tests[]` in `rtlab.analysis/v1`).
#[derive(Clone, Debug, Serialize)]
pub struct TestVerdict {
    /// Test name: `liu-layland`, `hyperbolic`, `rta`, `edf-demand`,
    /// `fifo-rta`, `busy-window`, `global-rta` or `gfb`.
    pub name: String,
    /// Exact or sufficient, for this system.
    pub kind: TestKind,
    /// Whether the test applies to this system (if not, `detail` says why).
    pub applies: bool,
    /// The test's own verdict: accepts (`true`), does not accept (`false`),
    /// undecided or not applicable (`None`).
    pub schedulable: Option<bool>,
    /// The figures behind the verdict, readable, e.g.
    /// `U = 0.823 > 0.780 (n = 3)` or `R(a) = 52ms > D = 50ms`.
    pub detail: String,
}

/// Per-task results (`tasks[]` in `rtlab.analysis/v1`).
#[derive(Clone, Debug, Serialize)]
pub struct TaskVerdict {
    /// Task name.
    pub name: String,
    /// The task's CPU (`None` under global placement).
    pub cpu: Option<CpuId>,
    /// The task's priority (higher = more urgent).
    pub priority: Priority,
    /// `wcet / period`.
    pub utilization: f64,
    /// Worst-case response time bound in nanoseconds, measured from the
    /// nominal release (so it includes release jitter); for a triggered
    /// task, from its own release (its trigger's completion, see
    /// [`holistic`]). `None` where no bound exists or none is computed
    /// (the note says which).
    pub wcrt_ns: Option<u64>,
    /// Blocking bound in nanoseconds (time a job can wait for less urgent
    /// work: critical sections, non-preemptive jobs); 0 where the test has
    /// no separate blocking term. `None` when unbounded, or when plain
    /// mutexes under EDF leave it unknown.
    pub blocking_ns: Option<u64>,
    /// Whether the task meets its deadline by the policy's main test;
    /// `None` when undecided.
    pub schedulable: Option<bool>,
    /// Period in nanoseconds.
    pub period_ns: u64,
    /// Relative deadline in nanoseconds.
    pub deadline_ns: u64,
    /// Worst-case execution time in nanoseconds.
    pub wcet_ns: u64,
    /// Release jitter in nanoseconds.
    pub jitter_ns: u64,
    /// `deadline - wcrt` in nanoseconds: negative by as much as the bound
    /// exceeds the deadline. `None` without a bound.
    pub slack_ns: Option<i64>,
    /// Jobs of the task examined in its busy period (arbitrary deadlines and
    /// jitter can make a later job the worst); `None` when not computed.
    pub jobs_examined: Option<u64>,
    /// What the blocking bound is made of, e.g. "`low` holds `bus` for
    /// 300us (immediate ceiling: at most one section)".
    pub blocking_detail: Option<String>,
    /// Anything else worth knowing about this task's figures (why there is
    /// no bound, which job is the worst...).
    pub note: Option<String>,
    /// When `schedulable` is `false` as a proof: the job and the release
    /// pattern that misses, reachable by the configured system (e.g. "job 1,
    /// released at 0 with every more urgent task, each job running its WCET,
    /// completes at 18ms > D = 5ms"). `None` otherwise.
    pub witness: Option<String>,
}

impl TaskVerdict {
    fn new(task: &Task) -> TaskVerdict {
        TaskVerdict {
            name: task.name.clone(),
            cpu: task.cpu,
            priority: task.priority,
            utilization: task.utilization(),
            wcrt_ns: None,
            blocking_ns: None,
            schedulable: None,
            period_ns: task.period.as_nanos(),
            deadline_ns: task.deadline.as_nanos(),
            wcet_ns: task.wcet.as_nanos(),
            jitter_ns: task.release_jitter.as_nanos(),
            slack_ns: None,
            jobs_examined: None,
            blocking_detail: None,
            note: None,
            witness: None,
        }
    }

    /// Records a response-time bound and the verdict `wcrt <= deadline`.
    fn set_wcrt(&mut self, wcrt: Duration) {
        let diff = i128::from(self.deadline_ns) - i128::from(wcrt.as_nanos());
        self.wcrt_ns = Some(wcrt.as_nanos());
        self.slack_ns =
            Some(i64::try_from(diff).unwrap_or(if diff < 0 { i64::MIN } else { i64::MAX }));
        self.schedulable = Some(wcrt.as_nanos() <= self.deadline_ns);
    }

    /// Appends a sentence to the note.
    fn add_note(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.note = Some(match self.note.take() {
            Some(old) => format!("{old}; {text}"),
            None => text,
        });
    }
}

/// Analyses `system` with every test that fits its policy and placement.
///
/// Never fails: whatever cannot be computed (an iteration cap, a time
/// overflow, a test that does not apply) becomes an undecided verdict with
/// a `detail` or `note` saying why. Triggered tasks are analysed with the
/// holistic analysis under partitioned fixed priorities ([`holistic`]) and
/// left undecided, with the tasks sharing their scheduler, elsewhere; the
/// chains get their end-to-end bounds last ([`chain`]).
pub fn analyze(system: &System) -> Analysis {
    use crate::model::Placement;

    let groups = groups(system);
    let mut tasks: Vec<TaskVerdict> = system.tasks.iter().map(TaskVerdict::new).collect();
    let policy = system.scheduler.policy;
    let triggered = system.tasks.iter().any(|t| t.trigger.is_some());
    let holistic = (triggered
        && system.scheduler.placement == Placement::Partitioned
        && policy == Policy::FixedPriority)
        .then(|| holistic::Holistic::compute(system));
    let jittered = holistic.as_ref().map(|h| h.jittered(system));
    let mut runs = run_tests(jittered.as_ref().unwrap_or(system), &groups, &mut tasks);
    match &holistic {
        Some(h) => h.annotate(system, &mut tasks),
        None if triggered => holistic::void_unsupported(system, &groups, &mut runs, &mut tasks),
        None => {}
    }
    let mut schedulable = combine(&runs);
    let deadlock = system.possible_deadlock().map(|cycle| {
        schedulable = None;
        void_for_deadlock(system, &cycle, &mut tasks);
        format!(
            "unknown: possible deadlock, lock order cycle {} (take nested locks in one global order)",
            system.describe_cycle(&cycle)
        )
    });
    let reason = deadlock.unwrap_or_else(|| explain(schedulable, &runs, &tasks));
    let flagged = if schedulable == Some(true) {
        Vec::new()
    } else {
        tasks
            .iter()
            .filter(|t| t.schedulable != Some(true))
            .map(|t| t.name.clone())
            .collect()
    };
    let chains = chain::verdicts(system, &tasks, holistic.as_ref());
    Analysis {
        schema: "rtlab.analysis/v1",
        name: system.name.clone(),
        policy,
        utilization: system.utilization(),
        schedulable,
        reason,
        flagged,
        tests: runs.into_iter().map(|r| r.test).collect(),
        tasks,
        chains,
    }
}

/// The tests that fit `system`'s policy and placement, run, filling in
/// the per-task figures.
fn run_tests(system: &System, groups: &[Group], tasks: &mut [TaskVerdict]) -> Vec<Run> {
    use crate::model::Placement;

    let policy = system.scheduler.policy;
    match (system.scheduler.placement, policy) {
        (Placement::Partitioned, Policy::FixedPriority) => {
            let (ll, hb) = utilization::bound_tests(system, groups);
            vec![ll, hb, rta::run(system, groups, tasks)]
        }
        (Placement::Partitioned, Policy::Edf) => vec![edf::run(system, groups, tasks)],
        (Placement::Partitioned, Policy::Fifo) => vec![fifo::run_fifo(system, groups, tasks)],
        (Placement::Partitioned, Policy::RoundRobin) => {
            vec![fifo::run_round_robin(system, groups, tasks)]
        }
        (Placement::Global, Policy::FixedPriority) => {
            let why = "global placement: a uniprocessor test does not apply (see global-rta)";
            vec![
                Run::not_applicable("liu-layland", TestKind::Sufficient, why),
                Run::not_applicable("hyperbolic", TestKind::Sufficient, why),
                Run::not_applicable("rta", TestKind::Exact, why),
                global::run_fixed_priority(system, tasks),
            ]
        }
        (Placement::Global, Policy::Edf) => vec![
            Run::not_applicable(
                "edf-demand",
                TestKind::Exact,
                "global placement: the uniprocessor demand test does not apply (see gfb)",
            ),
            global::run_edf(system, tasks),
        ],
        (Placement::Global, Policy::Fifo | Policy::RoundRobin) => vec![Run::not_applicable(
            "global",
            TestKind::Sufficient,
            &format!(
                "global {} scheduling: no schedulability test is implemented",
                policy.as_str()
            ),
        )],
    }
}

/// The tasks that share one scheduler: one CPU under partitioned placement,
/// all tasks under global placement.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    /// The CPU (`None` for tasks without one).
    pub(crate) cpu: Option<CpuId>,
    /// The tasks, in task order.
    pub(crate) tasks: Vec<TaskId>,
}

/// Tasks grouped by CPU: platform CPUs in platform order (those with tasks),
/// then any other CPU value in increasing order. Deterministic.
pub(crate) fn groups(system: &System) -> Vec<Group> {
    let mut keys: Vec<Option<CpuId>> = Vec::new();
    for &cpu in &system.platform.cpus {
        if system.tasks.iter().any(|t| t.cpu == Some(cpu)) && !keys.contains(&Some(cpu)) {
            keys.push(Some(cpu));
        }
    }
    let mut others: Vec<Option<CpuId>> = system
        .tasks
        .iter()
        .map(|t| t.cpu)
        .filter(|c| !keys.contains(c))
        .collect();
    others.sort_unstable();
    others.dedup();
    keys.extend(others);
    keys.into_iter()
        .map(|cpu| Group {
            cpu,
            tasks: system
                .tasks
                .iter()
                .filter(|t| t.cpu == cpu)
                .map(|t| t.id)
                .collect(),
        })
        .collect()
}

/// `"cpu 1: "` when there is more than one group, else nothing.
pub(crate) fn cpu_prefix(groups: &[Group], group: &Group) -> String {
    match (groups.len() > 1, group.cpu) {
        (true, Some(cpu)) => format!("cpu {cpu}: "),
        (true, None) => "unplaced tasks: ".to_string(),
        (false, _) => String::new(),
    }
}

/// A utilization-like figure for display: three decimals.
pub(crate) fn fmt_ratio(x: f64) -> String {
    format!("{x:.3}")
}

/// The timing of every task of a group, in the group's order.
pub(crate) fn timings(system: &System, ids: &[TaskId]) -> Vec<Timing> {
    ids.iter()
        .map(|id| Timing::of(&system.tasks[id.0]))
        .collect()
}

/// True when the tasks of a group do not all have the same offset: the
/// analyses assume the worst (synchronous) phasing, so they are only
/// sufficient for such a set.
pub(crate) fn has_offsets(system: &System, ids: &[TaskId]) -> bool {
    // A triggered task has no offset of its own (its releases follow its
    // trigger's completions).
    let mut offsets = ids
        .iter()
        .map(|id| &system.tasks[id.0])
        .filter(|t| t.trigger.is_none())
        .map(|t| t.offset);
    match offsets.next() {
        Some(first) => offsets.any(|o| o != first),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Locking, Placement, SystemBuilder};

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v).unwrap()
    }

    #[test]
    fn serializes_the_v1_schema() {
        // Burns & Wellings, task set D (RTA example): R = 3, 6, 20.
        let system = SystemBuilder::new("bw")
            .task("a", ms(7), ms(3))
            .task("b", ms(12), ms(3))
            .task("c", ms(20), ms(5))
            .build();
        let analysis = analyze(&system);
        assert_eq!(analysis.schedulable, Some(true));
        let json = serde_json::to_value(&analysis).unwrap();
        assert_eq!(json["schema"], "rtlab.analysis/v1");
        assert_eq!(json["name"], "bw");
        assert_eq!(json["policy"], "fixed-priority");
        assert_eq!(json["schedulable"], true);
        let names: Vec<&str> = json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["liu-layland", "hyperbolic", "rta"]);
        for test in json["tests"].as_array().unwrap() {
            for key in ["name", "kind", "applies", "schedulable", "detail"] {
                assert!(test.get(key).is_some(), "test lacks {key}: {test}");
            }
        }
        let c = &json["tasks"][2];
        assert_eq!(c["name"], "c");
        assert_eq!(c["cpu"], 0);
        assert_eq!(c["priority"], 1);
        assert_eq!(c["wcrt_ns"], 20_000_000);
        assert_eq!(c["blocking_ns"], 0);
        assert_eq!(c["schedulable"], true);
        assert_eq!(c["slack_ns"], 0);
        assert_eq!(json["tests"][2]["kind"], "exact");
    }

    #[test]
    fn a_miss_is_a_proof_only_for_an_exact_test() {
        // Burns & Wellings, task set A: R_a = 52ms > 50ms, exact -> false.
        let set_a = SystemBuilder::new("a")
            .task("a", ms(50), ms(12))
            .task("b", ms(40), ms(10))
            .task("c", ms(30), ms(10))
            .build();
        let analysis = analyze(&set_a);
        assert_eq!(analysis.schedulable, Some(false));
        assert_eq!(analysis.tasks[0].slack_ns, Some(-2_000_000));
        // Same set, but a resource shared with a lower task makes the bound
        // only sufficient: the miss is not proven.
        let blocked = SystemBuilder::new("a")
            .locking(Locking::Ceiling)
            .task("a", ms(50), ms(12))
            .section("r", ms(1), ms(1))
            .task("b", ms(40), ms(10))
            .task("c", ms(30), ms(10))
            .section("r", ms(0), ms(1))
            .build();
        let analysis = analyze(&blocked);
        assert_eq!(analysis.tests[2].kind, TestKind::Sufficient);
        assert_eq!(analysis.tests[2].schedulable, Some(false));
        assert_eq!(analysis.schedulable, None);
    }

    #[test]
    fn partitioned_cpus_are_independent() {
        // Each CPU alone is schedulable; together (U = 1.4) they would not be.
        let system = SystemBuilder::new("two")
            .cpus(&[1, 2])
            .task("a", ms(10), ms(7))
            .cpu(1)
            .task("b", ms(10), ms(7))
            .cpu(2)
            .build();
        let analysis = analyze(&system);
        assert_eq!(analysis.schedulable, Some(true));
        assert!(analysis.tests[2].detail.contains("cpu 1:"));
        assert_eq!(analysis.tasks[1].wcrt_ns, Some(7_000_000));
    }

    #[test]
    fn global_placement_labels_uniprocessor_tests_as_not_applicable() {
        let system = SystemBuilder::new("g")
            .cpus(&[0, 1])
            .placement(Placement::Global)
            .task("a", ms(10), ms(7))
            .task("b", ms(10), ms(7))
            .build();
        let analysis = analyze(&system);
        assert!(!analysis.tests[2].applies);
        let global = analysis
            .tests
            .iter()
            .find(|t| t.name == "global-rta")
            .unwrap();
        assert!(global.applies);
        assert_eq!(global.schedulable, Some(true));
        assert_eq!(analysis.schedulable, Some(true));
        assert_eq!(analysis.tasks[0].cpu, None);
    }

    #[test]
    fn groups_follow_platform_order() {
        let system = SystemBuilder::new("g")
            .cpus(&[3, 1])
            .task("a", ms(10), ms(1))
            .cpu(1)
            .task("b", ms(10), ms(1))
            .cpu(3)
            .build();
        let g = groups(&system);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].cpu, Some(3));
        assert_eq!(g[1].cpu, Some(1));
    }
}
