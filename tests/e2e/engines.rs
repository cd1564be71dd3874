//! Both engines keep their books through one ledger: the simulator and a
//! live run of the same config, with constant execution times, count the
//! same jobs, miss the same jobs (when the machine lets the live run meet
//! its timing) and write results of the same shape.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::live::{MS, serial, task};
use crate::util::Sandbox;

/// On CPU 1: `a` (30 ms, 6 ms, more urgent) and `b` (20 ms, 5 ms, deadline
/// 8 ms). Every third job of `b` (k = 0, 3, ..., 21) is released with one of
/// `a` and completes at 11 ms, 3 ms late: on one CPU, with `a` first, it
/// cannot be faster. The others complete at 5 ms, 3 ms early. 480 ms: 16
/// jobs of `a`, 24 of `b`, 8 misses (all kept with their causes).
const PAIR: &str = r#"
name = "engines-pair"
duration = "480ms"
[platform]
cpus = [1]
[scheduler]
policy = "fixed-priority"
priorities = "explicit"
[live]
os_policy = "fifo"
[[task]]
name = "a"
period = "30ms"
wcet = "6ms"
priority = 20
[[task]]
name = "b"
period = "20ms"
wcet = "5ms"
deadline = "8ms"
priority = 10
"#;

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn missed_jobs(t: &Value) -> BTreeSet<u64> {
    t["misses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["job"].as_u64().unwrap())
        .collect()
}

/// CPU time others (the hypervisor, other processes) took from CPU 1
/// during the live run, in ns.
fn taken_from_cpu1(live: &Value) -> u64 {
    let d = &live["environment"]["details"];
    d["steal_ns"]["1"].as_u64().unwrap_or(0) + d["foreign_ns"]["1"].as_u64().unwrap_or(0)
}

#[test]
fn simulation_and_live_run_count_and_miss_the_same_jobs_in_the_same_shape() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write("pair.toml", PAIR);
    sb.rtlab([
        "simulate".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "sim".as_ref(),
    ])
    .expect_code(0);
    sb.rtlab([
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "live".as_ref(),
    ])
    .expect_code(0);
    let read = |dir: &str| -> Value {
        serde_json::from_slice(&std::fs::read(sb.path().join(dir).join("result.json")).unwrap())
            .unwrap()
    };
    let (sim, live) = (read("sim"), read("live"));

    // The same shape: top level, tasks, misses, CPUs.
    assert_eq!(keys(&sim), keys(&live));
    for name in ["a", "b"] {
        assert_eq!(keys(task(&sim, name)), keys(task(&live, name)), "{name}");
    }
    let (sm, lm) = (
        &task(&sim, "b")["misses"][0],
        &task(&live, "b")["misses"][0],
    );
    assert_eq!(keys(sm), keys(lm));
    // Where a CPU's time went is measured live only (docs/live.md).
    let live_only: BTreeSet<String> = [
        "tasks_ns",
        "load_ns",
        "foreign_ns",
        "irq_ns",
        "steal_ns",
        "idle_ns",
        "source",
    ]
    .map(String::from)
    .into();
    let live_cpu: BTreeSet<String> = keys(&live["cpus"][0])
        .difference(&live_only)
        .cloned()
        .collect();
    assert_eq!(keys(&sim["cpus"][0]), live_cpu);
    assert!(keys(&live["cpus"][0]).is_superset(&live_only));

    // The same job counts, from the same arrivals.
    for (name, jobs) in [("a", 16), ("b", 24)] {
        assert_eq!(task(&sim, name)["jobs"], jobs, "{name}");
        assert_eq!(task(&live, name)["jobs"], jobs, "{name}");
    }
    let expected: BTreeSet<u64> = (0..24).filter(|k| k % 3 == 0).collect();
    let b_sim = task(&sim, "b");
    assert_eq!(b_sim["deadline_misses"], 8);
    assert_eq!(missed_jobs(b_sim), expected);
    assert_eq!(task(&sim, "a")["deadline_misses"], 0);
    // Simulated, every miss is 11 ms = 5 ms own + 6 ms `a` ran.
    assert_eq!(sm["executed_ns"], 5 * MS);
    assert_eq!(sm["waited_for"][0]["task"], "a");
    assert_eq!(sm["waited_for"][0]["ns"], 6 * MS);

    // Live: the colliding jobs cannot meet their deadline (11 ms of CPU
    // time on one CPU before they complete). The others have 3 ms of
    // slack: they miss only if something else took that much from CPU 1.
    let b_live = task(&live, "b");
    let live_missed = missed_jobs(b_live);
    let missed = b_live["deadline_misses"].as_u64().unwrap();
    assert!(
        missed >= 8,
        "the colliding jobs cannot all meet: {b_live:#}"
    );
    let extra = missed - 8;
    if extra == 0 {
        assert_eq!(live_missed, expected, "{b_live:#}");
    } else {
        let taken = taken_from_cpu1(&live);
        assert!(
            taken >= 3 * MS,
            "live missed {extra} more jobs of `b` than simulated ({live_missed:?}) \
             while others took only {taken} ns of CPU 1"
        );
        eprintln!(
            "note: the live run did not meet its timing ({taken} ns taken from CPU 1): \
             {extra} more misses, job indices not compared"
        );
    }
    for m in b_live["misses"].as_array().unwrap() {
        let own = m["executed_ns"].as_u64().unwrap();
        assert!(own >= 5 * MS - MS / 10, "own execution {own} ns: {m:#}");
    }
}
