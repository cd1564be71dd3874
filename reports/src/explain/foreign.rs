//! Work outside rtlab's tasks in words: other processes' threads,
//! interrupt handlers, `[[load]]` threads and the hypervisor, as a part of
//! a miss (`3.00 ms while `intruder` (pid 4242) ran on CPU 1`) or as its
//! biggest foreign cause (`3.00 ms taken by ... on CPU 1`).

use rtlab_tasks::model::CpuId;
use rtlab_tasks::outcome::{Interference, InterferenceKind, Miss};

use crate::format;

/// The biggest foreign cause of a miss of a task on `cpu`, in one line:
/// `3.00 ms taken by `intruder` (pid 4242, SCHED_FIFO 95) on CPU 1`;
/// `None` when nothing outside rtlab's tasks took time from the job, or
/// too little to be a cause: less than a tenth of how late the job was.
pub fn foreign_cause(m: &Miss, cpu: Option<CpuId>) -> Option<String> {
    let x = m
        .interference
        .iter()
        .filter(|x| x.kind != InterferenceKind::Task && x.ns > 0)
        .max_by_key(|x| x.ns)
        .filter(|x| x.ns.saturating_mul(10) >= m.lateness_ns)?;
    Some(format!(
        "{} taken by {}{}",
        format::duration(x.ns),
        who(x),
        on(cpu)
    ))
}

/// ` on CPU 1`, or nothing for an unknown CPU.
fn on(cpu: Option<CpuId>) -> String {
    cpu.map_or_else(String::new, |c| format!(" on CPU {c}"))
}

/// Who did foreign work, in words: `` `intruder` (pid 4242) ``,
/// `interrupt handler irq 11 virtio0`, `load thread `load 0``.
fn who(x: &Interference) -> String {
    let src = x.source.as_str();
    match x.kind {
        InterferenceKind::Thread => thread_name(src),
        InterferenceKind::Irq => format!("interrupt handler {src}"),
        InterferenceKind::Softirq => format!(
            "softirq handler {}",
            src.strip_prefix("softirq ").unwrap_or(src)
        ),
        InterferenceKind::Steal => "the hypervisor (steal)".to_string(),
        InterferenceKind::Load => format!("load thread `{src}`"),
        InterferenceKind::Task => format!("`{src}`"),
    }
}

/// A thread's source with its name quoted and its details after it:
/// `intruder (pid 4242, SCHED_FIFO 95)` is
/// `` `intruder` (pid 4242, SCHED_FIFO 95) ``. The details are the last
/// parenthesis, so a name with a space or a parenthesis of its own stays
/// whole.
fn thread_name(src: &str) -> String {
    match src.rfind(" (") {
        Some(i) if i > 0 && src.ends_with(')') => format!("`{}`{}", &src[..i], &src[i..]),
        _ => format!("`{src}`"),
    }
}

/// One foreign part: what took the CPU from the job, for how long.
pub(super) fn foreign_part(x: &Interference, cpu: Option<CpuId>) -> String {
    let ns = format::duration(x.ns);
    match x.kind {
        InterferenceKind::Thread | InterferenceKind::Load => {
            format!("{ns} while {} ran{}", who(x), on(cpu))
        }
        InterferenceKind::Irq | InterferenceKind::Softirq => format!("{ns} in {}", who(x)),
        InterferenceKind::Steal => format!("{ns} taken by {}", who(x)),
        InterferenceKind::Task => format!("{ns} {} ran", who(x)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::outcome::MissKind;

    fn foreign(source: &str, kind: InterferenceKind, ns: u64) -> Interference {
        Interference {
            source: source.into(),
            kind,
            ns,
        }
    }

    fn miss(interference: Vec<Interference>) -> Miss {
        Miss {
            job: 0,
            release_ns: 0,
            deadline_ns: 2_000_000,
            finish_ns: Some(3_518_000),
            lateness_ns: 1_518_000,
            kind: MissKind::Late,
            release_jitter_ns: 18_000,
            waited_for: Vec::new(),
            blocked_on: Vec::new(),
            queued_ns: 0,
            executed_ns: 500_000,
            interference,
            unexplained_ns: 0,
        }
    }

    #[test]
    fn softirqs_and_tasks_in_the_interference_are_worded_too() {
        let softirq = foreign("softirq TIMER", InterferenceKind::Softirq, 40_000);
        assert_eq!(
            foreign_part(&softirq, Some(1)),
            "40.0 µs in softirq handler TIMER"
        );
        let task = foreign("t2", InterferenceKind::Task, 300_000);
        assert_eq!(foreign_part(&task, Some(1)), "300 µs `t2` ran");
        // Without a CPU (global placement) the CPU is not named.
        let load = foreign("load 1", InterferenceKind::Load, 2_000_000);
        assert_eq!(
            foreign_part(&load, None),
            "2.00 ms while load thread `load 1` ran"
        );
    }

    #[test]
    fn a_thread_name_keeps_its_spaces_and_only_the_last_parenthesis_is_details() {
        assert_eq!(
            thread_name("Web Content (x) (pid 7, SCHED_OTHER 0)"),
            "`Web Content (x)` (pid 7, SCHED_OTHER 0)"
        );
        assert_eq!(thread_name("kworker/1:1"), "`kworker/1:1`");
        assert_eq!(thread_name("(pid 9)"), "`(pid 9)`");
    }

    #[test]
    fn the_foreign_cause_is_the_largest_work_outside_rtlab_tasks() {
        let mut m = miss(vec![foreign(
            "intruder (pid 4242, SCHED_FIFO 95)",
            InterferenceKind::Thread,
            3_000_000,
        )]);
        assert_eq!(
            foreign_cause(&m, Some(1)).as_deref(),
            Some("3.00 ms taken by `intruder` (pid 4242, SCHED_FIFO 95) on CPU 1")
        );
        m.interference = vec![
            foreign("t2", InterferenceKind::Task, 9_000_000),
            foreign("irq 11 virtio0", InterferenceKind::Irq, 1_200_000),
            foreign("hypervisor", InterferenceKind::Steal, 1_100_000),
        ];
        assert_eq!(
            foreign_cause(&m, Some(1)).as_deref(),
            Some("1.20 ms taken by interrupt handler irq 11 virtio0 on CPU 1")
        );
        m.interference.remove(1);
        assert_eq!(
            foreign_cause(&m, None).as_deref(),
            Some("1.10 ms taken by the hypervisor (steal)")
        );
        m.interference = vec![foreign("load 0", InterferenceKind::Load, 500_000)];
        assert_eq!(
            foreign_cause(&m, Some(2)).as_deref(),
            Some("500 µs taken by load thread `load 0` on CPU 2")
        );
        // A microsecond of a job 1.5 ms late is not its cause.
        m.interference = vec![foreign("softirq SCHED", InterferenceKind::Softirq, 1_000)];
        assert_eq!(foreign_cause(&m, Some(1)), None);
        // An rtlab task is not foreign; a simulated miss has none.
        m.interference = vec![foreign("t2", InterferenceKind::Task, 9_000_000)];
        assert_eq!(foreign_cause(&m, Some(1)), None);
        assert_eq!(foreign_cause(&miss(Vec::new()), Some(0)), None);
    }
}
