//! tracefs: where it is (mounting it when absent), and a trace instance of
//! rtlab's own (`instances/rtlab-<pid>-<n>`: its own ring buffer, events
//! and settings, so nothing else using tracefs is disturbed), removed when
//! dropped.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use rtlab_tasks::model::CpuId;

use super::Unavailable;
use crate::live::clock;

/// The tracepoints rtlab enables, as `events/` paths.
pub(super) const EVENTS: [&str; 7] = [
    "sched/sched_switch",
    "sched/sched_wakeup",
    "sched/sched_wakeup_new",
    "irq/irq_handler_entry",
    "irq/irq_handler_exit",
    "irq/softirq_entry",
    "irq/softirq_exit",
];

/// Where tracefs is mounted on current kernels, then on older ones.
const MOUNT_POINTS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/// The tracefs root, mounted at `/sys/kernel/tracing` if it is nowhere.
pub(super) fn root() -> Result<PathBuf, Unavailable> {
    let mounted = || {
        MOUNT_POINTS
            .iter()
            .map(PathBuf::from)
            .find(|p| p.join("events").is_dir())
    };
    if let Some(root) = mounted() {
        return Ok(root);
    }
    // SAFETY: all three strings are NUL-terminated literals; tracefs takes
    // no mount data, so a null pointer is allowed.
    let rc = unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            c"/sys/kernel/tracing".as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(Unavailable::NoTracefs {
            source: std::io::Error::last_os_error(),
        });
    }
    mounted().ok_or_else(|| Unavailable::NoTracefs {
        source: std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "mounted, but it has no events/ directory",
        ),
    })
}

/// A trace instance, removed (with its buffer) when dropped.
#[derive(Debug)]
pub(super) struct Instance {
    dir: PathBuf,
    removed: bool,
}

impl Instance {
    /// Creates `instances/rtlab-<pid>-<n>` under `root`, after removing the
    /// instances left by rtlab processes that no longer exist (killed
    /// before they could remove theirs).
    pub(super) fn create(root: &Path) -> Result<Instance, Unavailable> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let instances = root.join("instances");
        remove_stale(&instances);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = instances.join(format!("rtlab-{}-{n}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|source| Unavailable::Instance {
            path: dir.clone(),
            source,
        })?;
        Ok(Instance {
            dir,
            removed: false,
        })
    }

    /// The instance's directory.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `value` to the instance's `file`.
    pub(super) fn write(&self, file: &str, value: &str) -> Result<(), Unavailable> {
        let path = self.dir.join(file);
        std::fs::write(&path, value).map_err(|source| Unavailable::Refused {
            path,
            value: value.to_string(),
            source,
        })
    }

    /// Removes the instance (its trace pipe must be closed: the kernel
    /// refuses while a reader holds it, so this retries for 100 ms).
    pub(super) fn remove(&mut self) -> std::io::Result<()> {
        if self.removed {
            return Ok(());
        }
        // Stop the buffer first: less for the kernel to tear down.
        let _ = std::fs::write(self.dir.join("tracing_on"), "0");
        let mut tries = 0;
        loop {
            match std::fs::remove_dir(&self.dir) {
                Ok(()) => break,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) && tries < 50 => {
                    tries += 1;
                    clock::sleep_until(clock::now() + 2_000_000);
                }
                Err(e) => return Err(e),
            }
        }
        self.removed = true;
        Ok(())
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.remove();
    }
}

/// Removes `rtlab-<pid>-<n>` instances whose process is gone.
fn remove_stale(instances: &Path) {
    let Ok(entries) = std::fs::read_dir(instances) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("rtlab-"))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

/// `cpus` as `tracing_cpumask` reads them: hexadecimal, in comma-separated
/// 32-bit groups, most significant first (`00000001,00000002` = CPUs 1
/// and 32).
pub(super) fn cpumask(cpus: &[CpuId]) -> String {
    let words = cpus.iter().max().map_or(1, |&m| m as usize / 32 + 1);
    let mut mask = vec![0u32; words];
    for &c in cpus {
        mask[c as usize / 32] |= 1 << (c % 32);
    }
    mask.iter()
        .rev()
        .map(|w| format!("{w:08x}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// An event filter keeping `field` equal to one of `cpus`.
pub(super) fn cpu_filter(field: &str, cpus: &[CpuId]) -> String {
    cpus.iter()
        .map(|c| format!("{field} == {c}"))
        .collect::<Vec<_>>()
        .join(" || ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpumask_groups_32_cpus_per_word_most_significant_first() {
        assert_eq!(cpumask(&[1]), "00000002");
        assert_eq!(cpumask(&[0, 3]), "00000009");
        assert_eq!(cpumask(&[1, 32]), "00000001,00000002");
        assert_eq!(cpumask(&[64]), "00000001,00000000,00000000");
    }

    #[test]
    fn cpu_filters_name_every_cpu() {
        assert_eq!(cpu_filter("CPU", &[1]), "CPU == 1");
        assert_eq!(
            cpu_filter("target_cpu", &[1, 3]),
            "target_cpu == 1 || target_cpu == 3"
        );
    }
}
