//! The Linux class of every thread a live run starts, read back from
//! /proc while it runs.

use std::time::Duration;

use crate::live::{serial, thread, threads};
use crate::util::Sandbox;

/// `os_policy = "other"`: the task threads and the `[[load]]` thread run
/// under SCHED_OTHER (policy 0) at nice 0, like every ordinary thread, not
/// at nice +19 (thread-priority's "priority 0").
#[test]
fn sched_other_threads_and_loads_run_at_nice_0() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write(
        "other.toml",
        r#"
name = "nice"
duration = "0.8s"
[platform]
cpus = [1]
[live]
os_policy = "other"
[[task]]
name = "worker"
period = "10ms"
wcet = "1ms"
[[load]]
kind = "cpu"
cpus = [1]
duty = 0.2
period = "10ms"
"#,
    );
    let mut child = sb.spawn([
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    std::thread::sleep(Duration::from_millis(400));
    let seen = threads(child.id());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    for name in ["worker", "load0-cpu1"] {
        let t = thread(&seen, name);
        assert_eq!((t.policy, t.nice), (0, 0), "{t:?}");
    }
    // The load's CPU time shows on its CPU (it asked for 20% of 0.8 s;
    // a loaded machine may give it less, never nothing), apart from the
    // task's and other processes'.
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.path().join("out/result.json")).unwrap()).unwrap();
    let cpu = &v["cpus"][0];
    assert_eq!(cpu["id"], 1);
    let load = cpu["load_ns"].as_u64().unwrap();
    assert!((40_000_000..=200_000_000).contains(&load), "{cpu}");
    assert!(cpu["tasks_ns"].as_u64().unwrap() >= 40_000_000, "{cpu}");
}

/// Ctrl-C during the first of three live runs of `compare` stops the
/// comparison there (exit 130, the report covers the run that happened)
/// instead of letting every later run end at once as "interrupted".
#[test]
fn ctrl_c_stops_a_comparison_after_the_run_it_interrupted() {
    let _guard = serial();
    let sb = Sandbox::new();
    let child = sb.spawn([
        "compare".as_ref(),
        crate::util::config("pathfinder.toml").as_os_str(),
        "--engine".as_ref(),
        "live".as_ref(),
        "--duration".as_ref(),
        "20s".as_ref(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    std::thread::sleep(Duration::from_millis(1200));
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("2 of 3 runs were not started"), "{stderr}");
    let base = sb.path().join("out/pathfinder/base/live/result.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(base).unwrap()).unwrap();
    assert_eq!(v["interrupted"], true);
    assert!(v["duration_ns"].as_u64().unwrap() < 10_000_000_000);
    assert!(!sb.path().join("out/pathfinder/inherit").exists());
}

/// rtlab's own threads (main, Ctrl-C) stay off the task CPU while the run
/// goes, so that they never delay a task's wake-up; a SCHED_DEADLINE
/// thread (which Linux refuses on a narrowed affinity) still starts.
#[test]
fn helper_threads_stay_off_the_task_cpus_and_deadline_threads_still_start() {
    let _guard = serial();
    let sb = Sandbox::new();
    let config = |policy: &str| {
        format!(
            "name = \"away\"\nduration = \"0.8s\"\n[platform]\ncpus = [1]\n[scheduler]\npolicy = \"edf\"\n\
             [live]\nos_policy = \"{policy}\"\n[[task]]\nname = \"worker\"\nperiod = \"10ms\"\nwcet = \"1ms\"\n"
        )
    };
    let path = sb.write("fifo.toml", config("fifo"));
    let mut child = sb.spawn([
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "fifo".as_ref(),
    ]);
    std::thread::sleep(Duration::from_millis(400));
    let seen = threads(child.id());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(thread(&seen, "worker").cpus, "1");
    assert_eq!(thread(&seen, "rtlab").cpus, "0", "main thread");
    assert_eq!(thread(&seen, "ctrl-c").cpus, "0", "Ctrl-C thread");

    let path = sb.write("deadline.toml", config("deadline"));
    let run = sb.rtlab([
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "dl".as_ref(),
    ]);
    run.expect_code(0);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.path().join("dl/result.json")).unwrap()).unwrap();
    assert_eq!(v["environment"]["os_policy"], "deadline");
    assert_eq!(v["tasks"][0]["jobs"], 80);
}
