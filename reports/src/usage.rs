//! Where a CPU's time went during a live run, in words: the terminal
//! summary and the HTML report say it the same way.
//!
//! Each part (rtlab's tasks, its `[[load]]` threads, other threads,
//! interrupt handlers, the hypervisor's steal, idle) is shown as a share
//! of the sum of the parts, not of the run's length: the parts are
//! measured over the tracing window (kernel trace) or in 10 ms ticks
//! (`/proc/stat`), which is not exactly the run, and shares of their sum
//! always add up to 100%. The nanoseconds stay in `result.json`.
//!
//! ```
//! use rtlab_reports::usage;
//! use rtlab_tasks::outcome::CpuUsage;
//!
//! let u = CpuUsage {
//!     tasks_ns: 80_000_000, load_ns: 500_000_000, foreign_ns: 30_000_000,
//!     irq_ns: 10_000_000, steal_ns: 4_000_000, idle_ns: 376_000_000,
//!     source: "kernel-trace".into(),
//! };
//! assert_eq!(
//!     usage::line(1, &u),
//!     "CPU 1: tasks 8.0%, load 50.0%, other threads 3.0%, IRQs 1.0%, steal 0.4%, \
//!      idle 37.6% (kernel trace)"
//! );
//! ```

use rtlab_tasks::model::CpuId;
use rtlab_tasks::outcome::CpuUsage;

use crate::format;

/// One part of a CPU's time.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// What it is, in words: `tasks`, `load`, `other threads`, `IRQs`,
    /// `steal`, `idle`.
    pub label: &'static str,
    /// A short name for it, usable as a CSS class: `tasks`, `load`,
    /// `foreign`, `irq`, `steal`, `idle`.
    pub key: &'static str,
    /// How long, in nanoseconds.
    pub ns: u64,
    /// Its share of the sum of the parts, in `[0, 1]`.
    pub share: f64,
}

/// The parts of `u` in a fixed order (tasks, load, other threads, IRQs,
/// steal, idle), each with its share; empty when they sum to nothing.
pub fn parts(u: &CpuUsage) -> Vec<Part> {
    let raw = [
        ("tasks", "tasks", u.tasks_ns),
        ("load", "load", u.load_ns),
        ("other threads", "foreign", u.foreign_ns),
        ("IRQs", "irq", u.irq_ns),
        ("steal", "steal", u.steal_ns),
        ("idle", "idle", u.idle_ns),
    ];
    let total: u128 = raw.iter().map(|p| u128::from(p.2)).sum();
    if total == 0 {
        return Vec::new();
    }
    raw.into_iter()
        .map(|(label, key, ns)| Part {
            label,
            key,
            ns,
            share: ns as f64 / total as f64,
        })
        .collect()
}

/// The sum of the parts of `u`, in nanoseconds (saturating).
pub fn total_ns(u: &CpuUsage) -> u64 {
    [
        u.tasks_ns,
        u.load_ns,
        u.foreign_ns,
        u.irq_ns,
        u.steal_ns,
        u.idle_ns,
    ]
    .iter()
    .fold(0u64, |a, &b| a.saturating_add(b))
}

/// Where the figures of `u` come from, in words: `kernel trace`,
/// `/proc/stat`, or the source as recorded.
pub fn source(u: &CpuUsage) -> &str {
    match u.source.as_str() {
        "kernel-trace" => "kernel trace",
        "proc-stat" => "/proc/stat",
        other => other,
    }
}

/// `CPU 1: tasks 8.0%, load 50.0%, other threads 3.0%, IRQs 1.0%, steal
/// 0.4%, idle 37.6% (kernel trace)`; `CPU 1: no time recorded (...)` when
/// the parts are all zero.
pub fn line(cpu: CpuId, u: &CpuUsage) -> String {
    let parts = parts(u);
    let body = if parts.is_empty() {
        "no time recorded".to_string()
    } else {
        parts
            .iter()
            .map(|p| format!("{} {}", p.label, format::percent(p.share)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("CPU {cpu}: {body} ({})", source(u))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(parts: [u64; 6], source: &str) -> CpuUsage {
        let [tasks_ns, load_ns, foreign_ns, irq_ns, steal_ns, idle_ns] = parts;
        CpuUsage {
            tasks_ns,
            load_ns,
            foreign_ns,
            irq_ns,
            steal_ns,
            idle_ns,
            source: source.into(),
        }
    }

    #[test]
    fn shares_are_of_the_sum_of_the_parts_and_add_up_to_one() {
        // 1.2 s of parts over a 1 s run (a coarse source): shares of the
        // sum, not of the run.
        let u = usage(
            [120_000_000, 600_000_000, 0, 0, 0, 480_000_000],
            "proc-stat",
        );
        let p = parts(&u);
        assert_eq!(p.len(), 6);
        assert!((p.iter().map(|p| p.share).sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(
            line(0, &u),
            "CPU 0: tasks 10.0%, load 50.0%, other threads 0.0%, IRQs 0.0%, steal 0.0%, \
             idle 40.0% (/proc/stat)"
        );
        assert_eq!(total_ns(&u), 1_200_000_000);
    }

    #[test]
    fn a_small_part_never_reads_as_zero() {
        let u = usage([999_990_000, 0, 0, 10_000, 0, 0], "kernel-trace");
        assert!(line(3, &u).contains("IRQs 0.001%"), "{}", line(3, &u));
    }

    #[test]
    fn no_time_at_all_says_so_and_an_unknown_source_is_kept() {
        let u = usage([0; 6], "ebpf");
        assert!(parts(&u).is_empty());
        assert_eq!(line(2, &u), "CPU 2: no time recorded (ebpf)");
        assert_eq!(total_ns(&usage([u64::MAX, 1, 0, 0, 0, 0], "")), u64::MAX);
    }
}
