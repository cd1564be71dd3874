//! A sweep document on the terminal and on disk: the acceptance table and
//! the files (`sweep.json`, `sweep.csv`, the acceptance and breakdown
//! plots). Shared by `sweep` and `merge`.

use std::path::{Path, PathBuf};

use rtlab_reports::plot::PlotFiles;
use rtlab_reports::plot::sweep::{self as plot, Bound, BreakdownCurve, SweepPoint};
use rtlab_sim::sweep::Sweep;
use rtlab_tasks::analysis::utilization::liu_layland_bound;

use super::error::CliError;
use super::output::write_atomic;

/// Writes `<stem>.json`, `<stem>.csv`, the acceptance plot `<stem>.png` /
/// `.svg` and, with breakdown rows, `breakdown.png` / `.svg` (or
/// `<stem>-breakdown.*` for another stem) into `dir`. Returns the paths.
pub(super) fn write_files(dir: &Path, stem: &str, doc: &Sweep) -> Result<Vec<PathBuf>, CliError> {
    let json = dir.join(format!("{stem}.json"));
    write_atomic(&json, doc.json().as_bytes())?;
    let csv = dir.join(format!("{stem}.csv"));
    write_atomic(&csv, doc.csv().as_bytes())?;
    let mut written = vec![json, csv];
    let points: Vec<SweepPoint> = doc
        .points
        .iter()
        .filter_map(|p| {
            p.ratio.map(|ratio| SweepPoint {
                utilization: p.utilization,
                test: p.test.clone(),
                ratio,
            })
        })
        .collect();
    let params = &doc.parameters;
    let title = format!(
        "n = {}, m = {}, {}, {}, {} sets per point",
        params.tasks, params.cpus, params.generator, params.periods, params.sets
    );
    // The Liu & Layland bound of n tasks on one CPU (no such line for m > 1).
    let bound = (params.cpus == 1).then(|| {
        let b = liu_layland_bound(params.tasks);
        Bound {
            utilization: b,
            label: format!("Liu & Layland bound n(2^(1/n) - 1) = {b:.3}"),
        }
    });
    let files = PlotFiles::new(dir, stem);
    plot::acceptance(&files, &points, bound.as_ref(), &title)?;
    written.extend([files.png, files.svg]);
    if !doc.breakdown.is_empty() {
        let curves: Vec<BreakdownCurve> = doc
            .breakdown
            .iter()
            .filter_map(|b| {
                let mean = b.mean?;
                // A step from 0 at the first bin's lower edge, then the
                // fraction at or below each bin's upper edge.
                let mut seen = 0;
                let start = b
                    .histogram
                    .first()
                    .map(|&[bin, _]| (bin as f64 * 1e-4, 0.0));
                let cdf = start
                    .into_iter()
                    .chain(b.histogram.iter().map(|&[bin, count]| {
                        seen += count;
                        ((bin + 1) as f64 * 1e-4, seen as f64 / b.sets as f64)
                    }))
                    .collect();
                Some(BreakdownCurve {
                    test: b.test.clone(),
                    mean,
                    cdf,
                })
            })
            .collect();
        let stem = if stem == "sweep" {
            "breakdown".to_string()
        } else {
            format!("{stem}-breakdown")
        };
        let files = PlotFiles::new(dir, &stem);
        plot::breakdown(&files, &curves, &format!("Breakdown utilization, {title}"))?;
        written.extend([files.png, files.svg]);
    }
    Ok(written)
}

/// The human table: acceptance ratio per utilization (rows) and test
/// (columns), then the breakdown statistics.
pub(super) fn table(doc: &Sweep) -> String {
    let tests = &doc.parameters.tests;
    let mut out = format!(
        "sweep: {} tasks, {} cpu(s), {}, periods {}, {} deadlines, seed {}{}\n",
        doc.parameters.tasks,
        doc.parameters.cpus,
        doc.parameters.generator,
        doc.parameters.periods,
        doc.parameters.deadlines,
        doc.parameters.seed,
        if doc.complete {
            String::new()
        } else {
            format!(", shard(s) {:?} of {}", doc.shard.indices, doc.shard.count)
        }
    );
    if tests.iter().any(|t| t.starts_with("sim-")) {
        out.push_str(&format!(
            "simulated horizon: {}\n",
            doc.parameters.sim_horizon
        ));
    }
    out.push_str(&format!("{:>11} {:>6}", "utilization", "sets"));
    for t in tests {
        out.push_str(&format!(" {t:>11}"));
    }
    out.push('\n');
    for row in doc.points.chunks(tests.len().max(1)) {
        let Some(first) = row.first() else { continue };
        out.push_str(&format!("{:>11} {:>6}", first.utilization, first.sets));
        for p in row {
            let cell = p
                .ratio
                .map_or_else(|| "-".to_string(), |r| format!("{r:.3}"));
            out.push_str(&format!(" {cell:>11}"));
        }
        out.push('\n');
    }
    if !doc.breakdown.is_empty() {
        out.push_str("breakdown utilization (mean, p5 / p50 / p95):\n");
        let f = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"));
        for b in &doc.breakdown {
            out.push_str(&format!(
                "  {:<11} {} sets: {}  ({} / {} / {})\n",
                b.test,
                b.sets,
                f(b.mean),
                f(b.p5),
                f(b.p50),
                f(b.p95)
            ));
        }
    }
    out
}
