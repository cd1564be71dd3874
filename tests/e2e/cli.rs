//! The demo, `init` and `tune` from a user's seat.

use crate::util::{Sandbox, config};

#[test]
fn demo_runs_with_no_arguments() {
    // The demo includes live runs: one at a time with the other live tests.
    let _guard = crate::live::serial();
    let sb = Sandbox::new();
    let run = sb.rtlab(std::iter::empty::<&str>());
    run.expect_code(0);
    // Analysis, simulation, live run and the report, with its path.
    for section in [
        "== 1. analysis ==",
        "== 2. simulation",
        "== 3. live run",
        "== 4. report: rtlab-out/demo/report.html ==",
    ] {
        assert!(
            run.stdout.contains(section),
            "no {section:?} in\n{}",
            run.stdout
        );
    }
    assert!(sb.path().join("rtlab-out/demo/report.html").is_file());
    assert!(
        run.stdout
            .contains("verdict: as configured, `sensor` misses"),
        "{}",
        run.stdout
    );
    for dir in [
        "simulation",
        "live",
        "rate-monotonic/simulation",
        "rate-monotonic/live",
    ] {
        assert!(
            sb.path()
                .join("rtlab-out/demo")
                .join(dir)
                .join("result.json")
                .is_file(),
            "{dir}"
        );
    }
    assert!(run.stdout.contains("rtlab demo"), "{}", run.stdout);
    // The base config misses: the sensor task, by how much; the variant fixes it.
    assert!(
        run.stdout.contains("verdict: NOT schedulable"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("sensor: misses (proven): job 1")
            && run.stdout.contains("(late by at least 12ms)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("variant `rate-monotonic`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("verdict: schedulable"),
        "{}",
        run.stdout
    );
}

#[test]
fn init_writes_templates_that_check_and_never_overwrites() {
    let sb = Sandbox::new();
    let list = sb.rtlab(["init", "--list"]);
    list.expect_code(0);
    let names: Vec<String> = list
        .stdout
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(names.len() >= 8 && names[0] == "starter", "{names:?}");
    for name in &names {
        let file = format!("{name}.toml");
        sb.rtlab(["init", name, "--out", &file]).expect_code(0);
        sb.rtlab(["check", &file]).expect_code(0);
    }
    let again = sb.rtlab(["init", "starter", "--out", "starter.toml"]);
    again.expect_code(2);
    assert!(
        again.stderr.contains("never overwrites"),
        "{}",
        again.stderr
    );
    let unknown = sb.rtlab(["init", "nope"]);
    unknown.expect_code(2);
    let stdout = sb.rtlab(["init"]);
    stdout.expect_code(0);
    assert!(
        stdout.stdout.starts_with("# A starter config"),
        "{}",
        stdout.stdout
    );
}

#[test]
fn tune_fixes_the_demo_and_write_keeps_comments() {
    let sb = Sandbox::new();
    let path = sb.path().join("demo.toml");
    std::fs::copy(config("demo.toml"), &path).unwrap();
    let before = std::fs::read_to_string(&path).unwrap();

    let dry = sb.rtlab(["tune", "demo.toml"]);
    dry.expect_code(0);
    assert!(
        dry.stdout.contains("before: verdict: NOT schedulable"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("after:  verdict: schedulable"),
        "{}",
        dry.stdout
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        before,
        "tune without --write changed the file"
    );

    sb.rtlab(["tune", "--write", "demo.toml"]).expect_code(0);
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.contains("# rtlab demo: four tasks"),
        "comments lost:\n{after}"
    );
    assert!(after.contains("priority = 90"), "{after}");
    // The comment after the rewritten priority keeps its column.
    let column = |t: &str| {
        let l = t
            .lines()
            .find(|l| l.contains("# lowest: the mistake"))
            .unwrap();
        l.find('#').unwrap()
    };
    assert_eq!(column(&after), column(&before), "{after}");
    let analysis = sb.rtlab(["analyze", "--json", "demo.toml"]);
    analysis.expect_code(0);
    assert_eq!(analysis.json()["schedulable"], true);
    // Rate-monotonic order: the 2 ms sensor is now the most urgent.
    let v = analysis.json();
    let prio = |n: &str| {
        v["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == n)
            .unwrap()["priority"]
            .as_u64()
            .unwrap()
    };
    assert!(prio("sensor") > prio("control") && prio("control") > prio("telemetry"));
}

/// When no priority order helps, `tune` says what would, with the
/// analysis' numbers; `--write` on a file whose order was derived says why
/// it now holds explicit priorities.
#[test]
fn tune_says_what_helps_when_no_order_does_and_why_it_writes_explicit_priorities() {
    let sb = Sandbox::new();
    let path = sb.path().join("pathfinder.toml");
    std::fs::copy(config("pathfinder.toml"), &path).unwrap();
    let dry = sb.rtlab(["tune", "pathfinder.toml"]);
    dry.expect_code(0);
    assert!(
        dry.stdout
            .contains("No priority order proves that `bus_manager` meets its deadline. What would:")
            && dry.stdout.contains(
                "- locking = \"inherit\" under [scheduler]: `bus_manager` bound 27ms -> 3ms (deadline 10ms); every task proven"
            ),
        "{}",
        dry.stdout
    );
    let rm = sb.write(
        "rm.toml",
        std::fs::read_to_string(config("rm-textbook.toml")).unwrap(),
    );
    let wrote = sb.rtlab(["tune".as_ref(), "--write".as_ref(), rm.as_os_str()]);
    wrote.expect_code(0);
    assert!(
        wrote.stdout.contains(
            "(scheduler.priorities = \"explicit\": the file derived them (rate-monotonic)"
        ),
        "{}",
        wrote.stdout
    );
}

#[test]
fn unknown_variant_is_bad_input() {
    let sb = Sandbox::new();
    let run = sb.rtlab([
        "analyze".as_ref(),
        "--variant".as_ref(),
        "nope".as_ref(),
        config("pathfinder.toml").as_os_str(),
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("variants: inherit, ceiling"),
        "{}",
        run.stderr
    );
}

#[test]
fn pathfinder_inversion_is_bounded_by_a_busy_window_without_a_protocol() {
    let sb = Sandbox::new();
    let base = sb.rtlab([
        "analyze".as_ref(),
        "--json".as_ref(),
        config("pathfinder.toml").as_os_str(),
    ]);
    base.expect_code(0);
    let v = base.json();
    let bus = v["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "bus_manager")
        .unwrap();
    // No bound made of critical sections: the busy window of meteo, comms
    // and bus_manager (27ms), 26ms of it above the unblocked response; over
    // the 10ms deadline, but an upper bound only, so not a proof.
    assert_eq!(bus["wcrt_ns"], 27_000_000, "{v:#}");
    assert_eq!(bus["blocking_ns"], 26_000_000, "{v:#}");
    assert_eq!(bus["schedulable"], serde_json::Value::Null);
    assert_eq!(v["schedulable"], serde_json::Value::Null);
    assert_eq!(v["flagged"], serde_json::json!(["bus_manager"]));
    assert!(
        bus["blocking_detail"]
            .as_str()
            .unwrap()
            .contains("a protocol, inherit or ceiling, would bound it"),
        "{v:#}"
    );
    for variant in ["inherit", "ceiling"] {
        let run = sb.rtlab([
            "analyze".as_ref(),
            "--json".as_ref(),
            "--variant".as_ref(),
            variant.as_ref(),
            config("pathfinder.toml").as_os_str(),
        ]);
        run.expect_code(0);
        let v = run.json();
        assert_eq!(v["schedulable"], true, "{variant}: {v:#}");
        let bus = v["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "bus_manager")
            .unwrap();
        assert_eq!(
            bus["blocking_ns"], 2_000_000,
            "{variant}: one critical section of meteo"
        );
        assert_eq!(bus["wcrt_ns"], 3_000_000, "{variant}");
    }
}
