//! The report's Runs section: what each run ran on, its engine's facts
//! in readable units (`detail`), its warnings, and (live) where each
//! CPU's time went, as a table with a stacked bar per CPU; and the
//! warnings again for the top of the page, under the verdict.

use serde::Serialize;

use rtlab_tasks::outcome::{CpuOutcome, Engine};

use crate::format;
use crate::run::RunView;
use crate::usage;

mod detail;

#[derive(Serialize)]
pub(super) struct KeyValue {
    key: String,
    value: String,
}

#[derive(Serialize)]
pub(super) struct EnvView {
    label: String,
    items: Vec<KeyValue>,
    /// The usage table's part columns.
    usage_header: [&'static str; 6],
    /// Live runs with CPU usage: one row per CPU.
    usage: Vec<UsageRow>,
    warnings: Vec<String>,
}

/// One CPU's time, by part.
#[derive(Serialize)]
struct UsageRow {
    cpu: String,
    /// The shares, in the order of [`USAGE_HEADER`]'s parts.
    cells: Vec<String>,
    source: String,
    /// The stacked bar: one segment per non-empty part.
    bar: Vec<Segment>,
}

/// A segment of a stacked bar.
#[derive(Serialize)]
struct Segment {
    /// The part's key (a CSS class).
    class: &'static str,
    /// Its width, a percentage of the bar with three decimals.
    width: String,
    /// Its tooltip: `load 50.0% (500 ms)`.
    title: String,
}

/// The parts of a CPU's time, as the usage table's header names them (the
/// order of [`usage::parts`]).
const USAGE_PARTS: [&str; 6] = ["tasks", "load", "other threads", "IRQs", "steal", "idle"];

/// A run's environment warnings, for the top of the page.
#[derive(Serialize)]
pub(super) struct RunWarnings {
    label: String,
    items: Vec<String>,
}

/// The warnings of `run`'s environment (steal, CPU frequency, a missing
/// kernel trace, ...), if it has any: shown under the verdict, before any
/// number, as well as with the run in the Runs section.
pub(super) fn warnings(run: &RunView) -> Option<RunWarnings> {
    let items = &run.outcome.environment.warnings;
    (!items.is_empty()).then(|| RunWarnings {
        label: run.label.clone(),
        items: items.clone(),
    })
}

fn kv(key: &str, value: String) -> KeyValue {
    KeyValue {
        key: key.into(),
        value,
    }
}

/// What `run` ran on, its engine's facts and its CPUs' time.
pub(super) fn environment(run: &RunView) -> EnvView {
    let o = &run.outcome;
    let e = &o.environment;
    let mut items = vec![
        kv("engine", run.engine().into()),
        kv("length", format::duration(o.duration_ns)),
        kv("seed", o.seed.to_string()),
        kv("result", run.dir.join("result.json").display().to_string()),
    ];
    if o.engine == Engine::Live {
        let optional = [
            ("started", o.started_at.clone()),
            ("host", e.host.clone()),
            ("kernel", e.kernel.clone()),
            ("CPUs online", e.cpus_online.map(|n| n.to_string())),
            ("OS policy", e.os_policy.clone()),
            (
                "real-time privileges",
                e.rt_privileges
                    .map(|b| if b { "yes".into() } else { "NO".into() }),
            ),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                items.push(kv(k, v));
            }
        }
        for (key, value) in detail::details(&e.details) {
            items.push(KeyValue { key, value });
        }
    }
    let busy: Vec<String> = o
        .cpus
        .iter()
        .map(|c| format!("CPU {} {}", c.id, format::percent(c.busy_ratio)))
        .collect();
    items.push(kv("CPU busy", busy.join(", ")));
    EnvView {
        label: run.label.clone(),
        items,
        usage_header: USAGE_PARTS,
        usage: o.cpus.iter().filter_map(usage_row).collect(),
        warnings: e.warnings.clone(),
    }
}

/// The usage row of `cpu`, if its run recorded where its time went.
fn usage_row(cpu: &CpuOutcome) -> Option<UsageRow> {
    let u = cpu.usage.as_ref()?;
    let parts = usage::parts(u);
    let cells = if parts.is_empty() {
        vec!["-".to_string(); USAGE_PARTS.len()]
    } else {
        parts.iter().map(|p| format::percent(p.share)).collect()
    };
    let bar = parts
        .iter()
        .filter(|p| p.ns > 0)
        .map(|p| Segment {
            class: p.key,
            width: format!("{:.3}", p.share * 100.0),
            title: format!(
                "{} {} ({})",
                p.label,
                format::percent(p.share),
                format::duration(p.ns)
            ),
        })
        .collect();
    Some(UsageRow {
        cpu: format!("CPU {}", cpu.id),
        cells,
        source: format!(
            "{} over {}",
            usage::source(u),
            format::duration(usage::total_ns(u))
        ),
        bar,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::outcome::CpuUsage;

    #[test]
    fn a_usage_row_has_a_share_per_part_and_a_segment_per_nonzero_part() {
        let cpu = CpuOutcome {
            id: 1,
            busy_ratio: 0.08,
            busy_ns: 80_000_000,
            usage: Some(CpuUsage {
                tasks_ns: 80_000_000,
                load_ns: 500_000_000,
                foreign_ns: 30_000_000,
                irq_ns: 10_000_000,
                steal_ns: 0,
                idle_ns: 380_000_000,
                source: "kernel-trace".into(),
            }),
        };
        let row = usage_row(&cpu).expect("a row");
        assert_eq!(
            row.cells,
            ["8.0%", "50.0%", "3.0%", "1.0%", "0.0%", "38.0%"]
        );
        assert_eq!(row.source, "kernel trace over 1.00 s");
        let classes: Vec<&str> = row.bar.iter().map(|s| s.class).collect();
        assert_eq!(classes, ["tasks", "load", "foreign", "irq", "idle"]);
        assert_eq!(row.bar[1].width, "50.000");
        assert_eq!(row.bar[1].title, "load 50.0% (500 ms)");
        assert!(usage_row(&CpuOutcome { usage: None, ..cpu }).is_none());
    }
}
