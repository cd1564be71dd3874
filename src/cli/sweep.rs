//! `rtlab sweep`: random task sets, acceptance ratios against utilization,
//! breakdown utilizations; `sweep.json`, `sweep.csv`, `sweep.png` (and
//! `breakdown.png`) in `--out`, by default `rtlab-out/sweep/`.

use std::io::IsTerminal;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use rtlab_sim::sweep::{self, Grid, Plan, Shard, SweepError, Test};
use rtlab_tasks::generate::{Deadlines, Generator, Periods};
use rtlab_tasks::time::Duration;

use super::error::{CliError, Exit};
use super::input::parse_duration;
use super::output::print;
use super::sweep_output::{table, write_files};

/// The arguments of `rtlab sweep`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct SweepArgs {
    /// Tasks per set.
    #[arg(long, default_value_t = 10, value_name = "N")]
    tasks: usize,
    /// Identical CPUs (> 1: partitioned tests after worst-fit decreasing
    /// placement; global-rta and gfb are global).
    #[arg(long, default_value_t = 1, value_name = "M")]
    cpus: u32,
    /// Total utilizations, FROM:TO:STEP (of the whole platform), or one value.
    #[arg(long, default_value = "0.5:1:0.05", value_name = "FROM:TO:STEP", value_parser = parse_grid)]
    util: Grid,
    /// Task sets per utilization point (and for the breakdown).
    #[arg(long, default_value_t = 1000, value_name = "K")]
    sets: u64,
    /// Period distribution: log-uniform:MIN:MAX, uniform:MIN:MAX or set:P1,P2,...
    #[arg(long, default_value = "log-uniform:1ms:1000ms", value_name = "DIST", value_parser = parse_periods)]
    periods: Periods,
    /// Round periods down to multiples of this (e.g. 1ms; default 1ns: none).
    #[arg(long, default_value = "1ns", value_name = "DURATION", value_parser = parse_duration)]
    grain: Duration,
    /// Utilization generator: uunifast, uunifast-discard or randfixedsum.
    #[arg(long, default_value = "uunifast", value_name = "NAME", value_parser = parse_generator)]
    generator: Generator,
    /// Deadlines: implicit (D = T) or constrained (D uniform in [C, T]).
    #[arg(long, default_value = "implicit", value_name = "KIND", value_parser = parse_deadlines)]
    deadlines: Deadlines,
    /// Tests, comma-separated: liu-layland, hyperbolic, rta, edf-demand,
    /// sim-fp, sim-edf, global-rta, gfb.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "liu-layland,hyperbolic,rta,edf-demand",
        value_name = "TESTS",
        value_parser = parse_test
    )]
    tests: Vec<Test>,
    /// Also find each test's breakdown utilization (scaling execution times).
    #[arg(long)]
    breakdown: bool,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// Run only part I of N of the sets (merge the parts with `rtlab merge`).
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Longest simulated time of the sim-* tests (default: the hyperperiod,
    /// at most 10 times the set's longest period).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    sim_horizon: Option<Duration>,
    /// Output directory (default: rtlab-out/sweep).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Print the rtlab.sweep/v1 document instead of the table.
    #[arg(long)]
    json: bool,
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
