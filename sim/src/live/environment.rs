//! Facts about the machine a live run happens on, and the settings the run
//! holds while it goes: `/dev/cpu_dma_latency`, `mlockall`, CPU time taken
//! by the hypervisor (steal) and by other processes (foreign) during the
//! run, read from `/proc/stat`.

use std::collections::BTreeMap;
use std::io::Write;

use rtlab_tasks::model::CpuId;

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The kernel release (`uname -r`).
pub(crate) fn kernel() -> Option<String> {
    read_trimmed("/proc/sys/kernel/osrelease")
}

/// The host name.
pub(crate) fn host() -> Option<String> {
    read_trimmed("/proc/sys/kernel/hostname")
}

/// CPUs online.
pub(crate) fn cpus_online() -> Option<u32> {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    u32::try_from(n).ok()
}

/// RT throttling: (`sched_rt_runtime_us`, `sched_rt_period_us`).
pub(crate) fn rt_throttling() -> (Option<i64>, Option<i64>) {
    let read = |p| read_trimmed(p).and_then(|s| s.parse().ok());
    (
        read("/proc/sys/kernel/sched_rt_runtime_us"),
        read("/proc/sys/kernel/sched_rt_period_us"),
    )
}

/// SCHED_RR's time slice, in ms.
pub(crate) fn rr_timeslice_ms() -> Option<u64> {
    read_trimmed("/proc/sys/kernel/sched_rr_timeslice_ms").and_then(|s| s.parse().ok())
}

/// Nanoseconds per `/proc/stat` tick.
fn tick_ns() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 {
        1_000_000_000 / hz as u64
    } else {
        10_000_000
    }
}

/// Idle and steal ticks of one CPU. Busy time is derived from idle time
/// rather than summed from the user / system counters: on a tickless kernel
/// idle time is measured exactly, while user and system time are sampled
/// at each tick and alias badly with millisecond-periodic tasks.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CpuTicks {
    /// idle + iowait.
    pub(crate) idle: u64,
    /// Time the hypervisor gave to someone else.
    pub(crate) steal: u64,
    /// Hard and soft interrupt handlers (irq + softirq).
    pub(crate) irq: u64,
}

/// Per-CPU tick counters from `/proc/stat`.
pub(crate) fn cpu_ticks() -> BTreeMap<CpuId, CpuTicks> {
    let mut out = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return out;
    };
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some(name) = f.next() else { continue };
        let Some(id) = name
            .strip_prefix("cpu")
            .and_then(|n| n.parse::<CpuId>().ok())
        else {
            continue;
        };
        let v: Vec<u64> = f.filter_map(|x| x.parse().ok()).collect();
        if v.len() >= 8 {
            out.insert(
                id,
                CpuTicks {
                    idle: v[3] + v[4],
                    steal: v[7],
                    irq: v[5] + v[6],
                },
            );
        }
    }
    out
}

/// One CPU's time between two samples of `/proc/stat`, in ns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TickTime {
    pub(crate) idle: u64,
    pub(crate) steal: u64,
    pub(crate) irq: u64,
    /// Elapsed minus idle, steal and interrupts, minus rtlab's own.
    pub(crate) foreign: u64,
}

/// Where each CPU's time went between two samples taken `elapsed_ns`
/// apart, in ns; `own_ns` is the CPU time rtlab's own threads spent on
/// each CPU. Foreign time is the CPU's busy time (elapsed minus idle,
/// steal and interrupts) minus rtlab's own; the counters have a resolution
/// of one USER_HZ tick (10 ms), so foreign time below about 20 ms is noise.
pub(crate) fn tick_time(
    before: &BTreeMap<CpuId, CpuTicks>,
    after: &BTreeMap<CpuId, CpuTicks>,
    elapsed_ns: u64,
    own_ns: &BTreeMap<CpuId, u64>,
) -> BTreeMap<CpuId, TickTime> {
    let tick = tick_ns();
    let mut out = BTreeMap::new();
    for (cpu, a) in after {
        let Some(b) = before.get(cpu) else { continue };
        let steal = a.steal.saturating_sub(b.steal) * tick;
        let idle = a.idle.saturating_sub(b.idle) * tick;
        let irq = a.irq.saturating_sub(b.irq) * tick;
        let busy = elapsed_ns
            .saturating_sub(idle)
            .saturating_sub(steal)
            .saturating_sub(irq);
        let own = own_ns.get(cpu).copied().unwrap_or(0);
        out.insert(
            *cpu,
            TickTime {
                idle,
                steal,
                irq,
                foreign: busy.saturating_sub(own),
            },
        );
    }
    out
}

/// Foreign time below this is within the counters' resolution, in ns.
pub(crate) const FOREIGN_NOISE_NS: u64 = 20_000_000;

/// `/dev/cpu_dma_latency` held at 0 µs while the value lives (the idle
/// governor then keeps CPUs out of deep idle states: half the wake-up
/// latency on this kind of VM).
pub(crate) struct DmaLatency {
    file: Option<std::fs::File>,
    /// What happened, for the environment record.
    pub(crate) status: String,
}

impl DmaLatency {
    /// Opens the file and writes 0; the request lasts until drop.
    pub(crate) fn hold_zero() -> DmaLatency {
        match std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/cpu_dma_latency")
        {
            Ok(mut f) => match f.write_all(&0i32.to_ne_bytes()) {
                Ok(()) => DmaLatency {
                    file: Some(f),
                    status: "held at 0 us".to_string(),
                },
                Err(e) => DmaLatency {
                    file: None,
                    status: format!("not held: {e}"),
                },
            },
            Err(e) => DmaLatency {
                file: None,
                status: format!("not held: {e}"),
            },
        }
    }

    /// True if the request is in force.
    pub(crate) fn held(&self) -> bool {
        self.file.is_some()
    }
}

/// Locks all current and future memory; the error text if it failed.
pub(crate) fn lock_memory() -> Result<(), String> {
    // SAFETY: mlockall has no memory-safety preconditions.
    let rc = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().to_string())
    }
}

/// Undoes [`lock_memory`].
pub(crate) fn unlock_memory() {
    // SAFETY: munlockall has no preconditions.
    unsafe { libc::munlockall() };
}
