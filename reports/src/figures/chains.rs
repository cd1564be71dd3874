//! The chains' figures: per run and chain, the end-to-end latency
//! distribution against the chain's deadline and bound
//! (`chain-N-<chain>`), its caption telling where the worst instance's
//! time went stage by stage; and, for a comparison, the chains side by
//! side (`side-by-side-chains`: a row per chain, a column per run).

use std::path::Path;

use rtlab_tasks::outcome::metrics::Recorder;
use rtlab_tasks::outcome::{ChainInstance, ChainOutcome};

use super::multiples::{side_figure, spread};
use super::{Figure, RunSet};
use crate::plot::chain::{ChainLatency, chain_latency};
use crate::plot::latency::LatencyAxes;
use crate::plot::multiples::{self, Column, Row, SpreadCell};
use crate::{ReportError, format};

/// A chain's end-to-end latency (and data age), decoded.
struct Decoded {
    end_to_end: Recorder,
    data_age: Option<Recorder>,
}

fn decode(c: &ChainOutcome) -> Result<Decoded, ReportError> {
    let metric = |m: &rtlab_tasks::outcome::metrics::Metric, name: &'static str| {
        if m.count == 0 {
            return Ok(Recorder::new());
        }
        m.recorder().map_err(|source| ReportError::Metric {
            task: format!("chain {}", c.name),
            metric: name,
            source,
        })
    };
    Ok(Decoded {
        end_to_end: metric(&c.end_to_end, "end_to_end")?,
        data_age: c
            .data_age
            .as_ref()
            .map(|m| metric(m, "data_age"))
            .transpose()?,
    })
}

/// The worst instance stage by stage, for a caption: `The worst instance
/// (stimulus at 3.9 s) took 41.4 ms: camera ran 2.00 ms; detect waited
/// 20.0 ms and ran 13.6 ms; ...`.
pub(super) fn worst_words(w: &ChainInstance) -> String {
    let stages: Vec<String> = w
        .stages
        .iter()
        .map(|s| {
            if s.wait_ns > 0 {
                format!(
                    "{} waited {} and ran {}",
                    s.task,
                    format::duration(s.wait_ns),
                    format::duration(s.run_ns)
                )
            } else {
                format!("{} ran {}", s.task, format::duration(s.run_ns))
            }
        })
        .collect();
    format!(
        "The worst instance (stimulus at {}) took {}: {}.",
        format::instant(w.stimulus_ns),
        format::duration(w.latency_ns),
        stages.join("; ")
    )
}

/// File-stem-safe chain name (config names are `[a-z0-9-]`; anything
/// else becomes `_`).
fn stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl RunSet<'_> {
    /// Every run's chain plots, runs in order, chains in config order.
    /// Plots of one chain across runs share their count axis.
    pub(super) fn chains(&self, dir: &Path) -> Result<Vec<Figure>, ReportError> {
        let decoded: Vec<Vec<Decoded>> = self
            .runs
            .iter()
            .map(|r| r.outcome.chains.iter().map(decode).collect())
            .collect::<Result<_, _>>()?;
        let mut figures = Vec::new();
        for (i, run) in self.runs.iter().enumerate() {
            for (c, d) in run.outcome.chains.iter().zip(&decoded[i]) {
                let axes =
                    LatencyAxes::covering(self.runs.iter().zip(&decoded).filter_map(|(r, ds)| {
                        let k = r.outcome.chains.iter().position(|x| x.name == c.name)?;
                        Some([&ds[k].end_to_end])
                    }));
                figures.push(self.chain_figure(dir, i, c, d, axes)?);
            }
        }
        Ok(figures)
    }

    fn chain_figure(
        &self,
        dir: &Path,
        i: usize,
        c: &ChainOutcome,
        d: &Decoded,
        axes: LatencyAxes,
    ) -> Result<Figure, ReportError> {
        let a = c.analysis.as_ref();
        let plot = ChainLatency {
            end_to_end: &d.end_to_end,
            data_age: d.data_age.as_ref(),
            deadline_ns: c.deadline_ns,
            bound_ns: a.and_then(|a| a.bound_ns),
            data_age_bound_ns: a.and_then(|a| a.data_age_bound_ns),
        };
        let mut caption = format!(
            "How long each stimulus at `{}` took to reach a reaction at `{}` ({}), in linear \
             bins with the counts on a log scale; the dashed line marks the worst case, the \
             solid one the chain's end-to-end deadline, the dotted one with a diamond the \
             analysis' end-to-end bound.",
            c.tasks.first().map_or("?", String::as_str),
            c.tasks.last().map_or("?", String::as_str),
            c.tasks.join(" -> ")
        );
        if c.data_age.is_some() {
            caption.push_str(
                " The grey line is the data age: how old the stimulus each reaction used was.",
            );
        }
        if let Some(line) = crate::explain::chain::missed(c) {
            caption.push_str(&format!(" {}.", capitalized(&line)));
        }
        if let Some(w) = &c.worst {
            caption.push(' ');
            caption.push_str(&worst_words(w));
        }
        if self.runs.len() > 1 {
            caption.push_str(" Each run's plot has its own time axis; the count axis is shared.");
        }
        let f = RunSet::figure(
            format!("chain-{}-{}", i + 1, stem(&c.name)),
            format!("Chain {} end to end: {}", c.name, self.numbered(i)),
            caption,
            dir,
        );
        let shared = (self.runs.len() > 1).then_some(axes);
        chain_latency(&f.files, &f.title, &plot, shared)?;
        Ok(f)
    }

    /// The chains side by side: a row per chain (by name, in order of
    /// first appearance), a column per run; `None` without chains.
    pub(super) fn chains_side_by_side(
        &self,
        dir: &Path,
        columns: &[Column],
        key: &str,
    ) -> Result<Option<Figure>, ReportError> {
        let mut names: Vec<&str> = Vec::new();
        for r in self.runs {
            for c in &r.outcome.chains {
                if !names.contains(&c.name.as_str()) {
                    names.push(&c.name);
                }
            }
        }
        if names.is_empty() {
            return Ok(None);
        }
        let rows: Vec<Row<SpreadCell>> = names
            .iter()
            .map(|&name| {
                let per_run: Vec<Option<&ChainOutcome>> = self
                    .runs
                    .iter()
                    .map(|r| r.outcome.chains.iter().find(|c| c.name == name))
                    .collect();
                let deadline = per_run.iter().flatten().find_map(|c| c.deadline_ns);
                Row {
                    name: name.to_string(),
                    color: None,
                    note: Some(deadline.map_or_else(
                        || "no end-to-end deadline".to_string(),
                        |d| format!("deadline {}", format::duration(d)),
                    )),
                    cells: per_run
                        .iter()
                        .map(|c| {
                            c.map(|c| SpreadCell {
                                spread: spread(&c.end_to_end),
                                deadline_ns: c.deadline_ns,
                                bound_ns: c.analysis.as_ref().and_then(|a| a.bound_ns),
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        let ranking = crate::explain::chain::ranking_lines(
            &self.runs.iter().map(|r| &r.outcome).collect::<Vec<_>>(),
            &columns.iter().map(|c| c.title.clone()).collect::<Vec<_>>(),
        );
        let f = side_figure(
            "chains",
            "Side by side: chains end to end",
            format!(
                "The chains side by side: one row per chain, one column per configuration (or \
                 run). The box spans the median to the 99th percentile of the chain's \
                 end-to-end latency (stimulus to reaction), the whisker the fastest to the \
                 slowest instance; the dashed line is the chain's end-to-end deadline, the \
                 diamond the analysis' end-to-end bound. Ranked: {}{key}",
                if ranking.is_empty() {
                    "one run has the chain.".to_string()
                } else {
                    format!("{}.", ranking.join(". "))
                }
            ),
            dir,
        );
        multiples::spreads_with_bound(
            &f.files,
            &f.title,
            "end-to-end latency",
            "end-to-end analysis bound",
            columns,
            &rows,
        )?;
        Ok(Some(f))
    }
}

/// `line` with its first letter upper-case.
fn capitalized(line: &str) -> String {
    let mut chars = line.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::chain::tests::frame_to_brake;

    #[test]
    fn the_worst_instance_is_told_stage_by_stage() {
        let c = frame_to_brake(41, 95);
        assert_eq!(
            worst_words(c.worst.as_ref().unwrap()),
            "The worst instance (stimulus at 3.9 s) took 41.0 ms: camera ran 2.00 ms; detect \
             waited 20.0 ms and ran 13.0 ms; plan ran 5.00 ms; actuate ran 1.00 ms."
        );
        assert_eq!(stem("frame-to-brake"), "frame-to-brake");
        assert_eq!(stem("a/b c"), "a_b_c");
    }
}
