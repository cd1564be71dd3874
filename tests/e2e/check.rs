//! `rtlab check` and bad input: every shipped config validates; every kind
//! of malformed config is rejected by every command that reads a config,
//! with exit 2, `file:line:col` and no panic.

use crate::util::{Sandbox, all_configs};

const GOOD: &str = "name = \"ok\"\n[platform]\ncpus = [0]\n[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\n";

/// Each malformed config with the `line:col` and message its first error
/// must carry.
fn malformed() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let g = GOOD;
    vec![
        (
            "syntax error",
            b"name = \"x\"\n[[task]\nname = 1\n".to_vec(),
            ":2:",
        ),
        (
            "unknown key",
            g.replace("wcet", "wect").into_bytes(),
            ":7:1: error: unknown key `wect`",
        ),
        (
            "missing field",
            g.replace("wcet = \"1ms\"\n", "").into_bytes(),
            ":4:1: error: missing required key `wcet`",
        ),
        (
            "bad unit",
            g.replace("\"4ms\"", "\"4 parsecs\"").into_bytes(),
            ":6:10: error: `period`: unknown unit",
        ),
        (
            "number without unit",
            g.replace("\"4ms\"", "4").into_bytes(),
            ":6:10: error: `period` must be a duration string",
        ),
        (
            "zero duration",
            g.replace("\"4ms\"", "\"0ms\"").into_bytes(),
            ":6:10: error: `period` must be greater than 0",
        ),
        (
            "negative duration",
            g.replace("\"1ms\"", "\"-1ms\"").into_bytes(),
            ":7:8: error: `wcet` must be greater than 0, found \"-1ms\"",
        ),
        (
            "overflowing duration",
            g.replace("\"4ms\"", "\"20000000000s\"").into_bytes(),
            ":6:10: error: `period`: time overflow",
        ),
        (
            "duration too long to simulate",
            g.replace(
                "name = \"ok\"\n",
                "name = \"ok\"\nduration = \"18446744073709551615ns\"\n",
            )
            .into_bytes(),
            ":2:12: error: `duration` is longer than 4000000000s (about 126 years)",
        ),
        (
            "period too long",
            g.replace("\"4ms\"", "\"4000000000.000000001s\"")
                .into_bytes(),
            ":6:10: error: `period` is longer than 4000000000s",
        ),
        (
            "wcet > deadline",
            g.replace("\"1ms\"", "\"5ms\"").into_bytes(),
            ":7:8: error: task `a`: wcet 5ms is longer than its deadline 4ms",
        ),
        (
            "duplicate names",
            format!("{g}[[task]]\nname = \"a\"\nperiod = \"8ms\"\nwcet = \"1ms\"\n").into_bytes(),
            ":9:8: error: duplicate task name `a`",
        ),
        (
            "cpu not in platform",
            format!("{g}cpu = 5\n").into_bytes(),
            ":8:7: error: task `a` is placed on CPU 5",
        ),
        (
            "section longer than wcet",
            format!(
                "{g}sections = [{{ resource = \"bus\", after = \"0.5ms\", hold = \"1ms\" }}]\n"
            )
            .into_bytes(),
            ":8:13: error: task `a`: section on `bus` ends at 1.5ms, after the wcet 1ms",
        ),
        (
            "explicit priorities missing",
            g.replace(
                "[[task]]",
                "[scheduler]\npriorities = \"explicit\"\n[[task]]",
            )
            .into_bytes(),
            ":6:1: error: task `a` has no `priority`",
        ),
        (
            "sporadic min above max",
            g.replace(
                "period = \"4ms\"\n",
                "arrival = { model = \"sporadic\", min = \"9ms\", max = \"5ms\" }\n",
            )
            .into_bytes(),
            ":6:39: error: `min` (9ms) must not exceed max (5ms)",
        ),
        (
            "trigger naming an unknown task",
            format!("{g}[[task]]\nname = \"b\"\nwcet = \"1ms\"\ntrigger = \"nope\"\n").into_bytes(),
            ":11:11: error: `trigger` names \"nope\", which is not a task of this config",
        ),
        (
            "trigger cycle",
            format!(
                "{g}[[task]]\nname = \"b\"\nwcet = \"1ms\"\ntrigger = \"c\"\n\
                 [[task]]\nname = \"c\"\nwcet = \"1ms\"\ntrigger = \"b\"\n"
            )
            .into_bytes(),
            ":11:11: error: `trigger` of task `b` closes a cycle of triggers",
        ),
        (
            "triggered task with a period",
            format!(
                "{g}[[task]]\nname = \"b\"\nperiod = \"4ms\"\nwcet = \"1ms\"\ntrigger = \"a\"\n"
            )
            .into_bytes(),
            ":10:10: error: `period` does not apply to a triggered task",
        ),
        (
            "chain of unlinked tasks",
            format!(
                "{g}[[task]]\nname = \"b\"\nperiod = \"4ms\"\nwcet = \"1ms\"\n\
                 [[chain]]\nname = \"ab\"\ntasks = [\"a\", \"b\"]\n"
            )
            .into_bytes(),
            ":14:15: error: `tasks` of chain `ab`: `b` neither is triggered by nor reads `a`",
        ),
        (
            "wrong type",
            g.replace("cpus = [0]", "cpus = \"zero\"").into_bytes(),
            ":3:8: error: `cpus` must be an array, found a string",
        ),
        (
            "empty file",
            Vec::new(),
            ":1:1: error: missing required key `name`",
        ),
        (
            "binary file",
            b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe".to_vec(),
            ":1:11: error: the file is not UTF-8 text",
        ),
    ]
}

#[test]
fn every_shipped_config_passes_check() {
    let sb = Sandbox::new();
    let configs = all_configs();
    assert!(configs.len() >= 7, "{configs:?}");
    let run = sb.rtlab(
        std::iter::once("check".into()).chain(configs.iter().map(|p| p.clone().into_os_string())),
    );
    run.expect_code(0);
    assert_eq!(
        run.stdout.lines().filter(|l| l.starts_with("ok: ")).count(),
        configs.len()
    );
}

#[test]
fn malformed_configs_exit_2_with_a_location_from_every_command() {
    let sb = Sandbox::new();
    let commands: &[&[&str]] = &[
        &["check"],
        &["analyze"],
        &["analyze", "--json"],
        &["tune"],
        &["tune", "--write"],
    ];
    for (what, bytes, expected) in malformed() {
        let path = sb.write("bad.toml", &bytes);
        for cmd in commands {
            let mut args: Vec<std::ffi::OsString> = cmd.iter().map(Into::into).collect();
            args.push(path.clone().into());
            let run = sb.rtlab(&args);
            assert_eq!(
                run.code,
                Some(2),
                "{what} / {cmd:?}: exit code\n{}",
                run.stderr
            );
            let needle = format!("{}{expected}", path.display());
            assert!(
                run.stderr.contains(&needle),
                "{what} / {cmd:?}: no `{needle}` in\n{}",
                run.stderr
            );
            assert!(
                !run.stderr.contains("panicked"),
                "{what} / {cmd:?} panicked:\n{}",
                run.stderr
            );
            assert!(
                run.stdout.is_empty(),
                "{what} / {cmd:?}: printed a result:\n{}",
                run.stdout
            );
        }
        // `tune --write` on a bad file must leave it as it was.
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{what}: file modified"
        );
    }
}

#[test]
fn every_problem_of_a_file_is_reported() {
    let sb = Sandbox::new();
    let text = GOOD
        .replace("\"4ms\"", "\"0ms\"")
        .replace("wcet", "wcet = \"1ms\"\nwcets")
        + "cpu = 3\n[scheduler]\npolicy = \"rm\"\n";
    let path = sb.write("many.toml", text);
    let run = sb.rtlab(["check".as_ref(), path.as_os_str()]);
    run.expect_code(2);
    for needle in [
        "`period` must be greater than 0",
        "unknown key `wcets`",
        "CPU 3",
        "`policy` must be one of",
    ] {
        assert!(
            run.stderr.contains(needle),
            "missing {needle:?} in\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("4 errors in"), "{}", run.stderr);
}

#[test]
fn check_reports_each_file_and_fails_if_one_fails() {
    let sb = Sandbox::new();
    let good = sb.write("good.toml", GOOD);
    let bad = sb.write("bad.toml", GOOD.replace("\"1ms\"", "\"9ms\""));
    let run = sb.rtlab(["check".as_ref(), bad.as_os_str(), good.as_os_str()]);
    run.expect_code(2);
    assert!(
        run.stdout.contains("ok: ") && run.stdout.contains("good.toml"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("bad.toml:7:8: error"), "{}", run.stderr);
}

#[test]
fn a_missing_file_is_bad_input() {
    let sb = Sandbox::new();
    let run = sb.rtlab(["analyze", "does-not-exist.toml"]);
    run.expect_code(2);
    assert!(run.stderr.contains("does-not-exist.toml"), "{}", run.stderr);
}

#[test]
fn warnings_are_shown_but_do_not_fail() {
    let sb = Sandbox::new();
    let path = sb.write(
        "warn.toml",
        GOOD.replace("wcet = \"1ms\"", "wcet = \"1ms\"\ndeadline = \"6ms\""),
    );
    let run = sb.rtlab(["check".as_ref(), path.as_os_str()]);
    run.expect_code(0);
    assert!(
        run.stderr.contains(
            "warn.toml:8:12: warning: task `a` deadline 6ms is longer than its period 4ms"
        ),
        "{}",
        run.stderr
    );
}

/// What a learner types first, each mistake with the one message that
/// teaches its fix: no "missing" key beside a bad value, the real bound of
/// a negative duration, "did you mean" for enum values (or the key that
/// takes the value), and a CPU list for a bare CPU number.
#[test]
fn a_learners_mistakes_each_get_one_message_that_teaches_the_fix() {
    let sb = Sandbox::new();
    let path = sb.write(
        "robot.toml",
        "name = \"robot\"

[platform]
cpus = 1

[scheduler]
policy = \"rate-monotonic\"
priorities = \"RM\"
locking = \"pip\"

[[task]]
name = \"sensor\"
period = \"-5ms\"
wcet = 1
offset = \"-1ms\"

[[load]]
kind = \"cpu\"
cpus = 1
duty = 0.5
",
    );
    let run = sb.rtlab(["check".as_ref(), path.as_os_str()]);
    run.expect_code(2);
    let expected = r#"@:4:8: error: `cpus` must be an array, found an integer
  hint: a list of CPU numbers, even of one: write cpus = [1]
@:7:10: error: `rate-monotonic` is a value of `scheduler.priorities`, not `scheduler.policy`; `policy` takes fixed-priority, edf, fifo, round-robin
  hint: set priorities = "rate-monotonic" under [scheduler]
@:8:14: error: `priorities` must be one of "rate-monotonic", "deadline-monotonic", "audsley", "explicit", found "RM"
  hint: did you mean "rate-monotonic"?
@:9:11: error: `locking` must be one of "none", "inherit", "ceiling", found "pip"
  hint: did you mean "inherit" (priority inheritance, PTHREAD_PRIO_INHERIT)?
@:13:10: error: `period` must be greater than 0, found "-5ms"
@:14:8: error: `wcet` must be a duration string with a unit, found an integer
  hint: a number without a unit is ambiguous: write "1ms" or "1us"
@:15:10: error: `offset` must be at least 0, found "-1ms"
@:19:8: error: `cpus` must be an array, found an integer
  hint: a list of CPU numbers, even of one: write cpus = [1]
rtlab: 8 errors in @
"#
    .replace('@', &path.display().to_string());
    assert_eq!(run.stderr, expected);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}
