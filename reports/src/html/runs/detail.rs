//! The engine's facts (`environment.details` of a result) for people:
//! every value in units, per CPU where it is per CPU, never as JSON.
//!
//! The live engine records, by name: `clock_monotonic_start_ns`,
//! `cpu_dma_latency`, `foreign_ns` and `steal_ns` (per CPU),
//! `kernel_trace`, `mlockall`, `preemption_gap_ns`,
//! `sched_rr_timeslice_ms`, `sched_rt_period_us` and
//! `sched_rt_runtime_us`; `rtlab merge` adds `merged_runs`. Known names
//! get their own words; any other follows the general rule: a `_ns`,
//! `_us` or `_ms` suffix makes numbers durations (and is dropped from the
//! name), a map of CPU numbers reads `CPU 1 10.0 ms`, `true` is `yes`, a
//! list is its items, a map is `key value` pairs.

use serde_json::{Map, Value};

use crate::format;

/// Every fact of `details` as `(name, text)`, in name order, the two RT
/// throttling settings as one.
pub(super) fn details(details: &Map<String, Value>) -> Vec<(String, String)> {
    let runtime = details.get("sched_rt_runtime_us").and_then(Value::as_i64);
    let period = details.get("sched_rt_period_us").and_then(Value::as_u64);
    let mut out = Vec::new();
    for (k, v) in details {
        match (k.as_str(), runtime, period) {
            ("sched_rt_runtime_us", Some(_), Some(_)) => {}
            ("sched_rt_period_us", Some(r), Some(p)) => out.push(throttling(r, p)),
            _ => out.push(detail(k, v)),
        }
    }
    out
}

/// RT throttling (`kernel.sched_rt_runtime_us` of every
/// `kernel.sched_rt_period_us`) in words.
fn throttling(runtime_us: i64, period_us: u64) -> (String, String) {
    let period = format::duration(period_us.saturating_mul(1_000));
    let text = match u64::try_from(runtime_us) {
        Ok(r) if r >= period_us => format!("off (real-time threads may use all of every {period})"),
        Ok(r) => format!(
            "real-time threads may use {} of every {period} ({}), then wait",
            format::duration(r.saturating_mul(1_000)),
            format::percent(r as f64 / period_us.max(1) as f64)
        ),
        Err(_) => "off (sched_rt_runtime_us = -1)".to_string(),
    };
    ("RT throttling".to_string(), text)
}

/// One fact as `(name, text)`.
pub(super) fn detail(key: &str, value: &Value) -> (String, String) {
    match (key, value) {
        ("clock_monotonic_start_ns", Value::Number(n)) if n.as_u64().is_some() => {
            let ns = n.as_u64().unwrap_or(0);
            // Exact: it lines the run up with other tools' timestamps.
            let text = format!("{}.{:09} s", ns / 1_000_000_000, ns % 1_000_000_000);
            ("CLOCK_MONOTONIC at start".to_string(), text)
        }
        ("kernel_trace", Value::String(s)) => ("kernel trace".to_string(), cpu_lists(s)),
        ("merged_runs", Value::Array(runs)) => ("merged runs".to_string(), merged(runs)),
        ("sched_rt_runtime_us", Value::Number(n)) if n.as_i64() == Some(-1) => (
            "sched_rt_runtime".to_string(),
            "no limit (-1: RT throttling off)".to_string(),
        ),
        ("sched_rr_timeslice_ms", _) => ("SCHED_RR time slice".to_string(), text(value, 1_000_000)),
        _ => match unit(key) {
            Some((name, scale)) => (name.to_string(), text(value, scale)),
            None => (key.to_string(), text(value, 0)),
        },
    }
}

/// The name without its unit suffix and the suffix' nanoseconds.
fn unit(key: &str) -> Option<(&str, u64)> {
    [("_ns", 1), ("_us", 1_000), ("_ms", 1_000_000)]
        .into_iter()
        .find_map(|(suffix, scale)| key.strip_suffix(suffix).map(|name| (name, scale)))
}

/// `value` as text; numbers are durations of `scale` nanoseconds each
/// when `scale` is not 0, and the keys of a map of them CPU numbers.
fn text(value: &Value, scale: u64) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(v), _) if scale > 0 => format::duration(v.saturating_mul(scale)),
            (None, Some(v)) if scale > 0 => {
                format::signed_duration(v.saturating_mul(i64::try_from(scale).unwrap_or(1)))
            }
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "-".to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| text(i, scale))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) if map.is_empty() => "-".to_string(),
        Value::Object(map) => {
            let per_cpu = scale > 0 && map.keys().all(|k| k.parse::<u32>().is_ok());
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    if per_cpu {
                        format!("CPU {k} {}", text(v, scale))
                    } else {
                        let (name, v) = detail(k, v);
                        format!("{name} {v}")
                    }
                })
                .collect();
            parts.join(if per_cpu { ", " } else { "; " })
        }
    }
}

/// `CPUs [1, 2]` (a list as the engine prints it) as `CPUs 1, 2`, and
/// `CPUs [1]` as `CPU 1`.
fn cpu_lists(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("CPUs [") {
        let (before, after) = rest.split_at(at);
        let list = &after["CPUs [".len()..];
        let Some(end) = list.find(']') else {
            break;
        };
        out.push_str(before);
        let ids = &list[..end];
        if ids.contains(',') {
            out.push_str(&format!("CPUs {ids}"));
        } else {
            out.push_str(&format!("CPU {ids}"));
        }
        rest = &list[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The runs `rtlab merge` put together: `2 runs: seed 1, 2.00 s, started
/// …; seed 2, 2.00 s`.
fn merged(runs: &[Value]) -> String {
    let each: Vec<String> = runs
        .iter()
        .map(|r| {
            let mut parts = Vec::new();
            if let Some(seed) = r["seed"].as_u64() {
                parts.push(format!("seed {seed}"));
            }
            if let Some(ns) = r["duration_ns"].as_u64() {
                parts.push(format::duration(ns));
            }
            if let Some(at) = r["started_at"].as_str() {
                parts.push(format!("started {at}"));
            }
            parts.join(", ")
        })
        .collect();
    format!("{} runs: {}", runs.len(), each.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn per_cpu_nanoseconds_read_as_durations_per_cpu() {
        let steal = json!({ "1": 10_000_000, "2": 0 });
        assert_eq!(
            detail("steal_ns", &steal),
            ("steal".to_string(), "CPU 1 10.0 ms, CPU 2 0 ns".to_string())
        );
        assert_eq!(
            detail("preemption_gap_ns", &json!(20_000)),
            ("preemption_gap".to_string(), "20.0 µs".to_string())
        );
        assert_eq!(
            detail("foreign_ns", &json!({})),
            ("foreign".to_string(), "-".to_string())
        );
    }

    #[test]
    fn other_facts_are_words_never_json() {
        assert_eq!(
            detail("cpu_dma_latency", &json!("held at 0 us")).1,
            "held at 0 us"
        );
        assert_eq!(
            detail("mlockall", &json!(true)),
            ("mlockall".into(), "yes".into())
        );
        assert_eq!(
            detail("sched_rr_timeslice_ms", &json!(100)),
            ("SCHED_RR time slice".into(), "100 ms".into())
        );
        assert_eq!(
            detail("clock_monotonic_start_ns", &json!(26_855_489_975_792_u64)),
            (
                "CLOCK_MONOTONIC at start".into(),
                "26855.489975792 s".into()
            )
        );
        assert_eq!(
            detail(
                "kernel_trace",
                &json!("on: sched_switch on CPUs [1]; 4108 events, on CPUs [1, 3]")
            )
            .1,
            "on: sched_switch on CPU 1; 4108 events, on CPUs 1, 3"
        );
        // Not a map of numbers, a nested map, a list: still words.
        assert_eq!(
            detail("steal_ns", &json!({ "1": "n/a" })),
            ("steal".to_string(), "CPU 1 n/a".to_string())
        );
        assert_eq!(
            detail(
                "odd_thing",
                &json!({ "limit_us": 5, "mode": null, "on": [true, false] })
            )
            .1,
            "limit 5.00 µs; mode -; on yes, no"
        );
        assert_eq!(
            detail(
                "merged_runs",
                &json!([{ "seed": 1, "duration_ns": 2_000_000_000_u64, "started_at": null },
                        { "seed": 2, "duration_ns": 2_000_000_000_u64, "started_at": "t" }])
            )
            .1,
            "2 runs: seed 1, 2.00 s; seed 2, 2.00 s, started t"
        );
    }

    #[test]
    fn rt_throttling_is_one_fact_in_words() {
        let map = |runtime: i64| {
            let v = json!({
                "mlockall": false,
                "sched_rt_period_us": 1_000_000,
                "sched_rt_runtime_us": runtime,
            });
            details(v.as_object().unwrap())
        };
        assert_eq!(
            map(950_000),
            [
                ("mlockall".to_string(), "no".to_string()),
                (
                    "RT throttling".to_string(),
                    "real-time threads may use 950 ms of every 1.00 s (95.0%), then wait"
                        .to_string()
                ),
            ]
        );
        assert_eq!(map(-1)[1].1, "off (sched_rt_runtime_us = -1)");
        // One without the other: each on its own, in units.
        let alone = json!({ "sched_rt_runtime_us": -1 });
        assert_eq!(
            details(alone.as_object().unwrap())[0].1,
            "no limit (-1: RT throttling off)"
        );
    }
}
