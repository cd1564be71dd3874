//! `summary.csv`: one row per task, the figures a spreadsheet needs (and
//! `chains.csv`, one row per chain: [`write_chains`]).
//!
//! RFC 4180 text: a header row, then one record per task in result order,
//! fields separated by commas, a field quoted (with inner quotes doubled)
//! when it contains a comma, a quote, a CR or an LF, or starts or ends with
//! a space. Records end with `\n` (not RFC 4180's CRLF: every spreadsheet
//! and `csv` reader accepts LF, and Unix tools prefer it). Times are
//! integer nanoseconds except `response_time_mean_ns`, the exact mean
//! (shortest decimal that reads back to the same `f64`). A value the result
//! does not have (`null` in `result.json`: no sample, no CPU under global
//! placement, no analysis bound) is an empty cell.
//!
//! ```
//! use rtlab_reports::export::csv;
//! assert_eq!(csv::field("sensor"), "sensor");
//! assert_eq!(csv::field("a,\"b\""), "\"a,\"\"b\"\"\"");
//! ```

use std::borrow::Cow;
use std::io::{self, Write};

use rtlab_tasks::outcome::metrics::Metric;
use rtlab_tasks::outcome::{Outcome, TaskOutcome};

mod chains;

pub use chains::{CHAIN_COLUMNS, write_chains};

/// The columns of `summary.csv`, in order. Names ending in `_ns` are
/// nanoseconds.
pub const SUMMARY_COLUMNS: [&str; 30] = [
    "name",
    "cpu",
    "priority",
    "period_ns",
    "deadline_ns",
    "wcet_ns",
    "jobs",
    "completed",
    "incomplete",
    "deadline_misses",
    "skipped",
    "aborted",
    "faults",
    "preemptions",
    "response_time_min_ns",
    "response_time_mean_ns",
    "response_time_p50_ns",
    "response_time_p99_ns",
    "response_time_max_ns",
    "release_jitter_p50_ns",
    "release_jitter_p99_ns",
    "release_jitter_max_ns",
    "start_delay_p99_ns",
    "start_delay_max_ns",
    "tardiness_max_ns",
    "blocking_max_ns",
    "lateness_min_ns",
    "lateness_max_ns",
    "wcrt_ns",
    "analysis_schedulable",
];

/// Writes `summary.csv` for `outcome` to `out`.
pub fn write_summary<W: Write>(out: &mut W, outcome: &Outcome) -> io::Result<()> {
    write_record(out, &SUMMARY_COLUMNS)?;
    for task in &outcome.tasks {
        let cells = summary_row(task);
        let fields: Vec<&str> = cells.iter().map(String::as_str).collect();
        write_record(out, &fields)?;
    }
    Ok(())
}

/// `summary.csv` for `outcome`, as a string.
pub fn summary(outcome: &Outcome) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_summary(&mut out, outcome);
    String::from_utf8_lossy(&out).into_owned()
}

/// One task's cells, in [`SUMMARY_COLUMNS`] order.
fn summary_row(task: &TaskOutcome) -> Vec<String> {
    let rt = &task.response_time;
    let jitter = &task.release_jitter;
    let row = vec![
        task.name.clone(),
        opt(task.cpu),
        task.priority.to_string(),
        task.period_ns.to_string(),
        task.deadline_ns.to_string(),
        task.wcet_ns.to_string(),
        task.jobs.to_string(),
        task.completed.to_string(),
        task.incomplete.to_string(),
        task.deadline_misses.to_string(),
        task.skipped.to_string(),
        task.aborted.to_string(),
        task.faults.to_string(),
        task.preemptions.to_string(),
        opt(rt.min_ns),
        opt(rt.mean_ns),
        opt(rt.p50_ns),
        opt(rt.p99_ns),
        opt(rt.max_ns),
        opt(jitter.p50_ns),
        opt(jitter.p99_ns),
        opt(jitter.max_ns),
        opt(task.start_delay.p99_ns),
        opt(task.start_delay.max_ns),
        max_of(&task.tardiness),
        max_of(&task.blocking),
        opt(task.lateness_min_ns),
        opt(task.lateness_max_ns),
        opt(task.analysis.wcrt_ns),
        opt(task.analysis.schedulable),
    ];
    debug_assert_eq!(row.len(), SUMMARY_COLUMNS.len());
    row
}

/// A metric's exact maximum, empty without samples.
fn max_of(metric: &Metric) -> String {
    opt(metric.max_ns)
}

/// A value, or the empty cell for `None`.
fn opt<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(String::new, |v| v.to_string())
}

/// One field, quoted per RFC 4180 when it needs to be.
pub fn field(text: &str) -> Cow<'_, str> {
    let needs_quotes =
        text.contains([',', '"', '\r', '\n']) || text.starts_with(' ') || text.ends_with(' ');
    if needs_quotes {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(text)
    }
}

/// Writes one record: the fields, quoted as needed, comma-separated, then
/// `\n`.
pub fn write_record<W: Write>(out: &mut W, fields: &[&str]) -> io::Result<()> {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(field(f).as_bytes())?;
    }
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("sensor.fast-1_a"), "sensor.fast-1_a");
        assert_eq!(field(""), "");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(" padded"), "\" padded\"");
    }

    #[test]
    fn records_join_fields() {
        let mut out = Vec::new();
        write_record(&mut out, &["a", "", "b,c", "-5"]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a,,\"b,c\",-5\n");
    }

    #[test]
    fn a_header_and_no_rows_without_tasks() {
        let mut out = Vec::new();
        write_record(&mut out, &SUMMARY_COLUMNS).unwrap();
        let header = String::from_utf8(out).unwrap();
        assert!(header.starts_with("name,cpu,priority,period_ns,"));
        assert!(header.ends_with(",wcrt_ns,analysis_schedulable\n"));
        assert_eq!(header.matches(',').count(), SUMMARY_COLUMNS.len() - 1);
    }
}
