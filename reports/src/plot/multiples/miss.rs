//! Deadline misses per panel: two bars in the task's colour on light
//! tracks, the share of jobs that missed (the track is all of them, 100%)
//! and the worst tardiness (the track is the worst of the row), each with
//! its value; a panel without a miss says `none of N` and `0`, so "no
//! miss" reads as a result.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{Column, Grid, Row, header, header_height, panel_note, position, row_label};
use crate::ReportError;
use crate::format;
use crate::plot::PlotFiles;
use crate::plot::layout::{Entry, Glyph, frame};
use crate::plot::misses::MissCount;
use crate::plot::style::{self, Draw, INK, LABEL_SIZE, MISS, MUTED, SMALL_SIZE, fail};

/// Row height, in pixels: the name line, two bars and a gap.
const ROW_H: i32 = 30 + 16 + 10 + 16 + 16;
/// A bar's height, in pixels.
const BAR_H: i32 = 16;
/// A bar's track.
const TRACK: RGBColor = RGBColor(0xEC, 0xEE, 0xF1);

/// Draws `rows` × `columns` panels of deadline misses into `files`.
pub fn misses(
    files: &PlotFiles,
    title: &str,
    columns: &[Column],
    rows: &[Row<MissCount>],
) -> Result<(), ReportError> {
    let plot = Plot {
        title,
        columns,
        rows,
    };
    super::render(files, columns, rows.len(), ROW_H, &plot)
}

struct Plot<'a> {
    title: &'a str,
    columns: &'a [Column],
    rows: &'a [Row<MissCount>],
}

/// The two labels of a panel: the missed share, the worst tardiness.
fn labels(m: &MissCount) -> [String; 2] {
    if m.missed == 0 {
        [format!("none of {}", m.jobs), "0".to_string()]
    } else {
        [
            format!(
                "{} of {} ({})",
                m.missed,
                m.jobs,
                format::percent(m.missed as f64 / m.jobs.max(1) as f64)
            ),
            format!("+{}", format::duration(m.worst_tardiness_ns)),
        ]
    }
}

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let legend = [Entry::new(
            Glyph::Swatch(TRACK),
            "grey track: all jobs (top bar), the row's worst tardiness (bottom bar)",
        )];
        let area = frame(root, self.title, &legend, &[])?;
        let grid = Grid::new(
            &area,
            self.columns.len(),
            header_height(self.columns),
            ROW_H,
        );
        header(root, &grid, self.columns)?;
        // Room right of the bars for the widest label of the figure.
        let mut room = 0;
        for m in self.rows.iter().flat_map(|r| r.cells.iter().flatten()) {
            for l in labels(m) {
                room = room.max(style::text_width(root, &l, LABEL_SIZE)? + 10);
            }
        }
        let room = room.min(grid.col_w / 2);
        for (r, row) in self.rows.iter().enumerate() {
            row_label(root, &grid, r, row, &[])?;
            let worst = row
                .cells
                .iter()
                .flatten()
                .map(|m| m.worst_tardiness_ns)
                .max()
                .unwrap_or(0);
            let top = grid.row_top(r) + 30;
            let bars = [top, top + BAR_H + 10];
            for (y, text) in bars.iter().zip(["missed", "worst tardiness"]) {
                root.draw(&Text::new(
                    text,
                    (super::LABEL_W - 10, y + BAR_H / 2),
                    style::text(SMALL_SIZE, MUTED, HPos::Right, VPos::Center),
                ))
                .map_err(fail)?;
            }
            for c in 0..self.columns.len() {
                let cols = grid.cols(c);
                let track = cols.start..cols.end - room;
                let Some(Some(m)) = row.cells.get(c) else {
                    panel_note(root, "not in this run", &cols, &(top..top + 2 * BAR_H + 10))?;
                    continue;
                };
                let values = [(m.missed, m.jobs), (m.worst_tardiness_ns, worst)];
                for ((y, (v, of)), label) in bars.iter().zip(values).zip(labels(m)) {
                    let bar = Bar {
                        track: track.clone(),
                        y: *y,
                        color: row.rgb(),
                    };
                    bar.draw(root, position(v, of, &bar.track), &label, m.missed > 0)?;
                }
            }
        }
        Ok(())
    }
}

/// One bar of a panel.
struct Bar {
    /// Its track's pixel columns.
    track: std::ops::Range<i32>,
    /// Its top pixel row.
    y: i32,
    color: RGBColor,
}

impl Bar {
    /// Draws the track, the bar up to pixel column `end` (at least 2
    /// pixels when `missed`) and `label` after it.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        end: i32,
        label: &str,
        missed: bool,
    ) -> Result<(), String> {
        let (x0, y) = (self.track.start, self.y);
        root.draw(&Rectangle::new(
            [(x0, y), (self.track.end, y + BAR_H)],
            TRACK.filled(),
        ))
        .map_err(fail)?;
        let end = if missed { end.max(x0 + 2) } else { end };
        if end > x0 {
            root.draw(&Rectangle::new(
                [(x0, y), (end, y + BAR_H)],
                self.color.filled(),
            ))
            .map_err(fail)?;
        }
        root.draw(&Text::new(
            label.to_string(),
            (end + 6, y + BAR_H / 2),
            style::text(
                LABEL_SIZE,
                if missed { MISS } else { MUTED },
                HPos::Left,
                VPos::Center,
            ),
        ))
        .map_err(fail)?;
        // The bar's end is where the label reads from: mark it.
        root.draw(&PathElement::new(
            vec![(end, y - 2), (end, y + BAR_H + 2)],
            INK.stroke_width(1),
        ))
        .map_err(fail)
    }
}
