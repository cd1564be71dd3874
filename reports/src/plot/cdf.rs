//! Latency by percentile, as HdrHistogram's plotter draws a percentile
//! distribution: x is `1 / (1 − p)` on a log axis, labelled as
//! percentiles (0%, 90%, 99%, 99.9%, ...), so every "nine" of the tail
//! gets the same width; y is the latency, linear.
//!
//! One panel per run (small multiples sharing both axes, so runs compare
//! directly), one line per task in the task's colour; the exact maximum
//! ends each line with a dot, and a task's deadline, when it falls within
//! the axis, is a dashed line in its colour: where a line crosses its
//! deadline, the percentiles beyond missed. The x axis ends at the decade
//! that covers the largest sample count (a percentile past `1 − 1/count`
//! would be the maximum again).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rtlab_tasks::outcome::metrics::Recorder;

use super::PlotFiles;
use super::layout::{Entry, Glyph, frame};
use super::style::{
    self, AXIS_SIZE, Draw, GRID, INK, LABEL_SIZE, Scale, TimeAxis, fail, task_color,
};
use crate::ReportError;

/// One line: a task's (or run's) values.
#[derive(Clone, Debug)]
pub struct PercentileSeries<'a> {
    /// Legend text.
    pub label: String,
    /// Palette slot of its colour: the task's slot in the report's colour
    /// assignment (one colour per task name, see `figures`).
    pub color: usize,
    /// The values, in nanoseconds.
    pub recorder: &'a Recorder,
    /// The relative deadline to draw, in nanoseconds, if any.
    pub deadline_ns: Option<u64>,
}

/// One panel: a run and its tasks.
#[derive(Clone, Debug)]
pub struct PercentilePanel<'a> {
    /// Panel title (the run's label).
    pub title: String,
    /// Its lines.
    pub series: Vec<PercentileSeries<'a>>,
}

/// Iteration steps per halving of the remaining tail (HdrHistogram's
/// `ticks_per_half_distance`).
const TICKS_PER_HALF: u32 = 5;

/// The points of one line: `(log10(1 / (1 − p)), value in ns)`, ending at
/// the exact maximum placed at the last sample (`p = 1 − 1/count`).
fn points(recorder: &Recorder) -> Vec<(f64, u64)> {
    let (Some(max), count) = (recorder.max(), recorder.count()) else {
        return Vec::new();
    };
    let last = (count.max(1) as f64).log10();
    let mut out: Vec<(f64, u64)> = Vec::new();
    for v in recorder.histogram().iter_quantiles(TICKS_PER_HALF) {
        let q = v.quantile_iterated_to();
        if q >= 1.0 {
            break;
        }
        let x = -(1.0 - q).log10();
        if x >= last {
            break;
        }
        out.push((x, v.value_iterated_to().min(max)));
    }
    out.push((last, max));
    out
}

/// Draws the percentile plot of every panel into `files`; `quantity`
/// names the y axis (`"response time"`).
pub fn percentiles(
    files: &PlotFiles,
    title: &str,
    quantity: &str,
    panels: &[PercentilePanel<'_>],
) -> Result<(), ReportError> {
    let lines: Vec<Vec<Curve>> = panels
        .iter()
        .map(|p| {
            p.series
                .iter()
                .map(|s| Curve {
                    color: task_color(s.color),
                    points: points(s.recorder),
                    deadline: s.deadline_ns,
                })
                .collect()
        })
        .collect();
    let (cols, rows) = grid(panels.len());
    let height = (150 + 290 * rows).clamp(480, 1000);
    let plot = Plot {
        title,
        quantity,
        panels,
        lines,
        cols,
        rows,
    };
    super::layout::render(files, u32::try_from(height).unwrap_or(1000), &plot)
}

/// Columns and rows for `n` panels: side by side up to three, then rows
/// of two or three.
fn grid(n: usize) -> (usize, usize) {
    let cols = match n {
        0 | 1 => 1,
        2 | 4 => 2,
        _ => 3,
    };
    (cols, n.max(1).div_ceil(cols))
}

struct Curve {
    color: RGBColor,
    points: Vec<(f64, u64)>,
    deadline: Option<u64>,
}

struct Plot<'a> {
    title: &'a str,
    quantity: &'a str,
    panels: &'a [PercentilePanel<'a>],
    lines: Vec<Vec<Curve>>,
    cols: usize,
    rows: usize,
}

/// The chart of one panel: log10 of `1 / (1 − p)` on x, nanoseconds on y.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Scale<f64>, Scale<u64>>>;

/// The axes every panel shares.
struct Axes {
    /// The x axis' end: whole decades, up to the largest sample count.
    decades: f64,
    /// The top of the y axis, in nanoseconds: a little above the largest
    /// value.
    y_end: u64,
    /// The y axis' ticks and labels.
    y_axis: TimeAxis,
}

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let axes = self.axes();
        let area = frame(root, self.title, &self.legend(axes.y_end), &[])?;
        let cells = area.split_evenly((self.rows, self.cols));
        for (i, (panel, cell)) in self.panels.iter().zip(cells).enumerate() {
            let mut chart = self.panel_chart(&cell, i, panel, &axes)?;
            let panel_lines = self.lines.get(i).map_or(&[][..], Vec::as_slice);
            curves(root, &mut chart, panel_lines, &axes)?;
        }
        Ok(())
    }
}

impl Plot<'_> {
    /// Every curve of every panel.
    fn curves(&self) -> impl Iterator<Item = &Curve> + Clone {
        self.lines.iter().flatten()
    }

    /// The shared axes: x to the decade that covers the largest sample
    /// count (at least 99%), y to a twelfth above the largest value.
    fn axes(&self) -> Axes {
        let y_max = self
            .curves()
            .flat_map(|c| c.points.iter().map(|p| p.1))
            .max()
            .unwrap_or(1)
            .max(1);
        let y_end = y_max + y_max / 12;
        let decades = self
            .curves()
            .filter_map(|c| c.points.last().map(|p| p.0))
            .fold(2.0f64, f64::max)
            .ceil();
        Axes {
            decades,
            y_end,
            y_axis: TimeAxis::new(0, y_end, 8),
        }
    }

    /// The legend: each task once, in order of first appearance; the
    /// deadline when one falls below `y_end`; the dot.
    fn legend(&self, y_end: u64) -> Vec<Entry> {
        let mut legend: Vec<Entry> = Vec::new();
        let mut seen: Vec<(usize, &str)> = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.series) {
            if !seen.contains(&(s.color, s.label.as_str())) {
                seen.push((s.color, s.label.as_str()));
                legend.push(Entry::new(
                    Glyph::Line(task_color(s.color)),
                    s.label.clone(),
                ));
            }
        }
        if self
            .curves()
            .any(|c| c.deadline.is_some_and(|d| d <= y_end))
        {
            legend.push(Entry::new(
                Glyph::Dashed(INK),
                "deadline (in the task's colour)",
            ));
        }
        legend.push(Entry::new(Glyph::Dot(INK), "exact maximum"));
        legend
    }

    /// Lays out panel `i` in `cell` and draws its axes: its title when
    /// there are several panels, axis titles only on the outer panels (the
    /// bottom row, the left column).
    fn panel_chart<'a, DB: DrawingBackend>(
        &self,
        cell: &'a DrawingArea<DB, Shift>,
        i: usize,
        panel: &PercentilePanel<'_>,
        axes: &Axes,
    ) -> Result<Chart<'a, DB>, String> {
        let x_ticks: Vec<f64> = (0..=axes.decades as i32).map(f64::from).collect();
        let mut builder = ChartBuilder::on(cell);
        builder
            .margin_left(8)
            .margin_right(30)
            .margin_top(4)
            .x_label_area_size(46)
            .y_label_area_size(72);
        if self.panels.len() > 1 {
            builder.caption(&panel.title, (super::FONT, AXIS_SIZE));
        }
        let mut chart = builder
            .build_cartesian_2d(
                Scale::new(0.0..axes.decades, x_ticks),
                Scale::new(0..axes.y_end, axes.y_axis.ticks.clone()),
            )
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc(if i / self.cols + 1 == self.rows {
                "percentile (log scale of 1/(1 − p))"
            } else {
                ""
            })
            .y_desc(if i.is_multiple_of(self.cols) {
                axes.y_axis.title(self.quantity)
            } else {
                String::new()
            })
            .x_label_formatter(&|v| style::percent_tick(1.0 - 10f64.powf(-v)))
            .y_label_formatter(&|v| axes.y_axis.label(*v))
            .label_style((super::FONT, LABEL_SIZE))
            .axis_desc_style((super::FONT, AXIS_SIZE))
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(fail)?;
        Ok(chart)
    }
}

/// Draws a panel's curves on `chart`: first every deadline within the y
/// axis, dashed, then each line with a dot at its exact maximum; "no
/// samples" when no curve has a point.
fn curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Chart<'_, DB>,
    panel_lines: &[Curve],
    axes: &Axes,
) -> Result<(), String> {
    for c in panel_lines {
        if let Some(d) = c.deadline.filter(|&d| d <= axes.y_end) {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, d), (axes.decades, d)],
                    8,
                    5,
                    c.color.stroke_width(2),
                ))
                .map_err(fail)?;
        }
    }
    let plotting = chart.plotting_area();
    for c in panel_lines {
        plotting
            .draw(&PathElement::new(c.points.clone(), c.color.stroke_width(2)))
            .map_err(fail)?;
        if let Some(&last) = c.points.last() {
            plotting
                .draw(&Circle::new(last, 4, c.color.filled()))
                .map_err(fail)?;
        }
    }
    if panel_lines.iter().all(|c| c.points.is_empty()) {
        let (xr, yr) = plotting.get_pixel_range();
        root.draw(&Text::new(
            "no samples",
            ((xr.start + xr.end) / 2, (yr.start + yr.end) / 2),
            style::text(AXIS_SIZE, INK, HPos::Center, VPos::Center),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn points_end_at_the_exact_maximum() {
        let mut r = Recorder::new();
        for v in 1..=1_000u64 {
            r.record(v * 1_000);
        }
        let p = points(&r);
        assert_eq!(p.first().map(|p| p.0), Some(0.0));
        assert_eq!(p.last(), Some(&(3.0, 1_000_000)));
        assert!(p.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
        assert!(points(&Recorder::new()).is_empty());
    }

    #[test]
    fn draws_png_and_svg_with_labels() {
        let dir = tempfile::tempdir().unwrap();
        let mut fast = Recorder::new();
        let mut slow = Recorder::new();
        for i in 0..10_000u64 {
            fast.record(1_000_000 + (i * 7_919) % 200_000);
            slow.record(3_000_000 + (i * 104_729) % 2_000_000);
        }
        slow.record(9_000_000);
        let series = |r1, r2| {
            vec![
                PercentileSeries {
                    label: "control".into(),
                    color: 1,
                    recorder: r1,
                    deadline_ns: Some(5_000_000),
                },
                PercentileSeries {
                    label: "telemetry".into(),
                    color: 2,
                    recorder: r2,
                    deadline_ns: Some(20_000_000),
                },
            ]
        };
        let panels = [
            PercentilePanel {
                title: "demo · simulation".into(),
                series: series(&fast, &slow),
            },
            PercentilePanel {
                title: "demo · live".into(),
                series: series(&slow, &fast),
            },
        ];
        let files = PlotFiles::new(dir.path(), "percentiles");
        percentiles(
            &files,
            "Response time by percentile",
            "response time",
            &panels,
        )
        .unwrap();
        let png = fs::read(&files.png).unwrap();
        assert!(png.len() > 10_000 && &png[1..4] == b"PNG");
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "control",
            "telemetry",
            "demo · live",
            "response time (ms)",
            "percentile (log scale of 1/(1 − p))",
            "99.9%",
            "deadline (in the task",
        ] {
            assert!(svg.contains(text), "{text}");
        }
    }
}
