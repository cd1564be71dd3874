//! The kernel trace as attribution reads it.

use rtlab_tasks::model::CpuId;

use super::{Observed, Occupant, State};
use crate::live::kernel_trace::{KernelPrio, ThreadState, Timeline, Who};

impl Observed for Timeline {
    fn states(&self, tid: u32, from: u64, to: u64) -> Vec<(u64, u64, State)> {
        self.thread_states(tid, from, to)
            .into_iter()
            .map(|s| {
                let state = match s.state {
                    ThreadState::Running { cpu } | ThreadState::Interrupted { cpu } => {
                        State::Running(cpu)
                    }
                    ThreadState::Runnable => State::Runnable,
                    ThreadState::Asleep => State::Asleep,
                    ThreadState::Exited | ThreadState::Unknown => State::Unknown,
                };
                (s.start_ns, s.end_ns, state)
            })
            .collect()
    }

    fn occupants(&self, cpu: CpuId, from: u64, to: u64) -> Vec<(Occupant, u64)> {
        self.occupancy(cpu, from, to)
            .into_iter()
            .map(|(who, ns)| (occupant(who), ns))
            .collect()
    }

    fn name(&self, who: Occupant) -> String {
        match who {
            Occupant::Thread(tid) => {
                let comm = self
                    .thread(tid)
                    .map_or_else(|| "?".to_string(), |t| t.comm.clone());
                let class = self
                    .thread(tid)
                    .and_then(|t| t.priority())
                    .map(class_name(tid));
                match class {
                    Some(class) => format!("{comm} (pid {tid}, {class})"),
                    None => format!("{comm} (pid {tid})"),
                }
            }
            Occupant::Irq(n) => self.describe(Who::Irq(n)),
            Occupant::Softirq(v) => self.describe(Who::Softirq(v)),
            Occupant::Idle => "idle".into(),
            Occupant::Unknown => "unknown".into(),
        }
    }
}

fn occupant(who: Who) -> Occupant {
    match who {
        Who::Unknown => Occupant::Unknown,
        Who::Idle => Occupant::Idle,
        Who::Thread(t) => Occupant::Thread(t),
        Who::Irq(n) => Occupant::Irq(n),
        Who::Softirq(v) => Occupant::Softirq(v),
    }
}

/// The class of thread `tid` in words: `SCHED_FIFO 95` (the kernel's
/// priority in the trace does not tell FIFO from RR; the thread's policy,
/// asked while it still exists, does), `SCHED_OTHER nice 0`,
/// `SCHED_DEADLINE`.
fn class_name(tid: u32) -> impl Fn(KernelPrio) -> String {
    move |prio| match prio {
        KernelPrio::Deadline => "SCHED_DEADLINE".to_string(),
        KernelPrio::Nice(n) => format!("SCHED_OTHER nice {n}"),
        KernelPrio::RealTime(p) => {
            // SAFETY: sched_getscheduler takes a plain id; it fails
            // (ESRCH) for a thread that no longer exists.
            let policy = unsafe { libc::sched_getscheduler(tid as libc::pid_t) };
            let name = match policy & !libc::SCHED_RESET_ON_FORK {
                libc::SCHED_FIFO => "SCHED_FIFO",
                libc::SCHED_RR => "SCHED_RR",
                _ => "real-time",
            };
            format!("{name} {p}")
        }
    }
}
