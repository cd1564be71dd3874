//! A latency distribution as engineers know it from the OSADL QA farm and
//! cyclictest histograms: linear bins on x, the number of jobs per bin on
//! a logarithmic y axis, one line per series (task, or run when
//! comparing), and the worst case marked with a dashed vertical line and
//! its value. A response-time distribution also marks each task's
//! deadline (a solid line) and its analysis bound (a dotted line with a
//! diamond on the time axis), as the response-vs-deadline plot does.
//!
//! Bins are read from the HDR histogram of a metric. Their width is the
//! round duration that gives at most 300 bins up to the largest value:
//! 1 µs bins (as OSADL draws them) whenever the maximum is below 300 µs and
//! at least 100 µs, finer below, coarser above. A bin never splits an HDR
//! bucket: at three significant digits a bucket is at most a thousandth of
//! its value, while a bin is at least a three-hundredth of the maximum.
//! The maximum is the exact one kept beside the histogram.
//!
//! Each plot has its own time axis, from zero to its own largest value
//! (and any deadline or bound up to twice that; one further out is named
//! in the legend instead): a SCHED_FIFO run's 20 µs wake-ups get their own
//! bins rather than one bar beside a SCHED_OTHER run's 7 ms. Plots of one
//! metric across runs share only their count axis ([`LatencyAxes`]), and
//! their time-axis title says that it is the plot's own.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rtlab_tasks::outcome::metrics::Recorder;

use super::PlotFiles;
use super::layout::{Entry, Glyph, frame};
use super::style::{
    self, AXIS_SIZE, Draw, GRID, INK, LABEL_SIZE, MUTED, Scale, TimeAxis, fail, task_color,
};
use crate::{ReportError, format};
use bins::{binning, bins};
use marks::{Kind, Mark};

pub use bins::bin_width;

mod bins;
mod marks;
mod painted;

pub(crate) use painted::{Painted, latency_painted};

/// Image height, in pixels.
const HEIGHT: u32 = 520;
/// A deadline or bound up to this many times the largest value is drawn
/// on the time axis; further out, the legend names it.
const MARK_REACH: u64 = 2;

/// One line of a latency distribution.
#[derive(Clone, Debug)]
pub struct LatencySeries<'a> {
    /// Legend text: a task's name, or a run's label.
    pub label: String,
    /// Palette slot of its colour: the task's slot in the report's colour
    /// assignment (one colour per task name, see `figures`).
    pub color: usize,
    /// The values, in nanoseconds.
    pub recorder: &'a Recorder,
    /// The task's relative deadline to mark, in nanoseconds (response
    /// times; `None` for other metrics).
    pub deadline_ns: Option<u64>,
    /// The analysis' worst-case response-time bound to mark, in
    /// nanoseconds, if there is one.
    pub bound_ns: Option<u64>,
}

/// The count axis shared by several latency plots (the runs of a
/// comparison), so that their heights compare. Each plot keeps its own
/// time axis and bins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyAxes {
    /// The largest number of jobs in one bin of any of the plots.
    pub peak: u64,
}

impl LatencyAxes {
    /// A count axis that covers every one of `plots`, each given as the
    /// recorders of its series (binned as that plot bins them).
    pub fn covering<'a, P>(plots: impl IntoIterator<Item = P>) -> LatencyAxes
    where
        P: IntoIterator<Item = &'a Recorder>,
    {
        let mut peak = 0;
        for plot in plots {
            let recorders: Vec<&Recorder> = plot.into_iter().collect();
            let max_ns = recorders.iter().filter_map(|r| r.max()).max().unwrap_or(0);
            let (width, n) = binning(max_ns);
            peak = recorders
                .iter()
                .flat_map(|r| bins(r, width, n))
                .fold(peak, u64::max);
        }
        LatencyAxes { peak }
    }
}

/// Draws the distribution of each series into `files`: `quantity` names
/// the x axis (`"wake-up latency"`), `title` the plot. The time axis is
/// this plot's own; the count axis is shared with other plots through
/// `axes` if given (and the time-axis title then says it is not shared).
pub fn latency(
    files: &PlotFiles,
    title: &str,
    quantity: &str,
    series: &[LatencySeries<'_>],
    axes: Option<LatencyAxes>,
) -> Result<(), ReportError> {
    super::layout::render(files, HEIGHT, &Plot::new(title, quantity, series, axes))
}

struct Line {
    label: String,
    color: RGBColor,
    max: Option<u64>,
    bins: Vec<u64>,
    deadline: Option<u64>,
    bound: Option<u64>,
}

struct Plot<'a> {
    title: &'a str,
    quantity: &'a str,
    /// Bin width, in nanoseconds.
    width: u64,
    /// The end of the time axis, in nanoseconds.
    end: u64,
    /// Deadlines and bounds up to here are drawn, in nanoseconds.
    reach: u64,
    /// The largest count the y axis must show.
    peak: u64,
    /// Whether the count axis is shared with other plots.
    shared: bool,
    lines: Vec<Line>,
    /// The bound's legend text.
    bound: &'static str,
    /// What the histogram counts (`jobs`, `stimuli`).
    counted: &'static str,
}

/// The chart the distributions are drawn on: time in nanoseconds on x,
/// log10 of the job count on y.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Scale<u64>, Scale<f64>>>;

/// The bottom of the y axis, in log10 of a count: a little below one job,
/// so that a bin of one job shows.
const FLOOR: f64 = -0.3;

impl<'a> Plot<'a> {
    /// The plot of `series`: bins and time axis from their own largest
    /// value, counts up to `axes`' peak if shared.
    fn new(
        title: &'a str,
        quantity: &'a str,
        series: &[LatencySeries<'_>],
        axes: Option<LatencyAxes>,
    ) -> Plot<'a> {
        let painted: Vec<Painted<'_>> = series
            .iter()
            .map(|s| Painted {
                label: s.label.clone(),
                color: task_color(s.color),
                recorder: s.recorder,
                deadline_ns: s.deadline_ns,
                bound_ns: s.bound_ns,
            })
            .collect();
        Plot::painted(title, quantity, &painted, axes)
    }

    /// The plot of `series` in their own colours.
    fn painted(
        title: &'a str,
        quantity: &'a str,
        series: &[Painted<'_>],
        axes: Option<LatencyAxes>,
    ) -> Plot<'a> {
        let max_ns = series
            .iter()
            .filter_map(|s| s.recorder.max())
            .max()
            .unwrap_or(0);
        let (width, n) = binning(max_ns);
        let lines: Vec<Line> = series
            .iter()
            .map(|s| Line {
                label: s.label.clone(),
                color: s.color,
                max: s.recorder.max(),
                bins: bins(s.recorder, width, n),
                deadline: s.deadline_ns,
                bound: s.bound_ns,
            })
            .collect();
        let peak = lines
            .iter()
            .flat_map(|l| l.bins.iter().copied())
            .max()
            .unwrap_or(0)
            .max(axes.map_or(0, |a| a.peak))
            .max(1);
        let reach = max_ns.saturating_mul(MARK_REACH);
        let last = lines
            .iter()
            .flat_map(|l| [l.deadline, l.bound])
            .flatten()
            .filter(|&at| at <= reach)
            .fold(width.saturating_mul(n as u64), u64::max);
        Plot {
            title,
            quantity,
            width,
            end: last + (last / 50).max(width),
            reach,
            peak,
            shared: axes.is_some(),
            lines,
            bound: "response-time analysis bound (WCRT), dotted",
            counted: "jobs",
        }
    }

    /// Every mark drawn on the chart: worst cases, and the deadlines and
    /// bounds within reach.
    fn marks(&self) -> Vec<Mark> {
        let mut marks = Vec::new();
        for l in &self.lines {
            let within = |at: &u64| *at <= self.reach;
            let found = [
                (Kind::Deadline, l.deadline.filter(within)),
                (Kind::Bound, l.bound.filter(within)),
                (Kind::Max, l.max),
            ];
            for (kind, at) in found {
                if let Some(at_ns) = at {
                    marks.push(Mark {
                        kind,
                        at_ns,
                        color: l.color,
                    });
                }
            }
        }
        marks
    }
}

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend(), &[])?;
        let chart = self.chart(&area)?;
        for line in &self.lines {
            // A light fill makes a lone spike visible; with many series the
            // fills would only muddy each other.
            self.steps(&chart, line, self.lines.len() <= 4)?;
        }
        let marks = self.marks();
        let top = self.top();
        for mark in &marks {
            marks::line(root, &chart, mark, (FLOOR, top))?;
        }
        // Then the labels, over every line, in rows within the headroom
        // above the bins.
        let (_, y_range) = chart.plotting_area().get_pixel_range();
        let headroom_px = chart.backend_coord(&(0, self.decades().max(0.0))).1 - y_range.start;
        let rows = usize::try_from((headroom_px - 4) / (LABEL_SIZE as i32 + 4)).unwrap_or(0);
        marks::labels(root, &chart, &marks, rows)?;
        if self.lines.iter().all(|l| l.max.is_none()) {
            let (x_range, y_range) = chart.plotting_area().get_pixel_range();
            let ((x0, y0), (x1, y1)) = ((x_range.start, y_range.start), (x_range.end, y_range.end));
            root.draw(&Text::new(
                "no samples",
                ((x0 + x1) / 2, (y0 + y1) / 2),
                style::text(AXIS_SIZE, MUTED, HPos::Center, VPos::Center),
            ))
            .map_err(fail)?;
        }
        Ok(())
    }
}

impl Plot<'_> {
    /// The legend: each series with its worst case, deadline and bound
    /// (saying so when one lies beyond the time axis), then what the
    /// marks mean when there are deadlines or bounds.
    fn legend(&self) -> Vec<Entry> {
        let mut legend: Vec<Entry> = self
            .lines
            .iter()
            .map(|l| {
                let Some(m) = l.max else {
                    return Entry::new(Glyph::Line(l.color), format!("{} (no samples)", l.label));
                };
                let mut text = format!("{} (max {}", l.label, format::duration(m));
                for (word, at) in [("deadline", l.deadline), ("bound", l.bound)] {
                    if let Some(at) = at {
                        text.push_str(&format!(", {word} {}", format::duration(at)));
                        if at > self.reach {
                            text.push_str(" off the axis");
                        }
                    }
                }
                text.push(')');
                Entry::new(Glyph::Line(l.color), text)
            })
            .collect();
        let drawn = self.marks();
        let has = |kind: Kind| drawn.iter().any(|m| m.kind == kind);
        if has(Kind::Deadline) || has(Kind::Bound) {
            legend.push(Entry::new(Glyph::Dashed(INK), "worst case"));
        }
        if has(Kind::Deadline) {
            legend.push(Entry::new(Glyph::Line(INK), "deadline"));
        }
        if has(Kind::Bound) {
            legend.push(Entry::new(Glyph::Diamond(INK), self.bound));
        }
        legend
    }

    /// log10 of the largest count.
    fn decades(&self) -> f64 {
        (self.peak as f64).log10()
    }

    /// The top of the y axis, in log10 of a count: headroom above the
    /// highest bin for the labels of the marks.
    fn top(&self) -> f64 {
        self.decades().max(1.0) + 0.9
    }

    /// The time axis' title: the quantity with its unit and the bin width,
    /// and, when the count axis is shared with other runs' plots, that the
    /// time axis is not.
    fn x_title(&self, x_axis: &TimeAxis) -> String {
        let title = format!(
            "{}, {} bins",
            x_axis.title(self.quantity),
            style::short_duration(self.width)
        );
        if self.shared {
            format!("{title} (time axis not shared with the other runs)")
        } else {
            title
        }
    }

    /// Lays out the chart on `area` and draws its axes: time from zero to
    /// the plot's own end on x, counts by powers of ten on y.
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> Result<Chart<'a, DB>, String> {
        let x_axis = TimeAxis::new(0, self.end, 12);
        let top = self.top();
        let y_ticks: Vec<f64> = (0..=top.floor() as i32).map(f64::from).collect();
        let mut chart = ChartBuilder::on(area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(52)
            .y_label_area_size(76)
            .build_cartesian_2d(
                Scale::new(0..self.end, x_axis.ticks.clone()),
                Scale::new(FLOOR..top, y_ticks),
            )
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc(self.x_title(&x_axis))
            .y_desc(format!("{} per bin (log scale)", self.counted))
            .x_label_formatter(&|v| x_axis.label(*v))
            .y_label_formatter(&|v| count_label(*v))
            .label_style((super::FONT, LABEL_SIZE))
            .axis_desc_style((super::FONT, AXIS_SIZE))
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(fail)?;
        Ok(chart)
    }

    /// Draws `line`'s bins: each run of non-empty bins is one closed step
    /// outline, lightly filled if `fill`; empty bins are not drawn (zero
    /// has no place on a log axis).
    fn steps<DB: DrawingBackend>(
        &self,
        chart: &Chart<'_, DB>,
        line: &Line,
        fill: bool,
    ) -> Result<(), String> {
        let plotting = chart.plotting_area();
        let mut i = 0;
        while i < line.bins.len() {
            if line.bins[i] == 0 {
                i += 1;
                continue;
            }
            let start = i;
            let mut points = vec![(start as u64 * self.width, FLOOR)];
            while i < line.bins.len() && line.bins[i] > 0 {
                let y = (line.bins[i] as f64).log10();
                points.push((i as u64 * self.width, y));
                points.push(((i as u64 + 1) * self.width, y));
                i += 1;
            }
            points.push((i as u64 * self.width, FLOOR));
            if fill {
                plotting
                    .draw(&Polygon::new(points.clone(), line.color.mix(0.25).filled()))
                    .map_err(fail)?;
            }
            plotting
                .draw(&PathElement::new(points, line.color.stroke_width(2)))
                .map_err(fail)?;
        }
        Ok(())
    }
}

/// A count on the log axis: `10^v` as an integer (`1`, `10`, `1000`),
/// powers past a million as `1e7`.
fn count_label(v: f64) -> String {
    let k = v.round() as i32;
    if (0..=6).contains(&k) {
        format!("{}", 10u64.pow(k.unsigned_abs()))
    } else {
        format!("1e{k}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn draws_png_and_svg_with_labels() {
        let dir = tempfile::tempdir().unwrap();
        let mut sensor = Recorder::new();
        let mut control = Recorder::new();
        for i in 0..5_000u64 {
            sensor.record(20_000 + (i * 7_919) % 15_000);
            control.record(30_000 + (i * 104_729) % 60_000);
        }
        sensor.record(180_000);
        let files = PlotFiles::new(dir.path(), "latency");
        let series = [
            LatencySeries {
                label: "sensor".into(),
                color: 0,
                recorder: &sensor,
                deadline_ns: None,
                bound_ns: None,
            },
            LatencySeries {
                label: "control".into(),
                color: 1,
                recorder: &control,
                deadline_ns: None,
                bound_ns: None,
            },
        ];
        latency(&files, "Wake-up latency", "wake-up latency", &series, None).unwrap();
        let png = fs::read(&files.png).unwrap();
        assert!(png.len() > 10_000 && &png[1..4] == b"PNG");
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "sensor (max 180 µs)",
            "control",
            "wake-up latency (µs), 1 µs bins",
            "jobs per bin (log scale)",
            "max 180 µs",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        // Same input, same bytes.
        let again = PlotFiles::new(dir.path(), "again");
        latency(&again, "Wake-up latency", "wake-up latency", &series, None).unwrap();
        assert_eq!(fs::read(&again.svg).unwrap(), svg.as_bytes());
        assert_eq!(fs::read(&again.png).unwrap(), png);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 4);
    }

    /// A series of `recorder` without deadline or bound.
    fn plain<'a>(label: &str, recorder: &'a Recorder) -> LatencySeries<'a> {
        LatencySeries {
            label: label.into(),
            color: 0,
            recorder,
            deadline_ns: None,
            bound_ns: None,
        }
    }

    #[test]
    fn each_run_has_its_own_time_axis_and_all_share_the_count_axis() {
        // Wake-ups under SCHED_FIFO (up to 20 µs) and SCHED_OTHER (up to
        // 7 ms), as two runs of one comparison draw them.
        let mut fifo = Recorder::new();
        let mut other = Recorder::new();
        for i in 0..10_000u64 {
            fifo.record(2_000 + (i * 7_919) % 18_000);
            other.record(5_000 + (i * 104_729) % 6_995_000);
        }
        let axes = LatencyAxes::covering([[&fifo], [&other]]);
        let fifo_plot = Plot::new(
            "fifo",
            "wake-up latency",
            &[plain("fifo", &fifo)],
            Some(axes),
        );
        let other_plot = Plot::new(
            "other",
            "wake-up latency",
            &[plain("o", &other)],
            Some(axes),
        );
        // Each panel's x range covers its own maximum and not the other's.
        assert!(
            fifo_plot.end >= 20_000 && fifo_plot.end < 100_000,
            "{}",
            fifo_plot.end
        );
        assert!(other_plot.end >= 7_000_000, "{}", other_plot.end);
        // Bins fit each: 100 ns against 50 µs.
        assert_eq!((fifo_plot.width, other_plot.width), (100, 50_000));
        // One count axis: the larger peak (the finer bins hold fewer jobs
        // each... or more; whichever is larger, both plots reach it).
        assert_eq!(fifo_plot.peak, other_plot.peak);
        assert_eq!(fifo_plot.peak, axes.peak);
        assert!(
            fifo_plot.lines[0]
                .bins
                .iter()
                .chain(&other_plot.lines[0].bins)
                .any(|&c| c == axes.peak)
        );

        let dir = tempfile::tempdir().unwrap();
        let files = PlotFiles::new(dir.path(), "fifo");
        latency(
            &files,
            "Wake-up",
            "wake-up latency",
            &[plain("fifo", &fifo)],
            Some(axes),
        )
        .unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(
            svg.contains(
                "wake-up latency (µs), 100 ns bins (time axis not shared with the other runs)"
            ),
            "x title"
        );
        // Alone, the axis is not called out.
        latency(
            &files,
            "Wake-up",
            "wake-up latency",
            &[plain("fifo", &fifo)],
            None,
        )
        .unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(!svg.contains("not shared"));
    }

    #[test]
    fn a_response_time_distribution_marks_the_deadline_and_the_bound() {
        let mut sensor = Recorder::new();
        for i in 0..5_000u64 {
            sensor.record(300_000 + (i * 7_919) % 1_200_000);
        }
        let series = |deadline_ns, bound_ns| LatencySeries {
            label: "sensor".into(),
            color: 3,
            recorder: &sensor,
            deadline_ns: Some(deadline_ns),
            bound_ns: Some(bound_ns),
        };
        let dir = tempfile::tempdir().unwrap();
        let files = PlotFiles::new(dir.path(), "response");
        let near = [series(2_000_000, 1_800_000)];
        latency(&files, "Response", "response time", &near, None).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        // The lines' labels, each its own text element, and the legend.
        for text in [
            ">\ndeadline\n<",
            ">\nbound\n<",
            "sensor (max 1.50 ms, deadline 2.00 ms, bound 1.80 ms)",
            "response-time analysis bound (WCRT), dotted",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        // The axis reaches the deadline, past the largest response.
        assert!(Plot::new("r", "r", &near, None).end >= 2_000_000);

        // A deadline far beyond every response is named, not drawn.
        let far = [series(50_000_000, 1_800_000)];
        latency(&files, "Response", "response time", &far, None).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(svg.contains("deadline 50.0 ms off the axis"), "legend");
        assert!(
            !svg.contains(">\ndeadline\n<"),
            "a label for an undrawn line"
        );
        assert!(Plot::new("r", "r", &far, None).end < 4_000_000);
    }
}
