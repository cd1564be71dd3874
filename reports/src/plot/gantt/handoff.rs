//! The hand-offs between a chain's stages on a timeline: a dashed arrow
//! from the completion of a job to what it set off.
//!
//! - A **trigger** link (`trigger = "detect"` on `plan`): each completion
//!   of a `detect` job releases a `plan` job. The arrow runs from the
//!   completion to that release (in a simulation, the same instant: a
//!   vertical arrow between the two rows). A release is paired with the
//!   latest completion of the trigger task at or before it that no
//!   earlier release took, so a live run's wake-up delay between them
//!   keeps the pairs right; a release whose completion lies before the
//!   window gets no arrow.
//! - A **register** link (`reads = ["sensor"]` on `control`): each job
//!   reads the latest completed value at its start. The arrow (in grey)
//!   runs from the completion that produced the value to the first start
//!   that read it; later starts that read the same value get none.
//!
//! Links come from the normalized config of the run (`task[].trigger` and
//! `task[].reads`, by task name).

use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

use rtlab_tasks::outcome::window::Window;

use super::{BAR, Geometry};
use crate::plot::style::{INK, MUTED, fail};

/// How one task's jobs reach another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// Each completion of `from` releases a job of `to`.
    Trigger,
    /// Each job of `to` reads the latest value `from` completed.
    Reads,
}

/// A link between two tasks of a window, by their index in
/// [`Window::tasks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    /// The producing task.
    pub from: usize,
    /// The task it releases or that reads its value.
    pub to: usize,
    /// Trigger or register.
    pub kind: LinkKind,
}

/// The links among `tasks` (a window's task names) that `config` (a
/// normalized config, `task[]` with `trigger` and `reads`) declares, in
/// config order; names that are not in `tasks` are left out.
pub fn links_from_config(config: &Value, tasks: &[String]) -> Vec<Link> {
    let index = |name: &str| tasks.iter().position(|t| t == name);
    let mut links = Vec::new();
    let Some(list) = config["task"].as_array() else {
        return links;
    };
    for t in list {
        let Some(to) = t["name"].as_str().and_then(index) else {
            continue;
        };
        if let Some(from) = t["trigger"].as_str().and_then(index) {
            links.push(Link {
                from,
                to,
                kind: LinkKind::Trigger,
            });
        }
        for r in t["reads"].as_array().into_iter().flatten() {
            if let Some(from) = r.as_str().and_then(index) {
                links.push(Link {
                    from,
                    to,
                    kind: LinkKind::Reads,
                });
            }
        }
    }
    links
}

/// One hand-off to draw: `(task, time in ns)` of its two ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Handoff {
    pub(super) from: (usize, u64),
    pub(super) to: (usize, u64),
    pub(super) kind: LinkKind,
}

/// Every hand-off of `links` among `window`'s events, in time order of
/// their ends.
pub(super) fn handoffs(window: &Window, links: &[Link]) -> Vec<Handoff> {
    let mut events: Vec<_> = window.events.iter().collect();
    // Stable: at one instant, the engine's order (completion first).
    events.sort_by_key(|e| e.t);
    let mut out = Vec::new();
    for link in links {
        let completions: Vec<u64> = events
            .iter()
            .filter(|e| e.task == link.from && e.kind == "complete")
            .map(|e| e.t)
            .collect();
        let (kind, ends) = match link.kind {
            LinkKind::Trigger => (LinkKind::Trigger, "release"),
            LinkKind::Reads => (LinkKind::Reads, "start"),
        };
        // Completions taken (trigger) or last read (register).
        let mut used = vec![false; completions.len()];
        let mut last_read: Option<usize> = None;
        for e in events
            .iter()
            .filter(|e| e.task == link.to && e.kind == ends)
        {
            // The latest completion at or before this event.
            let Some(i) = completions.iter().rposition(|&c| c <= e.t) else {
                continue;
            };
            let pick = match kind {
                LinkKind::Trigger => (0..=i).rev().find(|&j| !used[j]),
                LinkKind::Reads => (last_read != Some(i)).then_some(i),
            };
            if let Some(j) = pick {
                used[j] = true;
                last_read = Some(j);
                out.push(Handoff {
                    from: (link.from, completions[j]),
                    to: (link.to, e.t),
                    kind,
                });
            }
        }
    }
    out.sort_by_key(|h| (h.to.1, h.from.1));
    out
}

/// The colours of trigger and register hand-offs.
pub(super) const TRIGGER: RGBColor = INK;
pub(super) const READ: RGBColor = MUTED;

/// Draws each hand-off both of whose ends `g` shows: a dashed line from
/// the edge of the producing job's bar to the edge of the receiving row
/// (its top, or its bottom when it lies above), with a head there.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    g: &Geometry,
    handoffs: &[Handoff],
) -> Result<(), String> {
    for h in handoffs {
        let ((a, ta), (b, tb)) = (h.from, h.to);
        if a >= g.tasks || b >= g.tasks || a == b || !g.within(ta) || !g.within(tb) {
            continue;
        }
        let down = a < b;
        let (from_y, to_y) = if down {
            (g.y(g.task_row(a) + BAR.0), g.y(g.task_row(b) + 1.0) + 1)
        } else {
            (g.y(g.task_row(a) + BAR.1), g.y(g.task_row(b)) - 1)
        };
        let color = match h.kind {
            LinkKind::Trigger => TRIGGER,
            LinkKind::Reads => READ,
        };
        dashed(root, (g.x(ta), from_y), (g.x(tb), to_y), color)?;
        let (x, dir) = (g.x(tb), if down { -1 } else { 1 });
        root.draw(&Polygon::new(
            vec![(x, to_y), (x - 3, to_y + dir * 5), (x + 3, to_y + dir * 5)],
            color.filled(),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

/// A dashed line (4 pixels on, 3 off) from `a` to `b`, in pixels.
fn dashed<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    color: RGBColor,
) -> Result<(), String> {
    let (dx, dy) = (f64::from(x1 - x0), f64::from(y1 - y0));
    let len = dx.hypot(dy);
    let mut at = 0.0;
    while at < len {
        let end = (at + 4.0).min(len);
        let p = |d: f64| {
            (
                x0 + (dx * d / len).round() as i32,
                y0 + (dy * d / len).round() as i32,
            )
        };
        root.draw(&PathElement::new(
            vec![p(at), p(end)],
            color.stroke_width(1),
        ))
        .map_err(fail)?;
        at += 7.0;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::outcome::window::WindowEvent;

    fn event(t: u64, task: usize, job: u64, kind: &str) -> WindowEvent {
        WindowEvent {
            t,
            task,
            job,
            cpu: Some(0),
            kind: kind.into(),
            resource: None,
        }
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn links_come_from_the_normalized_configs_trigger_and_reads() {
        let config = serde_json::json!({ "task": [
            { "name": "camera" },
            { "name": "detect", "trigger": "camera" },
            { "name": "logger", "reads": ["detect", "gone"] },
        ]});
        let links = links_from_config(&config, &names(&["camera", "detect", "logger"]));
        assert_eq!(
            links,
            [
                Link {
                    from: 0,
                    to: 1,
                    kind: LinkKind::Trigger
                },
                Link {
                    from: 1,
                    to: 2,
                    kind: LinkKind::Reads
                },
            ]
        );
        // Without the keys (configs before chains), no link.
        let old = serde_json::json!({ "task": [{ "name": "camera" }] });
        assert!(links_from_config(&old, &names(&["camera"])).is_empty());
    }

    #[test]
    fn a_release_pairs_with_its_own_completion_and_a_read_with_a_fresh_value() {
        // camera completes at 2 and 35; detect (triggered) is released at
        // 2 and, a live wake-up later, at 36; its release at 1 has no
        // completion in the window. sensor completes at 10; control
        // starts at 12 and 22 (the same value) and 40.
        let window = Window {
            tasks: names(&["camera", "detect", "sensor", "control"]),
            events: vec![
                event(1, 1, 0, "release"),
                event(2, 0, 1, "complete"),
                event(2, 1, 1, "release"),
                event(10, 2, 0, "complete"),
                event(12, 3, 0, "start"),
                event(22, 3, 1, "start"),
                event(35, 0, 2, "complete"),
                event(36, 1, 2, "release"),
                event(38, 2, 1, "complete"),
                event(40, 3, 2, "start"),
            ],
            ..Window::default()
        };
        let links = [
            Link {
                from: 0,
                to: 1,
                kind: LinkKind::Trigger,
            },
            Link {
                from: 2,
                to: 3,
                kind: LinkKind::Reads,
            },
        ];
        let got: Vec<((usize, u64), (usize, u64))> = handoffs(&window, &links)
            .iter()
            .map(|h| (h.from, h.to))
            .collect();
        assert_eq!(
            got,
            [
                ((0, 2), (1, 2)),
                ((2, 10), (3, 12)),
                ((0, 35), (1, 36)),
                ((2, 38), (3, 40)),
            ]
        );
    }
}
