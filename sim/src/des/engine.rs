//! The simulator's state and its event loop: the order of events at one
//! instant. Time advance and what waiting jobs are charged is in
//! `charge.rs`; releases and dispatch in `dispatch.rs`; what a running job
//! reaches in `execution.rs`; locks in `locking.rs`; the end of jobs and of
//! the run in `jobs.rs`. What is recorded is the ledger's.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rtlab_tasks::model::{Locking, OnMiss, Overrun, Placement, Policy, System, TaskId};
use rtlab_tasks::outcome::Deadlock;
use rtlab_tasks::outcome::trace::{EventKind, JobEvent, TraceSink};

use super::Options;
use super::heap::IndexedHeap;
use super::resources::Locks;
use super::state::{Active, CpuState, Domain, TaskState, Where, ops_of};
use crate::ledger::{Arrivals, Ledger};

/// Up to this many CPUs, the next event is found by a scan of the CPUs
/// (cheaper than a heap's upkeep at that size); beyond, from a heap.
const SCANNED_CPUS: usize = 4;

/// What a finished run hands back to `simulate`.
pub(super) struct Run {
    pub(super) ledger: Ledger,
    /// Execution time of each CPU, in ns.
    pub(super) busy: Vec<u64>,
    pub(super) deadlock: Option<Deadlock>,
    pub(super) end_ns: u64,
}

/// The simulator.
pub(super) struct Engine<'t> {
    pub(super) policy: Policy,
    pub(super) preemptive: bool,
    pub(super) locking: Locking,
    pub(super) overrun: Overrun,
    pub(super) abort_on_miss: bool,
    pub(super) quantum: u64,
    pub(super) horizon: u64,
    pub(super) now: u64,
    pub(super) tasks: Vec<TaskState>,
    pub(super) cpus: Vec<CpuState>,
    /// CPUs with a next event, by (time, CPU); `None` on a platform of
    /// at most [`SCANNED_CPUS`] CPUs, whose events are found by a scan.
    events: Option<IndexedHeap<(u64, usize)>>,
    pub(super) domains: Vec<Domain>,
    /// Domains to dispatch at this instant (a bit per domain).
    dirty: Vec<u64>,
    /// Domains where who the ready jobs wait behind may have changed at
    /// this instant (a bit per domain).
    pub(super) touched: Vec<u64>,
    /// A reusable buffer of tasks.
    pub(super) scratch: Vec<usize>,
    /// Per (task, kind of delay): a wait being settled, in ns (zero
    /// between settlements).
    pub(super) wait_sums: Vec<u64>,
    /// The slots of `wait_sums` in use, in the order they were first used.
    pub(super) wait_order: Vec<usize>,
    /// CPUs whose event at this instant waits for a dispatch.
    deferred: Vec<usize>,
    /// (ready time, task) of every task's next release.
    pub(super) releases: BinaryHeap<Reverse<(u64, usize)>>,
    /// (deadline, task, job) of pending jobs, with `on_miss = "abort"`.
    pub(super) aborts: BinaryHeap<Reverse<(u64, usize, u64)>>,
    pub(super) locks: Locks,
    /// Tasks whose head job is blocked.
    pub(super) blocked: Vec<usize>,
    /// Round-robin jobs whose quantum ended at this instant.
    pub(super) requeue: Vec<usize>,
    pub(super) sequence: u64,
    /// Whether to look for priority inversion (resources or non-preemptive).
    pub(super) track_inversion: bool,
    pub(super) deadlock: Option<Deadlock>,
    /// What is recorded.
    pub(super) ledger: Ledger,
    trace: Option<&'t mut dyn TraceSink>,
    /// Events not yet handed to `trace`, at most [`TRACE_BATCH`]: one call
    /// per batch instead of one per event. The vector itself is handed
    /// over (a sink that keeps events keeps it, and gives back another).
    trace_batch: Vec<JobEvent>,
}

/// How many events the engine gathers before it hands them to the trace
/// sink.
const TRACE_BATCH: usize = 256;

impl<'t> Engine<'t> {
    pub(super) fn new(
        sys: &System,
        options: &Options,
        trace: Option<&'t mut dyn TraceSink>,
    ) -> Self {
        let s = &sys.scheduler;
        let cpus: Vec<CpuState> = sys
            .platform
            .cpus
            .iter()
            .enumerate()
            .map(|(c, &id)| CpuState {
                id,
                running: None,
                since: 0,
                next_event: u64::MAX,
                busy: 0,
                domain: match s.placement {
                    Placement::Global => 0,
                    Placement::Partitioned => c,
                },
            })
            .collect();
        let domains = domains(s.placement, cpus.len(), sys.tasks.len());
        let words = domains.len().div_ceil(64);
        let mut releases = BinaryHeap::with_capacity(sys.tasks.len());
        let mut tasks = Vec::with_capacity(sys.tasks.len());
        for t in &sys.tasks {
            let domain = match (s.placement, t.cpu) {
                (Placement::Partitioned, Some(cpu)) => sys
                    .platform
                    .cpus
                    .iter()
                    .position(|&c| c == cpu)
                    .unwrap_or(0),
                _ => 0,
            };
            let arrivals = Arrivals::new(t, options.seed, options.horizon.as_nanos());
            if let Some(ready) = arrivals.next_ready() {
                releases.push(Reverse((ready, t.id.0)));
            }
            tasks.push(TaskState {
                domain,
                priority: t.priority,
                rel_deadline: t.deadline.as_nanos(),
                ops: ops_of(t),
                arrivals,
                jobs: VecDeque::new(),
                active: Active::new(),
                triggers: sys.triggered_by(t.id).map(|s| s.0).collect(),
            });
        }
        Engine {
            policy: s.policy,
            preemptive: s.preemptive && matches!(s.policy, Policy::FixedPriority | Policy::Edf),
            locking: s.locking,
            overrun: s.overrun,
            abort_on_miss: s.on_miss == OnMiss::Abort,
            quantum: s.quantum.as_nanos().max(1),
            horizon: options.horizon.as_nanos(),
            now: 0,
            track_inversion: !sys.resources.is_empty() || !s.preemptive,
            tasks,
            events: (cpus.len() > SCANNED_CPUS).then(|| IndexedHeap::new(cpus.len())),
            cpus,
            domains,
            dirty: vec![0; words],
            touched: vec![0; words],
            scratch: Vec::new(),
            wait_sums: vec![0; 2 * sys.tasks.len()],
            wait_order: Vec::new(),
            deferred: Vec::new(),
            releases,
            aborts: BinaryHeap::new(),
            locks: Locks::new(sys),
            blocked: Vec::new(),
            requeue: Vec::new(),
            sequence: 0,
            deadlock: None,
            ledger: Ledger::new(sys),
            trace_batch: Vec::with_capacity(if trace.is_some() { TRACE_BATCH } else { 0 }),
            trace,
        }
    }

    /// Runs to the horizon (or a deadlock) and returns the results.
    ///
    /// Terminates whatever the horizon: `instant` leaves no event at
    /// `self.now`, so time strictly increases from one turn to the next,
    /// and `u64::MAX` (an idle CPU, or a time that saturated) is never
    /// reached, even by a horizon of `u64::MAX`.
    pub(super) fn run(mut self) -> Run {
        let mut next = self.next_time();
        loop {
            if next > self.horizon || next == u64::MAX {
                break;
            }
            debug_assert!(next >= self.now, "time goes forward");
            self.advance(next);
            next = self.instant();
            if self.deadlock.is_some() {
                break;
            }
        }
        let end = if self.deadlock.is_some() {
            self.now
        } else {
            self.horizon
        };
        self.advance(end);
        self.flush_trace();
        self.finish(end)
    }

    /// The time of the next event of any kind.
    fn next_time(&self) -> u64 {
        let mut t = self.releases.peek().map_or(u64::MAX, |r| r.0.0);
        if let Some(a) = self.aborts.peek() {
            t = t.min(a.0.0);
        }
        match &self.events {
            Some(heap) => {
                if let Some(((e, _), _)) = heap.peek() {
                    t = t.min(e);
                }
            }
            None => {
                for c in &self.cpus {
                    t = t.min(c.next_event);
                }
            }
        }
        t
    }

    /// Sets when the job on CPU `c` next reaches an event (`u64::MAX`:
    /// none).
    #[inline(always)]
    pub(super) fn set_next_event(&mut self, c: usize, t: u64) {
        self.cpus[c].next_event = t;
        if self.events.is_some() {
            self.set_event_in_heap(c, t);
        }
    }

    /// [`Self::set_next_event`] in the heap of a large platform (out of
    /// line: the small platform's path is one store).
    #[inline(never)]
    fn set_event_in_heap(&mut self, c: usize, t: u64) {
        if let Some(heap) = self.events.as_mut() {
            if t == u64::MAX {
                heap.remove(c);
            } else {
                heap.set(c, (t, c));
            }
        }
    }

    /// Something of domain `d` that dispatch and who its ready jobs wait
    /// behind depend on changed (its running jobs, their urgency, its
    /// locks).
    #[inline]
    pub(super) fn mark(&mut self, d: usize) {
        self.mark_dispatch(d);
        self.touch(d);
    }

    /// Something of domain `d` that dispatch depends on changed (its
    /// ready jobs).
    #[inline]
    pub(super) fn mark_dispatch(&mut self, d: usize) {
        // One domain is dispatched at every pass anyway.
        if self.domains.len() > 1 {
            self.dirty[d / 64] |= 1 << (d % 64);
        }
    }

    /// Who the ready jobs of domain `d` wait behind is to be noted at the
    /// end of this instant.
    #[inline]
    pub(super) fn touch(&mut self, d: usize) {
        self.touched[d / 64] |= 1 << (d % 64);
    }

    /// Handles what running jobs reach at this instant, in CPU order, even
    /// after a deadlock on one of them: a job elsewhere that completes now
    /// must not be aborted at its deadline afterwards. A CPU whose job
    /// stopped at a scheduling point keeps its event for the next pass. (A
    /// CPU's event changes only that CPU's next event.)
    fn cpu_events(&mut self) {
        if self.events.is_none() {
            for c in 0..self.cpus.len() {
                while self.cpus[c].next_event == self.now && self.cpu_event(c) {}
            }
            return;
        }
        while let Some(((t, c), _)) = self.events.as_ref().and_then(IndexedHeap::peek) {
            if t != self.now {
                break;
            }
            if !self.cpu_event(c) {
                if let Some(heap) = self.events.as_mut() {
                    heap.remove(c);
                }
                self.deferred.push(c);
            }
        }
        for i in 0..self.deferred.len() {
            let c = self.deferred[i];
            if let Some(heap) = self.events.as_mut() {
                heap.set(c, (self.now, c));
            }
        }
        self.deferred.clear();
    }

    /// Handles everything that happens at `self.now`, in the documented
    /// order, until no event is left at this instant; returns the time of
    /// the next event (meaningless after a deadlock).
    fn instant(&mut self) -> u64 {
        let next = loop {
            self.cpu_events();
            while let Some(&Reverse((t, task, k))) = self.aborts.peek() {
                if t != self.now {
                    break;
                }
                self.aborts.pop();
                if t < self.horizon {
                    self.abort(task, k);
                }
            }
            while let Some(&Reverse((t, task))) = self.releases.peek() {
                if t != self.now {
                    break;
                }
                self.release(task);
            }
            for i in 0..self.requeue.len() {
                let task = self.requeue[i];
                if self.tasks[task].active.at == Where::Requeue {
                    self.make_ready(task);
                }
            }
            self.requeue.clear();
            // Only domains where something changed: dispatch elsewhere
            // would change nothing. In domain order, as the trace shows.
            if self.domains.len() == 1 {
                // One domain: dispatching it is cheaper than tracking it.
                self.dispatch(0);
            } else {
                self.dispatch_marked();
            }
            // Until nothing is left at this instant: CPU events a dispatch
            // created, locks after an unlock, aborts of jobs released at or
            // after their deadline.
            if self.deadlock.is_some() {
                break self.now;
            }
            let next = self.next_time();
            if next > self.now {
                break next;
            }
        };
        self.note_who_runs();
        next
    }

    /// Dispatches the domains marked since their last dispatch, in domain
    /// order (the order the trace shows).
    fn dispatch_marked(&mut self) {
        for w in 0..self.dirty.len() {
            let taken = self.dirty[w];
            let mut bits = taken;
            while bits != 0 {
                self.dispatch(w * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
            // Marks a domain's own dispatch made are done with.
            self.dirty[w] &= !taken;
        }
    }

    /// Emits an event of `task`'s job `job` now (task ids are indices:
    /// `tasks[i].id == TaskId(i)`, an invariant of the model).
    #[inline]
    pub(super) fn emit(&mut self, task: usize, job: u64, cpu: Option<usize>, kind: EventKind) {
        if self.trace.is_some() {
            let cpu = cpu.map(|c| self.cpus[c].id);
            self.gather(JobEvent {
                time_ns: self.now,
                task: TaskId(task),
                job,
                cpu,
                kind,
            });
        }
    }

    #[inline]
    pub(super) fn emit_at(&mut self, time_ns: u64, task: usize, job: u64, kind: EventKind) {
        if self.trace.is_some() {
            self.gather(JobEvent {
                time_ns,
                task: TaskId(task),
                job,
                cpu: None,
                kind,
            });
        }
    }

    /// Adds `e` to the batch for the trace sink, handed over when full.
    #[inline]
    fn gather(&mut self, e: JobEvent) {
        self.trace_batch.push(e);
        if self.trace_batch.len() >= TRACE_BATCH {
            self.flush_trace();
        }
    }

    /// Hands the gathered events to the trace sink.
    #[inline(never)]
    fn flush_trace(&mut self) {
        if let Some(sink) = self.trace.as_deref_mut() {
            let full = std::mem::take(&mut self.trace_batch);
            let mut next = sink.take_batch(full);
            next.clear();
            next.reserve(TRACE_BATCH);
            self.trace_batch = next;
        }
    }
}

/// The scheduling domains of `cpus` CPUs for `tasks` tasks: one for all
/// (global) or one per CPU (partitioned).
fn domains(placement: Placement, cpus: usize, tasks: usize) -> Vec<Domain> {
    match placement {
        Placement::Global => vec![Domain::new((0..cpus).collect(), tasks, cpus)],
        Placement::Partitioned => (0..cpus)
            .map(|c| Domain::new(vec![c], tasks, cpus))
            .collect(),
    }
}
