//! An unlock is a scheduling point (issue 9, case 8): a job that releases
//! one lock and takes the next at the same point of its execution lets a
//! more urgent job run in between.

use rtlab_tasks::model::System;
use rtlab_tasks::outcome::trace::EventKind;

use super::{run_ns, set, stretches};

/// h (released at 1 ns, more urgent) and l (released at 0), both with two
/// back-to-back sections, r1 then r2: h 0..1 and 1..2 of its 2 ns, l 0..2
/// and 2..4 of its 5 ns. One CPU. Under fixed priority h has priority 2
/// and l 1; under EDF h's deadline is 10 ns and l's 100 ns.
fn back_to_back(policy: &str, locking: &str) -> System {
    let priorities = if policy == "fixed-priority" {
        "priorities = \"explicit\"\n"
    } else {
        ""
    };
    let priority = |p: u32| {
        if policy == "fixed-priority" {
            format!("priority = {p}\n")
        } else {
            String::new()
        }
    };
    set(&format!(
        r#"
[scheduler]
policy = "{policy}"
locking = "{locking}"
quantum = "1ms"
{priorities}
[[task]]
name = "h"
period = "100ns"
deadline = "10ns"
wcet = "2ns"
offset = "1ns"
{h}sections = [ {{ resource = "r1", after = "0ns", hold = "1ns" }}, {{ resource = "r2", after = "1ns", hold = "1ns" }} ]
[[task]]
name = "l"
period = "100ns"
wcet = "5ns"
{l}sections = [ {{ resource = "r1", after = "0ns", hold = "2ns" }}, {{ resource = "r2", after = "2ns", hold = "2ns" }} ]
"#,
        h = priority(2),
        l = priority(1),
    ))
}

/// At l's unlock of r1 (t = 2) h gets the CPU before l takes r2: under
/// `inherit` h was waiting for r1 and is handed it; under `ceiling` (the
/// immediate priority ceiling, or the SRP system ceiling under EDF) h could
/// not start while l held r1 and may now. h runs 2..4: response 3 ns,
/// blocked 1 ns (1..2). Before, l took r2 at once: under `inherit` h then
/// blocked on r2 (response 5, blocked 3), under `ceiling` h could not start
/// until 4 (response 5, blocked 3).
#[test]
fn unlock_is_a_scheduling_point_between_back_to_back_sections() {
    for policy in ["fixed-priority", "edf"] {
        for locking in ["inherit", "ceiling"] {
            let what = format!("{policy} / {locking}");
            let system = back_to_back(policy, locking);
            let (o, sink) = run_ns(&system, 50);
            let (h, l) = (&o.tasks[0], &o.tasks[1]);
            assert_eq!(h.response_time.max_ns, Some(3), "{what}");
            assert_eq!(h.blocking.max_ns, Some(1), "{what}");
            assert_eq!(l.response_time.max_ns, Some(7), "{what}");
            assert_eq!(l.blocking.max_ns, Some(0), "{what}");
            let s: Vec<(String, u64, u64)> = stretches(&system, &sink)
                .into_iter()
                .map(|(n, _, _, a, b)| (n, a, b))
                .collect();
            let first_l = if locking == "inherit" {
                // h preempts l at 1 and blocks on r1 at once; l runs on.
                vec![("l".to_string(), 0, 1), ("l".to_string(), 1, 2)]
            } else {
                vec![("l".to_string(), 0, 2)]
            };
            let expected: Vec<(String, u64, u64)> = first_l
                .into_iter()
                .chain([("h".to_string(), 2, 4), ("l".to_string(), 4, 7)])
                .collect();
            assert_eq!(s, expected, "{what}");
            // l takes r2 only when h is done.
            let r2 = system.resources.iter().position(|r| r.name == "r2");
            let l_locks_r2 = sink.events.iter().find(|e| {
                e.task == system.tasks[1].id
                    && matches!(e.kind, EventKind::Lock { resource } if Some(resource.0) == r2)
            });
            assert_eq!(l_locks_r2.map(|e| e.time_ns), Some(4), "{what}");
        }
    }
}

/// FIFO and round-robin take the same path, but never preempt: l keeps the
/// CPU through its unlock of r1 and runs to completion (0..5), h runs
/// 5..7 and was never blocked on a resource nor by a less urgent job (no
/// priorities to invert).
#[test]
fn unlock_does_not_preempt_under_fifo_and_round_robin() {
    for policy in ["fifo", "round-robin"] {
        for locking in ["none", "inherit", "ceiling"] {
            let what = format!("{policy} / {locking}");
            let system = back_to_back(policy, locking);
            let (o, sink) = run_ns(&system, 50);
            let s: Vec<(String, u64, u64)> = stretches(&system, &sink)
                .into_iter()
                .map(|(n, _, _, a, b)| (n, a, b))
                .collect();
            assert_eq!(
                s,
                vec![("l".to_string(), 0, 5), ("h".to_string(), 5, 7)],
                "{what}"
            );
            assert_eq!(o.tasks[0].response_time.max_ns, Some(6), "{what}");
            assert_eq!(o.tasks[0].blocking.max_ns, Some(0), "{what}");
        }
    }
}
