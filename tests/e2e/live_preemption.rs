//! Non-preemptive dispatching, live: a more urgent job released while a
//! less urgent one runs waits for it to complete; under preemptive
//! dispatching the same config preempts it. Read from the run's trace
//! (job starts and ends), so the check holds however late a thread wakes
//! on a loaded machine.

use crate::live::serial;
use crate::util::Sandbox;

/// `lo` runs 10 ms from 0, `hi` is released at 5 ms into it, every 40 ms.
const CONFIG: &str = r#"
name = "np"
duration = "0.4s"
[platform]
cpus = [1]
[scheduler]
policy = "fixed-priority"
preemptive = PREEMPTIVE
[live]
os_policy = "OS"
[[task]]
name = "hi"
period = "40ms"
wcet = "1ms"
offset = "5ms"
priority = 2
[[task]]
name = "lo"
period = "40ms"
wcet = "10ms"
priority = 1
"#;

/// Per job of `task`: (first execution, end), in µs from the start.
fn jobs(trace: &serde_json::Value, task: &str) -> Vec<(f64, f64)> {
    let events = trace["traceEvents"].as_array().unwrap();
    let mut spans: std::collections::BTreeMap<u64, (f64, f64)> = Default::default();
    for e in events.iter().filter(|e| e["name"] == task) {
        let ts = e["ts"].as_f64().unwrap_or(0.0);
        match e["ph"].as_str() {
            Some("X") => {
                let job = e["args"]["job"].as_u64().unwrap();
                let s = spans.entry(job).or_insert((ts, f64::NAN));
                s.0 = s.0.min(ts);
            }
            Some("e") => {
                let id = e["id"].as_str().unwrap();
                let job: u64 = id.rsplit('#').next().unwrap().parse().unwrap();
                spans.entry(job).or_insert((f64::NAN, ts)).1 = ts;
            }
            _ => {}
        }
    }
    spans
        .into_values()
        .filter(|(s, e)| s.is_finite() && e.is_finite())
        .collect()
}

/// How many of `hi`'s jobs started while a `lo` job was between its first
/// execution and its end.
fn hi_starts_inside_lo(preemptive: bool, os: &str) -> (usize, usize) {
    let sb = Sandbox::new();
    let text = CONFIG
        .replace("PREEMPTIVE", &preemptive.to_string())
        .replace("OS", os);
    sb.run_live("np.toml", &text, &["--trace"]);
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.path().join("out/trace.json")).unwrap()).unwrap();
    let (hi, lo) = (jobs(&trace, "hi"), jobs(&trace, "lo"));
    let inside = hi
        .iter()
        .filter(|(start, _)| lo.iter().any(|(s, e)| s < start && start < e))
        .count();
    (inside, hi.len())
}

#[test]
fn a_non_preemptive_job_keeps_its_cpu_until_it_completes() {
    let _guard = serial();
    let (inside, jobs) = hi_starts_inside_lo(false, "fifo");
    assert!(jobs >= 8, "{jobs} hi jobs");
    assert_eq!(inside, 0, "{inside} of {jobs} hi jobs preempted lo");
    // The same config, preemptive: hi preempts lo (it is released 5 ms
    // into lo's 10 ms), so the check above can fail.
    let (inside, jobs) = hi_starts_inside_lo(true, "fifo");
    assert!(
        inside * 2 > jobs,
        "only {inside} of {jobs} hi jobs preempted lo"
    );
}

#[test]
fn non_preemptive_under_sched_other_is_a_located_error() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write(
        "np.toml",
        CONFIG.replace("PREEMPTIVE", "false").replace("OS", "other"),
    );
    let run = sb.rtlab(["run".as_ref(), path.as_os_str()]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("np.toml:8:14: error: `preemptive`")
            && run.stderr.contains("os_policy = \"fifo\""),
        "{}",
        run.stderr
    );
}

/// Non-preemptive with priority ceilings: a job raised to its CPU's top
/// priority locks a ceiling mutex (Linux refuses a lock above the
/// ceiling: the ceilings cover the raised priority), and every job
/// completes with its lock taken.
#[test]
fn a_raised_job_can_lock_a_ceiling_mutex() {
    let _guard = serial();
    let sb = Sandbox::new();
    let (_, v) = sb.run_live(
        "npc.toml",
        r#"
name = "np-ceiling"
duration = "0.4s"
[platform]
cpus = [1]
[scheduler]
policy = "fixed-priority"
preemptive = false
locking = "ceiling"
[[task]]
name = "hi"
period = "10ms"
wcet = "1ms"
priority = 3
[[task]]
name = "lo"
period = "20ms"
wcet = "2ms"
priority = 1
sections = [ { resource = "r", after = "0.5ms", hold = "0.5ms" } ]
"#,
        &[],
    );
    let lo = crate::live::task(&v, "lo");
    assert_eq!(lo["faults"], 0, "{lo:#}");
    assert_eq!(lo["aborted"], 0, "{lo:#}");
    assert_eq!(lo["completed"], lo["jobs"], "{lo:#}");
    assert_eq!(v["resources"][0]["acquisitions"], lo["completed"]);
}
