//! Golden schedules and the semantics of `des`, job by job.

use rtlab_tasks::config;
use rtlab_tasks::model::System;
use rtlab_tasks::outcome::trace::{Collect, EventKind};
use rtlab_tasks::outcome::{MissKind, Outcome};
use rtlab_tasks::time::Duration;

use super::{Options, simulate};

mod chains;
mod horizon;
mod partition;
mod sporadic;
mod unlock;

const MS: u64 = 1_000_000;

fn load(text: &str) -> System {
    config::load_str(text, "t.toml")
        .unwrap_or_else(|e| panic!("{e:?}"))
        .system
}

fn run(system: &System, horizon_ms: u64) -> (Outcome, Collect) {
    run_ns(system, horizon_ms * MS)
}

fn run_ns(system: &System, horizon_ns: u64) -> (Outcome, Collect) {
    let mut sink = Collect::default();
    let options = Options {
        horizon: Duration::from_nanos(horizon_ns),
        seed: 1,
    };
    let outcome = simulate(system, &options, Some(&mut sink)).unwrap();
    (outcome, sink)
}

/// Every execution stretch as (task name, job, cpu, from, to) in ms
/// (fractions kept in ns), in time order.
fn stretches(system: &System, sink: &Collect) -> Vec<(String, u64, u32, u64, u64)> {
    let mut open: Vec<Option<(u64, u32, u64)>> = vec![None; system.tasks.len()];
    let mut out = Vec::new();
    for e in &sink.events {
        let t = e.task.0;
        match e.kind {
            EventKind::Start | EventKind::Resume => {
                open[t] = Some((e.job, e.cpu.unwrap(), e.time_ns));
            }
            EventKind::Preempt
            | EventKind::Block { .. }
            | EventKind::Complete
            | EventKind::Abort
            | EventKind::Fault => {
                if let Some((job, cpu, from)) = open[t].take()
                    && e.time_ns > from
                {
                    out.push((system.tasks[t].name.clone(), job, cpu, from, e.time_ns));
                }
            }
            _ => {}
        }
    }
    out.sort_by_key(|s| (s.3, s.2));
    out
}

/// (job, finish) of every completed job of `task`, in ns.
fn finishes(system: &System, sink: &Collect, task: &str) -> Vec<(u64, u64)> {
    let id = system.task(task).unwrap().id;
    sink.events
        .iter()
        .filter(|e| e.task == id && e.kind == EventKind::Complete)
        .map(|e| (e.job, e.time_ns))
        .collect()
}

/// (job, finish in ms) pairs with the finish in ns.
fn ms(v: &[(u64, u64)]) -> Vec<(u64, u64)> {
    v.iter().map(|&(job, t)| (job, t * MS)).collect()
}

const RM_VS_EDF: &str = include_str!("../../../configs/rm-vs-edf.toml");

/// Buttazzo's RM vs EDF example (C = 2, 4; T = 5, 7), as shipped in
/// configs/rm-vs-edf.toml. Rate monotonic: `slow`'s first job runs 2-5 and
/// 7-8 and misses its deadline at 7 by 1 ms.
#[test]
fn golden_rm_schedule_misses() {
    let loaded = config::load_str(RM_VS_EDF, "rm-vs-edf.toml").unwrap();
    let (outcome, sink) = run(&loaded.system, 35);
    let s = stretches(&loaded.system, &sink);
    let first: Vec<(&str, u64, u64, u64)> = s
        .iter()
        .take(6)
        .map(|(n, j, _, a, b)| (n.as_str(), *j, a / MS, b / MS))
        .collect();
    assert_eq!(
        first,
        vec![
            ("fast", 0, 0, 2),
            ("slow", 0, 2, 5),
            ("fast", 1, 5, 7),
            ("slow", 0, 7, 8),
            ("slow", 1, 8, 10),
            ("fast", 2, 10, 12),
        ]
    );
    assert_eq!(finishes(&loaded.system, &sink, "slow")[0], (0, 8 * MS));
    let slow = &outcome.tasks[1];
    assert!(slow.deadline_misses > 0);
    assert_eq!(slow.misses[0].job, 0);
    assert_eq!(slow.misses[0].lateness_ns, MS);
    assert_eq!(slow.misses[0].kind, MissKind::Late);
    // Why: it waited 4 ms for `fast` (0-2 and 5-7).
    assert_eq!(slow.misses[0].waited_for[0].task, "fast");
    assert_eq!(slow.misses[0].waited_for[0].ns, 4 * MS);
    assert_eq!(outcome.tasks[0].deadline_misses, 0);
}

/// The same set under EDF meets every deadline over the hyperperiod
/// (35 ms); hand-derived finishing times of the first jobs.
#[test]
fn golden_edf_schedule_meets_every_deadline() {
    let loaded = config::load_str(RM_VS_EDF, "rm-vs-edf.toml").unwrap();
    let edf = &loaded.variants[0].system;
    let (outcome, sink) = run(edf, 35);
    assert_eq!(outcome.deadline_misses(), 0);
    assert_eq!(
        finishes(edf, &sink, "fast")[..4],
        ms(&[(0, 2), (1, 8), (2, 14), (3, 17)])[..]
    );
    assert_eq!(
        finishes(edf, &sink, "slow")[..3],
        ms(&[(0, 6), (1, 12), (2, 20)])[..]
    );
    assert_eq!(outcome.tasks[0].jobs, 7);
    assert_eq!(outcome.tasks[1].jobs, 5);
    assert_eq!(outcome.tasks[1].completed, 5);
    // U = 0.971: the CPU is busy 34 of 35 ms.
    assert_eq!(outcome.cpus[0].busy_ns, 34 * MS);
}

const TWO_CORES: &str = include_str!("../../../configs/two-cores.toml");

/// The Dhall effect (configs/two-cores.toml): globally, both light tasks
/// take the two CPUs at time 0 and the heavy task starts 1 ms late,
/// finishing at 11 ms, 0.5 ms after its deadline. Partitioned, nothing
/// misses.
#[test]
fn golden_dhall_effect_global_edf_and_rm() {
    let loaded = config::load_str(TWO_CORES, "two-cores.toml").unwrap();
    let (part, _) = run(&loaded.system, 21);
    assert_eq!(part.deadline_misses(), 0);

    let gedf = &loaded.variants[0].system;
    let (outcome, sink) = run(gedf, 21);
    let s = stretches(gedf, &sink);
    let head: Vec<(&str, u64, u32, u64, u64)> = s
        .iter()
        .take(3)
        .map(|(n, j, c, a, b)| (n.as_str(), *j, *c, *a, *b))
        .collect();
    assert_eq!(
        head,
        vec![
            ("light1", 0, 0, 0, MS),
            ("light2", 0, 1, 0, MS),
            ("heavy", 0, 0, MS, 11 * MS),
        ]
    );
    let heavy = &outcome.tasks[2];
    assert_eq!(heavy.misses[0].lateness_ns, MS / 2);
    // EDF at 10 ms: the heavy job (deadline 10.5) keeps its CPU against the
    // new light jobs (deadline 20); its second job starts at 11 and ends
    // exactly at its deadline (21 ms).
    assert_eq!(
        finishes(gedf, &sink, "heavy"),
        vec![(0, 11 * MS), (1, 21 * MS)]
    );

    let grm = &loaded.variants[1].system;
    let (outcome, sink) = run(grm, 21);
    // RM at 10 ms: both light jobs preempt the heavy one, which resumes at
    // 11 and ends at 12 (1.5 ms late).
    assert_eq!(finishes(grm, &sink, "heavy")[0], (0, 12 * MS));
    assert_eq!(outcome.tasks[2].misses[0].lateness_ns, 3 * MS / 2);
    assert!(outcome.tasks[2].preemptions >= 1);
}

/// Burns & Wellings' priority-inversion example (Real-Time Systems and
/// Programming Languages, ch. 11): four tasks, resources Q and V, one tick
/// = 1 ms. a: EQQQQE released at 0 (priority 1); b: EE at 2 (2); c: EVVE
/// at 2 (3); d: EEQVE at 4 (4). Completion times a / b / c / d, hand-traced
/// (the parameters are as we recall the book, whose no-protocol figure has
/// d finishing at 16): no protocol 17 / 10 / 8 / 16, inheritance 17 / 16 /
/// 14 / 13, immediate ceiling 17 / 16 / 14 / 10.
#[test]
fn priority_inversion_textbook_example() {
    let text = |locking: &str| {
        format!(
            r#"
name = "inversion"
[scheduler]
priorities = "explicit"
locking = "{locking}"
[[task]]
name = "a"
period = "100ms"
wcet = "6ms"
priority = 1
sections = [ {{ resource = "Q", after = "1ms", hold = "4ms" }} ]
[[task]]
name = "b"
period = "100ms"
wcet = "2ms"
offset = "2ms"
priority = 2
[[task]]
name = "c"
period = "100ms"
wcet = "4ms"
offset = "2ms"
priority = 3
sections = [ {{ resource = "V", after = "1ms", hold = "2ms" }} ]
[[task]]
name = "d"
period = "100ms"
wcet = "5ms"
offset = "4ms"
priority = 4
sections = [ {{ resource = "Q", after = "2ms", hold = "1ms" }}, {{ resource = "V", after = "3ms", hold = "1ms" }} ]
"#
        )
    };
    for (locking, expected) in [
        ("none", [17, 10, 8, 16]),
        ("inherit", [17, 16, 14, 13]),
        ("ceiling", [17, 16, 14, 10]),
    ] {
        let system = load(&text(locking));
        let (outcome, sink) = run(&system, 50);
        let got: Vec<u64> = ["a", "b", "c", "d"]
            .iter()
            .map(|t| finishes(&system, &sink, t)[0].1 / MS)
            .collect();
        assert_eq!(got, expected, "locking = {locking}");
        let d = &outcome.tasks[3];
        let blocking = d.blocking.max_ns.unwrap();
        match locking {
            // d waits on Q from 6 to 13.
            "none" => assert_eq!(blocking, 7 * MS),
            // d waits on Q 6-9 and on V 10-11.
            "inherit" => assert_eq!(blocking, 4 * MS),
            // d is ready at 4 while a (priority 1, at ceiling 4) runs to 5.
            _ => assert_eq!(blocking, MS),
        }
    }
}

fn set(body: &str) -> System {
    load(&format!("name = \"t\"\n{body}"))
}

/// Equal priority never preempts; at a tie the earlier release runs first,
/// then the task listed first.
#[test]
fn ties_earlier_release_then_file_order_and_no_preemption_at_equal_priority() {
    let system = set(r#"
[scheduler]
priorities = "explicit"
[[task]]
name = "late"
period = "100ms"
wcet = "2ms"
offset = "1ms"
priority = 5
[[task]]
name = "early"
period = "100ms"
wcet = "2ms"
priority = 5
[[task]]
name = "first"
period = "100ms"
wcet = "1ms"
offset = "1ms"
priority = 5
"#);
    let (_, sink) = run(&system, 10);
    let order: Vec<String> = stretches(&system, &sink).into_iter().map(|s| s.0).collect();
    // `early` (released 0) is not preempted by `late` and `first` (1 ms,
    // same priority); then `late` before `first`: both released at 1, `late`
    // is listed first.
    assert_eq!(order, vec!["early", "late", "first"]);
}

/// Jobs of one task run in release order: a job released while its
/// predecessor is unfinished waits (queue) or is dropped (skip).
#[test]
fn overrun_queue_and_skip() {
    // `ov` (1 ms every 2 ms, deadline 4) sits below `hi` (2 ms every 3 ms):
    // 117% load. Under "queue" its jobs fall behind (job 2, released at 4,
    // runs 8-9 and misses its deadline 8 by 1 ms); under "skip" the releases
    // at 2 and 8 find the previous job pending and are dropped, and every
    // job that runs meets its deadline.
    let body = |overrun: &str| {
        format!(
            "[scheduler]\npriorities = \"explicit\"\noverrun = \"{overrun}\"\n[[task]]\nname = \"hi\"\nperiod = \"3ms\"\nwcet = \"2ms\"\npriority = 2\n[[task]]\nname = \"ov\"\nperiod = \"2ms\"\nwcet = \"1ms\"\ndeadline = \"4ms\"\npriority = 1\n"
        )
    };
    let (q, qs) = run(&set(&body("queue")), 12);
    let (s, _) = run(&set(&body("skip")), 12);
    let system = set(&body("queue"));
    assert_eq!((q.tasks[1].jobs, s.tasks[1].jobs), (6, 6));
    assert_eq!(q.tasks[1].skipped, 0);
    assert_eq!(s.tasks[1].skipped, 2);
    assert_eq!(s.tasks[1].deadline_misses, 0);
    assert_eq!(
        finishes(&system, &qs, "ov")[..3],
        ms(&[(0, 3), (1, 6), (2, 9)])[..]
    );
    let late = q.tasks[1]
        .misses
        .iter()
        .find(|m| m.job == 2)
        .expect("job 2 is late");
    assert_eq!(late.lateness_ns, MS);
    // It waited 2 ms (4-6) behind its own predecessor.
    assert_eq!(late.queued_ns, 2 * MS);
}

/// A job released at or after the horizon is not counted; a job running
/// at the horizon is incomplete; one finishing exactly at it is complete.
#[test]
fn horizon_semantics() {
    let system = set("[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"2ms\"\n");
    let (o, _) = run(&system, 8);
    assert_eq!(
        (o.tasks[0].jobs, o.tasks[0].completed, o.tasks[0].incomplete),
        (2, 2, 0)
    );
    let (o, _) = run(&system, 9);
    assert_eq!(
        (o.tasks[0].jobs, o.tasks[0].completed, o.tasks[0].incomplete),
        (3, 2, 1)
    );
    let (o, _) = run(&system, 6);
    assert_eq!(
        (o.tasks[0].jobs, o.tasks[0].completed, o.tasks[0].incomplete),
        (2, 2, 0)
    );
}

/// Round-robin: a job whose quantum ends at the same instant as a release
/// goes behind the newly released job.
#[test]
fn round_robin_new_release_goes_before_an_expired_quantum() {
    let system = set(r#"
[scheduler]
policy = "round-robin"
quantum = "2ms"
[[task]]
name = "long"
period = "100ms"
wcet = "5ms"
[[task]]
name = "new"
period = "100ms"
wcet = "1ms"
offset = "2ms"
"#);
    let (_, sink) = run(&system, 20);
    let s: Vec<(String, u64, u64)> = stretches(&system, &sink)
        .into_iter()
        .map(|(n, _, _, a, b)| (n, a / MS, b / MS))
        .collect();
    assert_eq!(
        s,
        vec![
            ("long".to_string(), 0, 2),
            ("new".to_string(), 2, 3),
            ("long".to_string(), 3, 5),
            ("long".to_string(), 5, 6),
        ]
    );
}

/// Aborting at the deadline frees the CPU and counts a miss.
#[test]
fn on_miss_abort() {
    let system = set(
        "[scheduler]\non_miss = \"abort\"\n[[task]]\nname = \"hi\"\nperiod = \"5ms\"\nwcet = \"3ms\"\n[[task]]\nname = \"lo\"\nperiod = \"10ms\"\nwcet = \"6ms\"\n",
    );
    let (o, sink) = run(&system, 20);
    let lo = &o.tasks[1];
    // lo runs 3-5 and 8-10 (4 of 6 ms) and is aborted at its deadline (10).
    // Its second job (10-20) is in the same state at 20, the horizon: not
    // aborted (an abort at the horizon is left to the end of the run) but
    // unfinished at its deadline, so incomplete and a miss.
    assert_eq!(lo.aborted, 1);
    assert_eq!(lo.incomplete, 1);
    assert_eq!(lo.deadline_misses, 2);
    assert_eq!(lo.completed, 0);
    assert!(
        sink.events
            .iter()
            .any(|e| e.kind == EventKind::Abort && e.time_ns == 10 * MS)
    );
}

/// A deadlock among simulated jobs stops the run with the cycle named.
#[test]
fn deadlock_is_detected_with_its_cycle() {
    let system = set(r#"
[scheduler]
locking = "inherit"
[[task]]
name = "a"
period = "10ms"
wcet = "3ms"
offset = "1ms"
sections = [ { resource = "r1", after = "0ms", hold = "2ms" }, { resource = "r2", after = "1ms", hold = "0.5ms" } ]
[[task]]
name = "b"
period = "20ms"
wcet = "3ms"
sections = [ { resource = "r2", after = "0.5ms", hold = "2ms" }, { resource = "r1", after = "1.5ms", hold = "0.5ms" } ]
"#);
    let (o, _) = run(&system, 100);
    let d = o.deadlock.expect("a deadlock");
    assert!(o.interrupted);
    // b locks r2 at 0.5; a preempts at 1, locks r1, blocks on r2 at 2;
    // b (inheriting) reaches its lock of r1 at 2.5: deadlock.
    assert_eq!(d.at_ns, 5 * MS / 2);
    let cycle: Vec<(String, String, String)> = d
        .cycle
        .iter()
        .map(|e| (e.task.clone(), e.resource.clone(), e.held_by.clone()))
        .collect();
    assert_eq!(
        cycle,
        vec![
            ("b".into(), "r1".into(), "a".into()),
            ("a".into(), "r2".into(), "b".into())
        ]
    );
    assert_eq!(o.duration_ns, 5 * MS / 2);
}

/// Fault injection: every 3rd job panics half way, releases its lock, and
/// the neighbour sharing the lock is unaffected.
#[test]
fn faults_are_counted_and_release_locks() {
    let system = set(r#"
[[task]]
name = "flaky"
period = "10ms"
wcet = "2ms"
sections = [ { resource = "r", after = "0.5ms", hold = "1ms" } ]
faults = { panic_every = 3 }
[[task]]
name = "steady"
period = "10ms"
wcet = "2ms"
offset = "1ms"
sections = [ { resource = "r", after = "0ms", hold = "1ms" } ]
"#);
    let (o, _) = run(&system, 90);
    assert_eq!(o.tasks[0].faults, 3);
    assert_eq!(o.tasks[0].completed, 6);
    assert_eq!(o.tasks[1].completed, 9);
    assert_eq!(o.tasks[1].deadline_misses, 0);
    assert_eq!(o.resources[0].acquisitions, 18);
}

/// Same seed, same outcome; another seed, another schedule when execution
/// times vary.
#[test]
fn seeds_are_deterministic() {
    let system = set(
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"2ms\"\nexecution = { model = \"uniform\", min = \"0.5ms\" }\nrelease_jitter = \"0.5ms\"\n[[task]]\nname = \"b\"\nperiod = \"6ms\"\nwcet = \"3ms\"\nexecution = { model = \"normal\", mean = \"2ms\", stddev = \"0.5ms\" }\n",
    );
    let opts = |seed| Options {
        horizon: Duration::from_millis(500).unwrap(),
        seed,
    };
    let a = serde_json::to_string(&simulate(&system, &opts(3), None).unwrap()).unwrap();
    let b = serde_json::to_string(&simulate(&system, &opts(3), None).unwrap()).unwrap();
    let c = serde_json::to_string(&simulate(&system, &opts(4), None).unwrap()).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

/// A job aborted at its deadline while ready releases its locks, which
/// refreshes its urgency: it must not go back into the ready queue (it did
/// once, and a later dispatch started a task with no job, then the run
/// never ended). Found by the soundness harness; the start of a job with
/// none is a debug assertion.
#[test]
fn a_job_aborted_while_ready_leaves_the_ready_queue_for_good() {
    let system = load(
        r#"
name = "aborted-ready"
duration = "1ms"
[platform]
cpus = [0, 1]
[scheduler]
policy = "fixed-priority"
priorities = "deadline-monotonic"
locking = "ceiling"
on_miss = "abort"
[[task]]
name = "a"
period = "20ns"
wcet = "1ns"
deadline = "12ns"
cpu = 0
[[task]]
name = "b"
period = "8ns"
wcet = "1ns"
deadline = "7ns"
cpu = 1
sections = [ { resource = "r0", after = "0ns", hold = "1ns" } ]
[[task]]
name = "c"
period = "6ns"
wcet = "2ns"
cpu = 0
sections = [ { resource = "r0", after = "1ns", hold = "1ns" } ]
[[task]]
name = "d"
period = "10ns"
wcet = "6ns"
deadline = "6ns"
cpu = 0
sections = [ { resource = "r1", after = "1ns", hold = "2ns" }, { resource = "r0", after = "2ns", hold = "1ns" } ]
[[task]]
name = "e"
period = "4ns"
wcet = "1ns"
cpu = 0
execution = { model = "uniform", min = "1ns" }
sections = [ { resource = "r0", after = "0ns", hold = "1ns" } ]
[[task]]
name = "f"
period = "2ns"
wcet = "1ns"
release_jitter = "4ns"
cpu = 0
"#,
    );
    let (o, sink) = run_ns(&system, 3_000);
    // Every job that started had a job: no start of job 0 of a task whose
    // first job had ended long before.
    let starts = sink
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Start)
        .count() as u64;
    let counted: u64 = o
        .tasks
        .iter()
        .map(|t| t.completed + t.aborted + t.incomplete)
        .sum();
    assert!(starts <= counted, "{starts} starts, {counted} jobs");
    assert!(
        o.tasks.iter().any(|t| t.aborted > 0),
        "the case aborts jobs"
    );
}
