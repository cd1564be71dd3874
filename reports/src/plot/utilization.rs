//! How busy each CPU was: one bar per run for every CPU, the share of the
//! run the CPU executed task jobs (0–100%), with the worst-case demand
//! the config puts on it (the sum of WCET / period of its tasks) marked
//! beside each bar, so measured load and the analysis' assumption compare
//! at a glance; a demand above 100% is an overload by construction.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::PlotFiles;
use super::layout::{self, Entry, Glyph, frame};
use super::style::{self, AXIS_SIZE, Draw, GRID, INK, LABEL_SIZE, SMALL_SIZE, Scale, fail};
use crate::{ReportError, format};

/// Image height, in pixels.
const HEIGHT: u32 = 460;
/// Bars: a neutral colour (CPUs are not tasks).
const BAR: RGBColor = RGBColor(0xA5, 0xB4, 0xC2);

/// One CPU in one run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuUse {
    /// Fraction of the run the CPU executed task jobs, in `[0, 1]`.
    pub busy_ratio: f64,
    /// Sum of WCET / period of the tasks placed on it (global placement:
    /// shared evenly), if known.
    pub demand: Option<f64>,
}

/// One group of bars: a CPU, with one entry per run (`None`: the run did
/// not use it).
#[derive(Clone, Debug)]
pub struct CpuGroup {
    /// OS CPU number.
    pub cpu: u32,
    /// Per run, in the order of the run labels.
    pub runs: Vec<Option<CpuUse>>,
}

/// Draws the busy share of `cpus` into `files`; `runs` are the run labels.
pub fn utilization(
    files: &PlotFiles,
    title: &str,
    cpus: &[CpuGroup],
    runs: &[String],
) -> Result<(), ReportError> {
    layout::render(files, HEIGHT, &Plot { title, cpus, runs })
}

struct Plot<'a> {
    title: &'a str,
    cpus: &'a [CpuGroup],
    runs: &'a [String],
}

/// The chart the bars stand on: groups on x, a share of the run on y.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Scale<f64>, Scale<f64>>>;

impl Draw for Plot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let key = layout::run_key(self.runs);
        let area = frame(root, self.title, &self.legend(), &key)?;
        let n_runs = self.cpus.iter().map(|c| c.runs.len()).max().unwrap_or(1);
        let chart = self.chart(&area, n_runs)?;
        for (g, cpu) in self.cpus.iter().enumerate() {
            for (j, u) in cpu.runs.iter().enumerate() {
                let Some(u) = u else { continue };
                bar(root, &chart, layout::slot(g, j, n_runs), n_runs, u)?;
            }
        }
        let (_, y_range) = chart.plotting_area().get_pixel_range();
        let groups: Vec<(String, Option<String>)> = self
            .cpus
            .iter()
            .map(|c| (format!("CPU {}", c.cpu), None))
            .collect();
        layout::group_labels(root, y_range.end, &groups, n_runs, |x| {
            chart.backend_coord(&(x, 0.0)).0
        })
    }
}

impl Plot<'_> {
    /// Every CPU's use in every run that used it.
    fn uses(&self) -> impl Iterator<Item = &CpuUse> {
        self.cpus.iter().flat_map(|c| c.runs.iter().flatten())
    }

    /// The legend: the bar, and the demand line when some CPU has one.
    fn legend(&self) -> Vec<Entry> {
        let mut legend = vec![Entry::new(
            Glyph::Swatch(BAR),
            "measured: share of the run executing jobs",
        )];
        if self.uses().any(|u| u.demand.is_some()) {
            legend.push(Entry::new(
                Glyph::Line(INK),
                "worst-case demand: Σ WCET / period of its tasks",
            ));
        }
        legend
    }

    /// Lays out the chart on `area` and draws its axes: one group per CPU
    /// on x (room below for `n_runs` run numbers and the names), percent
    /// from 0 to a little above the largest share or demand (at least
    /// 100%) on y.
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        n_runs: usize,
    ) -> Result<Chart<'a, DB>, String> {
        let max = self
            .uses()
            .flat_map(|u| [u.busy_ratio, u.demand.unwrap_or(0.0)])
            .fold(1.0f64, f64::max);
        let top = max * 1.1;
        let per_mille = style::nice_step((top * 1000.0) as u64, 6, 100);
        let ticks: Vec<f64> = (0..)
            .map(|k: u64| (k * per_mille) as f64 / 1000.0)
            .take_while(|&f| f <= top)
            .collect();
        let groups = self.cpus.len().max(1) as f64;
        let mut chart = ChartBuilder::on(area)
            .margin_left(10)
            .margin_right(24)
            .margin_top(10)
            .x_label_area_size(layout::group_labels_height(n_runs, false))
            .y_label_area_size(76)
            .build_cartesian_2d(
                Scale::new(0.0..groups, Vec::new()),
                Scale::new(0.0..top, ticks),
            )
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc("CPU busy (% of the run)")
            .y_label_formatter(&|v| style::percent_tick(*v))
            .label_style((super::FONT, LABEL_SIZE))
            .axis_desc_style((super::FONT, AXIS_SIZE))
            .bold_line_style(GRID)
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(fail)?;
        Ok(chart)
    }
}

/// Draws the bar of `u` at `(c, half)` (centre and half width, in x units;
/// one of `n_runs` in its group): the busy share, the demand as a black
/// line across it, and the share as a label at the bar's top (see
/// [`share_label`]).
fn bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart<'_, DB>,
    (c, half): (f64, f64),
    n_runs: usize,
    u: &CpuUse,
) -> Result<(), String> {
    let px = |x: f64, y: f64| chart.backend_coord(&(x, y));
    let (x0, yb) = px(c - half, 0.0);
    let (x1, yt) = px(c + half, u.busy_ratio);
    let (cx, _) = px(c, 0.0);
    let yt = yt.min(yb - 2);
    root.draw(&Rectangle::new([(x0, yt), (x1, yb)], BAR.filled()))
        .map_err(fail)?;
    root.draw(&Rectangle::new([(x0, yt), (x1, yb)], INK.stroke_width(1)))
        .map_err(fail)?;
    let demand_y = u.demand.map(|d| px(c, d).1);
    if let Some(dy) = demand_y {
        root.draw(&PathElement::new(
            vec![(x0 - 5, dy), (x1 + 5, dy)],
            INK.stroke_width(DEMAND_WIDTH),
        ))
        .map_err(fail)?;
    }
    let room = (px(c + 0.4 / n_runs as f64, 0.0).0 - cx) * 2;
    share_label(
        root,
        &format::percent(u.busy_ratio),
        (cx, yt, yb),
        room,
        demand_y,
    )
}

/// Width of the demand line, in pixels.
const DEMAND_WIDTH: u32 = 3;

/// Writes the busy share `label` of the bar at pixel column `x` from row
/// `top` down to `bottom`, in a slot `room` pixels wide: just above the
/// bar, where it reads as the bar's value; when the demand line (pixel row
/// `demand`) would cross it there, inside the bar under its top (a label
/// above the line would read as the demand's value), or, on a bar too short
/// to hold it, above the line.
fn share_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    label: &str,
    (x, top, bottom): (i32, i32, i32),
    room: i32,
    demand: Option<i32>,
) -> Result<(), String> {
    let (w, h) = root
        .estimate_text_size(
            label,
            &TextStyle::from((super::FONT, SMALL_SIZE).into_font()),
        )
        .map_err(fail)?;
    let upright = i32::try_from(w).unwrap_or(i32::MAX) + 2 > room;
    // How far the label reaches along y: its height, or its width turned.
    let reach = i32::try_from(if upright { w } else { h }).unwrap_or(i32::MAX);
    // Above the bar, `bar_label` puts the label within `top - 4 - reach`
    // to `top - 3`; the line is clear of it by 2 pixels or more.
    let clear = |line: i32| {
        let half = DEMAND_WIDTH as i32 / 2 + 2;
        line + half < top - 4 - reach || line - half > top - 3
    };
    match demand {
        Some(line) if !clear(line) && bottom - top >= reach + 8 => {
            let style = if upright {
                style::text(SMALL_SIZE, INK, HPos::Right, VPos::Center)
                    .transform(FontTransform::Rotate270)
            } else {
                style::text(SMALL_SIZE, INK, HPos::Center, VPos::Top)
            };
            root.draw(&Text::new(label.to_string(), (x, top + 5), style))
                .map_err(fail)
        }
        Some(line) if !clear(line) => {
            layout::bar_label(root, label, (x, top.min(line - 2)), room, INK)
        }
        _ => layout::bar_label(root, label, (x, top), room, INK),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot::layout::recorder::Bounds;
    use std::fs;

    #[test]
    fn draws_png_and_svg_with_labels() {
        let dir = tempfile::tempdir().unwrap();
        let runs = vec![
            "two-cores · simulation".to_string(),
            "two-cores · live".into(),
        ];
        let cpus = vec![
            CpuGroup {
                cpu: 0,
                runs: vec![
                    Some(CpuUse {
                        busy_ratio: 0.9525,
                        demand: Some(0.952),
                    }),
                    Some(CpuUse {
                        busy_ratio: 0.96,
                        demand: Some(0.952),
                    }),
                ],
            },
            CpuGroup {
                cpu: 1,
                runs: vec![
                    Some(CpuUse {
                        busy_ratio: 0.2,
                        demand: Some(0.3),
                    }),
                    None,
                ],
            },
        ];
        let files = PlotFiles::new(dir.path(), "utilization");
        utilization(&files, "CPU utilization", &cpus, &runs).unwrap();
        let png = fs::read(&files.png).unwrap();
        assert!(png.len() > 5_000 && &png[1..4] == b"PNG");
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "CPU 0",
            "CPU 1",
            "95.2%",
            "20.0%",
            "CPU busy (% of the run)",
            "two-cores · live",
        ] {
            assert!(svg.contains(text), "{text}");
        }
    }

    /// Every share label of `cpus` drawn at `runs` runs: its box, and the
    /// bar (box) and demand line (row) it belongs to.
    fn labels(cpus: &[CpuGroup], runs: usize) -> Vec<(String, Bounds, Bounds, Option<i32>)> {
        use crate::plot::layout::recorder::{self, Mark, Shape};
        let runs: Vec<String> = (0..runs).map(|i| format!("run {i}")).collect();
        let plot = Plot {
            title: "CPU utilization",
            cpus,
            runs: &runs,
        };
        let rec = recorder::draw("utilization", (style::WIDTH, HEIGHT), &plot).unwrap();
        assert!(rec.problems().is_empty(), "{:?}", rec.problems());
        let bars: Vec<Bounds> = rec
            .marks
            .iter()
            .filter_map(|m| match m {
                Mark::Shape {
                    shape: Shape::Area(b),
                    color,
                } if *color == (BAR.0, BAR.1, BAR.2) => Some(*b),
                _ => None,
            })
            .collect();
        let lines: Vec<(i32, i32, i32)> = rec
            .marks
            .iter()
            .filter_map(|m| match m {
                Mark::Shape {
                    shape: Shape::Segment { a, b, width },
                    ..
                } if *width == DEMAND_WIDTH => Some((a.0, b.0, a.1)),
                _ => None,
            })
            .collect();
        rec.texts()
            .filter(|(t, _)| t.contains('.') && t.ends_with('%'))
            .map(|(t, b)| {
                let x = (b.x0 + b.x1) / 2;
                let bar = *bars
                    .iter()
                    .find(|bar| bar.x0 <= x && x <= bar.x1)
                    .expect("a label over a bar");
                let line = lines.iter().find(|l| l.0 <= x && x <= l.1).map(|l| l.2);
                (t.to_string(), b, bar, line)
            })
            .collect()
    }

    fn cpu(cpu: u32, uses: &[(f64, f64)]) -> CpuGroup {
        CpuGroup {
            cpu,
            runs: uses
                .iter()
                .map(|&(busy_ratio, demand)| {
                    Some(CpuUse {
                        busy_ratio,
                        demand: Some(demand),
                    })
                })
                .collect(),
        }
    }

    #[test]
    fn share_labels_sit_at_their_bar_top_clear_of_the_demand_line() {
        // The demand far above, just above, at, just below and far below
        // the bar's top, and over a short bar; three runs (labels read
        // across) and eight (labels turned upright).
        let uses = [
            (0.31, 0.57),
            (0.5, 0.52),
            (0.6, 0.6),
            (0.7, 0.69),
            (0.84, 0.57),
            (0.02, 0.03),
        ];
        for runs in [3, 8] {
            let cpus: Vec<CpuGroup> = uses
                .chunks(2)
                .enumerate()
                .map(|(i, pair)| {
                    let mut all = pair.to_vec();
                    all.resize(runs, pair[0]);
                    cpu(i as u32, &all)
                })
                .collect();
            let labels = labels(&cpus, runs);
            assert_eq!(labels.len(), 3 * runs);
            for (text, b, bar, line) in labels {
                let line = line.expect("a demand line");
                let half = DEMAND_WIDTH as i32 / 2;
                assert!(
                    line + half < b.y0 || line - half > b.y1,
                    "{text} {b} crosses the demand line at {line}"
                );
                // Short bars aside, the label touches its bar's top, from
                // above or from inside.
                if bar.y1 - bar.y0 > 60 {
                    let gap = if b.y1 <= bar.y0 {
                        bar.y0 - b.y1
                    } else {
                        b.y0 - bar.y0
                    };
                    assert!((0..=5).contains(&gap), "{text} {b}, bar {bar}");
                }
            }
        }
    }

    #[test]
    fn a_share_label_is_never_just_above_a_demand_line_over_its_bar() {
        // 31% busy against a 33% demand: above the line the label would
        // read as the demand's value; it goes inside the bar.
        let labels = labels(&[cpu(1, &[(0.31, 0.33)])], 1);
        let (_, b, bar, _) = &labels[0];
        assert!(b.y0 >= bar.y0 && b.y1 <= bar.y1, "{b} not inside {bar}");
    }
}
