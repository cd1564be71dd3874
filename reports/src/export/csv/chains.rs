//! `chains.csv`: one row per chain, beside `summary.csv` (whose rows are
//! tasks; a chain has other figures). Written only for results with
//! chains; the same RFC 4180 text as `summary.csv`.

use std::io::{self, Write};

use rtlab_tasks::outcome::{ChainOutcome, Outcome};

use super::{opt, write_record};

/// The columns of `chains.csv`, in order. Names ending in `_ns` are
/// nanoseconds; `stages` joins the chain's tasks with `->`.
pub const CHAIN_COLUMNS: [&str; 20] = [
    "name",
    "stages",
    "jobs",
    "deadline_ns",
    "deadline_misses",
    "unfinished",
    "end_to_end_min_ns",
    "end_to_end_mean_ns",
    "end_to_end_p50_ns",
    "end_to_end_p99_ns",
    "end_to_end_max_ns",
    "data_age_p50_ns",
    "data_age_p99_ns",
    "data_age_max_ns",
    "bound_ns",
    "data_age_bound_ns",
    "method",
    "exceeded_ns",
    "worst_dominant_stage",
    "worst_dominant_ns",
];

/// Writes `chains.csv` for `outcome` to `out` (a header and no rows
/// without chains).
pub fn write_chains<W: Write>(out: &mut W, outcome: &Outcome) -> io::Result<()> {
    write_record(out, &CHAIN_COLUMNS)?;
    for c in &outcome.chains {
        let cells = chain_row(c);
        let fields: Vec<&str> = cells.iter().map(String::as_str).collect();
        write_record(out, &fields)?;
    }
    Ok(())
}

/// One chain's cells, in [`CHAIN_COLUMNS`] order.
fn chain_row(c: &ChainOutcome) -> Vec<String> {
    let e = &c.end_to_end;
    let age = c.data_age.as_ref();
    let a = c.analysis.as_ref();
    let dominant = c.worst.as_ref().and_then(|w| w.dominant());
    let row = vec![
        c.name.clone(),
        c.tasks.join("->"),
        c.jobs.to_string(),
        opt(c.deadline_ns),
        c.deadline_misses.to_string(),
        c.unfinished.to_string(),
        opt(e.min_ns),
        opt(e.mean_ns),
        opt(e.p50_ns),
        opt(e.p99_ns),
        opt(e.max_ns),
        opt(age.and_then(|m| m.p50_ns)),
        opt(age.and_then(|m| m.p99_ns)),
        opt(age.and_then(|m| m.max_ns)),
        opt(a.and_then(|a| a.bound_ns)),
        opt(a.and_then(|a| a.data_age_bound_ns)),
        opt(a.map(|a| a.method.clone())),
        opt(a.and_then(|a| a.exceeded_ns)),
        opt(dominant.map(|d| d.task.clone())),
        opt(dominant.map(|d| d.wait_ns + d.run_ns)),
    ];
    debug_assert_eq!(row.len(), CHAIN_COLUMNS.len());
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::chain::tests::{frame_to_brake, outcome};

    #[test]
    fn a_chain_row_has_its_stages_times_bound_and_dominant_stage() {
        let mut out = Vec::new();
        write_chains(&mut out, &outcome(vec![frame_to_brake(41, 95)])).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].split(',').count(), CHAIN_COLUMNS.len());
        let row: Vec<&str> = lines[1].split(',').collect();
        assert_eq!(row.len(), CHAIN_COLUMNS.len());
        assert_eq!(
            row[..6],
            [
                "frame-to-brake",
                "camera->detect->plan->actuate",
                "301",
                "35000000",
                "95",
                "0"
            ]
        );
        assert_eq!(row[10], "41000000");
        assert_eq!(row[11..14], ["", "", ""], "no data age");
        assert_eq!(
            row[14..],
            ["36000000", "", "holistic", "5000000", "detect", "33000000"]
        );
    }
}
