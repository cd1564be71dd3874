//! Holistic response-time analysis of triggered tasks under fixed
//! priorities (K. Tindell and J. Clark, "Holistic schedulability analysis
//! for distributed hard real-time systems", Microprocessing and
//! Microprogramming 40, 1994), partitioned on any number of CPUs.
//!
//! A triggered task `i` has no clock: its `k`-th job is released when the
//! `k`-th job of its trigger completes, which itself derives from the
//! `k`-th release `n_k` of the task at the head of the trigger links (the
//! *source*, whose releases are at least its period `T` apart and whose
//! nominal release `n_k` is where every response of the pipeline is
//! measured from). That completion lies in `[n_k, n_k + R_src(trigger)]`,
//! `R_src` the trigger's worst response from the source's release. So `i`
//! is a task of period `T`, nominal releases `n_k` and release jitter
//! `J_i = R_src(trigger)`: the model the response-time analysis of
//! [`super::rta`] takes, with `⌈(w + J_i) / T⌉` jobs of `i` in any window
//! `w` and `R_i` measured from `n_k`, i.e. `R_src(i) = R_i`.
//!
//! The jitters depend on responses that depend on jitters (across CPUs
//! too), so the analysis iterates: every `J_i` starts at 0, each round
//! computes every task's response with the current jitters and sets
//! `J_i = R_src(trigger(i))`, until no jitter changes. The responses are
//! non-decreasing in the jitters (ceilings, busy periods and job counts
//! only grow), and the rounds take the maximum with the previous jitter,
//! so the jitters only grow. **Why the end point is sound:** stop at
//! jitters `J` with `J_i >= R_src(trigger(i))` computed with `J` for every
//! `i`. Suppose some schedule has a triggered job activated later than
//! `n_k + J_i`; take the first such activation. It is the completion of a
//! trigger job whose response from `n_k` then exceeds `R_src(trigger)`.
//! Every activation before that completion respected `J`, and the bound
//! of the trigger only counts activations before its completion, so the
//! bound holds for that job: a contradiction.
//!
//! The iteration stops without a fixed point when a jitter passes
//! [`JITTER_CAP_PERIODS`] periods of its task, when a trigger has no bound
//! (overload, overflow, remote blocking, a possible deadlock) or after
//! [`ROUND_CAP`] rounds: the jitter is then unbounded and analysed as
//! `u64::MAX` ns, which leaves the triggered task and every task it can
//! delay without a bound (the analysis says why), never with a wrong one.
//!
//! **Per-task bounds from a triggered job's own release.** The simulator
//! measures a triggered job's response from its activation, as it does for
//! any job from its release, and its deadline runs from there. `R_i` (from
//! `n_k`) is always a bound from the activation (which is at or after
//! `n_k`). When the busy period of `i` holds a single job of `i` (the
//! analysis examined one job), `R_i - J_i` is one: every job then completes
//! before the next one is activated (`n_{k-1} + R_i <= n_k`), so each job
//! is activated with no job of its own pending, and the response of such a
//! job from its activation is at most the first job's `w` (the classic
//! critical-instant argument from the activation: `R_i = J_i + w`).
//! Otherwise rtlab keeps `R_i`.
//!
//! Only fixed-priority partitioned placement is analysed this way. Under
//! EDF a triggered job's deadline runs from its activation, which the
//! jitter model of the EDF bounds (deadlines from the nominal release) does
//! not cover; FIFO, round-robin and global placement have no jitter-aware
//! bound here. There every task sharing a scheduler with a triggered task
//! is left undecided (`void_unsupported`).

use crate::analysis::{Group, Run, TaskVerdict, TestKind, blocking, rta};
use crate::model::{Placement, Priority, System};
use crate::time::Duration;

/// The most rounds of the holistic iteration. A set that needs more is
/// left without bounds for its triggered tasks (unknown, never unsound).
pub const ROUND_CAP: u32 = 1000;

/// A triggered task's activation jitter above this many of its periods is
/// taken as unbounded: the iteration is then diverging, or the bound
/// would be of no use (a job activated a thousand periods late).
pub const JITTER_CAP_PERIODS: u64 = 1000;

/// The result of the holistic iteration, per task in task order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holistic {
    /// Release jitter of each task as analysed: for a triggered task, its
    /// activation jitter (the trigger's worst response from the source's
    /// release, nanoseconds), `None` when unbounded; for any other task,
    /// its own `release_jitter`.
    pub jitter: Vec<Option<Duration>>,
    /// Worst response of each task from its source's nominal release
    /// (its own nominal release for a task that is not triggered), in
    /// nanoseconds; `None` without a bound.
    pub from_source: Vec<Option<Duration>>,
    /// Rounds taken.
    pub rounds: u32,
    /// True when a fixed point was reached within [`ROUND_CAP`] rounds.
    pub converged: bool,
}

impl Holistic {
    /// Runs the iteration on a partitioned fixed-priority `system` (any
    /// other system is analysed as if it were one: call it only for those).
    pub fn compute(system: &System) -> Holistic {
        let groups = crate::analysis::groups(system);
        let stuck = match system.possible_deadlock() {
            Some(cycle) => super::verdict::stuck_tasks(system, &cycle),
            None => vec![false; system.tasks.len()],
        };
        let mut jitter: Vec<Option<Duration>> = system
            .tasks
            .iter()
            .map(|t| {
                Some(if t.trigger.is_some() {
                    Duration::ZERO
                } else {
                    t.release_jitter
                })
            })
            .collect();
        for round in 1..=ROUND_CAP {
            let from_source = responses(system, &groups, &stuck, &jitter);
            let next = next_jitters(system, &jitter, &from_source);
            if next == jitter {
                return Holistic {
                    jitter,
                    from_source,
                    rounds: round,
                    converged: true,
                };
            }
            jitter = next;
        }
        for t in system.tasks.iter().filter(|t| t.trigger.is_some()) {
            jitter[t.id.0] = None;
        }
        let from_source = responses(system, &groups, &stuck, &jitter);
        Holistic {
            jitter,
            from_source,
            rounds: ROUND_CAP,
            converged: false,
        }
    }

    /// `system` with each triggered task's activation jitter as its
    /// release jitter (`u64::MAX` ns when unbounded): the system the
    /// fixed-priority tests analyse.
    pub fn jittered(&self, system: &System) -> System {
        let mut out = system.clone();
        for t in out.tasks.iter_mut().filter(|t| t.trigger.is_some()) {
            t.release_jitter = self.jitter[t.id.0].unwrap_or(Duration::MAX);
        }
        out
    }

    /// Adds to each triggered task's note where its figures come from:
    /// its activation jitter and its response from the source's release.
    pub(crate) fn annotate(&self, system: &System, out: &mut [TaskVerdict]) {
        for t in system.tasks.iter() {
            let Some(trigger) = t.trigger else { continue };
            let source = system.trigger_source(t.id).unwrap_or(trigger);
            let (trig, src) = (&system.tasks[trigger.0].name, &system.tasks[source.0].name);
            let text = match (self.jitter[t.id.0], self.from_source[t.id.0]) {
                (Some(j), Some(r)) => format!(
                    "released by `{trig}`'s completions (holistic analysis, {} round{}): \
                     activation jitter {j} after `{src}`'s release, response {r} from it",
                    self.rounds,
                    if self.rounds == 1 { "" } else { "s" }
                ),
                (Some(j), None) => format!(
                    "released by `{trig}`'s completions: activation jitter {j} after `{src}`'s \
                     release, no response bound"
                ),
                (None, _) if !self.converged => format!(
                    "released by `{trig}`'s completions: the holistic iteration found no fixed \
                     point in {ROUND_CAP} rounds, activation jitter unbounded"
                ),
                (None, _) => format!(
                    "released by `{trig}`'s completions: activation jitter unbounded \
                     (`{trig}` has no response bound within {JITTER_CAP_PERIODS} periods)"
                ),
            };
            out[t.id.0].add_note(text);
        }
    }
}

/// Every task's worst response from its nominal release with `jitter`
/// (the triggered tasks' activation jitters): the per-CPU response-time
/// analysis as the `rta` test runs it. No bound for the tasks of a CPU
/// that shares a resource with another CPU (remote blocking is not
/// analysed) and for tasks that can wait on a possible deadlock.
fn responses(
    system: &System,
    groups: &[Group],
    stuck: &[bool],
    jitter: &[Option<Duration>],
) -> Vec<Option<Duration>> {
    let analysed = Holistic {
        jitter: jitter.to_vec(),
        from_source: Vec::new(),
        rounds: 0,
        converged: false,
    }
    .jittered(system);
    let priorities: Vec<Priority> = system.tasks.iter().map(|t| t.priority).collect();
    let mut out = vec![None; system.tasks.len()];
    for g in groups {
        if g.tasks
            .iter()
            .any(|&id| blocking::remote_share(system, id).is_some())
        {
            continue;
        }
        for &id in g.tasks.iter().filter(|id| !stuck[id.0]) {
            let found = rta::analyse_task(&analysed, &priorities, &g.tasks, id, |_, _| {});
            out[id.0] = found.response.ok().map(|r| r.wcrt);
        }
    }
    out
}

/// The next round's jitters: each triggered task's is its trigger's
/// response from the source (never below its current one; unbounded when
/// the trigger has no bound or the jitter passes the cap).
fn next_jitters(
    system: &System,
    jitter: &[Option<Duration>],
    from_source: &[Option<Duration>],
) -> Vec<Option<Duration>> {
    system
        .tasks
        .iter()
        .map(|t| {
            let Some(trigger) = t.trigger else {
                return jitter[t.id.0];
            };
            let cap = t.period.as_nanos().saturating_mul(JITTER_CAP_PERIODS);
            let old = jitter[t.id.0]?;
            let new = from_source[trigger.0]?;
            (new.as_nanos() <= cap).then_some(old.max(new))
        })
        .collect()
}

/// Under a policy or placement without the holistic analysis: every task
/// sharing a scheduler with a triggered task (its CPU, or every task under
/// global placement) loses its bound and verdict, and no test accepting
/// them stands; a proven miss stands only when a task not affected is
/// proven to miss.
pub(crate) fn void_unsupported(
    system: &System,
    groups: &[Group],
    runs: &mut [Run],
    out: &mut [TaskVerdict],
) {
    let Some(first) = system.tasks.iter().find(|t| t.trigger.is_some()) else {
        return;
    };
    let global = system.scheduler.placement == Placement::Global;
    let mut affected = vec![global; system.tasks.len()];
    for g in groups {
        if g.tasks
            .iter()
            .any(|id| system.tasks[id.0].trigger.is_some())
        {
            for id in &g.tasks {
                affected[id.0] = true;
            }
        }
    }
    let why = format!(
        "triggered tasks (`{}`...) are analysed only under fixed priorities, partitioned: \
         their releases follow their trigger's completions, which {} does not model",
        first.name,
        match (global, system.scheduler.policy) {
            (true, _) => "a global test",
            (false, crate::model::Policy::Edf) =>
                "the EDF bounds (deadlines dated from the nominal release)",
            (false, _) => "this policy's bound",
        }
    );
    for (v, hit) in out.iter_mut().zip(&affected) {
        if *hit {
            v.wcrt_ns = None;
            v.slack_ns = None;
            v.schedulable = None;
            v.witness = None;
            v.jobs_examined = None;
            v.add_note(format!("no bound: {why}"));
        }
    }
    // A proof carries its witness: a task whose bound merely exceeds its
    // deadline (`Some(false)` from a sufficient bound, e.g. non-preemptive
    // EDF) proves nothing (found by the soundness harness, seed 17).
    let proven_elsewhere = out
        .iter()
        .zip(&affected)
        .any(|(v, hit)| !hit && v.schedulable == Some(false) && v.witness.is_some());
    for run in runs.iter_mut().filter(|r| r.test.applies) {
        // A rejection stays (a sufficient test that does not accept), but
        // it proves a miss only through a task outside the affected ones.
        run.test.kind = TestKind::Sufficient;
        run.refutes &= proven_elsewhere;
        if run.test.schedulable == Some(true) {
            run.test.schedulable = None;
        }
        run.test.detail.push_str(&format!("; undecided: {why}"));
    }
}

#[cfg(test)]
mod tests;
