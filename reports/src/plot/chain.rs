//! A chain's end-to-end latency distribution: how long each stimulus at
//! the chain's first stage took to reach a reaction at its last, drawn as
//! the latency plots draw response times (linear bins, log counts, the
//! worst case dashed and labelled), against the chain's end-to-end
//! deadline (solid) and the analysis' end-to-end bound (dotted, with a
//! diamond), each named in the legend with its value and said to be off
//! the axis when it lies far beyond the worst case. A chain with a
//! register link also has its data age: how old the stimulus a reaction
//! used was, with its own bound.
//!
//! A chain is not a task, so it has no task colour: the end-to-end line is
//! drawn in ink, the data age in grey (the palette leaves grey to neutral
//! things).

use plotters::style::RGBColor;
use rtlab_tasks::outcome::metrics::Recorder;

use super::PlotFiles;
use super::latency::{LatencyAxes, Painted, latency_painted};
use super::style::INK;
use crate::ReportError;

/// The colour of a chain's data age.
const AGE: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// What a chain's plot shows, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct ChainLatency<'a> {
    /// End-to-end (reaction) latency of each stimulus.
    pub end_to_end: &'a Recorder,
    /// Age of the data each reaction used (chains with a register link).
    pub data_age: Option<&'a Recorder>,
    /// The chain's end-to-end deadline.
    pub deadline_ns: Option<u64>,
    /// The analysis' bound on the end-to-end latency.
    pub bound_ns: Option<u64>,
    /// The analysis' bound on the data age.
    pub data_age_bound_ns: Option<u64>,
}

/// Draws `chain`'s distributions into `files`; the count axis is shared
/// with other plots through `axes` if given (the runs of a comparison).
pub fn chain_latency(
    files: &PlotFiles,
    title: &str,
    chain: &ChainLatency<'_>,
    axes: Option<LatencyAxes>,
) -> Result<(), ReportError> {
    let mut lines = vec![Painted {
        label: "end to end".into(),
        color: INK,
        recorder: chain.end_to_end,
        deadline_ns: chain.deadline_ns,
        bound_ns: chain.bound_ns,
    }];
    if let Some(age) = chain.data_age {
        lines.push(Painted {
            label: "data age".into(),
            color: AGE,
            recorder: age,
            deadline_ns: None,
            bound_ns: chain.data_age_bound_ns,
        });
    }
    latency_painted(
        files,
        title,
        "end-to-end latency",
        &lines,
        axes,
        "end-to-end analysis bound, dotted",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn recorder(from_ms: u64, to_ms: u64) -> Recorder {
        let mut r = Recorder::new();
        for i in 0..300u64 {
            r.record(from_ms * 1_000_000 + (i * 7_919_000) % ((to_ms - from_ms) * 1_000_000));
        }
        r.record(to_ms * 1_000_000);
        r
    }

    #[test]
    fn the_chain_plot_marks_its_deadline_and_bound_or_names_them_off_the_axis() {
        let e2e = recorder(14, 41);
        let dir = tempfile::tempdir().unwrap();
        let files = PlotFiles::new(dir.path(), "chain");
        let near = ChainLatency {
            end_to_end: &e2e,
            data_age: None,
            deadline_ns: Some(35_000_000),
            bound_ns: Some(36_000_000),
            data_age_bound_ns: None,
        };
        chain_latency(&files, "frame-to-brake", &near, None).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        for text in [
            "end to end (max 41.0 ms, deadline 35.0 ms, bound 36.0 ms)",
            "end-to-end latency (ms)",
            ">\ndeadline\n<",
            ">\nbound\n<",
            "end-to-end analysis bound, dotted",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        assert!(!svg.contains("WCRT"), "a chain's bound is not a WCRT");
        assert!(!svg.contains("data age"), "no register link, no data age");

        // A bound ten times the worst case is named, not drawn; the data
        // age gets its own line.
        let age = recorder(20, 60);
        let far = ChainLatency {
            data_age: Some(&age),
            bound_ns: Some(410_000_000),
            data_age_bound_ns: Some(70_000_000),
            ..near
        };
        chain_latency(&files, "frame-to-brake", &far, None).unwrap();
        let svg = fs::read_to_string(&files.svg).unwrap();
        assert!(svg.contains("bound 410 ms off the axis"), "legend");
        assert!(svg.contains("data age (max 60.0 ms, bound 70.0 ms)"), "age");
    }
}
