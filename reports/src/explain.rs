//! Deadline misses in words: which job, by how much, and why. The terminal
//! summaries and the HTML report say it the same way.
//!
//! The why is the miss's partition of the job's time (`Miss` in
//! `rtlab-tasks`): own execution, who ran while it waited and of what
//! kind, what it was blocked on, (live) what else took the CPU from it
//! (other processes, interrupt handlers, `[[load]]` threads, the
//! hypervisor), queueing, the time before it was ready (live: its
//! wake-up), and (live) what could not be accounted for. The parts are
//! written as a sum that adds up to the job's response (its time to the
//! abort or to the end of the run, if it never completed), and a priority
//! inversion is named as such, with what would bound it.
//!
//! ```
//! use rtlab_reports::explain;
//! use rtlab_tasks::outcome::{Engine, Interference, InterferenceKind, Miss, MissKind};
//!
//! let m = Miss {
//!     job: 412, release_ns: 2_060_000_000, deadline_ns: 2_062_000_000,
//!     finish_ns: Some(2_063_518_000), lateness_ns: 1_518_000, kind: MissKind::Late,
//!     release_jitter_ns: 18_000, waited_for: vec![], blocked_on: vec![],
//!     queued_ns: 0, executed_ns: 500_000, unexplained_ns: 0,
//!     interference: vec![Interference {
//!         source: "intruder (pid 4242, SCHED_FIFO 95)".into(),
//!         kind: InterferenceKind::Thread,
//!         ns: 3_000_000,
//!     }],
//! };
//! let e = explain::miss(&m, Engine::Live, Some(1));
//! assert_eq!(
//!     e.total,
//!     "3.52 ms response = 500 µs own execution + 3.00 ms while `intruder` \
//!      (pid 4242, SCHED_FIFO 95) ran on CPU 1 + 18.0 µs wake-up"
//! );
//! assert_eq!(
//!     explain::foreign_cause(&m, Some(1)).as_deref(),
//!     Some("3.00 ms taken by `intruder` (pid 4242, SCHED_FIFO 95) on CPU 1")
//! );
//! ```

use rtlab_tasks::model::CpuId;
use rtlab_tasks::outcome::{Delay, DelayKind, Engine, Interference, Miss, MissKind, TaskOutcome};

use crate::format;

pub mod chain;
mod foreign;
mod verdict;

pub use foreign::foreign_cause;
use foreign::foreign_part;
pub use verdict::{Tally, tally, worst_tardiness_ns};

/// How many delays (other tasks, resources, foreign work) are named; the
/// rest are summed as "other delays".
const NAMED_DELAYS: usize = 5;

/// A miss told in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// `job 300 (released 600 ms, deadline 602 ms) finished at 613.8 ms,
    /// 11.8 ms late`.
    pub what: String,
    /// The parts of the job's time, each with its duration: own execution
    /// first, then the delays largest first (other tasks, resources and,
    /// live, foreign work alike), then queueing, the time before it was
    /// ready (live: its wake-up) and unaccounted time.
    pub causes: Vec<String>,
    /// The sum: `22.6 ms response = 1.00 ms own execution + ...`.
    pub total: String,
    /// What would help, when the miss shows a priority inversion.
    pub advice: Option<String>,
}

/// Explains one miss recorded by `engine` (the time before the job ran
/// means a different thing in each) of a task on `cpu` (`None`: global
/// placement; foreign work is then not placed on a CPU).
pub fn miss(m: &Miss, engine: Engine, cpu: Option<CpuId>) -> Explanation {
    let ending = match m.kind {
        MissKind::Late => format!(
            "finished at {}, {} late",
            m.finish_ns.map_or_else(|| "-".to_string(), format::instant),
            format::duration(m.lateness_ns)
        ),
        MissKind::Aborted => "was aborted at its deadline".to_string(),
        MissKind::Incomplete => format!(
            "was unfinished at the end, {} past its deadline",
            format::duration(m.lateness_ns)
        ),
    };
    let causes = parts(m, engine, cpu);
    let span = match m.kind {
        MissKind::Late => "response",
        MissKind::Aborted => "until the abort",
        MissKind::Incomplete => "until the end of the run",
    };
    let total = format!(
        "{} {span} = {}",
        format::duration(m.explained_ns()),
        if causes.is_empty() {
            "nothing recorded".to_string()
        } else {
            causes.join(" + ")
        }
    );
    Explanation {
        what: format!(
            "job {} (released {}, deadline {}) {ending}",
            m.job,
            format::instant(m.release_ns),
            format::instant(m.deadline_ns)
        ),
        causes,
        total,
        advice: advice(m),
    }
}

/// One delay of a miss: by another task, on a resource, or by foreign
/// work.
enum Cause<'a> {
    Blocked(&'a Delay),
    Waited(&'a Delay),
    Foreign(&'a Interference),
}

impl Cause<'_> {
    fn ns(&self) -> u64 {
        match self {
            Cause::Blocked(x) | Cause::Waited(x) => x.ns,
            Cause::Foreign(x) => x.ns,
        }
    }

    fn words(&self, cpu: Option<CpuId>) -> String {
        match self {
            Cause::Blocked(x) => blocked_part(x),
            Cause::Waited(x) => waited_part(x),
            Cause::Foreign(x) => foreign_part(x, cpu),
        }
    }
}

/// The parts of a miss, in words, each with its duration.
fn parts(m: &Miss, engine: Engine, cpu: Option<CpuId>) -> Vec<String> {
    let d = format::duration;
    let mut out = Vec::new();
    if m.executed_ns > 0 {
        out.push(format!("{} own execution", d(m.executed_ns)));
    }
    let mut delays: Vec<Cause<'_>> = m
        .blocked_on
        .iter()
        .map(Cause::Blocked)
        .chain(m.waited_for.iter().map(Cause::Waited))
        .chain(m.interference.iter().map(Cause::Foreign))
        .collect();
    // Stable: equal delays keep the order above.
    delays.sort_by_key(|c| std::cmp::Reverse(c.ns()));
    for c in delays.iter().take(NAMED_DELAYS) {
        out.push(c.words(cpu));
    }
    let rest: u64 = delays.iter().skip(NAMED_DELAYS).map(Cause::ns).sum();
    if rest > 0 {
        out.push(format!("{} other delays", d(rest)));
    }
    if m.queued_ns > 0 {
        out.push(format!(
            "{} queued behind its own previous job",
            d(m.queued_ns)
        ));
    }
    if m.release_jitter_ns > 0 {
        out.push(match engine {
            Engine::Simulation => format!("{} release jitter", d(m.release_jitter_ns)),
            Engine::Live => format!("{} wake-up", d(m.release_jitter_ns)),
        });
    }
    if m.unexplained_ns > 0 {
        out.push(format!(
            "{} unaccounted (runnable but not running)",
            d(m.unexplained_ns)
        ));
    }
    out
}

/// `worst 6.40 ms > bound 4.00 ms (+2.40 ms)`, when the measured worst
/// response of `t` exceeded its analysis bound (`analysis.exceeded_ns`).
pub fn exceeded(t: &TaskOutcome) -> Option<String> {
    let over = t.analysis.exceeded_ns.filter(|&x| x > 0)?;
    let bound = t.analysis.wcrt_ns?;
    Some(format!(
        "worst {} > bound {} (+{})",
        format::duration(bound.saturating_add(over)),
        format::duration(bound),
        format::duration(over)
    ))
}

fn blocked_part(x: &Delay) -> String {
    let ns = format::duration(x.ns);
    let res = x.resource.as_deref().unwrap_or("?");
    match (x.kind, x.ran.as_deref()) {
        (DelayKind::PriorityInversion, Some(ran)) => format!(
            "{ns} `{ran}` ran during priority inversion on `{res}` (held by `{}`)",
            x.task
        ),
        (DelayKind::Interference, Some(ran)) => format!(
            "{ns} `{ran}` (more urgent) ran while `{}` held `{res}`",
            x.task
        ),
        _ => format!("{ns} `{}` held `{res}`", x.task),
    }
}

fn waited_part(x: &Delay) -> String {
    let ns = format::duration(x.ns);
    match x.kind {
        DelayKind::PriorityInversion => format!(
            "{ns} `{}` (less urgent) ran ahead of it: priority inversion",
            x.task
        ),
        _ => format!("{ns} `{}` ran", x.task),
    }
}

/// What would bound a priority inversion the miss shows.
fn advice(m: &Miss) -> Option<String> {
    let blocked = m
        .blocked_on
        .iter()
        .find(|x| x.kind == DelayKind::PriorityInversion);
    if let Some(x) = blocked {
        return Some(format!(
            "priority inversion: `{}` ran while `{}` held `{}`, which this job waited for; \
             a locking protocol (scheduler.locking = \"inherit\" or \"ceiling\") keeps less urgent \
             tasks from running while a more urgent one waits",
            x.ran.as_deref().unwrap_or("?"),
            x.task,
            x.resource.as_deref().unwrap_or("?")
        ));
    }
    let waited = m
        .waited_for
        .iter()
        .find(|x| x.kind == DelayKind::PriorityInversion)?;
    Some(format!(
        "priority inversion: `{}`, less urgent, ran while this job was ready (inside a \
         critical section raised by its ceiling or inheritance, or not preemptible); \
         shorter critical or non-preemptive sections shorten it",
        waited.task
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::outcome::InterferenceKind;

    /// The Pathfinder's miss: bc_dist blocked on `bus`, held by `meteo`,
    /// while `comms` ran.
    fn pathfinder() -> Miss {
        Miss {
            job: 0,
            release_ns: 0,
            deadline_ns: 10_000_000,
            finish_ns: Some(22_600_000),
            lateness_ns: 12_600_000,
            kind: MissKind::Late,
            release_jitter_ns: 0,
            waited_for: Vec::new(),
            blocked_on: vec![
                Delay {
                    task: "meteo".into(),
                    resource: Some("bus".into()),
                    ran: Some("comms".into()),
                    kind: DelayKind::PriorityInversion,
                    ns: 20_000_000,
                },
                Delay {
                    task: "meteo".into(),
                    resource: Some("bus".into()),
                    ran: Some("meteo".into()),
                    kind: DelayKind::Blocking,
                    ns: 1_600_000,
                },
            ],
            queued_ns: 0,
            executed_ns: 1_000_000,
            interference: Vec::new(),
            unexplained_ns: 0,
        }
    }

    #[test]
    fn the_parts_add_up_and_priority_inversion_is_named_with_its_fix() {
        let e = miss(&pathfinder(), Engine::Simulation, Some(0));
        assert_eq!(
            e.what,
            "job 0 (released 0 ns, deadline 10 ms) finished at 22.6 ms, 12.6 ms late"
        );
        assert_eq!(
            e.total,
            "22.6 ms response = 1.00 ms own execution + 20.0 ms `comms` ran during priority \
             inversion on `bus` (held by `meteo`) + 1.60 ms `meteo` held `bus`"
        );
        let advice = e.advice.expect("advice");
        assert!(advice.starts_with("priority inversion: `comms` ran while `meteo` held `bus`"));
        assert!(advice.contains("scheduler.locking = \"inherit\""));
    }

    #[test]
    fn delays_beyond_the_named_ones_are_summed() {
        let mut m = pathfinder();
        m.blocked_on.clear();
        m.waited_for = (0..7)
            .map(|i| Delay {
                task: format!("t{i}"),
                resource: None,
                ran: None,
                kind: DelayKind::Interference,
                ns: 1_000_000 * (7 - i),
            })
            .collect();
        let e = miss(&m, Engine::Simulation, Some(0));
        assert_eq!(e.causes.len(), 1 + NAMED_DELAYS + 1);
        assert_eq!(e.causes.last().unwrap(), "3.00 ms other delays");
        assert!(e.advice.is_none());
    }

    fn foreign(source: &str, kind: InterferenceKind, ns: u64) -> Interference {
        Interference {
            source: source.into(),
            kind,
            ns,
        }
    }

    /// The issue's example: `ctl` (0.5 ms of work, 2 ms deadline) behind
    /// a SCHED_FIFO 95 intruder that burst 3 ms on its CPU.
    fn intruded() -> Miss {
        Miss {
            job: 412,
            release_ns: 2_060_000_000,
            deadline_ns: 2_062_000_000,
            finish_ns: Some(2_063_518_000),
            lateness_ns: 1_518_000,
            kind: MissKind::Late,
            release_jitter_ns: 18_000,
            waited_for: Vec::new(),
            blocked_on: Vec::new(),
            queued_ns: 0,
            executed_ns: 500_000,
            interference: vec![foreign(
                "intruder (pid 4242, SCHED_FIFO 95)",
                InterferenceKind::Thread,
                3_000_000,
            )],
            unexplained_ns: 0,
        }
    }

    #[test]
    fn a_foreign_thread_is_named_with_its_pid_policy_and_cpu() {
        let e = miss(&intruded(), Engine::Live, Some(1));
        assert_eq!(
            e.what,
            "job 412 (released 2.06 s, deadline 2.062 s) finished at 2.063518 s, 1.52 ms late"
        );
        assert_eq!(
            e.causes,
            [
                "500 µs own execution",
                "3.00 ms while `intruder` (pid 4242, SCHED_FIFO 95) ran on CPU 1",
                "18.0 µs wake-up",
            ]
        );
        assert!(e.total.starts_with("3.52 ms response = "), "{}", e.total);
        assert!(e.advice.is_none());
    }

    #[test]
    fn foreign_parts_of_every_kind_are_worded_and_sorted_with_the_delays() {
        let mut m = intruded();
        m.interference.extend([
            foreign("irq 11 virtio0", InterferenceKind::Irq, 1_200_000),
            foreign("softirq TIMER", InterferenceKind::Softirq, 40_000),
            foreign("load 0", InterferenceKind::Load, 2_000_000),
            foreign("hypervisor", InterferenceKind::Steal, 700_000),
            foreign("t2", InterferenceKind::Task, 300_000),
        ]);
        m.waited_for.push(Delay {
            task: "hi".into(),
            resource: None,
            ran: None,
            kind: DelayKind::Interference,
            ns: 1_000_000,
        });
        m.lateness_ns += 5_240_000;
        m.finish_ns = m.finish_ns.map(|f| f + 5_240_000);
        let e = miss(&m, Engine::Live, Some(1));
        // Own execution, then the five largest delays of any kind, the
        // rest summed, then the wake-up.
        assert_eq!(
            e.causes,
            [
                "500 µs own execution",
                "3.00 ms while `intruder` (pid 4242, SCHED_FIFO 95) ran on CPU 1",
                "2.00 ms while load thread `load 0` ran on CPU 1",
                "1.20 ms in interrupt handler irq 11 virtio0",
                "1.00 ms `hi` ran",
                "700 µs taken by the hypervisor (steal)",
                "340 µs other delays",
                "18.0 µs wake-up",
            ]
        );
        assert_eq!(format::duration(m.explained_ns()), "8.76 ms");
        assert_eq!(
            e.total,
            format!("8.76 ms response = {}", e.causes.join(" + "))
        );
    }

    #[test]
    fn unaccounted_time_closes_the_sum() {
        let mut m = intruded();
        m.unexplained_ns = 250_000;
        let e = miss(&m, Engine::Live, Some(1));
        assert_eq!(
            e.total,
            "3.77 ms response = 500 µs own execution + 3.00 ms while `intruder` \
             (pid 4242, SCHED_FIFO 95) ran on CPU 1 + 18.0 µs wake-up + 250 µs unaccounted \
             (runnable but not running)"
        );
    }

    #[test]
    fn release_jitter_is_a_wake_up_live_and_keeps_its_name_simulated() {
        let mut m = pathfinder();
        m.release_jitter_ns = 100_000;
        let sim = miss(&m, Engine::Simulation, Some(0));
        assert!(sim.causes.contains(&"100 µs release jitter".to_string()));
        let live = miss(&m, Engine::Live, Some(0));
        assert!(live.causes.contains(&"100 µs wake-up".to_string()));
    }

    #[test]
    fn a_worst_response_above_the_bound_reads_with_its_excess() {
        use rtlab_tasks::model::SystemBuilder;
        use rtlab_tasks::outcome::{TaskPrediction, TaskStats};
        use rtlab_tasks::time::Duration;
        let ms = |v| Duration::from_millis(v).expect("small");
        let system = SystemBuilder::new("x").task("ctl", ms(10), ms(1)).build();
        let mut stats = TaskStats {
            jobs: 1,
            ..TaskStats::default()
        };
        stats.complete(6_400_000, -3_600_000);
        let prediction = TaskPrediction {
            wcrt_ns: Some(4_000_000),
            exceeded_ns: Some(2_400_000),
            ..TaskPrediction::default()
        };
        let mut t = stats.into_outcome(&system.tasks[0], prediction);
        assert_eq!(
            exceeded(&t).as_deref(),
            Some("worst 6.40 ms > bound 4.00 ms (+2.40 ms)")
        );
        t.analysis.exceeded_ns = None;
        assert_eq!(exceeded(&t), None);
        // An excess without a bound (not written by rtlab) is not shown.
        t.analysis = TaskPrediction {
            exceeded_ns: Some(1),
            ..TaskPrediction::default()
        };
        assert_eq!(exceeded(&t), None);
    }
}
