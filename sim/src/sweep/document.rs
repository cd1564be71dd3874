//! The `rtlab.sweep/v1` document: parameters, acceptance counts per point
//! and test, breakdown utilizations per test; adding shards up.

use serde::{Deserialize, Serialize};

use super::check::{SIM_HORIZON_PERIODS, Verdict};
use super::{Plan, Test};

/// The schema tag of `sweep.json`.
pub const SWEEP_SCHEMA: &str = "rtlab.sweep/v1";

/// Width of a breakdown histogram bin, in billionths (0.0001).
const BIN_PPB: u64 = 100_000;

/// What a sweep computed: two shards with equal parameters belong to the
/// same sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// Tasks per set.
    pub tasks: usize,
    /// Identical CPUs.
    pub cpus: u32,
    /// The utilization grid, `FROM:TO:STEP`.
    pub util: String,
    /// Sets per point, the whole sweep.
    pub sets: u64,
    /// The utilization generator.
    pub generator: String,
    /// The period distribution, e.g. `log-uniform:1ms:1s`.
    pub periods: String,
    /// Periods are multiples of this duration.
    pub grain: String,
    /// `implicit` or `constrained`.
    pub deadlines: String,
    /// The tests, in order.
    pub tests: Vec<String>,
    /// Whether breakdown utilizations were computed.
    pub with_breakdown: bool,
    /// The seed.
    pub seed: u64,
    /// How multiprocessor sets are placed.
    pub placement: String,
    /// The simulated horizon of the `sim-*` tests.
    pub sim_horizon: String,
    /// The rtlab version (the generators must match to merge).
    pub rtlab_version: String,
}

/// Which shards a document covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSet {
    /// Into how many shards the sweep was cut (1 once every shard is in).
    pub count: u32,
    /// The shards included, 1-based, increasing.
    pub indices: Vec<u32>,
}

/// One row of `points`: a test at one utilization.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Target total utilization of the sets.
    pub utilization: f64,
    /// The test's name.
    pub test: String,
    /// Sets drawn.
    pub sets: u64,
    /// Sets the test accepted.
    pub schedulable: u64,
    /// `schedulable / sets` (`null` without sets).
    pub ratio: Option<f64>,
    /// Sets the test could not decide (counted as not accepted).
    pub undecided: u64,
}

/// One row of `breakdown`: a test's breakdown utilization over the sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakdownRow {
    /// The test's name.
    pub test: String,
    /// Sets.
    pub sets: u64,
    /// Mean breakdown utilization (`null` without sets).
    pub mean: Option<f64>,
    /// 5th percentile (histogram bin midpoint, ±0.00005).
    pub p5: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// Exact sum of the breakdown utilizations, in billionths (for merging).
    pub sum_ppb: u64,
    /// `[bin, count]` pairs, bin `b` holding utilizations in `[b, b + 1) *
    /// 0.0001`, increasing (for merging and percentiles).
    pub histogram: Vec<[u64; 2]>,
}

/// `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// Always [`SWEEP_SCHEMA`].
    pub schema: String,
    /// What was computed.
    #[serde(flatten)]
    pub parameters: Parameters,
    /// Which shards are in.
    pub shard: ShardSet,
    /// True when every shard is in.
    pub complete: bool,
    /// Per utilization, per test (tests in order).
    pub points: Vec<Point>,
    /// Per test, when breakdown utilizations were asked for.
    pub breakdown: Vec<BreakdownRow>,
}

/// Why documents cannot be merged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// Another schema, or not a sweep.
    #[error("not an rtlab.sweep/v1 document")]
    Schema,
    /// A parameter differs: another sweep.
    #[error("belongs to another sweep: {field} is {theirs}, not {ours}")]
    Parameter {
        /// The parameter.
        field: &'static str,
        /// Its value in the first document.
        ours: String,
        /// Its value in this one.
        theirs: String,
    },
    /// Cut into another number of shards.
    #[error("was cut into {theirs} shards, not {ours}")]
    ShardCount {
        /// The first document's count.
        ours: u32,
        /// This one's.
        theirs: u32,
    },
    /// A shard already merged.
    #[error("repeats shard {0}")]
    Overlap(u32),
    /// The rows do not line up (a hand-edited file).
    #[error("its points or breakdown rows do not match the first document's")]
    Rows,
}

impl Parameters {
    /// The parameters of `plan`.
    pub fn of(plan: &Plan) -> Parameters {
        Parameters {
            tasks: plan.tasks,
            cpus: plan.cpus,
            util: plan.utilization.to_string(),
            sets: plan.sets,
            generator: plan.generator.as_str().to_string(),
            periods: plan.periods.to_string(),
            grain: plan.grain.to_string(),
            deadlines: plan.deadlines.as_str().to_string(),
            tests: plan.tests.iter().map(|t| t.as_str().to_string()).collect(),
            with_breakdown: plan.breakdown,
            seed: plan.seed,
            placement: if plan.cpus <= 1 {
                "uniprocessor".to_string()
            } else {
                "partitioned tests: worst-fit decreasing utilization; global-rta, gfb: global"
                    .to_string()
            },
            sim_horizon: match plan.sim_horizon {
                Some(d) => format!("min(hyperperiod, {d})"),
                None => {
                    format!("min(hyperperiod, {SIM_HORIZON_PERIODS} x the set's longest period)")
                }
            },
            rtlab_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// The first parameter that differs from `other`'s.
    fn differs(&self, other: &Parameters) -> Option<(&'static str, String, String)> {
        let a = serde_json::to_value(self).ok()?;
        let b = serde_json::to_value(other).ok()?;
        let fields: [&'static str; 14] = [
            "tasks",
            "cpus",
            "util",
            "sets",
            "generator",
            "periods",
            "grain",
            "deadlines",
            "tests",
            "with_breakdown",
            "seed",
            "placement",
            "sim_horizon",
            "rtlab_version",
        ];
        fields
            .into_iter()
            .find(|f| a.get(f) != b.get(f))
            .map(|f| (f, show(a.get(f)), show(b.get(f))))
    }
}

fn show(v: Option<&serde_json::Value>) -> String {
    v.map_or_else(|| "missing".to_string(), serde_json::Value::to_string)
}

impl BreakdownRow {
    fn empty(test: Test) -> BreakdownRow {
        BreakdownRow {
            test: test.as_str().to_string(),
            sets: 0,
            mean: None,
            p5: None,
            p50: None,
            p95: None,
            sum_ppb: 0,
            histogram: Vec::new(),
        }
    }

    fn add_bin(&mut self, bin: u64, count: u64) {
        match self.histogram.binary_search_by_key(&bin, |b| b[0]) {
            Ok(i) => self.histogram[i][1] += count,
            Err(i) => self.histogram.insert(i, [bin, count]),
        }
    }

    /// The value below which a fraction `q` of the sets lie (nearest rank),
    /// as the midpoint of its bin.
    fn quantile(&self, q: f64) -> Option<f64> {
        if self.sets == 0 {
            return None;
        }
        let rank = ((q * self.sets as f64).ceil() as u64).clamp(1, self.sets);
        let mut seen = 0;
        for &[bin, count] in &self.histogram {
            seen += count;
            if seen >= rank {
                return Some(((bin * BIN_PPB + BIN_PPB / 2) as f64 / 1e9 * 1e5).round() / 1e5);
            }
        }
        None
    }

    fn finish(&mut self) {
        self.mean = (self.sets > 0).then(|| self.sum_ppb as f64 / self.sets as f64 / 1e9);
        self.p5 = self.quantile(0.05);
        self.p50 = self.quantile(0.50);
        self.p95 = self.quantile(0.95);
    }
}

impl Sweep {
    /// A document with every count at zero.
    pub(super) fn empty(plan: &Plan, points: &[u64]) -> Sweep {
        let mut rows = Vec::with_capacity(points.len() * plan.tests.len());
        for &micros in points {
            for t in &plan.tests {
                rows.push(Point {
                    utilization: micros as f64 / 1e6,
                    test: t.as_str().to_string(),
                    sets: 0,
                    schedulable: 0,
                    ratio: None,
                    undecided: 0,
                });
            }
        }
        let complete = plan.shard.count == 1;
        Sweep {
            schema: SWEEP_SCHEMA.to_string(),
            parameters: Parameters::of(plan),
            shard: ShardSet {
                count: plan.shard.count,
                indices: vec![plan.shard.index],
            },
            complete,
            points: rows,
            breakdown: if plan.breakdown {
                plan.tests.iter().map(|&t| BreakdownRow::empty(t)).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Adds one set's verdicts (one per test, in order) at point `point`.
    pub(super) fn add_verdicts(&mut self, point: usize, verdicts: &[Verdict]) {
        let n = verdicts.len();
        for (row, v) in self.points[point * n..(point + 1) * n]
            .iter_mut()
            .zip(verdicts)
        {
            row.sets += 1;
            match v {
                Verdict::Schedulable => row.schedulable += 1,
                Verdict::NotSchedulable => {}
                Verdict::Undecided => row.undecided += 1,
            }
        }
    }

    /// Adds one set's breakdown utilizations (billionths, one per test).
    pub(super) fn add_breakdown(&mut self, ppb: &[u64]) {
        for (row, &v) in self.breakdown.iter_mut().zip(ppb) {
            row.sets += 1;
            row.sum_ppb = row.sum_ppb.saturating_add(v);
            row.add_bin(v / BIN_PPB, 1);
        }
    }

    /// Computes the ratios, means and percentiles from the counts.
    pub(super) fn finish(&mut self) {
        for p in &mut self.points {
            p.ratio = (p.sets > 0).then(|| p.schedulable as f64 / p.sets as f64);
        }
        for b in &mut self.breakdown {
            b.finish();
        }
        if self.complete {
            self.shard = ShardSet {
                count: 1,
                indices: vec![1],
            };
        }
    }

    /// Adds the shard `other` to this one: counts, sums and histograms add.
    /// Refuses another sweep (a parameter differs), another cut, or a
    /// shard already in. When every shard is in, the document is exactly
    /// the unsharded one.
    pub fn merge(&mut self, other: &Sweep) -> Result<(), MergeError> {
        if other.schema != SWEEP_SCHEMA {
            return Err(MergeError::Schema);
        }
        if let Some((field, ours, theirs)) = self.parameters.differs(&other.parameters) {
            return Err(MergeError::Parameter {
                field,
                ours,
                theirs,
            });
        }
        if self.shard.count != other.shard.count {
            return Err(MergeError::ShardCount {
                ours: self.shard.count,
                theirs: other.shard.count,
            });
        }
        if let Some(&i) = other
            .shard
            .indices
            .iter()
            .find(|i| self.shard.indices.contains(i))
        {
            return Err(MergeError::Overlap(i));
        }
        let rows_match = self.points.len() == other.points.len()
            && self.breakdown.len() == other.breakdown.len()
            && self
                .points
                .iter()
                .zip(&other.points)
                .all(|(a, b)| a.test == b.test && a.utilization == b.utilization)
            && self
                .breakdown
                .iter()
                .zip(&other.breakdown)
                .all(|(a, b)| a.test == b.test);
        if !rows_match {
            return Err(MergeError::Rows);
        }
        for (a, b) in self.points.iter_mut().zip(&other.points) {
            a.sets += b.sets;
            a.schedulable += b.schedulable;
            a.undecided += b.undecided;
        }
        for (a, b) in self.breakdown.iter_mut().zip(&other.breakdown) {
            a.sets += b.sets;
            a.sum_ppb = a.sum_ppb.saturating_add(b.sum_ppb);
            for &[bin, count] in &b.histogram {
                a.add_bin(bin, count);
            }
        }
        self.shard.indices.extend(&other.shard.indices);
        self.shard.indices.sort_unstable();
        self.complete = self.shard.indices.len() as u32 == self.shard.count;
        self.finish();
        Ok(())
    }

    /// `sweep.csv`: one row per point and test.
    pub fn csv(&self) -> String {
        let mut out = String::from("utilization,test,sets,schedulable,ratio,undecided\n");
        for p in &self.points {
            let ratio = p.ratio.map_or_else(String::new, |r| format!("{r}"));
            out.push_str(&format!(
                "{},{},{},{},{},{}\n",
                p.utilization, p.test, p.sets, p.schedulable, ratio, p.undecided
            ));
        }
        out
    }

    /// Pretty JSON with a trailing newline (what `sweep.json` holds and
    /// `--json` prints).
    pub fn json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string());
        s.push('\n');
        s
    }
}
