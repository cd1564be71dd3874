//! A running job's progress: CPU time accounting, the next point of its
//! execution where something happens, and what happens there (locks,
//! a fault, completion, the end of a round-robin quantum).

use rtlab_tasks::model::Policy;
use rtlab_tasks::outcome::trace::EventKind;

use super::engine::Engine;
use super::state::{End, Op, Where};

impl Engine<'_> {
    /// Brings the running job of CPU `c` up to date at `self.now`; returns
    /// its task.
    pub(super) fn settle(&mut self, c: usize) -> Option<usize> {
        let task = self.cpus[c].running?;
        let dt = self.now - self.cpus[c].since;
        self.cpus[c].since = self.now;
        self.cpus[c].busy += dt;
        let a = &mut self.tasks[task].active;
        a.executed += dt;
        a.quantum_left = a.quantum_left.saturating_sub(dt);
        Some(task)
    }

    /// Computes when the job running on `c` next reaches an event.
    #[inline(always)]
    pub(super) fn schedule_cpu(&mut self, c: usize) {
        let Some(task) = self.cpus[c].running else {
            self.set_next_event(c, u64::MAX);
            return;
        };
        let t = &self.tasks[task];
        let Some(job) = t.jobs.front() else {
            self.set_next_event(c, u64::MAX);
            return;
        };
        let done = t.active.executed;
        let mut d = job.exec.saturating_sub(done);
        if let Some(op) = t.ops.get(t.active.next_op) {
            d = d.min(op.at.saturating_sub(done));
        }
        if let Some(f) = job.fault_at
            && f >= done
        {
            d = d.min(f - done);
        }
        if self.policy == Policy::RoundRobin {
            d = d.min(t.active.quantum_left);
        }
        let at = self.now.saturating_add(d);
        self.set_next_event(c, at);
    }

    /// Handles what the job running on `c` reaches now. Returns false when
    /// the job stopped at a scheduling point with work left at this instant
    /// (locks after an unlock): `c` keeps its event at `self.now`, to be
    /// handled again after the CPUs are dispatched.
    pub(super) fn cpu_event(&mut self, c: usize) -> bool {
        let Some(task) = self.settle(c) else {
            self.set_next_event(c, u64::MAX);
            return true;
        };
        let Some(job) = self.tasks[task].jobs.front().copied() else {
            self.set_next_event(c, u64::MAX);
            return true;
        };
        let done = self.tasks[task].active.executed;
        // At one execution point: unlocks, then a fault, then locks, then
        // completion.
        let mut unlocked = false;
        while let Some(op) = self.next_op_at(task, done) {
            if op.lock {
                break;
            }
            self.tasks[task].active.next_op += 1;
            self.unlock(task, op.resource);
            unlocked = true;
        }
        if job.fault_at == Some(done) {
            self.end_job(task, Some(c), End::Fault);
            return true;
        }
        // An unlock is a scheduling point: the waiter it woke, or a job
        // the holder's ceiling (or the SRP system ceiling) kept out, may be
        // more urgent than the unlocking job now is, and must get the CPU
        // before that job takes its next lock, as on a real system where
        // the unlock call itself switches to it.
        if unlocked && self.next_op_at(task, done).is_some() {
            return false;
        }
        while let Some(op) = self.next_op_at(task, done) {
            if !self.lock(task, op.resource, c) {
                return true; // blocked: the CPU was freed
            }
            self.tasks[task].active.next_op += 1;
        }
        if done >= job.exec {
            self.end_job(task, Some(c), End::Complete);
            return true;
        }
        if self.policy == Policy::RoundRobin && self.tasks[task].active.quantum_left == 0 {
            self.vacate(c);
            self.ledger.task(task).preempted();
            self.tasks[task].active.at = Where::Requeue;
            self.requeue.push(task);
            let k = job.k;
            self.emit(task, k, Some(c), EventKind::Preempt);
            return true;
        }
        self.schedule_cpu(c);
        true
    }

    /// The next lock / unlock step of `task`'s head job if it is at
    /// execution time `done`.
    fn next_op_at(&self, task: usize, done: u64) -> Option<Op> {
        let t = &self.tasks[task];
        t.ops
            .get(t.active.next_op)
            .copied()
            .filter(|op| op.at == done)
    }
}
