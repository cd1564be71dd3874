//! The event loop: time advance, the order of events at one instant,
//! releases and dispatch. What a running job reaches is in `execution.rs`,
//! locks in `locks.rs`, the end of jobs and of the run in `jobs.rs`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rtlab_tasks::model::{Locking, OnMiss, Overrun, Placement, Policy, System};
use rtlab_tasks::outcome::trace::{EventKind, JobEvent, TraceSink};
use rtlab_tasks::outcome::{CpuOutcome, Deadlock, ResourceOutcome, TaskStats};

use super::Options;
use super::locks::Locks;
use super::state::{Active, CpuState, Domain, Job, TaskState, Where, add_to, ops_of};
use crate::policy::{self, Candidate};
use crate::rng::TaskRng;

/// What a finished run hands back to `simulate`.
pub(super) struct Run {
    pub(super) tasks: Vec<TaskStats>,
    pub(super) cpus: Vec<CpuOutcome>,
    pub(super) resources: Vec<ResourceOutcome>,
    pub(super) deadlock: Option<Deadlock>,
    pub(super) end_ns: u64,
}

/// The simulator.
pub(super) struct Engine<'s, 't> {
    pub(super) sys: &'s System,
    pub(super) policy: Policy,
    preemptive: bool,
    pub(super) locking: Locking,
    overrun: Overrun,
    abort_on_miss: bool,
    quantum: u64,
    horizon: u64,
    pub(super) now: u64,
    pub(super) tasks: Vec<TaskState>,
    pub(super) cpus: Vec<CpuState>,
    pub(super) domains: Vec<Domain>,
    /// (ready time, task) of every task's next release.
    pub(super) releases: BinaryHeap<Reverse<(u64, usize)>>,
    /// (deadline, task, job) of pending jobs, with `on_miss = "abort"`.
    aborts: BinaryHeap<Reverse<(u64, usize, u64)>>,
    pub(super) locks: Locks,
    /// Tasks whose head job is blocked.
    pub(super) blocked: Vec<usize>,
    /// Round-robin jobs whose quantum ended at this instant.
    pub(super) requeue: Vec<usize>,
    sequence: u64,
    /// Whether to account priority inversion (resources or non-preemptive).
    track_inversion: bool,
    pub(super) deadlock: Option<Deadlock>,
    trace: Option<&'t mut dyn TraceSink>,
}

impl<'s, 't> Engine<'s, 't> {
    pub(super) fn new(
        sys: &'s System,
        options: &Options,
        trace: Option<&'t mut dyn TraceSink>,
    ) -> Self {
        let s = &sys.scheduler;
        let cpus: Vec<CpuState> = sys
            .platform
            .cpus
            .iter()
            .map(|&id| CpuState {
                id,
                running: None,
                since: 0,
                next_event: u64::MAX,
                busy: 0,
            })
            .collect();
        let domains: Vec<Domain> = match s.placement {
            Placement::Global => vec![Domain {
                cpus: (0..cpus.len()).collect(),
                ready: Vec::new(),
            }],
            Placement::Partitioned => (0..cpus.len())
                .map(|c| Domain {
                    cpus: vec![c],
                    ready: Vec::new(),
                })
                .collect(),
        };
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
            let mut rng = TaskRng::new(options.seed, t);
            let deterministic = rng.is_deterministic();
            let offset = t.offset.as_nanos();
            let first_ready = offset.saturating_add(rng.jitter());
            if offset < options.horizon.as_nanos() {
                releases.push(Reverse((first_ready, t.id.0)));
            }
            tasks.push(TaskState {
                domain,
                priority: t.priority,
                period: t.period.as_nanos(),
                rel_deadline: t.deadline.as_nanos(),
                wcet: t.wcet.as_nanos(),
                ops: ops_of(t),
                panic_every: t.faults.panic_every,
                rng,
                deterministic,
                next_k: 0,
                next_release: offset,
                jobs: VecDeque::new(),
                active: Active::new(),
                stats: TaskStats::default(),
            });
        }
        Engine {
            sys,
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
            cpus,
            domains,
            releases,
            aborts: BinaryHeap::new(),
            locks: Locks::new(sys),
            blocked: Vec::new(),
            requeue: Vec::new(),
            sequence: 0,
            deadlock: None,
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
        loop {
            let next = self.next_time();
            if next > self.horizon || next == u64::MAX {
                break;
            }
            debug_assert!(next >= self.now, "time goes forward");
            self.advance(next);
            self.instant();
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
        self.finish(end)
    }

    /// The time of the next event of any kind.
    fn next_time(&self) -> u64 {
        let mut t = self.releases.peek().map_or(u64::MAX, |r| r.0.0);
        if let Some(a) = self.aborts.peek() {
            t = t.min(a.0.0);
        }
        for c in &self.cpus {
            t = t.min(c.next_event);
        }
        t
    }

    /// Moves time forward to `t`, accounting CPU time, waiting and blocking.
    fn advance(&mut self, t: u64) {
        let dt = t.saturating_sub(self.now);
        if dt > 0 {
            for d in 0..self.domains.len() {
                for r in 0..self.domains[d].ready.len() {
                    let task = self.domains[d].ready[r];
                    self.account_wait(d, task, dt);
                }
            }
            for b in 0..self.blocked.len() {
                let task = self.blocked[b];
                if let Where::Blocked(res) = self.tasks[task].active.at {
                    let holder = self.locks.owner(res).unwrap_or(task);
                    add_to(&mut self.tasks[task].active.blocked_on, (res, holder), dt);
                    // Who ran meanwhile: the holder, or whoever kept it
                    // from running (the Pathfinder's `comms`).
                    let d = self.tasks[task].domain;
                    for i in 0..self.domains[d].cpus.len() {
                        let c = self.domains[d].cpus[i];
                        if let Some(other) = self.cpus[c].running {
                            add_to(&mut self.tasks[task].active.waited, other, dt);
                        }
                    }
                }
            }
        }
        self.now = t;
    }

    /// Charges `dt` of waiting of a ready job to the tasks running in its
    /// domain, and to its blocking when one of them is less urgent.
    fn account_wait(&mut self, domain: usize, task: usize, dt: u64) {
        let mut inverted = false;
        for i in 0..self.domains[domain].cpus.len() {
            let c = self.domains[domain].cpus[i];
            let Some(other) = self.cpus[c].running else {
                continue;
            };
            add_to(&mut self.tasks[task].active.waited, other, dt);
            if self.track_inversion && self.less_urgent_base(other, task) {
                inverted = true;
            }
        }
        if inverted {
            self.tasks[task].active.blocking += dt;
        }
    }

    /// True if `a`'s base urgency (its own priority or deadline, without
    /// inheritance or ceilings) is below `b`'s.
    fn less_urgent_base(&self, a: usize, b: usize) -> bool {
        match self.policy {
            Policy::FixedPriority => self.tasks[a].priority < self.tasks[b].priority,
            Policy::Edf => {
                let da = self.tasks[a].jobs.front().map_or(u64::MAX, |j| j.deadline);
                let db = self.tasks[b].jobs.front().map_or(u64::MAX, |j| j.deadline);
                da > db
            }
            Policy::Fifo | Policy::RoundRobin => false,
        }
    }

    /// Handles everything that happens at `self.now`, in the documented
    /// order, until no event is left at this instant.
    fn instant(&mut self) {
        loop {
            // Every CPU's events of the instant are handled, even after a
            // deadlock on one of them: a job elsewhere that completes now
            // must not be aborted at its deadline below.
            for c in 0..self.cpus.len() {
                while self.cpus[c].next_event == self.now && self.cpu_event(c) {}
            }
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
                self.releases.pop();
                self.release(task);
            }
            for i in 0..self.requeue.len() {
                let task = self.requeue[i];
                if self.tasks[task].active.at == Where::Requeue {
                    self.make_ready(task);
                }
            }
            self.requeue.clear();
            for d in 0..self.domains.len() {
                self.dispatch(d);
            }
            // Until nothing is left at this instant: CPU events a dispatch
            // created, locks after an unlock, aborts of jobs released at or
            // after their deadline.
            if self.deadlock.is_some() || self.next_time() > self.now {
                break;
            }
        }
    }

    pub(super) fn emit(&mut self, task: usize, job: u64, cpu: Option<usize>, kind: EventKind) {
        if let Some(sink) = self.trace.as_deref_mut() {
            sink.event(&JobEvent {
                time_ns: self.now,
                task: self.sys.tasks[task].id,
                job,
                cpu: cpu.map(|c| self.cpus[c].id),
                kind,
            });
        }
    }

    pub(super) fn emit_at(&mut self, time_ns: u64, task: usize, job: u64, kind: EventKind) {
        if let Some(sink) = self.trace.as_deref_mut() {
            sink.event(&JobEvent {
                time_ns,
                task: self.sys.tasks[task].id,
                job,
                cpu: None,
                kind,
            });
        }
    }

    /// The CPU a task's jobs are reported on when not running (its own
    /// CPU when partitioned).
    fn home_cpu(&self, task: usize) -> Option<usize> {
        let d = &self.domains[self.tasks[task].domain];
        (d.cpus.len() == 1).then(|| d.cpus[0])
    }

    /// A release of `task` at `self.now`.
    fn release(&mut self, task: usize) {
        let now = self.now;
        let t = &mut self.tasks[task];
        let k = t.next_k;
        let nominal = t.next_release;
        t.next_k += 1;
        t.next_release = nominal.saturating_add(t.period);
        // Schedule the next release before anything else draws: per job,
        // the jitter is drawn before the execution time.
        let exec = if t.deterministic {
            t.wcet
        } else {
            t.rng.execution()
        };
        if t.next_release < self.horizon {
            let jitter = if t.deterministic { 0 } else { t.rng.jitter() };
            // Releases of one task keep their order whatever the jitter.
            let ready = t.next_release.saturating_add(jitter).max(now);
            self.releases.push(Reverse((ready, task)));
        }
        t.stats.jobs += 1;
        if self.overrun == Overrun::Skip && !t.jobs.is_empty() {
            t.stats.skipped += 1;
            let cpu = self.home_cpu(task);
            self.emit(task, k, cpu, EventKind::Skip);
            return;
        }
        let t = &mut self.tasks[task];
        t.stats.release_jitter.record(now - nominal);
        let fault_at =
            (t.panic_every > 0 && (k + 1).is_multiple_of(t.panic_every)).then_some(exec / 2);
        let deadline = nominal.saturating_add(t.rel_deadline);
        t.jobs.push_back(Job {
            k,
            release: nominal,
            ready: now,
            deadline,
            exec,
            fault_at,
        });
        let head = t.jobs.len() == 1;
        if self.abort_on_miss {
            // Jitter can make a job ready after its deadline: it is aborted
            // at once, never in the past.
            self.aborts.push(Reverse((deadline.max(now), task, k)));
        }
        let cpu = self.home_cpu(task);
        self.emit(task, k, cpu, EventKind::Release);
        if head {
            self.become_head(task);
        }
    }

    /// The front job of `task` becomes its head job and is ready.
    pub(super) fn become_head(&mut self, task: usize) {
        let now = self.now;
        let t = &mut self.tasks[task];
        let Some(job) = t.jobs.front().copied() else {
            t.active.at = Where::Idle;
            return;
        };
        t.active.reset();
        t.active.queued = now - job.ready;
        t.active.priority = t.priority;
        t.active.deadline = job.deadline;
        self.make_ready(task);
    }

    /// Puts the head job of `task` in its domain's ready list, at the back
    /// of the round-robin queue with a fresh quantum.
    pub(super) fn make_ready(&mut self, task: usize) {
        self.sequence += 1;
        let t = &mut self.tasks[task];
        t.active.sequence = self.sequence;
        t.active.quantum_left = self.quantum;
        t.active.at = Where::Ready;
        let d = t.domain;
        self.domains[d].ready.push(task);
    }

    fn candidate(&self, task: usize) -> Candidate {
        let t = &self.tasks[task];
        Candidate {
            task,
            priority: t.active.priority,
            deadline: t.active.deadline,
            release: t.jobs.front().map_or(0, |j| j.ready),
            sequence: t.active.sequence,
        }
    }

    /// Whether a ready job may start under the stack resource policy (EDF
    /// with `ceiling`): jobs already started always may.
    fn may_start(&self, task: usize) -> bool {
        if !(self.policy == Policy::Edf && self.locking == Locking::Ceiling) {
            return true;
        }
        let t = &self.tasks[task];
        t.active.started || t.rel_deadline < self.locks.system_ceiling(self, t.domain)
    }

    /// The job of domain `d` to run next: the most urgent ready job if it
    /// may start. Under the stack resource policy (Baker 1991), a job starts
    /// only when it is the most urgent ready job *and* its preemption level
    /// is above the system ceiling: when the most urgent one may not start,
    /// only jobs already started may run (a less urgent job above the
    /// ceiling does not jump ahead of it).
    fn best_ready(&self, d: usize) -> Option<(usize, usize)> {
        let most_urgent = |admit: &dyn Fn(usize) -> bool| {
            let mut best: Option<(usize, usize, (u64, u64, usize))> = None;
            for (i, &task) in self.domains[d].ready.iter().enumerate() {
                if !admit(task) {
                    continue;
                }
                let k = policy::key(self.policy, &self.candidate(task));
                if best.is_none_or(|(_, _, bk)| k < bk) {
                    best = Some((i, task, k));
                }
            }
            best.map(|(i, task, _)| (i, task))
        };
        let (i, task) = most_urgent(&|_| true)?;
        if self.may_start(task) {
            Some((i, task))
        } else {
            most_urgent(&|t| self.tasks[t].active.started)
        }
    }

    /// Gives CPUs to the most urgent ready jobs of domain `d`.
    fn dispatch(&mut self, d: usize) {
        loop {
            let Some((index, task)) = self.best_ready(d) else {
                return;
            };
            let idle = self.domains[d]
                .cpus
                .iter()
                .copied()
                .find(|&c| self.cpus[c].running.is_none());
            if let Some(c) = idle {
                self.domains[d].ready.swap_remove(index);
                self.start(task, c);
                continue;
            }
            // Preempt the least urgent running job, if the best ready one
            // beats it (ties: the CPU listed last).
            let mut worst: Option<(usize, (u64, u64, usize))> = None;
            for &c in &self.domains[d].cpus {
                if let Some(r) = self.cpus[c].running {
                    let k = policy::key(self.policy, &self.candidate(r));
                    if worst.is_none_or(|(_, wk)| k >= wk) {
                        worst = Some((c, k));
                    }
                }
            }
            let Some((c, _)) = worst else { return };
            let Some(running) = self.cpus[c].running else {
                return;
            };
            if !policy::preempts(
                self.policy,
                self.preemptive,
                &self.candidate(task),
                &self.candidate(running),
            ) {
                return;
            }
            self.domains[d].ready.swap_remove(index);
            self.preempt(c);
            self.start(task, c);
        }
    }

    /// Takes the running job off CPU `c` (back to ready).
    fn preempt(&mut self, c: usize) {
        let Some(task) = self.settle(c) else { return };
        self.cpus[c].running = None;
        self.cpus[c].next_event = u64::MAX;
        self.tasks[task].stats.preemptions += 1;
        self.tasks[task].active.at = Where::Ready;
        let d = self.tasks[task].domain;
        self.domains[d].ready.push(task);
        let k = self.head_k(task);
        self.emit(task, k, Some(c), EventKind::Preempt);
    }

    /// Starts (or resumes) the head job of `task` on CPU `c`.
    fn start(&mut self, task: usize, c: usize) {
        let now = self.now;
        let k = self.head_k(task);
        let t = &mut self.tasks[task];
        t.active.at = Where::Running(c);
        let first = !t.active.started;
        if first {
            t.active.started = true;
            let release = t.jobs.front().map_or(now, |j| j.release);
            t.stats.start_delay.record(now - release);
        }
        self.cpus[c].running = Some(task);
        self.cpus[c].since = now;
        self.emit(
            task,
            k,
            Some(c),
            if first {
                EventKind::Start
            } else {
                EventKind::Resume
            },
        );
        self.schedule_cpu(c);
    }

    pub(super) fn head_k(&self, task: usize) -> u64 {
        self.tasks[task].jobs.front().map_or(0, |j| j.k)
    }
}
