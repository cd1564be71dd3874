//! Sweep charts: the acceptance ratio of each test against utilization
//! (`sweep.png`), and the distribution of breakdown utilizations
//! (`breakdown.png`).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FONT, PlotFiles, style};
use crate::ReportError;

/// Image size in pixels (width, height).
const SIZE: (u32, u32) = (960, 600);

/// One point of an acceptance curve.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// Total utilization of the sets (x).
    pub utilization: f64,
    /// The test (one line per test, in order of first appearance).
    pub test: String,
    /// Fraction of the sets the test accepted, in `[0, 1]` (y).
    pub ratio: f64,
}

/// The distribution of one test's breakdown utilizations.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakdownCurve {
    /// The test.
    pub test: String,
    /// Mean breakdown utilization (shown in the legend).
    pub mean: f64,
    /// `(utilization, fraction of sets with a breakdown utilization <= it)`,
    /// increasing.
    pub cdf: Vec<(f64, f64)>,
}

/// A vertical reference line on the acceptance chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    /// Where (utilization).
    pub utilization: f64,
    /// The legend text.
    pub label: String,
}

/// Draws the acceptance ratio against utilization, one line per test, with
/// an optional reference line (the Liu & Layland bound), into `files`.
pub fn acceptance(
    files: &PlotFiles,
    points: &[SweepPoint],
    bound: Option<&Bound>,
    title: &str,
) -> Result<(), ReportError> {
    let lines = group(points);
    let (mut lo, mut hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.utilization), hi.max(p.utilization))
    });
    if let Some(b) = bound {
        lo = lo.min(b.utilization);
        hi = hi.max(b.utilization);
    }
    // Also true for NaN bounds (no points).
    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        let mid = if lo.is_finite() { lo } else { 0.5 };
        (lo, hi) = (mid - 0.05, mid + 0.05);
    }
    let pad = (hi - lo) * 0.02;
    let x = (lo - pad)..(hi + pad);
    let axes = ("total utilization", "acceptance ratio");
    render(
        files,
        |root| line_chart(root, title, x.clone(), axes, &lines, bound),
        |root| line_chart(root, title, x.clone(), axes, &lines, bound),
    )
}

/// Draws the cumulative distribution of each test's breakdown utilization
/// into `files`.
pub fn breakdown(
    files: &PlotFiles,
    curves: &[BreakdownCurve],
    title: &str,
) -> Result<(), ReportError> {
    let lines: Vec<(String, Vec<(f64, f64)>)> = curves
        .iter()
        .map(|c| (format!("{} (mean {:.3})", c.test, c.mean), c.cdf.clone()))
        .collect();
    let (lo, hi) = curves
        .iter()
        .flat_map(|c| c.cdf.iter().map(|p| p.0))
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo < hi { (lo, hi) } else { (0.0, 1.0) };
    let pad = (hi - lo) * 0.02;
    let x = (lo - pad)..(hi + pad);
    let axes = ("breakdown utilization", "fraction of task sets");
    render(
        files,
        |root| line_chart(root, title, x.clone(), axes, &lines, None),
        |root| line_chart(root, title, x.clone(), axes, &lines, None),
    )
}

/// The points of each test, in order of first appearance, sorted by x.
fn group(points: &[SweepPoint]) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut lines: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for p in points {
        match lines.iter_mut().find(|(t, _)| *t == p.test) {
            Some((_, v)) => v.push((p.utilization, p.ratio)),
            None => lines.push((p.test.clone(), vec![(p.utilization, p.ratio)])),
        }
    }
    for (_, v) in &mut lines {
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    lines
}

/// Writes the chart's files at [`SIZE`] (every plot's writer).
fn render<P, S>(files: &PlotFiles, png: P, svg: S) -> Result<(), ReportError>
where
    P: FnOnce(DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
    S: FnOnce(DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
{
    style::write_files(files, SIZE, png, svg)
}

/// A line chart with y in `[0, 1]`, a legend, and an optional vertical
/// reference line.
fn line_chart<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    title: &str,
    x: std::ops::Range<f64>,
    (x_desc, y_desc): (&str, &str),
    lines: &[(String, Vec<(f64, f64)>)],
    bound: Option<&Bound>,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, (FONT, 22))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(60)
        .build_cartesian_2d(x, 0.0..1.04)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 17))
        .draw()
        .map_err(e)?;
    for (i, (label, points)) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(e)?
            .label(label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2))
            });
        // Markers only where they stay readable (a few dozen points).
        if points.len() <= 60 {
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(e)?;
        }
    }
    if let Some(b) = bound {
        let gray = RGBColor(90, 90, 90);
        chart
            .draw_series(LineSeries::new(
                [(b.utilization, 0.0), (b.utilization, 1.04)],
                gray.stroke_width(1),
            ))
            .map_err(e)?
            .label(b.label.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], gray.stroke_width(1))
            });
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn both_charts_are_written_as_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let points: Vec<SweepPoint> = [0.6, 0.7, 0.8, 0.9]
            .iter()
            .flat_map(|&u| {
                [
                    SweepPoint {
                        utilization: u,
                        test: "rta".into(),
                        ratio: 1.0 - (u - 0.6),
                    },
                    SweepPoint {
                        utilization: u,
                        test: "liu-layland".into(),
                        ratio: if u < 0.75 { 1.0 } else { 0.0 },
                    },
                ]
            })
            .collect();
        let files = PlotFiles::new(dir.path(), "sweep");
        let bound = Bound {
            utilization: 0.743,
            label: "Liu & Layland bound".into(),
        };
        acceptance(&files, &points, Some(&bound), "n = 5").unwrap();
        let png = fs::read(&files.png).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(svg.contains("liu-layland") && svg.contains("acceptance ratio"));
        let curves = vec![BreakdownCurve {
            test: "rta".into(),
            mean: 0.88,
            cdf: vec![(0.8, 0.1), (0.88, 0.5), (0.95, 1.0)],
        }];
        let files = PlotFiles::new(dir.path(), "breakdown");
        breakdown(&files, &curves, "breakdown").unwrap();
        assert!(
            fs::read_to_string(&files.svg)
                .unwrap()
                .contains("mean 0.880")
        );
        // Only the four files: no temporary left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 4);
    }
}
