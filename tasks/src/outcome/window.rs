//! Stretches of a run's job events, kept for the Gantt timelines of
//! reports (`window.json` beside `result.json`): the first stretch, and one
//! around the worst miss of each task that missed.
//!
//! Engines stream every event to a [`TraceSink`]; a [`WindowSink`] keeps
//! the events of the first [`window_length`] of the run (at most
//! [`MAX_WINDOW_EVENTS`]) and passes every event on to an inner sink (the
//! trace file), so memory stays bounded however long the run.
//!
//! ## Around the misses
//!
//! Misses late in a run would never be seen in the first window, so the
//! sink also keeps, for each task that missed, a window of the same length
//! `L` around its **worst miss**: the missed job with the largest lateness
//! (completion or abort minus the deadline; on a tie the first). Both
//! engines emit a job's `miss` event right after its `complete` or `abort`,
//! timestamped at the deadline, so the lateness is known when the miss
//! arrives. The window runs from `deadline - 3/4 L` to `deadline + 1/4 L`
//! (it starts earlier, at `deadline - D - L/16`, for a relative deadline
//! `D` longer than `3/4 L`, so the job's release is always inside), clipped
//! to the run; it is filled from a ring of the recent events (the longest
//! such lead plus `L`, at most [`MAX_WINDOW_EVENTS`]) and then from the
//! events that follow. Memory stays bounded: the first window and one
//! window per task, each at most [`MAX_WINDOW_EVENTS`] events, and the
//! ring, at most twice that (it is trimmed lazily).
//!
//! A window whose start had already left the ring (a miss later than `L`,
//! or more than [`MAX_WINDOW_EVENTS`] events in its lead) starts after the
//! events it lost and is marked `truncated`.
//!
//! ## `window.json` (`rtlab.window/v1`)
//!
//! The top-level fields (`end_ns`, `truncated`, `events`) are the first
//! window, as before; `around_misses` (absent or empty without misses) lists
//! the windows around the misses, in time order:
//! `[{ "task": 0, "job": 912, "deadline_ns": 1830000000,
//! "lateness_ns": 3100000, "start_ns": 0, "end_ns": 0, "truncated": false,
//! "events": [...] }]`, `task` an index into `tasks`. See [`AroundMiss`].

use serde::{Deserialize, Serialize};

use super::trace::{EventKind, JobEvent, TraceSink};
use crate::model::{CpuId, System};
use capture::Captures;

mod capture;
mod ring;

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
    /// The windows around each task's worst miss, in time order (empty
    /// without misses, and in files written before they existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub around_misses: Vec<AroundMiss>,
}

/// A window around one task's worst miss (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AroundMiss {
    /// The task (index into [`Window::tasks`]).
    pub task: usize,
    /// The missed job's number.
    pub job: u64,
    /// The deadline it missed, in ns from the start of the run.
    pub deadline_ns: u64,
    /// How late it ended (completion or abort minus the deadline), in ns.
    pub lateness_ns: u64,
    /// The window covers `[start_ns, end_ns)`, in ns from the start of the
    /// run.
    pub start_ns: u64,
    /// End of the window, in ns (exclusive).
    pub end_ns: u64,
    /// True if events of the window were lost (more than
    /// [`MAX_WINDOW_EVENTS`], or its start had left the ring).
    pub truncated: bool,
    /// The events in `[start_ns, end_ns)`, in the order the engine emitted
    /// them.
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

/// The serializable form of `e`.
fn window_event(e: &JobEvent) -> WindowEvent {
    let (kind, resource) = kind_name(e.kind);
    WindowEvent {
        t: e.time_ns,
        task: e.task.0,
        job: e.job,
        cpu: e.cpu,
        kind: kind.to_string(),
        resource,
    }
}

/// A sink that keeps the first window and the windows around each task's
/// worst miss, and forwards everything to `inner`.
pub struct WindowSink<'a> {
    window: Window,
    captures: Captures,
    inner: Option<&'a mut dyn TraceSink>,
}

impl<'a> WindowSink<'a> {
    /// A window of `end_ns` over `system`'s tasks, forwarding to `inner`.
    /// `end_ns` is also the length of the windows around the misses.
    pub fn new(system: &System, end_ns: u64, inner: Option<&'a mut dyn TraceSink>) -> Self {
        let deadlines: Vec<u64> = system.tasks.iter().map(|t| t.deadline.as_nanos()).collect();
        WindowSink {
            captures: Captures::new(end_ns, &deadlines),
            window: Window {
                schema: WINDOW_SCHEMA.to_string(),
                end_ns,
                truncated: false,
                tasks: system.tasks.iter().map(|t| t.name.clone()).collect(),
                resources: system.resources.iter().map(|r| r.name.clone()).collect(),
                deadlines_ns: deadlines,
                events: Vec::new(),
                around_misses: Vec::new(),
            },
            inner,
        }
    }

    /// The windows kept: the first, and those around the misses.
    pub fn into_window(self) -> Window {
        let mut window = self.window;
        window.around_misses = self.captures.finish();
        window
    }
}

impl WindowSink<'_> {
    /// Keeps the events of `batch` inside the first window.
    fn first_window(&mut self, batch: &[JobEvent]) {
        for e in batch {
            if e.time_ns < self.window.end_ns {
                if self.window.events.len() < MAX_WINDOW_EVENTS {
                    self.window.events.push(window_event(e));
                } else {
                    self.window.truncated = true;
                }
            }
        }
    }
}

impl TraceSink for WindowSink<'_> {
    fn event(&mut self, e: &JobEvent) {
        self.events(std::slice::from_ref(e));
    }

    fn events(&mut self, batch: &[JobEvent]) {
        self.first_window(batch);
        self.captures.events(batch);
        if let Some(inner) = self.inner.as_deref_mut() {
            inner.events(batch);
        }
    }

    fn take_batch(&mut self, batch: Vec<JobEvent>) -> Vec<JobEvent> {
        self.first_window(&batch);
        if let Some(inner) = self.inner.as_deref_mut() {
            inner.events(&batch);
        }
        self.captures.take_batch(batch).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;
    use crate::model::TaskId;

    const MS: u64 = 1_000_000;

    /// `a` every 10 ms, `b` every 20 ms, deadlines = periods.
    fn system() -> System {
        let text = r#"
name = "misses"
duration = "2s"
[platform]
cpus = [0]
[scheduler]
policy = "fixed-priority"
[[task]]
name = "a"
period = "10ms"
wcet = "1ms"
[[task]]
name = "b"
period = "20ms"
wcet = "1ms"
"#;
        load_str(text, "misses.toml").expect("valid config").system
    }

    fn ev(time_ns: u64, task: usize, job: u64, kind: EventKind) -> JobEvent {
        JobEvent {
            time_ns,
            task: TaskId(task),
            job,
            cpu: Some(0),
            kind,
        }
    }

    /// Every job of `task` (period `p`) in a 2 s run, ending 1 ms after its
    /// release, except the `late` ones: `(job, lateness)`. Each event comes
    /// with the time the engine emits it (a miss right after its end).
    fn jobs(task: usize, p: u64, late: &[(u64, u64)]) -> Vec<(u64, JobEvent)> {
        let mut out = Vec::new();
        for job in 0..(2_000 * MS / p) {
            let r = job * p;
            let end = match late.iter().find(|l| l.0 == job) {
                Some(&(_, lateness)) => r + p + lateness,
                None => r + MS,
            };
            out.push((r, ev(r, task, job, EventKind::Release)));
            out.push((r, ev(r, task, job, EventKind::Start)));
            out.push((end, ev(end, task, job, EventKind::Complete)));
            if end > r + p {
                out.push((end, ev(r + p, task, job, EventKind::Miss)));
            }
        }
        out
    }

    /// `a` misses at the start, in the middle (its worst, 3 ms) and near
    /// the end; `b` at the start and at the very end (its worst, 4 ms).
    fn stream() -> Vec<JobEvent> {
        let mut all = jobs(0, 10 * MS, &[(1, MS), (100, 3 * MS), (195, 2 * MS)]);
        all.extend(jobs(1, 20 * MS, &[(0, MS), (99, 4 * MS)]));
        all.sort_by_key(|(at, _)| *at);
        all.into_iter().map(|(_, e)| e).collect()
    }

    fn run(events: &[JobEvent]) -> Window {
        let sys = system();
        let mut sink = WindowSink::new(&sys, window_length(&sys, 2_000 * MS), None);
        for e in events {
            sink.event(e);
        }
        sink.into_window()
    }

    /// Engines hand events over in batches: a window cut in the middle of
    /// a batch sees the same ring as one fed event by event.
    #[test]
    fn batches_of_any_size_give_the_same_windows_as_single_events() {
        let events = stream();
        let one = run(&events);
        assert_eq!(one.around_misses.len(), 2);
        let sys = system();
        for size in [2, 7, 256, events.len()] {
            let mut sink = WindowSink::new(&sys, window_length(&sys, 2_000 * MS), None);
            for (i, batch) in events.chunks(size).enumerate() {
                if i % 2 == 0 {
                    sink.events(batch);
                } else {
                    let given = sink.take_batch(batch.to_vec());
                    assert!(given.is_empty());
                }
            }
            assert_eq!(sink.into_window(), one, "batches of {size}");
        }
    }

    #[test]
    fn the_first_window_is_the_first_length_of_the_run_as_before() {
        let events = stream();
        let w = run(&events);
        assert_eq!(w.end_ns, 80 * MS);
        let expected: Vec<WindowEvent> = events
            .iter()
            .filter(|e| e.time_ns < 80 * MS)
            .map(window_event)
            .collect();
        assert_eq!(w.events, expected);
        assert!(!w.truncated);
    }

    #[test]
    fn each_task_gets_a_window_around_its_worst_miss_holding_release_and_deadline() {
        let w = run(&stream());
        let got: Vec<(usize, u64, u64, u64)> = w
            .around_misses
            .iter()
            .map(|m| (m.task, m.job, m.deadline_ns, m.lateness_ns))
            .collect();
        assert_eq!(
            got,
            vec![(0, 100, 1_010 * MS, 3 * MS), (1, 99, 2_000 * MS, 4 * MS)]
        );
        for m in &w.around_misses {
            let p = if m.task == 0 { 10 * MS } else { 20 * MS };
            let has = |kind: &str, t: u64| {
                m.events
                    .iter()
                    .any(|e| e.task == m.task && e.job == m.job && e.kind == kind && e.t == t)
            };
            assert!(has("release", m.deadline_ns - p), "{m:?}");
            assert!(has("miss", m.deadline_ns), "{m:?}");
            assert!(m.start_ns <= m.deadline_ns - p && m.deadline_ns < m.end_ns);
            assert!(m.events.iter().all(|e| e.t >= m.start_ns && e.t < m.end_ns));
            assert!(!m.truncated);
        }
        // The middle one is a whole window long: 3/4 before, 1/4 after.
        let a = &w.around_misses[0];
        assert_eq!((a.start_ns, a.end_ns), (950 * MS, 1_030 * MS));
        // The last one is clipped to the run's last event.
        let b = &w.around_misses[1];
        assert_eq!((b.start_ns, b.end_ns), (1_940 * MS, 2_004 * MS + 1));
    }

    #[test]
    fn on_equal_lateness_the_first_miss_stays() {
        let mut all = jobs(0, 10 * MS, &[(20, 2 * MS), (150, 2 * MS)]);
        all.sort_by_key(|(at, _)| *at);
        let events: Vec<JobEvent> = all.into_iter().map(|(_, e)| e).collect();
        let w = run(&events);
        assert_eq!(w.around_misses.len(), 1);
        assert_eq!(w.around_misses[0].job, 20);
    }

    #[test]
    fn a_run_without_misses_writes_the_same_file_as_before() {
        let mut all = jobs(0, 10 * MS, &[]);
        all.sort_by_key(|(at, _)| *at);
        let events: Vec<JobEvent> = all.into_iter().map(|(_, e)| e).collect();
        let w = run(&events);
        assert!(w.around_misses.is_empty());
        let json = serde_json::to_string(&w).expect("serializes");
        assert!(!json.contains("around_misses"), "{json}");
        let back: Window = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, w);
    }
}
