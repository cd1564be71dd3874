//! The end of a run (issue 9, cases 9 and 10): a deadline at the horizon,
//! the longest horizon, an engine that stops whatever the horizon, and
//! time that never goes backwards.

use std::sync::mpsc;

use rtlab_tasks::config;
use rtlab_tasks::outcome::MissKind;
use rtlab_tasks::outcome::trace::EventKind;
use rtlab_tasks::time::Duration;

use super::super::engine::Engine;
use super::super::{MAX_HORIZON, Options, SimError, simulate};
use super::{run_ns, set};

/// a (T 4, C 2) above b (T 6, C 3), rate monotonic: b's first job runs
/// 2..4 and 6..7, a's second job 4..6.
const AB: &str = "[[task]]\nname = \"a\"\nperiod = \"4ns\"\nwcet = \"2ns\"\n[[task]]\nname = \"b\"\nperiod = \"6ns\"\nwcet = \"3ns\"\n";

/// With the horizon at 6, b's first job is unfinished at its deadline 6:
/// it is both `incomplete` and a miss (kind `incomplete`, late by 0 ns at
/// the end of the run: it cannot finish before 7). Before, `deadline <
/// end` left it out. At 5 its deadline is still ahead (no miss); at 7 it
/// completed 1 ns late and the job released at 6 is incomplete, no miss.
#[test]
fn unfinished_job_with_its_deadline_at_the_horizon_is_a_miss() {
    let system = set(AB);
    let b = |horizon: u64| {
        let (o, _) = run_ns(&system, horizon);
        o.tasks[1].clone()
    };
    let at5 = b(5);
    assert_eq!((at5.jobs, at5.incomplete, at5.deadline_misses), (1, 1, 0));
    assert!(at5.misses.is_empty());

    let at6 = b(6);
    assert_eq!(
        (at6.jobs, at6.completed, at6.incomplete, at6.deadline_misses),
        (1, 0, 1, 1)
    );
    let m = &at6.misses[0];
    assert_eq!((m.job, m.deadline_ns, m.finish_ns), (0, 6, None));
    assert_eq!((m.kind, m.lateness_ns), (MissKind::Incomplete, 0));

    let at7 = b(7);
    assert_eq!(
        (at7.jobs, at7.completed, at7.incomplete, at7.deadline_misses),
        (2, 1, 1, 1)
    );
    assert_eq!(at7.misses[0].kind, MissKind::Late);
    assert_eq!(at7.misses[0].lateness_ns, 1);
}

/// The simulator's longest horizon is exactly the longest `duration` a
/// config may have (the two constants live in two crates).
#[test]
fn max_horizon_is_the_longest_duration_a_config_may_have() {
    let text = |duration: &str| format!("name = \"t\"\nduration = \"{duration}\"\n{AB}");
    let max = config::load_str(&text(&MAX_HORIZON.to_string()), "t.toml")
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(max.system.duration, MAX_HORIZON);
    let over = format!("{}ns", MAX_HORIZON.as_nanos() + 1);
    assert!(config::load_str(&text(&over), "t.toml").is_err());
}

/// A horizon beyond [`MAX_HORIZON`] (as `u64::MAX` ns, which used to run
/// forever) is refused by `simulate`.
#[test]
fn a_horizon_longer_than_the_longest_is_an_error() {
    let system = set(AB);
    let options = |ns| Options {
        horizon: Duration::from_nanos(ns),
        seed: 1,
    };
    for ns in [MAX_HORIZON.as_nanos() + 1, u64::MAX] {
        let e = simulate(&system, &options(ns), None).expect_err("too long");
        assert!(matches!(e, SimError::HorizonTooLong { .. }), "{e:?}");
    }
}

/// The engine itself stops once nothing is left to happen, even with a
/// horizon of `u64::MAX` ns (where "no event", `u64::MAX`, used to equal
/// the horizon forever). One task with the longest period: releases at 0,
/// 4e18, 8e18, 1.2e19 and 1.6e19 ns; the next one saturates.
#[test]
fn engine_stops_when_nothing_is_left_even_at_a_u64_max_horizon() {
    let system = set(&format!(
        "[[task]]\nname = \"a\"\nperiod = \"{MAX_HORIZON}\"\nwcet = \"1ns\"\n"
    ));
    let (tx, rx) = mpsc::channel();
    // A thread, so that a regression fails the test instead of hanging it.
    std::thread::spawn(move || {
        let options = Options {
            horizon: Duration::MAX,
            seed: 1,
        };
        let run = Engine::new(&system, &options, None).run();
        let end = run.end_ns;
        let a = run.into_outcome(&system, 1).tasks.remove(0);
        let _ = tx.send((end, a.jobs, a.completed, a.deadline_misses));
    });
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the engine stops");
    assert_eq!(got, (u64::MAX, 5, 5, 0));
}

/// `on_miss = "abort"` with release jitter longer than the deadline: a job
/// that becomes ready after its deadline is aborted as it is released, not
/// in the past (time went backwards and the run panicked). One task, so a
/// job with jitter j < 2 completes at `ready + 1 <= deadline` and one with
/// j >= 2 is aborted at its ready time.
#[test]
fn a_job_ready_after_its_deadline_is_aborted_at_its_release() {
    let system = set(
        "[scheduler]\non_miss = \"abort\"\n[[task]]\nname = \"a\"\nperiod = \"10ns\"\nwcet = \"1ns\"\ndeadline = \"2ns\"\nrelease_jitter = \"8ns\"\n",
    );
    let (o, sink) = run_ns(&system, 1_000);
    let a = &o.tasks[0];
    assert_eq!(a.jobs, 100);
    assert_eq!(a.completed + a.aborted, a.jobs);
    assert_eq!(a.deadline_misses, a.aborted);
    assert!(a.aborted > 0 && a.completed > 0, "{a:?}");
    let mut time = 0;
    for e in &sink.events {
        assert!(e.time_ns >= time || e.kind == EventKind::Miss, "{e:?}");
        time = time.max(e.time_ns);
    }
    for k in 0..a.jobs {
        let at = |kind: EventKind| {
            sink.events
                .iter()
                .find(|e| e.job == k && e.kind == kind)
                .map(|e| e.time_ns)
        };
        let ready = at(EventKind::Release).expect("released");
        let jitter = ready - 10 * k;
        if jitter >= 2 {
            assert_eq!(at(EventKind::Abort), Some(ready), "job {k}");
        } else {
            assert_eq!(at(EventKind::Complete), Some(ready + 1), "job {k}");
        }
    }
}

/// A jitter longer than the period holds back every release after the
/// pending one: all releases due before the end are jobs (incomplete),
/// and misses when their deadline is at or before it. a (T 2, C 1, J 7)
/// with a horizon of 21 has 11 releases (0, 2, .., 20).
#[test]
fn releases_held_back_by_a_jitter_longer_than_the_period_are_all_counted() {
    let system =
        set("[[task]]\nname = \"a\"\nperiod = \"2ns\"\nwcet = \"1ns\"\nrelease_jitter = \"7ns\"\n");
    for seed in 1..6 {
        let options = Options {
            horizon: Duration::from_nanos(21),
            seed,
        };
        let o = simulate(&system, &options, None).unwrap();
        let a = &o.tasks[0];
        assert_eq!(a.jobs, 11, "seed {seed}");
        assert_eq!(a.completed + a.incomplete, 11, "seed {seed}");
        // Every release r with r + 2 <= 21 (r <= 18) that is not completed
        // by its deadline misses; the ones released at 20 are not due yet.
        assert!(a.deadline_misses <= 10, "seed {seed}");
        assert!(a.deadline_misses + a.completed >= 10, "seed {seed}");
    }
}

/// A deadlock on one CPU ends the run at that instant, but the other CPUs'
/// events of the instant are handled first: a job there that completes
/// exactly at its deadline is not aborted as a miss.
#[test]
fn a_deadlock_elsewhere_does_not_abort_a_job_completing_at_its_deadline() {
    let system = set(r#"
[platform]
cpus = [0, 1, 2]
[scheduler]
on_miss = "abort"
[[task]]
name = "a"
period = "6ns"
wcet = "1ns"
cpu = 2
sections = [ { resource = "r1", after = "0ns", hold = "1ns" }, { resource = "r0", after = "0ns", hold = "1ns" } ]
[[task]]
name = "b"
period = "10ns"
wcet = "5ns"
cpu = 0
sections = [ { resource = "r0", after = "0ns", hold = "2ns" }, { resource = "r1", after = "1ns", hold = "1ns" } ]
[[task]]
name = "c"
period = "2ns"
wcet = "1ns"
deadline = "1ns"
cpu = 1
"#);
    let (o, _) = run_ns(&system, 70);
    assert!(o.deadlock.is_some());
    let c = &o.tasks[2];
    assert_eq!((c.completed, c.aborted, c.deadline_misses), (1, 0, 0));
}
