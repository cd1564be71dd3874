//! The job ledger: what a run records, written once for both engines.
//!
//! The engines decide *when* things happen (the simulator on its virtual
//! clock, the live engine on real threads); the ledger decides *what is
//! recorded* and how:
//!
//! - [`Arrivals`]: a task's releases, with the per-job random draws in one
//!   documented order, the injected faults and the absolute deadlines;
//!   the releases a run never reached are counted from it too;
//! - [`TaskBook`]: a task's counters and metrics, and its misses with
//!   their causes, from the job events (released, skipped, started,
//!   preempted, completed, faulted, aborted, unfinished at the end);
//! - [`JobCauses`]: the partition of one job's time (own execution, who
//!   ran while it waited, what it was blocked on, and the kind of each
//!   delay), from which a [`Miss`](rtlab_tasks::outcome::Miss) is built;
//! - [`ResourceBook`]: the contention on one resource;
//! - [`ChainBook`]: the chains' end-to-end latencies, from the jobs of
//!   their stages;
//! - [`wait_for_cycle`]: deadlock detection on the wait-for graph;
//! - [`Ledger::close`]: the run's `Outcome`.
//!
//! Times given to the ledger are nanoseconds from the run's start. A
//! ledger is plain data: the live engine gives each thread its own
//! [`TaskBook`] and resource books (no shared lock on the hot path) and
//! merges them at the end with [`Ledger::absorb`].

mod arrivals;
mod book;
mod causes;
mod chains;
mod deadlock;
mod resources;

use std::sync::Arc;

use rtlab_tasks::config;
use rtlab_tasks::model::{CpuId, System};
use rtlab_tasks::outcome::metrics::MetricError;
use rtlab_tasks::outcome::{
    CpuOutcome, Deadlock, DeadlockEdge, Engine, Environment, Outcome, RESULT_SCHEMA, TaskStats,
};

pub use arrivals::{Arrivals, JobPlan};
pub use book::TaskBook;
pub use causes::JobCauses;
pub use chains::{ChainBook, Token};
pub use deadlock::{WaitEdge, wait_for_cycle};
pub use resources::ResourceBook;

/// The names of a system's tasks and resources, by index, for the
/// records that carry names (misses, deadlocks, resources).
#[derive(Debug)]
pub struct Names {
    tasks: Vec<String>,
    resources: Vec<String>,
}

impl Names {
    /// The names of `system`'s tasks and resources.
    pub fn of(system: &System) -> Self {
        Names {
            tasks: system.tasks.iter().map(|t| t.name.clone()).collect(),
            resources: system.resources.iter().map(|r| r.name.clone()).collect(),
        }
    }

    /// The name of task `t` (empty if there is none).
    pub fn task(&self, t: usize) -> &str {
        self.tasks.get(t).map_or("", String::as_str)
    }

    /// The name of resource `r` (empty if there is none).
    pub fn resource(&self, r: usize) -> &str {
        self.resources.get(r).map_or("", String::as_str)
    }
}

/// Everything a run recorded, task by task and resource by resource.
#[derive(Debug)]
pub struct Ledger {
    names: Arc<Names>,
    tasks: Vec<TaskBook>,
    resources: Vec<ResourceBook>,
    chains: ChainBook,
}

/// What an engine knows about its run beyond the jobs, to close it.
#[derive(Debug)]
pub struct Closing {
    /// The engine that ran.
    pub engine: Engine,
    /// The seed of every random draw.
    pub seed: u64,
    /// Where and how it ran (`rtlab_version` is filled in here).
    pub environment: Environment,
    /// Wall-clock start (RFC 3339), live only.
    pub started_at: Option<String>,
    /// Length of the run, in nanoseconds.
    pub duration_ns: u64,
    /// Whether it stopped before its end (deadlock, Ctrl-C, stuck thread).
    pub interrupted: bool,
    /// Per CPU figures.
    pub cpus: Vec<CpuOutcome>,
    /// The deadlock that stopped it, if any.
    pub deadlock: Option<Deadlock>,
}

impl Ledger {
    /// An empty ledger for a run of `system`.
    pub fn new(system: &System) -> Self {
        let names = Arc::new(Names::of(system));
        Ledger {
            tasks: (0..system.tasks.len())
                .map(|_| TaskBook::new(Arc::clone(&names)))
                .collect(),
            resources: vec![ResourceBook::default(); system.resources.len()],
            chains: ChainBook::new(system, Arc::clone(&names)),
            names,
        }
    }

    /// The book of task `t`.
    #[inline]
    pub fn task(&mut self, t: usize) -> &mut TaskBook {
        &mut self.tasks[t]
    }

    /// The chains' book.
    #[inline]
    pub fn chains(&mut self) -> &mut ChainBook {
        &mut self.chains
    }

    /// Deadline misses recorded for every task so far.
    pub fn deadline_misses(&self) -> u64 {
        self.tasks.iter().map(TaskBook::deadline_misses).sum()
    }

    /// The book of resource `r`.
    #[inline]
    pub fn resource(&mut self, r: usize) -> &mut ResourceBook {
        &mut self.resources[r]
    }

    /// A fresh task book, to be kept by whoever runs the task (a live
    /// thread) and handed back with [`Ledger::absorb`].
    pub fn fresh_book(&self) -> TaskBook {
        TaskBook::new(Arc::clone(&self.names))
    }

    /// Fresh resource books, one per resource, for a live thread.
    pub fn resource_books(&self) -> Vec<ResourceBook> {
        vec![ResourceBook::default(); self.resources.len()]
    }

    /// Adds what a thread recorded for task `t` (its book and its view of
    /// the resources).
    pub fn absorb(
        &mut self,
        t: usize,
        book: &TaskBook,
        resources: &[ResourceBook],
    ) -> Result<(), MetricError> {
        self.tasks[t].merge(book)?;
        for (acc, r) in self.resources.iter_mut().zip(resources) {
            acc.merge(r)?;
        }
        Ok(())
    }

    /// The deadlock of a wait-for cycle found at `at_ns`.
    pub fn deadlock(&self, at_ns: u64, cycle: &[WaitEdge]) -> Deadlock {
        Deadlock {
            at_ns,
            cycle: cycle
                .iter()
                .map(|e| DeadlockEdge {
                    task: self.names.task(e.task).to_string(),
                    resource: self.names.resource(e.resource).to_string(),
                    held_by: self.names.task(e.holder).to_string(),
                })
                .collect(),
        }
    }

    /// The run's result. The analysis' predictions are left empty: the
    /// caller attaches them (`Outcome::attach_analysis`).
    pub fn close(self, system: &System, closing: Closing) -> Outcome {
        let stats: Vec<TaskStats> = self.tasks.into_iter().map(TaskBook::into_stats).collect();
        let resources = self
            .resources
            .iter()
            .enumerate()
            .map(|(r, b)| b.outcome(self.names.resource(r)))
            .collect();
        let chains = self.chains.close(closing.duration_ns, !closing.interrupted);
        Outcome {
            schema: RESULT_SCHEMA.to_string(),
            engine: closing.engine,
            config: config::normalized(system),
            variant: None,
            seed: closing.seed,
            environment: Environment {
                rtlab_version: env!("CARGO_PKG_VERSION").to_string(),
                ..closing.environment
            },
            started_at: closing.started_at,
            duration_ns: closing.duration_ns,
            interrupted: closing.interrupted,
            tasks: rtlab_tasks::outcome::task_outcomes(system, stats),
            cpus: closing.cpus,
            resources,
            trace: None,
            deadlock: closing.deadlock,
            chains,
        }
    }
}

#[cfg(test)]
impl Ledger {
    /// Per task, every completed job as (job, accounted time, response),
    /// in ns.
    pub(crate) fn audits(&self) -> Vec<&[(u64, u64, u64)]> {
        self.tasks.iter().map(|t| t.audit.as_slice()).collect()
    }
}

/// One CPU's figures: `busy_ns` of task execution in a run of `length_ns`.
pub fn cpu_outcome(id: CpuId, busy_ns: u64, length_ns: u64) -> CpuOutcome {
    CpuOutcome {
        id,
        busy_ratio: if length_ns == 0 {
            0.0
        } else {
            (busy_ns as f64 / length_ns as f64).min(1.0)
        },
        busy_ns,
        usage: None,
    }
}
