//! The messages a learner meets first: a key written with a bad value is
//! not also "missing", a negative duration is told its key's real bound,
//! wrong enum values get a "did you mean" or the key that takes them, and
//! a CPU list written as a number gets the list to write.

use super::{MIN, has, problems};
use crate::config::choices::enum_keys;
use crate::config::load_str;

/// Exactly the problems of `text`, each on one line (hints dropped).
fn messages(text: &str) -> Vec<String> {
    problems(text)
        .iter()
        .map(|p| p.lines().next().unwrap_or("").to_string())
        .collect()
}

#[test]
fn a_required_key_with_a_bad_value_is_reported_once_and_not_as_missing() {
    // The learner's case: a bare number for the wcet.
    assert_eq!(
        messages(&MIN.replace("\"1ms\"", "1")),
        ["t.toml:5:8: error: `wcet` must be a duration string with a unit, found an integer"]
    );
    assert_eq!(
        messages(&MIN.replace("\"4ms\"", "4")),
        ["t.toml:4:10: error: `period` must be a duration string with a unit, found an integer"]
    );
    assert_eq!(
        messages(&MIN.replace("\"a\"", "7")),
        ["t.toml:3:8: error: `name` must be a string, found an integer"]
    );
    assert_eq!(
        messages(&MIN.replace("\"x\"", "[]")),
        ["t.toml:1:8: error: `name` must be a string, found an array"]
    );
    assert_eq!(
        messages("name = \"x\"\ntask = 1\n"),
        ["t.toml:2:8: error: `task` must be an array, found an integer"]
    );
    assert_eq!(
        messages("name = \"x\"\ntask = []\n"),
        ["t.toml:2:8: error: `task` is empty: a config needs at least one task"]
    );
    assert_eq!(
        messages(&format!(
            "{MIN}[[load]]\nkind = 1\ncpus = \"all\"\nduty = \"half\"\n"
        )),
        [
            "t.toml:7:8: error: `kind` must be a string, found an integer",
            "t.toml:8:8: error: `cpus` must be an array, found a string",
            "t.toml:9:8: error: `duty` must be a finite number, found a string",
        ]
    );
    // A deadline that cannot be read is not replaced by the period, which
    // would blame the wcet for exceeding it.
    assert_eq!(
        messages(&MIN.replace("wcet = \"1ms\"", "wcet = \"5ms\"\ndeadline = 6")),
        ["t.toml:6:12: error: `deadline` must be a duration string with a unit, found an integer"]
    );
    // Absent keys are still missing.
    let absent = messages("name = \"x\"\n[[task]]\nname = \"a\"\n[[load]]\n");
    for key in ["period", "wcet", "kind", "cpus", "duty"] {
        has(&absent, &format!("missing required key `{key}`"));
    }
    assert_eq!(absent.len(), 5, "{absent:?}");
}

/// Each duration key: where it is written (`{}` stands for the value) and
/// the least value validation accepts, as the message for a negative value
/// must state it.
const DURATION_KEYS: &[(&str, &str, &str)] = &[
    (
        "duration",
        "duration = {}\n[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\n",
        "must be greater than 0",
    ),
    (
        "quantum",
        "[scheduler]\npolicy = \"round-robin\"\nquantum = {}\n[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\n",
        "must be greater than 0",
    ),
    (
        "spin_tail",
        "[live]\nspin_tail = {}\n[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\n",
        "must be at least 0",
    ),
    (
        "period",
        "[[task]]\nname = \"a\"\nperiod = {}\nwcet = \"1ms\"\ndeadline = \"4ms\"\n",
        "must be greater than 0",
    ),
    (
        "wcet",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = {}\n",
        "must be greater than 0",
    ),
    (
        "deadline",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\ndeadline = {}\n",
        "must be greater than 0",
    ),
    (
        "offset",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\noffset = {}\n",
        "must be at least 0",
    ),
    (
        "release_jitter",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nrelease_jitter = {}\n",
        "must be at least 0",
    ),
    (
        "after",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nsections = [{ resource = \"r\", after = {}, hold = \"0.5ms\" }]\n",
        "must be at least 0",
    ),
    (
        "hold",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nsections = [{ resource = \"r\", after = \"0ms\", hold = {} }]\n",
        "must be greater than 0",
    ),
    (
        "min",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nexecution = { model = \"uniform\", min = {} }\n",
        "must be greater than 0",
    ),
    (
        "max",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nexecution = { model = \"uniform\", min = \"0.5ms\", max = {} }\n",
        "must be at least `min`",
    ),
    (
        "mean",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nexecution = { model = \"normal\", mean = {}, stddev = \"0.1ms\" }\n",
        "must be greater than 0",
    ),
    (
        "stddev",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nexecution = { model = \"normal\", mean = \"0.5ms\", stddev = {} }\n",
        "must be at least 0",
    ),
    (
        "low",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nexecution = { model = \"bimodal\", low = {}, p_high = 0.1 }\n",
        "must be greater than 0",
    ),
    (
        "high",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\nexecution = { model = \"bimodal\", low = \"0.5ms\", high = {}, p_high = 0.1 }\n",
        "must be at least `low`",
    ),
    (
        "period",
        "[[task]]\nname = \"a\"\nperiod = \"4ms\"\nwcet = \"1ms\"\n[[load]]\nkind = \"cpu\"\ncpus = [0]\nduty = 0.5\nperiod = {}\n",
        "must be greater than 0",
    ),
];

fn config(template: &str, value: &str) -> String {
    format!(
        "name = \"x\"\n{}",
        template.replace("{}", &format!("\"{value}\""))
    )
}

#[test]
fn a_negative_duration_states_the_bound_that_validation_holds_for_its_key() {
    for (key, template, floor) in DURATION_KEYS {
        let p = problems(&config(template, "-1ms"));
        assert_eq!(p.len(), 1, "{key}: {p:?}");
        assert!(
            p[0].contains(&format!("error: `{key}` {floor}, found \"-1ms\"")),
            "{key}: {p:?}"
        );
        // The bound stated is the one validation holds, at its edge.
        let zero = load_str(&config(template, "0ms"), "t.toml");
        match *floor {
            "must be at least 0" => assert!(zero.is_ok(), "{key}: 0 refused: {zero:?}"),
            "must be greater than 0" => has(
                &problems(&config(template, "0ms")),
                &format!("`{key}` must be greater than 0"),
            ),
            // `max` >= `min`, `high` >= `low`, both 0.5ms in the template.
            _ => {
                assert!(zero.is_err(), "{key}: 0 below its floor accepted");
                let at = load_str(&config(template, "0.5ms"), "t.toml");
                assert!(at.is_ok(), "{key}: its floor refused: {at:?}");
            }
        }
    }
}

#[test]
fn the_learners_enum_values_get_a_did_you_mean_or_the_key_that_takes_them() {
    let p = problems(&MIN.replace(
        "[[task]]",
        "[scheduler]\npolicy = \"rate-monotonic\"\npriorities = \"RM\"\nlocking = \"pip\"\n[[task]]",
    ));
    assert_eq!(
        p,
        [
            "t.toml:3:10: error: `rate-monotonic` is a value of `scheduler.priorities`, not `scheduler.policy`; `policy` takes fixed-priority, edf, fifo, round-robin\n  hint: set priorities = \"rate-monotonic\" under [scheduler]",
            "t.toml:4:14: error: `priorities` must be one of \"rate-monotonic\", \"deadline-monotonic\", \"audsley\", \"explicit\", found \"RM\"\n  hint: did you mean \"rate-monotonic\"?",
            "t.toml:5:11: error: `locking` must be one of \"none\", \"inherit\", \"ceiling\", found \"pip\"\n  hint: did you mean \"inherit\" (priority inheritance, PTHREAD_PRIO_INHERIT)?",
        ]
    );
}

/// A config that writes `value` at the enum key at `path`.
fn with_enum(path: &str, value: &str) -> String {
    match path.split_once('.') {
        Some(("task", rest)) => {
            let (table, key) = rest.split_once('.').expect("task.TABLE.KEY");
            format!("{MIN}{table} = {{ {key} = \"{value}\" }}\n")
        }
        Some(("load", key)) => {
            format!("{MIN}[[load]]\n{key} = \"{value}\"\ncpus = [0]\nduty = 0.5\n")
        }
        Some((table, key)) => format!("{MIN}[{table}]\n{key} = \"{value}\"\n"),
        None => panic!("{path} is not a dotted path"),
    }
}

/// Every enum key of the schema is read with the values of its entry in
/// `enum_keys` (so the names other keys' messages give are right), and a
/// value of another key written at it names that key.
#[test]
fn every_enum_key_lists_its_values_and_names_the_key_of_anothers_value() {
    let keys = enum_keys();
    for (path, values) in &keys {
        let key = path.rsplit('.').next().unwrap_or(path);
        let list: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
        has(
            &problems(&with_enum(path, "zzz")),
            &format!(
                "error: `{key}` must be one of {}, found \"zzz\"",
                list.join(", ")
            ),
        );
        for v in values {
            // Some values need more keys (`uniform` its `min`): only this
            // key must raise no problem.
            if let Err(e) = load_str(&with_enum(path, v), "t.toml") {
                let (_, list) = e.problems().expect("not an I/O error");
                assert!(
                    list.iter()
                        .all(|p| !p.to_string().contains(&format!("`{key}`"))),
                    "{path} = {v}: {list:?}"
                );
            }
        }
        let foreign = keys
            .iter()
            .flat_map(|(_, vs)| vs.iter())
            .find(|v| !values.contains(v))
            .expect("another key's value");
        let owners: Vec<String> = keys
            .iter()
            .filter(|(_, vs)| vs.contains(foreign))
            .map(|(p, _)| format!("`{p}`"))
            .collect();
        has(
            &problems(&with_enum(path, foreign)),
            &format!(
                "error: `{foreign}` is a value of {}, not `{path}`; `{key}` takes {}",
                owners.join(" and "),
                values.join(", ")
            ),
        );
    }
}

#[test]
fn a_cpu_list_written_as_a_number_gets_the_list_to_write() {
    let platform =
        |cpus: &str| MIN.replace("[[task]]", &format!("[platform]\ncpus = {cpus}\n[[task]]"));
    assert_eq!(
        problems(&platform("1")),
        [
            "t.toml:3:8: error: `cpus` must be an array, found an integer\n  hint: a list of CPU numbers, even of one: write cpus = [1]"
        ]
    );
    has(
        &problems(&platform("\"0, 1\"")),
        "hint: a list of CPU numbers, even of one: write cpus = [0, 1]",
    );
    has(
        &problems(&platform("\"all\"")),
        "hint: a list of CPU numbers, e.g. cpus = [0, 1]",
    );
    assert_eq!(
        problems(&format!(
            "{MIN}[[load]]\nkind = \"cpu\"\ncpus = 2\nduty = 0.5\n"
        )),
        [
            "t.toml:8:8: error: `cpus` must be an array, found an integer\n  hint: a list of CPU numbers, even of one: write cpus = [2]"
        ]
    );
    // The other way round: a task runs on one CPU.
    assert_eq!(
        problems(&format!("{MIN}cpu = [0]\n")),
        [
            "t.toml:6:7: error: `cpu` must be an integer, found an array\n  hint: a task runs on one CPU: write cpu = 0"
        ]
    );
    has(
        &problems(&format!("{MIN}cpu = [0, 1]\n")),
        "hint: a task runs on one CPU: write one number",
    );
}
