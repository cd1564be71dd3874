//! Deadline misses in words: which job, by how much, and why. The terminal
//! summaries and the HTML report say it the same way.

use rtlab_tasks::outcome::{Miss, MissKind};

use crate::format;

/// A miss told in two parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// `job 300 (released 600 ms, deadline 602 ms) finished at 613.8 ms,
    /// 11.8 ms late`.
    pub what: String,
    /// The largest delays first: blocking per resource and holder, time
    /// another task ran, queueing behind the task's own previous job.
    pub causes: Vec<String>,
}

/// Explains one miss (at most three causes of each kind).
pub fn miss(m: &Miss) -> Explanation {
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
    let mut causes: Vec<String> = Vec::new();
    for d in m.blocked_on.iter().take(3) {
        causes.push(format!(
            "blocked {} on `{}` held by `{}`",
            format::duration(d.ns),
            d.resource.as_deref().unwrap_or("?"),
            d.task
        ));
    }
    for d in m.waited_for.iter().take(3) {
        causes.push(format!("{} while `{}` ran", format::duration(d.ns), d.task));
    }
    if m.queued_ns > 0 {
        causes.push(format!(
            "queued {} behind its own previous job",
            format::duration(m.queued_ns)
        ));
    }
    Explanation {
        what: format!(
            "job {} (released {}, deadline {}) {ending}",
            m.job,
            format::instant(m.release_ns),
            format::instant(m.deadline_ns)
        ),
        causes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::outcome::Delay;

    #[test]
    fn says_what_and_why() {
        let m = Miss {
            job: 0,
            release_ns: 500_000,
            deadline_ns: 10_500_000,
            finish_ns: Some(23_100_000),
            lateness_ns: 12_600_000,
            kind: MissKind::Late,
            waited_for: vec![Delay {
                task: "comms".into(),
                resource: None,
                ns: 20_000_000,
            }],
            blocked_on: vec![Delay {
                task: "meteo".into(),
                resource: Some("bus".into()),
                ns: 21_600_000,
            }],
            queued_ns: 0,
        };
        let e = miss(&m);
        assert_eq!(
            e.what,
            "job 0 (released 500 µs, deadline 10.5 ms) finished at 23.1 ms, 12.6 ms late"
        );
        assert_eq!(
            e.causes,
            vec![
                "blocked 21.6 ms on `bus` held by `meteo`",
                "20.0 ms while `comms` ran"
            ]
        );
    }
}
