//! Where things go on a report plot (not a plot itself): the title, a
//! legend strip above the chart and a key strip of run numbers below it
//! (never over data), the symbols they use, and the labels under grouped
//! bars; and [`render`], through which the report's plots are drawn, so
//! that tests can measure where their texts land.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::style::{
    self, Draw, INK, LABEL_SIZE, MUTED, SMALL_SIZE, TITLE_SIZE, bold, fail, text, text_width,
};
use super::{FONT, PlotFiles};
use crate::ReportError;

#[cfg(test)]
pub(crate) mod recorder;
#[cfg(test)]
mod shipped;

/// Draws `plot` into `files` at `height` pixels, as `style::render` does;
/// in tests, also on the recording backend when a capture is on (see
/// `recorder`), so that a test sees every text of every report plot.
pub(crate) fn render(files: &PlotFiles, height: u32, plot: &impl Draw) -> Result<(), ReportError> {
    #[cfg(test)]
    recorder::record(files, (style::WIDTH, height), plot)
        .map_err(|e| super::plot_error(&files.png, e))?;
    style::render(files, height, plot)
}

/// [`render`] at `size` (width, height) pixels, for figures whose width
/// grows with their content (the side-by-side comparisons).
pub(crate) fn render_sized(
    files: &PlotFiles,
    size: (u32, u32),
    plot: &impl Draw,
) -> Result<(), ReportError> {
    #[cfg(test)]
    recorder::record(files, size, plot).map_err(|e| super::plot_error(&files.png, e))?;
    style::write_files(
        files,
        size,
        |root| {
            plot.draw(&root)
                .and_then(|()| root.present().map_err(style::fail))
        },
        |root| {
            plot.draw(&root)
                .and_then(|()| root.present().map_err(style::fail))
        },
    )
}

/// A symbol in a legend.
#[derive(Clone, Debug)]
pub(crate) enum Glyph {
    /// A filled square.
    Swatch(RGBColor),
    /// A line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// An upward arrow (a release).
    Up(RGBColor),
    /// A downward arrow (a deadline).
    Down(RGBColor),
    /// A diamond (a bound).
    Diamond(RGBColor),
    /// A hatched box (blocked).
    Hatch,
    /// A thin bar (a lock held).
    Bar(RGBColor),
    /// A short vertical stroke (a preemption).
    Tick(RGBColor),
    /// A dot (a maximum).
    Dot(RGBColor),
    /// A hollow dot (a skipped release).
    Ring(RGBColor),
    /// A cross (an abort or a fault).
    Cross(RGBColor),
    /// A box with a whisker (a percentile box).
    BoxWhisker(RGBColor),
    /// A bold label (a run's number).
    Number(String),
}

/// One entry of a legend or key.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Its symbol.
    pub(crate) glyph: Glyph,
    /// Its text.
    pub(crate) text: String,
}

impl Entry {
    /// An entry.
    pub(crate) fn new(glyph: Glyph, text: impl Into<String>) -> Entry {
        Entry {
            glyph,
            text: text.into(),
        }
    }
}

/// Height of one legend row, in pixels.
const ROW: i32 = 22;
/// Width of a glyph, in pixels.
const GLYPH: i32 = 22;

/// Where each entry goes: rows of `(x, entry)`, flowing left to right and
/// centred, within `width` pixels.
fn flow<'e, DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &'e [Entry],
    width: i32,
) -> Result<Vec<Vec<(i32, &'e Entry)>>, String> {
    let font = TextStyle::from((FONT, LABEL_SIZE).into_font());
    let measure = |t: &str| -> Result<i32, String> {
        let (w, _) = area.estimate_text_size(t, &font).map_err(fail)?;
        Ok(i32::try_from(w).unwrap_or(0))
    };
    let mut rows: Vec<(i32, Vec<(i32, &Entry)>)> = Vec::new();
    let mut current: Vec<(i32, &Entry)> = Vec::new();
    let mut used = 0;
    for e in entries {
        let glyph = match &e.glyph {
            Glyph::Number(n) => measure(n)? + 6,
            _ => GLYPH + 6,
        };
        let item = glyph + measure(&e.text)?;
        let gap = if current.is_empty() { 0 } else { 22 };
        if !current.is_empty() && used + gap + item > width {
            rows.push((used, std::mem::take(&mut current)));
            current.push((0, e));
            used = item;
        } else {
            current.push((used + gap, e));
            used += gap + item;
        }
    }
    if !current.is_empty() {
        rows.push((used, current));
    }
    Ok(rows
        .into_iter()
        .map(|(used, row)| {
            let shift = ((width - used) / 2).max(0);
            row.into_iter().map(|(x, e)| (x + shift, e)).collect()
        })
        .collect())
}

/// Draws `glyph` centred vertically at `y`, from `x`, on `area`; returns
/// where the entry's text starts.
fn draw_glyph<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    glyph: &Glyph,
    x: i32,
    y: i32,
) -> Result<i32, String> {
    let w = GLYPH;
    let cx = x + w / 2;
    match glyph {
        Glyph::Swatch(c) => rect(area, [(x + 4, y - 7), (x + 18, y + 7)], c.filled())?,
        Glyph::Line(c) => segment(area, (x, y), (x + w, y), c.stroke_width(3))?,
        Glyph::Dashed(c) => {
            for k in 0..3 {
                segment(area, (x + k * 8, y), (x + k * 8 + 5, y), c.stroke_width(2))?;
            }
        }
        Glyph::Up(c) => arrow(area, cx, y + 8, y - 8, *c)?,
        Glyph::Down(c) => arrow(area, cx, y - 8, y + 8, *c)?,
        Glyph::Diamond(c) => {
            let r = 6;
            area.draw(&Polygon::new(
                vec![(cx, y - r), (cx + r, y), (cx, y + r), (cx - r, y)],
                c.filled(),
            ))
            .map_err(fail)?;
        }
        Glyph::Hatch => hatch(area, (x + 1, y - 7), (x + w - 1, y + 7), 5)?,
        Glyph::Bar(c) => rect(area, [(x, y - 2), (x + w, y + 2)], c.filled())?,
        Glyph::Tick(c) => segment(area, (cx, y - 8), (cx, y + 8), c.stroke_width(2))?,
        Glyph::Cross(c) => cross(area, cx, y, 6, *c)?,
        Glyph::Ring(c) => {
            area.draw(&Circle::new((cx, y), 5, c.stroke_width(2)))
                .map_err(fail)?;
        }
        Glyph::Dot(c) => {
            area.draw(&Circle::new((cx, y), 4, c.filled()))
                .map_err(fail)?;
        }
        Glyph::BoxWhisker(c) => {
            segment(area, (x + 1, y), (x + w - 1, y), c.stroke_width(1))?;
            rect(area, [(x + 6, y - 6), (x + w - 6, y + 6)], c.filled())?;
        }
        Glyph::Number(n) => return number(area, n, x, y),
    }
    Ok(x + w + 6)
}

/// Draws a run's number `n` in bold, from `x`, centred vertically at `y`;
/// returns where the entry's text starts, just after the number (numbers
/// have no fixed glyph width).
fn number<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: &str,
    x: i32,
    y: i32,
) -> Result<i32, String> {
    area.draw(&Text::new(
        n.to_string(),
        (x, y),
        bold(LABEL_SIZE, INK, HPos::Left, VPos::Center),
    ))
    .map_err(fail)?;
    let (nw, _) = area
        .estimate_text_size(n, &TextStyle::from((FONT, LABEL_SIZE).into_font()))
        .map_err(fail)?;
    Ok(x + i32::try_from(nw).unwrap_or(0) + 6)
}

/// A straight line from pixel `a` to pixel `b`.
fn segment<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
    style: ShapeStyle,
) -> Result<(), String> {
    area.draw(&PathElement::new(vec![a, b], style))
        .map_err(fail)
}

/// A rectangle between two pixel corners.
fn rect<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    corners: [(i32, i32); 2],
    style: ShapeStyle,
) -> Result<(), String> {
    area.draw(&Rectangle::new(corners, style)).map_err(fail)
}

/// A vertical arrow at `x` from `from_y` to `to_y` (the head at `to_y`), in
/// pixels.
pub(crate) fn arrow<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: i32,
    from_y: i32,
    to_y: i32,
    color: RGBColor,
) -> Result<(), String> {
    let dir = if to_y < from_y { 1 } else { -1 };
    area.draw(&PathElement::new(
        vec![(x, from_y), (x, to_y + dir * 4)],
        color.stroke_width(2),
    ))
    .map_err(fail)?;
    area.draw(&Polygon::new(
        vec![(x, to_y), (x - 4, to_y + dir * 6), (x + 4, to_y + dir * 6)],
        color.filled(),
    ))
    .map_err(fail)
}

/// A cross of half-size `r` pixels centred at `(x, y)`.
pub(crate) fn cross<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: i32,
    y: i32,
    r: i32,
    color: RGBColor,
) -> Result<(), String> {
    for (a, b) in [
        ((x - r, y - r), (x + r, y + r)),
        ((x - r, y + r), (x + r, y - r)),
    ] {
        area.draw(&PathElement::new(vec![a, b], color.stroke_width(2)))
            .map_err(fail)?;
    }
    Ok(())
}

/// A box outlined in grey and hatched with diagonals every `gap` pixels,
/// corners in pixels.
pub(crate) fn hatch<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    gap: i32,
) -> Result<(), String> {
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    let line = MUTED.stroke_width(1);
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], WHITE.filled()))
        .map_err(fail)?;
    // Diagonals x - y = c, clipped to the box.
    let h = y1 - y0;
    let mut c = x0 - h;
    while c < x1 {
        let (mut ax, mut ay) = (c, y1);
        let (mut bx, mut by) = (c + h, y0);
        if ax < x0 {
            ay -= x0 - ax;
            ax = x0;
        }
        if bx > x1 {
            by += bx - x1;
            bx = x1;
        }
        if ax <= bx {
            area.draw(&PathElement::new(vec![(ax, ay), (bx, by)], line))
                .map_err(fail)?;
        }
        c += gap.max(2);
    }
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], MUTED.stroke_width(1)))
        .map_err(fail)
}

/// Draws the rows of `entries` on `area` from its top.
fn draw_entries<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[Vec<(i32, &Entry)>],
) -> Result<(), String> {
    for (r, row) in rows.iter().enumerate() {
        let y = ROW / 2 + 2 + i32::try_from(r).unwrap_or(0) * ROW;
        for &(x, entry) in row {
            let tx = draw_glyph(area, &entry.glyph, x, y)?;
            area.draw(&Text::new(
                entry.text.clone(),
                (tx, y),
                text(LABEL_SIZE, INK, HPos::Left, VPos::Center),
            ))
            .map_err(fail)?;
        }
    }
    Ok(())
}

/// Fills `root` white and draws the frame of a plot: `title` at the top,
/// the `legend` strip under it, the `key` strip (what the run numbers
/// mean) at the bottom. Returns the area left for the chart.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[Entry],
    key: &[Entry],
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(fail)?;
    let (w, h) = root.dim_in_pixel();
    let width = i32::try_from(w).unwrap_or(i32::MAX) - 40;
    let half = i32::try_from(w / 2).unwrap_or(0);
    root.draw(&Text::new(
        title.to_string(),
        (half, 10),
        bold(TITLE_SIZE, INK, HPos::Center, VPos::Top),
    ))
    .map_err(fail)?;
    let (_, rest) = root.split_vertically(10 + TITLE_SIZE as i32 + 8);
    let legend_rows = flow(&rest, legend, width)?;
    let legend_h = i32::try_from(legend_rows.len()).unwrap_or(0) * ROW;
    let (top, rest) = rest.split_vertically(legend_h + 4);
    draw_entries(&top.margin(0, 0, 20, 20), &legend_rows)?;
    let key_rows = flow(&rest, key, width)?;
    let key_h = i32::try_from(key_rows.len()).unwrap_or(0) * ROW;
    let rest_h = i32::try_from(h).unwrap_or(0) - 10 - TITLE_SIZE as i32 - 8 - legend_h - 4;
    let (chart, bottom) = rest.split_vertically((rest_h - key_h - 4).max(0));
    draw_entries(&bottom.margin(0, 0, 20, 20), &key_rows)?;
    Ok(chart)
}

/// Grouped bars: the centre and half width, in x units (group `g` spans
/// `[g, g + 1)`), of bar `j` of `n` in a group.
pub(crate) fn slot(g: usize, j: usize, n: usize) -> (f64, f64) {
    let n = n.max(1) as f64;
    let width = 0.8 / n;
    let center = g as f64 + 0.1 + (j as f64 + 0.5) * width;
    (center, (width * 0.32).min(0.14))
}

/// Labels under grouped bars, drawn on `root` below the x axis at pixel
/// row `y`: each bar's run number (when there are several runs), then
/// each group's name (bold) and an optional second line (muted). `x_of`
/// maps an x value to its pixel column.
pub(crate) fn group_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    y: i32,
    groups: &[(String, Option<String>)],
    runs: usize,
    x_of: impl Fn(f64) -> i32,
) -> Result<(), String> {
    let mut y = y + 4;
    if runs > 1 {
        for g in 0..groups.len() {
            for j in 0..runs {
                let (c, _) = slot(g, j, runs);
                root.draw(&Text::new(
                    format!("{}", j + 1),
                    (x_of(c), y),
                    text(SMALL_SIZE, MUTED, HPos::Center, VPos::Top),
                ))
                .map_err(fail)?;
            }
        }
        y += SMALL_SIZE as i32 + 4;
    }
    let group_px = (x_of(1.0) - x_of(0.0)).max(1);
    for (g, (name, second)) in groups.iter().enumerate() {
        let x = x_of(g as f64 + 0.5);
        let size = if text_width(root, name, LABEL_SIZE)? <= group_px - 4 {
            LABEL_SIZE
        } else {
            SMALL_SIZE
        };
        root.draw(&Text::new(
            name.clone(),
            (x, y),
            bold(size, INK, HPos::Center, VPos::Top),
        ))
        .map_err(fail)?;
        if let Some(second) = second {
            root.draw(&Text::new(
                second.clone(),
                (x, y + LABEL_SIZE as i32 + 3),
                text(SMALL_SIZE, MUTED, HPos::Center, VPos::Top),
            ))
            .map_err(fail)?;
        }
    }
    Ok(())
}

/// Pixel height of the labels [`group_labels`] draws.
pub(crate) fn group_labels_height(runs: usize, second_line: bool) -> u32 {
    let mut h = 8 + LABEL_SIZE;
    if runs > 1 {
        h += SMALL_SIZE + 4;
    }
    if second_line {
        h += SMALL_SIZE + 3;
    }
    h + 6
}

/// A value label above a bar at pixel `(x, y)`: horizontal when it fits in
/// `room` pixels, otherwise turned to read upwards.
pub(crate) fn bar_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    label: &str,
    (x, y): (i32, i32),
    room: i32,
    color: RGBColor,
) -> Result<(), String> {
    if text_width(root, label, SMALL_SIZE)? + 2 <= room {
        root.draw(&Text::new(
            label.to_string(),
            (x, y - 3),
            text(SMALL_SIZE, color, HPos::Center, VPos::Bottom),
        ))
        .map_err(fail)
    } else {
        root.draw(&Text::new(
            label.to_string(),
            (x, y - 4),
            text(SMALL_SIZE, color, HPos::Left, VPos::Center).transform(FontTransform::Rotate270),
        ))
        .map_err(fail)
    }
}

/// The key of run numbers (`1 pathfinder · simulation`), empty for one run.
pub(crate) fn run_key(runs: &[String]) -> Vec<Entry> {
    if runs.len() < 2 {
        return Vec::new();
    }
    runs.iter()
        .enumerate()
        .map(|(i, label)| Entry::new(Glyph::Number(format!("{}", i + 1)), label.clone()))
        .collect()
}
