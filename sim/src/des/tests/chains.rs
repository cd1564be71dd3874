//! Pipelines in the simulator, job by job: triggered releases at the
//! trigger's completion, register reads at a job's start, and the chains'
//! end-to-end latency and data age (computed by hand below).

use super::*;

/// One CPU, explicit priorities: `intr` (1 ms every 5 ms, most urgent)
/// interferes with the chain camera (1 ms every 12 ms) -> detect (2 ms)
/// -> act (1 ms), each stage triggered by the one before.
const EVENT_CHAIN: &str = "[scheduler]\npriorities = \"explicit\"\n\
    [[task]]\nname = \"intr\"\nperiod = \"5ms\"\nwcet = \"1ms\"\npriority = 4\n\
    [[task]]\nname = \"camera\"\nperiod = \"12ms\"\nwcet = \"1ms\"\npriority = 3\n\
    [[task]]\nname = \"detect\"\nwcet = \"2ms\"\npriority = 2\ntrigger = \"camera\"\n\
    [[task]]\nname = \"act\"\nwcet = \"1ms\"\npriority = 1\ntrigger = \"detect\"\n\
    [[chain]]\nname = \"see-act\"\ntasks = [\"camera\", \"detect\", \"act\"]\ndeadline = \"5ms\"\n";

/// By hand, over the hyperperiod lcm(5, 12) = 60 ms (times in ms):
///
/// | camera | intr                                | camera | detect       | act   | latency |
/// |--------|-------------------------------------|--------|--------------|-------|---------|
/// | 0      | 0-1                                 | 1-2    | 2-4          | 4-5   | 5       |
/// | 12     | 10-11, 15-16 (before act's start)   | 12-13  | 13-15        | 16-17 | 5       |
/// | 24     | 25-26 (at camera's completion)      | 24-25  | 26-28        | 28-29 | 5       |
/// | 36     | 35-36                               | 36-37  | 37-39        | 39-40 | 4       |
/// | 48     | 50-51 (preempts detect)             | 48-49  | 49-50, 51-52 | 52-53 | 5       |
#[test]
fn a_three_stage_event_chain_under_interference_job_by_job() {
    let system = set(EVENT_CHAIN);
    let (outcome, sink) = run(&system, 60);
    let camera = finishes(&system, &sink, "camera");
    let act = finishes(&system, &sink, "act");
    assert_eq!(
        act,
        ms(&[(0, 5), (1, 17), (2, 29), (3, 40), (4, 53)]),
        "act's completions (job, ms)"
    );
    assert_eq!(camera[..2], ms(&[(0, 2), (1, 13)]));
    let releases = |task: usize| -> Vec<u64> {
        sink.events
            .iter()
            .filter(|e| e.task == system.tasks[task].id && e.kind == EventKind::Release)
            .map(|e| e.time_ns)
            .collect()
    };
    assert_eq!(releases(1), [0, 12, 24, 36, 48].map(|t| t * MS));
    // Each triggered job is released at its trigger's completion.
    let camera_ends: Vec<u64> = camera.iter().map(|&(_, t)| t).collect();
    assert_eq!(releases(2), camera_ends);

    let c = &outcome.chains[0];
    assert_eq!((c.name.as_str(), c.jobs, c.unfinished), ("see-act", 5, 0));
    assert_eq!(c.tasks, ["camera", "detect", "act"]);
    let e2e = &c.end_to_end;
    assert_eq!(e2e.count, 5);
    assert_eq!((e2e.min_ns, e2e.max_ns), (Some(4 * MS), Some(5 * MS)));
    assert_eq!(e2e.sum_ns, 24 * u128::from(MS));
    assert!(c.data_age.is_none(), "an event chain has no data age");
    // A latency equal to the deadline is no miss.
    assert_eq!((c.deadline_ns, c.deadline_misses), (Some(5 * MS), 0));
    // The first of the 5 ms instances, stage by stage.
    let w = c.worst.as_ref().expect("a worst instance");
    assert_eq!((w.stimulus_ns, w.end_ns, w.latency_ns), (0, 5 * MS, 5 * MS));
    let shares: Vec<(&str, u64, u64)> = w
        .stages
        .iter()
        .map(|s| (s.task.as_str(), s.wait_ns / MS, s.run_ns / MS))
        .collect();
    assert_eq!(shares, [("camera", 1, 1), ("detect", 0, 2), ("act", 0, 1)]);
    // camera's 2 ms (1 waiting for intr, 1 running) ties detect's: the
    // first stage is named.
    assert_eq!(w.dominant().map(|s| s.task.as_str()), Some("camera"));
}

#[test]
fn a_chain_deadline_shorter_than_the_latency_counts_misses_and_unfinished_stimuli() {
    let system = set(&EVENT_CHAIN.replace("deadline = \"5ms\"", "deadline = \"4.5ms\""));
    // 61 ms: the sixth stimulus (at 60 ms) has no reaction by the end.
    let (outcome, _) = run(&system, 61);
    let c = &outcome.chains[0];
    assert_eq!((c.jobs, c.unfinished, c.deadline_misses), (6, 1, 4));
    // By 66 ms it reacted (intr 60-61, camera 61-62, detect 62-64, act
    // 64-65 but intr at 65: 66): 6 ms, a fifth miss.
    let (outcome, _) = run(&system, 66);
    let c = &outcome.chains[0];
    assert_eq!((c.unfinished, c.deadline_misses), (0, 5));
}

/// `sensor` (2 ms every 10 ms, more urgent) writes a register `ctl`
/// (1 ms every 4 ms) reads at each job's start.
const REGISTER_CHAIN: &str = "[scheduler]\npriorities = \"explicit\"\n\
    [[task]]\nname = \"sensor\"\nperiod = \"10ms\"\nwcet = \"2ms\"\npriority = 2\n\
    [[task]]\nname = \"ctl\"\nperiod = \"4ms\"\nwcet = \"1ms\"\npriority = 1\nreads = [\"sensor\"]\n\
    [[chain]]\nname = \"sense-control\"\ntasks = [\"sensor\", \"ctl\"]\n";

/// By hand (ms): `ctl`'s jobs released at 0, 4, 8, 12, 16 start at 2, 4,
/// 8, 12, 16 and read the sensor job released at 0, 0, 0, 10, 10 (the
/// one at 0 completes at 2, the instant `ctl` starts: completions come
/// first). They complete at 3, 5, 9, 13, 17: data ages 3, 5, 9, 3, 7,
/// the same every 20 ms. Each sensor release reacts at the first `ctl`
/// completion that used it: 3 ms later.
#[test]
fn a_register_chains_data_age_and_reaction_job_by_job() {
    let system = set(REGISTER_CHAIN);
    let (outcome, sink) = run(&system, 40);
    let ctl = finishes(&system, &sink, "ctl");
    let ends: Vec<u64> = ctl.iter().map(|&(_, t)| t / MS).collect();
    assert_eq!(ends, [3, 5, 9, 13, 17, 23, 25, 29, 33, 37]);
    let c = &outcome.chains[0];
    let age = c
        .data_age
        .as_ref()
        .expect("a register chain has a data age");
    assert_eq!(age.count, 10);
    assert_eq!((age.min_ns, age.max_ns), (Some(3 * MS), Some(9 * MS)));
    assert_eq!(age.sum_ns, 2 * (3 + 5 + 9 + 3 + 7) * u128::from(MS));
    assert_eq!(c.jobs, 4);
    let e2e = &c.end_to_end;
    assert_eq!(
        (e2e.count, e2e.min_ns, e2e.max_ns),
        (4, Some(3 * MS), Some(3 * MS))
    );
}

#[test]
fn merging_two_seeds_adds_the_chains_up() {
    let text = EVENT_CHAIN.replace(
        "wcet = \"2ms\"\npriority = 2",
        "wcet = \"2ms\"\nexecution = { model = \"uniform\", min = \"1ms\" }\npriority = 2",
    );
    let system = set(&text);
    let go = |seed| {
        let options = Options {
            horizon: Duration::from_millis(120).unwrap(),
            seed,
        };
        simulate(&system, &options, None).unwrap()
    };
    let (a, b) = (go(1), go(2));
    let mut merged = a.clone();
    merged.merge(&b).unwrap();
    let (ca, cb, cm) = (&a.chains[0], &b.chains[0], &merged.chains[0]);
    assert_eq!(cm.jobs, ca.jobs + cb.jobs);
    assert_eq!(
        cm.end_to_end.count,
        ca.end_to_end.count + cb.end_to_end.count
    );
    assert_eq!(
        cm.end_to_end.sum_ns,
        ca.end_to_end.sum_ns + cb.end_to_end.sum_ns
    );
    assert_eq!(
        cm.end_to_end.max_ns,
        ca.end_to_end.max_ns.max(cb.end_to_end.max_ns)
    );
    let worst = |c: &rtlab_tasks::outcome::ChainOutcome| c.worst.as_ref().map(|w| w.latency_ns);
    assert_eq!(worst(cm), worst(ca).max(worst(cb)));
}
