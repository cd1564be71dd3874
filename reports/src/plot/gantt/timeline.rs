//! A [`Window`] read into what a timeline draws: execution, blocking and
//! lock stretches, jobs with their releases, ends and misses; and the
//! choice of the stretch of the run worth drawing.

use std::collections::BTreeMap;

use rtlab_tasks::outcome::window::{Window, WindowEvent};

/// The stretch of a run a timeline shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Start, in nanoseconds from the start of the run.
    pub start_ns: u64,
    /// End, in nanoseconds from the start of the run.
    pub end_ns: u64,
    /// The miss the span is drawn around (the first in the window, or the
    /// one asked for): `(task index, job, absolute deadline in ns)`.
    pub first_miss: Option<(usize, u64, u64)>,
}

/// The stretch of `window` worth drawing. Without a miss: twice the longest
/// period, at most 25 of the shortest (but never less than one longest
/// period). With one: the busy period of the first missed job (see
/// [`span_around`]). `periods_ns` are the tasks' periods, in window task
/// order.
pub fn choose_span(window: &Window, periods_ns: &[u64]) -> Span {
    let events = sorted(window);
    match events.iter().find(|e| e.kind == "miss") {
        Some(miss) => around(window, &events, periods_ns, miss, 0),
        None => Span {
            start_ns: 0,
            end_ns: default_length(window.end_ns.max(1), periods_ns),
            first_miss: None,
        },
    }
}

/// The stretch of `window` (which starts at `from_ns`: a window around a
/// miss) worth drawing around the miss of job `job` of task `task`: the
/// busy period of the missed job (from the last instant before its release
/// when no job was pending to the first one after its end), as long as it
/// fits in the default length, and at least the missed job itself and two
/// of its task's periods. `None` if the window has no such miss.
pub fn span_around(
    window: &Window,
    periods_ns: &[u64],
    from_ns: u64,
    (task, job): (usize, u64),
) -> Option<Span> {
    let events = sorted(window);
    let miss = events
        .iter()
        .find(|e| e.kind == "miss" && e.task == task && e.job == job)?;
    Some(around(window, &events, periods_ns, miss, from_ns))
}

/// Two longest periods, at most 25 of the shortest (but never less than
/// one longest period), at most `len` (the window's length), in ns.
fn default_length(len: u64, periods_ns: &[u64]) -> u64 {
    let longest = periods_ns.iter().copied().max().unwrap_or(len).max(1);
    let shortest = periods_ns
        .iter()
        .copied()
        .filter(|&p| p > 0)
        .min()
        .unwrap_or(longest);
    len.min(longest.saturating_mul(2))
        .min(longest.max(shortest.saturating_mul(25)))
        .max(1)
}

/// The span around `miss` (one of `events`, `window`'s sorted events; the
/// window starts at `from_ns`).
fn around(
    window: &Window,
    events: &[&WindowEvent],
    periods_ns: &[u64],
    miss: &WindowEvent,
    from_ns: u64,
) -> Span {
    let end = window.end_ns.max(from_ns + 1);
    let default_len = default_length(end - from_ns, periods_ns);
    let deadline_of = window.deadlines_ns.get(miss.task).copied().unwrap_or(0);
    let of_job = |kinds: &[&str]| {
        events
            .iter()
            .find(|e| e.task == miss.task && e.job == miss.job && kinds.contains(&e.kind.as_str()))
            .map(|e| e.t)
    };
    let release = of_job(&["release"]).unwrap_or(miss.t.saturating_sub(deadline_of));
    let finish = of_job(&["complete", "abort", "fault"]).unwrap_or(end);
    // The busy period around it: from the last instant before the release
    // with no job pending to the first such instant after the job's end.
    let mut pending: BTreeMap<(usize, u64), ()> = BTreeMap::new();
    let (mut busy_from, mut busy_to) = (from_ns, None);
    for e in events {
        match e.kind.as_str() {
            "release" => {
                pending.insert((e.task, e.job), ());
            }
            "complete" | "abort" | "fault" | "skip" => {
                pending.remove(&(e.task, e.job));
                if pending.is_empty() && e.t <= release {
                    busy_from = e.t;
                } else if pending.is_empty() && e.t >= finish && busy_to.is_none() {
                    busy_to = Some(e.t);
                }
            }
            _ => {}
        }
    }
    let story_end = finish.max(miss.t);
    let must = story_end.saturating_sub(busy_from).max(1);
    let episode = busy_to
        .unwrap_or(end)
        .max(story_end)
        .saturating_sub(busy_from);
    let period = periods_ns.get(miss.task).copied().unwrap_or(0);
    let len = (episode + episode / 10)
        .min(default_len.max(must + must / 4))
        .max(period.saturating_mul(2))
        .min(end.saturating_sub(busy_from))
        .max(1);
    let start = busy_from.saturating_sub(len / 20).max(from_ns);
    Span {
        start_ns: start,
        end_ns: (start + len).min(end).max(start + 1),
        first_miss: Some((miss.task, miss.job, miss.t)),
    }
}

/// `[start_ns, end_ns]` of `window` as a span (to show the same stretch
/// of several runs), with the first miss in it.
pub fn fixed_span(window: &Window, start_ns: u64, end_ns: u64) -> Span {
    let first_miss = sorted(window)
        .into_iter()
        .find(|e| e.kind == "miss" && e.t >= start_ns && e.t <= end_ns)
        .map(|e| (e.task, e.job, e.t));
    Span {
        start_ns,
        end_ns: end_ns.max(start_ns + 1),
        first_miss,
    }
}

/// The window's events in time order (engines emit a miss when they see
/// it, after its time).
fn sorted(window: &Window) -> Vec<&WindowEvent> {
    let mut events: Vec<_> = window.events.iter().collect();
    events.sort_by_key(|e| e.t);
    events
}

/// A stretch of one task: `(task, from, to)` in ns, and what it was on.
#[derive(Clone, Debug)]
pub(super) struct Stretch {
    pub(super) task: usize,
    pub(super) from: u64,
    pub(super) to: u64,
    /// The CPU (execution) or the resource (blocking, lock).
    pub(super) on: Option<u32>,
    /// Execution that ended in a preemption.
    pub(super) preempted: bool,
}

/// One job.
#[derive(Clone, Debug, Default)]
pub(super) struct Job {
    pub(super) release: Option<u64>,
    pub(super) end: Option<(u64, String)>,
    pub(super) missed_at: Option<u64>,
}

/// The window read into stretches and jobs.
#[derive(Debug, Default)]
pub(super) struct Timeline {
    pub(super) exec: Vec<Stretch>,
    pub(super) blocked: Vec<Stretch>,
    pub(super) held: Vec<Stretch>,
    pub(super) jobs: BTreeMap<(usize, u64), Job>,
    pub(super) skips: Vec<(usize, u64)>,
    pub(super) cpus: Vec<u32>,
}

/// What one task has open while the window is read: since when, and on
/// which CPU or resource.
#[derive(Clone, Debug, Default)]
struct Open {
    running: Option<(u64, Option<u32>)>,
    blocked: Option<(u64, Option<u32>)>,
    held: Vec<(u64, Option<u32>)>,
}

/// The stretch of `task` from `(from, on)` to `to`.
fn stretch(task: usize, (from, on): (u64, Option<u32>), to: u64, preempted: bool) -> Stretch {
    Stretch {
        task,
        from,
        to,
        on,
        preempted,
    }
}

/// The window being read: what each task has open, and on each CPU the
/// tasks pushed off it without a `preempt` event.
struct Reader {
    t: Timeline,
    open: Vec<Open>,
    /// Per CPU, tasks another task's start displaced, most recent last.
    displaced: BTreeMap<u32, Vec<usize>>,
}

impl Reader {
    /// Task `k` runs from `at` on `cpu`. A task still running there was
    /// displaced: the live engine sees a preemption only when the thread
    /// notices it (the OS switched threads, e.g. after a priority ceiling
    /// dropped), and two tasks never run on one CPU at once.
    fn run(&mut self, k: usize, at: u64, cpu: Option<u32>) {
        for stack in self.displaced.values_mut() {
            stack.retain(|&d| d != k);
        }
        if let Some(c) = cpu {
            let other = (0..self.open.len())
                .find(|&a| a != k && self.open[a].running.is_some_and(|r| r.1 == Some(c)));
            if let Some(a) = other {
                self.stop(a, at, true);
                self.displaced.entry(c).or_default().push(a);
            }
        }
        self.open[k].running.get_or_insert((at, cpu));
    }

    /// Task `k` stops running at `at` (`preempted`, or it blocked or ended).
    fn stop(&mut self, k: usize, at: u64, preempted: bool) {
        if let Some(run) = self.open[k].running.take()
            && at > run.0
        {
            self.t.exec.push(stretch(k, run, at, preempted));
        }
    }

    /// Task `k` gave its CPU up (blocked or ended): the task it displaced
    /// last, if any, runs again.
    fn yield_cpu(&mut self, k: usize, at: u64, cpu: Option<u32>) {
        self.stop(k, at, false);
        let next = cpu.and_then(|c| self.displaced.get_mut(&c)?.pop());
        if let Some(a) = next
            && self.open[a].blocked.is_none()
        {
            self.run(a, at, cpu);
        }
    }
}

impl Timeline {
    /// Reads `window`, events sorted by time.
    pub(super) fn read(window: &Window) -> Timeline {
        let mut r = Reader {
            t: Timeline::default(),
            open: vec![Open::default(); window.tasks.len()],
            displaced: BTreeMap::new(),
        };
        for e in sorted(window) {
            let (k, at) = (e.task, e.t);
            if k >= r.open.len() {
                continue;
            }
            let resource = e.resource.and_then(|r| u32::try_from(r).ok());
            let cpu = r.open[k].running.map_or(e.cpu, |run| run.1.or(e.cpu));
            match e.kind.as_str() {
                "release" => r.t.jobs.entry((k, e.job)).or_default().release = Some(at),
                "start" | "resume" => r.run(k, at, e.cpu),
                "preempt" => r.stop(k, at, true),
                "block" => {
                    r.yield_cpu(k, at, cpu);
                    r.open[k].blocked = Some((at, resource));
                }
                "unblock" => {
                    if let Some(b) = r.open[k].blocked.take() {
                        r.t.blocked.push(stretch(k, b, at, false));
                    }
                    // The live engine runs on as soon as it has the lock
                    // (it names the CPU); the simulator says `resume` when
                    // the job is dispatched again.
                    if e.cpu.is_some() {
                        r.run(k, at, e.cpu);
                    }
                }
                "lock" => r.open[k].held.push((at, resource)),
                "unlock" => {
                    let held = &mut r.open[k].held;
                    if let Some(i) = held.iter().rposition(|h| h.1 == resource) {
                        let h = held.remove(i);
                        r.t.held.push(stretch(k, h, at, false));
                    }
                }
                "complete" | "abort" | "fault" => {
                    if let Some(b) = r.open[k].blocked.take() {
                        r.t.blocked.push(stretch(k, b, at, false));
                    }
                    for stack in r.displaced.values_mut() {
                        stack.retain(|&d| d != k);
                    }
                    r.yield_cpu(k, at, cpu);
                    r.t.jobs.entry((k, e.job)).or_default().end = Some((at, e.kind.clone()));
                }
                "miss" => r.t.jobs.entry((k, e.job)).or_default().missed_at = Some(at),
                "skip" => r.t.skips.push((k, at)),
                _ => {}
            }
        }
        // Whatever is still open lasts to the end of the window.
        let (mut t, end) = (r.t, window.end_ns);
        for (k, o) in r.open.into_iter().enumerate() {
            t.exec.extend(o.running.map(|r| stretch(k, r, end, false)));
            t.blocked
                .extend(o.blocked.map(|b| stretch(k, b, end, false)));
            t.held
                .extend(o.held.into_iter().map(|h| stretch(k, h, end, false)));
        }
        t.cpus = t.exec.iter().filter_map(|s| s.on).collect();
        t.cpus.sort_unstable();
        t.cpus.dedup();
        t
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rtlab_tasks::outcome::window::WINDOW_SCHEMA;

    /// Pathfinder without inheritance: `meteo` locks the bus, `bus_manager`
    /// blocks on it, `comms` runs in between and `bus_manager` misses.
    pub(in crate::plot::gantt) fn pathfinder() -> Window {
        let ev = |t, task, job, kind: &str, resource| WindowEvent {
            t,
            task,
            job,
            cpu: if kind == "miss" || kind == "unblock" {
                None
            } else {
                Some(1)
            },
            kind: kind.into(),
            resource,
        };
        let ms = |v: f64| (v * 1e6) as u64;
        Window {
            schema: WINDOW_SCHEMA.into(),
            end_ns: ms(40.0),
            truncated: false,
            tasks: vec!["bus_manager".into(), "comms".into(), "meteo".into()],
            resources: vec!["bus".into()],
            deadlines_ns: vec![ms(10.0), ms(50.0), ms(100.0)],
            events: vec![
                ev(0, 2, 0, "release", None),
                ev(0, 2, 0, "start", None),
                ev(ms(0.1), 2, 0, "lock", Some(0)),
                ev(ms(0.5), 0, 0, "release", None),
                ev(ms(0.5), 2, 0, "preempt", None),
                ev(ms(0.5), 0, 0, "start", None),
                ev(ms(0.7), 0, 0, "block", Some(0)),
                ev(ms(0.7), 2, 0, "resume", None),
                ev(ms(1.0), 1, 0, "release", None),
                ev(ms(1.0), 2, 0, "preempt", None),
                ev(ms(1.0), 1, 0, "start", None),
                ev(ms(21.0), 1, 0, "complete", None),
                ev(ms(21.0), 2, 0, "resume", None),
                ev(ms(22.3), 2, 0, "unlock", Some(0)),
                ev(ms(22.3), 0, 0, "unblock", Some(0)),
                ev(ms(22.3), 2, 0, "preempt", None),
                ev(ms(22.3), 0, 0, "resume", None),
                ev(ms(23.1), 0, 0, "complete", None),
                ev(ms(10.5), 0, 0, "miss", None),
                ev(ms(23.1), 2, 0, "resume", None),
                ev(ms(25.0), 2, 0, "complete", None),
            ],
            around_misses: Vec::new(),
        }
    }

    #[test]
    fn the_span_shows_the_first_miss() {
        let w = pathfinder();
        let span = choose_span(&w, &[10_000_000, 50_000_000, 100_000_000]);
        assert_eq!(span.first_miss, Some((0, 0, 10_500_000)));
        assert_eq!(span.start_ns, 0);
        assert!(
            span.end_ns >= 23_100_000 && span.end_ns <= 40_000_000,
            "{span:?}"
        );
        let mut calm = w.clone();
        calm.events.retain(|e| e.kind != "miss");
        let span = choose_span(&calm, &[10_000_000, 50_000_000, 100_000_000]);
        assert_eq!((span.start_ns, span.end_ns), (0, 40_000_000));
    }

    #[test]
    fn stretches_follow_the_events() {
        let t = Timeline::read(&pathfinder());
        assert_eq!(t.cpus, vec![1]);
        let blocked: Vec<(usize, u64, u64)> =
            t.blocked.iter().map(|b| (b.task, b.from, b.to)).collect();
        assert_eq!(blocked, vec![(0, 700_000, 22_300_000)]);
        let meteo: Vec<(u64, u64, bool)> = t
            .exec
            .iter()
            .filter(|s| s.task == 2)
            .map(|s| (s.from, s.to, s.preempted))
            .collect();
        assert_eq!(
            meteo,
            vec![
                (0, 500_000, true),
                (700_000, 1_000_000, true),
                (21_000_000, 22_300_000, true),
                (23_100_000, 25_000_000, false)
            ]
        );
        assert_eq!(t.held.len(), 1);
        assert_eq!(t.jobs[&(0, 0)].missed_at, Some(10_500_000));
    }

    #[test]
    fn a_task_displaced_without_a_preempt_event_stops_and_resumes() {
        // Live, immediate ceiling: `meteo` unlocks, drops its priority and
        // loses the CPU to `bus_manager` then `comms`, but its thread never
        // noticed, so no `preempt` was recorded.
        let ev = |t, task, kind: &str| WindowEvent {
            t,
            task,
            job: 0,
            cpu: Some(1),
            kind: kind.into(),
            resource: None,
        };
        let mut w = pathfinder();
        w.events = vec![
            ev(0, 2, "release"),
            ev(80, 2, "start"),
            ev(500, 0, "release"),
            ev(1_000, 1, "release"),
            ev(2_300, 0, "start"),
            ev(3_360, 0, "complete"),
            ev(3_460, 1, "start"),
            ev(25_500, 1, "complete"),
            ev(27_500, 2, "complete"),
        ];
        let t = Timeline::read(&w);
        let meteo: Vec<(u64, u64, bool)> = t
            .exec
            .iter()
            .filter(|s| s.task == 2)
            .map(|s| (s.from, s.to, s.preempted))
            .collect();
        assert_eq!(
            meteo,
            vec![
                (80, 2_300, true),
                (3_360, 3_460, true),
                (25_500, 27_500, false)
            ]
        );
    }
}
