//! Response time against deadline: for each task, one percentile box per
//! run side by side (the box from the median to the 99th percentile, the
//! whisker from the minimum to the exact maximum), the response-time
//! analysis bound beside it as a diamond, so that predicted, simulated and
//! measured timing sit next to each other.
//!
//! The y axis is the response time as a fraction of the task's own
//! deadline, one axis for all tasks: a 2 ms sensor task and a 50 ms logger
//! stay equally readable, and the deadline is one dashed line at 100%
//! across the plot, so anything above it missed, whatever the task
//! (drawn in red, with the worst response in time units). One small panel
//! per task was the alternative; it gives every task its own scale and
//! makes the reader compare axis labels instead of heights. The axis is
//! linear up to 400%; beyond (an overloaded task responding in tens of
//! deadlines) it turns logarithmic so the other tasks do not flatten to
//! the floor.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::PlotFiles;
use super::layout::{self, Entry, Glyph, frame};
use super::style::{
    self, AXIS_SIZE, Draw, GRID, INK, LABEL_SIZE, MISS, MUTED, SMALL_SIZE, Scale, fail, task_color,
};
use crate::{ReportError, format};

/// Image height, in pixels.
const HEIGHT: u32 = 580;
/// Above this fraction of the deadline the axis turns logarithmic.
const LINEAR_UP_TO: f64 = 4.0;

/// A task's response times in one run, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseStats {
    /// Exact minimum.
    pub min_ns: u64,
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// Exact maximum.
    pub max_ns: u64,
}

/// One box: a task in one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResponseRun {
    /// The response times (`None`: no job completed).
    pub stats: Option<ResponseStats>,
    /// The analysis' worst-case response-time bound, in nanoseconds, if
    /// one exists.
    pub wcrt_ns: Option<u64>,
}

/// One group of boxes: a task, with one entry per run (in run order).
#[derive(Clone, Debug)]
pub struct ResponseTask {
    /// Task name.
    pub name: String,
    /// Palette index of its colour (the task's index).
    pub color: usize,
    /// Relative deadline, in nanoseconds.
    pub deadline_ns: u64,
    /// Per run, in the order of the run labels.
    pub runs: Vec<ResponseRun>,
}

/// Draws response against deadline for `tasks` into `files`; `runs` are
/// the run labels (numbered under the boxes when there are several).
pub fn response(
    files: &PlotFiles,
    title: &str,
    tasks: &[ResponseTask],
    runs: &[String],
) -> Result<(), ReportError> {
    let ratio = |t: &ResponseTask, ns: u64| ns as f64 / t.deadline_ns.max(1) as f64;
    let mut max_ratio = 1.0f64;
    let mut min_ratio = f64::INFINITY;
    for t in tasks {
        for r in &t.runs {
            if let Some(s) = r.stats {
                max_ratio = max_ratio.max(ratio(t, s.max_ns));
                if s.min_ns > 0 {
                    min_ratio = min_ratio.min(ratio(t, s.min_ns));
                }
            }
            if let Some(w) = r.wcrt_ns {
                max_ratio = max_ratio.max(ratio(t, w));
            }
        }
    }
    // Room above the tallest whisker for its label (turned upright when
    // several runs share a group).
    let slot_px = 760.0 / (tasks.len().max(1) * runs.len().max(1)) as f64;
    let headroom = if slot_px < 80.0 { 1.3 } else { 1.12 };
    let scale = if max_ratio <= LINEAR_UP_TO {
        YScale::Linear {
            top: (max_ratio * headroom).max(1.15),
        }
    } else {
        let floor = if min_ratio.is_finite() {
            min_ratio.max(1e-3)
        } else {
            0.01
        };
        let (bottom, high) = (floor.log10() - 0.15, max_ratio.log10());
        YScale::Log {
            bottom,
            top: high + 0.1 + (headroom - 1.0) * (high - bottom),
        }
    };
    let plot = Plot {
        title,
        tasks,
        runs,
        scale,
    };
    style::render(files, HEIGHT, &plot)
}

/// How fractions of the deadline map to the y axis.
#[derive(Clone, Copy, Debug)]
enum YScale {
    /// y = fraction, from 0 to `top`.
    Linear { top: f64 },
    /// y = log10(fraction), from `bottom` to `top`.
    Log { bottom: f64, top: f64 },
}

impl YScale {
    fn y(self, fraction: f64) -> f64 {
        match self {
            YScale::Linear { .. } => fraction,
            YScale::Log { bottom, .. } => fraction.max(1e-9).log10().max(bottom),
        }
    }

    fn range(self) -> (f64, f64) {
        match self {
            YScale::Linear { top } => (0.0, top),
            YScale::Log { bottom, top } => (bottom, top),
        }
    }

    /// Tick positions (in y units) and labels.
    fn ticks(self) -> Vec<(f64, String)> {
        match self {
            YScale::Linear { top } => {
                let per_mille = style::nice_step((top * 1000.0) as u64, 8, 50);
                (0..)
                    .map(|k: u64| (k * per_mille) as f64 / 1000.0)
                    .take_while(|&f| f <= top)
                    .map(|f| (f, style::percent_tick(f)))
                    .collect()
            }
            YScale::Log { bottom, top } => {
                let decades = top - bottom;
                let steps: &[f64] = if decades <= 3.0 {
                    &[1.0, 2.0, 5.0]
                } else {
                    &[1.0]
                };
                let mut out = Vec::new();
                let mut e = bottom.floor() as i32;
                while f64::from(e) <= top {
                    for &m in steps {
                        let f = m * 10f64.powi(e);
                        let y = f.log10();
                        if y >= bottom && y <= top {
                            out.push((y, style::percent_tick(f)));
                        }
                    }
                    e += 1;
                }
                out
            }
        }
    }

    fn title(self) -> &'static str {
        match self {
            YScale::Linear { .. } => "response time / deadline (%)",
            YScale::Log { .. } => "response time / deadline (%, log scale)",
        }
    }
}

struct Plot<'a> {
    title: &'a str,
    tasks: &'a [ResponseTask],
    runs: &'a [String],
    scale: YScale,
}

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let mut legend = vec![
            Entry::new(
                Glyph::BoxWhisker(MUTED),
                "box: median to 99th percentile; whisker: min to max",
            ),
            Entry::new(Glyph::Dashed(INK), "deadline (100%)"),
            Entry::new(Glyph::Line(MISS), "above the deadline: missed"),
        ];
        if self
            .tasks
            .iter()
            .any(|t| t.runs.iter().any(|r| r.wcrt_ns.is_some()))
        {
            legend.push(Entry::new(
                Glyph::Diamond(INK),
                "response-time analysis bound (WCRT)",
            ));
        }
        let key = layout::run_key(self.runs);
        let area = frame(root, self.title, &legend, &key)?;
        let n_runs = self.tasks.iter().map(|t| t.runs.len()).max().unwrap_or(1);
        let ticks = self.scale.ticks();
        let (y0, y1) = self.scale.range();
        let groups = self.tasks.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(8)
            .x_label_area_size(layout::group_labels_height(n_runs, true))
            .y_label_area_size(76)
            .build_cartesian_2d(
                Scale::new(0.0..groups, Vec::new()),
                Scale::new(y0..y1, ticks.iter().map(|t| t.0).collect()),
            )
            .map_err(fail)?;
        let label_of = |v: f64| {
            ticks
                .iter()
                .find(|t| (t.0 - v).abs() < 1e-9)
                .map_or_else(String::new, |t| t.1.clone())
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(self.scale.title())
            .y_label_formatter(&|v| label_of(*v))
            .label_style((super::FONT, LABEL_SIZE))
            .axis_desc_style((super::FONT, AXIS_SIZE))
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(fail)?;
        let s = self.scale;
        let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
        let (x_range, y_range) = chart.plotting_area().get_pixel_range();
        // The deadline, across every group.
        let dy = px(0.0, s.y(1.0)).1;
        let mut x = x_range.start;
        while x < x_range.end {
            root.draw(&PathElement::new(
                vec![(x, dy), ((x + 9).min(x_range.end), dy)],
                INK.stroke_width(2),
            ))
            .map_err(fail)?;
            x += 15;
        }
        root.draw(&Text::new(
            "deadline",
            (x_range.end - 4, dy - 3),
            style::text(SMALL_SIZE, INK, HPos::Right, VPos::Bottom),
        ))
        .map_err(fail)?;
        for (g, task) in self.tasks.iter().enumerate() {
            let color = task_color(task.color);
            let frac = |ns: u64| ns as f64 / task.deadline_ns.max(1) as f64;
            let unbounded = task.runs.iter().all(|r| r.wcrt_ns.is_none());
            if unbounded && task.runs.iter().any(|r| r.stats.is_some()) {
                root.draw(&Text::new(
                    "no analysis bound",
                    (px(g as f64 + 0.93, y0).0, y_range.end - 4),
                    style::text(SMALL_SIZE, MUTED, HPos::Left, VPos::Center)
                        .transform(FontTransform::Rotate270),
                ))
                .map_err(fail)?;
            }
            for (j, run) in task.runs.iter().enumerate() {
                let (c, half) = layout::slot(g, j, n_runs);
                let (cx, _) = px(c, y0);
                let (left, _) = px(c - half, y0);
                let hw = (cx - left).max(3);
                let Some(st) = run.stats else {
                    root.draw(&Text::new(
                        "no jobs",
                        (cx, y_range.end - 4),
                        style::text(SMALL_SIZE, MUTED, HPos::Left, VPos::Center)
                            .transform(FontTransform::Rotate270),
                    ))
                    .map_err(fail)?;
                    continue;
                };
                let y = |ns: u64| px(c, s.y(frac(ns))).1;
                let missed = st.max_ns > task.deadline_ns;
                // Whisker, black below the deadline, red above it.
                let (ymin, ymax) = (y(st.min_ns), y(st.max_ns));
                root.draw(&PathElement::new(
                    vec![(cx, ymin), (cx, ymax.max(dy))],
                    INK.stroke_width(2),
                ))
                .map_err(fail)?;
                if missed {
                    root.draw(&PathElement::new(
                        vec![(cx, dy.min(ymin)), (cx, ymax)],
                        MISS.stroke_width(2),
                    ))
                    .map_err(fail)?;
                }
                for (yy, col) in [(ymin, INK), (ymax, if missed { MISS } else { INK })] {
                    root.draw(&PathElement::new(
                        vec![(cx - hw / 2, yy), (cx + hw / 2, yy)],
                        col.stroke_width(2),
                    ))
                    .map_err(fail)?;
                }
                // The box: median to p99, at least 3 pixels tall.
                let (b50, b99) = (y(st.p50_ns), y(st.p99_ns));
                let (top, bottom) = (b99.min(b50 - 3), b50);
                root.draw(&Rectangle::new(
                    [(cx - hw, top), (cx + hw, bottom)],
                    color.filled(),
                ))
                .map_err(fail)?;
                let outline = if st.p99_ns > task.deadline_ns {
                    MISS
                } else {
                    INK
                };
                root.draw(&Rectangle::new(
                    [(cx - hw, top), (cx + hw, bottom)],
                    outline.stroke_width(if outline == MISS { 2 } else { 1 }),
                ))
                .map_err(fail)?;
                // The bound beside the box, or on it when the slots are
                // too narrow for both.
                let slot_px = (px(c + 0.4 / n_runs as f64, y0).0 - cx) * 2;
                let wx = if slot_px >= 2 * hw + 12 {
                    cx + hw + 7
                } else {
                    cx
                };
                match run.wcrt_ns {
                    Some(w) => {
                        let wy = y(w);
                        let diamond = vec![(wx, wy - 6), (wx + 5, wy), (wx, wy + 6), (wx - 5, wy)];
                        root.draw(&Polygon::new(diamond.clone(), INK.filled()))
                            .map_err(fail)?;
                        if wx == cx {
                            let mut outline = diamond;
                            outline.push((wx, wy - 6));
                            root.draw(&PathElement::new(outline, WHITE.stroke_width(1)))
                                .map_err(fail)?;
                        }
                    }
                    // Say that the analysis gives no bound, rather than
                    // leave the reader looking for a diamond (once for the
                    // group when no run has one).
                    None if !unbounded => {
                        root.draw(&Text::new(
                            "no bound",
                            (cx + hw + 4, y_range.end - 4),
                            style::text(SMALL_SIZE, MUTED, HPos::Left, VPos::Top)
                                .transform(FontTransform::Rotate270),
                        ))
                        .map_err(fail)?;
                    }
                    None => {}
                }
                if missed {
                    layout::bar_label(
                        root,
                        &format!("max {}", format::duration(st.max_ns)),
                        (cx, ymax),
                        slot_px,
                        MISS,
                    )?;
                }
            }
        }
        let groups: Vec<(String, Option<String>)> = self
            .tasks
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    Some(format!("deadline {}", format::duration(t.deadline_ns))),
                )
            })
            .collect();
        layout::group_labels(root, y_range.end, &groups, n_runs, |x| px(x, y0).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn task(
        name: &str,
        color: usize,
        deadline_ms: u64,
        runs: &[(u64, u64, u64, u64)],
    ) -> ResponseTask {
        let ms = |v: u64| v * 100_000;
        ResponseTask {
            name: name.into(),
            color,
            deadline_ns: deadline_ms * 1_000_000,
            runs: runs
                .iter()
                .map(|&(a, b, c, d)| ResponseRun {
                    stats: Some(ResponseStats {
                        min_ns: ms(a),
                        p50_ns: ms(b),
                        p99_ns: ms(c),
                        max_ns: ms(d),
                    }),
                    wcrt_ns: Some(deadline_ms * 500_000),
                })
                .collect(),
        }
    }

    #[test]
    fn draws_png_and_svg_with_labels() {
        let dir = tempfile::tempdir().unwrap();
        let runs = vec![
            "pathfinder · simulation".to_string(),
            "pathfinder · live".into(),
        ];
        let mut tasks = vec![
            task(
                "bus_manager",
                0,
                10,
                &[(10, 10, 226, 226), (10, 11, 227, 230)],
            ),
            task(
                "comms",
                1,
                50,
                &[(200, 200, 225, 225), (200, 201, 227, 227)],
            ),
        ];
        tasks[1].runs[1].stats = None;
        tasks[0].runs[0].wcrt_ns = None;
        for r in &mut tasks[1].runs {
            r.wcrt_ns = None;
        }
        let files = PlotFiles::new(dir.path(), "response");
        response(&files, "Response time against deadline", &tasks, &runs).unwrap();
        let png = fs::read(&files.png).unwrap();
        assert!(png.len() > 10_000 && &png[1..4] == b"PNG");
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "bus_manager",
            "comms",
            "deadline 10.0 ms",
            "response time / deadline (%)",
            "max 22.6 ms",
            "pathfinder · live",
            "no jobs",
            "200%",
            "no analysis bound",
            ">\nno bound\n<",
            ">\nno bound\n<",
        ] {
            assert!(svg.contains(text), "{text}");
        }
    }

    #[test]
    fn overload_turns_the_axis_logarithmic() {
        let dir = tempfile::tempdir().unwrap();
        let tasks = vec![
            task("control", 0, 4, &[(14, 14, 14, 14)]),
            task("batch", 2, 25, &[(400, 4000, 7750, 7750)]),
        ];
        let files = PlotFiles::new(dir.path(), "overload");
        response(&files, "Overload", &tasks, &["overload".to_string()]).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(
            svg.contains("log scale") && svg.contains("1000%"),
            "log axis"
        );
    }
}
