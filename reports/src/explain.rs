//! Deadline misses in words: which job, by how much, and why. The terminal
//! summaries and the HTML report say it the same way.
//!
//! The why is the miss's partition of the job's time (`Miss` in
//! `rtlab-tasks`): own execution, who ran while it waited and of what
//! kind, what it was blocked on, queueing, the time before it was ready,
//! and (live) what could not be attributed. The parts are written as a sum
//! that adds up to the job's response (its time to the abort or to the
//! end of the run, if it never completed), and a priority inversion is
//! named as such, with what would bound it.

use rtlab_tasks::outcome::{Delay, DelayKind, Engine, Miss, MissKind};

use crate::format;

/// How many delays are named; the rest are summed as "other delays".
const NAMED_DELAYS: usize = 5;

/// A miss told in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// `job 300 (released 600 ms, deadline 602 ms) finished at 613.8 ms,
    /// 11.8 ms late`.
    pub what: String,
    /// The parts of the job's time, each with its duration: own execution
    /// first, then the delays largest first, then queueing, the time
    /// before it was ready and unexplained time.
    pub causes: Vec<String>,
    /// The sum: `22.6 ms response = 1.00 ms own execution + ...`.
    pub total: String,
    /// What would help, when the miss shows a priority inversion.
    pub advice: Option<String>,
}

/// Explains one miss recorded by `engine` (the time before the job ran
/// means a different thing in each).
pub fn miss(m: &Miss, engine: Engine) -> Explanation {
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
    let causes = parts(m, engine);
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

/// The parts of a miss, in words, each with its duration.
fn parts(m: &Miss, engine: Engine) -> Vec<String> {
    let d = format::duration;
    let mut out = Vec::new();
    if m.executed_ns > 0 {
        out.push(format!("{} own execution", d(m.executed_ns)));
    }
    let mut delays: Vec<(&Delay, bool)> = m
        .blocked_on
        .iter()
        .map(|x| (x, true))
        .chain(m.waited_for.iter().map(|x| (x, false)))
        .collect();
    delays.sort_by_key(|d| std::cmp::Reverse(d.0.ns));
    for (x, blocked) in delays.iter().take(NAMED_DELAYS) {
        out.push(if *blocked {
            blocked_part(x)
        } else {
            waited_part(x)
        });
    }
    let rest: u64 = delays.iter().skip(NAMED_DELAYS).map(|(x, _)| x.ns).sum();
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
            Engine::Live => format!(
                "{} from its release until its thread ran",
                d(m.release_jitter_ns)
            ),
        });
    }
    if m.unexplained_ns > 0 {
        out.push(format!(
            "{} not attributed (runnable but not running)",
            d(m.unexplained_ns)
        ));
    }
    out
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
        let e = miss(&pathfinder(), Engine::Simulation);
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
        let e = miss(&m, Engine::Simulation);
        assert_eq!(e.causes.len(), 1 + NAMED_DELAYS + 1);
        assert_eq!(e.causes.last().unwrap(), "3.00 ms other delays");
        assert!(e.advice.is_none());
    }
}
