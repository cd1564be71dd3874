//! The Linux class of every thread a live run starts, read back from
//! /proc while it runs.

use std::time::Duration;

use crate::live::serial;
use crate::util::Sandbox;

/// Per thread of `pid`: (name, policy, nice), from /proc.
fn classes(pid: u32) -> Vec<(String, u32, i32)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in dir.flatten() {
        let p = t.path();
        let comm = std::fs::read_to_string(p.join("comm"))
            .unwrap_or_default()
            .trim()
            .to_string();
        let stat = std::fs::read_to_string(p.join("stat")).unwrap_or_default();
        let rest: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, r)| r)
            .split_whitespace()
            .collect();
        // rest[0] is field 3 (state): nice is field 19, policy field 41.
        let nice = rest.get(16).and_then(|v| v.parse().ok()).unwrap_or(99);
        let policy = rest.get(38).and_then(|v| v.parse().ok()).unwrap_or(99);
        out.push((comm, policy, nice));
    }
    out
}

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
    let seen = classes(child.id());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    for name in ["worker", "load0-cpu1"] {
        let t = seen
            .iter()
            .find(|t| t.0 == name)
            .unwrap_or_else(|| panic!("no thread {name} in {seen:?}"));
        assert_eq!((t.1, t.2), (0, 0), "{name}: (policy, nice) in {seen:?}");
    }
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

/// CPUs a thread of `pid` named `name` may run on (`Cpus_allowed_list`).
fn allowed(pid: u32, name: &str) -> Option<String> {
    let dir = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    dir.flatten().find_map(|t| {
        let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
        if comm.trim() != name {
            return None;
        }
        let status = std::fs::read_to_string(t.path().join("status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .map(|v| v.trim().to_string())
    })
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
    let (main, ctrl_c, worker) = (
        allowed(child.id(), "rtlab"),
        allowed(child.id(), "ctrl-c"),
        allowed(child.id(), "worker"),
    );
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert_eq!(worker.as_deref(), Some("1"));
    assert_eq!(main.as_deref(), Some("0"), "main thread");
    assert_eq!(ctrl_c.as_deref(), Some("0"), "Ctrl-C thread");

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
