//! `report.html` of a live run that saw foreign work: the verdict names
//! the foreign cause of the worst miss, the per-task table marks a bound
//! the measurement exceeded, the response plot shows the excess, and the
//! Runs section shows where each CPU's time went and the engine's per-CPU
//! figures in readable units.

use std::fs;

use rtlab_reports::html::write_report;
use rtlab_reports::run::RunView;
use rtlab_tasks::outcome::{CpuUsage, Engine, Interference, InterferenceKind, Outcome};

use crate::sample;

/// `sample::outcome` as a live run: `t00` (on CPU 0) missed behind a
/// SCHED_FIFO intruder and an interrupt handler and went above its
/// analysis bound; both CPUs have usage; steal and foreign time per CPU
/// in `environment.details`, as the live engine records them.
fn live() -> Outcome {
    let mut o = sample::outcome(3, 300);
    o.engine = Engine::Live;
    let t0 = &mut o.tasks[0];
    let miss = t0.misses.first_mut().expect("sample::outcome has a miss");
    miss.release_jitter_ns = 18_000;
    miss.executed_ns -= 18_000;
    // The extra time makes the job 4.2 ms later than the sample's.
    miss.interference = vec![
        Interference {
            source: "intruder (pid 4242, SCHED_FIFO 95)".into(),
            kind: InterferenceKind::Thread,
            ns: 3_000_000,
        },
        Interference {
            source: "irq 11 virtio0".into(),
            kind: InterferenceKind::Irq,
            ns: 1_200_000,
        },
    ];
    miss.lateness_ns += 4_200_000;
    miss.finish_ns = miss.finish_ns.map(|f| f + 4_200_000);
    let worst = t0.response_time.max_ns.expect("t00 ran");
    let bound = t0.analysis.wcrt_ns.expect("t00 has a bound");
    assert!(worst > bound, "the sample's t00 exceeds its bound");
    t0.analysis.exceeded_ns = Some(worst - bound);
    let usage = |tasks_ns, load_ns, steal_ns, idle_ns| CpuUsage {
        tasks_ns,
        load_ns,
        foreign_ns: 30_000_000,
        irq_ns: 10_000_000,
        steal_ns,
        idle_ns,
        source: "kernel-trace".into(),
    };
    o.cpus[0].usage = Some(usage(80_000_000, 500_000_000, 4_000_000, 376_000_000));
    o.cpus[1].usage = Some(usage(250_000_000, 0, 0, 710_000_000));
    let d = &mut o.environment.details;
    d.insert(
        "steal_ns".into(),
        serde_json::json!({ "0": 4_000_000, "1": 0 }),
    );
    d.insert(
        "foreign_ns".into(),
        serde_json::json!({ "0": 30_000_000, "1": 30_000_000 }),
    );
    o
}

/// The report page of `outcome`, as text.
fn report(outcome: Outcome) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = RunView {
        label: "sample · live".into(),
        dir: dir.path().to_path_buf(),
        outcome,
        window: None,
    };
    let files =
        write_report("sample", &[run], &dir.path().join("report")).expect("the report is written");
    fs::read_to_string(files.html).expect("report.html reads back")
}

#[test]
fn a_live_report_shows_cpu_usage_foreign_causes_and_an_exceeded_bound() {
    let o = live();
    let t0 = &o.tasks[0];
    let (worst, bound) = (
        t0.response_time.max_ns.unwrap(),
        t0.analysis.wcrt_ns.unwrap(),
    );
    let fmt = rtlab_reports::format::duration;
    let html = report(o.clone());

    // The verdict: the biggest foreign cause in one line, the parts of the
    // worst miss, and the task above its bound.
    for text in [
        "; biggest foreign cause: 3.00 ms taken by `intruder` (pid 4242, SCHED_FIFO 95) on CPU 0; \
         worst: `t00` job 3",
        "+ 3.00 ms while `intruder` (pid 4242, SCHED_FIFO 95) ran on CPU 0 \
         + 1.20 ms in interrupt handler irq 11 virtio0 + 18.0 µs wake-up",
        &format!(
            "`t00` exceeded the analysis bound: worst {} &gt; bound {} (+{})",
            fmt(worst),
            fmt(bound),
            fmt(worst - bound)
        ),
    ] {
        assert!(html.contains(text), "verdict lacks {text}");
    }
    // The per-task table marks the exceeded bound, and only that one.
    let marked = format!(
        "<td class=\"exceeded\">{}, exceeded by {}</td>",
        fmt(bound),
        fmt(worst - bound)
    );
    assert!(html.contains(&marked), "table lacks {marked}");
    assert_eq!(html.matches("<td class=\"exceeded\">").count(), 1);
    // The response plot marks the excess.
    assert!(
        html.contains(&format!("+{} over bound", fmt(worst - bound))),
        "the plot does not mark the excess"
    );

    // Where each CPU's time went: a row per CPU, shares and a stacked bar.
    let row = "<tr><td>CPU 0</td><td>8.0%</td><td>50.0%</td><td>3.0%</td><td>1.0%</td>\
               <td>0.4%</td><td>37.6%</td><td>kernel trace over 1.00 s</td>";
    assert!(html.contains(row), "no usage row for CPU 0");
    assert!(html.contains("<tr><td>CPU 1</td><td>25.0%</td><td>0.0%</td>"));
    assert!(html.contains("<span class=\"load\" style=\"width: 50.000%\""));
    // Per-CPU engine figures read as durations, not JSON.
    assert!(html.contains("<dt>steal</dt><dd>CPU 0 4.00 ms, CPU 1 0 ns</dd>"));
    assert!(html.contains("<dt>foreign</dt><dd>CPU 0 30.0 ms, CPU 1 30.0 ms</dd>"));
    assert!(!html.contains("steal_ns") && !html.contains("&quot;0&quot;"));
}

#[test]
fn a_simulated_report_has_no_usage_table_and_no_excess() {
    let html = report(sample::outcome(3, 300));
    assert!(!html.contains("class=\"usage\""));
    assert!(!html.contains("exceeded by") && !html.contains("over bound"));
    assert!(!html.contains("foreign cause"));
}

/// Every `<dd>` of the Runs section's facts.
fn facts(html: &str) -> Vec<&str> {
    html.split("<dd>")
        .skip(1)
        .filter_map(|s| s.split("</dd>").next())
        .collect()
}

#[test]
fn environment_warnings_come_first_and_every_fact_reads_in_words() {
    let mut o = live();
    let steal = "the hypervisor took 12% of CPU 0 (steal): expect longer tails";
    o.environment.warnings = vec![steal.to_string()];
    // Everything the live engine records, as it records it.
    let d = &mut o.environment.details;
    for (k, v) in [
        (
            "clock_monotonic_start_ns",
            serde_json::json!(26_855_489_975_792_u64),
        ),
        ("cpu_dma_latency", serde_json::json!("held at 0 us")),
        (
            "kernel_trace",
            serde_json::json!("on: sched_switch on CPUs [0, 1]; 4108 events, 0 lost"),
        ),
        ("mlockall", serde_json::json!(true)),
        ("preemption_gap_ns", serde_json::json!(20_000)),
        ("sched_rr_timeslice_ms", serde_json::json!(100)),
        ("sched_rt_period_us", serde_json::json!(1_000_000)),
        ("sched_rt_runtime_us", serde_json::json!(950_000)),
    ] {
        d.insert(k.into(), v);
    }
    let html = report(o);
    // Under the verdict, before any number, and again with the run.
    let first = html.find(steal).expect("the warning is shown");
    let verdict = html.find("<section id=\"verdict\">").unwrap();
    let numbers = html.find("<section id=\"summary\">").unwrap();
    assert!(verdict < first && first < numbers, "not under the verdict");
    let runs = html.find("<section id=\"environment\">").unwrap();
    assert!(html[runs..].contains(steal), "not with its run");
    // No fact is JSON.
    let values = facts(&html);
    assert!(values.len() >= 12, "{values:?}");
    for v in &values {
        assert!(
            !v.contains('{') && !v.contains('[') && !v.contains("&quot;"),
            "raw JSON: {v}"
        );
    }
    for text in [
        "<dt>CLOCK_MONOTONIC at start</dt><dd>26855.489975792 s</dd>",
        "<dt>kernel trace</dt><dd>on: sched_switch on CPUs 0, 1; 4108 events, 0 lost</dd>",
        "<dt>mlockall</dt><dd>yes</dd>",
        "<dt>RT throttling</dt><dd>real-time threads may use 950 ms of every 1.00 s (95.0%), \
         then wait</dd>",
    ] {
        assert!(html.contains(text), "{text}");
    }
}

#[test]
fn a_run_without_warnings_has_no_warning_box() {
    let html = report(live());
    assert!(!html.contains("class=\"trust\""));
}
