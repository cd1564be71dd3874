//! A programmatic way to make a [`System`], for generators, benches and tests.
//!
//! Config files go through [`crate::config`], which validates everything.
//! The builder does not validate: it trusts its caller to respect the
//! invariants listed in [`crate::model`] (positive periods,
//! `0 < wcet <= deadline`, sections inside the WCET). It does the
//! bookkeeping: task and resource ids, default CPUs, and priorities for
//! derived orders.
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
    CpuId, Execution, Faults, Live, Locking, OnMiss, Overrun, Placement, Platform, Policy,
    Priority, PriorityOrder, Resource, ResourceId, Scheduler, Section, System, Task, TaskId,
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
    priorities_given: bool,
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
            },
            priorities_given: false,
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
    /// [`SystemBuilder::priority`]).
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

    /// Sets the last task's priority (higher = more urgent) and makes the
    /// order explicit.
    pub fn priority(mut self, priority: Priority) -> Self {
        self.last().priority = priority;
        self.system.scheduler.priorities = PriorityOrder::Explicit;
        self.priorities_given = true;
        self
    }

    /// Sets the last task's CPU.
    pub fn cpu(mut self, cpu: CpuId) -> Self {
        self.last().cpu = Some(cpu);
        self
    }

    /// Sets the last task's execution-time model.
    pub fn execution(mut self, execution: Execution) -> Self {
        self.last().execution = execution;
        self
    }

    /// Adds a critical section on `resource` to the last task: locked after
    /// `after` of execution, held for `hold` of execution.
    pub fn section(mut self, resource: &str, after: Duration, hold: Duration) -> Self {
        let task = self.last().id;
        let resources = &mut self.system.resources;
        let rid = match resources.iter().position(|r| r.name == resource) {
            Some(i) => ResourceId(i),
            None => {
                resources.push(Resource {
                    id: ResourceId(resources.len()),
                    name: resource.to_string(),
                    users: Vec::new(),
                });
                ResourceId(resources.len() - 1)
            }
        };
        let users = &mut resources[rid.0].users;
        if !users.contains(&task) {
            users.push(task);
        }
        let sections = &mut self.system.tasks[task.0].sections;
        sections.push(Section {
            resource: rid,
            after,
            hold,
        });
        sections.sort_by_key(|s| (s.after, std::cmp::Reverse(s.hold)));
        self
    }

    /// Finishes the system: tasks without a CPU go to the first platform CPU
    /// (partitioned) or to none (global); derived priority orders are
    /// computed with [`crate::analysis::priority::assign`].
    pub fn build(mut self) -> System {
        let first_cpu = self.system.platform.cpus.first().copied().unwrap_or(0);
        let global = self.system.scheduler.placement == Placement::Global;
        for task in &mut self.system.tasks {
            if global {
                task.cpu = None;
            } else if task.cpu.is_none() {
                task.cpu = Some(first_cpu);
            }
        }
        let order = self.system.scheduler.priorities;
        if !(order == PriorityOrder::Explicit && self.priorities_given) {
            let order = if order == PriorityOrder::Explicit {
                PriorityOrder::RateMonotonic
            } else {
                order
            };
            let assigned = crate::analysis::priority::assign(&self.system, order);
            for (task, p) in self.system.tasks.iter_mut().zip(assigned.priorities) {
                task.priority = p;
            }
        }
        self.system
    }
}
