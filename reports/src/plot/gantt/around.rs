//! The windows around the tasks' worst misses (`window.json`'s
//! `around_misses`) made ready to draw: windows of several tasks that show
//! much the same stretch merged into one, each with the span to draw and
//! the label that says what it shows.

use std::collections::BTreeSet;

use rtlab_tasks::outcome::window::{AroundMiss, Window};

use super::timeline::{Span, span_around};
use crate::format;

/// One timeline to draw around one or more tasks' worst misses.
#[derive(Clone, Debug)]
pub struct MissWindow {
    /// The events of the merged windows, as a window of its own (its
    /// `end_ns` the end of the stretch), to hand to [`super::gantt`].
    pub window: Window,
    /// The stretch to draw.
    pub span: Span,
    /// The misses it is drawn around, in time order: `(task name, job,
    /// lateness in ns)`.
    pub misses: Vec<(String, u64, u64)>,
}

impl MissWindow {
    /// `t = 1.80–1.92 s, around `sensor`'s worst miss (job 912, 3.10 ms
    /// late)`; with several tasks, `around the worst misses of `a` (job 3,
    /// 1.00 ms late) and `b` (job 7, 2.00 ms late)`.
    pub fn label(&self) -> String {
        let range = time_range(self.span.start_ns, self.span.end_ns);
        let one = |(name, job, late): &(String, u64, u64)| {
            (
                format!("`{name}`"),
                format!("job {job}, {} late", format::duration(*late)),
            )
        };
        match self.misses.as_slice() {
            [m] => {
                let (name, what) = one(m);
                format!("t = {range}, around {name}'s worst miss ({what})")
            }
            many => {
                let parts: Vec<String> = many
                    .iter()
                    .map(|m| {
                        let (name, what) = one(m);
                        format!("{name} ({what})")
                    })
                    .collect();
                let (last, rest) = parts.split_last().map_or(("", &[][..]), |(l, r)| (l, r));
                format!(
                    "t = {range}, around the worst misses of {} and {last}",
                    rest.join(", ")
                )
            }
        }
    }
}

/// Two windows are merged when they overlap by at least this share of the
/// shorter one.
const MERGE_SHARE: (u64, u64) = (1, 2);

/// The windows around the misses of `window`, merged where they overlap
/// much, in time order; `periods_ns` are the tasks' periods (window task
/// order), `run_ns` the run's length (windows are clipped to it).
pub fn miss_windows(window: &Window, periods_ns: &[u64], run_ns: u64) -> Vec<MissWindow> {
    let mut groups: Vec<Vec<&AroundMiss>> = Vec::new();
    for m in &window.around_misses {
        let merge = groups.last().is_some_and(|g| {
            let (s, e) = extent(g);
            let overlap = e.min(m.end_ns).saturating_sub(s.max(m.start_ns));
            let shorter = (e - s).min(m.end_ns.saturating_sub(m.start_ns)).max(1);
            overlap * MERGE_SHARE.1 >= shorter * MERGE_SHARE.0
        });
        match groups.last_mut() {
            Some(g) if merge => g.push(m),
            _ => groups.push(vec![m]),
        }
    }
    groups
        .into_iter()
        .map(|g| merged(window, &g, periods_ns, run_ns))
        .collect()
}

/// `[start, end)` of a group of windows, in ns.
fn extent(group: &[&AroundMiss]) -> (u64, u64) {
    let start = group.iter().map(|m| m.start_ns).min().unwrap_or(0);
    let end = group.iter().map(|m| m.end_ns).max().unwrap_or(start);
    (start, end.max(start))
}

/// One window of the events of `group` (each event once), drawn over the
/// union of the spans around each of its misses.
fn merged(window: &Window, group: &[&AroundMiss], periods_ns: &[u64], run_ns: u64) -> MissWindow {
    let (start, end) = extent(group);
    // A result without a length (hand-made) clips nothing.
    let end = if run_ns > 0 {
        end.min(run_ns.max(start + 1))
    } else {
        end
    };
    // Windows that overlap hold the same events there: each event once,
    // in the order the engine emitted it (the first window's, then what
    // the others add).
    let mut seen = BTreeSet::new();
    let mut events = Vec::new();
    for e in group.iter().flat_map(|m| &m.events) {
        let key = (e.t, e.task, e.job, e.kind.as_str(), e.cpu, e.resource);
        if e.t < end && seen.insert(key) {
            events.push(e.clone());
        }
    }
    let view = Window {
        schema: window.schema.clone(),
        end_ns: end,
        truncated: group.iter().any(|m| m.truncated),
        tasks: window.tasks.clone(),
        resources: window.resources.clone(),
        deadlines_ns: window.deadlines_ns.clone(),
        events,
        around_misses: Vec::new(),
    };
    let spans: Vec<Span> = group
        .iter()
        .filter_map(|m| span_around(&view, periods_ns, start, (m.task, m.job)))
        .collect();
    let span = Span {
        start_ns: spans.iter().map(|s| s.start_ns).min().unwrap_or(start),
        end_ns: spans.iter().map(|s| s.end_ns).max().unwrap_or(end),
        first_miss: spans.first().and_then(|s| s.first_miss),
    };
    let misses = group
        .iter()
        .map(|m| {
            let name = window.tasks.get(m.task).map_or("?", String::as_str);
            (name.to_string(), m.job, m.lateness_ns)
        })
        .collect();
    MissWindow {
        window: view,
        span,
        misses,
    }
}

/// A stretch of a run as `1.80–1.92 s`, `0–40 ms` or `1.8300–1.8315 s`: one
/// unit (that of the end), with enough decimals that the stretch's length
/// shows with two significant digits.
pub fn time_range(start_ns: u64, end_ns: u64) -> String {
    let end_ns = end_ns.max(start_ns);
    let (scale, unit): (u64, &str) = if end_ns >= 1_000_000_000 {
        (1_000_000_000, "s")
    } else if end_ns >= 1_000_000 {
        (1_000_000, "ms")
    } else if end_ns >= 1_000 {
        (1_000, "µs")
    } else {
        (1, "ns")
    };
    let width = u128::from((end_ns - start_ns).max(1));
    let mut decimals = 0u32;
    while decimals < 9 && width * 10u128.pow(decimals) < 10 * u128::from(scale) {
        decimals += 1;
    }
    let show = |ns: u64| {
        let pow = 10u128.pow(decimals);
        let scaled = (u128::from(ns) * pow + u128::from(scale) / 2) / u128::from(scale);
        if decimals == 0 {
            format!("{scaled}")
        } else {
            format!(
                "{}.{:0width$}",
                scaled / pow,
                scaled % pow,
                width = decimals as usize
            )
        }
    };
    format!("{}–{} {unit}", show(start_ns), show(end_ns))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::outcome::window::{WINDOW_SCHEMA, WindowEvent};

    const MS: u64 = 1_000_000;

    #[test]
    fn time_ranges_show_the_length_with_two_digits() {
        assert_eq!(time_range(1_800 * MS, 1_920 * MS), "1.80–1.92 s");
        assert_eq!(time_range(0, 40 * MS), "0–40 ms");
        assert_eq!(time_range(1_830 * MS, 1_831_500_000), "1.8300–1.8315 s");
        assert_eq!(time_range(300 * MS, 420 * MS), "300–420 ms");
        assert_eq!(time_range(612_500_000, 640 * MS), "613–640 ms");
    }

    fn ev(t: u64, task: usize, job: u64, kind: &str) -> WindowEvent {
        WindowEvent {
            t,
            task,
            job,
            cpu: Some(0),
            kind: kind.into(),
            resource: None,
        }
    }

    /// A miss of `task`'s job `job` (10 ms period) at `deadline`, `late`
    /// late, in a window of 40 ms.
    fn around(task: usize, job: u64, deadline: u64, late: u64) -> AroundMiss {
        let release = deadline - 10 * MS;
        AroundMiss {
            task,
            job,
            deadline_ns: deadline,
            lateness_ns: late,
            start_ns: deadline - 30 * MS,
            end_ns: deadline + 10 * MS,
            truncated: false,
            events: vec![
                ev(release, task, job, "release"),
                ev(release, task, job, "start"),
                ev(deadline + late, task, job, "complete"),
                ev(deadline, task, job, "miss"),
            ],
        }
    }

    fn window(around_misses: Vec<AroundMiss>) -> Window {
        Window {
            schema: WINDOW_SCHEMA.into(),
            end_ns: 40 * MS,
            truncated: false,
            tasks: vec!["sensor".into(), "actuator".into()],
            resources: Vec::new(),
            deadlines_ns: vec![10 * MS, 10 * MS],
            events: Vec::new(),
            around_misses,
        }
    }

    #[test]
    fn windows_far_apart_stay_apart_and_say_what_they_show() {
        let w = window(vec![
            around(0, 90, 910 * MS, 3_100_000),
            around(1, 180, 1_810 * MS, MS),
        ]);
        let got = miss_windows(&w, &[10 * MS, 10 * MS], 2_000 * MS);
        assert_eq!(got.len(), 2);
        let label = got[0].label();
        assert!(
            label.ends_with(", around `sensor`'s worst miss (job 90, 3.10 ms late)"),
            "{label}"
        );
        assert!(label.starts_with("t = "), "{label}");
        let s = got[0].span;
        assert!(s.start_ns <= 900 * MS && s.end_ns > 913 * MS, "{s:?}");
        assert!(got[1].label().contains("`actuator`'s worst miss (job 180"));
    }

    #[test]
    fn windows_of_the_same_stretch_merge_into_one() {
        let w = window(vec![
            around(0, 90, 910 * MS, 3_100_000),
            around(1, 91, 915 * MS, MS),
        ]);
        let got = miss_windows(&w, &[10 * MS, 10 * MS], 2_000 * MS);
        assert_eq!(got.len(), 1);
        let label = got[0].label();
        assert!(
            label.contains(
                "around the worst misses of `sensor` (job 90, 3.10 ms late) and `actuator` \
                 (job 91, 1.00 ms late)"
            ),
            "{label}"
        );
        assert_eq!(got[0].window.events.len(), 8);
        assert_eq!((got[0].window.end_ns), 925 * MS);
    }

    #[test]
    fn a_window_past_the_run_is_clipped_to_it() {
        let w = window(vec![around(0, 199, 1_995 * MS, 2 * MS)]);
        let got = miss_windows(&w, &[10 * MS, 10 * MS], 2_000 * MS);
        assert_eq!(got[0].window.end_ns, 2_000 * MS);
        assert!(got[0].span.end_ns <= 2_000 * MS);
    }
}
