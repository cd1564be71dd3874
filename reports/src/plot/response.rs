//! Response time against deadline: for each task, one percentile box per
//! run side by side (the box from the median to the 99th percentile, the
//! whisker from the minimum to the exact maximum), the response-time
//! analysis bound beside it as a diamond, so that predicted, simulated and
//! measured timing sit next to each other. A worst response above the
//! bound (the run left the analysis' model: foreign work, overheads) is
//! marked: an orange bar from the diamond up to it, and the excess in its
//! label.
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

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::PlotFiles;
use super::layout::{self, Entry, Glyph, frame};
use super::style::{
    self, AXIS_SIZE, Draw, EXCEEDED, GRID, INK, LABEL_SIZE, MISS, MUTED, SMALL_SIZE, Scale, fail,
    task_color,
};
use crate::{ReportError, format};
use marks::{diamond, excess_bar, whisker};
use scale::YScale;

mod marks;
mod scale;

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
    /// How far the worst response went above `wcrt_ns`, in nanoseconds,
    /// when it did.
    pub exceeded_ns: Option<u64>,
}

/// One group of boxes: a task, with one entry per run (in run order).
#[derive(Clone, Debug)]
pub struct ResponseTask {
    /// Task name.
    pub name: String,
    /// Palette slot of its colour: the task's slot in the report's colour
    /// assignment (one colour per task name, see `figures`).
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
    super::layout::render(files, HEIGHT, &plot)
}

struct Plot<'a> {
    title: &'a str,
    tasks: &'a [ResponseTask],
    runs: &'a [String],
    scale: YScale,
}

/// The chart the boxes are drawn over: groups on x, fractions of the
/// deadline (through the [`YScale`]) on y.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Scale<f64>, Scale<f64>>>;

/// Where things land in pixels, once the chart is laid out.
struct Canvas<'c, 'a, DB: DrawingBackend> {
    /// The laid-out chart, which maps chart units to pixels.
    chart: &'c Chart<'a, DB>,
    /// How fractions of the deadline map to its y units.
    scale: YScale,
    /// Boxes per group (the most runs of any task).
    n_runs: usize,
    /// The bottom of the y axis, in y units.
    y0: f64,
    /// The pixel row of the deadline (100%).
    deadline_y: i32,
    /// The pixel rows of the plotting area.
    y_range: Range<i32>,
}

impl<DB: DrawingBackend> Canvas<'_, '_, DB> {
    /// The pixel of `(x, y)` in chart units.
    fn px(&self, x: f64, y: f64) -> (i32, i32) {
        self.chart.backend_coord(&(x, y))
    }

    /// The pixel column of group position `x`.
    fn x(&self, x: f64) -> i32 {
        self.px(x, self.y0).0
    }
}

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let key = layout::run_key(self.runs);
        let area = frame(root, self.title, &self.legend(), &key)?;
        let n_runs = self.tasks.iter().map(|t| t.runs.len()).max().unwrap_or(1);
        let chart = self.chart(&area, n_runs)?;
        let (y0, _) = self.scale.range();
        let (x_range, y_range) = chart.plotting_area().get_pixel_range();
        let canvas = Canvas {
            chart: &chart,
            scale: self.scale,
            n_runs,
            y0,
            deadline_y: chart.backend_coord(&(0.0, self.scale.y(1.0))).1,
            y_range,
        };
        deadline_line(root, &canvas, x_range)?;
        for (g, task) in self.tasks.iter().enumerate() {
            task_group(root, &canvas, g, task)?;
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
        layout::group_labels(root, canvas.y_range.end, &groups, n_runs, |x| canvas.x(x))
    }
}

impl Plot<'_> {
    /// The legend: what a box, the deadline and red mean, and the diamond
    /// when some run has an analysis bound.
    fn legend(&self) -> Vec<Entry> {
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
        if self
            .tasks
            .iter()
            .any(|t| t.runs.iter().any(|r| excess(r).is_some()))
        {
            legend.push(Entry::new(
                Glyph::Line(EXCEEDED),
                "worst response above the bound (by how much)",
            ));
        }
        legend
    }

    /// Lays out the chart on `area` and draws its axes: one group per task
    /// on x (room below for `n_runs` run numbers and two label lines), the
    /// scale's ticks and horizontal grid lines on y.
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        n_runs: usize,
    ) -> Result<Chart<'a, DB>, String> {
        let ticks = self.scale.ticks();
        let (y0, y1) = self.scale.range();
        let groups = self.tasks.len().max(1) as f64;
        let mut chart = ChartBuilder::on(area)
            .margin_left(10)
            // Room for the deadline line's label.
            .margin_right(64)
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
        Ok(chart)
    }
}

/// Draws the deadline: one dashed line at 100% across every group (the
/// pixel columns `x_range`), labelled past its right end.
fn deadline_line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    canvas: &Canvas<'_, '_, DB>,
    x_range: Range<i32>,
) -> Result<(), String> {
    let dy = canvas.deadline_y;
    let mut x = x_range.start;
    while x < x_range.end {
        root.draw(&PathElement::new(
            vec![(x, dy), ((x + 9).min(x_range.end), dy)],
            INK.stroke_width(2),
        ))
        .map_err(fail)?;
        x += 15;
    }
    // In the margin right of the plot, where no box or label goes.
    root.draw(&Text::new(
        "deadline",
        (x_range.end + 4, dy),
        style::text(SMALL_SIZE, INK, HPos::Left, VPos::Center),
    ))
    .map_err(fail)
}

/// Draws group `g`, `task`: a box per run, and a note along the group when
/// the analysis bounds none of its runs.
fn task_group<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    canvas: &Canvas<'_, '_, DB>,
    g: usize,
    task: &ResponseTask,
) -> Result<(), String> {
    let unbounded = task.runs.iter().all(|r| r.wcrt_ns.is_none());
    if unbounded && task.runs.iter().any(|r| r.stats.is_some()) {
        root.draw(&Text::new(
            "no analysis bound",
            (canvas.x(g as f64 + 0.93), canvas.y_range.end - 4),
            style::text(SMALL_SIZE, MUTED, HPos::Left, VPos::Center)
                .transform(FontTransform::Rotate270),
        ))
        .map_err(fail)?;
    }
    for (j, run) in task.runs.iter().enumerate() {
        let (c, half) = layout::slot(g, j, canvas.n_runs);
        let cx = canvas.x(c);
        let slot = Slot {
            c,
            cx,
            hw: (cx - canvas.x(c - half)).max(3),
        };
        match run.stats {
            Some(stats) => run_box(root, canvas, &slot, task, stats, run, unbounded)?,
            None => {
                root.draw(&Text::new(
                    "no jobs",
                    (cx, canvas.y_range.end - 4),
                    style::text(SMALL_SIZE, MUTED, HPos::Left, VPos::Center)
                        .transform(FontTransform::Rotate270),
                ))
                .map_err(fail)?;
            }
        }
    }
    Ok(())
}

/// Where one box goes.
struct Slot {
    /// Its centre, in x units.
    c: f64,
    /// Its centre, in pixels.
    cx: i32,
    /// Half its width, in pixels.
    hw: i32,
}

/// The excess of `run`'s worst response over its bound, when both exist.
fn excess(run: &ResponseRun) -> Option<u64> {
    run.wcrt_ns.and(run.exceeded_ns).filter(|&over| over > 0)
}

/// Draws one run's box of `task`: the whisker, the percentile box, the
/// analysis bound of `run` (see [`bound`]) and how far the worst response
/// went above it, and, if the slowest job missed, its response time.
fn run_box<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    canvas: &Canvas<'_, '_, DB>,
    slot: &Slot,
    task: &ResponseTask,
    st: ResponseStats,
    run: &ResponseRun,
    unbounded: bool,
) -> Result<(), String> {
    let (c, cx, hw) = (slot.c, slot.cx, slot.hw);
    let frac = |ns: u64| ns as f64 / task.deadline_ns.max(1) as f64;
    let y = |ns: u64| canvas.px(c, canvas.scale.y(frac(ns))).1;
    let missed = st.max_ns > task.deadline_ns;
    let ymax = y(st.max_ns);
    whisker(root, slot, (y(st.min_ns), ymax), canvas.deadline_y, missed)?;
    // The box: median to p99, at least 3 pixels tall.
    let (b50, b99) = (y(st.p50_ns), y(st.p99_ns));
    let corners = [(cx - hw, b99.min(b50 - 3)), (cx + hw, b50)];
    root.draw(&Rectangle::new(corners, task_color(task.color).filled()))
        .map_err(fail)?;
    let outline = if st.p99_ns > task.deadline_ns {
        MISS
    } else {
        INK
    };
    root.draw(&Rectangle::new(
        corners,
        outline.stroke_width(if outline == MISS { 2 } else { 1 }),
    ))
    .map_err(fail)?;
    let slot_px = (canvas.x(c + 0.4 / canvas.n_runs as f64) - cx) * 2;
    let wy = run.wcrt_ns.map(y);
    let wx = bound(root, slot, wy, slot_px)?;
    let over = excess(run);
    if let (Some(wx), Some(wy), Some(_)) = (wx, wy, over) {
        excess_bar(root, (wx, wy), ymax, wx == cx)?;
    }
    // One label above the whisker, in the slot's own column: what missed,
    // the excess over the bound, or that this run has none.
    let mut parts = Vec::new();
    if missed {
        parts.push(format!("max {}", format::duration(st.max_ns)));
    }
    if let Some(o) = over {
        parts.push(format!("+{} over bound", format::duration(o)));
    }
    if run.wcrt_ns.is_none() && !unbounded {
        no_bound(root, canvas, slot, slot_px, &mut parts)?;
    }
    let color = if missed {
        MISS
    } else if over.is_some() {
        EXCEEDED
    } else {
        MUTED
    };
    if !parts.is_empty() {
        layout::bar_label(root, &parts.join(", "), (cx, ymax), slot_px, color)?;
    }
    Ok(())
}

/// Says that a run has no analysis bound (when others of its task have
/// one), rather than leave the reader looking for a diamond: along the
/// bottom where the diamond would go, beside the box, when the slot
/// (`slot_px` wide) has room for it clear of the next box; otherwise as
/// the box's label, in its own column, unless the box already has one (a
/// miss, which matters more: the headroom above the box holds one short
/// label).
fn no_bound<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    canvas: &Canvas<'_, '_, DB>,
    slot: &Slot,
    slot_px: i32,
    parts: &mut Vec<String>,
) -> Result<(), String> {
    let (_, h) = root
        .estimate_text_size(
            "no bound",
            &TextStyle::from((super::FONT, SMALL_SIZE).into_font()),
        )
        .map_err(fail)?;
    let h = i32::try_from(h).unwrap_or(i32::MAX);
    if slot_px - 2 * slot.hw < 2 * (h + 6) {
        if parts.is_empty() {
            parts.push("no bound".to_string());
        }
        return Ok(());
    }
    root.draw(&Text::new(
        "no bound",
        (slot.cx + slot.hw + 4, canvas.y_range.end - 4),
        style::text(SMALL_SIZE, MUTED, HPos::Left, VPos::Top).transform(FontTransform::Rotate270),
    ))
    .map_err(fail)
}

/// Draws the analysis bound of one box, at pixel row `wy` if there is one:
/// a diamond beside the box, or on it when the slot (`slot_px` wide) is too
/// narrow for both. (Without one, the box's label says so.) Returns the
/// diamond's pixel column, if drawn.
fn bound<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    slot: &Slot,
    wy: Option<i32>,
    slot_px: i32,
) -> Result<Option<i32>, String> {
    let (cx, hw) = (slot.cx, slot.hw);
    let Some(wy) = wy else {
        return Ok(None);
    };
    let wx = if slot_px >= 2 * hw + 12 {
        cx + hw + 7
    } else {
        cx
    };
    diamond(root, (wx, wy), wx == cx)?;
    Ok(Some(wx))
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
                    exceeded_ns: None,
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

    #[test]
    fn a_worst_response_above_the_bound_is_marked_with_its_excess() {
        let dir = tempfile::tempdir().unwrap();
        // `ctl`: bound 2.00 ms (half its 4 ms deadline), worst 3.20 ms:
        // above the bound, under the deadline. `log`: worst 6.40 ms against
        // a 4 ms deadline and a 2 ms bound: missed and above it.
        let mut tasks = vec![
            task("ctl", 0, 4, &[(5, 10, 20, 32)]),
            task("log", 1, 4, &[(5, 10, 20, 64)]),
        ];
        tasks[0].runs[0].exceeded_ns = Some(1_200_000);
        tasks[1].runs[0].exceeded_ns = Some(4_400_000);
        let files = PlotFiles::new(dir.path(), "exceeded");
        response(&files, "Exceeded", &tasks, &["live".to_string()]).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "+1.20 ms over bound",
            "max 6.40 ms, +4.40 ms over bound",
            "worst response above the bound (by how much)",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        // The bar from the diamond up is drawn in its own colour.
        assert!(svg.contains("#994C00"), "no excess bar");

        // Without an excess, none of it.
        for t in &mut tasks {
            t.runs[0].exceeded_ns = None;
        }
        response(&files, "Exceeded", &tasks, &["live".to_string()]).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(!svg.contains("over bound") && !svg.contains("#994C00"));
    }
}
