//! The comparison's figures: the runs side by side (`plot::multiples`),
//! one figure per metric, a row per task and a column per run, each
//! column titled by what sets its run apart (config, variant, engine:
//! only the parts that differ) with its verdict, counted as the report's
//! verdict counts it ([`crate::explain::tally`]), and, for variants of
//! one config, the settings that differ (`scheduler.locking = inherit`).

use std::collections::BTreeMap;
use std::path::Path;

use rtlab_tasks::outcome::TaskOutcome;
use rtlab_tasks::outcome::metrics::Metric;
use serde_json::Value;

use super::{Figure, RunSet, Section};
use crate::explain::{tally, worst_tardiness_ns};
use crate::plot::PlotFiles;
use crate::plot::misses::MissCount;
use crate::plot::multiples::{self, Column, Row, Spread, SpreadCell};
use crate::run::RunView;
use crate::{ReportError, format};

/// How many differing settings a column names.
const SETTINGS: usize = 2;

/// What a row and a column are, and how to read across: the start of
/// every side-by-side caption.
const GRID: &str = "The runs side by side: one row per task, one column per configuration (or \
                    run), its verdict on top. Read across a row: its panels share one scale, so \
                    they compare directly; each row has its own.";

/// The distributions drawn side by side.
#[derive(Clone, Copy)]
enum Quantity {
    Response,
    WakeUp,
    StartDelay,
}

impl Quantity {
    /// `(stem, title, axis quantity, what the panels show)`.
    fn words(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Quantity::Response => (
                "response",
                "Side by side: response time against deadline",
                "response time",
                "The box spans the median to the 99th percentile of the task's response times, \
                 the whisker the fastest to the slowest job (its time labelled); the dashed line \
                 is the task's deadline, and a whisker reaching into the red stretch past it \
                 missed; the diamond under the box is the response-time analysis bound.",
            ),
            Quantity::WakeUp => (
                "release-jitter",
                "Side by side: wake-up latency",
                "wake-up latency",
                "How late each job became ready after its release (live: the thread's wake-up \
                 latency): the box spans the median to the 99th percentile, the whisker the \
                 smallest to the largest.",
            ),
            Quantity::StartDelay => (
                "start-delay",
                "Side by side: start delay",
                "start delay",
                "From each job's release to the first instant it ran (the wait behind more \
                 urgent work, and live the wake-up): the box spans the median to the 99th \
                 percentile, the whisker the smallest to the largest.",
            ),
        }
    }

    fn metric(self, t: &TaskOutcome) -> &Metric {
        match self {
            Quantity::Response => &t.response_time,
            Quantity::WakeUp => &t.release_jitter,
            Quantity::StartDelay => &t.start_delay,
        }
    }
}

impl RunSet<'_> {
    /// The side-by-side figures, for two runs or more: the chains' end-to-end
    /// latency first when the runs have chains, response time and misses
    /// always, wake-up latency and start delay when some run recorded any.
    pub(super) fn side_by_side(&self, dir: &Path) -> Result<Vec<Figure>, ReportError> {
        if self.runs.len() < 2 {
            return Ok(Vec::new());
        }
        let columns = columns(self.runs);
        let key = column_key(self.runs, &columns);
        let mut figures = vec![
            self.spread_figure(dir, &columns, &key, Quantity::Response)?,
            self.miss_figure(dir, &columns, &key)?,
        ];
        for q in [Quantity::WakeUp, Quantity::StartDelay] {
            let any = self.runs.iter().any(|r| {
                r.outcome
                    .tasks
                    .iter()
                    .any(|t| q.metric(t).max_ns.is_some_and(|m| m > 0))
            });
            if any {
                figures.push(self.spread_figure(dir, &columns, &key, q)?);
            }
        }
        // With chains, their end-to-end latency is the question: first.
        if let Some(f) = self.chains_side_by_side(dir, &columns, &key)? {
            figures.insert(0, f);
        }
        Ok(figures)
    }

    fn spread_figure(
        &self,
        dir: &Path,
        columns: &[Column],
        key: &str,
        q: Quantity,
    ) -> Result<Figure, ReportError> {
        let response = matches!(q, Quantity::Response);
        let rows: Vec<Row<SpreadCell>> = self
            .by_task()
            .into_iter()
            .map(|(name, per_run)| Row {
                name: name.to_string(),
                color: Some(self.color(name)),
                note: response.then(|| deadlines(&per_run)),
                cells: per_run
                    .iter()
                    .map(|t| {
                        t.map(|t| SpreadCell {
                            spread: spread(q.metric(t)),
                            deadline_ns: response.then_some(t.deadline_ns),
                            bound_ns: t.analysis.wcrt_ns.filter(|_| response),
                        })
                    })
                    .collect(),
            })
            .collect();
        let (stem, title, quantity, reading) = q.words();
        let f = side_figure(stem, title, format!("{GRID} {reading}{key}"), dir);
        multiples::spreads(&f.files, &f.title, quantity, columns, &rows)?;
        Ok(f)
    }

    fn miss_figure(
        &self,
        dir: &Path,
        columns: &[Column],
        key: &str,
    ) -> Result<Figure, ReportError> {
        let rows: Vec<Row<MissCount>> = self
            .by_task()
            .into_iter()
            .map(|(name, per_run)| Row {
                name: name.to_string(),
                color: Some(self.color(name)),
                note: None,
                cells: per_run
                    .iter()
                    .map(|t| {
                        t.map(|t| MissCount {
                            jobs: t.jobs,
                            missed: t.deadline_misses,
                            worst_tardiness_ns: worst_tardiness_ns(t),
                        })
                    })
                    .collect(),
            })
            .collect();
        let f = side_figure(
            "misses",
            "Side by side: deadline misses and worst tardiness",
            format!(
                "{GRID} In each panel the top bar is the share of the task's jobs that missed \
                 their deadline (its grey track is all of them), the bottom bar how late the \
                 latest job finished (its track is the worst of the row); \"none of N\" and 0: \
                 no miss.{key}"
            ),
            dir,
        );
        multiples::misses(&f.files, &f.title, columns, &rows)?;
        Ok(f)
    }
}

pub(super) fn side_figure(stem: &str, title: &str, caption: String, dir: &Path) -> Figure {
    let id = format!("side-by-side-{stem}");
    Figure {
        files: PlotFiles::new(dir, &id),
        id,
        title: title.to_string(),
        caption,
        section: Section::Comparison,
    }
}

/// A metric's box-plot figures, when it recorded any.
pub(super) fn spread(m: &Metric) -> Option<Spread> {
    Some(Spread {
        min_ns: m.min_ns?,
        p50_ns: m.p50_ns?,
        p99_ns: m.p99_ns?,
        max_ns: m.max_ns?,
    })
}

/// `deadline 10.0 ms`, or each deadline when the runs differ in it.
fn deadlines(per_run: &[Option<&TaskOutcome>]) -> String {
    let mut seen: Vec<u64> = Vec::new();
    for t in per_run.iter().flatten() {
        if !seen.contains(&t.deadline_ns) {
            seen.push(t.deadline_ns);
        }
    }
    let texts: Vec<String> = seen.into_iter().map(format::duration).collect();
    format!("deadline {}", texts.join(" / "))
}

/// The columns of `runs`: titles, settings and verdicts.
fn columns(runs: &[RunView]) -> Vec<Column> {
    let titles = titles(runs);
    let settings = settings(runs);
    runs.iter()
        .zip(titles)
        .zip(settings)
        .map(|((r, title), setting)| {
            let t = tally(&r.outcome);
            Column {
                title,
                setting,
                verdict: t.short(),
                failed: !t.ok(),
            }
        })
        .collect()
}

/// Each run's column title: the parts of its label that differ between
/// the runs (config, variant or `base`, engine); the whole label,
/// numbered, when that leaves titles empty or alike.
fn titles(runs: &[RunView]) -> Vec<String> {
    let parts: [fn(&RunView) -> String; 3] = [
        |r| r.config_name().to_string(),
        |r| {
            r.outcome
                .variant
                .clone()
                .unwrap_or_else(|| "base".to_string())
        },
        |r| r.engine().to_string(),
    ];
    let differing: Vec<_> = parts
        .iter()
        .filter(|p| runs.iter().any(|r| p(r) != p(&runs[0])))
        .collect();
    let titles: Vec<String> = runs
        .iter()
        .map(|r| {
            let words: Vec<String> = differing.iter().map(|p| p(r)).collect();
            words.join(" · ")
        })
        .collect();
    let unique = titles
        .iter()
        .enumerate()
        .all(|(i, t)| !t.is_empty() && !titles[..i].contains(t));
    if unique {
        titles
    } else {
        runs.iter()
            .enumerate()
            .map(|(i, r)| format!("{}: {}", i + 1, r.label))
            .collect()
    }
}

/// `" Columns: base = pathfinder · simulation; ..."` when a title is not
/// the run's whole label, for captions.
fn column_key(runs: &[RunView], columns: &[Column]) -> String {
    if runs.iter().zip(columns).all(|(r, c)| r.label == c.title) {
        return String::new();
    }
    let parts: Vec<String> = runs
        .iter()
        .zip(columns)
        .map(|(r, c)| format!("{} = {}", c.title, r.label))
        .collect();
    format!(" Columns: {}.", parts.join("; "))
}

/// For runs of one config (its variants, its engines): each run's values
/// of the settings that differ between them (at most [`SETTINGS`], then
/// `…`), `scheduler.locking = inherit`; `None` for runs of different
/// configs, or when no setting differs.
fn settings(runs: &[RunView]) -> Vec<Option<String>> {
    let name = runs.first().map(RunView::config_name);
    if runs.iter().any(|r| Some(r.config_name()) != name) {
        return vec![None; runs.len()];
    }
    let flat: Vec<BTreeMap<String, String>> = runs
        .iter()
        .map(|r| {
            let mut out = BTreeMap::new();
            flatten("", &r.outcome.config, &mut out);
            out
        })
        .collect();
    let mut keys: Vec<&String> = flat.iter().flat_map(BTreeMap::keys).collect();
    keys.sort();
    keys.dedup();
    let differing: Vec<&String> = keys
        .into_iter()
        .filter(|k| !matches!(k.as_str(), "name" | "description"))
        .filter(|k| flat.iter().any(|f| f.get(*k) != flat[0].get(*k)))
        .collect();
    if differing.is_empty() {
        return vec![None; runs.len()];
    }
    flat.iter()
        .map(|f| {
            let mut said: Vec<String> = differing
                .iter()
                .take(SETTINGS)
                .map(|k| format!("{k} = {}", f.get(*k).map_or("-", String::as_str)))
                .collect();
            if differing.len() > SETTINGS {
                said.push("…".to_string());
            }
            Some(said.join("; "))
        })
        .collect()
}

/// The leaves of a normalized config as `dotted.key = text`: objects by
/// key, lists of named objects (tasks) by name, other lists whole.
fn flatten(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                flatten(&join(k), x, out);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(|i| i["name"].is_string()) => {
            for i in items {
                flatten(&join(i["name"].as_str().unwrap_or("?")), i, out);
            }
        }
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::outcome::{Engine, Environment, Outcome, RESULT_SCHEMA};
    use std::path::PathBuf;

    fn run(variant: Option<&str>, engine: Engine, locking: &str) -> RunView {
        let outcome = Outcome {
            schema: RESULT_SCHEMA.into(),
            engine,
            config: serde_json::json!({
                "name": "pathfinder",
                "description": "differs, never said",
                "scheduler": { "locking": locking, "policy": "fixed-priority" },
                "task": [{ "name": "meteo", "wcet": "4ms" }],
            }),
            variant: variant.map(str::to_string),
            seed: 1,
            environment: Environment::default(),
            started_at: None,
            duration_ns: 1_000_000_000,
            interrupted: false,
            tasks: Vec::new(),
            cpus: Vec::new(),
            resources: Vec::new(),
            trace: None,
            deadlock: None,
            chains: Vec::new(),
        };
        RunView {
            label: crate::run::label(&outcome),
            dir: PathBuf::new(),
            outcome,
            window: None,
        }
    }

    #[test]
    fn columns_are_titled_by_what_differs_with_the_setting_that_does() {
        let runs = [
            run(None, Engine::Simulation, "none"),
            run(Some("inherit"), Engine::Simulation, "inherit"),
            run(Some("ceiling"), Engine::Simulation, "ceiling"),
        ];
        let cols = columns(&runs);
        let names: Vec<&str> = cols.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(names, ["base", "inherit", "ceiling"]);
        assert_eq!(
            cols[1].setting.as_deref(),
            Some("scheduler.locking = inherit")
        );
        assert_eq!(cols[0].verdict, "all deadlines met");
        assert!(column_key(&runs, &cols).contains("base = pathfinder · simulation; inherit = "));
        // Both engines of each: the engine joins the title.
        let both = [
            run(None, Engine::Simulation, "none"),
            run(None, Engine::Live, "none"),
        ];
        let both_titles: Vec<String> = columns(&both).into_iter().map(|c| c.title).collect();
        assert_eq!(both_titles, ["simulation", "live"]);
        assert_eq!(columns(&both)[0].setting, None);
        // Nothing differs: the labels, numbered.
        let same = [
            run(None, Engine::Live, "none"),
            run(None, Engine::Live, "none"),
        ];
        assert_eq!(
            titles(&same),
            ["1: pathfinder · live", "2: pathfinder · live"]
        );
    }

    #[test]
    fn named_lists_flatten_by_name() {
        let mut out = BTreeMap::new();
        flatten(
            "",
            &serde_json::json!({ "task": [{ "name": "a", "wcet": "1ms" }], "cpus": [1, 2] }),
            &mut out,
        );
        assert_eq!(out.get("task.a.wcet").map(String::as_str), Some("1ms"));
        assert_eq!(out.get("cpus").map(String::as_str), Some("[1,2]"));
    }
}
