//! The kernel trace of a run: started before the task threads (so that
//! their first sleep is seen), stopped after the last one, and who is who
//! in it.

use std::collections::BTreeMap;

use rtlab_tasks::model::{CpuId, System};

use super::super::attribution::{OwnTask, OwnThreads};
use super::super::kernel_trace::{Session, Timeline};
use super::super::load::LoadResult;
use super::super::thread::Class;
use super::super::workload::TaskResult;

/// Starts tracing `cpus`; without a trace (no tracefs, no privileges) the
/// run goes on and says so.
pub(super) fn start(
    (cpus, wanted): (&[CpuId], bool),
    warnings: &mut Vec<String>,
    details: &mut serde_json::Map<String, serde_json::Value>,
) -> Option<Session> {
    if !wanted {
        details.insert(
            "kernel_trace".into(),
            "off: live.kernel_trace = false".into(),
        );
        return None;
    }
    match Session::start(cpus) {
        Ok(session) => Some(session),
        Err(why) => {
            details.insert("kernel_trace".into(), format!("off: {why}").into());
            warnings.push(format!(
                "no kernel trace ({why}): misses caused by other threads, interrupts or \
                 [[load]] threads stay unexplained, and per-CPU figures come from /proc/stat \
                 (10 ms resolution)"
            ));
            None
        }
    }
}

/// Stops the trace and keeps the window `[from, to]` (CLOCK_MONOTONIC ns).
pub(super) fn finish(
    session: Option<Session>,
    (from, to): (u64, u64),
    warnings: &mut Vec<String>,
    details: &mut serde_json::Map<String, serde_json::Value>,
) -> Option<Timeline> {
    let timeline = session?.finish(from, to);
    details.insert(
        "kernel_trace".into(),
        format!(
            "on: sched_switch, sched_wakeup, irq and softirq entry/exit on CPUs {:?}; \
             {} events, {} lost ({} gaps), {} switches out of idle inferred, {} lines skipped{}",
            timeline.cpus(),
            timeline.events,
            timeline.lost_events,
            timeline.lost_gaps,
            timeline.inferred_switches,
            timeline.malformed_lines,
            if timeline.truncated {
                "; segments capped"
            } else {
                ""
            }
        )
        .into(),
    );
    warnings.extend(timeline.warnings.iter().cloned());
    Some(timeline)
}

/// rtlab's threads by kernel id: the task threads that reported, with
/// their OS priority and their CPU when pinned to one, and the load
/// threads.
pub(super) fn threads(
    system: &System,
    (classes, affinity): (&[Class], &[Vec<CpuId>]),
    results: &[Option<TaskResult>],
    (loads, helpers): (&[LoadResult], BTreeMap<u32, String>),
) -> OwnThreads {
    OwnThreads {
        tasks: results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let pinned = match affinity[i].as_slice() {
                    [one] => Some(*one),
                    _ => None,
                };
                r.as_ref().map(|r| {
                    let task = OwnTask {
                        index: i,
                        priority: classes[i].priority(),
                        cpu: pinned,
                    };
                    (r.tid, task)
                })
            })
            .collect(),
        loads: loads.iter().map(|l| (l.tid, l.name.clone())).collect(),
        helpers,
        names: system.tasks.iter().map(|t| t.name.clone()).collect(),
    }
}

/// This process's threads before any task or load thread starts (the
/// main thread, the Ctrl-C handler, the trace reader), with their names
/// (`/proc/self/task`).
pub(super) fn helper_threads() -> BTreeMap<u32, String> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return BTreeMap::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .map(|tid| {
            let comm = std::fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
                .map(|c| c.trim_end().to_string())
                .unwrap_or_default();
            (tid, comm)
        })
        .collect()
}
