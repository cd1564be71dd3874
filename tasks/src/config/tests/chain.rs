//! `trigger`, `reads` and `[[chain]]`: links resolved, a triggered task's
//! period taken from its source, and each mistake located with a hint.

use super::*;
use crate::model::{Link, TaskId};
use crate::time::Duration;

/// camera (periodic 33 ms) -> detect (triggered) -> plan (triggered);
/// brake reads plan every 10 ms.
const PIPE: &str = "name = \"p\"\n\
[[task]]\nname = \"camera\"\nperiod = \"33ms\"\nwcet = \"2ms\"\n\
[[task]]\nname = \"detect\"\nwcet = \"8ms\"\ntrigger = \"camera\"\n\
[[task]]\nname = \"plan\"\nwcet = \"3ms\"\ndeadline = \"20ms\"\ntrigger = \"detect\"\n\
[[task]]\nname = \"brake\"\nperiod = \"10ms\"\nwcet = \"1ms\"\nreads = [\"plan\"]\n\
[[chain]]\nname = \"camera-to-brake\"\ntasks = [\"camera\", \"detect\", \"plan\", \"brake\"]\n\
deadline = \"100ms\"\n";

fn ms(v: u64) -> Duration {
    Duration::from_millis(v).unwrap()
}

#[test]
fn a_pipeline_loads_with_its_links_periods_and_chain() {
    let s = load_str(PIPE, "p.toml").unwrap().system;
    let (detect, plan) = (&s.tasks[1], &s.tasks[2]);
    assert_eq!(detect.trigger, Some(TaskId(0)));
    assert_eq!((detect.period, detect.deadline), (ms(33), ms(33)));
    assert_eq!((plan.period, plan.deadline), (ms(33), ms(20)));
    assert_eq!(s.tasks[3].reads, vec![TaskId(2)]);
    assert_eq!(s.trigger_source(TaskId(2)), Some(TaskId(0)));
    assert_eq!(s.link(TaskId(0), TaskId(1)), Some(Link::Trigger));
    assert_eq!(s.link(TaskId(2), TaskId(3)), Some(Link::Register));
    assert_eq!(s.link(TaskId(1), TaskId(3)), None);
    let c = &s.chains[0];
    assert_eq!(c.name, "camera-to-brake");
    assert_eq!(c.tasks, (0..4).map(TaskId).collect::<Vec<_>>());
    assert_eq!(c.deadline, Some(ms(100)));
}

#[test]
fn a_trigger_naming_no_task_is_located_with_the_closest_name() {
    let p = problems(&PIPE.replace("trigger = \"camera\"", "trigger = \"camra\""));
    has(
        &p,
        "t.toml:9:11: error: `trigger` names \"camra\", which is not a task",
    );
    has(&p, "did you mean \"camera\"?");
}

#[test]
fn a_trigger_cycle_is_located_at_a_trigger_of_the_cycle() {
    let text = PIPE
        .replace("trigger = \"camera\"", "trigger = \"plan\"")
        .replace("[[chain]]", "[[chainx]]");
    let p = problems(text.split("[[chainx]]").next().unwrap());
    has(
        &p,
        "t.toml:9:11: error: `trigger` of task `detect` closes a cycle of triggers",
    );
    has(&p, "needs a period (or an arrival model) of its own");
}

#[test]
fn a_triggered_task_with_a_period_is_an_error_at_the_period() {
    let p = problems(&PIPE.replace(
        "name = \"detect\"\nwcet",
        "name = \"detect\"\nperiod = \"33ms\"\nwcet",
    ));
    has(
        &p,
        "t.toml:8:10: error: `period` does not apply to a triggered task",
    );
    has(&p, "remove `period`");
}

#[test]
fn a_chain_of_unlinked_tasks_is_located_at_the_stage_that_is_not_linked() {
    let p = problems(&PIPE.replace("\"detect\", \"plan\"", "\"plan\", \"detect\""));
    has(
        &p,
        "error: `tasks` of chain `camera-to-brake`: `plan` neither is triggered by nor reads `camera`",
    );
    has(&p, "trigger = \"FROM\"");
}

#[test]
fn chain_names_lengths_and_reads_are_checked() {
    let p = problems(&PIPE.replace(
        "tasks = [\"camera\", \"detect\", \"plan\", \"brake\"]",
        "tasks = [\"camera\"]",
    ));
    has(&p, "`tasks` needs at least two tasks");
    let p = problems(&PIPE.replace("reads = [\"plan\"]", "reads = \"plan\""));
    has(&p, "write reads = [\"plan\"]");
    let p = problems(&PIPE.replace("reads = [\"plan\"]", "reads = [\"brake\"]"));
    has(&p, "error: `reads` of task `brake` names the task itself");
    let twice =
        format!("{PIPE}[[chain]]\nname = \"camera-to-brake\"\ntasks = [\"camera\", \"detect\"]\n");
    has(&problems(&twice), "duplicate chain name `camera-to-brake`");
}
