//! Contention on one shared resource, as both engines record it.

use rtlab_tasks::outcome::ResourceOutcome;
use rtlab_tasks::outcome::metrics::{MetricError, Recorder};

/// The acquisitions, contended attempts, waits and holds of one resource.
#[derive(Clone, Debug, Default)]
pub struct ResourceBook {
    acquisitions: u64,
    contended: u64,
    wait: Recorder,
    hold: Recorder,
}

impl ResourceBook {
    /// A lock attempt found the resource held.
    #[inline]
    pub fn contended(&mut self) {
        self.contended += 1;
    }

    /// The resource was taken after `waited_ns` of waiting (0: free).
    #[inline]
    pub fn acquired(&mut self, waited_ns: u64) {
        self.acquisitions += 1;
        self.wait.record(waited_ns);
    }

    /// The resource was released after being held `held_ns`.
    #[inline]
    pub fn released(&mut self, held_ns: u64) {
        self.hold.record(held_ns);
    }

    /// Adds another book of the same resource (a live thread's).
    pub fn merge(&mut self, other: &ResourceBook) -> Result<(), MetricError> {
        self.acquisitions += other.acquisitions;
        self.contended += other.contended;
        self.wait.merge(&other.wait)?;
        self.hold.merge(&other.hold)
    }

    /// The resource's figures in a result.
    pub fn outcome(&self, name: &str) -> ResourceOutcome {
        ResourceOutcome {
            name: name.to_string(),
            acquisitions: self.acquisitions,
            contended: self.contended,
            wait: self.wait.summary(),
            hold: self.hold.summary(),
        }
    }
}
