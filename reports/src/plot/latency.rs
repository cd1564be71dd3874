//! A latency distribution as engineers know it from the OSADL QA farm and
//! cyclictest histograms: linear bins on x, the number of jobs per bin on
//! a logarithmic y axis, one line per series (task, or run when
//! comparing), and the worst case marked with a dashed vertical line and
//! its value.
//!
//! Bins are read from the HDR histogram of a metric. Their width is the
//! round duration that gives at most 300 bins up to the largest value:
//! 1 µs bins (as OSADL draws them) whenever the maximum is below 300 µs and
//! at least 100 µs, finer below, coarser above. A bin never splits an HDR
//! bucket: at three significant digits a bucket is at most a thousandth of
//! its value, while a bin is at least a three-hundredth of the maximum.
//! The maximum is the exact one kept beside the histogram.

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

/// Image height, in pixels.
const HEIGHT: u32 = 520;
/// The most bins a distribution gets.
const MAX_BINS: u64 = 300;

/// One line of a latency distribution.
#[derive(Clone, Debug)]
pub struct LatencySeries<'a> {
    /// Legend text: a task's name, or a run's label.
    pub label: String,
    /// Palette index of its colour (the task's index).
    pub color: usize,
    /// The values, in nanoseconds.
    pub recorder: &'a Recorder,
}

/// The width of one bin, in nanoseconds, for values up to `max_ns`:
/// at most 300 bins, 1 µs when `max_ns` is between 100 µs and
/// 300 µs.
pub fn bin_width(max_ns: u64) -> u64 {
    let width = style::nice_step(max_ns, MAX_BINS, 1);
    if max_ns >= 100_000 {
        width.max(1_000)
    } else {
        width
    }
}

/// Job counts per bin of `width` nanoseconds, `n` bins from zero (values
/// past the last bin count in it).
fn bins(recorder: &Recorder, width: u64, n: usize) -> Vec<u64> {
    let mut out = vec![0u64; n.max(1)];
    let (Some(lo), Some(hi)) = (recorder.min(), recorder.max()) else {
        return out;
    };
    let hist = recorder.histogram();
    for v in hist.iter_recorded() {
        // A bucket's middle, kept within the exact extremes.
        let at = hist.median_equivalent(v.value_iterated_to()).clamp(lo, hi);
        let i = usize::try_from(at / width.max(1))
            .unwrap_or(usize::MAX)
            .min(out.len() - 1);
        out[i] += v.count_at_value();
    }
    out
}

/// Axes shared by several latency plots (the runs of a comparison), so
/// that they compare directly: the same bins and the same count range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatencyAxes {
    /// The largest value shown, in nanoseconds (the bins reach it).
    pub max_ns: u64,
    /// The largest number of jobs in one bin.
    pub peak: u64,
}

impl LatencyAxes {
    /// Axes that cover every one of `recorders`.
    pub fn covering<'a>(recorders: impl IntoIterator<Item = &'a Recorder> + Clone) -> LatencyAxes {
        let max_ns = recorders
            .clone()
            .into_iter()
            .filter_map(Recorder::max)
            .max()
            .unwrap_or(0);
        let width = bin_width(max_ns.max(1));
        let n = usize::try_from(max_ns / width + 1).unwrap_or(1);
        let peak = recorders
            .into_iter()
            .flat_map(|r| bins(r, width, n))
            .max()
            .unwrap_or(0);
        LatencyAxes { max_ns, peak }
    }
}

/// Draws the distribution of each series into `files`: `quantity` names
/// the x axis (`"wake-up latency"`), `title` the plot. `axes` are shared
/// with other plots if given, else they cover these series.
pub fn latency(
    files: &PlotFiles,
    title: &str,
    quantity: &str,
    series: &[LatencySeries<'_>],
    axes: Option<LatencyAxes>,
) -> Result<(), ReportError> {
    let axes = axes.unwrap_or_else(|| LatencyAxes::covering(series.iter().map(|s| s.recorder)));
    let width = bin_width(axes.max_ns.max(1));
    let n = usize::try_from(axes.max_ns / width + 1).unwrap_or(1);
    let lines: Vec<Line> = series
        .iter()
        .map(|s| Line {
            label: s.label.clone(),
            color: task_color(s.color),
            max: s.recorder.max(),
            bins: bins(s.recorder, width, n),
        })
        .collect();
    let peak = lines
        .iter()
        .flat_map(|l| l.bins.iter().copied())
        .max()
        .unwrap_or(0)
        .max(axes.peak)
        .max(1);
    let plot = Plot {
        title,
        quantity,
        width,
        n,
        peak,
        lines,
    };
    super::layout::render(files, HEIGHT, &plot)
}

struct Line {
    label: String,
    color: RGBColor,
    max: Option<u64>,
    bins: Vec<u64>,
}

struct Plot<'a> {
    title: &'a str,
    quantity: &'a str,
    /// Bin width, in nanoseconds.
    width: u64,
    /// Number of bins.
    n: usize,
    /// The largest count the y axis must show.
    peak: u64,
    lines: Vec<Line>,
}

/// The chart the distributions are drawn on: time in nanoseconds on x,
/// log10 of the job count on y.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Scale<u64>, Scale<f64>>>;

/// The bottom of the y axis, in log10 of a count: a little below one job,
/// so that a bin of one job shows.
const FLOOR: f64 = -0.3;

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend(), &[])?;
        let chart = self.chart(&area)?;
        for line in &self.lines {
            // A light fill makes a lone spike visible; with many series the
            // fills would only muddy each other.
            self.steps(&chart, line, self.lines.len() <= 4)?;
        }
        // The worst cases: dashed lines, values staggered so they never
        // overlap.
        let mut order: Vec<&Line> = self.lines.iter().filter(|l| l.max.is_some()).collect();
        order.sort_by_key(|l| l.max);
        for line in &order {
            self.worst_case(root, &chart, line)?;
        }
        // Then the values, over every line.
        self.worst_case_labels(root, &chart, &order)?;
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
    /// The legend: each series with its worst case.
    fn legend(&self) -> Vec<Entry> {
        self.lines
            .iter()
            .map(|l| match l.max {
                Some(m) => Entry::new(
                    Glyph::Line(l.color),
                    format!("{} (max {})", l.label, format::duration(m)),
                ),
                None => Entry::new(Glyph::Line(l.color), format!("{} (no samples)", l.label)),
            })
            .collect()
    }

    /// log10 of the largest count.
    fn decades(&self) -> f64 {
        (self.peak as f64).log10()
    }

    /// The top of the y axis, in log10 of a count: headroom above the
    /// highest bin for the labels of the maxima.
    fn top(&self) -> f64 {
        self.decades().max(1.0) + 0.9
    }

    /// Lays out the chart on `area` and draws its axes: time from zero to a
    /// little past the last bin (room for its worst-case line) on x, counts
    /// by powers of ten on y.
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
    ) -> Result<Chart<'a, DB>, String> {
        let bins_end = self.width.saturating_mul(self.n as u64);
        let end = bins_end + (bins_end / 50).max(self.width);
        let x_axis = TimeAxis::new(0, end, 12);
        let top = self.top();
        let y_ticks: Vec<f64> = (0..=top.floor() as i32).map(f64::from).collect();
        let mut chart = ChartBuilder::on(area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(52)
            .y_label_area_size(76)
            .build_cartesian_2d(
                Scale::new(0..end, x_axis.ticks.clone()),
                Scale::new(FLOOR..top, y_ticks),
            )
            .map_err(fail)?;
        let x_desc = format!(
            "{}, {} bins",
            x_axis.title(self.quantity),
            style::short_duration(self.width)
        );
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("jobs per bin (log scale)")
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

    /// Draws `line`'s worst case: a dashed vertical line in its colour, the
    /// whole height of the chart.
    fn worst_case<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &Chart<'_, DB>,
        line: &Line,
    ) -> Result<(), String> {
        let Some(max) = line.max else { return Ok(()) };
        let (x, y_floor) = chart.backend_coord(&(max, FLOOR));
        let (_, y_top) = chart.backend_coord(&(max, self.top()));
        let mut y = y_floor;
        while y > y_top {
            let y2 = (y - 6).max(y_top);
            root.draw(&PathElement::new(
                vec![(x, y), (x, y2)],
                line.color.stroke_width(2),
            ))
            .map_err(fail)?;
            y -= 10;
        }
        Ok(())
    }

    /// Draws the value of each worst case in `order` (smallest first)
    /// beside its line, on a white backing, staggered in rows from the top
    /// so that no two overlap; only as many rows as the headroom above the
    /// bins holds (the legend has every maximum anyway).
    fn worst_case_labels<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &Chart<'_, DB>,
        order: &[&Line],
    ) -> Result<(), String> {
        // The right end of the last label in each row, in pixels.
        let mut levels: Vec<i32> = Vec::new();
        let (x_range, y_range) = chart.plotting_area().get_pixel_range();
        let headroom_px = chart.backend_coord(&(0, self.decades().max(0.0))).1 - y_range.start;
        let max_levels = usize::try_from((headroom_px - 4) / (LABEL_SIZE as i32 + 4)).unwrap_or(0);
        for line in order {
            let Some(max) = line.max else { continue };
            let (x, _) = chart.backend_coord(&(max, FLOOR));
            let label = format!("max {}", format::duration(max));
            let font = TextStyle::from((super::FONT, LABEL_SIZE).into_font());
            let (w, h) = root.estimate_text_size(&label, &font).map_err(fail)?;
            let (w, h) = (i32::try_from(w).unwrap_or(0), i32::try_from(h).unwrap_or(0));
            let right_side = x + 4 + w < x_range.end;
            let (x0, x1) = if right_side {
                (x + 4, x + 4 + w)
            } else {
                (x - 4 - w, x - 4)
            };
            let level = levels
                .iter()
                .position(|&right| right + 6 < x0)
                .unwrap_or(levels.len());
            if level >= max_levels {
                continue;
            }
            if level == levels.len() {
                levels.push(x1);
            } else {
                levels[level] = x1;
            }
            let ty = y_range.start + 4 + i32::try_from(level).unwrap_or(0) * (h + 3);
            let anchor = if right_side { HPos::Left } else { HPos::Right };
            let tx = if right_side { x + 4 } else { x - 4 };
            root.draw(&Rectangle::new(
                [(x0 - 1, ty), (x1 + 1, ty + h + 1)],
                WHITE.mix(0.85).filled(),
            ))
            .map_err(fail)?;
            root.draw(&Text::new(
                label,
                (tx, ty),
                style::text(LABEL_SIZE, INK, anchor, VPos::Top),
            ))
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
    fn bins_follow_the_osadl_convention() {
        assert_eq!(bin_width(250_000), 1_000);
        assert_eq!(bin_width(100_000), 1_000);
        assert_eq!(bin_width(22_600_000), 100_000);
        assert_eq!(bin_width(30_000), 100);
        let mut r = Recorder::new();
        for v in [1_000, 1_500, 2_100, 2_900, 250_000] {
            r.record(v);
        }
        let b = bins(&r, 1_000, 251);
        assert_eq!((b[1], b[2], b[250]), (2, 2, 1));
        assert_eq!(b.iter().sum::<u64>(), 5);
    }

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
            },
            LatencySeries {
                label: "control".into(),
                color: 1,
                recorder: &control,
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
}
