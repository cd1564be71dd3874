//! The partition of one job's time, kept while the job is pending.
//!
//! An engine charges every nanosecond from the job's nominal release to
//! its end to exactly one part: the release jitter (until it was ready),
//! queueing behind its own task's previous job, its own execution, a
//! wait for a CPU (charged to the task that ran, with the kind of delay),
//! a wait for a resource (charged to the resource, its holder and the
//! task that ran meanwhile), or, live only, unexplained time. The parts
//! of a [`Miss`] are these, so they add up to the job's response.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

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

/// A multiplicative hash for small integer keys (task indices and a kind):
/// the index of `waited` is looked up once per task a settled wait ran
/// behind, thousands of times per job in a large backlog, where SipHash
/// (built for untrusted keys, which these are not) dominated the cost.
#[derive(Default)]
struct IndexHasher(u64);

impl Hasher for IndexHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        // Fibonacci hashing: odd constant near 2^64 / golden ratio.
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Buffers up to this many entries are kept from one job to the next.
const KEPT: usize = 64;

/// Up to this many waits are found by a linear search; beyond, through
/// an index.
const SEARCHED: usize = 16;

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
    waited: Vec<Wait>,
    /// Where each (task that ran, kind) is in `waited`, once `waited` is
    /// too long to search (a job of a large set waits behind hundreds of
    /// tasks).
    waited_at: HashMap<(usize, DelayKind), usize, BuildHasherDefault<IndexHasher>>,
    blocked: Vec<Block>,
    /// The `blocking` metric so far (kept as the parts are charged).
    blocking: u64,
    /// Time waited for a CPU not yet split among the tasks that ran, in
    /// ns: an engine may itemize a wait only when the job misses (the
    /// explanation is read for nothing else).
    unitemized: u64,
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
            self.waited_at = HashMap::default();
        } else {
            self.waited.clear();
            self.waited_at.clear();
        }
        if self.blocked.capacity() > KEPT {
            self.blocked = Vec::new();
        } else {
            self.blocked.clear();
        }
        self.blocking = 0;
        self.unitemized = 0;
    }

    /// Charges `ns` of waiting for a CPU while task `ran` ran.
    #[inline]
    pub fn wait(&mut self, ran: usize, kind: DelayKind, ns: u64) {
        if kind == DelayKind::PriorityInversion {
            self.blocking += ns;
        }
        if self.waited.len() < SEARCHED {
            match self
                .waited
                .iter_mut()
                .find(|w| w.ran == ran && w.kind == kind)
            {
                Some(w) => w.ns += ns,
                None => {
                    self.waited.push(Wait { ran, kind, ns });
                    if self.waited.len() == SEARCHED {
                        let at = self.waited.iter().enumerate();
                        self.waited_at = at.map(|(i, w)| ((w.ran, w.kind), i)).collect();
                    }
                }
            }
            return;
        }
        match self.waited_at.entry((ran, kind)) {
            std::collections::hash_map::Entry::Occupied(i) => self.waited[*i.get()].ns += ns,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(self.waited.len());
                self.waited.push(Wait { ran, kind, ns });
            }
        }
    }

    /// Charges `ns` of waiting for a CPU, not yet split among the tasks
    /// that ran: [`Self::wait`] itemizes it later, with [`Self::itemized`].
    #[inline]
    pub fn wait_unitemized(&mut self, ns: u64) {
        self.unitemized += ns;
    }

    /// `ns` of the unitemized wait were charged with [`Self::wait`].
    #[inline]
    pub fn itemized(&mut self, ns: u64) {
        debug_assert!(ns <= self.unitemized, "itemized more than was waited");
        self.unitemized = self.unitemized.saturating_sub(ns);
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
            + self.unitemized
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
        let mut waited: Vec<Delay> = self
            .waited
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
        debug_assert_eq!(self.unitemized, 0, "a miss is explained itemized");
        let (waited, blocked) = self.delays(names);
        miss.release_jitter_ns = self.release_jitter;
        miss.queued_ns = self.queued;
        miss.executed_ns = self.executed;
        miss.unexplained_ns = self.unexplained;
        miss.waited_for = waited;
        miss.blocked_on = blocked;
    }
}
