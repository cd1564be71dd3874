//! The first stretch of a run's job events, kept for the Gantt timeline of
//! reports (`window.json` beside `result.json`).
//!
//! Engines stream every event to a [`TraceSink`]; a [`WindowSink`] keeps
//! the events of the first [`window_length`] of the run (at most
//! [`MAX_WINDOW_EVENTS`]) and passes every event on to an inner sink (the
//! trace file), so memory stays bounded however long the run.

use serde::{Deserialize, Serialize};

use super::trace::{EventKind, JobEvent, TraceSink};
use crate::model::{CpuId, System};

/// The most events a window keeps.
pub const MAX_WINDOW_EVENTS: usize = 20_000;

/// One job event, serializable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowEvent {
    /// When, in ns from the start of the run.
    pub t: u64,
    /// Task index (config order).
    pub task: usize,
    /// Job number of the task.
    pub job: u64,
    /// The CPU, if known.
    pub cpu: Option<CpuId>,
    /// What happened: `release`, `start`, `preempt`, `resume`, `block`,
    /// `unblock`, `lock`, `unlock`, `complete`, `miss`, `abort`, `skip`,
    /// `fault`.
    pub kind: String,
    /// The resource of `block` / `unblock` / `lock` / `unlock`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<usize>,
}

/// The first stretch of a run: `window.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Always `rtlab.window/v1`.
    pub schema: String,
    /// The window covers `[0, end_ns)`, in ns.
    pub end_ns: u64,
    /// True if [`MAX_WINDOW_EVENTS`] cut it short.
    pub truncated: bool,
    /// Task names, in config order.
    pub tasks: Vec<String>,
    /// Resource names, in order of first use.
    pub resources: Vec<String>,
    /// Relative deadlines of the tasks, in ns (to draw deadlines).
    pub deadlines_ns: Vec<u64>,
    /// The events, in the order the engine emitted them.
    pub events: Vec<WindowEvent>,
}

/// The schema tag of a window file.
pub const WINDOW_SCHEMA: &str = "rtlab.window/v1";

/// How much of a run the window covers: four times the longest period
/// (at least a few jobs of every task), at most 200 ms and at most the run.
pub fn window_length(system: &System, run_ns: u64) -> u64 {
    let longest = system
        .tasks
        .iter()
        .map(|t| t.period.as_nanos())
        .max()
        .unwrap_or(0);
    longest
        .saturating_mul(4)
        .min(200_000_000)
        .min(run_ns)
        .max(1)
}

fn kind_name(kind: EventKind) -> (&'static str, Option<usize>) {
    match kind {
        EventKind::Release => ("release", None),
        EventKind::Start => ("start", None),
        EventKind::Preempt => ("preempt", None),
        EventKind::Resume => ("resume", None),
        EventKind::Block { resource } => ("block", Some(resource.0)),
        EventKind::Unblock { resource } => ("unblock", Some(resource.0)),
        EventKind::Lock { resource } => ("lock", Some(resource.0)),
        EventKind::Unlock { resource } => ("unlock", Some(resource.0)),
        EventKind::Complete => ("complete", None),
        EventKind::Miss => ("miss", None),
        EventKind::Abort => ("abort", None),
        EventKind::Skip => ("skip", None),
        EventKind::Fault => ("fault", None),
    }
}

/// A sink that keeps the window and forwards everything to `inner`.
pub struct WindowSink<'a> {
    window: Window,
    inner: Option<&'a mut dyn TraceSink>,
}

impl<'a> WindowSink<'a> {
    /// A window of `end_ns` over `system`'s tasks, forwarding to `inner`.
    pub fn new(system: &System, end_ns: u64, inner: Option<&'a mut dyn TraceSink>) -> Self {
        WindowSink {
            window: Window {
                schema: WINDOW_SCHEMA.to_string(),
                end_ns,
                truncated: false,
                tasks: system.tasks.iter().map(|t| t.name.clone()).collect(),
                resources: system.resources.iter().map(|r| r.name.clone()).collect(),
                deadlines_ns: system.tasks.iter().map(|t| t.deadline.as_nanos()).collect(),
                events: Vec::new(),
            },
            inner,
        }
    }

    /// The window kept.
    pub fn into_window(self) -> Window {
        self.window
    }
}

impl TraceSink for WindowSink<'_> {
    fn event(&mut self, e: &JobEvent) {
        if e.time_ns < self.window.end_ns {
            if self.window.events.len() < MAX_WINDOW_EVENTS {
                let (kind, resource) = kind_name(e.kind);
                self.window.events.push(WindowEvent {
                    t: e.time_ns,
                    task: e.task.0,
                    job: e.job,
                    cpu: e.cpu,
                    kind: kind.to_string(),
                    resource,
                });
            } else {
                self.window.truncated = true;
            }
        }
        if let Some(inner) = self.inner.as_deref_mut() {
            inner.event(e);
        }
    }
}
