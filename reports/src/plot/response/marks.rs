//! The marks of one box of the response plot, in pixels: the whisker,
//! the bound's diamond, and the bar of a worst response above the bound.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Slot;
use crate::plot::style::{EXCEEDED, INK, MISS, fail};

/// Draws the whisker of a box from pixel row `ymin` to `ymax` with its end
/// caps: black below the deadline (row `dy`), red above it when `missed`.
pub(super) fn whisker<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    slot: &Slot,
    (ymin, ymax): (i32, i32),
    dy: i32,
    missed: bool,
) -> Result<(), String> {
    let (cx, hw) = (slot.cx, slot.hw);
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
    Ok(())
}

/// Draws the analysis bound: a black diamond centred at pixel `(wx, wy)`,
/// outlined in white when it sits `on_box` so that it stands out from it.
pub(super) fn diamond<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (wx, wy): (i32, i32),
    on_box: bool,
) -> Result<(), String> {
    let diamond = vec![(wx, wy - 6), (wx + 5, wy), (wx, wy + 6), (wx - 5, wy)];
    root.draw(&Polygon::new(diamond.clone(), INK.filled()))
        .map_err(fail)?;
    if on_box {
        let mut outline = diamond;
        outline.push((wx, wy - 6));
        root.draw(&PathElement::new(outline, WHITE.stroke_width(1)))
            .map_err(fail)?;
    }
    Ok(())
}

/// Marks a worst response (pixel row `ymax`) above the bound at pixel
/// `(wx, wy)`: an orange bar from the diamond up to the worst response's
/// height, capped there; nothing when the diamond sits on the box
/// (`on_box`), where the whisker already spans it and the label says it.
pub(super) fn excess_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (wx, wy): (i32, i32),
    ymax: i32,
    on_box: bool,
) -> Result<(), String> {
    if on_box || ymax >= wy - 6 {
        return Ok(());
    }
    root.draw(&PathElement::new(
        vec![(wx, wy - 7), (wx, ymax)],
        EXCEEDED.stroke_width(3),
    ))
    .map_err(fail)?;
    root.draw(&PathElement::new(
        vec![(wx - 4, ymax), (wx + 4, ymax)],
        EXCEEDED.stroke_width(2),
    ))
    .map_err(fail)
}
