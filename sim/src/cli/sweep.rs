//! `rtlab sweep`: random task sets, acceptance ratios against utilization,
//! breakdown utilizations; `sweep.json`, `sweep.csv`, `sweep.png` (and
//! `breakdown.png`) in `--out`, by default `rtlab-out/sweep/`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use rtlab_reports::plot::PlotFiles;
use rtlab_reports::plot::sweep::{self as plot, Bound, BreakdownCurve, SweepPoint};
use rtlab_tasks::analysis::utilization::liu_layland_bound;
use rtlab_tasks::generate::{Deadlines, Generator, Periods};
use rtlab_tasks::time::Duration;

use super::{CliError, Exit, print, write_atomic};
use crate::sweep::{self, Grid, Plan, Shard, Sweep, SweepError, Test};

/// The arguments of `rtlab sweep`.
#[derive(Debug, Clone, clap::Args)]
pub struct SweepArgs {
    /// Tasks per set.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub tasks: usize,
    /// Identical CPUs (> 1: partitioned tests after worst-fit decreasing
    /// placement; global-rta and gfb are global).
    #[arg(long, default_value_t = 1, value_name = "M")]
    pub cpus: u32,
    /// Total utilizations, FROM:TO:STEP (of the whole platform), or one value.
    #[arg(long, default_value = "0.5:1:0.05", value_name = "FROM:TO:STEP", value_parser = parse_grid)]
    pub util: Grid,
    /// Task sets per utilization point (and for the breakdown).
    #[arg(long, default_value_t = 1000, value_name = "K")]
    pub sets: u64,
    /// Period distribution: log-uniform:MIN:MAX, uniform:MIN:MAX or set:P1,P2,...
    #[arg(long, default_value = "log-uniform:1ms:1000ms", value_name = "DIST", value_parser = parse_periods)]
    pub periods: Periods,
    /// Round periods down to multiples of this (e.g. 1ms; default 1ns: none).
    #[arg(long, default_value = "1ns", value_name = "DURATION", value_parser = super::parse_duration)]
    pub grain: Duration,
    /// Utilization generator: uunifast, uunifast-discard or randfixedsum.
    #[arg(long, default_value = "uunifast", value_name = "NAME", value_parser = parse_generator)]
    pub generator: Generator,
    /// Deadlines: implicit (D = T) or constrained (D uniform in [C, T]).
    #[arg(long, default_value = "implicit", value_name = "KIND", value_parser = parse_deadlines)]
    pub deadlines: Deadlines,
    /// Tests, comma-separated: liu-layland, hyperbolic, rta, edf-demand,
    /// sim-fp, sim-edf, global-rta, gfb.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "liu-layland,hyperbolic,rta,edf-demand",
        value_name = "TESTS",
        value_parser = parse_test
    )]
    pub tests: Vec<Test>,
    /// Also find each test's breakdown utilization (scaling execution times).
    #[arg(long)]
    pub breakdown: bool,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1, value_name = "S")]
    pub seed: u64,
    /// Run only part I of N of the sets (merge the parts with `rtlab merge`).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Longest simulated time of the sim-* tests (default: the hyperperiod,
    /// at most 10 times the set's longest period).
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration)]
    pub sim_horizon: Option<Duration>,
    /// Output directory (default: rtlab-out/sweep).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the rtlab.sweep/v1 document instead of the table.
    #[arg(long)]
    pub json: bool,
}

fn parse_grid(s: &str) -> Result<Grid, String> {
    s.parse()
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    s.parse()
}

fn parse_periods(s: &str) -> Result<Periods, String> {
    s.parse::<Periods>().map_err(|e| e.to_string())
}

fn parse_generator(s: &str) -> Result<Generator, String> {
    s.parse::<Generator>().map_err(|e| e.to_string())
}

fn parse_deadlines(s: &str) -> Result<Deadlines, String> {
    s.parse::<Deadlines>().map_err(|e| e.to_string())
}

fn parse_test(s: &str) -> Result<Test, String> {
    Test::parse(s.trim()).ok_or_else(|| {
        let names: Vec<&str> = Test::ALL.iter().map(|t| t.as_str()).collect();
        format!("unknown test `{s}`; expected one of {}", names.join(", "))
    })
}

impl SweepArgs {
    /// The sweep these arguments ask for.
    fn plan(&self) -> Plan {
        let mut tests = Vec::new();
        for t in &self.tests {
            if !tests.contains(t) {
                tests.push(*t);
            }
        }
        Plan {
            tasks: self.tasks,
            cpus: self.cpus,
            utilization: self.util,
            sets: self.sets,
            generator: self.generator,
            periods: self.periods.clone(),
            grain: self.grain,
            deadlines: self.deadlines,
            tests,
            breakdown: self.breakdown,
            seed: self.seed,
            shard: self.shard.unwrap_or(Shard::WHOLE),
            sim_horizon: self.sim_horizon,
        }
    }
}

impl From<SweepError> for CliError {
    fn from(e: SweepError) -> Self {
        CliError::Usage(e.to_string())
    }
}

/// Runs the sweep, writes its files, prints the table or the document.
pub(super) fn run(args: &SweepArgs) -> Result<Exit, CliError> {
    let plan = args.plan();
    plan.validate()?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("rtlab-out").join("sweep"));
    std::fs::create_dir_all(&dir).map_err(|source| CliError::Io {
        path: dir.clone(),
        source,
    })?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(sweep::work(&plan));
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} sweep [{elapsed_precise}] {wide_bar} {pos}/{len} sets ({per_sec}, eta {eta})",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let result = sweep::run(&plan, &|n| bar.inc(n));
    bar.finish_and_clear();
    let doc = result?;
    let written = write_files(&dir, "sweep", &doc)?;
    if args.json {
        print(&doc.json())?;
    } else {
        let mut text = table(&doc);
        for path in written {
            text.push_str(&format!("wrote {}\n", path.display()));
        }
        print(&text)?;
    }
    Ok(Exit::Success)
}

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
