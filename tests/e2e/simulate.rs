//! `rtlab simulate` end to end: every shipped config simulates, results are
//! deterministic, files are complete, a deadlock exits 1 with a partial
//! result.

use crate::util::{Sandbox, all_configs, config};

#[test]
fn every_shipped_config_simulates_and_writes_its_files() {
    let sb = Sandbox::new();
    for path in all_configs() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let out = sb.path().join(&name);
        let run = sb.rtlab([
            "simulate".as_ref(),
            path.as_os_str(),
            "--horizon".as_ref(),
            "500ms".as_ref(),
            "--trace".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        run.expect_code(0);
        assert!(run.stdout.contains("wrote "), "{name}: {}", run.stdout);
        let result: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("result.json")).unwrap()).unwrap();
        assert_eq!(result["schema"], "rtlab.result/v1", "{name}");
        assert_eq!(result["engine"], "simulation");
        assert_eq!(result["duration_ns"], 500_000_000u64);
        assert_eq!(result["started_at"], serde_json::Value::Null);
        let tasks = result["tasks"].as_array().unwrap();
        for t in tasks {
            let task = t["name"].as_str().unwrap();
            for metric in [
                "response_time",
                "release_jitter",
                "start_delay",
                "tardiness",
                "blocking",
            ] {
                assert!(
                    out.join(format!("{task}.{metric}.hgrm")).is_file(),
                    "{name}: {task}.{metric}.hgrm"
                );
            }
            // Jobs add up.
            let n = |k: &str| t[k].as_u64().unwrap();
            assert_eq!(
                n("jobs"),
                n("completed") + n("incomplete") + n("skipped") + n("aborted") + n("faults"),
                "{name}/{task}: {t:#}"
            );
        }
        let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
        assert_eq!(csv.lines().count(), tasks.len() + 1, "{name}: {csv}");
        let trace: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("trace.json")).unwrap()).unwrap();
        assert!(
            trace["traceEvents"].as_array().unwrap().len() > tasks.len(),
            "{name}"
        );
        assert_eq!(result["trace"]["file"], "trace.json");
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_schedule() {
    let sb = Sandbox::new();
    let demo = config("demo.toml");
    let result = |seed: &str, dir: &str| {
        sb.rtlab([
            "simulate".as_ref(),
            demo.as_os_str(),
            "--seed".as_ref(),
            seed.as_ref(),
            "--out".as_ref(),
            dir.as_ref(),
        ])
        .expect_code(0);
        std::fs::read(sb.path().join(dir).join("result.json")).unwrap()
    };
    let a = result("7", "a");
    let b = result("7", "b");
    let c = result("8", "c");
    assert_eq!(
        a, b,
        "same config and seed must give byte-identical result.json"
    );
    assert_ne!(
        a, c,
        "another seed must give another schedule (execution times vary)"
    );
    for f in ["summary.csv", "sensor.response_time.hgrm"] {
        assert_eq!(
            std::fs::read(sb.path().join("a").join(f)).unwrap(),
            std::fs::read(sb.path().join("b").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn json_prints_the_result_document() {
    let sb = Sandbox::new();
    let run = sb.rtlab([
        "simulate".as_ref(),
        config("rm-vs-edf.toml").as_os_str(),
        "--json".as_ref(),
    ]);
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["schema"], "rtlab.result/v1");
    let slow = v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "slow")
        .unwrap();
    assert!(slow["deadline_misses"].as_u64().unwrap() > 0);
    assert_eq!(slow["misses"][0]["waited_for"][0]["task"], "fast");
    // The default output directory.
    assert!(
        sb.path()
            .join("rtlab-out/rm-vs-edf/simulation/result.json")
            .is_file()
    );
    let edf = sb.rtlab([
        "simulate".as_ref(),
        config("rm-vs-edf.toml").as_os_str(),
        "--variant".as_ref(),
        "edf".as_ref(),
        "--fail-on-miss".as_ref(),
    ]);
    edf.expect_code(0);
    assert!(
        sb.path()
            .join("rtlab-out/rm-vs-edf/edf/simulation/result.json")
            .is_file()
    );
    let rm = sb.rtlab([
        "simulate".as_ref(),
        config("rm-vs-edf.toml").as_os_str(),
        "--fail-on-miss".as_ref(),
    ]);
    rm.expect_code(3);
}

#[test]
fn pathfinder_summary_says_who_missed_and_why() {
    let sb = Sandbox::new();
    let run = sb.rtlab(["simulate".as_ref(), config("pathfinder.toml").as_os_str()]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("bus_manager: 40 of 200 jobs missed"),
        "{}",
        run.stdout
    );
    // The parts add up to the response, and the inversion is named with
    // its cure.
    assert!(
        run.stdout.contains(
            "why: 22.6 ms response = 1.00 ms own execution + 20.0 ms `comms` ran during \
             priority inversion on `bus` (held by `meteo`) + 1.60 ms `meteo` held `bus`"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("fix: priority inversion: `comms` ran while `meteo` held `bus`"),
        "{}",
        run.stdout
    );
    for variant in ["inherit", "ceiling"] {
        let run = sb.rtlab([
            "simulate".as_ref(),
            config("pathfinder.toml").as_os_str(),
            "--variant".as_ref(),
            variant.as_ref(),
        ]);
        run.expect_code(0);
        assert!(
            run.stdout.contains("no deadline was missed"),
            "{variant}: {}",
            run.stdout
        );
    }
}

#[test]
fn a_simulated_deadlock_exits_1_with_a_partial_result() {
    let sb = Sandbox::new();
    let path = sb.write(
        "deadlock.toml",
        r#"
name = "deadlock"
[[task]]
name = "a"
period = "10ms"
wcet = "3ms"
offset = "1ms"
sections = [ { resource = "r1", after = "0ms", hold = "2ms" }, { resource = "r2", after = "1ms", hold = "0.5ms" } ]
[[task]]
name = "b"
period = "20ms"
wcet = "3ms"
sections = [ { resource = "r2", after = "0.5ms", hold = "2ms" }, { resource = "r1", after = "1.5ms", hold = "0.5ms" } ]
"#,
    );
    let check = sb.rtlab(["check".as_ref(), path.as_os_str()]);
    check.expect_code(0);
    assert!(
        check.stderr.contains("possible deadlock"),
        "{}",
        check.stderr
    );
    let run = sb.rtlab([
        "simulate".as_ref(),
        path.as_os_str(),
        "--out".as_ref(),
        "out".as_ref(),
    ]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("`b` waits for `r1` held by `a`"),
        "{}",
        run.stderr
    );
    let result: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.path().join("out/result.json")).unwrap()).unwrap();
    assert_eq!(result["interrupted"], true);
    assert_eq!(result["deadlock"]["at_ns"], 2_500_000);
    assert_eq!(result["deadlock"]["cycle"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_horizon_is_bad_input() {
    let sb = Sandbox::new();
    let run = sb.rtlab([
        "simulate".as_ref(),
        config("demo.toml").as_os_str(),
        "--horizon".as_ref(),
        "10".as_ref(),
    ]);
    run.expect_code(2);
    assert!(run.stderr.contains("has no unit"), "{}", run.stderr);
    let run = sb.rtlab([
        "simulate".as_ref(),
        config("demo.toml").as_os_str(),
        "--horizon".as_ref(),
        "0s".as_ref(),
    ]);
    run.expect_code(2);
}

/// `duration = u64::MAX ns` used to pass `check` and then simulate forever
/// (issue 9, case 10): now every command that reads the config rejects it
/// with its location and a hint, and `--horizon` obeys the same limit. The
/// longest duration allowed runs to completion.
#[test]
fn a_duration_beyond_the_longest_is_rejected_and_the_longest_runs() {
    let sb = Sandbox::new();
    let task = "[[task]]\nname = \"a\"\nperiod = \"4000000000s\"\nwcet = \"1s\"\n";
    let bad = sb.write(
        "bad.toml",
        format!("name = \"t\"\nduration = \"18446744073709551615ns\"\n{task}"),
    );
    for cmd in ["check", "simulate"] {
        let run = sb.rtlab([cmd.as_ref(), bad.as_os_str()]);
        run.expect_code(2);
        let needle = format!("{}:2:12: error: `duration` is longer than", bad.display());
        assert!(run.stderr.contains(&needle), "{cmd}: {}", run.stderr);
        assert!(run.stderr.contains("hint:"), "{cmd}: {}", run.stderr);
    }
    let good = sb.write(
        "good.toml",
        format!("name = \"t\"\nduration = \"4000000000s\"\n{task}"),
    );
    let run = sb.rtlab(["simulate".as_ref(), good.as_os_str(), "--json".as_ref()]);
    run.expect_code(0);
    let result = run.json();
    assert_eq!(result["duration_ns"], 4_000_000_000_000_000_000u64);
    assert_eq!(result["tasks"][0]["jobs"], 1);
    assert_eq!(result["tasks"][0]["completed"], 1);
    for horizon in ["4000000000.000000001s", "18446744073709551615ns"] {
        let run = sb.rtlab([
            "simulate".as_ref(),
            good.as_os_str(),
            "--horizon".as_ref(),
            horizon.as_ref(),
        ]);
        run.expect_code(2);
        assert!(
            run.stderr.contains("longer than 4000000000s"),
            "{horizon}: {}",
            run.stderr
        );
    }
}

/// Two different configs with the same `name` share `rtlab-out/NAME/`:
/// the second run says it replaces the first's results; the same config
/// again (or the same text under another path) says nothing.
#[test]
fn a_different_config_with_the_same_name_is_told_it_replaces_results() {
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(config("rm-textbook.toml")).unwrap();
    std::fs::create_dir_all(sb.path().join("a")).unwrap();
    std::fs::create_dir_all(sb.path().join("b")).unwrap();
    let a = sb.write("a/x.toml", &text);
    let same = sb.write("b/same.toml", &text);
    let other = sb.write(
        "b/x.toml",
        text.replacen("period = \"4ms\"", "period = \"5ms\"", 1),
    );
    let simulate = |p: &std::path::Path| {
        let run = sb.rtlab(["simulate".as_ref(), p.as_os_str()]);
        run.expect_code(0);
        run.stderr
    };
    assert_eq!(simulate(&a), "");
    assert_eq!(simulate(&same), "");
    let warned = simulate(&other);
    assert!(
        warned.contains("rtlab-out/rm-textbook held results of")
            && warned.contains("b/same.toml, a different config also named \"rm-textbook\"")
            && warned.contains("use --out"),
        "{warned}"
    );
    assert_eq!(simulate(&other), "");
}
