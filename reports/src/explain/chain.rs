//! Chains in words: which chain missed its end-to-end deadline, by how
//! much, and which stage its worst instance spent its time in; and the
//! runs of a comparison ranked by their chains' end-to-end latency.

use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::outcome::{ChainInstance, ChainOutcome};

use crate::format;

/// The stage that dominates `worst` with its share of the latency:
/// `detect: 33.6 ms of 41.4 ms`.
pub fn dominant_share(worst: &ChainInstance) -> Option<String> {
    let d = worst.dominant()?;
    Some(format!(
        "{}: {} of {}",
        d.task,
        format::duration(d.wait_ns + d.run_ns),
        format::duration(worst.latency_ns)
    ))
}

/// What the dominant stage of `worst` did with its share: `detect waited
/// 20.0 ms for the CPU and ran 13.6 ms (33.6 ms of 41.4 ms)`.
fn dominant_words(worst: &ChainInstance) -> Option<String> {
    let d = worst.dominant()?;
    let mut parts = Vec::new();
    if d.wait_ns > 0 {
        parts.push(format!("waited {}", format::duration(d.wait_ns)));
    }
    if d.run_ns > 0 || d.wait_ns == 0 {
        parts.push(format!("ran {}", format::duration(d.run_ns)));
    }
    Some(format!(
        "{} {} ({} of {})",
        d.task,
        parts.join(" and "),
        format::duration(d.wait_ns + d.run_ns),
        format::duration(worst.latency_ns)
    ))
}

/// The verdict line of a chain that missed its end-to-end deadline:
/// `chain frame-to-brake missed 95 of 301 deadlines, worst 41.4 ms >
/// 35.0 ms: detect waited 20.0 ms and ran 13.6 ms (33.6 ms of 41.4 ms)`;
/// `None` when it met every one (or has no deadline).
pub fn missed(c: &ChainOutcome) -> Option<String> {
    let deadline = c.deadline_ns?;
    if c.deadline_misses == 0 {
        return None;
    }
    let mut line = format!(
        "chain {} missed {} of {} deadlines",
        c.name, c.deadline_misses, c.jobs
    );
    if let Some(w) = &c.worst {
        line.push_str(&format!(
            ", worst {} > {}",
            format::duration(w.latency_ns),
            format::duration(deadline)
        ));
        if let Some(words) = dominant_words(w) {
            line.push_str(&format!(": {words}"));
        }
    }
    if c.unfinished > 0 {
        line.push_str(&format!(
            "; {} without a reaction by the end of the run",
            c.unfinished
        ));
    }
    Some(line)
}

/// A chain whose worst end-to-end latency went above the analysis bound:
/// `worst 41.4 ms, bound 36.0 ms (holistic), exceeded by 5.40 ms`.
pub fn exceeded(c: &ChainOutcome) -> Option<String> {
    let a = c.analysis.as_ref()?;
    let (bound, over) = (a.bound_ns?, a.exceeded_ns?);
    Some(format!(
        "worst {}, bound {} ({}), exceeded by {}",
        format::duration(c.end_to_end.max_ns.unwrap_or(bound + over)),
        format::duration(bound),
        a.method,
        format::duration(over)
    ))
}

/// One run's place in a ranking of one chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranked {
    /// The run's index among those ranked.
    pub run: usize,
    /// Its worst end-to-end latency, in ns (`None`: no reaction recorded).
    pub max_ns: Option<u64>,
    /// Its 99th percentile, in ns.
    pub p99_ns: Option<u64>,
    /// Its end-to-end deadline misses.
    pub misses: u64,
}

/// Per chain (by name, in order of first appearance), the runs that have
/// it from the fastest to the slowest: by worst end-to-end latency, then
/// 99th percentile, then misses; a run with no reaction last; equal runs
/// keep their order. Empty when no run has a chain.
pub fn ranking(outcomes: &[&Outcome]) -> Vec<(String, Vec<Ranked>)> {
    let mut names: Vec<&str> = Vec::new();
    for o in outcomes {
        for c in &o.chains {
            if !names.contains(&c.name.as_str()) {
                names.push(&c.name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mut ranked: Vec<Ranked> = outcomes
                .iter()
                .enumerate()
                .filter_map(|(run, o)| {
                    let c = o.chains.iter().find(|c| c.name == name)?;
                    Some(Ranked {
                        run,
                        max_ns: c.end_to_end.max_ns,
                        p99_ns: c.end_to_end.p99_ns,
                        misses: c.deadline_misses,
                    })
                })
                .collect();
            ranked.sort_by_key(|r| (r.max_ns.is_none(), r.max_ns, r.p99_ns, r.misses));
            (name.to_string(), ranked)
        })
        .collect()
}

/// The ranking as lines of text, one per chain: `chain frame-to-brake,
/// fastest first (worst / p99 end to end): 1. detect-on-cpu1 19.2 ms /
/// 18.9 ms; 2. base 41.4 ms / 41.3 ms, 95 misses`. `labels` name the runs
/// in `outcomes` order.
pub fn ranking_lines(outcomes: &[&Outcome], labels: &[String]) -> Vec<String> {
    ranking(outcomes)
        .into_iter()
        .filter(|(_, r)| r.len() > 1)
        .map(|(name, ranked)| {
            let places: Vec<String> = ranked
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let label = labels.get(r.run).map_or("?", String::as_str);
                    let times = match (r.max_ns, r.p99_ns) {
                        (Some(max), Some(p99)) => {
                            format!("{} / {}", format::duration(max), format::duration(p99))
                        }
                        _ => "no reaction".to_string(),
                    };
                    let misses = match r.misses {
                        0 => String::new(),
                        1 => ", 1 miss".to_string(),
                        n => format!(", {n} misses"),
                    };
                    format!("{}. {label} {times}{misses}", i + 1)
                })
                .collect();
            format!(
                "chain {name}, fastest first (worst / p99 end to end): {}",
                places.join("; ")
            )
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rtlab_tasks::outcome::metrics::Recorder;
    use rtlab_tasks::outcome::{ChainPrediction, StageShare};
    use rtlab_tasks::outcome::{Engine, Environment, RESULT_SCHEMA};

    /// A stage of a worst instance: `(task, release, start, end, wait)`.
    fn stage(task: &str, release_ns: u64, start_ns: u64, end_ns: u64, wait_ns: u64) -> StageShare {
        StageShare {
            task: task.into(),
            job: 117,
            release_ns,
            start_ns,
            end_ns,
            wait_ns,
            run_ns: end_ns - start_ns,
        }
    }

    /// `frame-to-brake` as the pipeline's simulation has it: 300
    /// reactions from `min_ms` to `max_ms`, deadline 35 ms, the worst
    /// 41.4 ms with detect waiting 20 ms behind the logger.
    pub(crate) fn frame_to_brake(max_ms: u64, misses: u64) -> ChainOutcome {
        let ms = 1_000_000;
        let mut r = Recorder::new();
        for i in 0..300 {
            r.record(14 * ms + (i * 7_919 * 1_000) % ((max_ms - 14) * ms));
        }
        r.record(max_ms * ms);
        let t0 = 3_900 * ms;
        let latency = max_ms * ms;
        ChainOutcome {
            name: "frame-to-brake".into(),
            tasks: ["camera", "detect", "plan", "actuate"]
                .map(String::from)
                .to_vec(),
            jobs: 301,
            end_to_end: r.summary(),
            data_age: None,
            deadline_ns: Some(35 * ms),
            deadline_misses: misses,
            unfinished: 0,
            worst: Some(ChainInstance {
                stimulus_ns: t0,
                end_ns: t0 + latency,
                latency_ns: latency,
                stages: vec![
                    stage("camera", t0, t0, t0 + 2 * ms, 0),
                    stage(
                        "detect",
                        t0 + 2 * ms,
                        t0 + 22 * ms,
                        t0 + latency - 6 * ms,
                        20 * ms,
                    ),
                    stage(
                        "plan",
                        t0 + latency - 6 * ms,
                        t0 + latency - 6 * ms,
                        t0 + latency - ms,
                        0,
                    ),
                    stage(
                        "actuate",
                        t0 + latency - ms,
                        t0 + latency - ms,
                        t0 + latency,
                        0,
                    ),
                ],
            }),
            analysis: Some(ChainPrediction {
                bound_ns: Some(36 * ms),
                data_age_bound_ns: None,
                method: "holistic".into(),
                exceeded_ns: (latency > 36 * ms).then(|| latency - 36 * ms),
            }),
        }
    }

    /// A simulated run of `pipeline` with `chains` and no tasks.
    pub(crate) fn outcome(chains: Vec<ChainOutcome>) -> Outcome {
        Outcome {
            schema: RESULT_SCHEMA.into(),
            engine: Engine::Simulation,
            config: serde_json::json!({ "name": "pipeline" }),
            variant: None,
            seed: 1,
            environment: Environment::default(),
            started_at: None,
            duration_ns: 10_000_000_000,
            interrupted: false,
            tasks: Vec::new(),
            cpus: Vec::new(),
            resources: Vec::new(),
            trace: None,
            deadlock: None,
            chains,
        }
    }

    #[test]
    fn a_missed_chain_names_its_dominant_stage_with_its_wait_and_share() {
        let c = frame_to_brake(41, 95);
        assert_eq!(
            missed(&c).unwrap(),
            "chain frame-to-brake missed 95 of 301 deadlines, worst 41.0 ms > 35.0 ms: \
             detect waited 20.0 ms and ran 13.0 ms (33.0 ms of 41.0 ms)"
        );
        assert_eq!(
            dominant_share(c.worst.as_ref().unwrap()).unwrap(),
            "detect: 33.0 ms of 41.0 ms"
        );
        assert_eq!(
            exceeded(&c).unwrap(),
            "worst 41.0 ms, bound 36.0 ms (holistic), exceeded by 5.00 ms"
        );
        // A chain that met its deadline has no verdict line.
        assert_eq!(missed(&frame_to_brake(30, 0)), None);
        assert_eq!(exceeded(&frame_to_brake(30, 0)), None);
    }

    #[test]
    fn runs_rank_by_worst_then_p99_end_to_end_latency() {
        let slow = outcome(vec![frame_to_brake(41, 95)]);
        let fast = outcome(vec![frame_to_brake(30, 0)]);
        let none = outcome(Vec::new());
        let ranked = ranking(&[&slow, &none, &fast]);
        assert_eq!(ranked.len(), 1);
        let order: Vec<usize> = ranked[0].1.iter().map(|r| r.run).collect();
        assert_eq!(order, [2, 0]);
        let labels = ["base".to_string(), "none".into(), "detect-on-cpu1".into()];
        let lines = ranking_lines(&[&slow, &none, &fast], &labels);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with(
                "chain frame-to-brake, fastest first (worst / p99 end to end): \
                 1. detect-on-cpu1 30.0 ms / "
            ),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("; 2. base 41.0 ms / "), "{}", lines[0]);
        assert!(lines[0].ends_with(", 95 misses"), "{}", lines[0]);
    }
}
