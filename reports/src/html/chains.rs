//! The per-chain table of the report, beside the per-task one: each
//! chain's stages, instances, end-to-end misses and latency, data age,
//! the analysis bound and the deadline, and the stage its worst instance
//! spent most of its time in.

use rtlab_tasks::outcome::ChainOutcome;

use super::{CellView, RowView, dur};
use crate::explain::chain::{dominant_share, exceeded};
use crate::format;
use crate::run::RunView;

/// The columns of the per-chain table.
pub(super) const CHAIN_HEADER: [&str; 13] = [
    "run",
    "chain",
    "stages",
    "instances",
    "missed",
    "unfinished",
    "end to end p50",
    "p99",
    "max",
    "data age max",
    "bound",
    "deadline",
    "worst instance: dominant stage",
];

/// One row per chain of each run, in run then config order.
pub(super) fn chain_rows(runs: &[RunView]) -> Vec<RowView> {
    let mut out = Vec::new();
    for run in runs {
        for c in &run.outcome.chains {
            out.push(RowView {
                class: if c.deadline_misses > 0 { "miss" } else { "" },
                cells: vec![
                    run.label.clone().into(),
                    c.name.clone().into(),
                    c.tasks.join(" -> ").into(),
                    c.jobs.to_string().into(),
                    c.deadline_misses.to_string().into(),
                    c.unfinished.to_string().into(),
                    dur(c.end_to_end.p50_ns).into(),
                    dur(c.end_to_end.p99_ns).into(),
                    dur(c.end_to_end.max_ns).into(),
                    dur(c.data_age.as_ref().and_then(|m| m.max_ns)).into(),
                    bound_cell(c),
                    dur(c.deadline_ns).into(),
                    c.worst
                        .as_ref()
                        .and_then(dominant_share)
                        .unwrap_or_else(|| "-".to_string())
                        .into(),
                ],
            });
        }
    }
    out
}

/// The chain's end-to-end bound with its method (`36.0 ms (holistic)`),
/// marked with the excess when the worst reaction went above it; `none`
/// when the analysis found none, `-` when no analysis is attached.
fn bound_cell(c: &ChainOutcome) -> CellView {
    let Some(a) = &c.analysis else {
        return "-".to_string().into();
    };
    let bound = a.bound_ns.map_or_else(
        || "none".to_string(),
        |b| format!("{} ({})", format::duration(b), a.method),
    );
    match exceeded(c).and(a.exceeded_ns) {
        Some(over) => CellView {
            class: "exceeded",
            text: format!("{bound}, exceeded by {}", format::duration(over)),
        },
        None => bound.into(),
    }
}

/// The verdict lines of `run`'s chains: each chain that missed, with its
/// dominant stage, then each whose worst reaction went above its bound.
pub(super) fn chain_details(run: &RunView) -> Vec<String> {
    let chains = &run.outcome.chains;
    let missed = chains.iter().filter_map(crate::explain::chain::missed);
    let over = chains.iter().filter_map(|c| {
        exceeded(c).map(|text| format!("chain {} exceeded the analysis bound: {text}", c.name))
    });
    missed.chain(over).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::chain::tests::{frame_to_brake, outcome};
    use std::path::PathBuf;

    #[test]
    fn a_chain_row_names_its_stages_times_bound_and_dominant_stage() {
        let run = RunView {
            label: "pipeline · simulation".into(),
            dir: PathBuf::new(),
            outcome: outcome(vec![frame_to_brake(41, 95)]),
            window: None,
        };
        let rows = chain_rows(std::slice::from_ref(&run));
        assert_eq!(rows.len(), 1);
        let texts: Vec<&str> = rows[0].cells.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts.len(), CHAIN_HEADER.len());
        assert_eq!(
            texts[..6],
            [
                "pipeline · simulation",
                "frame-to-brake",
                "camera -> detect -> plan -> actuate",
                "301",
                "95",
                "0"
            ]
        );
        assert_eq!(texts[8], "41.0 ms");
        assert_eq!(texts[9], "-", "no register link, no data age");
        assert_eq!(texts[10], "36.0 ms (holistic), exceeded by 5.00 ms");
        assert_eq!(rows[0].cells[10].class, "exceeded");
        assert_eq!(texts[11], "35.0 ms");
        assert_eq!(texts[12], "detect: 33.0 ms of 41.0 ms");
        assert_eq!(rows[0].class, "miss");
        let details = chain_details(&run);
        assert_eq!(details.len(), 2);
        assert!(details[0].starts_with("chain frame-to-brake missed 95 of 301 deadlines"));
        assert!(details[1].starts_with("chain frame-to-brake exceeded the analysis bound"));
    }
}
