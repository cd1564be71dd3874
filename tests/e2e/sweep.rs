//! `rtlab sweep` and `rtlab merge` end to end: files written, shards merged
//! back to the unsharded bytes, bad arguments and mismatched files exit 2.

use crate::util::{Sandbox, config};

const SMALL: [&str; 10] = [
    "sweep",
    "--tasks",
    "4",
    "--util",
    "0.6:1:0.2",
    "--sets",
    "12",
    "--tests",
    "liu-layland,rta,edf-demand",
    "--breakdown",
];

#[test]
fn sweep_writes_json_csv_and_plots() {
    let sb = Sandbox::new();
    let run = sb.rtlab(SMALL);
    run.expect_code(0);
    let dir = sb.path().join("rtlab-out/sweep");
    for f in [
        "sweep.json",
        "sweep.csv",
        "sweep.png",
        "sweep.svg",
        "breakdown.png",
        "breakdown.svg",
    ] {
        assert!(
            dir.join(f).is_file(),
            "{f} missing; stdout:\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("breakdown utilization"),
        "{}",
        run.stdout
    );
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("utilization,test,sets,schedulable,ratio,undecided")
    );
    // 3 points x 3 tests.
    assert_eq!(lines.count(), 9);
    // No temporary file left behind.
    assert!(
        std::fs::read_dir(&dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with('.'))
    );
}

#[test]
fn json_prints_the_sweep_document() {
    let sb = Sandbox::new();
    let mut args: Vec<&str> = SMALL.to_vec();
    args.push("--json");
    let doc = sb.rtlab(&args).expect_code(0).json();
    assert_eq!(doc["schema"], "rtlab.sweep/v1");
    let p = &doc["points"][0];
    for key in ["utilization", "test", "sets", "schedulable", "ratio"] {
        assert!(p.get(key).is_some(), "point lacks {key}: {p}");
    }
    assert_eq!(p["sets"], 12);
    let b = &doc["breakdown"][0];
    for key in ["test", "sets", "mean", "p5", "p50", "p95"] {
        assert!(b.get(key).is_some(), "breakdown lacks {key}: {b}");
    }
    assert_eq!(doc["generator"], "uunifast");
    assert_eq!(doc["tasks"], 4);
    // The same bytes as the file.
    let file = std::fs::read_to_string(sb.path().join("rtlab-out/sweep/sweep.json")).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&file).unwrap(),
        doc
    );
}

#[test]
fn shards_merge_to_the_unsharded_bytes() {
    let sb = Sandbox::new();
    let mut whole: Vec<&str> = SMALL.to_vec();
    whole.extend(["--out", "whole"]);
    sb.rtlab(&whole).expect_code(0);
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let out = format!("part{i}");
        let mut args: Vec<&str> = SMALL.to_vec();
        args.extend(["--shard", &shard, "--out", &out]);
        sb.rtlab(&args).expect_code(0);
    }
    sb.rtlab([
        "merge",
        "part3/sweep.json",
        "part1/sweep.json",
        "part2/sweep.json",
        "--out",
        "merged/sweep.json",
    ])
    .expect_code(0);
    let read = |p: &str| std::fs::read(sb.path().join(p)).unwrap();
    assert_eq!(read("merged/sweep.json"), read("whole/sweep.json"));
    assert_eq!(read("merged/sweep.csv"), read("whole/sweep.csv"));
    assert!(sb.path().join("merged/breakdown.png").is_file());
    // A shard twice: refused, naming the file.
    let run = sb.rtlab([
        "merge",
        "part1/sweep.json",
        "part1/sweep.json",
        "--out",
        "again.json",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("part1/sweep.json: repeats shard 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn merge_refuses_other_sweeps_and_mixed_files() {
    let sb = Sandbox::new();
    let mut a: Vec<&str> = SMALL.to_vec();
    a.extend(["--shard", "1/2", "--out", "a"]);
    sb.rtlab(&a).expect_code(0);
    let mut b: Vec<&str> = SMALL.to_vec();
    b.extend(["--shard", "2/2", "--seed", "9", "--out", "b"]);
    sb.rtlab(&b).expect_code(0);
    let run = sb.rtlab(["merge", "a/sweep.json", "b/sweep.json", "--out", "m.json"]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("b/sweep.json: belongs to another sweep: seed is 9, not 1"),
        "{}",
        run.stderr
    );
    // A result and a sweep.
    let cfg = config("rm-textbook.toml");
    sb.rtlab([
        "simulate".as_ref(),
        cfg.as_os_str(),
        "--out".as_ref(),
        "sim".as_ref(),
    ])
    .expect_code(0);
    let run = sb.rtlab([
        "merge",
        "a/sweep.json",
        "sim/result.json",
        "--out",
        "m.json",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("sim/result.json: is a result"),
        "{}",
        run.stderr
    );
    let junk = sb.write("junk.json", r#"{"schema": "rtlab.analysis/v1"}"#);
    let run = sb.rtlab([
        "merge".as_ref(),
        junk.as_os_str(),
        "--out".as_ref(),
        "m.json".as_ref(),
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("junk.json: schema"), "{}", run.stderr);
}

#[test]
fn results_of_one_config_merge_losslessly() {
    let sb = Sandbox::new();
    let cfg = config("rm-textbook.toml");
    for (seed, out) in [("1", "s1"), ("2", "s2")] {
        sb.rtlab([
            "simulate".as_ref(),
            cfg.as_os_str(),
            "--seed".as_ref(),
            seed.as_ref(),
            "--horizon".as_ref(),
            "1s".as_ref(),
            "--out".as_ref(),
            out.as_ref(),
        ])
        .expect_code(0);
    }
    sb.rtlab([
        "merge",
        "s1/result.json",
        "s2/result.json",
        "--out",
        "both/result.json",
    ])
    .expect_code(0);
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(sb.path().join(p)).unwrap()).unwrap()
    };
    let (a, b, m) = (
        read("s1/result.json"),
        read("s2/result.json"),
        read("both/result.json"),
    );
    for i in 0..3 {
        let jobs = |v: &serde_json::Value| v["tasks"][i]["jobs"].as_u64().unwrap();
        assert_eq!(jobs(&m), jobs(&a) + jobs(&b));
        let count =
            |v: &serde_json::Value| v["tasks"][i]["response_time"]["count"].as_u64().unwrap();
        assert_eq!(count(&m), count(&a) + count(&b));
    }
    assert_eq!(m["duration_ns"], 2_000_000_000_u64);
    assert_eq!(
        m["environment"]["details"]["merged_runs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(sb.path().join("both/summary.csv").is_file());
    // Another config: refused, naming the file.
    let other = config("rm-vs-edf.toml");
    sb.rtlab([
        "simulate".as_ref(),
        other.as_os_str(),
        "--horizon".as_ref(),
        "1s".as_ref(),
        "--out".as_ref(),
        "o".as_ref(),
    ])
    .expect_code(0);
    let run = sb.rtlab([
        "merge",
        "s1/result.json",
        "o/result.json",
        "--out",
        "x.json",
    ]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("o/result.json: is a result of another configuration"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    let sb = Sandbox::new();
    for (args, says) in [
        (
            vec!["--util", "0.9:0.1:0.1"],
            "FROM (0.9) is above TO (0.1)",
        ),
        (vec!["--shard", "3/2"], "is not I/N with 1 <= I <= N"),
        (vec!["--tests", "rta,magic"], "unknown test `magic`"),
        (
            vec!["--periods", "log-uniform:5ms"],
            "expected log-uniform:MIN:MAX",
        ),
        (
            vec!["--generator", "uunifast-discard", "--util", "5"],
            "at most 4",
        ),
        (
            vec!["--deadlines", "constrained", "--tests", "liu-layland"],
            "implicit deadlines only",
        ),
        (vec!["--cpus", "0"], "--cpus must be at least 1"),
    ] {
        let mut all = vec!["sweep", "--tasks", "4", "--sets", "5"];
        all.extend(args);
        let run = sb.rtlab(&all);
        run.expect_code(2);
        assert!(run.stderr.contains(says), "{all:?}: {}", run.stderr);
    }
}
