//! The partition of one job's time, kept while the job is pending.
//!
//! An engine charges every nanosecond from the job's nominal release to
//! its end to exactly one part: the release jitter (until it was ready),
//! queueing behind its own task's previous job, its own execution, a
//! wait for a CPU (charged to the task that ran, with the kind of delay),
//! a wait for a resource (charged to the resource, its holder and the
//! task that ran meanwhile), or, live only, unexplained time. The parts
//! of a [`Miss`] are these, so they add up to the job's response.

use rtlab_tasks::outcome::{Delay, DelayKind, Miss};

use super::Names;

/// Time ready for a CPU while `ran` ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Wait {
    ran: usize,
    kind: DelayKind,
    ns: u64,
}

/// Time blocked on `resource`, held by `holder`, while `ran` ran on the
/// job's CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Block {
    resource: usize,
    holder: usize,
    ran: Option<usize>,
    kind: DelayKind,
    ns: u64,
}

/// Buffers up to this many entries are kept from one job to the next.
const KEPT: usize = 64;

/// A wait list is first merged once it holds this many entries; after
/// that, once it doubles from its merged length.
const MERGE_AT: usize = 64;

/// `waits` with the entries of one (task that ran, kind) added together,
/// in the order the pairs first appear.
fn merged(waits: &[Wait]) -> Vec<Wait> {
    let mut by_key: Vec<(usize, DelayKind, usize)> = waits
        .iter()
        .enumerate()
        .map(|(i, w)| (w.ran, w.kind, i))
        .collect();
    by_key.sort_unstable();
    // (where the pair first appears, its sum), one per pair.
    let mut sums: Vec<(usize, Wait)> = Vec::new();
    for &(ran, kind, i) in &by_key {
        match sums.last_mut() {
            Some((_, w)) if w.ran == ran && w.kind == kind => w.ns += waits[i].ns,
            _ => sums.push((i, waits[i])),
        }
    }
    sums.sort_unstable_by_key(|&(first, _)| first);
    sums.into_iter().map(|(_, w)| w).collect()
}

/// What one job's time went to so far (ns).
#[derive(Clone, Debug, Default)]
pub struct JobCauses {
    /// From the nominal release until ready, in ns.
    pub release_jitter: u64,
    /// Ready but behind its own task's previous job, in ns.
    pub queued: u64,
    /// Its own execution, in ns.
    pub executed: u64,
    /// Time the engine could not attribute (live only), in ns.
    pub unexplained: u64,
    /// Time waited for a CPU, in the order charged: one (task that ran,
    /// kind) may appear several times until [`merged`] adds them up. A
    /// job's explanation is read only when it misses, so charging a wait
    /// is an append, with no lookup (a job of a large set waits behind
    /// hundreds of tasks, and a map from each to its entry cost more than
    /// the rest of the job).
    waited: Vec<Wait>,
    /// `waited` is merged when it reaches this length.
    merge_at: usize,
    blocked: Vec<Block>,
    /// The `blocking` metric so far (kept as the parts are charged).
    blocking: u64,
}

impl JobCauses {
    /// The causes of a job that never left its task's queue: ready at
    /// `ready`, released at `release`, still queued at `now` (ns).
    pub fn queued_until(release: u64, ready: u64, now: u64) -> Self {
        JobCauses {
            release_jitter: ready - release,
            queued: now.saturating_sub(ready),
            ..JobCauses::default()
        }
    }

    /// Forgets everything, for the next job (buffers kept).
    #[inline]
    pub fn clear(&mut self) {
        self.release_jitter = 0;
        self.queued = 0;
        self.executed = 0;
        self.unexplained = 0;
        // Buffers are kept for the next job, unless a long wait (a job of
        // a large backlog, behind thousands of tasks) grew them: kept, they
        // would hold memory per task in the square of the tasks.
        if self.waited.capacity() > KEPT {
            self.waited = Vec::new();
        } else {
            self.waited.clear();
        }
        self.merge_at = MERGE_AT;
        if self.blocked.capacity() > KEPT {
            self.blocked = Vec::new();
        } else {
            self.blocked.clear();
        }
        self.blocking = 0;
    }

    /// Charges `ns` of waiting for a CPU while task `ran` ran.
    #[inline]
    pub fn wait(&mut self, ran: usize, kind: DelayKind, ns: u64) {
        if kind == DelayKind::PriorityInversion {
            self.blocking += ns;
        }
        if let Some(w) = self.waited.last_mut()
            && w.ran == ran
            && w.kind == kind
        {
            w.ns += ns;
            return;
        }
        if self.waited.len() >= self.merge_at.max(MERGE_AT) {
            // Bounded by twice the distinct pairs (and MERGE_AT), however
            // long the job waits.
            self.waited = merged(&self.waited);
            self.merge_at = 2 * self.waited.len();
        }
        self.waited.push(Wait { ran, kind, ns });
    }

    /// Makes room for `more` waits (a settled wait behind `more` tasks).
    #[inline]
    pub fn reserve_waits(&mut self, more: usize) {
        self.waited.reserve(more);
    }

    /// Charges `ns` of waiting for `resource`, held by `holder`, while
    /// `ran` ran on the job's CPU.
    #[inline]
    pub fn block(
        &mut self,
        resource: usize,
        holder: usize,
        ran: Option<usize>,
        kind: DelayKind,
        ns: u64,
    ) {
        self.blocking += ns;
        match self.blocked.iter_mut().find(|b| {
            b.resource == resource && b.holder == holder && b.ran == ran && b.kind == kind
        }) {
            Some(b) => b.ns += ns,
            None => self.blocked.push(Block {
                resource,
                holder,
                ran,
                kind,
                ns,
            }),
        }
    }

    /// The sum of every part, in ns: the time the job was accounted for.
    pub fn total(&self) -> u64 {
        self.release_jitter
            + self.queued
            + self.executed
            + self.unexplained
            + self.waited.iter().map(|w| w.ns).sum::<u64>()
            + self.blocked.iter().map(|b| b.ns).sum::<u64>()
    }

    /// The job's `blocking` metric, in ns: time blocked on resources, plus
    /// time ready while a less urgent task ran (priority inversion).
    #[inline]
    pub fn blocking(&self) -> u64 {
        self.blocking
    }

    /// The named delays of a [`Miss`]: (`waited_for`, `blocked_on`), each
    /// largest first (ties by task name).
    pub(super) fn delays(&self, names: &Names) -> (Vec<Delay>, Vec<Delay>) {
        let mut waited: Vec<Delay> = merged(&self.waited)
            .iter()
            .map(|w| Delay {
                task: names.task(w.ran).to_string(),
                resource: None,
                ran: None,
                kind: w.kind,
                ns: w.ns,
            })
            .collect();
        let mut blocked: Vec<Delay> = self
            .blocked
            .iter()
            .map(|b| Delay {
                task: names.task(b.holder).to_string(),
                resource: Some(names.resource(b.resource).to_string()),
                ran: b.ran.map(|r| names.task(r).to_string()),
                kind: b.kind,
                ns: b.ns,
            })
            .collect();
        for list in [&mut waited, &mut blocked] {
            list.sort_by(|x, y| {
                y.ns.cmp(&x.ns)
                    .then_with(|| x.task.cmp(&y.task))
                    .then_with(|| x.ran.cmp(&y.ran))
            });
        }
        (waited, blocked)
    }

    /// Fills the partition fields of `miss` from these causes.
    pub(super) fn fill(&self, miss: &mut Miss, names: &Names) {
        let (waited, blocked) = self.delays(names);
        miss.release_jitter_ns = self.release_jitter;
        miss.queued_ns = self.queued;
        miss.executed_ns = self.executed;
        miss.unexplained_ns = self.unexplained;
        miss.waited_for = waited;
        miss.blocked_on = blocked;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const KINDS: [DelayKind; 3] = [
        DelayKind::Interference,
        DelayKind::PriorityInversion,
        DelayKind::Blocking,
    ];

    /// The wait list as a map kept up to date at every charge would hold
    /// it: one entry per (task that ran, kind), where it first appeared.
    fn reference(charges: &[(usize, usize, u64)]) -> Vec<Wait> {
        let mut out: Vec<Wait> = Vec::new();
        for &(ran, k, ns) in charges {
            let kind = KINDS[k];
            match out.iter_mut().find(|w| w.ran == ran && w.kind == kind) {
                Some(w) => w.ns += ns,
                None => out.push(Wait { ran, kind, ns }),
            }
        }
        out
    }

    proptest! {
        /// However the charges come (repeats, runs of one task, lists long
        /// enough to be merged on the way, a clear in between), the merged
        /// list is the reference's, in the same order, and the partition's
        /// total and the `blocking` metric hold every nanosecond.
        #[test]
        fn appended_waits_merge_to_one_entry_per_task_and_kind(
            before in prop::collection::vec((0usize..200, 0usize..3, 0u64..1_000), 0..300),
            charges in prop::collection::vec((0usize..120, 0usize..3, 0u64..1_000_000), 0..600),
        ) {
            let mut causes = JobCauses::default();
            for &(ran, k, ns) in &before {
                causes.wait(ran, KINDS[k], ns);
            }
            causes.clear();
            for &(ran, k, ns) in &charges {
                causes.wait(ran, KINDS[k], ns);
            }
            prop_assert!(causes.waited.len() <= (2 * 3 * 120).max(MERGE_AT) + 1);
            prop_assert_eq!(merged(&causes.waited), reference(&charges));
            let sum: u64 = charges.iter().map(|c| c.2).sum();
            prop_assert_eq!(causes.total(), sum);
            let inversion: u64 = charges.iter().filter(|c| c.1 == 1).map(|c| c.2).sum();
            prop_assert_eq!(causes.blocking(), inversion);
        }
    }
}
