//! A programmatic way to make a [`System`], for generators, benches and tests.
//!
//! The builder goes through the same door as a config file: [`SystemBuilder::try_build`]
//! checks the rules every system obeys (positive periods, `0 < wcet <=
//! deadline`, sections inside the WCET and nested, CPUs of the platform,
//! explicit priorities in `1..=99`, ...) and does the same bookkeeping as
//! [`crate::config`]: task and resource ids, default CPUs by worst-fit
//! decreasing, priorities for derived orders. The same task set therefore
//! gives the same system, built here or loaded from a file.
//!
//! ```
//! use rtlab_tasks::model::SystemBuilder;
//! use rtlab_tasks::time::Duration;
//! let ms = |v| Duration::from_millis(v).unwrap();
//! let system = SystemBuilder::new("example")
//!     .task("a", ms(4), ms(1))
//!     .task("b", ms(6), ms(2))
//!     .build();
//! assert_eq!(system.tasks[0].priority, 2); // rate-monotonic: shorter period wins
//! ```

use super::{
    Arrival, Chain, CpuId, Execution, Faults, Live, Locking, ModelError, OnMiss, Overrun,
    Placement, Platform, Policy, Priority, PriorityOrder, Resource, ResourceId, Scheduler, Section,
    System, Task, TaskId,
};
use crate::time::Duration;

impl Default for Scheduler {
    /// Preemptive rate-monotonic fixed priority, partitioned, priority
    /// inheritance, queued overruns, jobs continue past their deadline,
    /// quantum 1 ms.
    fn default() -> Self {
        Scheduler {
            policy: Policy::FixedPriority,
            preemptive: true,
            priorities: PriorityOrder::RateMonotonic,
            placement: Placement::Partitioned,
            quantum: Duration::from_nanos(1_000_000),
            locking: Locking::Inherit,
            overrun: Overrun::Queue,
            on_miss: OnMiss::Continue,
        }
    }
}

impl Default for Live {
    /// SCHED_FIFO, top priority 90, no spin tail, memory locked.
    fn default() -> Self {
        Live {
            os_policy: super::OsPolicy::Fifo,
            priority_top: 90,
            spin_tail: Duration::ZERO,
            lock_memory: true,
            kernel_trace: true,
        }
    }
}

impl Task {
    /// A task with implicit deadline, zero offset and jitter, constant
    /// execution time, no sections, priority 0 and no CPU.
    pub fn new(id: TaskId, name: &str, period: Duration, wcet: Duration) -> Task {
        Task {
            id,
            name: name.to_string(),
            period,
            wcet,
            deadline: period,
            offset: Duration::ZERO,
            priority: 0,
            cpu: None,
            cpu_auto: false,
            execution: Execution::Constant,
            arrival: Arrival::Periodic,
            trigger: None,
            reads: Vec::new(),
            release_jitter: Duration::ZERO,
            sections: Vec::new(),
            faults: Faults::default(),
        }
    }
}

/// Builds a [`System`] task by task; modifiers apply to the last task added.
#[derive(Clone, Debug)]
pub struct SystemBuilder {
    system: System,
}

/// Why [`SystemBuilder::try_build`] refused a system: every rule it breaks,
/// each naming its task.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("system `{name}` is not valid: {}", list(.problems))]
pub struct BuildError {
    /// The system's name.
    pub name: String,
    /// Every problem, the platform's first, then task by task.
    pub problems: Vec<ModelError>,
}

fn list(problems: &[ModelError]) -> String {
    let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
    all.join("; ")
}

impl SystemBuilder {
    /// An empty system on CPU 0 with the default [`Scheduler`] and
    /// [`Live`] settings, a 1 s duration and seed 1.
    pub fn new(name: &str) -> Self {
        SystemBuilder {
            system: System {
                name: name.to_string(),
                description: String::new(),
                duration: Duration::from_nanos(1_000_000_000),
                seed: 1,
                platform: Platform { cpus: vec![0] },
                scheduler: Scheduler::default(),
                live: Live::default(),
                tasks: Vec::new(),
                resources: Vec::new(),
                loads: Vec::new(),
                chains: Vec::new(),
            },
        }
    }

    /// Replaces the scheduler settings.
    pub fn scheduler(mut self, scheduler: Scheduler) -> Self {
        self.system.scheduler = scheduler;
        self
    }

    /// Sets the dispatching policy.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.system.scheduler.policy = policy;
        self
    }

    /// Sets preemptive (true) or non-preemptive (false) dispatching.
    pub fn preemptive(mut self, preemptive: bool) -> Self {
        self.system.scheduler.preemptive = preemptive;
        self
    }

    /// Sets the priority order (`Explicit` keeps the priorities given with
    /// [`SystemBuilder::priority`]; every task then needs one).
    pub fn priorities(mut self, order: PriorityOrder) -> Self {
        self.system.scheduler.priorities = order;
        self
    }

    /// Sets the locking protocol.
    pub fn locking(mut self, locking: Locking) -> Self {
        self.system.scheduler.locking = locking;
        self
    }

    /// Sets the placement.
    pub fn placement(mut self, placement: Placement) -> Self {
        self.system.scheduler.placement = placement;
        self
    }

    /// Sets the platform's CPUs.
    pub fn cpus(mut self, cpus: &[CpuId]) -> Self {
        self.system.platform.cpus = cpus.to_vec();
        self
    }

    /// Sets the horizon / run length.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.system.duration = duration;
        self
    }

    /// Adds a task with an implicit deadline.
    pub fn task(mut self, name: &str, period: Duration, wcet: Duration) -> Self {
        let id = TaskId(self.system.tasks.len());
        self.system.tasks.push(Task::new(id, name, period, wcet));
        self
    }

    fn last(&mut self) -> &mut Task {
        self.system
            .tasks
            .last_mut()
            .expect("SystemBuilder: add a task before setting its fields")
    }

    /// Sets the last task's relative deadline.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.last().deadline = deadline;
        self
    }

    /// Sets the last task's offset (first release).
    pub fn offset(mut self, offset: Duration) -> Self {
        self.last().offset = offset;
        self
    }

    /// Sets the last task's release jitter.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.last().release_jitter = jitter;
        self
    }

    /// Sets the last task's priority (higher = more urgent, `1..=99`) and
    /// makes the order explicit: every task then needs one.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.last().priority = priority;
        self.system.scheduler.priorities = PriorityOrder::Explicit;
        self
    }

    /// Sets the last task's CPU (one of the platform's; ignored under
    /// global placement).
    pub fn cpu(mut self, cpu: CpuId) -> Self {
        self.last().cpu = Some(cpu);
        self
    }

    /// Sets the last task's execution-time model.
    pub fn execution(mut self, execution: Execution) -> Self {
        self.last().execution = execution;
        self
    }

    /// Makes the last task triggered by the task named `source` (added
    /// before it): one job of it is released at each completion of
    /// `source`'s jobs. Its period becomes `source`'s trigger source's
    /// period, and an implicit deadline with it.
    ///
    /// # Panics
    ///
    /// When no task added before is named `source`.
    pub fn triggered_by(mut self, source: &str) -> Self {
        let id = self.id_of(source);
        let period = self.system.tasks[id.0].period;
        let t = self.last();
        if t.deadline == t.period {
            t.deadline = period;
        }
        t.period = period;
        t.trigger = Some(id);
        self
    }

    /// Makes the last task read, at the start of each job, the latest
    /// value the task named `source` (added before it) completed.
    ///
    /// # Panics
    ///
    /// When no task added before is named `source`.
    pub fn reads(mut self, source: &str) -> Self {
        let id = self.id_of(source);
        self.last().reads.push(id);
        self
    }

    /// Adds a chain over the tasks named `tasks` (added before), with an
    /// optional end-to-end deadline.
    ///
    /// # Panics
    ///
    /// When a name is not a task added before.
    pub fn chain(mut self, name: &str, tasks: &[&str], deadline: Option<Duration>) -> Self {
        let tasks = tasks.iter().map(|t| self.id_of(t)).collect();
        self.system.chains.push(Chain {
            name: name.to_string(),
            tasks,
            deadline,
        });
        self
    }

    fn id_of(&self, name: &str) -> TaskId {
        match self.system.tasks.iter().find(|t| t.name == name) {
            Some(t) => t.id,
            None => panic!("SystemBuilder: no task `{name}` added before"),
        }
    }

    /// Sets how the last task's jobs arrive. A sporadic or Poisson model
    /// also sets its period to the model's minimum gap, and an implicit
    /// deadline (equal to the period) with it.
    pub fn arrival(mut self, arrival: Arrival) -> Self {
        let t = self.last();
        if let Some(min) = arrival.min_gap() {
            if t.deadline == t.period {
                t.deadline = min;
            }
            t.period = min;
        }
        t.arrival = arrival;
        self
    }

    /// Adds a critical section on `resource` to the last task: locked after
    /// `after` of execution, held for `hold` of execution. Sections may be
    /// added in any order; building sorts them and numbers resources by
    /// first use, as the config loader does.
    pub fn section(mut self, resource: &str, after: Duration, hold: Duration) -> Self {
        let resources = &mut self.system.resources;
        let id = match resources.iter().position(|r| r.name == resource) {
            Some(i) => i,
            None => {
                resources.push(Resource {
                    id: ResourceId(resources.len()),
                    name: resource.to_string(),
                    users: Vec::new(),
                });
                resources.len() - 1
            }
        };
        self.last().sections.push(Section {
            resource: ResourceId(id),
            after,
            hold,
        });
        self
    }

    /// Finishes the system as the config loader does: checks every rule
    /// of a [`System`] and, when all hold, sorts sections, numbers
    /// resources by first use, places tasks without a CPU by worst-fit
    /// decreasing (partitioned; global placement drops CPUs) and assigns
    /// derived priority orders with [`crate::analysis::priority::assign`].
    ///
    /// What the assignment would tell a config's user (Audsley falling back
    /// to deadline-monotonic) is not returned; call
    /// [`crate::analysis::priority::assign`] to see it.
    pub fn try_build(mut self) -> Result<System, BuildError> {
        match super::finish(&mut self.system) {
            Ok(_notes) => Ok(self.system),
            Err(problems) => Err(BuildError {
                name: self.system.name,
                problems,
            }),
        }
    }

    /// [`SystemBuilder::try_build`], for tests and examples whose task set
    /// is known to be valid.
    ///
    /// # Panics
    ///
    /// When the system breaks a rule, with the [`BuildError`] as message.
    pub fn build(self) -> System {
        match self.try_build() {
            Ok(system) => system,
            Err(e) => panic!("SystemBuilder::build: {e}"),
        }
    }
}

#[cfg(test)]
mod tests;
