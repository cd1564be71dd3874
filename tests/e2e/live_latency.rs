//! What a live run calls wake-up latency: the delay from a release to the
//! thread running, less the time other rtlab tasks kept it waiting (that
//! is scheduling, shown in the start delay and the miss explanations).

use crate::live::{MS, serial, task};
use crate::util::Sandbox;

/// t1 (1 / 4 ms), t2 (2 / 6 ms), t3 (3 / 12 ms) on CPU 1, rate monotonic.
const T123: &str = r#"
name = "t123"
duration = "1s"
[platform]
cpus = [1]
[scheduler]
policy = "fixed-priority"
priorities = "rate-monotonic"
[live]
os_policy = "fifo"
[[task]]
name = "t1"
period = "4ms"
wcet = "1ms"
[[task]]
name = "t2"
period = "6ms"
wcet = "2ms"
[[task]]
name = "t3"
period = "12ms"
wcet = "3ms"
"#;

/// Every other release of t2 comes with one of t1, which runs its 1 ms
/// first: t2's start delay shows it, its wake-up latency does not (it
/// stays in microseconds; its p90 and p99 were above 1 ms when the two
/// were one quantity). The bound is on the p90, which a loaded 2-core VM
/// keeps far below 0.5 ms (its p99 is in the closing note of issue 11).
#[test]
fn a_more_urgent_task_shows_in_the_start_delay_not_in_the_wake_up_latency() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write("t123.toml", T123);
    let run = sb.rtlab([
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    run.expect_code(0);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.path().join("out/result.json")).unwrap()).unwrap();
    let t2 = task(&v, "t2");
    let wake = &t2["release_jitter"];
    let start = &t2["start_delay"];
    eprintln!(
        "t2 wake-up p50 {} p99 {} max {}; start delay p50 {} p99 {} max {} (ns)",
        wake["p50_ns"],
        wake["p99_ns"],
        wake["max_ns"],
        start["p50_ns"],
        start["p99_ns"],
        start["max_ns"]
    );
    assert!(wake["count"].as_u64().unwrap() >= 150, "{wake}");
    assert!(
        wake["p90_ns"].as_u64().unwrap() < MS / 2,
        "t2's wake-up p90 includes t1's execution: {wake}"
    );
    // t1 burns 1 ms of CPU time before t2 starts, at least at one of the
    // ~80 common releases.
    assert!(start["max_ns"].as_u64().unwrap() >= MS, "{start}");
    // t3 waits for t1 and t2 (3 ms at the synchronous release); its
    // wake-up latency does not.
    let t3 = task(&v, "t3");
    assert!(t3["start_delay"]["max_ns"].as_u64().unwrap() >= 3 * MS);
    assert!(t3["release_jitter"]["p90_ns"].as_u64().unwrap() < MS / 2);
}
