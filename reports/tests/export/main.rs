//! Integration tests of the exporters: whole result directories and trace
//! files, written to a temporary directory and read back; and of the
//! figures a report draws (`figures`).

mod figures;
mod report;
mod sample;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use rtlab_reports::ReportError;
use rtlab_reports::export::result::{
    METRICS, RESULT_FILE, SUMMARY_FILE, hgrm_file_name, metrics, result_json,
};
use rtlab_reports::export::{
    PerfettoWriter, StagedDir, csv, hgrm, read_result, write_result_dir, write_result_staged,
};
use rtlab_tasks::outcome::trace::TraceSink;

fn file_names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .expect("a readable directory")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn a_result_dir_holds_a_predictable_file_set() {
    let outcome = sample::outcome(3, 500);
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("nested").join("run");
    let written = write_result_dir(&dir, &outcome).unwrap();
    let mut expected: BTreeSet<String> = [RESULT_FILE, SUMMARY_FILE].map(String::from).into();
    for task in ["t00", "t01", "t02"] {
        for metric in METRICS {
            expected.insert(format!("{task}.{metric}.hgrm"));
        }
    }
    // No temporary file is left behind.
    assert_eq!(file_names(&dir), expected);
    assert_eq!(written.histograms.len(), 15);
    assert_eq!(written.all().count(), 17);
    assert_eq!(written.histograms[1], dir.join("t00.release_jitter.hgrm"));
    assert_eq!(written.result, dir.join(RESULT_FILE));
}

#[test]
fn result_json_reads_back_to_the_same_document() {
    let outcome = sample::outcome(4, 200);
    let dir = tempfile::tempdir().unwrap();
    write_result_dir(dir.path(), &outcome).unwrap();
    let text = fs::read_to_string(dir.path().join(RESULT_FILE)).unwrap();
    assert!(text.starts_with("{\n  \"schema\": \"rtlab.result/v1\",\n"));
    assert!(text.ends_with("}\n"));
    let back = read_result(&dir.path().join(RESULT_FILE)).unwrap();
    assert_eq!(result_json(&back).unwrap(), text.as_bytes());
    // The histograms survive the round trip losslessly.
    for (a, b) in back.tasks.iter().zip(&outcome.tasks) {
        assert_eq!(a.response_time, b.response_time);
        assert_eq!(a.misses, b.misses);
    }
    // A directory is read through its result.json.
    let again = read_result(dir.path()).unwrap();
    assert_eq!(again.tasks.len(), 4);
}

#[test]
fn the_same_outcome_gives_byte_identical_files() {
    let outcome = sample::outcome(3, 300);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let written = write_result_dir(a.path(), &outcome).unwrap();
    write_result_dir(b.path(), &outcome).unwrap();
    for file in written.all() {
        let name = file.file_name().unwrap();
        assert_eq!(
            fs::read(file).unwrap(),
            fs::read(b.path().join(name)).unwrap(),
            "{name:?}"
        );
    }
    // Rewriting in place replaces the files with the same bytes.
    let before = fs::read(&written.summary).unwrap();
    write_result_dir(a.path(), &outcome).unwrap();
    assert_eq!(fs::read(&written.summary).unwrap(), before);
    assert_eq!(file_names(a.path()).len(), 17);
}

#[test]
fn a_staged_result_dir_appears_whole_with_the_same_bytes() {
    let outcome = sample::outcome(3, 300);
    let root = tempfile::tempdir().unwrap();
    let plain = root.path().join("plain");
    let written = write_result_dir(&plain, &outcome).unwrap();
    // A new directory: nothing at its path until the commit, then the
    // same files with the same bytes, and no sibling left.
    let dest = root.path().join("staged");
    let staged = StagedDir::create(&dest).unwrap();
    assert!(staged.is_staging());
    let staged_files = write_result_staged(&staged, &outcome).unwrap();
    assert!(!dest.exists());
    staged.commit().unwrap();
    assert_eq!(
        file_names(root.path()),
        ["plain", "staged"].map(String::from).into()
    );
    assert_eq!(staged_files.result, dest.join(RESULT_FILE));
    assert_eq!(
        staged_files.histograms[1],
        dest.join("t00.release_jitter.hgrm")
    );
    for file in written.all() {
        let name = file.file_name().unwrap();
        assert_eq!(
            fs::read(file).unwrap(),
            fs::read(dest.join(name)).unwrap(),
            "{name:?}"
        );
    }
    // An existing directory is written in place, its other files kept.
    fs::write(dest.join("notes.txt"), "mine").unwrap();
    let again = StagedDir::create(&dest).unwrap();
    assert!(!again.is_staging());
    write_result_staged(&again, &outcome).unwrap();
    again.commit().unwrap();
    assert_eq!(file_names(&dest).len(), 18);
    assert_eq!(fs::read_to_string(dest.join("notes.txt")).unwrap(), "mine");
}

#[test]
fn every_hgrm_file_parses_back_to_its_metric() {
    let outcome = sample::outcome(3, 1_000);
    let dir = tempfile::tempdir().unwrap();
    write_result_dir(dir.path(), &outcome).unwrap();
    for task in &outcome.tasks {
        for (name, metric) in metrics(task) {
            let path = dir.path().join(hgrm_file_name(&task.name, name));
            let text = fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with(&format!("{}\n\n", hgrm::HEADER)),
                "{path:?}"
            );
            let d = hgrm::parse(&text).unwrap();
            assert_eq!(d.total_count, metric.count, "{path:?}");
            assert_eq!(d.sub_buckets, 2048);
            if metric.count == 0 {
                assert!(d.rows.is_empty());
                continue;
            }
            assert!(
                d.rows.windows(2).all(|w| w[0].value_ns <= w[1].value_ns),
                "{path:?}"
            );
            assert!(
                d.rows.windows(2).all(|w| w[0].quantile < w[1].quantile),
                "{path:?}"
            );
            let last = d.rows.last().unwrap();
            assert_eq!(
                (last.quantile, last.total_count),
                (1.0, metric.count),
                "{path:?}"
            );
            assert_eq!(Some(last.value_ns), metric.max_ns, "{path:?}");
            assert_eq!(Some(d.max_ns), metric.max_ns, "{path:?}");
            let mean_us = metric.mean_ns.unwrap() / 1_000.0;
            assert!((d.mean_us - mean_us).abs() <= 0.0005 + 1e-9, "{path:?}");
            // The first row is the smallest bucket, within HDR precision.
            let min = metric.min_ns.unwrap();
            assert!(d.rows[0].value_ns >= min && d.rows[0].value_ns - min <= min / 1_000 + 1);
        }
    }
}

#[test]
fn summary_csv_has_one_row_per_task_with_empty_nulls() {
    let outcome = sample::outcome(3, 100);
    let dir = tempfile::tempdir().unwrap();
    write_result_dir(dir.path(), &outcome).unwrap();
    let text = fs::read_to_string(dir.path().join(SUMMARY_FILE)).unwrap();
    assert_eq!(text, csv::summary(&outcome));
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], csv::SUMMARY_COLUMNS);
    assert_eq!(rows.len(), 4);
    let col = |name: &str| {
        csv::SUMMARY_COLUMNS
            .iter()
            .position(|c| *c == name)
            .unwrap()
    };
    let t0 = &outcome.tasks[0];
    let r0 = &rows[1];
    assert_eq!(r0[col("name")], "t00");
    assert_eq!(r0[col("cpu")], "0");
    assert_eq!(r0[col("period_ns")], "1000000");
    assert_eq!(r0[col("jobs")], "100");
    assert_eq!(
        r0[col("response_time_max_ns")],
        t0.response_time.max_ns.unwrap().to_string()
    );
    assert_eq!(
        r0[col("response_time_mean_ns")],
        t0.response_time.mean_ns.unwrap().to_string()
    );
    assert_eq!(
        r0[col("lateness_min_ns")],
        t0.lateness_min_ns.unwrap().to_string()
    );
    assert_eq!(r0[col("wcrt_ns")], "500000");
    assert_eq!(r0[col("analysis_schedulable")], "true");
    assert_eq!(rows[2][col("analysis_schedulable")], "false");
    // The last task never ran and has no analysis bound: empty cells.
    let r2 = &rows[3];
    assert_eq!(r2[col("jobs")], "0");
    for c in [
        "response_time_min_ns",
        "response_time_mean_ns",
        "tardiness_max_ns",
        "lateness_max_ns",
        "wcrt_ns",
        "analysis_schedulable",
    ] {
        assert_eq!(r2[col(c)], "", "{c}");
    }
}

#[test]
fn unusable_or_duplicate_task_names_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["../evil", "a/b", ".hidden", "", "sp ace"] {
        let mut outcome = sample::outcome(2, 10);
        outcome.tasks[1].name = bad.to_string();
        let err = write_result_dir(dir.path(), &outcome).unwrap_err();
        assert!(
            matches!(err, ReportError::TaskName { .. }),
            "{bad:?}: {err}"
        );
    }
    let mut outcome = sample::outcome(2, 10);
    outcome.tasks[1].name = "t00".to_string();
    let err = write_result_dir(dir.path(), &outcome).unwrap_err();
    assert_eq!(
        err.to_string(),
        "two tasks are named `t00`; their result files would collide"
    );
    assert!(file_names(dir.path()).is_empty());
}

#[test]
fn an_undecodable_histogram_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut outcome = sample::outcome(2, 10);
    outcome.tasks[0].blocking.hdr = "not base64!".to_string();
    let err = write_result_dir(dir.path(), &outcome).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("task `t00`, metric blocking: histogram is not base64"),
        "{err}"
    );
}

#[test]
fn a_file_in_the_way_of_the_directory_is_an_io_error() {
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("taken");
    fs::write(&file, "x").unwrap();
    let err = write_result_dir(&file.join("run"), &sample::outcome(1, 1)).unwrap_err();
    assert!(
        err.to_string().starts_with("cannot create directory "),
        "{err}"
    );
}

#[test]
fn a_streamed_trace_file_is_valid_json_with_every_span_closed() {
    let system = sample::system(2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trace.json");
    let mut writer = PerfettoWriter::create(&path, &system, "simulation").unwrap();
    for event in sample::events(13_000) {
        writer.event(&event);
    }
    let done = writer.finish_at(2_000_000_000).unwrap();
    assert_eq!(done.events, 13_000);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(done.bytes, text.len() as u64);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let records = v["traceEvents"].as_array().unwrap();
    assert_eq!(records.len() as u64, done.records);
    let count = |ph: &str| records.iter().filter(|r| r["ph"] == ph).count();
    // 1000 periods: 2000 + 1000 jobs, t01 preempted once per job.
    assert_eq!((count("b"), count("e")), (3_000, 3_000));
    assert_eq!(count("X"), 2_000 + 2 * 1_000);
    assert_eq!(count("i"), 2 * 1_000);
    let lock = records.iter().find(|r| r["name"] == "lock").unwrap();
    assert_eq!(lock["args"]["resource"], "bus");
    assert_eq!(lock["ts"].as_f64(), Some(50.001));
}
