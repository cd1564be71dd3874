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
    let (_, v) = sb.run_live("t123.toml", T123, &[]);
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

/// A 0.5 ms / 5 ms task (deadline 2 ms) at SCHED_FIFO 90 on CPU 1.
const CTL: &str = r#"
name = "intruded"
duration = "1s"
[platform]
cpus = [1]
[live]
os_policy = "fifo"
priority_top = 90
[[task]]
name = "ctl"
period = "5ms"
wcet = "0.5ms"
deadline = "2ms"
"#;

/// CLOCK_MONOTONIC now, ns.
fn now() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the struct we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A foreign thread (of this test process, not of rtlab) at SCHED_FIFO 95
/// on CPU 1, busy 3 ms every 47 ms until `stop`: its tid, and the
/// bursts it ran (CLOCK_MONOTONIC ns).
fn intruder(
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (u32, std::thread::JoinHandle<Vec<(u64, u64)>>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("intruder".into())
        .spawn(move || {
            // SAFETY: plain syscalls on the calling thread.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(1, &mut set);
                assert_eq!(
                    libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set),
                    0
                );
                let param = libc::sched_param { sched_priority: 95 };
                assert_eq!(libc::sched_setscheduler(0, libc::SCHED_FIFO, &param), 0);
                tx.send(libc::gettid() as u32).unwrap();
            }
            let mut bursts = Vec::new();
            let mut next = now() + 20 * MS;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let ts = libc::timespec {
                    tv_sec: (next / 1_000_000_000) as libc::time_t,
                    tv_nsec: (next % 1_000_000_000) as libc::c_long,
                };
                // SAFETY: an absolute sleep on a valid timespec.
                unsafe {
                    libc::clock_nanosleep(
                        libc::CLOCK_MONOTONIC,
                        libc::TIMER_ABSTIME,
                        &ts,
                        std::ptr::null_mut(),
                    )
                };
                let start = now();
                while now() < start + 3 * MS {
                    std::hint::spin_loop();
                }
                bursts.push((start, now()));
                next += 47 * MS;
            }
            bursts
        })
        .unwrap();
    (rx.recv().unwrap(), handle)
}

/// The misses of a task disturbed by a foreign SCHED_FIFO 95 thread name
/// it, each with the time it took from the job within 10% of what it
/// burned in the job's window (by its own clock), and the summary says it
/// in one line. A miss the intruder had no part in (this VM's host can
/// delay a wake-up by milliseconds on its own) must not blame it: it is
/// explained by the wake-up or left unaccounted.
#[test]
fn a_foreign_real_time_thread_is_named_in_the_misses_it_caused() {
    let _guard = serial();
    let sb = Sandbox::new();
    let path = sb.write("ctl.toml", CTL);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tid, handle) = intruder(std::sync::Arc::clone(&stop));
    let run = sb.rtlab([
        "run".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let bursts = handle.join().unwrap();
    run.expect_code(0);
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.path().join("out/result.json")).unwrap()).unwrap();
    let t0 = v["environment"]["details"]["clock_monotonic_start_ns"]
        .as_u64()
        .unwrap();
    let ctl = task(&v, "ctl");
    let named = format!("intruder (pid {tid}, SCHED_FIFO 95)");
    let misses = ctl["misses"].as_array().unwrap();
    let mut in_bursts = 0;
    for m in misses {
        let from = t0 + m["release_ns"].as_u64().unwrap();
        let to = from
            + m["finish_ns"]
                .as_u64()
                .map_or(0, |f| f - m["release_ns"].as_u64().unwrap());
        let burned: u64 = bursts
            .iter()
            .map(|&(s, e)| e.min(to).saturating_sub(s.max(from)))
            .sum();
        let taken = m["interference"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["source"] == named.as_str());
        if burned < MS {
            assert!(taken.is_none() || burned > 0, "{named} blamed for {m:#}");
            continue;
        }
        in_bursts += 1;
        let taken = taken.unwrap_or_else(|| panic!("{named} not in {m:#}"));
        assert_eq!(taken["kind"], "thread");
        let ns = taken["ns"].as_u64().unwrap();
        assert!(
            ns.abs_diff(burned) * 10 <= burned,
            "{named} took {ns} ns by the trace, burned {burned} ns in the window: {m:#}"
        );
    }
    // About 20 bursts of 3 ms against a 2 ms deadline: most kept misses
    // are the intruder's.
    assert!(
        in_bursts >= 4,
        "{in_bursts} of the kept misses in a burst: {ctl:#}"
    );
    // The summary names it for the task's worst miss when that one is
    // the intruder's (the interference list is largest first).
    let worst = misses
        .iter()
        .max_by_key(|m| m["lateness_ns"].as_u64().unwrap())
        .unwrap();
    if worst["interference"][0]["source"] == named.as_str() {
        assert!(
            run.stdout.lines().any(|l| l.contains("worst miss")
                && l.contains("intruder")
                && l.contains(&tid.to_string())),
            "{}",
            run.stdout
        );
    }
}

/// `lo` holds `r` for 2.5 ms of its 3 ms jobs, at the ceiling (`hi`'s
/// priority): a release of `hi` in that section waits for it. That wait
/// is a priority inversion, in `hi`'s start delay, not its wake-up
/// latency (its p90 was 1.6 ms when it counted).
#[test]
fn a_task_boosted_by_a_ceiling_shows_in_the_start_delay_not_in_the_wake_up_latency() {
    let _guard = serial();
    let sb = Sandbox::new();
    let (_, v) = sb.run_live(
        "pp.toml",
        r#"
name = "pp-wake"
duration = "1s"
[platform]
cpus = [1]
[scheduler]
policy = "fixed-priority"
priorities = "rate-monotonic"
locking = "ceiling"
[live]
os_policy = "fifo"
[[task]]
name = "hi"
period = "5ms"
wcet = "0.5ms"
sections = [ { resource = "r", after = "0.1ms", hold = "0.1ms" } ]
[[task]]
name = "lo"
period = "7ms"
wcet = "3ms"
sections = [ { resource = "r", after = "0.1ms", hold = "2.5ms" } ]
"#,
        &[],
    );
    let hi = task(&v, "hi");
    // About a third of hi's releases fall in lo's section.
    assert!(
        hi["start_delay"]["p90_ns"].as_u64().unwrap() >= MS,
        "{hi:#}"
    );
    assert!(
        hi["release_jitter"]["p90_ns"].as_u64().unwrap() < MS / 2,
        "hi's wake-up includes lo's critical section: {hi:#}"
    );
}
