//! The state of the shared resources: owners, waiters, and the ceilings
//! the locking protocols use. Contention figures are the ledger's.

use rtlab_tasks::model::{ResourceId, System};

/// The state of every resource.
#[derive(Debug)]
pub(super) struct Locks {
    owner: Vec<Option<usize>>,
    /// Waiting tasks with the time they started waiting.
    pub(super) waiters: Vec<Vec<(usize, u64)>>,
    /// When the current owner took it, in ns.
    pub(super) acquired_at: Vec<u64>,
    /// Immediate-ceiling priority: the highest base priority of the users.
    pub(super) ceiling: Vec<u32>,
    /// Stack-resource-policy ceiling: the shortest relative deadline of the
    /// users, in ns.
    srp_ceiling: Vec<u64>,
}

impl Locks {
    pub(super) fn new(sys: &System) -> Self {
        let n = sys.resources.len();
        let srp_ceiling = sys
            .resources
            .iter()
            .map(|r| {
                r.users
                    .iter()
                    .map(|t| sys.tasks[t.0].deadline.as_nanos())
                    .min()
                    .unwrap_or(u64::MAX)
            })
            .collect();
        Locks {
            owner: vec![None; n],
            waiters: vec![Vec::new(); n],
            acquired_at: vec![0; n],
            ceiling: (0..n).map(|r| sys.ceiling(ResourceId(r))).collect(),
            srp_ceiling,
        }
    }

    /// The task holding `r`.
    #[inline]
    pub(super) fn owner(&self, r: usize) -> Option<usize> {
        self.owner[r]
    }

    /// Makes `task` (or nobody) the holder of `r`.
    #[inline]
    pub(super) fn set_owner(&mut self, r: usize, task: Option<usize>) {
        self.owner[r] = task;
    }

    /// Forgets a waiter (its job ended while it waited).
    pub(super) fn remove_waiter(&mut self, r: usize, task: usize) {
        self.waiters[r].retain(|&(t, _)| t != task);
    }

    /// The resources held by tasks `in_domain` says belong to a domain,
    /// with their holders.
    pub(super) fn held_in<'a>(
        &'a self,
        in_domain: impl Fn(usize) -> bool + 'a,
    ) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.owner
            .iter()
            .enumerate()
            .filter_map(|(r, o)| o.map(|o| (r, o)))
            .filter(move |&(_, o)| in_domain(o))
    }

    /// The SRP system ceiling of a domain: the shortest relative deadline
    /// among the users of resources held by its tasks (`u64::MAX`: none).
    pub(super) fn system_ceiling(&self, in_domain: impl Fn(usize) -> bool) -> u64 {
        self.held_in(in_domain)
            .map(|(r, _)| self.srp_ceiling[r])
            .min()
            .unwrap_or(u64::MAX)
    }
}
