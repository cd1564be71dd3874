//! Deadline misses and tardiness by task and run: two panels over the same
//! groups, the share of jobs that missed (top) and the worst tardiness,
//! how far past its deadline the latest job finished (bottom). Bars are in
//! the task's colour, one per run side by side; every bar carries its
//! value, and a run without a miss shows a `0` on a flat mark, so "no
//! miss" is visibly a result and not a missing bar.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::PlotFiles;
use super::layout::{self, frame};
use super::style::{
    self, AXIS_SIZE, Draw, GRID, INK, LABEL_SIZE, MUTED, Scale, TimeAxis, fail, task_color,
};
use crate::{ReportError, format};

/// Image height, in pixels.
const HEIGHT: u32 = 660;

/// A task's misses in one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MissCount {
    /// Jobs released.
    pub jobs: u64,
    /// Deadlines missed.
    pub missed: u64,
    /// The largest tardiness (completion, or end of the run for an
    /// unfinished job, minus the deadline), in nanoseconds; 0 without a
    /// miss.
    pub worst_tardiness_ns: u64,
}

/// One group of bars: a task, with one entry per run (in run order).
#[derive(Clone, Debug)]
pub struct MissTask {
    /// Task name.
    pub name: String,
    /// Palette index of its colour (the task's index).
    pub color: usize,
    /// Per run, in the order of the run labels.
    pub runs: Vec<MissCount>,
}

/// Draws the misses and worst tardiness of `tasks` into `files`; `runs`
/// are the run labels (numbered under the bars when there are several).
pub fn misses(
    files: &PlotFiles,
    title: &str,
    tasks: &[MissTask],
    runs: &[String],
) -> Result<(), ReportError> {
    layout::render(files, HEIGHT, &Plot { title, tasks, runs })
}

struct Plot<'a> {
    title: &'a str,
    tasks: &'a [MissTask],
    runs: &'a [String],
}

/// What one panel shows.
enum Panel {
    /// Missed share of jobs (top).
    Ratio,
    /// Worst tardiness (bottom).
    Tardiness,
}

impl Panel {
    /// The height of `m`'s bar in the panel's unit (a fraction, or
    /// nanoseconds as f64 only for the pixel position) and its label: `0`
    /// without a miss.
    fn value(&self, m: &MissCount) -> (f64, String) {
        match self {
            Panel::Ratio => (
                ratio(m),
                if m.missed == 0 {
                    "0".to_string()
                } else {
                    format::percent(ratio(m))
                },
            ),
            Panel::Tardiness => (
                m.worst_tardiness_ns as f64,
                if m.worst_tardiness_ns == 0 {
                    "0".to_string()
                } else {
                    format::duration(m.worst_tardiness_ns)
                },
            ),
        }
    }
}

/// A panel's y axis, in the panel's unit: ticks and labels stay exact
/// (integer nanoseconds for tardiness) and only become f64 as positions.
struct YAxis {
    /// The top of the axis.
    top: f64,
    /// Tick positions.
    ticks: Vec<f64>,
    /// The label of each tick.
    labels: Vec<String>,
    /// The axis title.
    desc: String,
}

/// The chart of one panel: groups on x, the panel's unit on y.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Scale<f64>, Scale<f64>>>;

fn ratio(m: &MissCount) -> f64 {
    if m.jobs == 0 {
        0.0
    } else {
        m.missed as f64 / m.jobs as f64
    }
}

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let key = layout::run_key(self.runs);
        let area = frame(root, self.title, &[], &key)?;
        let (_, h) = area.dim_in_pixel();
        let (top, bottom) = area.split_vertically(h / 2);
        self.panel(root, &top, &Panel::Ratio)?;
        self.panel(root, &bottom, &Panel::Tardiness)
    }
}

impl Plot<'_> {
    /// Every task's count in every run.
    fn counts(&self) -> impl Iterator<Item = &MissCount> {
        self.tasks.iter().flat_map(|t| t.runs.iter())
    }

    /// Draws one panel on `area`: its axes, a bar per task and run, the
    /// task names under the groups, and on the top panel a note when no
    /// deadline was missed at all.
    fn panel<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        area: &DrawingArea<DB, Shift>,
        panel: &Panel,
    ) -> Result<(), String> {
        let n_runs = self.tasks.iter().map(|t| t.runs.len()).max().unwrap_or(1);
        let any_miss = self.counts().any(|m| m.missed > 0);
        let chart = self.chart(area, &self.y_axis(panel), n_runs)?;
        for (g, task) in self.tasks.iter().enumerate() {
            let color = task_color(task.color);
            for (j, m) in task.runs.iter().enumerate() {
                let slot = layout::slot(g, j, n_runs);
                bar(root, &chart, slot, n_runs, color, panel.value(m))?;
            }
        }
        let (x_range, y_range) = chart.plotting_area().get_pixel_range();
        if !any_miss && matches!(panel, Panel::Ratio) {
            root.draw(&Text::new(
                "no deadline missed",
                (
                    (x_range.start + x_range.end) / 2,
                    (y_range.start + y_range.end) / 2,
                ),
                style::text(AXIS_SIZE, MUTED, HPos::Center, VPos::Center),
            ))
            .map_err(fail)?;
        }
        let groups: Vec<(String, Option<String>)> =
            self.tasks.iter().map(|t| (t.name.clone(), None)).collect();
        layout::group_labels(root, y_range.end, &groups, n_runs, |x| {
            chart.backend_coord(&(x, 0.0)).0
        })
    }

    /// The y axis of `panel`: percent ticks up to a little above the
    /// largest share (never past 110%), or time ticks up to a little above
    /// the worst tardiness.
    fn y_axis(&self, panel: &Panel) -> YAxis {
        match panel {
            Panel::Ratio => {
                let max = self.counts().map(ratio).fold(0.0, f64::max);
                // Room for the value labels, but no share above 100%.
                let top = if max > 0.0 {
                    (max * 1.22).min(1.1)
                } else {
                    0.01
                };
                let per_100k = style::nice_step((top * 100_000.0) as u64, 6, 1);
                let ticks: Vec<f64> = (0..)
                    .map(|k: u64| (k * per_100k) as f64 / 100_000.0)
                    .take_while(|&f| f <= top)
                    .collect();
                let labels = ticks.iter().map(|&f| style::percent_tick(f)).collect();
                YAxis {
                    top,
                    ticks,
                    labels,
                    desc: "missed deadlines (% of jobs)".into(),
                }
            }
            Panel::Tardiness => {
                let max = self
                    .counts()
                    .map(|m| m.worst_tardiness_ns)
                    .max()
                    .unwrap_or(0);
                let top = if max > 0 { max + max / 5 } else { 1_000_000 };
                let axis = TimeAxis::new(0, top, 6);
                YAxis {
                    top: top as f64,
                    ticks: axis.ticks.iter().map(|&t| t as f64).collect(),
                    labels: axis.ticks.iter().map(|&t| axis.label(t)).collect(),
                    desc: axis.title("worst tardiness"),
                }
            }
        }
    }

    /// Lays out a panel's chart on `area` and draws its axes: one group per
    /// task on x (room below for `n_runs` run numbers and the names),
    /// `axis` on y with horizontal grid lines.
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        axis: &YAxis,
        n_runs: usize,
    ) -> Result<Chart<'a, DB>, String> {
        let groups = self.tasks.len().max(1) as f64;
        let mut chart = ChartBuilder::on(area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(10)
            .x_label_area_size(layout::group_labels_height(n_runs, false))
            .y_label_area_size(76)
            .build_cartesian_2d(
                Scale::new(0.0..groups, Vec::new()),
                Scale::new(0.0..axis.top, axis.ticks.clone()),
            )
            .map_err(fail)?;
        let label_of = |v: f64| {
            axis.ticks
                .iter()
                .position(|t| (t - v).abs() <= axis.top * 1e-9)
                .and_then(|i| axis.labels.get(i).cloned())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(axis.desc.as_str())
            .y_label_formatter(&|v| label_of(*v))
            .label_style((super::FONT, LABEL_SIZE))
            .axis_desc_style((super::FONT, AXIS_SIZE))
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(fail)?;
        Ok(chart)
    }
}

/// Draws one bar in `color` at `(c, half)` (centre and half width, in x
/// units; one of `n_runs` in its group) up to `value`, with its `label`
/// above it; a zero is a flat mark on the axis, so the bar is visibly there
/// and empty.
fn bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    (c, half): (f64, f64),
    n_runs: usize,
    color: RGBColor,
    (value, label): (f64, String),
) -> Result<(), String> {
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let (x0, yb) = px(c - half, 0.0);
    let (x1, yt) = px(c + half, value);
    let (cx, _) = px(c, 0.0);
    if value > 0.0 {
        root.draw(&Rectangle::new(
            [(x0, yt.min(yb - 2)), (x1, yb)],
            color.filled(),
        ))
        .map_err(fail)?;
        root.draw(&Rectangle::new(
            [(x0, yt.min(yb - 2)), (x1, yb)],
            INK.stroke_width(1),
        ))
        .map_err(fail)?;
    } else {
        root.draw(&Rectangle::new([(x0, yb - 3), (x1, yb)], color.filled()))
            .map_err(fail)?;
    }
    let room = (px(c + 0.4 / n_runs as f64, 0.0).0 - cx) * 2;
    let text_color = if value > 0.0 { INK } else { MUTED };
    layout::bar_label(root, &label, (cx, yt.min(yb - 3)), room, text_color)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn draws_png_and_svg_with_zero_visible() {
        let dir = tempfile::tempdir().unwrap();
        let runs = vec![
            "pathfinder · none".to_string(),
            "pathfinder · inherit".into(),
        ];
        let tasks = vec![
            MissTask {
                name: "bus_manager".into(),
                color: 0,
                runs: vec![
                    MissCount {
                        jobs: 200,
                        missed: 40,
                        worst_tardiness_ns: 12_600_000,
                    },
                    MissCount {
                        jobs: 200,
                        missed: 0,
                        worst_tardiness_ns: 0,
                    },
                ],
            },
            MissTask {
                name: "meteo".into(),
                color: 2,
                runs: vec![MissCount::default(); 2],
            },
        ];
        let files = PlotFiles::new(dir.path(), "misses");
        misses(&files, "Deadline misses", &tasks, &runs).unwrap();
        let png = fs::read(&files.png).unwrap();
        assert!(png.len() > 10_000 && &png[1..4] == b"PNG");
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "bus_manager",
            "meteo",
            "20.0%",
            "12.6 ms",
            "missed deadlines (% of jobs)",
            "worst tardiness (ms)",
            "pathfinder · inherit",
            ">\n0\n</text>",
        ] {
            assert!(svg.contains(text), "{text}");
        }
    }

    #[test]
    fn no_miss_at_all_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = vec![MissTask {
            name: "sensor".into(),
            color: 0,
            runs: vec![MissCount {
                jobs: 10,
                missed: 0,
                worst_tardiness_ns: 0,
            }],
        }];
        let files = PlotFiles::new(dir.path(), "none");
        misses(&files, "Deadline misses", &tasks, &["demo".to_string()]).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(svg.contains("no deadline missed") && svg.contains("sensor"));
    }
}
