//! `[[load]]`: background interference threads, one per listed CPU, under
//! SCHED_OTHER. Each cycle of `period` it works for `duty` of it, then
//! sleeps until the next cycle (absolute times, no drift):
//!
//! - `cpu`: integer arithmetic;
//! - `memory`: writes streamed over a 64 MiB buffer (larger than the
//!   caches), one byte per 64-byte line;
//! - `syscalls`: `getppid` system calls (kernel entry and exit).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rtlab_tasks::model::{CpuId, Load, LoadKind};

use super::clock;
use super::thread;
use super::watchdog::Control;

/// Size of the memory load's buffer, in bytes.
pub(crate) const MEMORY_BYTES: usize = 64 << 20;

/// What a load thread reports when it ends.
#[derive(Clone, Debug)]
pub(crate) struct LoadResult {
    /// The CPU it ran on.
    pub(crate) cpu: CpuId,
    /// CPU time it used, ns.
    pub(crate) cpu_ns: u64,
    /// Its kernel id (TID), to find it in a kernel trace.
    pub(crate) tid: u32,
    /// Its name (`load0-cpu1`).
    pub(crate) name: String,
}

/// Starts the load threads; each returns what it used.
pub(crate) fn spawn(
    loads: &[Load],
    control: &Arc<Control>,
) -> Vec<std::thread::JoinHandle<LoadResult>> {
    let mut handles = Vec::new();
    for (i, load) in loads.iter().enumerate() {
        for &cpu in &load.cpus {
            let control = Arc::clone(control);
            let load = load.clone();
            let name = thread::thread_name(&format!("load{i}-cpu{cpu}"));
            let spawned = std::thread::Builder::new()
                .name(name.clone())
                .spawn(move || run(&load, cpu, &control, name));
            if let Ok(h) = spawned {
                handles.push(h);
            }
        }
    }
    handles
}

fn run(load: &Load, cpu: CpuId, control: &Control, name: String) -> LoadResult {
    let _ = thread::pin(&[cpu]);
    let _ = thread::set_class(thread::Class::Other);
    let period = load.period.as_nanos();
    let busy = ((period as f64) * load.duty).round() as u64;
    let mut buffer = if load.kind == LoadKind::Memory {
        vec![0u8; MEMORY_BYTES]
    } else {
        Vec::new()
    };
    let mut cursor = 0usize;
    let mut acc: u64 = 1;
    let mut cycle = control.start;
    clock::sleep_until(cycle);
    while !control.stop.load(Ordering::Relaxed) {
        let until = cycle + busy;
        while clock::now() < until && !control.stop.load(Ordering::Relaxed) {
            match load.kind {
                LoadKind::Cpu => {
                    for _ in 0..256 {
                        acc = acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    }
                    std::hint::black_box(acc);
                }
                LoadKind::Memory => {
                    for _ in 0..1024 {
                        buffer[cursor] = buffer[cursor].wrapping_add(1);
                        cursor = (cursor + 64) % MEMORY_BYTES;
                    }
                }
                LoadKind::Syscalls => {
                    for _ in 0..16 {
                        // SAFETY: getppid has no arguments and cannot fail.
                        std::hint::black_box(unsafe { libc::syscall(libc::SYS_getppid) });
                    }
                }
            }
        }
        cycle += period;
        let now = clock::now();
        if cycle < now {
            // Fell behind (preempted): start the next cycle now.
            cycle = now;
        }
        clock::sleep_until(cycle.min(control.end));
        if clock::now() >= control.end {
            break;
        }
    }
    std::hint::black_box(&buffer);
    LoadResult {
        cpu,
        cpu_ns: clock::thread_cpu(),
        tid: thread::tid(),
        name,
    }
}
