//! The plots of a report, chosen for its runs.
//!
//! [`all`] draws, in this order (stems of the files in the report
//! directory; `N` is the run's number, from 1, as the plots number runs
//! when there are several):
//!
//! | stem | what it shows | drawn |
//! |---|---|---|
//! | `response-vs-deadline` | response times per task and run as a fraction of the deadline, with the analysis bound and any excess over it | always |
//! | `misses` | share of jobs that missed, and the worst tardiness, per task and run | always (zeros shown) |
//! | `gantt-N` | a timeline of the run's first stretch, around its first miss there (runs with the same tasks show the same stretch) | runs with a `window.json` |
//! | `gantt-N-miss-M` | a timeline around the worst miss of a task (of several tasks, when their windows show much the same stretch), in time order, titled with its time range | runs whose `window.json` has `around_misses` |
//! | `response-percentiles` | response time by percentile, one panel per run | always |
//! | `latency-N-response-time` | response-time distribution (OSADL style) | every run |
//! | `latency-N-release-jitter` | wake-up latency distribution | runs where some release was late (live runs; simulations with `release_jitter`) |
//! | `chain-N-<chain>` | a chain's end-to-end latency distribution (and data age) against its deadline and the analysis' end-to-end bound; the caption tells its worst instance stage by stage | every run, for each of its chains |
//! | `utilization` | CPU busy share per run, with the worst-case demand | always |
//! | `side-by-side-response` | response time against deadline, a row per task, a column per run with its verdict | two runs or more |
//! | `side-by-side-misses` | missed share of jobs and worst tardiness, the same grid | two runs or more |
//! | `side-by-side-release-jitter` | wake-up latency, the same grid | two runs or more, some release late |
//! | `side-by-side-start-delay` | release to first execution, the same grid | two runs or more, some start delayed |
//! | `side-by-side-chains` | each chain's end-to-end latency, a row per chain, a column per run, ranked in the caption | two runs or more with chains |
//!
//! The `side-by-side-*` figures are the comparison's (their
//! [`Section`] is [`Section::Comparison`]); the rest are the runs' plots.
//!
//! A task keeps one colour in every plot: the report's colour assignment
//! (built once from the task names in the order they first appear across
//! the runs, config order for one config; the rule is in `plot::style`).

mod chains;
mod gantt_text;
mod multiples;

use std::path::Path;

use rtlab_tasks::outcome::TaskOutcome;
use rtlab_tasks::outcome::metrics::{Metric, Recorder};
use rtlab_tasks::outcome::window::Window;

use crate::explain::worst_tardiness_ns;
use crate::plot::cdf::{PercentilePanel, PercentileSeries, percentiles};
use crate::plot::gantt::{self, Span};
use crate::plot::latency::{LatencyAxes, LatencySeries, latency};
use crate::plot::misses::{MissCount, MissTask, misses};
use crate::plot::response::{ResponseRun, ResponseStats, ResponseTask, response};
use crate::plot::utilization::{CpuGroup, CpuUse, utilization};
use crate::plot::{PlotFiles, TaskColors};
use crate::run::RunView;
use crate::{ReportError, format};
use gantt_text::{GANTT_LEGEND, TRUNCATED, gantt_caption};

/// Where the report page shows a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// With the plots of the runs.
    Plots,
    /// In the comparison: the runs side by side.
    Comparison,
}

/// One plot of the report.
#[derive(Clone, Debug)]
pub struct Figure {
    /// HTML id (an anchor).
    pub id: String,
    /// Title.
    pub title: String,
    /// What to read in it.
    pub caption: String,
    /// Its PNG and SVG files.
    pub files: PlotFiles,
    /// Where the page shows it.
    pub section: Section,
}

/// Draws every plot that applies to `runs` into `dir` and returns them in
/// reading order.
pub fn all(runs: &[RunView], dir: &Path) -> Result<Vec<Figure>, ReportError> {
    if runs.is_empty() {
        return Ok(Vec::new());
    }
    let set = RunSet::new(runs)?;
    let mut figures = vec![set.response_vs_deadline(dir)?, set.misses(dir)?];
    let shared = set.shared_span();
    for i in 0..runs.len() {
        figures.extend(set.gantt(dir, i, shared)?);
    }
    figures.push(set.percentiles(dir)?);
    // Distributions of one metric share their count axis across runs.
    let response_axes = LatencyAxes::covering(&set.response);
    for i in 0..runs.len() {
        figures.push(set.latency(dir, i, Distribution::Response, response_axes)?);
    }
    let jittery: Vec<usize> = (0..runs.len())
        .filter(|&i| set.jitter[i].iter().any(|r| r.max().unwrap_or(0) > 0))
        .collect();
    let jitter_axes = LatencyAxes::covering(jittery.iter().map(|&i| &set.jitter[i]));
    for &i in &jittery {
        figures.push(set.latency(dir, i, Distribution::Jitter, jitter_axes)?);
    }
    figures.extend(set.chains(dir)?);
    figures.push(set.utilization(dir)?);
    figures.extend(set.side_by_side(dir)?);
    Ok(figures)
}

/// The two metrics drawn as distributions.
#[derive(Clone, Copy)]
enum Distribution {
    Response,
    Jitter,
}

/// The runs with their histograms decoded once, and the task colours.
struct RunSet<'a> {
    runs: &'a [RunView],
    /// Task names in order of first appearance.
    names: Vec<String>,
    /// Each task's colour, assigned from `names`.
    colors: TaskColors,
    /// Per run, per task: response times and release jitter.
    response: Vec<Vec<Recorder>>,
    jitter: Vec<Vec<Recorder>>,
}

fn decode(task: &TaskOutcome, metric: &'static str, m: &Metric) -> Result<Recorder, ReportError> {
    if m.count == 0 {
        return Ok(Recorder::new());
    }
    m.recorder().map_err(|source| ReportError::Metric {
        task: task.name.clone(),
        metric,
        source,
    })
}

impl<'a> RunSet<'a> {
    fn new(runs: &'a [RunView]) -> Result<RunSet<'a>, ReportError> {
        let mut names: Vec<String> = Vec::new();
        let mut response = Vec::with_capacity(runs.len());
        let mut jitter = Vec::with_capacity(runs.len());
        for run in runs {
            let mut r = Vec::new();
            let mut j = Vec::new();
            for t in &run.outcome.tasks {
                if !names.contains(&t.name) {
                    names.push(t.name.clone());
                }
                r.push(decode(t, "response_time", &t.response_time)?);
                j.push(decode(t, "release_jitter", &t.release_jitter)?);
            }
            response.push(r);
            jitter.push(j);
        }
        Ok(RunSet {
            runs,
            colors: TaskColors::new(names.iter().map(String::as_str)),
            names,
            response,
            jitter,
        })
    }

    fn color(&self, name: &str) -> usize {
        self.colors.slot(name)
    }

    fn labels(&self) -> Vec<String> {
        self.runs.iter().map(|r| r.label.clone()).collect()
    }

    /// `label`, numbered when there are several runs.
    fn numbered(&self, i: usize) -> String {
        if self.runs.len() > 1 {
            format!("run {}: {}", i + 1, self.runs[i].label)
        } else {
            self.runs[i].label.clone()
        }
    }

    /// "Runs: 1 = a; 2 = b." for captions, empty for one run.
    fn key(&self) -> String {
        if self.runs.len() < 2 {
            return String::new();
        }
        let parts: Vec<String> = self
            .runs
            .iter()
            .enumerate()
            .map(|(i, r)| format!("{} = {}", i + 1, r.label))
            .collect();
        format!(" Runs: {}.", parts.join("; "))
    }

    /// Every `(task name, per run: the task in that run)`, tasks in colour
    /// order.
    fn by_task(&self) -> Vec<(&str, Vec<Option<&TaskOutcome>>)> {
        self.names
            .iter()
            .map(|n| {
                let per_run = self
                    .runs
                    .iter()
                    .map(|r| r.outcome.tasks.iter().find(|t| &t.name == n))
                    .collect();
                (n.as_str(), per_run)
            })
            .collect()
    }

    fn figure(id: String, title: String, caption: String, dir: &Path) -> Figure {
        Figure {
            files: PlotFiles::new(dir, &id),
            id,
            title,
            caption,
            section: Section::Plots,
        }
    }

    fn response_vs_deadline(&self, dir: &Path) -> Result<Figure, ReportError> {
        let mut tasks = Vec::new();
        let mut worst: Option<(f64, String)> = None;
        // The largest excess over an analysis bound: (ns, task, run).
        let mut over: Option<(u64, &str, usize)> = None;
        for (name, per_run) in self.by_task() {
            let deadline_ns = per_run
                .iter()
                .flatten()
                .map(|t| t.deadline_ns)
                .next()
                .unwrap_or(1);
            let mut runs = Vec::new();
            for (i, t) in per_run.iter().enumerate() {
                let Some(t) = t else {
                    runs.push(ResponseRun::default());
                    continue;
                };
                let stats = response_stats(&t.response_time);
                if let Some(s) = stats.filter(|s| s.max_ns > t.deadline_ns) {
                    let f = s.max_ns as f64 / t.deadline_ns.max(1) as f64;
                    if worst.as_ref().is_none_or(|w| f > w.0) {
                        let run = if self.runs.len() > 1 {
                            format!(" in run {}", i + 1)
                        } else {
                            String::new()
                        };
                        worst = Some((
                            f,
                            format!(
                                "The worst: `{name}` took {} against a {} deadline ({}){run}.",
                                format::duration(s.max_ns),
                                format::duration(t.deadline_ns),
                                format::percent(f)
                            ),
                        ));
                    }
                }
                let excess = t.analysis.wcrt_ns.and(t.analysis.exceeded_ns);
                if let Some(x) = excess.filter(|&x| over.is_none_or(|o| x > o.0)) {
                    over = Some((x, name, i));
                }
                runs.push(ResponseRun {
                    stats,
                    wcrt_ns: t.analysis.wcrt_ns,
                    exceeded_ns: t.analysis.exceeded_ns,
                });
            }
            tasks.push(ResponseTask {
                name: name.to_string(),
                color: self.color(name),
                deadline_ns,
                runs,
            });
        }
        let caption = self.response_caption(worst.map(|w| w.1), over);
        let f = Self::figure(
            "response-vs-deadline".into(),
            "Response time against deadline".into(),
            caption,
            dir,
        );
        response(&f.files, &f.title, &tasks, &self.labels())?;
        Ok(f)
    }

    /// The caption of the response-vs-deadline figure: the worst miss (in
    /// words), and the largest excess over an analysis bound (ns, task,
    /// run index).
    fn response_caption(&self, worst: Option<String>, over: Option<(u64, &str, usize)>) -> String {
        let in_run = |i: usize| {
            if self.runs.len() > 1 {
                format!(" in run {}", i + 1)
            } else {
                String::new()
            }
        };
        format!(
            "Each task's response times as a share of its own deadline: the box spans the \
             median to the 99th percentile, the whisker the fastest to the slowest job, the \
             diamond is the response-time analysis bound. The deadline is the dashed line; \
             anything above it (red) missed. {}{}{}",
            worst.unwrap_or_else(|| "Every job finished before its deadline.".to_string()),
            over.map_or_else(String::new, |(x, name, i)| format!(
                " An orange bar from a diamond up marks a worst response above the analysis \
                 bound: the run did what the analysis' model leaves out (work outside the \
                 tasks, overheads, longer executions); the most, `{name}`, by {}{}.",
                format::duration(x),
                in_run(i)
            )),
            self.key()
        )
    }

    fn misses(&self, dir: &Path) -> Result<Figure, ReportError> {
        let mut tasks = Vec::new();
        for (name, per_run) in self.by_task() {
            let runs = per_run
                .iter()
                .map(|t| {
                    t.map_or_else(MissCount::default, |t| MissCount {
                        jobs: t.jobs,
                        missed: t.deadline_misses,
                        worst_tardiness_ns: worst_tardiness_ns(t),
                    })
                })
                .collect();
            tasks.push(MissTask {
                name: name.to_string(),
                color: self.color(name),
                runs,
            });
        }
        let total: u64 = self.runs.iter().map(|r| r.outcome.deadline_misses()).sum();
        let f = Self::figure(
            "misses".into(),
            "Deadline misses and worst tardiness".into(),
            format!(
                "Top: the share of each task's jobs that missed their deadline; bottom: how late \
                 the latest job finished. A 0 means no miss. {}{}",
                if total == 0 {
                    "No deadline was missed.".to_string()
                } else {
                    format!("{total} deadlines missed in all.")
                },
                self.key()
            ),
            dir,
        );
        misses(&f.files, &f.title, &tasks, &self.labels())?;
        Ok(f)
    }

    /// The periods of `window`'s tasks, from run `i`.
    fn periods(&self, i: usize, window: &Window) -> Vec<u64> {
        let tasks = &self.runs[i].outcome.tasks;
        window
            .tasks
            .iter()
            .map(|n| {
                tasks
                    .iter()
                    .find(|t| &t.name == n)
                    .map_or(0, |t| t.period_ns)
            })
            .collect()
    }

    /// When every timeline has the same tasks (one config, its variants,
    /// both engines), they show the same stretch so that they compare
    /// directly: the one the first run with a miss chose, `(run, span)`.
    fn shared_span(&self) -> Option<(usize, Span)> {
        let windows: Vec<(usize, &Window)> = self
            .runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.window.as_ref().map(|w| (i, w)))
            .collect();
        let (_, first) = windows.first()?;
        if windows.len() < 2 || windows.iter().any(|(_, w)| w.tasks != first.tasks) {
            return None;
        }
        windows.iter().find_map(|&(i, w)| {
            let span = gantt::choose_span(w, &self.periods(i, w));
            span.first_miss.map(|_| (i, span))
        })
    }

    /// The timelines of run `i`: its first stretch, then one around each
    /// task's worst miss (merged where they show much the same stretch).
    fn gantt(
        &self,
        dir: &Path,
        i: usize,
        shared: Option<(usize, Span)>,
    ) -> Result<Vec<Figure>, ReportError> {
        let Some(window) = &self.runs[i].window else {
            return Ok(Vec::new());
        };
        let colors: Vec<usize> = window.tasks.iter().map(|n| self.color(n)).collect();
        let links = gantt::links_from_config(&self.runs[i].outcome.config, &window.tasks);
        let periods = self.periods(i, window);
        let (span, from) = match shared {
            Some((j, s)) if j != i => (gantt::fixed_span(window, s.start_ns, s.end_ns), Some(j)),
            _ => (gantt::choose_span(window, &periods), None),
        };
        let around = gantt::miss_windows(window, &periods, self.runs[i].outcome.duration_ns);
        let f = Self::figure(
            format!("gantt-{}", i + 1),
            format!("Timeline: {}", self.numbered(i)),
            gantt_caption(window, span, from, !around.is_empty()),
            dir,
        );
        gantt::gantt(&f.files, &f.title, window, span, &colors, &links)?;
        let mut figures = vec![f];
        for (m, w) in around.iter().enumerate() {
            let range = gantt::time_range(w.span.start_ns, w.span.end_ns);
            let f = Self::figure(
                format!("gantt-{}-miss-{}", i + 1, m + 1),
                format!("Timeline, t = {range}: {}", self.numbered(i)),
                format!(
                    "{}. {GANTT_LEGEND}{}",
                    w.label(),
                    if w.window.truncated { TRUNCATED } else { "" }
                ),
                dir,
            );
            gantt::gantt(&f.files, &f.title, &w.window, w.span, &colors, &links)?;
            figures.push(f);
        }
        Ok(figures)
    }

    fn percentiles(&self, dir: &Path) -> Result<Figure, ReportError> {
        let panels: Vec<PercentilePanel<'_>> = self
            .runs
            .iter()
            .enumerate()
            .map(|(i, run)| PercentilePanel {
                title: self.numbered(i),
                series: run
                    .outcome
                    .tasks
                    .iter()
                    .zip(&self.response[i])
                    .map(|(t, r)| PercentileSeries {
                        label: t.name.clone(),
                        color: self.color(&t.name),
                        recorder: r,
                        deadline_ns: Some(t.deadline_ns),
                    })
                    .collect(),
            })
            .collect();
        let f = Self::figure(
            "response-percentiles".into(),
            "Response time by percentile".into(),
            format!(
                "Response time at each percentile, the tail stretched out: each step right is \
                 one more nine (90%, 99%, 99.9%). A line that crosses its dashed deadline misses \
                 from that percentile on; the dot is the exact worst case.{}",
                if self.runs.len() > 1 {
                    " One panel per run, on the same axes."
                } else {
                    ""
                }
            ),
            dir,
        );
        percentiles(&f.files, &f.title, "response time", &panels)?;
        Ok(f)
    }

    fn latency(
        &self,
        dir: &Path,
        i: usize,
        metric: Distribution,
        axes: LatencyAxes,
    ) -> Result<Figure, ReportError> {
        let run = &self.runs[i];
        let (recorders, stem, title, quantity, caption) = match metric {
            Distribution::Response => (
                &self.response[i],
                "response-time",
                "Response-time distribution",
                "response time",
                "How many jobs took how long, from release to completion, in linear bins with \
                 the counts on a log scale (the OSADL latency-plot convention): rare outliers \
                 stay visible. The dashed line and its label mark each task's worst case, the \
                 solid line its deadline, the dotted one with a diamond its analysis bound.",
            ),
            Distribution::Jitter => (
                &self.jitter[i],
                "release-jitter",
                "Wake-up latency (release jitter)",
                "wake-up latency",
                "How late each job became ready after its nominal release: for a live run, the \
                 wake-up latency of the thread, as cyclictest measures it. Linear bins, log \
                 counts; the dashed line marks each task's worst case.",
            ),
        };
        let series: Vec<LatencySeries<'_>> = run
            .outcome
            .tasks
            .iter()
            .zip(recorders)
            .map(|(t, r)| LatencySeries {
                label: t.name.clone(),
                color: self.color(&t.name),
                recorder: r,
                deadline_ns: matches!(metric, Distribution::Response).then_some(t.deadline_ns),
                bound_ns: t
                    .analysis
                    .wcrt_ns
                    .filter(|_| matches!(metric, Distribution::Response)),
            })
            .collect();
        let f = Self::figure(
            format!("latency-{}-{stem}", i + 1),
            format!("{title}: {}", self.numbered(i)),
            if self.runs.len() > 1 {
                format!(
                    "{caption} Each run's plot has its own time axis: read values off it, do \
                     not compare bar positions across runs; the count axis is shared."
                )
            } else {
                caption.to_string()
            },
            dir,
        );
        latency(&f.files, &f.title, quantity, &series, Some(axes))?;
        Ok(f)
    }

    fn utilization(&self, dir: &Path) -> Result<Figure, ReportError> {
        let mut ids: Vec<u32> = self
            .runs
            .iter()
            .flat_map(|r| r.outcome.cpus.iter().map(|c| c.id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let cpus: Vec<CpuGroup> = ids
            .iter()
            .map(|&id| CpuGroup {
                cpu: id,
                runs: self
                    .runs
                    .iter()
                    .map(|r| {
                        let o = &r.outcome;
                        let c = o.cpus.iter().find(|c| c.id == id)?;
                        let share = |t: &TaskOutcome| t.wcet_ns as f64 / t.period_ns.max(1) as f64;
                        let own: f64 = o
                            .tasks
                            .iter()
                            .filter(|t| t.cpu == Some(id))
                            .map(share)
                            .sum();
                        let global: f64 =
                            o.tasks.iter().filter(|t| t.cpu.is_none()).map(share).sum();
                        Some(CpuUse {
                            busy_ratio: c.busy_ratio,
                            demand: Some(own + global / o.cpus.len().max(1) as f64),
                        })
                    })
                    .collect(),
            })
            .collect();
        let f = Self::figure(
            "utilization".into(),
            "CPU utilization".into(),
            format!(
                "How much of each run every CPU spent executing jobs; the black line is the \
                 worst-case demand of the tasks placed on it (WCET / period summed; shared \
                 evenly under global placement). Above 100% the CPU is overloaded by \
                 construction.{}",
                self.key()
            ),
            dir,
        );
        utilization(&f.files, &f.title, &cpus, &self.labels())?;
        Ok(f)
    }
}

/// A response-time metric's box-plot figures, when it recorded any.
fn response_stats(m: &Metric) -> Option<ResponseStats> {
    match (m.min_ns, m.p50_ns, m.p99_ns, m.max_ns) {
        (Some(min_ns), Some(p50_ns), Some(p99_ns), Some(max_ns)) => Some(ResponseStats {
            min_ns,
            p50_ns,
            p99_ns,
            max_ns,
        }),
        _ => None,
    }
}
