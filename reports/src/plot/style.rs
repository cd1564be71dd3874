//! The look every report plot shares (not a plot itself): the task
//! palette, fonts, axes with their ticks labelled through
//! [`crate::format`], and the writer that draws a plot into its PNG and SVG
//! files atomically (for every plot, [`super::sweep`]'s too). Where things go on the page
//! (legends, keys, labels under grouped bars) is in `layout`.
//!
//! Time stays integer nanoseconds up to the pixel: time axes are `u64`
//! coordinates and their tick labels come from [`format::duration`].
//!
//! # One colour per task
//!
//! A task's colour follows its name, so `sensor` looks the same in every
//! plot of a report and, as far as the rule below allows, in every report.
//!
//! - The palette has seven hues from Paul Tol's colour-blind-safe
//!   schemes: blue, orange, cyan, purple, green, yellow, pink ("bright"
//!   without its red, which marks misses, and grey, which marks neutral
//!   things; "vibrant" orange, "light" pink). Every two are at least 25
//!   apart in CIEDE2000 in normal vision, each at least 20 from the miss
//!   red.
//! - A name asks for a slot: the 64-bit FNV-1a hash of its UTF-8 bytes
//!   modulo 7 (a fixed function, the same on every machine and release).
//! - A report builds one assignment ([`TaskColors`]) from the ordered list
//!   of every task name in it, and every plot of the report takes its
//!   colours from it. The order is config order; in a comparison, the
//!   order tasks first appear across the runs (the first run's tasks in
//!   config order, then each later run's new ones).
//! - In that order, each task takes, probing from its slot onward
//!   (`slot, slot + 1, ...` modulo 7), the first slot that no earlier task
//!   has and whose colour a protanope, deuteranope and tritanope can each
//!   tell from the previous task's (CIEDE2000 at least 15 under Machado et
//!   al.'s 2009 simulations at severity 1.0; the six pairs below that are
//!   listed in `palette`). If no free slot passes, it takes the first free
//!   slot. Past seven tasks, "free" means used by the fewest earlier
//!   tasks, so colours repeat evenly.
//! - Each colour has at most two look-alikes, so the first five tasks of
//!   a report always find a free slot their neighbour is not confused
//!   with; from the sixth on, only when one is left.
//!
//! The one limit: a collision moves a colour. When two tasks of a report
//! ask for the same slot, or the later would be confused with the task
//! before it, the later one moves on, so a task can have another colour
//! in a report where a task before it collides with it (`camera` after
//! `sensor` is blue, alone it is pink). A task's colour is the same
//! in every report whose earlier tasks leave its slot alone, and always
//! the same within one report.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT, PlotFiles, plot_error, register_fonts};
use crate::ReportError;
use crate::export::{AtomicFile, write_atomic};
use crate::format;

/// Width of every report plot, in pixels (the report page's width).
pub(crate) const WIDTH: u32 = 1100;

mod palette;

pub(crate) use palette::{TaskColors, task_color};

/// Misses: missed deadlines, lateness, bars above the deadline.
pub(crate) const MISS: RGBColor = RGBColor(0xCC, 0x11, 0x11);
/// A measured response above the analysis bound (the model did not hold).
pub(crate) const EXCEEDED: RGBColor = RGBColor(0x99, 0x4C, 0x00);
/// Text, axes, deadlines, bounds.
pub(crate) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text and neutral marks.
pub(crate) const MUTED: RGBColor = RGBColor(0x66, 0x66, 0x66);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);

/// Font sizes, in pixels.
pub(crate) const TITLE_SIZE: u32 = 22;
pub(crate) const AXIS_SIZE: u32 = 16;
pub(crate) const LABEL_SIZE: u32 = 14;
pub(crate) const SMALL_SIZE: u32 = 12;

/// A text style of `size` pixels in `color`, anchored at `h`/`v`.
pub(crate) fn text(size: u32, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&color).pos(Pos::new(h, v))
}

/// The same in bold.
pub(crate) fn bold(size: u32, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size, FontStyle::Bold)
        .into_font()
        .color(&color)
        .pos(Pos::new(h, v))
}

/// A drawing error as text (every backend's error is `Display`).
pub(crate) fn fail(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A plot that can draw itself on any backend (PNG and SVG).
pub(crate) trait Draw {
    /// Draws the whole image on `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Draws `plot` into `files` at `WIDTH × height` pixels, through
/// [`write_files`].
pub(crate) fn render(files: &PlotFiles, height: u32, plot: &impl Draw) -> Result<(), ReportError> {
    write_files(
        files,
        (WIDTH, height),
        |root| plot.draw(&root).and_then(|()| root.present().map_err(fail)),
        |root| plot.draw(&root).and_then(|()| root.present().map_err(fail)),
    )
}

/// Writes one plot's files at `size` pixels: `png` draws on the bitmap of
/// the PNG's temporary file (the encoder writes it by path, so it goes
/// through [`AtomicFile::temp_path`]), `svg` draws into memory, then each
/// file is renamed into place. Every plot is written this way.
pub(crate) fn write_files<P, S>(
    files: &PlotFiles,
    size: (u32, u32),
    png: P,
    svg: S,
) -> Result<(), ReportError>
where
    P: FnOnce(DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
    S: FnOnce(DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
{
    register_fonts()?;
    let file = AtomicFile::create(&files.png)?;
    png(BitMapBackend::new(file.temp_path(), size).into_drawing_area())
        .map_err(|e| plot_error(&files.png, e))?;
    file.commit()?;
    let mut text = String::new();
    svg(SVGBackend::with_string(&mut text, size).into_drawing_area())
        .map_err(|e| plot_error(&files.svg, e))?;
    write_atomic(&files.svg, text.as_bytes())?;
    Ok(())
}

/// A linear axis over `range` with ticks (and grid lines) exactly at
/// `ticks`; plotters' own axes choose their ticks.
#[derive(Clone, Debug)]
pub(crate) struct Scale<T> {
    range: Range<T>,
    ticks: Vec<T>,
}

impl<T> Scale<T> {
    /// An axis over `range` with `ticks`.
    pub(crate) fn new(range: Range<T>, ticks: Vec<T>) -> Scale<T> {
        Scale { range, ticks }
    }
}

/// Where a fraction `f` of the way along `limit` lands, in pixels.
fn lerp(f: f64, limit: (i32, i32)) -> i32 {
    let span = f64::from(limit.1) - f64::from(limit.0);
    // Far outside values are pinned a little outside the area.
    let f = f.clamp(-1.0, 2.0);
    (f64::from(limit.0) + f * span).round() as i32
}

impl Ranged for Scale<f64> {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let width = self.range.end - self.range.start;
        let f = if width > 0.0 {
            (value - self.range.start) / width
        } else {
            0.0
        };
        lerp(f, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

impl Ranged for Scale<u64> {
    type FormatOption = DefaultFormatting;
    type ValueType = u64;

    fn map(&self, value: &u64, limit: (i32, i32)) -> i32 {
        let width = self.range.end.saturating_sub(self.range.start);
        let offset = i128::from(*value) - i128::from(self.range.start);
        // Only the pixel position is a float.
        let f = if width > 0 {
            offset as f64 / width as f64
        } else {
            0.0
        };
        lerp(f, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<u64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<u64> {
        self.range.clone()
    }
}

/// A number's text without trailing zeros after its decimal point:
/// `"5.00"` is `"5"`, `"2.50"` is `"2.5"`, `"100"` stays.
fn trim_number(n: &str) -> &str {
    if n.contains('.') {
        n.trim_end_matches('0').trim_end_matches('.')
    } else {
        n
    }
}

/// A round duration as a tick label, from [`format::duration`] with the
/// trailing zeros dropped: `(number, unit)`, `("2.5", "ms")`; zero is
/// `("0", "")` (it needs no unit).
fn duration_parts(ns: u64) -> (String, String) {
    if ns == 0 {
        return ("0".to_string(), String::new());
    }
    let text = format::duration(ns);
    match text.split_once(' ') {
        Some((n, unit)) => (trim_number(n).to_string(), unit.to_string()),
        None => (text, String::new()),
    }
}

/// A round duration as short text, [`format::duration`] without trailing
/// zeros: `"5 ms"`, `"2.5 µs"`, `"0"`.
pub(crate) fn short_duration(ns: u64) -> String {
    match duration_parts(ns) {
        (n, u) if u.is_empty() => n,
        (n, u) => format!("{n} {u}"),
    }
}

/// A fraction as a tick label: [`format::percent`] without trailing zeros
/// (`0.9` is `"90%"`, `0.999` is `"99.9%"`).
pub(crate) fn percent_tick(x: f64) -> String {
    let text = format::percent(x);
    match text.strip_suffix('%') {
        Some(n) => format!("{}%", trim_number(n)),
        None => text,
    }
}

/// The round step (1, 2 or 5 times a power of ten) that puts at most
/// `max_ticks` ticks on `span`, no finer than `min_step`.
pub(crate) fn nice_step(span: u64, max_ticks: u64, min_step: u64) -> u64 {
    let max_ticks = max_ticks.max(1);
    let mut decade = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let step = m.saturating_mul(decade);
            if step >= min_step && span / step <= max_ticks {
                return step;
            }
        }
        match decade.checked_mul(10) {
            Some(d) => decade = d,
            None => return u64::MAX,
        }
    }
}

/// The ticks of a time axis over `[lo, hi]` nanoseconds, at round
/// durations; when every label has the same unit the unit moves into the
/// axis title (`"time (ms)"` with ticks `0, 5, 10`), otherwise each tick
/// carries its own (`"500 µs", "1 ms"`).
#[derive(Clone, Debug)]
pub(crate) struct TimeAxis {
    /// Tick positions, in nanoseconds.
    pub(crate) ticks: Vec<u64>,
    /// The unit every label shares, if they do.
    unit: Option<String>,
}

impl TimeAxis {
    /// About `max_ticks` ticks over `[lo, hi]`.
    pub(crate) fn new(lo: u64, hi: u64, max_ticks: u64) -> TimeAxis {
        let hi = hi.max(lo.saturating_add(1));
        // A tick must keep three significant digits in `format::duration`
        // to read exactly: its decade is at least hi / 1000.
        let min_step = 10u64.pow((hi / 1000).checked_ilog10().map_or(0, |d| d + 1));
        let step = nice_step(hi - lo, max_ticks, min_step);
        let first = lo.div_ceil(step).saturating_mul(step);
        let ticks: Vec<u64> = (0..)
            .map_while(|k: u64| {
                let t = first.checked_add(k.checked_mul(step)?)?;
                (t <= hi).then_some(t)
            })
            .collect();
        let mut units = ticks
            .iter()
            .map(|&t| duration_parts(t).1)
            .filter(|u| !u.is_empty());
        let unit = match units.next() {
            Some(u) if units.all(|v| v == u) => Some(u),
            _ => None,
        };
        TimeAxis { ticks, unit }
    }

    /// The label of a tick.
    pub(crate) fn label(&self, ns: u64) -> String {
        let (n, unit) = duration_parts(ns);
        if self.unit.is_some() || unit.is_empty() {
            n
        } else {
            format!("{n} {unit}")
        }
    }

    /// The axis title for `quantity`, with the shared unit if any.
    pub(crate) fn title(&self, quantity: &str) -> String {
        match &self.unit {
            Some(u) => format!("{quantity} ({u})"),
            None => quantity.to_string(),
        }
    }
}

/// Text width in pixels of `label` at `size`.
pub(crate) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    label: &str,
    size: u32,
) -> Result<i32, String> {
    let (w, _) = area
        .estimate_text_size(label, &TextStyle::from((FONT, size).into_font()))
        .map_err(fail)?;
    Ok(i32::try_from(w).unwrap_or(i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ticks_share_a_unit_when_they_can() {
        let axis = TimeAxis::new(0, 30_000_000, 10);
        assert_eq!(axis.ticks.first(), Some(&0));
        assert_eq!(axis.ticks.get(1), Some(&5_000_000));
        assert_eq!(axis.title("time"), "time (ms)");
        assert_eq!(axis.label(5_000_000), "5");
        let mixed = TimeAxis::new(0, 1_500_000, 8);
        assert_eq!(mixed.title("latency"), "latency");
        assert_eq!(mixed.label(200_000), "200 µs");
        assert_eq!(mixed.label(1_200_000), "1.2 ms");
    }

    #[test]
    fn ticks_keep_three_significant_digits() {
        // 180.5 ms would print as "181 ms": the step must be coarser.
        let axis = TimeAxis::new(180_000_000, 185_000_000, 20);
        for &t in &axis.ticks {
            assert_eq!(t % 1_000_000, 0, "{t}");
        }
    }

    #[test]
    fn percent_ticks_drop_trailing_zeros() {
        assert_eq!(percent_tick(0.9), "90%");
        assert_eq!(percent_tick(0.999), "99.9%");
        assert_eq!(percent_tick(0.0), "0%");
        assert_eq!(percent_tick(1.25), "125%");
    }

    #[test]
    fn task_colors_are_distinct_not_red_and_wrap() {
        let n = palette::PALETTE.len();
        for i in 0..n {
            for j in 0..i {
                assert_ne!(task_color(i), task_color(j));
            }
            assert_ne!(task_color(i), MISS);
        }
        assert_eq!(task_color(n), task_color(0));
    }
}
