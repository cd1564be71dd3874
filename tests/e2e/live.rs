//! `rtlab run` on this machine: real threads, real priorities, real time.
//!
//! These tests run one at a time (they share [`LIVE`]), last at most a few
//! seconds each, and assert what holds on a loaded 2-core VM: structure
//! (names, pinning, policies, job counts), physical lower bounds (a job
//! burns at least its WCET of CPU time, so every response is at least the
//! WCET and the critical instant's response at least the RTA bound), and
//! upper bounds with generous margins. They need root (or CAP_SYS_NICE),
//! as CI has; the unprivileged fallback is tested by dropping privileges.

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::util::{Sandbox, config, rtlab_bin};

/// Live tests run one at a time.
static LIVE: Mutex<()> = Mutex::new(());

pub(crate) fn serial() -> std::sync::MutexGuard<'static, ()> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The live tests check real-time behaviour: they need SCHED_FIFO, i.e.
/// root, CAP_SYS_NICE or an RLIMIT_RTPRIO (CI runs as root). Say so plainly
/// rather than fail on a confusing assertion.
fn require_rt() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    let rtprio =
        unsafe { libc::getrlimit(libc::RLIMIT_RTPRIO, &mut limit) } == 0 && limit.rlim_cur > 0;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    assert!(
        root || rtprio,
        "the live tests need real-time privileges (root, CAP_SYS_NICE or an RLIMIT_RTPRIO); run them as root"
    );
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub(crate) fn task<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()
}

pub(crate) const MS: u64 = 1_000_000;

/// Three RM tasks on CPU 1: R = 5, 15, 60 ms (U = 0.81).
const RM3: &str = r#"
name = "live-rm3"
duration = "1.6s"
[platform]
cpus = [1]
[scheduler]
policy = "fixed-priority"
priorities = "rate-monotonic"
[live]
os_policy = "fifo"
priority_top = 90
[[task]]
name = "fast-task"
period = "20ms"
wcet = "5ms"
[[task]]
name = "middle-task"
period = "40ms"
wcet = "10ms"
[[task]]
name = "slow-task-long-name"
period = "80ms"
wcet = "25ms"
"#;

/// One thread of a process as /proc shows it.
#[derive(Debug)]
pub(crate) struct Thread {
    /// `comm`: the first 15 bytes of the name.
    pub(crate) name: String,
    /// `Cpus_allowed_list`, e.g. `1` or `0-1`.
    pub(crate) cpus: String,
    /// Scheduling policy (0 OTHER, 1 FIFO, 2 RR, 6 DEADLINE).
    pub(crate) policy: u32,
    /// Real-time priority (0 outside FIFO / RR).
    pub(crate) rt_priority: u32,
    /// Nice value.
    pub(crate) nice: i32,
}

/// The threads of process `pid`, read from /proc.
pub(crate) fn threads(pid: u32) -> Vec<Thread> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in dir.flatten() {
        let p = t.path();
        let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap_or_default();
        let status = read("status");
        let cpus = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .unwrap_or("")
            .trim()
            .to_string();
        let stat = read("stat");
        // Fields after the command name (which is in parentheses).
        let rest: Vec<&str> = stat
            .rsplit_once(')')
            .map_or("", |(_, r)| r)
            .split_whitespace()
            .collect();
        // rest[0] is field 3 (state): nice is field 19, rt_priority 40,
        // policy 41.
        let field = |i: usize| rest.get(i).and_then(|v| v.parse().ok());
        out.push(Thread {
            name: read("comm").trim().to_string(),
            cpus,
            policy: field(38).unwrap_or(99),
            rt_priority: field(37).unwrap_or(0),
            nice: rest.get(16).and_then(|v| v.parse().ok()).unwrap_or(99),
        });
    }
    out
}

/// The thread of `seen` named `name` (the test fails without one).
pub(crate) fn thread<'a>(seen: &'a [Thread], name: &str) -> &'a Thread {
    seen.iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no thread {name} in {seen:?}"))
}

#[test]
fn fifo_threads_are_named_pinned_prioritised_and_meet_the_critical_instant() {
    let _guard = serial();
    require_rt();
    let sb = Sandbox::new();
    let path = sb.write("rm3.toml", RM3);
    let mut child = sb.spawn([
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    // Look at the threads while the run is going.
    std::thread::sleep(Duration::from_millis(600));
    let seen = threads(child.id());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    // Names (first 15 bytes), pinned to CPU 1, SCHED_FIFO (1) at RM
    // priorities counted down from priority_top.
    for (name, priority) in [
        ("fast-task", 90),
        ("middle-task", 89),
        ("slow-task-long-", 88),
    ] {
        let t = thread(&seen, name);
        assert_eq!(
            (t.cpus.as_str(), t.policy, t.rt_priority),
            ("1", 1, priority),
            "{t:?}"
        );
    }

    let v = read_json(&sb.path().join("out/result.json"));
    assert_eq!(v["engine"], "live");
    assert_eq!(v["environment"]["os_policy"], "fifo");
    assert_eq!(v["environment"]["rt_privileges"], true);
    assert_eq!(v["interrupted"], false);
    for (name, period, wcet) in [
        ("fast-task", 20, 5),
        ("middle-task", 40, 10),
        ("slow-task-long-name", 80, 25),
    ] {
        let t = task(&v, name);
        // Job counts match the duration: releases at 0, T, 2T, ... < 1.6 s.
        assert_eq!(t["jobs"], 1600 / period, "{name}");
        assert_eq!(
            t["completed"].as_u64().unwrap() + t["incomplete"].as_u64().unwrap(),
            1600 / period
        );
        // Every response is at least the WCET (jobs burn WCET of CPU time).
        assert!(
            t["response_time"]["min_ns"].as_u64().unwrap() >= wcet * MS,
            "{name}: {t:#}"
        );
    }
    // The critical instant is the synchronous start: the lowest-priority
    // task's worst response reaches the RTA bound (60 ms) and stays close
    // to it (a generous margin for a loaded VM).
    let slow = task(&v, "slow-task-long-name");
    assert_eq!(slow["analysis"]["wcrt_ns"], 60 * MS);
    let worst = slow["response_time"]["max_ns"].as_u64().unwrap();
    assert!(
        worst >= 60 * MS,
        "worst response {worst} ns below the RTA bound"
    );
    assert!(
        worst <= 60 * MS + 60 * MS / 4 + 10 * MS,
        "worst response {worst} ns far above the RTA bound"
    );
}

#[test]
fn pathfinder_misses_without_a_protocol_and_not_with_inheritance_or_ceiling() {
    let _guard = serial();
    require_rt();
    let sb = Sandbox::new();
    let cfg = config("pathfinder.toml");
    for (variant, out) in [
        (None, "none"),
        (Some("inherit"), "inherit"),
        (Some("ceiling"), "ceiling"),
    ] {
        let mut args: Vec<std::ffi::OsString> = vec![
            "run".into(),
            cfg.clone().into(),
            "--duration".into(),
            "1s".into(),
            "--out".into(),
            out.into(),
        ];
        if let Some(v) = variant {
            args.push("--variant".into());
            args.push(v.into());
        }
        sb.rtlab(&args).expect_code(0);
        let v = read_json(&sb.path().join(out).join("result.json"));
        let bus = task(&v, "bus_manager");
        let misses = bus["deadline_misses"].as_u64().unwrap();
        if variant.is_none() {
            // Every 100 ms `comms` preempts `meteo` while it holds the bus:
            // two bus_manager jobs miss each time (20 in the simulation).
            assert!(misses >= 10, "no protocol: only {misses} misses\n{bus:#}");
            assert!(bus["blocking"]["max_ns"].as_u64().unwrap() > 15 * MS);
        } else {
            assert_eq!(misses, 0, "{out}: {bus:#}");
            assert!(
                bus["response_time"]["max_ns"].as_u64().unwrap() < 10 * MS,
                "{out}"
            );
        }
    }
}

#[test]
fn ctrl_c_stops_within_a_second_with_a_partial_result() {
    let _guard = serial();
    let sb = Sandbox::new();
    let mut child = sb.spawn([
        "run".as_ref(),
        config("pathfinder.toml").as_os_str(),
        "--duration".as_ref(),
        "30s".as_ref(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    std::thread::sleep(Duration::from_millis(1200));
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let sent = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "rtlab did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = sent.elapsed();
    assert_eq!(status.code(), Some(130));
    assert!(
        took < Duration::from_millis(1500),
        "stopped {took:?} after Ctrl-C"
    );
    let v = read_json(&sb.path().join("out/result.json"));
    assert_eq!(v["interrupted"], true);
    let length = v["duration_ns"].as_u64().unwrap();
    assert!((1_000 * MS..5_000 * MS).contains(&length), "{length}");
    let bus = task(&v, "bus_manager");
    let jobs = bus["jobs"].as_u64().unwrap();
    // Releases every 10 ms from 0.5 ms, up to the interruption.
    assert!(
        jobs.abs_diff((length - MS / 2) / (10 * MS) + 1) <= 1,
        "{jobs} jobs in {length} ns"
    );
    assert!(bus["completed"].as_u64().unwrap() >= jobs - 1);
}

#[test]
fn without_privileges_it_falls_back_loudly_and_strict_refuses() {
    let _guard = serial();
    require_rt();
    let sb = Sandbox::new();
    // The sandbox must be writable by `nobody`.
    std::fs::set_permissions(
        sb.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let path = sb.write("rm3.toml", RM3.replace("1.6s", "0.5s"));
    let drop_privileges = |extra: &[&str]| {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--inh-caps=-all",
        ])
        .arg(rtlab_bin())
        .args(["run".as_ref(), path.as_os_str()])
        .args(extra)
        .current_dir(sb.path())
        .env("NO_COLOR", "1");
        let out = cmd.output().expect("setpriv (util-linux) runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = drop_privileges(&["--out", "out"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("NO REAL-TIME PRIVILEGES"), "{stderr}");
    assert!(stdout.contains("NO REAL-TIME PRIVILEGES"), "{stdout}");
    let v = read_json(&sb.path().join("out/result.json"));
    assert_eq!(v["environment"]["rt_privileges"], false);
    assert_eq!(v["environment"]["os_policy"], "other");
    assert!(
        v["environment"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("NO REAL-TIME PRIVILEGES")
    );
    assert_eq!(task(&v, "fast-task")["jobs"], 25);
    let (code, _, stderr) = drop_privileges(&["--strict", "--out", "strict"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--strict"), "{stderr}");
    assert!(!sb.path().join("strict/result.json").exists());
}

#[test]
fn an_overloaded_set_ends_on_time_and_reports_its_misses() {
    let _guard = serial();
    let sb = Sandbox::new();
    let t0 = Instant::now();
    sb.rtlab([
        "run".as_ref(),
        config("overload.toml").as_os_str(),
        "--duration".as_ref(),
        "1s".as_ref(),
        "--out".as_ref(),
        "out".as_ref(),
    ])
    .expect_code(0);
    let took = t0.elapsed();
    assert!(
        took < Duration::from_millis(2500),
        "a 1 s run took {took:?}"
    );
    let v = read_json(&sb.path().join("out/result.json"));
    let batch = task(&v, "batch");
    assert!(
        batch["deadline_misses"].as_u64().unwrap() >= 10,
        "{batch:#}"
    );
    // Releases that found the previous job running record no wake-up
    // latency (none happened), rather than a fake 0.
    let wakeups = batch["release_jitter"]["count"].as_u64().unwrap();
    assert!(
        wakeups < batch["jobs"].as_u64().unwrap(),
        "every release recorded a wake-up: {batch:#}"
    );
    assert!(
        batch["release_jitter"]["min_ns"].as_u64().unwrap() > 0,
        "{batch:#}"
    );
    assert_eq!(v["duration_ns"], 1_000 * MS);
}

#[test]
fn a_panicking_task_counts_its_faults_and_its_neighbour_is_unaffected() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write(
        "faults.toml",
        r#"
name = "faults"
[platform]
cpus = [1]
[[task]]
name = "flaky"
period = "10ms"
wcet = "2ms"
sections = [ { resource = "r", after = "0.5ms", hold = "1ms" } ]
faults = { panic_every = 3 }
[[task]]
name = "steady"
period = "20ms"
wcet = "2ms"
offset = "5ms"
sections = [ { resource = "r", after = "0ms", hold = "1ms" } ]
"#,
    );
    let run = sb.rtlab([
        "run".as_ref(),
        path.as_os_str(),
        "--duration".as_ref(),
        "0.9s".as_ref(),
        "--trace".as_ref(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    run.expect_code(0);
    assert!(
        !run.stderr.contains("panicked"),
        "injected faults must stay quiet: {}",
        run.stderr
    );
    // The trace went through the per-thread buffers into a valid file.
    let trace = read_json(&sb.path().join("out/trace.json"));
    assert!(trace["traceEvents"].as_array().unwrap().len() > 135);
    let v = read_json(&sb.path().join("out/result.json"));
    assert_eq!(v["trace"]["dropped"], 0);
    assert!(v["trace"]["events"].as_u64().unwrap() > 4 * 135);
    let flaky = task(&v, "flaky");
    assert_eq!(flaky["jobs"], 90);
    assert_eq!(flaky["faults"], 30);
    assert_eq!(flaky["completed"], 60);
    let steady = task(&v, "steady");
    assert_eq!(steady["jobs"], 45);
    assert_eq!(steady["completed"], 45);
    assert_eq!(steady["deadline_misses"], 0);
    // The lock taken by a panicking job was released: everyone got it.
    assert_eq!(v["resources"][0]["acquisitions"], 90 + 45);
}

#[test]
fn a_cpu_the_machine_lacks_is_a_located_error() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write("cpu.toml", RM3.replace("cpus = [1]", "cpus = [1, 1000]"));
    let run = sb.rtlab(["run".as_ref(), path.as_os_str()]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("cpu.toml:5:12: error: `cpu` 1000 is not a CPU this machine lets rtlab use"),
        "{}",
        run.stderr
    );
}

#[test]
fn deadlocked_tasks_are_reported_and_the_run_still_ends() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write(
        "deadlock.toml",
        r#"
name = "deadlock"
[platform]
cpus = [1]
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
"#,
    );
    let t0 = Instant::now();
    let run = sb.rtlab([
        "run".as_ref(),
        path.as_os_str(),
        "--duration".as_ref(),
        "0.5s".as_ref(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    run.expect_code(1);
    assert!(t0.elapsed() < Duration::from_secs(3));
    assert!(
        run.stderr
            .contains("`a` waits for `r2` held by `b`; `b` waits for `r1` held by `a`"),
        "{}",
        run.stderr
    );
    let v = read_json(&sb.path().join("out/result.json"));
    assert_eq!(v["deadlock"]["cycle"].as_array().unwrap().len(), 2);
}

#[test]
fn a_pure_spin_at_real_time_priority_is_refused() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write(
        "spin.toml",
        RM3.replace(
            "priority_top = 90",
            "priority_top = 90\nspin_tail = \"20ms\"",
        ),
    );
    let run = sb.rtlab([
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("spin_tail 20ms covers the whole period 20ms"),
        "{}",
        run.stderr
    );
    assert!(!sb.path().join("out/result.json").exists());
}
