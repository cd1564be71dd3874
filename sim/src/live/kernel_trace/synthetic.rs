//! Timelines built from synthetic `trace_pipe` text: the builder and the
//! queries together, checked against figures computed by hand. Times are
//! in microseconds (the trace's resolution) unless named `_ns`.

use super::{
    Builder, Ended, KernelPrio, Segment, StateSpan, TaskState, ThreadState, Timeline, Who,
};

const US: u64 = 1000;
const IDLE: u32 = 0;
const A: u32 = 100;
const B: u32 = 200;
const C: u32 = 300;

/// Writes trace lines as the kernel prints them.
struct Trace(Builder);

impl Trace {
    fn new(cpus: &[u32]) -> Trace {
        Trace(Builder::new(cpus, usize::MAX))
    }

    fn line(&mut self, cpu: u32, us: u64, pid: u32, flags: &str, event: &str) {
        let line = format!(
            "  t{pid}-{pid}  [{cpu:03}] {flags} {}.{:06}: {event}",
            us / 1_000_000,
            us % 1_000_000
        );
        self.0.line(line.as_bytes());
    }

    fn switch(&mut self, cpu: u32, us: u64, prev: u32, state: &str, next: u32) {
        let event = format!(
            "sched_switch: prev_comm=t{prev} prev_pid={prev} prev_prio=120 prev_state={state} \
             ==> next_comm=t{next} next_pid={next} next_prio=120"
        );
        self.line(cpu, us, prev, "d..2.", &event);
    }

    fn irq(&mut self, cpu: u32, us: u64, pid: u32, irq: u32, entry: bool) {
        let event = if entry {
            format!("irq_handler_entry: irq={irq} name=virtio0")
        } else {
            format!("irq_handler_exit: irq={irq} ret=handled")
        };
        self.line(cpu, us, pid, "d.h..", &event);
    }

    fn softirq(&mut self, cpu: u32, us: u64, pid: u32, vec: u32, entry: bool) {
        let kind = if entry { "entry" } else { "exit" };
        let event = format!("softirq_{kind}: vec={vec} [action=TIMER]");
        self.line(cpu, us, pid, "..s1.", &event);
    }

    /// `woken` woken to `target` by an event on `cpu` while `pid` ran.
    fn wakeup(&mut self, cpu: u32, us: u64, pid: u32, flags: &str, woken: u32, target: u32) {
        let event =
            format!("sched_wakeup: comm=t{woken} pid={woken} prio=4 target_cpu={target:03}");
        self.line(cpu, us, pid, flags, &event);
    }

    fn finish(self, from_us: u64, to_us: u64, stopped_us: u64) -> Timeline {
        self.0.finish(from_us * US, to_us * US, stopped_us * US)
    }
}

fn seg(start_us: u64, end_us: u64, who: Who, ended: Ended) -> Segment {
    Segment {
        start_ns: start_us * US,
        end_ns: end_us * US,
        who,
        ended,
    }
}

fn span(start_us: u64, end_us: u64, state: ThreadState) -> StateSpan {
    StateSpan {
        start_ns: start_us * US,
        end_ns: end_us * US,
        state,
    }
}

fn switched(state: &str) -> Ended {
    Ended::Switched(TaskState::parse(state.as_bytes()).expect("state"))
}

/// A runs, an interrupt cuts it, it sleeps, a wake-up from CPU 0 arrives.
fn irq_in_thread() -> Timeline {
    let mut t = Trace::new(&[1]);
    t.switch(1, 1000, IDLE, "R", A);
    t.irq(1, 1010, A, 11, true);
    t.irq(1, 1013, A, 11, false);
    t.switch(1, 1020, A, "S", IDLE);
    t.wakeup(0, 1025, 7, "d..2.", A, 1);
    t.finish(995, 1030, 1040)
}

#[test]
fn an_interrupt_cuts_the_thread_it_interrupts() {
    let tl = irq_in_thread();
    let t = Who::Thread(A);
    assert_eq!(
        tl.segments(1, 0, u64::MAX),
        [
            seg(995, 1000, Who::Unknown, Ended::Unknown),
            seg(1000, 1010, t, Ended::Interrupted),
            seg(1010, 1013, Who::Irq(11), Ended::Returned),
            seg(1013, 1020, t, switched("S")),
            seg(1020, 1030, Who::Idle, Ended::Clipped),
        ]
    );
    let totals = tl.totals(1).expect("traced");
    assert_eq!(totals.threads.get(&A), Some(&(17 * US)));
    assert_eq!(
        (totals.irq_ns, totals.idle_ns, totals.unknown_ns),
        (3 * US, 10 * US, 5 * US)
    );
    assert_eq!(totals.total_ns(), 35 * US);
    assert_eq!(
        tl.occupancy(1, 1005 * US, 1025 * US),
        [(t, 12 * US), (Who::Idle, 5 * US), (Who::Irq(11), 3 * US)]
    );
    assert_eq!(tl.describe(Who::Irq(11)), "irq 11 (virtio0)");
}

#[test]
fn thread_states_follow_segments_and_wakeups() {
    let tl = irq_in_thread();
    assert_eq!(tl.wakeups(A, 0, u64::MAX), [1025 * US]);
    assert_eq!(
        tl.thread_states(A, 0, u64::MAX),
        [
            span(995, 1000, ThreadState::Unknown),
            span(1000, 1010, ThreadState::Running { cpu: 1 }),
            span(1010, 1013, ThreadState::Interrupted { cpu: 1 }),
            span(1013, 1020, ThreadState::Running { cpu: 1 }),
            span(1020, 1025, ThreadState::Asleep),
            span(1025, 1030, ThreadState::Runnable),
        ]
    );
    // A window inside: clipped, the state at its start carried over.
    assert_eq!(
        tl.thread_states(A, 1022 * US, 1028 * US),
        [
            span(1022, 1025, ThreadState::Asleep),
            span(1025, 1028, ThreadState::Runnable),
        ]
    );
}

#[test]
fn a_softirq_in_idle_nests_an_interrupt() {
    let mut t = Trace::new(&[1]);
    t.switch(1, 100, 50, "S", IDLE);
    t.softirq(1, 110, IDLE, 1, true);
    t.irq(1, 112, IDLE, 11, true);
    t.irq(1, 113, IDLE, 11, false);
    t.softirq(1, 118, IDLE, 1, false);
    let tl = t.finish(100, 130, 130);
    assert_eq!(
        tl.segments(1, 0, u64::MAX),
        [
            seg(100, 110, Who::Idle, Ended::Interrupted),
            seg(110, 112, Who::Softirq(1), Ended::Interrupted),
            seg(112, 113, Who::Irq(11), Ended::Returned),
            seg(113, 118, Who::Softirq(1), Ended::Returned),
            seg(118, 130, Who::Idle, Ended::Unknown),
        ]
    );
    let totals = tl.totals(1).expect("traced");
    assert_eq!(
        (totals.idle_ns, totals.softirq_ns, totals.irq_ns),
        (22 * US, 7 * US, US)
    );
    assert_eq!(totals.softirqs.get(&1), Some(&(7 * US)));
    assert_eq!(tl.softirq_name(1), Some("TIMER"));
    assert_eq!(tl.describe(Who::Softirq(1)), "softirq TIMER");
}

#[test]
fn a_preempted_thread_is_runnable_a_sleeping_one_asleep() {
    let mut t = Trace::new(&[1]);
    t.switch(1, 1000, IDLE, "R", A);
    t.wakeup(1, 1010, A, "dNh2.", B, 1);
    t.switch(1, 1010, A, "R+", B);
    t.switch(1, 1015, B, "S", A);
    t.switch(1, 1020, A, "S", IDLE);
    let tl = t.finish(1000, 1030, 1030);
    let segments = tl.segments(1, 0, u64::MAX);
    assert_eq!(segments[0].ended, Ended::Switched(TaskState::PREEMPTED));
    assert_eq!(
        tl.thread_states(A, 0, u64::MAX),
        [
            span(1000, 1010, ThreadState::Running { cpu: 1 }),
            span(1010, 1015, ThreadState::Runnable),
            span(1015, 1020, ThreadState::Running { cpu: 1 }),
            span(1020, 1030, ThreadState::Asleep),
        ]
    );
    assert_eq!(
        tl.thread_states(B, 0, u64::MAX),
        [
            span(1000, 1010, ThreadState::Unknown),
            span(1010, 1015, ThreadState::Running { cpu: 1 }),
            span(1015, 1030, ThreadState::Asleep),
        ]
    );
    assert_eq!(
        tl.occupancy(1, 0, u64::MAX),
        [
            (Who::Thread(A), 15 * US),
            (Who::Idle, 10 * US),
            (Who::Thread(B), 5 * US)
        ]
    );
    let b = tl.thread(B).expect("named");
    assert_eq!((b.comm.as_str(), b.prio), ("t200", 120));
}

#[test]
fn before_the_first_event_and_after_the_trace_the_cpu_is_unknown() {
    let mut t = Trace::new(&[1, 3]);
    t.switch(1, 2000, IDLE, "R", A);
    let tl = t.finish(1000, 2200, 2100);
    assert_eq!(
        tl.segments(1, 0, u64::MAX),
        [
            seg(1000, 2000, Who::Unknown, Ended::Unknown),
            seg(2000, 2100, Who::Thread(A), Ended::Unknown),
            seg(2100, 2200, Who::Unknown, Ended::Clipped),
        ]
    );
    assert_eq!(
        tl.thread_states(A, 0, u64::MAX),
        [
            span(1000, 2000, ThreadState::Unknown),
            span(2000, 2100, ThreadState::Running { cpu: 1 }),
            span(2100, 2200, ThreadState::Unknown),
        ]
    );
    // A traced CPU without a single event: all unknown.
    assert_eq!(tl.totals(3).expect("traced").unknown_ns, 1200 * US);
    assert_eq!(tl.cpus(), [1, 3]);
    assert!(tl.totals(2).is_none() && tl.segments(2, 0, u64::MAX).is_empty());
}

#[test]
fn lost_events_leave_an_unknown_gap_until_the_next_event() {
    let mut t = Trace::new(&[1]);
    t.switch(1, 1000, IDLE, "R", A);
    t.wakeup(1, 1005, A, "d..2.", C, 1);
    t.0.line(b"CPU:1 [LOST 50 EVENTS]");
    t.irq(1, 1040, B, 11, true);
    t.irq(1, 1042, B, 11, false);
    let tl = t.finish(1000, 1050, 1050);
    assert_eq!(
        tl.segments(1, 0, u64::MAX),
        [
            seg(1000, 1005, Who::Thread(A), Ended::Unknown),
            seg(1005, 1040, Who::Unknown, Ended::Unknown),
            seg(1040, 1042, Who::Irq(11), Ended::Returned),
            seg(1042, 1050, Who::Thread(B), Ended::Unknown),
        ]
    );
    assert_eq!((tl.lost_events, tl.lost_gaps), (50, 1));
    assert_eq!(
        tl.thread_states(A, 0, u64::MAX),
        [
            span(1000, 1005, ThreadState::Running { cpu: 1 }),
            span(1005, 1050, ThreadState::Unknown),
        ]
    );
}

#[test]
fn an_event_contradicting_the_state_makes_the_time_since_the_last_one_unknown() {
    let mut t = Trace::new(&[1]);
    t.switch(1, 1000, IDLE, "R", A);
    t.wakeup(1, 1004, A, "d..2.", C, 0);
    // B was never switched in: a switch was missed.
    t.switch(1, 1010, B, "S", C);
    t.wakeup(1, 1020, C, "d..2.", A, 1);
    // A wake-up from a softirq after a gap: which softirq runs is not
    // known, so neither is the CPU's occupant, until an exit.
    t.0.line(b"CPU:1 [LOST 3 EVENTS]");
    t.wakeup(1, 1022, C, "d.s2.", A, 1);
    t.irq(1, 1025, C, 11, false);
    let tl = t.finish(1000, 1030, 1030);
    assert_eq!(
        tl.segments(1, 0, u64::MAX),
        [
            seg(1000, 1004, Who::Thread(A), Ended::Unknown),
            seg(1004, 1010, Who::Unknown, Ended::Unknown),
            seg(1010, 1020, Who::Thread(C), Ended::Unknown),
            seg(1020, 1025, Who::Unknown, Ended::Unknown),
            seg(1025, 1030, Who::Thread(C), Ended::Unknown),
        ]
    );
}

#[test]
fn an_unreported_switch_out_of_idle_is_placed_at_the_wake_up() {
    let mut t = Trace::new(&[1]);
    t.switch(1, 1000, A, "S", IDLE);
    // A timer wakes A on the idle CPU; the switch to A is not reported,
    // A's own events are.
    t.wakeup(1, 1010, IDLE, "d.h3.", A, 1);
    t.softirq(1, 1014, A, 1, true);
    t.softirq(1, 1015, A, 1, false);
    t.switch(1, 1020, A, "S", IDLE);
    // B shows up without a wake-up: when it took the CPU is not known.
    t.softirq(1, 1030, B, 1, true);
    t.softirq(1, 1031, B, 1, false);
    let tl = t.finish(1000, 1040, 1040);
    assert_eq!(
        tl.segments(1, 0, u64::MAX),
        [
            seg(1000, 1010, Who::Idle, switched("R")),
            seg(1010, 1014, Who::Thread(A), Ended::Interrupted),
            seg(1014, 1015, Who::Softirq(1), Ended::Returned),
            seg(1015, 1020, Who::Thread(A), switched("S")),
            seg(1020, 1020, Who::Idle, Ended::Unknown),
            seg(1020, 1030, Who::Unknown, Ended::Unknown),
            seg(1030, 1031, Who::Softirq(1), Ended::Returned),
            seg(1031, 1040, Who::Thread(B), Ended::Unknown),
        ]
    );
    assert_eq!(tl.inferred_switches, 1);
    assert_eq!(
        tl.thread_states(A, 0, u64::MAX),
        [
            span(1000, 1010, ThreadState::Unknown),
            span(1010, 1014, ThreadState::Running { cpu: 1 }),
            span(1014, 1015, ThreadState::Interrupted { cpu: 1 }),
            span(1015, 1020, ThreadState::Running { cpu: 1 }),
            span(1020, 1040, ThreadState::Asleep),
        ]
    );
}

#[test]
fn a_thread_moving_between_cpus_runs_on_each_in_turn() {
    let mut t = Trace::new(&[0, 1]);
    t.switch(0, 1000, IDLE, "R", A);
    t.switch(0, 1010, A, "R+", B);
    t.switch(1, 1020, IDLE, "R", A);
    t.switch(1, 1030, A, "S", IDLE);
    let tl = t.finish(1000, 1040, 1040);
    assert_eq!(
        tl.thread_states(A, 0, u64::MAX),
        [
            span(1000, 1010, ThreadState::Running { cpu: 0 }),
            span(1010, 1020, ThreadState::Runnable),
            span(1020, 1030, ThreadState::Running { cpu: 1 }),
            span(1030, 1040, ThreadState::Asleep),
        ]
    );
}

#[test]
fn names_priorities_and_descriptions() {
    let mut t = Trace::new(&[1]);
    t.wakeup(1, 1000, IDLE, "dNh2.", A, 1);
    t.0.line(
        b"  t0-0  [001] d..2. 0.001001: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 \
          prev_state=R ==> next_comm=my intruder next_pid=100 next_prio=4",
    );
    let tl = t.finish(1000, 1010, 1010);
    let a = tl.thread(A).expect("named");
    assert_eq!(a.comm, "my intruder");
    assert_eq!(a.priority(), Some(KernelPrio::RealTime(95)));
    assert_eq!(tl.describe(Who::Thread(A)), "my intruder (pid 100)");
    assert_eq!(tl.describe(Who::Thread(B)), "pid 200");
    assert!(tl.thread(IDLE).is_none());
}

#[test]
fn malformed_lines_are_counted_and_skipped() {
    let mut t = Trace::new(&[1]);
    t.0.line(b"");
    t.0.line(b"garbage");
    t.0.line(b"  t1-1  [001] d..2. 1.0: sched_switch: prev_comm=");
    t.switch(1, 1000, IDLE, "R", A);
    let tl = t.finish(1000, 1010, 1010);
    assert_eq!((tl.events, tl.malformed_lines), (1, 2));
    assert_eq!(tl.occupancy(1, 0, u64::MAX), [(Who::Thread(A), 10 * US)]);
}

/// A and B alternate every `step_us` from `first_us`, `n` switches.
fn alternate(cap: usize, first_us: u64, step_us: u64, n: u64) -> Builder {
    let mut t = Trace(Builder::new(&[1], cap));
    t.switch(1, first_us, IDLE, "R", A);
    for k in 1..n {
        let (prev, next) = if k % 2 == 1 { (A, B) } else { (B, A) };
        t.switch(1, first_us + k * step_us, prev, "R+", next);
    }
    t.0
}

#[test]
fn past_the_cap_segments_stop_but_totals_stay_exact() {
    let tl = alternate(8, 1000, 10, 50).finish(1000 * US, 1500 * US, 1600 * US);
    assert!(tl.truncated && !tl.warnings.is_empty());
    let totals = tl.totals(1).expect("traced");
    assert_eq!(totals.threads.get(&A), Some(&(250 * US)));
    assert_eq!(totals.threads.get(&B), Some(&(250 * US)));
    assert_eq!(totals.unknown_ns, 0);
    // The stored segments end in an unknown stretch.
    let segments = tl.segments(1, 0, u64::MAX);
    assert!(segments.len() <= 9, "{segments:?}");
    assert_eq!(segments.last().map(|s| s.who), Some(Who::Unknown));
    // The window's end cuts the time counted past the cap.
    let tl = alternate(8, 1000, 10, 50).finish(1000 * US, 1495 * US, 1600 * US);
    let totals = tl.totals(1).expect("traced");
    assert_eq!(totals.threads.get(&B), Some(&(245 * US)));
    assert_eq!(totals.total_ns(), 495 * US);
}

#[test]
fn time_past_the_cap_settles_over_seconds_and_is_still_clipped_at_the_end() {
    // Switches every second from 1 s to 8 s, trace stopped at 9 s.
    let tl = alternate(4, 1_000_000, 1_000_000, 8).finish(
        1_000_000 * US,
        7_500_000 * US,
        9_000_000 * US,
    );
    assert!(tl.truncated);
    let totals = tl.totals(1).expect("traced");
    assert_eq!(totals.threads.get(&A), Some(&(3_500_000 * US)));
    assert_eq!(totals.threads.get(&B), Some(&(3_000_000 * US)));
    assert_eq!(totals.total_ns(), 6_500_000 * US);
}

#[test]
fn queries_outside_the_window_are_clamped_to_it() {
    let tl = irq_in_thread();
    assert!(tl.segments(1, 2000 * US, 3000 * US).is_empty());
    assert!(tl.occupancy(1, 1030 * US, 1030 * US).is_empty());
    assert!(tl.thread_states(A, 1030 * US, u64::MAX).is_empty());
    let total: u64 = tl.occupancy(1, 0, u64::MAX).iter().map(|o| o.1).sum();
    assert_eq!(total, 35 * US);
}
