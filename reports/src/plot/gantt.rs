//! A Gantt timeline of a stretch of a run (its [`Window`] of job events):
//! one row per CPU (which task ran there, labelled where it fits), then
//! one row per task, with
//!
//! - execution as bars in the task's colour, from start or resume to
//!   preemption, block, completion, abort or fault; a preemption ends its
//!   bar with a black stroke;
//! - a thin line in the task's colour while a job is released but not
//!   running (waiting for the CPU or a resource);
//! - releases as upward arrows, absolute deadlines (release + relative
//!   deadline, or the engine's own deadline for a missed job) as downward
//!   grey arrows; a missed deadline is red, with a red bracket from the
//!   deadline to the job's end and the lateness written on it, clear of
//!   the arrows (one line and one label for a backlog of late jobs:
//!   `lateness`);
//! - blocking on a resource as a hatched box from block to unblock, named
//!   where there is room, and a lock held as a dark strip under the bar;
//! - aborts (red) and faults (black) as crosses, skipped releases as
//!   hollow dots.
//!
//! [`choose_span`] picks the stretch to draw: the busy period around the
//! first miss (from the last idle instant before the missed job's release
//! to the first one after its end), or else two longest periods, at most 25
//! of the shortest, so that the bars stay readable; [`fixed_span`] shows
//! the same stretch of another run, to compare. [`miss_windows`] readies
//! the windows around each task's worst miss (merged when they show much
//! the same stretch), each drawn around its misses ([`span_around`]) and
//! labelled with its time range ([`MissWindow::label`]).
//!
//! The live engine records a preemption only when the preempted thread
//! notices it; a task that is still "running" on a CPU when another starts
//! there was displaced (two tasks never run on one CPU at once), and runs
//! again when the one that displaced it blocks or ends.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rtlab_tasks::outcome::window::Window;

use super::PlotFiles;
use super::layout::{self, Entry, Glyph, frame};
use super::style::{
    self, AXIS_SIZE, Draw, GRID, INK, LABEL_SIZE, MISS, MUTED, SMALL_SIZE, Scale, TimeAxis, fail,
    task_color,
};
use crate::ReportError;
use lateness::{Room, clusters, lateness_label};
use timeline::Timeline;

mod around;
mod handoff;
mod lateness;
mod timeline;

pub use around::{MissWindow, miss_windows, time_range};
pub use handoff::{Link, LinkKind, links_from_config};
pub use timeline::{Span, choose_span, fixed_span, span_around};

/// Draws the timeline of `span` of `window` into `files`; `colors` are the
/// palette indices of the window's tasks, `links` the chain links between
/// them (hand-offs drawn as dashed arrows, see [`links_from_config`]).
pub fn gantt(
    files: &PlotFiles,
    title: &str,
    window: &Window,
    span: Span,
    colors: &[usize],
    links: &[Link],
) -> Result<(), ReportError> {
    let timeline = Timeline::read(window);
    let handoffs = handoff::handoffs(window, links);
    let rows = timeline.cpus.len() + window.tasks.len();
    let height = (190 + 46 * rows).clamp(380, 760);
    let plot = Plot {
        title,
        window,
        span,
        colors,
        timeline,
        handoffs,
    };
    layout::render(files, u32::try_from(height).unwrap_or(760), &plot)
}

struct Plot<'a> {
    title: &'a str,
    window: &'a Window,
    span: Span,
    colors: &'a [usize],
    timeline: Timeline,
    handoffs: Vec<handoff::Handoff>,
}

/// Vertical layout of a row, in fractions of its height from its bottom:
/// the execution bar, the arrows, the lock strip, the lateness brackets.
const BAR: (f64, f64) = (0.28, 0.72);
const ARROW: (f64, f64) = (0.06, 0.94);
const LOCK: (f64, f64) = (0.14, 0.22);
const BRACKET: f64 = 0.88;

/// Where things land in pixels, once the chart is laid out: time maps to
/// x over the span, rows (task rows from the top down, CPU rows above them)
/// to y.
#[derive(Clone, Copy)]
struct Geometry {
    span: (u64, u64),
    x: (i32, i32),
    /// Pixel rows of the plot's bottom and top.
    y: (i32, i32),
    /// Height in rows, gap between CPU and task rows included.
    rows: f64,
    tasks: usize,
    cpus: usize,
    gap: f64,
}

impl Geometry {
    /// The x of `t`, pinned to the span.
    fn x(&self, t: u64) -> i32 {
        let (s0, s1) = self.span;
        let f = (t.clamp(s0, s1) - s0) as f64 / (s1 - s0).max(1) as f64;
        self.x.0 + (f * f64::from(self.x.1 - self.x.0)).round() as i32
    }

    /// The y of height `v` in rows from the bottom.
    fn y(&self, v: f64) -> i32 {
        let f = v / self.rows.max(1e-9);
        self.y.0 + (f * f64::from(self.y.1 - self.y.0)).round() as i32
    }

    /// The bottom of task `k`'s row, in rows.
    fn task_row(&self, k: usize) -> f64 {
        self.tasks.saturating_sub(k + 1) as f64
    }

    /// The bottom of the row of the `i`-th CPU, in rows.
    fn cpu_row(&self, i: usize) -> f64 {
        self.tasks as f64 + self.gap + self.cpus.saturating_sub(i + 1) as f64
    }

    fn visible(&self, from: u64, to: u64) -> bool {
        to > self.span.0 && from < self.span.1
    }

    fn within(&self, t: u64) -> bool {
        t >= self.span.0 && t <= self.span.1
    }
}

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let tl = &self.timeline;
        let area = frame(root, self.title, &self.legend(), &[])?;
        let span = (
            self.span.start_ns,
            self.span.end_ns.max(self.span.start_ns + 1),
        );
        let gap = if tl.cpus.is_empty() { 0.0 } else { 0.5 };
        let rows = (self.window.tasks.len() + tl.cpus.len()) as f64 + gap;
        let mut label_w = 0;
        for n in self.row_names() {
            label_w = label_w.max(style::text_width(root, &n, LABEL_SIZE)?);
        }
        let axis = TimeAxis::new(span.0, span.1, 12);
        let mut chart = ChartBuilder::on(&area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(52)
            .y_label_area_size(u32::try_from(label_w + 34).unwrap_or(120))
            .build_cartesian_2d(
                Scale::new(span.0..span.1, axis.ticks.clone()),
                Scale::new(0.0..rows, Vec::new()),
            )
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(axis.title("time since the start of the run"))
            .x_label_formatter(&|v| axis.label(*v))
            .label_style((super::FONT, LABEL_SIZE))
            .axis_desc_style((super::FONT, AXIS_SIZE))
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(fail)?;
        let (x, y) = chart.plotting_area().get_pixel_range();
        let g = Geometry {
            span,
            x: (x.start, x.end),
            y: (y.end, y.start),
            rows,
            tasks: self.window.tasks.len(),
            cpus: tl.cpus.len(),
            gap,
        };
        self.rows(root, &g)?;
        self.waiting(root, &g)?;
        self.blocking(root, &g)?;
        self.execution(root, &g)?;
        handoff::draw(root, &g, &self.handoffs)?;
        self.marks(root, &g)
    }
}

impl Plot<'_> {
    fn color(&self, task: usize) -> RGBColor {
        task_color(self.colors.get(task).copied().unwrap_or(task))
    }

    /// The legend: only the symbols the timeline uses.
    fn legend(&self) -> Vec<Entry> {
        let tl = &self.timeline;
        let ended = |how: &str| {
            tl.jobs
                .values()
                .any(|j| j.end.as_ref().is_some_and(|e| e.1 == how))
        };
        let entries = [
            (true, Glyph::Up(INK), "release"),
            (true, Glyph::Down(MUTED), "deadline"),
            (
                tl.jobs.values().any(|j| j.missed_at.is_some()),
                Glyph::Down(MISS),
                "missed deadline, lateness",
            ),
            (true, Glyph::Line(MUTED), "released, waiting"),
            (
                tl.exec.iter().any(|s| s.preempted),
                Glyph::Tick(INK),
                "preempted",
            ),
            (
                !tl.blocked.is_empty(),
                Glyph::Hatch,
                "blocked on a resource",
            ),
            (!tl.held.is_empty(), Glyph::Bar(INK), "holds a lock"),
            (ended("abort"), Glyph::Cross(MISS), "aborted"),
            (ended("fault"), Glyph::Cross(INK), "fault"),
            (!tl.skips.is_empty(), Glyph::Ring(INK), "release skipped"),
            (
                self.shows(handoff::LinkKind::Trigger),
                Glyph::Dashed(handoff::TRIGGER),
                "hand-off: completion releases the next stage",
            ),
            (
                self.shows(handoff::LinkKind::Reads),
                Glyph::Dashed(handoff::READ),
                "value read by the next stage",
            ),
        ];
        entries
            .into_iter()
            .filter(|e| e.0)
            .map(|(_, glyph, text)| Entry::new(glyph, text))
            .collect()
    }

    /// Whether a hand-off of `kind` lies in the span.
    fn shows(&self, kind: handoff::LinkKind) -> bool {
        let within = |t: u64| t >= self.span.start_ns && t <= self.span.end_ns;
        self.handoffs
            .iter()
            .any(|h| h.kind == kind && within(h.from.1) && within(h.to.1))
    }

    fn row_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .timeline
            .cpus
            .iter()
            .map(|c| format!("CPU {c}"))
            .collect();
        names.extend(self.window.tasks.iter().cloned());
        names
    }

    /// Row labels (a swatch of the task's colour) and separators.
    fn rows<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        g: &Geometry,
    ) -> Result<(), String> {
        let cpus = (0..g.cpus).map(|i| (g.cpu_row(i), MUTED, MUTED));
        let tasks = (0..g.tasks).map(|k| (g.task_row(k), INK, self.color(k)));
        for ((bottom, ink, swatch), name) in cpus.chain(tasks).zip(self.row_names()) {
            let (x, y) = (g.x.0 - 8, g.y(bottom + 0.5));
            root.draw(&Text::new(
                name,
                (x - 16, y),
                style::bold(LABEL_SIZE, ink, HPos::Right, VPos::Center),
            ))
            .map_err(fail)?;
            root.draw(&Rectangle::new(
                [(x - 11, y - 6), (x - 1, y + 6)],
                swatch.filled(),
            ))
            .map_err(fail)?;
            let yb = g.y(bottom);
            root.draw(&PathElement::new(vec![(g.x.0, yb), (g.x.1, yb)], GRID))
                .map_err(fail)?;
        }
        Ok(())
    }

    /// A thin line from each release to the job's end, under everything.
    fn waiting<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        g: &Geometry,
    ) -> Result<(), String> {
        for (&(k, _), job) in &self.timeline.jobs {
            let Some(release) = job.release else { continue };
            let end = job.end.as_ref().map_or(self.window.end_ns, |e| e.0);
            if k < g.tasks && g.visible(release, end) {
                let y = g.y(g.task_row(k) + 0.5);
                root.draw(&PathElement::new(
                    vec![(g.x(release), y), (g.x(end), y)],
                    self.color(k).stroke_width(2),
                ))
                .map_err(fail)?;
            }
        }
        Ok(())
    }

    /// Blocking (hatched, named where there is room) and locks held.
    fn blocking<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        g: &Geometry,
    ) -> Result<(), String> {
        let tl = &self.timeline;
        for b in tl
            .blocked
            .iter()
            .filter(|b| b.task < g.tasks && g.visible(b.from, b.to))
        {
            let row = g.task_row(b.task);
            let (x0, x1) = (g.x(b.from), g.x(b.to));
            let (y0, y1) = (g.y(row + 0.32), g.y(row + 0.68));
            layout::hatch(root, (x0, y0), (x1, y1), 6)?;
            let Some(name) = b.on.and_then(|r| self.window.resources.get(r as usize)) else {
                continue;
            };
            let long = format!("blocked on {name}");
            let mut label = None;
            for text in [long.as_str(), name.as_str()] {
                let w = style::text_width(root, text, SMALL_SIZE)?;
                if label.is_none() && w + 10 < x1 - x0 {
                    label = Some((text, w));
                }
            }
            if let Some((text, w)) = label {
                // At the left end, clear of the deadline arrows that tend
                // to fall in the middle of a long block.
                let (lx, cy) = (x0 + 5, (y0 + y1) / 2);
                root.draw(&Rectangle::new(
                    [(lx - 2, cy - 7), (lx + w + 2, cy + 7)],
                    WHITE.filled(),
                ))
                .map_err(fail)?;
                root.draw(&Text::new(
                    text.to_string(),
                    (lx, cy),
                    style::text(SMALL_SIZE, INK, HPos::Left, VPos::Center),
                ))
                .map_err(fail)?;
            }
        }
        for h in tl
            .held
            .iter()
            .filter(|h| h.task < g.tasks && g.visible(h.from, h.to))
        {
            let row = g.task_row(h.task);
            let (x0, x1) = (g.x(h.from), g.x(h.to));
            root.draw(&Rectangle::new(
                [(x0, g.y(row + LOCK.1)), (x1.max(x0 + 1), g.y(row + LOCK.0))],
                INK.filled(),
            ))
            .map_err(fail)?;
        }
        Ok(())
    }

    /// Execution, on the task rows and the CPU rows (named where it fits).
    fn execution<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        g: &Geometry,
    ) -> Result<(), String> {
        let tl = &self.timeline;
        for s in tl
            .exec
            .iter()
            .filter(|s| s.task < g.tasks && g.visible(s.from, s.to))
        {
            let color = self.color(s.task);
            let row = g.task_row(s.task);
            let (x0, x1) = (g.x(s.from), g.x(s.to).max(g.x(s.from) + 1));
            let (y0, y1) = (g.y(row + BAR.1), g.y(row + BAR.0));
            root.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled()))
                .map_err(fail)?;
            if s.preempted && s.to <= g.span.1 {
                root.draw(&PathElement::new(
                    vec![(x1, y0 - 3), (x1, y1 + 3)],
                    INK.stroke_width(2),
                ))
                .map_err(fail)?;
            }
            let Some(i) = s.on.and_then(|c| tl.cpus.iter().position(|&x| x == c)) else {
                continue;
            };
            let (y0, y1) = (g.y(g.cpu_row(i) + 0.82), g.y(g.cpu_row(i) + 0.18));
            root.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled()))
                .map_err(fail)?;
            let name = &self.window.tasks[s.task];
            if style::text_width(root, name, SMALL_SIZE)? + 6 < x1 - x0 {
                root.draw(&Text::new(
                    name.clone(),
                    ((x0 + x1) / 2, (y0 + y1) / 2),
                    style::text(SMALL_SIZE, text_on(color), HPos::Center, VPos::Center),
                ))
                .map_err(fail)?;
            }
        }
        Ok(())
    }

    /// Releases, deadlines (over releases, which they meet when D = T;
    /// missed ones last), the lateness brackets, aborts, faults and skips.
    fn marks<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        g: &Geometry,
    ) -> Result<(), String> {
        let mut brackets: Vec<(usize, u64, u64)> = Vec::new();
        let mut deadlines: Vec<(bool, i32, f64)> = Vec::new();
        // The pixel columns of each task row's arrows, which a lateness
        // label must leave clear.
        let mut columns: Vec<Vec<i32>> = vec![Vec::new(); g.tasks];
        for (&(k, _), job) in &self.timeline.jobs {
            if k >= g.tasks {
                continue;
            }
            let row = g.task_row(k);
            if let Some(r) = job.release.filter(|&r| g.within(r)) {
                layout::arrow(root, g.x(r), g.y(row + ARROW.0), g.y(row + ARROW.1), INK)?;
                columns[k].push(g.x(r));
            }
            let deadline = job.missed_at.or_else(|| {
                let d = self.window.deadlines_ns.get(k)?;
                Some(job.release? + d)
            });
            if let Some(d) = deadline.filter(|&d| g.within(d)) {
                deadlines.push((job.missed_at.is_some(), g.x(d), row));
                columns[k].push(g.x(d));
            }
            let end = job.end.as_ref().map_or(self.window.end_ns, |e| e.0);
            if let Some(d) = job.missed_at.filter(|&d| d < g.span.1) {
                brackets.push((k, d, end));
            }
            if let Some((t, how)) = job.end.as_ref().filter(|e| g.within(e.0))
                && how != "complete"
            {
                let c = if how == "abort" { MISS } else { INK };
                layout::cross(root, g.x(*t), g.y(row + 0.5), 6, c)?;
            }
        }
        deadlines.sort_by_key(|d| d.0);
        for (missed, x, row) in deadlines {
            let color = if missed { MISS } else { MUTED };
            layout::arrow(root, x, g.y(row + ARROW.1), g.y(row + ARROW.0), color)?;
        }
        self.brackets(root, g, &brackets, &columns)?;
        for &(k, t) in &self.timeline.skips {
            if k < g.tasks && g.within(t) {
                let (x, y) = (g.x(t), g.y(g.task_row(k) + 0.5));
                root.draw(&Circle::new((x, y), 5, INK.stroke_width(2)))
                    .map_err(fail)?;
            }
        }
        Ok(())
    }

    /// Red brackets from each missed deadline to the job's end, `(task,
    /// deadline, end)` in task then job order; `columns[k]` are the pixel
    /// columns of task `k`'s arrows. Brackets of one task that overlap in
    /// time (a backlog: each job late because the one before was) form a
    /// cluster, drawn as one line from its first deadline with a tick where
    /// each of its jobs ended, and labelled once (see [`lateness_label`]):
    /// stacked brackets and a label over them would be unreadable.
    fn brackets<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        g: &Geometry,
        brackets: &[(usize, u64, u64)],
        columns: &[Vec<i32>],
    ) -> Result<(), String> {
        let clusters = clusters(brackets);
        for (n, cluster) in clusters.iter().enumerate() {
            let Some(&(k, first, _)) = cluster.first() else {
                continue;
            };
            let reach = cluster.iter().map(|b| b.2).max().unwrap_or(first);
            let y = g.y(g.task_row(k) + BRACKET);
            let (x0, x1) = (g.x(first), g.x(reach).max(g.x(first) + 2));
            root.draw(&Rectangle::new([(x0, y - 1), (x1, y + 1)], MISS.filled()))
                .map_err(fail)?;
            let mut clear_of = columns.get(k).cloned().unwrap_or_default();
            for &(_, _, end) in cluster.iter().filter(|b| b.2 <= g.span.1) {
                let x = g.x(end).max(x0 + 2);
                root.draw(&PathElement::new(
                    vec![(x, y - 5), (x, y + 5)],
                    MISS.stroke_width(2),
                ))
                .map_err(fail)?;
                clear_of.push(x);
            }
            // The label stays before the task's next cluster.
            let limit = clusters
                .get(n + 1)
                .and_then(|c| c.first())
                .filter(|c| c.0 == k)
                .map_or(g.x.1, |c| g.x(c.1));
            let room = Room {
                from: x0,
                start_by: x1,
                limit: limit.min(g.x.1),
                clear_of,
            };
            lateness_label(root, cluster, &room, y)?;
        }
        Ok(())
    }
}

/// Text colour readable on `background`.
fn text_on(background: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = background;
    let luma = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    if luma > 150.0 { INK } else { WHITE }
}

#[cfg(test)]
mod tests {
    use super::timeline::tests::pathfinder;
    use super::*;
    use std::fs;

    #[test]
    fn draws_png_and_svg_with_labels() {
        let dir = tempfile::tempdir().unwrap();
        let w = pathfinder();
        let span = choose_span(&w, &[10_000_000, 50_000_000, 100_000_000]);
        let files = PlotFiles::new(dir.path(), "gantt");
        gantt(&files, "Timeline", &w, span, &[0, 1, 2], &[]).unwrap();
        let png = fs::read(&files.png).unwrap();
        assert!(png.len() > 10_000 && &png[1..4] == b"PNG");
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "bus_manager",
            "comms",
            "meteo",
            "CPU 1",
            "blocked on bus",
            "+12.6 ms late",
            "time since the start of the run (ms)",
            "missed deadline, lateness",
        ] {
            assert!(svg.contains(text), "{text}");
        }
    }
}
