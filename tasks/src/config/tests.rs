//! Tests of config loading: a full valid file, every kind of problem with
//! its location, variants, partitioning and warnings.

use super::*;
use crate::model::{Execution, Locking, OsPolicy, Placement, Policy, PriorityOrder};

mod arrival;
mod chain;
mod learner;

const FULL: &str = r#"
name = "control-loop"
description = "Everything the schema has."
duration = "2s"
seed = 7

[platform]
cpus = [0, 1]

[scheduler]
policy = "fixed-priority"
preemptive = true
priorities = "explicit"
placement = "partitioned"
locking = "ceiling"
overrun = "skip"
on_miss = "abort"

[live]
os_policy = "rr"
priority_top = 80
spin_tail = "50us"
lock_memory = false
kernel_trace = false

[[task]]
name = "sensor"
period = "4ms"
wcet = "1ms"
deadline = "3ms"
offset = "0.5ms"
priority = 3
cpu = 1
execution = { model = "uniform", min = "0.6ms" }
release_jitter = "10us"
sections = [ { resource = "bus", after = "0.2ms", hold = "0.3ms" } ]
faults = { panic_every = 100 }

[[task]]
name = "logger"
period = "20ms"
wcet = "5ms"
priority = 1
execution = { model = "bimodal", low = "1ms", p_high = 0.05 }
sections = [
  { resource = "bus", after = "1ms", hold = "2ms" },
  { resource = "disk", after = "1.5ms", hold = "1ms" },
]

[[load]]
kind = "memory"
cpus = [1]
duty = 0.25

[[variant]]
name = "no-ceiling"
description = "Plain mutexes."
set = { "scheduler.locking" = "none", "task.logger.priority" = 2 }
"#;

fn problems(text: &str) -> Vec<String> {
    match load_str(text, "t.toml") {
        Ok(l) => panic!("expected errors, loaded {:?}", l.system.name),
        Err(e) => {
            let (file, problems) = e.problems().expect("not an I/O error");
            problems.iter().map(|p| render_plain(file, p)).collect()
        }
    }
}

fn has(list: &[String], needle: &str) {
    assert!(
        list.iter().any(|l| l.contains(needle)),
        "no problem contains {needle:?}:\n{}",
        list.join("\n")
    );
}

const MIN: &str = "name = \"x\"\n[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\n";

#[test]
fn full_config_loads_with_every_field() {
    let l = load_str(FULL, "full.toml").unwrap();
    let s = &l.system;
    assert_eq!(s.name, "control-loop");
    assert_eq!(s.duration.as_nanos(), 2_000_000_000);
    assert_eq!(s.seed, 7);
    assert_eq!(s.platform.cpus, vec![0, 1]);
    assert_eq!(s.scheduler.locking, Locking::Ceiling);
    assert_eq!(s.live.os_policy, OsPolicy::Rr);
    assert_eq!(s.live.priority_top, 80);
    assert!(!s.live.lock_memory);
    assert!(!s.live.kernel_trace);
    let sensor = &s.tasks[0];
    assert_eq!(sensor.deadline.as_nanos(), 3_000_000);
    assert_eq!(sensor.offset.as_nanos(), 500_000);
    assert_eq!(sensor.cpu, Some(1));
    assert_eq!(sensor.priority, 3);
    assert_eq!(sensor.faults.panic_every, 100);
    assert!(
        matches!(sensor.execution, Execution::Uniform { min, max } if min.as_nanos() == 600_000 && max == sensor.wcet)
    );
    let logger = &s.tasks[1];
    // Auto-partitioned: CPU 1 carries sensor (0.25), so logger goes to CPU 0.
    assert_eq!(logger.cpu, Some(0));
    assert!(logger.cpu_auto);
    assert_eq!(s.resources.len(), 2);
    assert_eq!(s.resources[0].name, "bus");
    assert_eq!(s.resources[0].users.len(), 2);
    assert_eq!(logger.sections.len(), 2);
    assert_eq!(s.loads.len(), 1);
    assert_eq!(s.loads[0].period.as_nanos(), 10_000_000);
    assert_eq!(l.variants.len(), 1);
    let v = &l.variants[0];
    assert_eq!(v.name, "no-ceiling");
    assert_eq!(v.system.scheduler.locking, Locking::None);
    assert_eq!(v.system.tasks[1].priority, 2);
    assert_eq!(
        v.overrides[0],
        ("scheduler.locking".to_string(), "\"none\"".to_string())
    );
}

#[test]
fn defaults_fill_a_minimal_config() {
    let l = load_str(MIN, "m.toml").unwrap();
    let s = &l.system;
    assert_eq!(s.duration.as_nanos(), 1_000_000_000);
    assert_eq!(s.platform.cpus, vec![0]);
    assert_eq!(s.scheduler.policy, Policy::FixedPriority);
    assert_eq!(s.scheduler.priorities, PriorityOrder::RateMonotonic);
    assert_eq!(s.scheduler.placement, Placement::Partitioned);
    assert_eq!(s.live.os_policy, OsPolicy::Fifo);
    assert_eq!(s.tasks[0].deadline, s.tasks[0].period);
    assert_eq!(s.tasks[0].priority, 1);
    assert!(l.warnings.is_empty(), "{:?}", l.warnings);
}

#[test]
fn syntax_error_is_located() {
    let p = problems("name = \"x\"\n[[task]\n");
    has(&p, "t.toml:2:");
    has(&p, "TOML syntax");
}

#[test]
fn unknown_key_is_located_with_suggestion() {
    let p = problems(&MIN.replace("wcet = \"1ms\"", "wcet = \"1ms\"\nperid = \"5ms\""));
    has(
        &p,
        "t.toml:6:1: error: unknown key `perid` in [[task]] \"a\"",
    );
    has(&p, "hint: did you mean `period`?");
}

#[test]
fn missing_fields_are_reported_together() {
    let p = problems("name = \"x\"\n[[task]]\nname = \"a\"\n");
    has(&p, "missing required key `period`");
    has(&p, "missing required key `wcet`");
    assert_eq!(p.len(), 2, "{p:?}");
}

#[test]
fn bad_units_and_numbers_without_units() {
    let p = problems(
        &MIN.replace("\"4ms\"", "\"4 minutes\"")
            .replace("\"1ms\"", "1"),
    );
    has(&p, "t.toml:4:10: error: `period`: unknown unit");
    has(
        &p,
        "t.toml:5:8: error: `wcet` must be a duration string with a unit, found an integer",
    );
    has(&p, "write \"1ms\"");
}

#[test]
fn zero_negative_and_overflowing_durations() {
    has(
        &problems(&MIN.replace("\"4ms\"", "\"0ms\"")),
        "`period` must be greater than 0",
    );
    has(
        &problems(&MIN.replace("\"4ms\"", "\"-4ms\"")),
        "t.toml:4:10: error: `period` must be greater than 0, found \"-4ms\"",
    );
    has(
        &problems(&MIN.replace("\"4ms\"", "\"99999999999s\"")),
        "does not fit in 64-bit nanoseconds",
    );
}

#[test]
fn wcet_longer_than_deadline() {
    let p = problems(&MIN.replace("wcet = \"1ms\"", "wcet = \"5ms\""));
    has(
        &p,
        "t.toml:5:8: error: task `a`: wcet 5ms is longer than its deadline 4ms",
    );
}

#[test]
fn duplicate_names() {
    let text = format!("{MIN}[[task]]\nname = \"a\"\nperiod = \"8ms\"\nwcet = \"1ms\"\n");
    has(
        &problems(&text),
        "t.toml:7:8: error: duplicate task name `a`",
    );
}

#[test]
fn cpu_not_in_platform() {
    let text = MIN.replace("[[task]]", "[platform]\ncpus = [1]\n[[task]]") + "cpu = 3\n";
    has(
        &problems(&text),
        "is placed on CPU 3, which is not in platform.cpus [1]",
    );
}

#[test]
fn section_longer_than_wcet() {
    let text = format!(
        "{MIN}sections = [{{ resource = \"bus\", after = \"0.5ms\", hold = \"0.6ms\" }}]\n"
    );
    has(
        &problems(&text),
        "section on `bus` ends at 1.1ms, after the wcet 1ms",
    );
}

#[test]
fn sections_must_nest() {
    let text = format!(
        "{MIN}sections = [{{ resource = \"a\", after = \"0ms\", hold = \"0.5ms\" }}, {{ resource = \"b\", after = \"0.4ms\", hold = \"0.5ms\" }}]\n"
    );
    has(&problems(&text), "overlap without nesting");
}

#[test]
fn explicit_priorities_missing() {
    let text = MIN.replace(
        "[[task]]",
        "[scheduler]\npriorities = \"explicit\"\n[[task]]",
    );
    let p = problems(&text);
    has(&p, "task `a` has no `priority`");
    has(&p, "add priority = N");
}

#[test]
fn wrong_types() {
    let p = problems(
        "name = 3\nseed = \"x\"\n[scheduler]\npreemptive = \"yes\"\npolicy = \"rm\"\n[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\n",
    );
    has(
        &p,
        "t.toml:1:8: error: `name` must be a string, found an integer",
    );
    has(
        &p,
        "t.toml:2:8: error: `seed` must be an integer, found a string",
    );
    has(&p, "`preemptive` must be true or false, found a string");
    has(
        &p,
        "`policy` must be one of \"fixed-priority\", \"edf\", \"fifo\", \"round-robin\", found \"rm\"",
    );
}

#[test]
fn empty_and_binary_files() {
    let p = problems("");
    has(&p, "t.toml:1:1: error: missing required key `name`");
    has(&p, "missing required key `task`");
    let err = load_bytes(b"name = \"x\"\n\xff\xfe\x00binary", "b.toml").unwrap_err();
    let (file, problems) = err.problems().unwrap();
    assert_eq!(
        render_plain(file, &problems[0]).lines().next().unwrap(),
        "b.toml:2:1: error: the file is not UTF-8 text"
    );
}

#[test]
fn bad_config_name() {
    has(
        &problems(&MIN.replace("\"x\"", "\"My Config\"")),
        "must be lowercase letters, digits and dashes",
    );
}

#[test]
fn warnings_do_not_fail() {
    let text = MIN.replace(
        "wcet = \"1ms\"",
        "wcet = \"1ms\"\ndeadline = \"6ms\"\npriority = 4",
    );
    let l = load_str(&text, "w.toml").unwrap();
    let lines: Vec<String> = l
        .warnings
        .iter()
        .map(|p| render_plain(&l.source, p))
        .collect();
    has(
        &lines,
        "w.toml:6:12: warning: task `a` deadline 6ms is longer than its period 4ms",
    );
    has(&lines, "`priority` of task `a` is ignored");
}

#[test]
fn lock_order_cycle_is_a_warning() {
    let text = r#"
name = "deadlock"
[[task]]
name = "a"
period = "10ms"
wcet = "2ms"
sections = [ { resource = "r1", after = "0ms", hold = "1ms" }, { resource = "r2", after = "0.5ms", hold = "0.2ms" } ]
[[task]]
name = "b"
period = "20ms"
wcet = "2ms"
sections = [ { resource = "r2", after = "0ms", hold = "1ms" }, { resource = "r1", after = "0.5ms", hold = "0.2ms" } ]
"#;
    let l = load_str(text, "d.toml").unwrap();
    let w: Vec<String> = l
        .warnings
        .iter()
        .map(|p| render_plain(&l.source, p))
        .collect();
    has(
        &w,
        "possible deadlock: lock order cycle r1 -> r2 -> r1 (`a` takes r1 then r2; `b` takes r2 then r1)",
    );
    assert_eq!(w.len(), 1, "{w:?}");
}

#[test]
fn variant_errors_point_at_the_override() {
    let text = format!(
        "{MIN}[[variant]]\nname = \"slow\"\nset = {{ \"task.a.wcet\" = \"9ms\", \"scheduler.lockin\" = \"none\", \"task.zz.wcet\" = \"1ms\" }}\n"
    );
    let p = problems(&text);
    has(
        &p,
        "t.toml:8:25: error: variant `slow`: task `a`: wcet 9ms is longer than its deadline 4ms",
    );
    has(&p, "variant `slow`: unknown key `lockin` in [scheduler]");
    has(&p, "`task.zz.wcet` names no task");
}

#[test]
fn base_errors_are_not_repeated_per_variant() {
    let text =
        MIN.replace("\"1ms\"", "\"9ms\"") + "[[variant]]\nname = \"v\"\nset = { \"seed\" = 2 }\n";
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
}

#[test]
fn execution_models_are_checked_against_the_wcet() {
    let base = MIN.to_string();
    has(
        &problems(&(base.clone() + "execution = { model = \"uniform\", min = \"2ms\" }\n")),
        "`min` (2ms) must not exceed the wcet (1ms)",
    );
    has(
        &problems(&(base.clone() + "execution = { model = \"normal\", mean = \"0.5ms\" }\n")),
        "missing required key `stddev`",
    );
    has(
        &problems(
            &(base.clone()
                + "execution = { model = \"bimodal\", low = \"0.5ms\", p_high = 1.5 }\n"),
        ),
        "`p_high` is a probability",
    );
    has(
        &problems(
            &(base + "execution = { model = \"uniform\", min = \"0.5ms\", mean = \"1ms\" }\n"),
        ),
        "`mean` does not apply to the uniform model",
    );
}

/// A task without a name is "task #N" in messages, and the message still
/// says what is wrong with it (the deadline used to be dropped).
#[test]
fn an_unnamed_task_is_numbered_and_its_warning_keeps_the_deadline() {
    let list = problems(
        "name = \"x\"\n[[task]]\nperiod = \"12ms\"\nwcet = \"1ms\"\ndeadline = \"14ms\"\n",
    );
    has(
        &list,
        "task #1 deadline 14ms is longer than its period 12ms",
    );
}
