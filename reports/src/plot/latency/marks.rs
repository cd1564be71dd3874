//! What a latency plot marks besides its bins, each a vertical line in its
//! series' colour: the worst case (dashed), the deadline (solid) and the
//! analysis bound (dotted, with a diamond on the time axis, the bound's
//! symbol in the response-vs-deadline plot). Their labels go in rows
//! above the bins, none over another.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{Chart, FLOOR};
use crate::format;
use crate::plot::style::{self, INK, LABEL_SIZE, fail};

/// What a mark is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A task's relative deadline.
    Deadline,
    /// The analysis' worst-case response-time bound.
    Bound,
    /// The exact worst case.
    Max,
}

/// One vertical mark.
#[derive(Clone, Copy, Debug)]
pub(super) struct Mark {
    /// What it marks.
    pub(super) kind: Kind,
    /// Where, in nanoseconds.
    pub(super) at_ns: u64,
    /// Its series' colour.
    pub(super) color: RGBColor,
}

impl Mark {
    /// Its label: the word for a deadline or bound (the legend has their
    /// values), the value for a worst case.
    fn label(&self) -> String {
        match self.kind {
            Kind::Deadline => "deadline".to_string(),
            Kind::Bound => "bound".to_string(),
            Kind::Max => format!("max {}", format::duration(self.at_ns)),
        }
    }
}

/// Draws `mark` from the bottom to the top of `y` (log10 counts) on
/// `chart`.
pub(super) fn line<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    mark: &Mark,
    (floor, top): (f64, f64),
) -> Result<(), String> {
    let (x, y_floor) = chart.backend_coord(&(mark.at_ns, floor));
    let (_, y_top) = chart.backend_coord(&(mark.at_ns, top));
    // (dash, period) in pixels; a solid line is one dash.
    let (dash, period) = match mark.kind {
        Kind::Deadline => (y_floor - y_top, y_floor - y_top + 1),
        Kind::Bound => (2, 5),
        Kind::Max => (6, 10),
    };
    let mut y = y_floor;
    while y > y_top {
        let y2 = (y - dash).max(y_top);
        root.draw(&PathElement::new(
            vec![(x, y), (x, y2)],
            mark.color.stroke_width(2),
        ))
        .map_err(fail)?;
        y -= period.max(1);
    }
    if mark.kind == Kind::Bound {
        let (x, y) = chart.backend_coord(&(mark.at_ns, FLOOR));
        let r = 6;
        root.draw(&Polygon::new(
            vec![(x, y - r), (x + r - 1, y), (x, y + r), (x - r + 1, y)],
            INK.filled(),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

/// Where a label goes: its row from the top and its pixel columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Placed {
    row: usize,
    x0: i32,
    x1: i32,
}

/// Places labels `(x, width)` in order: each beside its line at pixel
/// column `x` (right of it when it ends before `right`, else left), in
/// the first of `rows` rows where it overlaps no label placed before;
/// `None` when no row has room.
fn place(labels: &[(i32, i32)], right: i32, rows: usize) -> Vec<Option<Placed>> {
    let mut taken: Vec<Vec<(i32, i32)>> = vec![Vec::new(); rows];
    labels
        .iter()
        .map(|&(x, w)| {
            let (x0, x1) = if x + 4 + w < right {
                (x + 4, x + 4 + w)
            } else {
                (x - 4 - w, x - 4)
            };
            let row = taken
                .iter()
                .position(|spans| spans.iter().all(|&(a, b)| x1 + 6 < a || b + 6 < x0))?;
            taken[row].push((x0, x1));
            Some(Placed { row, x0, x1 })
        })
        .collect()
}

/// Draws the labels of `marks` from the top of the plotting area, in at
/// most `rows` rows: deadlines first, then bounds, then worst cases
/// (those the legend already names are the ones left out when rows run
/// short), each kind from left to right; one label for marks of one kind
/// that fall on the same pixel.
pub(super) fn labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    marks: &[Mark],
    rows: usize,
) -> Result<(), String> {
    let (x_range, y_range) = chart.plotting_area().get_pixel_range();
    let mut order: Vec<(Kind, i32, String)> = Vec::new();
    for kind in [Kind::Deadline, Kind::Bound, Kind::Max] {
        let mut of_kind: Vec<(i32, String)> = marks
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| (chart.backend_coord(&(m.at_ns, FLOOR)).0, m.label()))
            .collect();
        of_kind.sort();
        of_kind.dedup_by_key(|(x, _)| *x);
        order.extend(of_kind.into_iter().map(|(x, t)| (kind, x, t)));
    }
    let font = TextStyle::from((crate::plot::FONT, LABEL_SIZE).into_font());
    let mut sized = Vec::with_capacity(order.len());
    let mut h = 0;
    for (_, x, text) in &order {
        let (w, th) = root.estimate_text_size(text, &font).map_err(fail)?;
        h = h.max(i32::try_from(th).unwrap_or(0));
        sized.push((*x, i32::try_from(w).unwrap_or(0)));
    }
    for ((_, x, text), placed) in order.iter().zip(place(&sized, x_range.end, rows)) {
        let Some(p) = placed else { continue };
        let ty = y_range.start + 4 + i32::try_from(p.row).unwrap_or(0) * (h + 3);
        root.draw(&Rectangle::new(
            [(p.x0 - 1, ty), (p.x1 + 1, ty + h + 1)],
            WHITE.mix(0.85).filled(),
        ))
        .map_err(fail)?;
        let (anchor, tx) = if p.x0 > *x {
            (HPos::Left, p.x0)
        } else {
            (HPos::Right, p.x1)
        };
        root.draw(&Text::new(
            text.clone(),
            (tx, ty),
            style::text(LABEL_SIZE, INK, anchor, VPos::Top),
        ))
        .map_err(fail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_take_the_first_row_with_room_and_never_overlap() {
        // Three labels 50 px wide at 100, 120 and 300, then one at 110,
        // right edge at 1000, two rows.
        let placed = place(&[(100, 50), (120, 50), (300, 50), (110, 50)], 1000, 2);
        assert_eq!(
            placed,
            vec![
                Some(Placed {
                    row: 0,
                    x0: 104,
                    x1: 154
                }),
                Some(Placed {
                    row: 1,
                    x0: 124,
                    x1: 174
                }),
                Some(Placed {
                    row: 0,
                    x0: 304,
                    x1: 354
                }),
                None,
            ]
        );
        // At the right edge a label goes left of its line.
        let placed = place(&[(980, 50)], 1000, 1);
        assert_eq!(
            placed,
            vec![Some(Placed {
                row: 0,
                x0: 926,
                x1: 976
            })]
        );
    }
}
