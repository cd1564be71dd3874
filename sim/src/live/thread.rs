//! Setting up a task thread: CPU affinity, Linux scheduling class and
//! priority, timer slack; and finding out what the process may do.

use thread_priority::{
    DeadlineFlags, RealtimeThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
    set_thread_priority_and_policy, thread_native_id,
};

use rtlab_tasks::model::{CpuId, OsPolicy};

/// The scheduling a thread asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// SCHED_FIFO at this priority (1..=99).
    Fifo(u8),
    /// SCHED_RR at this priority (1..=99).
    Rr(u8),
    /// SCHED_DEADLINE with runtime, deadline and period in nanoseconds.
    Deadline {
        /// Budget per period, ns.
        runtime: u64,
        /// Relative deadline, ns.
        deadline: u64,
        /// Period, ns.
        period: u64,
    },
    /// SCHED_OTHER with 1 ns timer slack.
    Other,
}

impl Class {
    /// The config spelling of the class.
    pub(crate) fn os_policy(self) -> OsPolicy {
        match self {
            Class::Fifo(_) => OsPolicy::Fifo,
            Class::Rr(_) => OsPolicy::Rr,
            Class::Deadline { .. } => OsPolicy::Deadline,
            Class::Other => OsPolicy::Other,
        }
    }

    /// The class as Linux names it: `SCHED_FIFO 90`, `SCHED_DEADLINE`.
    pub(crate) fn describe(self) -> String {
        match self {
            Class::Fifo(p) => format!("SCHED_FIFO {p}"),
            Class::Rr(p) => format!("SCHED_RR {p}"),
            Class::Deadline { .. } => "SCHED_DEADLINE".to_string(),
            Class::Other => "SCHED_OTHER".to_string(),
        }
    }

    /// The OS priority (0 for DEADLINE and OTHER).
    pub(crate) fn priority(self) -> u8 {
        match self {
            Class::Fifo(p) | Class::Rr(p) => p,
            _ => 0,
        }
    }
}

/// Why a thread could not be set up as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SetupError {
    /// The affinity call failed.
    #[error("cannot pin the thread to CPUs {cpus:?}: {source}")]
    Affinity {
        /// The CPUs asked for.
        cpus: Vec<CpuId>,
        /// The system's error.
        source: std::io::Error,
    },
    /// The scheduling class could not be set.
    #[error("cannot set {class:?}: {source}")]
    Policy {
        /// The class asked for.
        class: Class,
        /// The system's error.
        source: std::io::Error,
    },
}

/// Restricts the calling thread to `cpus` (one CPU: pinned).
pub(crate) fn pin(cpus: &[CpuId]) -> Result<(), SetupError> {
    if let [one] = cpus {
        // core_affinity reports only success; errno tells why not.
        if core_affinity::set_for_current(core_affinity::CoreId { id: *one as usize }) {
            return Ok(());
        }
        return Err(SetupError::Affinity {
            cpus: cpus.to_vec(),
            source: std::io::Error::last_os_error(),
        });
    }
    // SAFETY: `set` is a properly initialised cpu_set_t on the stack; CPU
    // numbers were validated below CPU_SETSIZE by the config loader.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c as usize, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(SetupError::Affinity {
            cpus: cpus.to_vec(),
            source: std::io::Error::last_os_error(),
        })
    }
}

/// Sets the calling thread's scheduling class, then (for SCHED_OTHER) its
/// timer slack to 1 ns: a switch to a fair class resets the slack to the
/// 50 µs default, so the slack is set after the last policy change.
pub(crate) fn set_class(class: Class) -> Result<(), SetupError> {
    let err = |source| SetupError::Policy { class, source };
    let result = match class {
        Class::Fifo(p) | Class::Rr(p) => {
            let policy = if matches!(class, Class::Fifo(_)) {
                RealtimeThreadSchedulePolicy::Fifo
            } else {
                RealtimeThreadSchedulePolicy::RoundRobin
            };
            let value = p.try_into().map_err(|_| {
                err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "priority out of range",
                ))
            })?;
            set_thread_priority_and_policy(
                thread_native_id(),
                ThreadPriority::Crossplatform(value),
                ThreadSchedulePolicy::Realtime(policy),
            )
        }
        Class::Deadline {
            runtime,
            deadline,
            period,
        } => set_thread_priority_and_policy(
            // 0 = the calling thread: the one form of the deadline call that
            // works (sched_setattr takes a TID, not a pthread_t).
            0,
            ThreadPriority::Deadline {
                runtime: std::time::Duration::from_nanos(runtime),
                deadline: std::time::Duration::from_nanos(deadline),
                period: std::time::Duration::from_nanos(period),
                flags: DeadlineFlags::RESET_ON_FORK,
            },
            ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Deadline),
        ),
        // Not through thread-priority: its SCHED_OTHER "priority 0" is nice
        // +19. SCHED_OTHER at nice 0, as every other thread of the machine.
        Class::Other => return set_other().map_err(err),
    };
    result.map_err(|e| {
        let os = match e {
            thread_priority::Error::OS(code) if code > 0 => std::io::Error::from_raw_os_error(code),
            // The deadline path reports the syscall's -1: errno says why.
            thread_priority::Error::OS(_) => std::io::Error::last_os_error(),
            other => std::io::Error::other(other.to_string()),
        };
        err(os)
    })
}

/// Puts the calling thread under SCHED_OTHER at nice 0, its timer slack
/// at 1 ns.
fn set_other() -> std::io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: 0 is the calling thread; `param` lives across the call.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_OTHER, &param) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::gettid() };
    // Nice is per thread on Linux. Lowering it below an inherited nice
    // needs privileges: then the thread keeps the process's nice.
    // SAFETY: setpriority takes plain integers.
    let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 0) };
    // A switch to a fair class resets the slack to the 50 µs default.
    // SAFETY: prctl with PR_SET_TIMERSLACK takes one unsigned long.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
    Ok(())
}

/// True if this process may put a thread in `class` (tried on a throw-away
/// thread): the plan probes the most demanding class it will use (the
/// highest FIFO / RR priority, or SCHED_DEADLINE itself), so that an
/// RLIMIT_RTPRIO below it, or SCHED_DEADLINE without CAP_SYS_NICE, is seen
/// before any task thread starts.
pub(crate) fn rt_permitted(class: Class) -> bool {
    std::thread::spawn(move || set_class(class).is_ok())
        .join()
        .unwrap_or(false)
}

/// The calling thread's kernel id (TID).
pub(crate) fn tid() -> u32 {
    // SAFETY: gettid has no preconditions and cannot fail.
    let tid = unsafe { libc::gettid() };
    u32::try_from(tid).unwrap_or(0)
}

/// The CPUs this process may run on (its affinity mask), in order.
pub(crate) fn allowed_cpus() -> Vec<CpuId> {
    let mut ids: Vec<CpuId> = core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id as CpuId)
        .collect();
    ids.sort_unstable();
    ids
}

/// Keeps the calling thread (and the threads it starts) off `busy` CPUs
/// while it lives, when another allowed CPU exists; the affinity it had is
/// restored on drop. The live engine's own threads (main, Ctrl-C) then do
/// not share the task CPUs: on a non-preemptible kernel a helper inside a
/// system call would delay a task's wake-up.
pub(crate) struct AwayFrom {
    /// The CPUs the thread could use before.
    pub(crate) before: Vec<CpuId>,
    moved: bool,
}

impl AwayFrom {
    pub(crate) fn cpus(busy: &[CpuId]) -> Self {
        let before = allowed_cpus();
        let others: Vec<CpuId> = before
            .iter()
            .copied()
            .filter(|c| !busy.contains(c))
            .collect();
        let moved = !others.is_empty() && others.len() < before.len() && pin(&others).is_ok();
        AwayFrom { before, moved }
    }
}

impl Drop for AwayFrom {
    fn drop(&mut self) {
        if self.moved {
            let _ = pin(&self.before);
        }
    }
}

/// Names the calling thread (the kernel keeps 15 bytes).
pub(crate) fn thread_name(name: &str) -> String {
    let mut end = name.len().min(15);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}
