//! Where the CPU time of a live run went: the tasks' own CPU time per CPU,
//! the `[[load]]` threads', and what `/proc/stat` says the hypervisor
//! (steal) and other processes (foreign) took.

use std::collections::BTreeMap;
use std::thread::JoinHandle;

use rtlab_tasks::model::{CpuId, System};
use rtlab_tasks::outcome::{CpuOutcome, CpuUsage};

use super::super::attribution::OwnThreads;
use super::super::clock;
use super::super::environment::{self, CpuTicks};
use super::super::kernel_trace::{CpuTime, Timeline};
use super::super::load::LoadResult;
use super::super::workload::TaskResult;
use crate::ledger;

/// `/proc/stat` per CPU at one instant (CLOCK_MONOTONIC ns).
pub(super) struct Snapshot {
    ticks: BTreeMap<CpuId, CpuTicks>,
    at: u64,
}

impl Snapshot {
    pub(super) fn take() -> Self {
        Snapshot {
            ticks: environment::cpu_ticks(),
            at: clock::now(),
        }
    }
}

/// The `[[load]]` threads' reports (those that ended).
pub(super) fn join_loads(loads: Vec<JoinHandle<LoadResult>>) -> Vec<LoadResult> {
    loads.into_iter().filter_map(|h| h.join().ok()).collect()
}

/// CPU time of the `[[load]]` threads, by CPU, in ns.
pub(super) fn load_time(loads: &[LoadResult]) -> BTreeMap<CpuId, u64> {
    let mut load_cpu: BTreeMap<CpuId, u64> = BTreeMap::new();
    for l in loads {
        *load_cpu.entry(l.cpu).or_default() += l.cpu_ns;
    }
    load_cpu
}

/// What a finished run knows about CPU time.
pub(super) struct Usage<'a> {
    pub(super) system: &'a System,
    pub(super) affinity: &'a [Vec<CpuId>],
    pub(super) results: &'a [Option<TaskResult>],
    pub(super) load_cpu: &'a BTreeMap<CpuId, u64>,
    /// Length of the run, in ns.
    pub(super) length: u64,
    /// The kernel trace of the run, and who is who in it.
    pub(super) kernel: Option<(&'a Timeline, &'a OwnThreads)>,
}

impl Usage<'_> {
    /// Per CPU figures; steal and foreign time go to `details`, with a
    /// warning when they were large.
    pub(super) fn figures(
        &self,
        before: &Snapshot,
        after: &Snapshot,
        warnings: &mut Vec<String>,
        details: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Vec<CpuOutcome> {
        let platform = &self.system.platform.cpus;
        let (own, busy) = self.task_time();
        let elapsed = after.at.saturating_sub(before.at);
        let ticks = environment::tick_time(&before.ticks, &after.ticks, elapsed, &own);
        let steal: BTreeMap<CpuId, u64> = ticks.iter().map(|(c, t)| (*c, t.steal)).collect();
        let foreign: BTreeMap<CpuId, u64> = ticks.iter().map(|(c, t)| (*c, t.foreign)).collect();
        let per_cpu = |m: &BTreeMap<CpuId, u64>| -> serde_json::Value {
            m.iter()
                .filter(|(c, _)| platform.contains(c) || self.load_cpu.contains_key(c))
                .map(|(c, v)| (c.to_string(), serde_json::Value::from(*v)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        details.insert("steal_ns".into(), per_cpu(&steal));
        details.insert("foreign_ns".into(), per_cpu(&foreign));
        let worst_foreign = foreign
            .iter()
            .filter(|(c, _)| platform.contains(c))
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0);
        let length = self.length;
        if length > 0
            && worst_foreign > environment::FOREIGN_NOISE_NS
            && worst_foreign * 10 > length
        {
            warnings.push(format!(
                "other processes used {:.0}% of a platform CPU during the run: expect longer tails",
                worst_foreign as f64 * 100.0 / length as f64
            ));
        }
        let worst_steal = steal.values().copied().max().unwrap_or(0);
        if worst_steal > 0 {
            warnings.push(format!(
                "the hypervisor took {:.1} ms of CPU time from this VM (steal) during the run",
                worst_steal as f64 / 1e6
            ));
        }
        platform
            .iter()
            .map(|&id| {
                let t = ticks.get(&id).copied().unwrap_or_default();
                let traced = self
                    .kernel
                    .and_then(|(k, own)| Some((k.totals(id)?, own)))
                    .map(|(time, own)| traced_usage(time, own, t.steal));
                let usage = traced.unwrap_or_else(|| CpuUsage {
                    tasks_ns: busy.get(&id).copied().unwrap_or(0),
                    load_ns: self.load_cpu.get(&id).copied().unwrap_or(0),
                    foreign_ns: t.foreign,
                    irq_ns: t.irq,
                    steal_ns: t.steal,
                    idle_ns: t.idle,
                    source: "proc-stat".into(),
                });
                // The trace says where each thread ran; without it, a
                // thread free to use several CPUs is spread over them.
                let mut cpu = ledger::cpu_outcome(id, usage.tasks_ns, length);
                cpu.usage = Some(usage);
                cpu
            })
            .collect()
    }

    /// CPU time per CPU: (rtlab's own, loads included; the tasks'). Pinned
    /// threads count on their CPU, the others are spread evenly over the
    /// CPUs they may use.
    fn task_time(&self) -> (BTreeMap<CpuId, u64>, BTreeMap<CpuId, u64>) {
        let mut own = self.load_cpu.clone();
        let mut busy: BTreeMap<CpuId, u64> = BTreeMap::new();
        for (i, r) in self.results.iter().enumerate() {
            let Some(r) = r else { continue };
            let mut add = |c: CpuId, ns: u64| {
                *own.entry(c).or_default() += ns;
                *busy.entry(c).or_default() += ns;
            };
            let cpus = self.affinity[i].as_slice();
            let share = r.cpu_ns / cpus.len().max(1) as u64;
            for &c in cpus {
                add(c, share);
            }
        }
        (own, busy)
    }
}

/// A CPU's usage from the kernel trace (1 µs resolution; what the trace
/// could not see, before its first event on the CPU or after lost events,
/// counts as foreign), with the steal from `/proc/stat` (`steal_ns`,
/// which the trace cannot see: it overlaps the other parts).
fn traced_usage(time: &CpuTime, own: &OwnThreads, steal_ns: u64) -> CpuUsage {
    let mut usage = CpuUsage {
        irq_ns: time.irq_ns + time.softirq_ns,
        idle_ns: time.idle_ns,
        steal_ns,
        foreign_ns: time.unknown_ns,
        source: "kernel-trace".into(),
        ..CpuUsage::default()
    };
    for (tid, &ns) in &time.threads {
        if own.tasks.contains_key(tid) {
            usage.tasks_ns += ns;
        } else if own.loads.contains_key(tid) {
            usage.load_ns += ns;
        } else if *tid == 0 {
            usage.idle_ns += ns;
        } else {
            usage.foreign_ns += ns;
        }
    }
    usage
}
