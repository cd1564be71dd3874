//! A drawing backend for tests that records what a plot draws instead of
//! painting it, in drawing order: every text with its box, every shape
//! with its pixel extent. [`Recording::problems`] then lists each text
//! that overlaps another, runs off the image, or is painted over by a
//! shape drawn after it.
//!
//! A text's box is where the bitmap backend (the PNG) puts it: the layout
//! box of the registered DejaVu face at the text's size (what
//! `estimate_text_size` measures), shifted by its anchor, then turned by
//! its rotation about the anchor point, as `DrawingBackend::draw_text`
//! does it.
//!
//! Every plot drawn through [`super::render`] on a thread with a
//! [`capture`] on is recorded too; [`draw`] records one plot directly.

use std::cell::RefCell;
use std::convert::Infallible;
use std::fmt;
use std::rc::Rc;

use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use crate::plot::style::Draw;
use crate::plot::{PlotFiles, register_fonts};

/// How deep, in pixels, two boxes may overlap before it counts: the font's
/// layout box is rounded to whole pixels.
pub(crate) const TOLERANCE: i32 = 1;

/// A box in pixels, `[x0, x1] × [y0, y1]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub(crate) x0: i32,
    pub(crate) y0: i32,
    pub(crate) x1: i32,
    pub(crate) y1: i32,
}

impl Bounds {
    /// The smallest box holding `points`.
    fn around(points: &[BackendCoord]) -> Bounds {
        let xs = points.iter().map(|p| p.0);
        let ys = points.iter().map(|p| p.1);
        Bounds {
            x0: xs.clone().min().unwrap_or(0),
            x1: xs.max().unwrap_or(0),
            y0: ys.clone().min().unwrap_or(0),
            y1: ys.max().unwrap_or(0),
        }
    }

    /// How deep `self` and `other` overlap, in pixels: the lesser of the
    /// overlaps along x and along y (0 or less when they are apart).
    pub(crate) fn overlap(&self, other: &Bounds) -> i32 {
        let x = self.x1.min(other.x1) - self.x0.max(other.x0);
        let y = self.y1.min(other.y1) - self.y0.max(other.y0);
        x.min(y)
    }

    /// The box grown by `by` pixels on every side (shrunk when negative).
    pub(crate) fn grow(&self, by: i32) -> Bounds {
        Bounds {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }

    /// Whether the segment from `a` to `b` crosses the box's inside
    /// (Liang–Barsky clipping).
    fn crossed_by(&self, a: BackendCoord, b: BackendCoord) -> bool {
        let (x0, y0) = (f64::from(a.0), f64::from(a.1));
        let (dx, dy) = (f64::from(b.0) - x0, f64::from(b.1) - y0);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [
            (-dx, x0 - f64::from(self.x0)),
            (dx, f64::from(self.x1) - x0),
            (-dy, y0 - f64::from(self.y0)),
            (dy, f64::from(self.y1) - y0),
        ] {
            if p == 0.0 {
                if q <= 0.0 {
                    return false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        t0 < t1
    }
}

impl fmt::Display for Bounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})–({}, {})", self.x0, self.y0, self.x1, self.y1)
    }
}

/// A shape as far as covering text goes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Shape {
    /// A straight stroke from `a` to `b`, `width` pixels wide.
    Segment {
        a: BackendCoord,
        b: BackendCoord,
        width: u32,
    },
    /// A filled area, by its bounding box (rectangles exactly; polygons
    /// and circles by their box).
    Area(Bounds),
}

impl Shape {
    /// Whether the shape covers some of the inside of `b`.
    pub(crate) fn covers(&self, b: &Bounds) -> bool {
        match self {
            Shape::Segment { a, b: end, width } => {
                let half = i32::try_from(width / 2).unwrap_or(0);
                b.grow(half).crossed_by(*a, *end)
            }
            Shape::Area(area) => area.overlap(b) > 0,
        }
    }
}

/// One thing drawn.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Mark {
    /// A text, its box and its colour.
    Text {
        text: String,
        bounds: Bounds,
        color: (u8, u8, u8),
    },
    /// A shape in a colour.
    Shape { shape: Shape, color: (u8, u8, u8) },
}

/// What one plot drew.
#[derive(Clone, Debug)]
pub(crate) struct Recording {
    /// The plot's file stem (`misses`, `gantt-1`), or a test's name.
    pub(crate) name: String,
    /// The image's size in pixels.
    pub(crate) size: (u32, u32),
    /// Everything drawn, in order.
    pub(crate) marks: Vec<Mark>,
}

impl Recording {
    /// The texts drawn, with their boxes, in order.
    pub(crate) fn texts(&self) -> impl Iterator<Item = (&str, Bounds)> {
        self.marks.iter().filter_map(|m| match m {
            Mark::Text { text, bounds, .. } => Some((text.as_str(), *bounds)),
            Mark::Shape { .. } => None,
        })
    }

    /// The box of the first text equal to `text`.
    pub(crate) fn text(&self, text: &str) -> Option<Bounds> {
        self.texts().find(|t| t.0 == text).map(|t| t.1)
    }

    /// Every text that overlaps another by more than [`TOLERANCE`], runs
    /// off the image by more than it, or is covered (inside its box
    /// shrunk by it) by a shape drawn after it, in words.
    pub(crate) fn problems(&self) -> Vec<String> {
        let (w, h) = self.size;
        let image = Bounds {
            x0: 0,
            y0: 0,
            x1: i32::try_from(w).unwrap_or(i32::MAX),
            y1: i32::try_from(h).unwrap_or(i32::MAX),
        };
        let mut out = Vec::new();
        for (i, mark) in self.marks.iter().enumerate() {
            let Mark::Text { text, bounds, .. } = mark else {
                continue;
            };
            if !contains(&image.grow(TOLERANCE), bounds) {
                out.push(format!(
                    "{}: `{text}` {bounds} runs off the image",
                    self.name
                ));
            }
            let inside = bounds.grow(-TOLERANCE);
            for later in &self.marks[i + 1..] {
                match later {
                    Mark::Text {
                        text: other,
                        bounds: b,
                        ..
                    } if bounds.overlap(b) > TOLERANCE => out.push(format!(
                        "{}: `{text}` {bounds} and `{other}` {b} overlap by {} px",
                        self.name,
                        bounds.overlap(b)
                    )),
                    Mark::Shape { shape, color } if shape.covers(&inside) => out.push(format!(
                        "{}: `{text}` {bounds} is painted over by {shape:?} in {color:?}",
                        self.name
                    )),
                    _ => {}
                }
            }
        }
        out
    }
}

/// Whether `outer` holds all of `inner`.
fn contains(outer: &Bounds, inner: &Bounds) -> bool {
    inner.x0 >= outer.x0 && inner.y0 >= outer.y0 && inner.x1 <= outer.x1 && inner.y1 <= outer.y1
}

/// The backend: it keeps what is drawn in `marks` (shared, as the drawing
/// area owns the backend).
struct Recorder {
    size: (u32, u32),
    marks: Rc<RefCell<Vec<Mark>>>,
}

impl Recorder {
    fn push(&self, shape: Shape, color: BackendColor) {
        if color.alpha > 0.0 {
            self.marks.borrow_mut().push(Mark::Shape {
                shape,
                color: color.rgb,
            });
        }
    }

    fn segment<S: BackendStyle>(&self, a: BackendCoord, b: BackendCoord, style: &S) {
        let width = style.stroke_width().max(1);
        self.push(Shape::Segment { a, b, width }, style.color());
    }
}

type Drawn = Result<(), DrawingErrorKind<Infallible>>;

impl DrawingBackend for Recorder {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Drawn {
        Ok(())
    }

    fn present(&mut self) -> Drawn {
        Ok(())
    }

    fn draw_pixel(&mut self, _: BackendCoord, _: BackendColor) -> Drawn {
        Ok(())
    }

    fn draw_line<S: BackendStyle>(&mut self, a: BackendCoord, b: BackendCoord, style: &S) -> Drawn {
        self.segment(a, b, style);
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawn {
        if fill {
            self.push(Shape::Area(Bounds::around(&[a, b])), style.color());
        } else {
            let corners = [a, (b.0, a.1), b, (a.0, b.1), a];
            for pair in corners.windows(2) {
                self.segment(pair[0], pair[1], style);
            }
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Drawn {
        let points: Vec<BackendCoord> = path.into_iter().collect();
        for pair in points.windows(2) {
            self.segment(pair[0], pair[1], style);
        }
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        c: BackendCoord,
        r: u32,
        style: &S,
        _fill: bool,
    ) -> Drawn {
        let r = i32::try_from(r).unwrap_or(0);
        let bounds = Bounds::around(&[(c.0 - r, c.1 - r), (c.0 + r, c.1 + r)]);
        self.push(Shape::Area(bounds), style.color());
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Drawn {
        let points: Vec<BackendCoord> = vertices.into_iter().collect();
        self.push(Shape::Area(Bounds::around(&points)), style.color());
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Drawn {
        if style.color().alpha == 0.0 || text.trim().is_empty() {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (w, h) = (max_x - min_x, max_y - min_y);
        // The same offsets as `DrawingBackend::draw_text`, before turning.
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -w,
            HPos::Center => -w / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -h / 2,
            VPos::Bottom => -h,
        };
        let turn = style.transform();
        let a = turn.transform(dx, dy);
        let b = turn.transform(dx + w, dy + h);
        let bounds = Bounds::around(&[(pos.0 + a.0, pos.1 + a.1), (pos.0 + b.0, pos.1 + b.1)]);
        self.marks.borrow_mut().push(Mark::Text {
            text: text.to_string(),
            bounds,
            color: style.color().rgb,
        });
        Ok(())
    }

    fn blit_bitmap(&mut self, _: BackendCoord, _: (u32, u32), _: &[u8]) -> Drawn {
        Ok(())
    }
}

/// Draws `plot` on a recording backend of `size` pixels; `name` names the
/// recording.
pub(crate) fn draw(name: &str, size: (u32, u32), plot: &impl Draw) -> Result<Recording, String> {
    register_fonts().map_err(|e| e.to_string())?;
    let marks = Rc::new(RefCell::new(Vec::new()));
    let backend = Recorder {
        size,
        marks: Rc::clone(&marks),
    };
    plot.draw(&backend.into_drawing_area())?;
    let marks = marks.take();
    Ok(Recording {
        name: name.to_string(),
        size,
        marks,
    })
}

thread_local! {
    /// The recordings of this thread's capture, when one is on.
    static CAPTURED: RefCell<Option<Vec<Recording>>> = const { RefCell::new(None) };
}

/// Runs `f` with a capture on this thread: every plot drawn through
/// [`super::render`] meanwhile is recorded too. Returns `f`'s result and
/// the recordings, in drawing order.
pub(crate) fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<Recording>) {
    CAPTURED.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let out = f();
    let recordings = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (out, recordings)
}

/// Records `plot` (drawn into `files`, at `size` pixels) when a capture is
/// on; nothing otherwise.
pub(crate) fn record(files: &PlotFiles, size: (u32, u32), plot: &impl Draw) -> Result<(), String> {
    if CAPTURED.with(|c| c.borrow().is_none()) {
        return Ok(());
    }
    let name = files
        .png
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let recording = draw(&name, size, plot)?;
    CAPTURED.with(|c| {
        if let Some(list) = c.borrow_mut().as_mut() {
            list.push(recording);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::coord::Shift;
    use plotters::style::text_anchor::Pos;

    /// A text, where, anchored how, turned how.
    type Placed = (&'static str, (i32, i32), HPos, VPos, FontTransform);

    /// Draws a few texts the way plots do.
    struct Texts(Vec<Placed>);

    impl Draw for Texts {
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
            for (t, pos, h, v, turn) in &self.0 {
                let style = TextStyle::from((crate::plot::FONT, 14).into_font())
                    .pos(Pos::new(*h, *v))
                    .transform(turn.clone());
                root.draw(&Text::new(*t, *pos, style))
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
    }

    #[test]
    fn boxes_follow_the_anchor_and_the_rotation() {
        let plot = Texts(vec![
            (
                "left",
                (100, 100),
                HPos::Left,
                VPos::Top,
                FontTransform::None,
            ),
            (
                "up",
                (300, 300),
                HPos::Left,
                VPos::Center,
                FontTransform::Rotate270,
            ),
        ]);
        let r = draw("t", (400, 400), &plot).unwrap();
        let left = r.text("left").unwrap();
        assert_eq!((left.x0, left.y0), (100, 100));
        // 14 px DejaVu: the layout box is 11 px tall (14 / 1.24).
        assert_eq!(left.y1 - left.y0, 11);
        assert!(left.x1 - left.x0 > 15, "{left}");
        // Turned to read upwards: it starts at the anchor and goes up,
        // centred on the anchor's column.
        let up = r.text("up").unwrap();
        assert_eq!(up.y1, 300);
        assert!(up.y0 < 290);
        assert!((up.x0 + up.x1 - 600).abs() <= 1, "{up}");
        assert!(r.problems().is_empty(), "{:?}", r.problems());
    }

    #[test]
    fn overlaps_the_border_and_covering_shapes_are_problems() {
        let plot = Texts(vec![
            (
                "first",
                (100, 100),
                HPos::Left,
                VPos::Center,
                FontTransform::None,
            ),
            (
                "second",
                (110, 102),
                HPos::Left,
                VPos::Center,
                FontTransform::None,
            ),
            (
                "cut",
                (395, 50),
                HPos::Left,
                VPos::Center,
                FontTransform::None,
            ),
        ]);
        let r = draw("t", (400, 400), &plot).unwrap();
        let problems = r.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("`first`") && problems[0].contains("`second`"));
        assert!(problems[1].contains("`cut`") && problems[1].contains("runs off"));

        // A line drawn after a text, through it.
        let mut r = draw("t", (400, 400), &Texts(vec![plot.0[0].clone()])).unwrap();
        let b = r.text("first").unwrap();
        let y = (b.y0 + b.y1) / 2;
        r.marks.push(Mark::Shape {
            shape: Shape::Segment {
                a: (b.x0 - 20, y),
                b: (b.x1 + 20, y),
                width: 2,
            },
            color: (0, 0, 0),
        });
        assert_eq!(r.problems().len(), 1);
        // Touching its edge is not covering it.
        r.marks.pop();
        r.marks.push(Mark::Shape {
            shape: Shape::Area(Bounds {
                y1: b.y0,
                y0: b.y0 - 10,
                ..b
            }),
            color: (0, 0, 0),
        });
        assert!(r.problems().is_empty(), "{:?}", r.problems());
    }
}
