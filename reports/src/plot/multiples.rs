//! Small multiples: the configurations of a comparison side by side, one
//! figure per metric. A row per task, a column per configuration (or
//! run), the column's verdict on top of it (`✔ all deadlines met`, `✘ 40
//! misses, worst +12.6 ms`) and, when the runs are variants of one
//! config, the setting that tells them apart (`scheduler.locking =
//! inherit`).
//!
//! Every panel of a row shares its scale, so reading across a row
//! compares one task between configurations directly; rows have their own
//! scale, since a 2 ms sensor task and a 50 ms logger share none. Each
//! task is drawn in its colour (the report's assignment, see
//! `plot::style`), its name and colour at the left of its row.
//!
//! - [`spreads`]: a distribution per panel (response time, wake-up
//!   latency, start delay) as a horizontal box: median to 99th
//!   percentile, whisker from the fastest to the slowest job, with the
//!   deadline and the analysis bound when given.
//! - [`misses`]: the share of jobs that missed and the worst tardiness,
//!   as two bars per panel.
//!
//! Panels are drawn in pixels, not on plotters charts: a grid of small
//! charts needs no axis machinery, and integer nanoseconds become
//! positions only at the last step.

mod miss;
mod spread;

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::PlotFiles;
use super::style::{
    self, Draw, GRID, INK, LABEL_SIZE, MISS, MUTED, SMALL_SIZE, WIDTH, fail, task_color,
};
use crate::ReportError;

pub use miss::misses;
pub use spread::{Spread, SpreadCell, spreads, spreads_with_bound};

/// One column: a configuration, or a run.
#[derive(Clone, Debug)]
pub struct Column {
    /// Its name: `base`, `inherit`, `ceiling · live`.
    pub title: String,
    /// What sets it apart from the other columns, if said:
    /// `scheduler.locking = inherit`.
    pub setting: Option<String>,
    /// Its verdict in a few words: `all deadlines met`, `40 misses, worst
    /// +12.6 ms`.
    pub verdict: String,
    /// Whether the verdict is a failure (a miss, a deadlock): drawn in red
    /// with a cross, otherwise in green with a check mark.
    pub failed: bool,
}

/// One row: a task, with one cell per column.
#[derive(Clone, Debug)]
pub struct Row<C> {
    /// The task's name.
    pub name: String,
    /// Palette slot of its colour (the report's colour assignment);
    /// `None` for a row that is not a task (a chain), drawn in grey.
    pub color: Option<usize>,
    /// A line under the name: `deadline 10.0 ms`.
    pub note: Option<String>,
    /// Per column, in column order; `None` where the task is not in that
    /// column's run.
    pub cells: Vec<Option<C>>,
}

impl<C> Row<C> {
    /// The row's colour: its task's, or grey for a chain.
    fn rgb(&self) -> RGBColor {
        self.color.map_or(NEUTRAL, task_color)
    }
}

/// The colour of a row that is not a task (a chain): the grey the
/// palette leaves to neutral things.
const NEUTRAL: RGBColor = RGBColor(0x77, 0x77, 0x77);

/// Width of the row-label column on the left, in pixels.
const LABEL_W: i32 = 190;
/// Space between two columns, in pixels.
const GUTTER: i32 = 22;
/// Margin right of the last column, in pixels.
const RIGHT: i32 = 18;
/// The narrowest a column gets before the image widens, in pixels.
const MIN_COL: i32 = 200;
/// Height of the title and of up to two legend rows above the grid, in
/// pixels (what `layout::frame` takes).
const TOP: i32 = 40 + 2 * 22 + 4;
/// The check mark's green (the report page's `--ok`).
const OK: RGBColor = RGBColor(0x1A, 0x7F, 0x37);
/// The background of a panel.
const PANEL: RGBColor = RGBColor(0xF6, 0xF7, 0xF9);

/// The image size for `n_cols` columns, a header of `header_h` pixels and
/// `n_rows` rows of `row_h`: as wide as a report plot, wider when the
/// columns would be narrower than [`MIN_COL`].
fn size(n_cols: usize, header_h: i32, n_rows: usize, row_h: i32) -> (u32, u32) {
    let n = i32::try_from(n_cols.max(1)).unwrap_or(1);
    let rows = i32::try_from(n_rows.max(1)).unwrap_or(1);
    let w = (LABEL_W + n * MIN_COL + (n - 1) * GUTTER + RIGHT).max(WIDTH as i32);
    let h = TOP + header_h + rows * row_h + 16;
    (
        u32::try_from(w).unwrap_or(WIDTH),
        u32::try_from(h).unwrap_or(600),
    )
}

/// Draws `plot` into `files`: the header of `columns`, then `n_rows` rows
/// of `row_h` pixels.
fn render(
    files: &PlotFiles,
    columns: &[Column],
    n_rows: usize,
    row_h: i32,
    plot: &impl Draw,
) -> Result<(), ReportError> {
    let dims = size(columns.len(), header_height(columns), n_rows, row_h);
    super::layout::render_sized(files, dims, plot)
}

/// Where the columns and rows go, in pixels of the whole image.
#[derive(Clone, Debug)]
struct Grid {
    /// Columns.
    n_cols: usize,
    /// The width of one column.
    col_w: i32,
    /// The top of the column header.
    header_top: i32,
    /// The header's height.
    header_h: i32,
    /// The height of one row.
    row_h: i32,
}

impl Grid {
    /// The grid in `area` (what the frame left), with a header of
    /// `header_h` pixels and rows of `row_h`.
    fn new<DB: DrawingBackend>(
        area: &DrawingArea<DB, Shift>,
        n_cols: usize,
        header_h: i32,
        row_h: i32,
    ) -> Grid {
        let (w, _) = area.dim_in_pixel();
        let (_, top) = area.get_base_pixel();
        let w = i32::try_from(w).unwrap_or(WIDTH as i32);
        let n = i32::try_from(n_cols.max(1)).unwrap_or(1);
        Grid {
            n_cols: n_cols.max(1),
            col_w: ((w - LABEL_W - RIGHT - (n - 1) * GUTTER) / n).max(40),
            header_top: top + 4,
            header_h,
            row_h,
        }
    }

    /// The pixel columns of column `c`.
    fn cols(&self, c: usize) -> Range<i32> {
        let x = LABEL_W + i32::try_from(c).unwrap_or(0) * (self.col_w + GUTTER);
        x..x + self.col_w
    }

    /// The top pixel row of row `r`.
    fn row_top(&self, r: usize) -> i32 {
        self.header_top + self.header_h + i32::try_from(r).unwrap_or(0) * self.row_h
    }

    /// The right end of the last column.
    fn right(&self) -> i32 {
        self.cols(self.n_cols - 1).end
    }
}

/// The header's height: a title line, a verdict line and, when any column
/// has one, a setting line.
fn header_height(columns: &[Column]) -> i32 {
    let setting = columns.iter().any(|c| c.setting.is_some());
    8 + 18 + 18 + if setting { 16 } else { 0 } + 6
}

/// `text` at `size` pixels or a little smaller, shortened with `…` if it
/// still does not fit in `max_w` pixels: `(text, size)`.
fn fit<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
    max_w: i32,
) -> Result<(String, u32), String> {
    let smallest = size.saturating_sub(2).max(10);
    for s in (smallest..=size).rev() {
        // Bold text is a little wider than the estimate.
        if style::text_width(root, text, s)? * 21 / 20 <= max_w {
            return Ok((text.to_string(), s));
        }
    }
    let mut chars: Vec<char> = text.chars().collect();
    while chars.pop().is_some() {
        let short = format!("{}…", chars.iter().collect::<String>().trim_end());
        if style::text_width(root, &short, smallest)? * 21 / 20 <= max_w {
            return Ok((short, smallest));
        }
    }
    Ok(("…".to_string(), smallest))
}

/// Draws one line of text centred in `cols` at pixel row `y` (its top),
/// fitted to the column.
fn centred<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    line: &str,
    (cols, y): (&Range<i32>, i32),
    size: u32,
    font: impl Fn(u32) -> TextStyle<'static>,
) -> Result<(), String> {
    let (line, size) = fit(root, line, size, cols.end - cols.start)?;
    root.draw(&Text::new(
        line,
        ((cols.start + cols.end) / 2, y),
        font(size),
    ))
    .map_err(fail)
}

/// Draws the column headers: each column's title (bold), its verdict
/// (a check mark in green, or a cross in red) and its setting (muted).
fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    grid: &Grid,
    columns: &[Column],
) -> Result<(), String> {
    let y = grid.header_top + 8;
    for (c, col) in columns.iter().enumerate() {
        let cols = grid.cols(c);
        centred(root, &col.title, (&cols, y), LABEL_SIZE + 1, |s| {
            style::bold(s, INK, HPos::Center, VPos::Top)
        })?;
        let (mark, color) = if col.failed {
            ("✘", MISS)
        } else {
            ("✔", OK)
        };
        let verdict = format!("{mark} {}", col.verdict);
        centred(root, &verdict, (&cols, y + 18), LABEL_SIZE, |s| {
            style::text(s, color, HPos::Center, VPos::Top)
        })?;
        if let Some(setting) = &col.setting {
            centred(root, setting, (&cols, y + 36), SMALL_SIZE, |s| {
                style::text(s, MUTED, HPos::Center, VPos::Top)
            })?;
        }
    }
    let line_y = grid.header_top + grid.header_h - 3;
    root.draw(&PathElement::new(
        vec![(16, line_y), (grid.right(), line_y)],
        INK.stroke_width(1),
    ))
    .map_err(fail)
}

/// Draws the left of row `r`: a line above it (after the first), the
/// task's colour swatch and name (bold), and `lines` under it (muted),
/// from the row's top.
fn row_label<DB: DrawingBackend, C>(
    root: &DrawingArea<DB, Shift>,
    grid: &Grid,
    r: usize,
    row: &Row<C>,
    lines: &[String],
) -> Result<(), String> {
    let top = grid.row_top(r);
    if r > 0 {
        root.draw(&PathElement::new(
            vec![(16, top), (grid.right(), top)],
            GRID.stroke_width(1),
        ))
        .map_err(fail)?;
    }
    let y = top + 8;
    root.draw(&Rectangle::new(
        [(16, y + 1), (28, y + 13)],
        row.rgb().filled(),
    ))
    .map_err(fail)?;
    let (name, size) = fit(root, &row.name, LABEL_SIZE + 1, LABEL_W - 44)?;
    root.draw(&Text::new(
        name,
        (34, y),
        style::bold(size, INK, HPos::Left, VPos::Top),
    ))
    .map_err(fail)?;
    for (k, line) in row.note.iter().chain(lines).enumerate() {
        let (line, size) = fit(root, line, SMALL_SIZE, LABEL_W - 44)?;
        root.draw(&Text::new(
            line,
            (34, y + 20 + i32::try_from(k).unwrap_or(0) * 15),
            style::text(size, MUTED, HPos::Left, VPos::Top),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

/// A panel's background, `[x0, x1) × [y0, y1)`.
fn panel_background<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    x: &Range<i32>,
    y: &Range<i32>,
) -> Result<(), String> {
    root.draw(&Rectangle::new(
        [(x.start, y.start), (x.end, y.end)],
        PANEL.filled(),
    ))
    .map_err(fail)
}

/// A muted note in the middle of a panel: `no jobs`, `not in this run`.
fn panel_note<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    note: &str,
    x: &Range<i32>,
    y: &Range<i32>,
) -> Result<(), String> {
    root.draw(&Text::new(
        note.to_string(),
        ((x.start + x.end) / 2, (y.start + y.end) / 2),
        style::text(LABEL_SIZE, MUTED, HPos::Center, VPos::Center),
    ))
    .map_err(fail)
}

/// Where `value` of `0..=max` falls on `x`, in pixels (the one float
/// step).
fn position(value: u64, max: u64, x: &Range<i32>) -> i32 {
    let f = if max == 0 {
        0.0
    } else {
        (value as f64 / max as f64).clamp(0.0, 1.0)
    };
    x.start + (f * f64::from(x.end - x.start)).round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::PlotFiles;
    use crate::plot::misses::MissCount;
    use std::fs;

    fn columns() -> Vec<Column> {
        vec![
            Column {
                title: "base".into(),
                setting: Some("scheduler.locking = none".into()),
                verdict: "40 misses, worst +12.6 ms".into(),
                failed: true,
            },
            Column {
                title: "inherit".into(),
                setting: Some("scheduler.locking = inherit".into()),
                verdict: "all deadlines met".into(),
                failed: false,
            },
            Column {
                title: "ceiling".into(),
                setting: Some("scheduler.locking = ceiling".into()),
                verdict: "all deadlines met".into(),
                failed: false,
            },
        ]
    }

    /// Pathfinder's tasks: (name, deadline, per column worst response),
    /// in milliseconds.
    const TASKS: [(&str, u64, [u64; 3]); 3] = [
        ("bus_manager", 10, [22, 3, 3]),
        ("comms", 50, [23, 25, 25]),
        ("meteo", 100, [27, 27, 27]),
    ];

    fn spread_rows() -> Vec<Row<SpreadCell>> {
        let ms = 1_000_000;
        TASKS
            .iter()
            .enumerate()
            .map(|(i, &(name, deadline, worst))| Row {
                name: name.into(),
                color: Some(i),
                note: Some(format!("deadline {deadline} ms")),
                cells: worst
                    .iter()
                    .map(|&w| {
                        Some(SpreadCell {
                            spread: Some(Spread {
                                min_ns: ms,
                                p50_ns: ms * w / 3,
                                p99_ns: ms * w * 9 / 10,
                                max_ns: ms * w,
                            }),
                            deadline_ns: Some(deadline * ms),
                            bound_ns: (i > 0).then_some(deadline * ms / 2),
                        })
                    })
                    .collect(),
            })
            .collect()
    }

    #[test]
    fn three_configurations_by_three_tasks_show_every_column_verdict_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let files = PlotFiles::new(dir.path(), "side-by-side");
        spreads(
            &files,
            "Side by side: response time against deadline",
            "response time",
            &columns(),
            &spread_rows(),
        )
        .unwrap();
        let png = fs::read(&files.png).unwrap();
        assert!(png.len() > 10_000 && &png[1..4] == b"PNG");
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "Side by side: response time against deadline",
            ">\nbase\n<",
            ">\ninherit\n<",
            ">\nceiling\n<",
            "✘ 40 misses, worst +12.6 ms",
            "scheduler.locking = ceiling",
            ">\nbus_manager\n<",
            ">\ncomms\n<",
            ">\nmeteo\n<",
            "deadline 10 ms",
            "response time (ms)",
            "max 22.0 ms",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        assert_eq!(svg.matches("✔ all deadlines met").count(), 2);
    }

    /// The texts of an SVG drawing, in drawing order.
    fn texts(svg: &str) -> Vec<&str> {
        svg.split("\">\n")
            .skip(1)
            .filter_map(|s| s.split("\n</text>").next())
            .filter(|s| !s.starts_with('<'))
            .collect()
    }

    #[test]
    fn a_row_shares_its_scale_across_columns() {
        let dir = tempfile::tempdir().unwrap();
        let files = PlotFiles::new(dir.path(), "shared");
        spreads(
            &files,
            "Shared",
            "response time",
            &columns(),
            &spread_rows(),
        )
        .unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        let texts = texts(&svg);
        let row = |name: &str, next: &str| {
            let from = texts.iter().position(|t| *t == name).unwrap();
            let to = texts.iter().position(|t| *t == next).unwrap();
            texts[from..to].join(" ")
        };
        // bus_manager reaches 22 ms in the first column only: the columns
        // where it takes 3 ms have the same axis, to 20 ms.
        let bus = row("bus_manager", "comms");
        assert_eq!(bus.matches("0 5 10 15 20 max").count(), 3, "{bus}");
        assert!(bus.contains("20 max 3.00 ms"), "{bus}");
        let meteo = row("meteo", "meteo");
        assert!(meteo.is_empty());
        let comms = row("comms", "meteo");
        assert_eq!(comms.matches("0 10 20 30 40 50 max").count(), 3, "{comms}");
    }

    #[test]
    fn miss_panels_say_how_many_missed_and_how_late_or_that_none_did() {
        let dir = tempfile::tempdir().unwrap();
        let files = PlotFiles::new(dir.path(), "misses");
        let count = |missed: u64, late_ms: u64| MissCount {
            jobs: 200,
            missed,
            worst_tardiness_ns: late_ms * 1_000_000,
        };
        let rows: Vec<Row<MissCount>> = TASKS
            .iter()
            .enumerate()
            .map(|(i, &(name, _, _))| Row {
                name: name.into(),
                color: Some(i),
                note: None,
                cells: if i == 0 {
                    vec![Some(count(40, 12)), Some(count(0, 0)), None]
                } else {
                    vec![Some(count(0, 0)); 3]
                },
            })
            .collect();
        misses(&files, "Side by side: misses", &columns(), &rows).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "40 of 200 (20.0%)",
            "+12.0 ms",
            "none of 200",
            "not in this run",
            "worst tardiness",
        ] {
            assert!(svg.contains(text), "{text}");
        }
    }

    #[test]
    fn long_titles_are_shortened_to_their_column() {
        let dir = tempfile::tempdir().unwrap();
        let files = PlotFiles::new(dir.path(), "long");
        let mut cols = columns();
        cols[0].title = "a-configuration-name-far-too-long-for-one-column · live".into();
        let mut cols6 = cols.clone();
        cols6.extend(cols);
        let mut rows = spread_rows();
        for r in &mut rows {
            let more = r.cells.clone();
            r.cells.extend(more);
        }
        spreads(&files, "Long", "response time", &cols6, &rows).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(svg.contains("a-configuration-name"), "the start is kept");
        assert!(svg.contains('…'), "the rest is cut");
        assert!(!svg.contains("one-column · live"));
    }
}
