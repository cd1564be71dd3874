//! What ran on the task CPUs during a live run, from the kernel's own
//! scheduler and interrupt tracepoints, so that a missed deadline can name
//! the foreign thread or interrupt that took the time.
//!
//! [`Session::start`] finds tracefs (mounting it when absent), creates a
//! trace instance of its own (`instances/rtlab-<pid>-<n>`: its own ring
//! buffer, so nothing else using tracefs is disturbed) on `CLOCK_MONOTONIC`
//! (`trace_clock` `mono`, the clock of every timestamp of a run), enables
//! `sched_switch`, `sched_wakeup(_new)`, `irq_handler_entry/exit` and
//! `softirq_entry/exit`, and starts one reader thread, `rtlab-ktrace`, that
//! parses `trace_pipe` as it fills. [`Session::finish`] stops it and cuts
//! out a [`Timeline`] of the run's window: per CPU, who held it when
//! (threads, idle, interrupt handlers, softirqs, and "unknown" where the
//! trace cannot say), names and priorities, wake-up times, and the queries
//! a miss explanation needs. The instance is removed by `finish`, on drop
//! (a run that errors out), and, for a process that was killed, by the
//! next session.
//!
//! Only events on the traced CPUs are kept: the per-CPU events are
//! filtered in the kernel with `CPU == n`, and the wake-ups with
//! `target_cpu == n`, so that a task woken from another CPU is seen too.
//! `sched_wakeup` rather than the issue's `sched_waking`: the latter's
//! `target_cpu` is the CPU the thread last ran on, not the one it is woken
//! onto, so a thread moved onto a traced CPU at its wake-up was missed.
//! (A kernel refusing `CPU` filters falls back to `tracing_cpumask`, and
//! wake-ups issued from other CPUs are then missed; the timeline says so.)
//!
//! Limits: timestamps have microsecond resolution (what `trace_pipe`
//! prints); the local timer and inter-processor interrupts are not
//! `irq_handler` events, so their (microseconds of) handler time counts as
//! the time of the thread they interrupted; and some kernels do not report
//! every `sched_switch` (see the builder: switches out of idle are
//! inferred, other gaps stay "unknown", never given to someone).

mod builder;
mod parse;
mod reader;
mod task_state;
mod timeline;
mod tracefs;

use std::path::{Path, PathBuf};

use rtlab_tasks::model::CpuId;

pub(crate) use builder::{Builder, DEFAULT_CAP};
#[cfg(test)]
pub(crate) use task_state::TaskState;
pub(crate) use timeline::{CpuTime, KernelPrio, ThreadState, Timeline, Who};
#[cfg(test)]
pub(crate) use timeline::{Ended, Segment, StateSpan};

use crate::live::clock;

/// Kernel buffer per traced CPU, KiB: about a second of a CPU switching
/// every 25 µs, while the reader wakes every 10 ms.
const TRACED_BUFFER_KB: u32 = 4096;

/// Kernel buffer of the other CPUs, KiB: they only hold wakeups of threads
/// on the traced CPUs.
const OTHER_BUFFER_KB: u32 = 256;

/// Why the kernel cannot be traced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum Unavailable {
    /// No CPU was given.
    #[error("no CPU to trace")]
    NoCpus,
    /// Not running as root.
    #[error(
        "tracing the kernel's scheduler needs root (running as uid {euid}); run as root to see \
         which threads and interrupts took the task CPUs"
    )]
    NotRoot {
        /// The effective user id.
        euid: u32,
    },
    /// tracefs is not mounted and could not be.
    #[error(
        "tracefs is not mounted (looked in /sys/kernel/tracing and /sys/kernel/debug/tracing) \
         and mounting it at /sys/kernel/tracing failed: {source}; mount it with \
         `mount -t tracefs nodev /sys/kernel/tracing`, or use a kernel built with CONFIG_FTRACE"
    )]
    NoTracefs {
        /// The system's error.
        source: std::io::Error,
    },
    /// A tracepoint is missing.
    #[error(
        "the kernel has no tracepoint {event} ({path} is missing); a kernel built with \
         CONFIG_FTRACE has it"
    )]
    EventMissing {
        /// The event (`sched/sched_switch`).
        event: &'static str,
        /// The directory looked for.
        path: PathBuf,
    },
    /// The trace instance could not be created.
    #[error(
        "cannot create the trace instance {path}: {source} (tracefs read-only, or a kernel \
         older than 4.1 without instances?)"
    )]
    Instance {
        /// The instance directory.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// A tracefs file refused a setting.
    #[error("{path} refused {value:?}: {source}")]
    Refused {
        /// The file.
        path: PathBuf,
        /// What was written.
        value: String,
        /// The system's error.
        source: std::io::Error,
    },
    /// `trace_pipe` could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// The reader thread could not start.
    #[error("cannot start the trace reader thread: {source}")]
    Thread {
        /// The system's error.
        source: std::io::Error,
    },
}

/// A kernel trace being recorded. Drop removes the trace instance.
#[derive(Debug)]
pub(crate) struct Session {
    cpus: Vec<CpuId>,
    /// Taken by `finish` or drop; always `Some` before.
    reader: Option<reader::Reader>,
    instance: tracefs::Instance,
    warnings: Vec<String>,
}

impl Session {
    /// Starts tracing `cpus`, storing at most [`DEFAULT_CAP`] segments.
    pub(crate) fn start(cpus: &[CpuId]) -> Result<Session, Unavailable> {
        Session::start_with_cap(cpus, DEFAULT_CAP)
    }

    /// Starts tracing `cpus`, storing at most `cap` segments and wakeups
    /// (16 and 8 bytes each; see [`Timeline::truncated`]).
    pub(crate) fn start_with_cap(cpus: &[CpuId], cap: usize) -> Result<Session, Unavailable> {
        if cpus.is_empty() {
            return Err(Unavailable::NoCpus);
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        if euid != 0 {
            return Err(Unavailable::NotRoot { euid });
        }
        let root = tracefs::root()?;
        for event in tracefs::EVENTS {
            let path = root.join("events").join(event);
            if !path.is_dir() {
                return Err(Unavailable::EventMissing { event, path });
            }
        }
        let instance = tracefs::Instance::create(&root)?;
        let warnings = configure(&instance, cpus)?;
        let pipe_path = instance.dir().join("trace_pipe");
        let pipe = open_nonblocking(&pipe_path).map_err(|source| Unavailable::Open {
            path: pipe_path,
            source,
        })?;
        instance.write("tracing_on", "1")?;
        let builder = Builder::new(cpus, cap);
        let reader =
            reader::spawn(pipe, builder).map_err(|source| Unavailable::Thread { source })?;
        probe(cpus);
        Ok(Session {
            cpus: cpus.to_vec(),
            reader: Some(reader),
            instance,
            warnings,
        })
    }

    /// The trace instance's directory (removed by `finish` and on drop).
    #[cfg(test)]
    pub(crate) fn instance_dir(&self) -> &Path {
        self.instance.dir()
    }

    /// Stops tracing, removes the instance, and returns what ran on the
    /// traced CPUs over `[from_ns, to_ns)` (`CLOCK_MONOTONIC` ns; call it
    /// soon after `to_ns`, within [`builder::SETTLE_NS`], for exact totals
    /// of a truncated timeline).
    pub(crate) fn finish(mut self, from_ns: u64, to_ns: u64) -> Timeline {
        let stopped_ns = clock::now();
        let mut warnings = std::mem::take(&mut self.warnings);
        let built = self.stop(&mut warnings);
        if let Err(e) = self.instance.remove() {
            warnings.push(format!(
                "could not remove the trace instance {}: {e}",
                self.instance.dir().display()
            ));
        }
        let mut timeline = match built {
            Some(builder) => builder.finish(from_ns, to_ns, stopped_ns),
            // Nothing known: every CPU unknown over the window.
            None => Builder::new(&self.cpus, 0).finish(from_ns, to_ns, from_ns),
        };
        warnings.append(&mut timeline.warnings);
        timeline.warnings = warnings;
        timeline
    }

    /// Turns tracing off and stops the reader once it has drained the pipe.
    fn stop(&mut self, warnings: &mut Vec<String>) -> Option<Builder> {
        let reader = self.reader.take()?;
        if let Err(e) = self.instance.write("tracing_on", "0") {
            // The reader would never see the pipe run dry: the buffer is
            // dropped with the instance anyway.
            warnings.push(format!("could not stop the kernel trace: {e}"));
        }
        match reader.stop() {
            Ok(builder) => Some(builder),
            Err(why) => {
                warnings.push(why);
                None
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // The reader holds the pipe open, which keeps the instance busy:
        // stop it first; the instance removes itself when dropped next.
        let _ = self.stop(&mut Vec::new());
    }
}

/// Sets the instance up: clock, buffers, filters, events. Returns what
/// the timeline should warn about.
fn configure(instance: &tracefs::Instance, cpus: &[CpuId]) -> Result<Vec<String>, Unavailable> {
    let mut warnings = Vec::new();
    // Changing the clock or the buffers resets the buffer: do it stopped.
    instance.write("tracing_on", "0")?;
    instance.write("trace_clock", "mono")?;
    instance.write("buffer_size_kb", &OTHER_BUFFER_KB.to_string())?;
    for cpu in cpus {
        let file = format!("per_cpu/cpu{cpu}/buffer_size_kb");
        instance.write(&file, &TRACED_BUFFER_KB.to_string())?;
    }
    let on_cpus = tracefs::cpu_filter("CPU", cpus);
    let filtered = tracefs::EVENTS
        .iter()
        .filter(|e| !e.starts_with("sched/sched_wakeup"))
        .try_for_each(|e| instance.write(&format!("events/{e}/filter"), &on_cpus));
    if filtered.is_err() {
        for e in tracefs::EVENTS {
            // Clear any filter that was taken before the refusal.
            let _ = instance.write(&format!("events/{e}/filter"), "0");
        }
        instance.write("tracing_cpumask", &tracefs::cpumask(cpus))?;
        warnings.push(
            "this kernel refuses CPU event filters: wake-ups issued from untraced CPUs are \
             not recorded"
                .to_string(),
        );
    }
    for e in ["sched/sched_wakeup", "sched/sched_wakeup_new"] {
        instance.write(
            &format!("events/{e}/filter"),
            &tracefs::cpu_filter("target_cpu", cpus),
        )?;
    }
    for e in tracefs::EVENTS {
        instance.write(&format!("events/{e}/enable"), "1")?;
    }
    Ok(warnings)
}

fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Runs a throw-away thread on each traced CPU: its switch in and out are
/// the CPU's first events, so the timeline knows who held each CPU from
/// the start instead of only from its first event (an idle CPU may have
/// none for seconds).
fn probe(cpus: &[CpuId]) {
    for &cpu in cpus {
        let probe = std::thread::Builder::new()
            .name("rtlab-ktrace-p".to_string())
            .spawn(move || crate::live::thread::pin(&[cpu]).is_ok());
        if let Ok(handle) = probe {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod synthetic;

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Real sessions run one at a time: they measure the CPUs they share.
    static REAL: Mutex<()> = Mutex::new(());

    /// A session on `cpu`, or `None` (the reason printed) where the kernel
    /// cannot be traced: not root, no tracefs, or a CPU not allowed here.
    fn real_session(cpu: CpuId) -> Option<Session> {
        if !crate::live::thread::allowed_cpus().contains(&cpu) {
            eprintln!("skipped: CPU {cpu} is not available to this process");
            return None;
        }
        match Session::start(&[cpu]) {
            Ok(session) => Some(session),
            Err(e @ (Unavailable::NotRoot { .. } | Unavailable::NoTracefs { .. })) => {
                eprintln!("skipped: {e}");
                None
            }
            Err(e) => panic!("root and tracefs, yet no trace: {e}"),
        }
    }

    #[test]
    fn a_thread_spinning_60_ms_on_cpu_1_is_seen_running_there_and_woken() {
        let _one = REAL.lock().unwrap_or_else(|e| e.into_inner());
        let Some(session) = real_session(1) else {
            return;
        };
        let dir = session.instance_dir().to_path_buf();
        assert!(dir.is_dir());
        let from = clock::now();
        let spinner = std::thread::Builder::new()
            .name("ktrace-spinner".to_string())
            .spawn(|| {
                crate::live::thread::pin(&[1]).expect("pin to CPU 1");
                // Real-time, as the runner's tasks: no SCHED_OTHER thread
                // cuts the spins.
                crate::live::thread::set_class(crate::live::thread::Class::Fifo(10))
                    .expect("SCHED_FIFO as root");
                // SAFETY: gettid has no preconditions.
                let tid = unsafe { libc::gettid() } as u32;
                // 30 ms of CPU time, not of wall time: a preempted spin
                // still runs 30 ms.
                for _ in 0..2 {
                    let start = clock::thread_cpu();
                    while clock::thread_cpu() - start < 30_000_000 {}
                    clock::sleep_until(clock::now() + 20_000_000);
                }
                (tid, clock::thread_cpu())
            })
            .expect("spawn");
        let (tid, cpu_ns) = spinner.join().expect("spinner");
        let to = clock::now();
        let timeline = session.finish(from, to);
        assert!(!dir.exists(), "{} left behind", dir.display());

        let totals = timeline.totals(1).expect("CPU 1 traced");
        let ran = totals.threads.get(&tid).copied().unwrap_or(0);
        // This kernel drops some sched_switch events (every switch out of
        // idle on CPU 1, about 1% of the others): a switch-in it does not
        // report leaves the time until the thread's next event unknown,
        // never someone else's. So: all 60 ms are the spinner's or
        // unknown, most of them known to be its, none invented (at most
        // its CPU time plus the untraced timer interrupts).
        assert!(
            ran + totals.unknown_ns >= 55_000_000
                && (45_000_000..=cpu_ns + 1_000_000).contains(&ran),
            "ran {ran} ns on CPU 1, {cpu_ns} ns of CPU time; {totals:?}; {} lost, {} inferred",
            timeline.lost_gaps,
            timeline.inferred_switches
        );
        assert_eq!(totals.total_ns(), to - from);
        let name = timeline.thread(tid).map(|t| t.comm.as_str());
        assert_eq!(name, Some("ktrace-spinner"));
        assert!(timeline.wakeups(tid, from, to).len() >= 2);
        let states = timeline.thread_states(tid, from, to);
        let asleep: u64 = states
            .iter()
            .filter(|s| s.state == ThreadState::Asleep)
            .map(|s| s.end_ns - s.start_ns)
            .sum();
        assert!(asleep >= 38_000_000, "asleep {asleep} ns: {states:?}");
    }

    #[test]
    fn a_session_dropped_without_finish_removes_its_instance() {
        let _one = REAL.lock().unwrap_or_else(|e| e.into_inner());
        let Some(session) = real_session(1) else {
            return;
        };
        let dir = session.instance_dir().to_path_buf();
        assert!(dir.is_dir());
        drop(session);
        assert!(!dir.exists(), "{} left behind", dir.display());
    }

    #[test]
    fn a_new_session_removes_the_instance_of_a_killed_rtlab() {
        let _one = REAL.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(root) = tracefs::root() else {
            eprintln!("skipped: no tracefs");
            return;
        };
        let mut gone = std::process::Command::new("true")
            .spawn()
            .expect("spawn true");
        gone.wait().expect("wait");
        let stale = root.join(format!("instances/rtlab-{}-0", gone.id()));
        if std::fs::create_dir(&stale).is_err() {
            eprintln!("skipped: cannot create {}", stale.display());
            return;
        }
        let session = real_session(1);
        let left = stale.exists();
        let _ = std::fs::remove_dir(&stale);
        drop(session);
        assert!(!left, "{} left behind", stale.display());
    }
}
