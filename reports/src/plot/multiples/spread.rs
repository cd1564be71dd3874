//! A distribution per panel (response time, wake-up latency, start
//! delay): a horizontal box from the median to the 99th percentile in the
//! task's colour, a whisker from the fastest to the slowest job, the
//! slowest labelled. With a deadline, the stretch past it is tinted red
//! and the whisker turns red where it crosses; with an analysis bound, a
//! diamond under the box marks it. The time axis runs from 0 to a little past the
//! largest value of the row (deadlines and bounds included), the same in
//! every column of the row.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{
    Column, Grid, Row, header, header_height, panel_background, panel_note, position, row_label,
};
use crate::ReportError;
use crate::format;
use crate::plot::PlotFiles;
use crate::plot::layout::{Entry, Glyph, frame};
use crate::plot::style::{self, Draw, GRID, INK, MISS, MUTED, SMALL_SIZE, TimeAxis, fail};

/// A distribution's box-plot figures, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spread {
    /// The fastest.
    pub min_ns: u64,
    /// The median.
    pub p50_ns: u64,
    /// The 99th percentile.
    pub p99_ns: u64,
    /// The slowest, exact.
    pub max_ns: u64,
}

/// One panel: a task's distribution in one column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpreadCell {
    /// The distribution; `None` when nothing was recorded (no job).
    pub spread: Option<Spread>,
    /// The deadline to mark, in nanoseconds, if any.
    pub deadline_ns: Option<u64>,
    /// The analysis bound to mark, in nanoseconds, if any.
    pub bound_ns: Option<u64>,
}

/// Row height, in pixels: a band for the label of the slowest job, the
/// box band, the tick labels and a gap.
const ROW_H: i32 = 12 + 16 + 30 + 22 + 10;
/// The tint past a deadline.
const LATE: RGBColor = RGBColor(0xFB, 0xE4, 0xE4);

/// Draws `rows` × `columns` panels of a distribution into `files`;
/// `quantity` names the time axis (`"response time"`).
pub fn spreads(
    files: &PlotFiles,
    title: &str,
    quantity: &str,
    columns: &[Column],
    rows: &[Row<SpreadCell>],
) -> Result<(), ReportError> {
    spreads_with_bound(
        files,
        title,
        quantity,
        "response-time analysis bound (WCRT)",
        columns,
        rows,
    )
}

/// [`spreads`] with the analysis bound named `bound` in the legend
/// (`"end-to-end analysis bound"` for chains).
pub fn spreads_with_bound(
    files: &PlotFiles,
    title: &str,
    quantity: &str,
    bound: &str,
    columns: &[Column],
    rows: &[Row<SpreadCell>],
) -> Result<(), ReportError> {
    let plot = Plot {
        title,
        quantity,
        bound,
        columns,
        rows,
    };
    super::render(files, columns, rows.len(), ROW_H, &plot)
}

struct Plot<'a> {
    title: &'a str,
    quantity: &'a str,
    bound: &'a str,
    columns: &'a [Column],
    rows: &'a [Row<SpreadCell>],
}

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let area = frame(root, self.title, &self.legend(), &[])?;
        let grid = Grid::new(
            &area,
            self.columns.len(),
            header_height(self.columns),
            ROW_H,
        );
        header(root, &grid, self.columns)?;
        let max_ticks = u64::try_from(grid.col_w / 56).unwrap_or(2).clamp(2, 8);
        for (r, row) in self.rows.iter().enumerate() {
            let end = row_end(row);
            let axis = TimeAxis::new(0, end, max_ticks);
            row_label(root, &grid, r, row, &[axis.title(self.quantity)])?;
            let top = grid.row_top(r) + 12;
            let y = top..top + 16 + 30;
            for c in 0..self.columns.len() {
                let x = grid.cols(c);
                panel_background(root, &x, &y)?;
                let scale = RowScale {
                    x: x.clone(),
                    y: y.clone(),
                    end,
                };
                ticks(root, &scale, &axis)?;
                match row.cells.get(c) {
                    Some(Some(cell)) => panel(root, &scale, row.rgb(), cell)?,
                    _ => panel_note(root, "not in this run", &x, &y)?,
                }
            }
        }
        Ok(())
    }
}

impl Plot<'_> {
    fn cells(&self) -> impl Iterator<Item = &SpreadCell> {
        self.rows.iter().flat_map(|r| r.cells.iter().flatten())
    }

    /// What a box and a whisker mean, and the deadline and bound marks
    /// when any panel has them.
    fn legend(&self) -> Vec<Entry> {
        let mut legend = vec![Entry::new(
            Glyph::BoxWhisker(MUTED),
            "box: median to 99th percentile; whisker: fastest to slowest",
        )];
        if self.cells().any(|c| c.deadline_ns.is_some()) {
            legend.push(Entry::new(Glyph::Dashed(INK), "deadline"));
            legend.push(Entry::new(Glyph::Swatch(LATE), "past the deadline: missed"));
        }
        if self.cells().any(|c| c.bound_ns.is_some()) {
            legend.push(Entry::new(Glyph::Diamond(INK), self.bound));
        }
        legend
    }
}

/// The end of a row's time axis, in nanoseconds: a sixteenth past the
/// largest value, deadline or bound of any of its panels.
fn row_end(row: &Row<SpreadCell>) -> u64 {
    let max = row
        .cells
        .iter()
        .flatten()
        .flat_map(|c| [c.spread.map(|s| s.max_ns), c.deadline_ns, c.bound_ns])
        .flatten()
        .max()
        .unwrap_or(0)
        .max(1_000);
    max.saturating_add(max / 16)
}

/// One panel's pixels and its row's axis end.
struct RowScale {
    x: Range<i32>,
    y: Range<i32>,
    /// The axis end, in nanoseconds.
    end: u64,
}

impl RowScale {
    fn px(&self, ns: u64) -> i32 {
        position(ns, self.end, &self.x)
    }
}

/// The row's ticks under a panel, with grid lines across it.
fn ticks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &RowScale,
    axis: &TimeAxis,
) -> Result<(), String> {
    for &t in &axis.ticks {
        let x = s.px(t);
        root.draw(&PathElement::new(
            vec![(x, s.y.start), (x, s.y.end)],
            GRID.stroke_width(1),
        ))
        .map_err(fail)?;
        root.draw(&PathElement::new(
            vec![(x, s.y.end), (x, s.y.end + 4)],
            MUTED.stroke_width(1),
        ))
        .map_err(fail)?;
        root.draw(&Text::new(
            axis.label(t),
            (x, s.y.end + 6),
            style::text(SMALL_SIZE, MUTED, HPos::Center, VPos::Top),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

/// Draws one panel: the late stretch and the deadline, the box and
/// whisker, the bound, the slowest job's label.
fn panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &RowScale,
    color: RGBColor,
    cell: &SpreadCell,
) -> Result<(), String> {
    let dx = cell.deadline_ns.map(|d| s.px(d));
    if let Some(dx) = dx {
        root.draw(&Rectangle::new(
            [(dx, s.y.start), (s.x.end, s.y.end)],
            LATE.filled(),
        ))
        .map_err(fail)?;
        let mut y = s.y.start;
        while y < s.y.end {
            root.draw(&PathElement::new(
                vec![(dx, y), (dx, (y + 5).min(s.y.end))],
                INK.stroke_width(2),
            ))
            .map_err(fail)?;
            y += 8;
        }
    }
    let Some(sp) = cell.spread else {
        return panel_note(root, "no jobs", &s.x, &s.y);
    };
    // The box under the label band, the bound's diamond under the box.
    let cy = s.y.start + 24;
    let late = |ns: u64| cell.deadline_ns.is_some_and(|d| ns > d);
    let (x_min, x_max) = (s.px(sp.min_ns), s.px(sp.max_ns));
    root.draw(&PathElement::new(
        vec![(x_min, cy), (x_max, cy)],
        INK.stroke_width(2),
    ))
    .map_err(fail)?;
    if let Some(dx) = dx.filter(|_| late(sp.max_ns)) {
        root.draw(&PathElement::new(
            vec![(dx.max(x_min), cy), (x_max, cy)],
            MISS.stroke_width(2),
        ))
        .map_err(fail)?;
    }
    for (x, c) in [
        (x_min, INK),
        (x_max, if late(sp.max_ns) { MISS } else { INK }),
    ] {
        root.draw(&PathElement::new(
            vec![(x, cy - 6), (x, cy + 6)],
            c.stroke_width(2),
        ))
        .map_err(fail)?;
    }
    let (b50, b99) = (s.px(sp.p50_ns), s.px(sp.p99_ns));
    // At least 3 pixels wide, so that a narrow distribution shows.
    let corners = [(b50, cy - 7), (b99.max(b50 + 3), cy + 7)];
    root.draw(&Rectangle::new(corners, color.filled()))
        .map_err(fail)?;
    let outline = if late(sp.p99_ns) { MISS } else { INK };
    root.draw(&Rectangle::new(corners, outline.stroke_width(1)))
        .map_err(fail)?;
    if let Some(b) = cell.bound_ns {
        diamond(root, (s.px(b), cy + 15))?;
    }
    max_label(root, s, x_max, sp.max_ns, late(sp.max_ns))
}

/// The analysis bound: a dark diamond (under the box, so that neither
/// hides the other), outlined in white so that it shows on the deadline.
fn diamond<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
) -> Result<(), String> {
    let points = vec![(x, y - 6), (x + 5, y), (x, y + 6), (x - 5, y)];
    root.draw(&Polygon::new(points.clone(), INK.filled()))
        .map_err(fail)?;
    let mut outline = points;
    outline.push((x, y - 6));
    root.draw(&PathElement::new(outline, WHITE.stroke_width(1)))
        .map_err(fail)
}

/// `max 22.6 ms` above the whisker's end at `x`, in red when it missed,
/// kept inside the panel.
fn max_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &RowScale,
    x: i32,
    max_ns: u64,
    late: bool,
) -> Result<(), String> {
    let label = format!("max {}", format::duration(max_ns));
    let w = style::text_width(root, &label, SMALL_SIZE)?;
    let (x, h) = if x + w / 2 > s.x.end - 2 {
        (s.x.end - 2, HPos::Right)
    } else if x - w / 2 < s.x.start + 2 {
        (s.x.start + 2, HPos::Left)
    } else {
        (x, HPos::Center)
    };
    let color = if late { MISS } else { INK };
    root.draw(&Text::new(
        label,
        (x, s.y.start + 3),
        style::text(SMALL_SIZE, color, h, VPos::Top),
    ))
    .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_ends_past_its_largest_value_deadline_or_bound() {
        let cell = |max_ns, deadline_ns| SpreadCell {
            spread: Some(Spread {
                min_ns: 1,
                p50_ns: 1,
                p99_ns: 1,
                max_ns,
            }),
            deadline_ns: Some(deadline_ns),
            bound_ns: None,
        };
        let row = Row {
            name: "t".into(),
            color: Some(0),
            note: None,
            cells: vec![
                Some(cell(3_200_000, 10_000_000)),
                None,
                Some(cell(22_400_000, 10_000_000)),
            ],
        };
        assert_eq!(row_end(&row), 23_800_000);
        let quiet = Row {
            cells: vec![Some(cell(3_200_000, 10_000_000))],
            ..row
        };
        assert_eq!(row_end(&quiet), 10_625_000);
    }
}
