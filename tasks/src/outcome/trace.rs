//! Job events, as both engines emit them for `--trace`.
//!
//! An engine hands every event to a [`TraceSink`]; the CLI passes a sink
//! that streams them to `trace.json` (Chrome / Perfetto trace-event format,
//! written by `rtlab-reports`), so engines never know about files or
//! formats and memory stays bounded by the file, not the run.

use crate::model::{CpuId, ResourceId, TaskId};

/// What happened to a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The job was released (became ready, jitter included).
    Release,
    /// The job ran for the first time.
    Start,
    /// The job lost its CPU to another job.
    Preempt,
    /// The job ran again after a preemption or a block.
    Resume,
    /// The job waits for a resource held by another job.
    Block {
        /// The resource.
        resource: ResourceId,
    },
    /// The job got the resource it waited for.
    Unblock {
        /// The resource.
        resource: ResourceId,
    },
    /// The job locked a resource.
    Lock {
        /// The resource.
        resource: ResourceId,
    },
    /// The job released a resource.
    Unlock {
        /// The resource.
        resource: ResourceId,
    },
    /// The job completed.
    Complete,
    /// The job's deadline passed before it completed.
    Miss,
    /// The job was aborted at its deadline.
    Abort,
    /// The release was skipped (previous job unfinished).
    Skip,
    /// The job panicked (fault injection).
    Fault,
}

/// One event of one job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobEvent {
    /// When, in nanoseconds from the start of the run.
    pub time_ns: u64,
    /// The task.
    pub task: TaskId,
    /// The job number of the task, from 0.
    pub job: u64,
    /// The CPU involved (where it starts, runs or is preempted), if any.
    pub cpu: Option<CpuId>,
    /// What happened.
    pub kind: EventKind,
}

/// Receives the events of a run, in time order per CPU and per task.
///
/// An engine may hand events over one at a time ([`TraceSink::event`]) or
/// in batches ([`TraceSink::events`]), always in the order it emitted them;
/// every event of a run has been handed over when the engine returns.
pub trait TraceSink {
    /// Takes one event. A sink that cannot keep up or fails remembers it and
    /// reports at the end; it never stops the engine.
    fn event(&mut self, event: &JobEvent);

    /// Takes a batch of events, in order: the same as [`TraceSink::event`]
    /// on each (the default), which a sink may do in one loop.
    fn events(&mut self, batch: &[JobEvent]) {
        for e in batch {
            self.event(e);
        }
    }

    /// Takes a batch the engine is done with, and gives back an empty
    /// vector for the engine to gather the next batch in: the same as
    /// [`TraceSink::events`] and the batch back, cleared (the default). A
    /// sink that keeps events may keep the batch itself instead of copying
    /// it, and give back one it no longer needs.
    fn take_batch(&mut self, mut batch: Vec<JobEvent>) -> Vec<JobEvent> {
        self.events(&batch);
        batch.clear();
        batch
    }
}

/// A sink that keeps every event in memory (tests and small runs).
#[derive(Clone, Debug, Default)]
pub struct Collect {
    /// The events, in the order received.
    pub events: Vec<JobEvent>,
}

impl TraceSink for Collect {
    fn event(&mut self, event: &JobEvent) {
        self.events.push(*event);
    }
}
