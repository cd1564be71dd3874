//! One line of `trace_pipe` text into a [`Line`], without allocating.
//!
//! The kernel prints each event as
//!
//! ```text
//!            sleep-4660    [001] d..2. 18705.890012: sched_switch: prev_comm=sleep prev_pid=4660 ...
//! ```
//!
//! that is `<comm>-<pid> [<cpu>] <flags> <secs>.<usecs>: <event>: <fields>`,
//! and a gap in a CPU's ring buffer as `CPU:1 [LOST 123 EVENTS]`. A thread's
//! `comm` (at most 15 bytes) may hold anything, spaces, `=`, `-`, `[`, even
//! text that looks like a field: every variable-length part is therefore
//! parsed from its fixed neighbours (the numbers after it), and a candidate
//! split that does not leave a well-formed rest is abandoned for the next.
//! Names are returned as raw bytes: a comm need not be UTF-8.

use rtlab_tasks::model::CpuId;

use super::task_state::TaskState;

/// One parsed line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// A tracepoint hit.
    Event(Record<'a>),
    /// The ring buffer of `cpu` overflowed: `events` were dropped before the
    /// next event of that CPU (`None`: the kernel did not know how many).
    Lost {
        /// The CPU whose events were lost.
        cpu: CpuId,
        /// How many, when known.
        events: Option<u64>,
    },
}

/// One tracepoint hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    /// The CPU it happened on.
    pub(crate) cpu: CpuId,
    /// When, `CLOCK_MONOTONIC` nanoseconds (microsecond resolution).
    pub(crate) ts_ns: u64,
    /// The thread current on `cpu` at that instant (`common_pid`; 0 = idle),
    /// also when the event fired in an interrupt handler.
    pub(crate) pid: u32,
    /// Hard interrupt, softirq or thread context, from the flags column.
    pub(crate) context: Context,
    /// What happened.
    pub(crate) event: Event<'a>,
}

/// The execution context an event fired in (third character of the flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Context {
    /// Thread (task) context.
    Thread,
    /// A hard interrupt handler (or an NMI).
    Hardirq,
    /// A softirq.
    Softirq,
    /// The flags column is absent or unknown.
    Unknown,
}

/// The tracepoints rtlab reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event<'a> {
    /// `sched_switch`.
    Switch(Switch<'a>),
    /// `sched_wakeup` or `sched_wakeup_new`: `pid` was woken onto
    /// `target_cpu` (`sched_waking`, same fields, is read alike: there
    /// `target_cpu` is the CPU it last ran on).
    Wakeup {
        /// The woken thread's name.
        comm: &'a [u8],
        /// The woken thread.
        pid: u32,
        /// Its kernel priority.
        prio: i32,
        /// The CPU it is woken on.
        target_cpu: CpuId,
    },
    /// `irq_handler_entry`.
    IrqEntry {
        /// The interrupt number.
        irq: u32,
        /// The handler's name (`virtio0`).
        name: &'a [u8],
    },
    /// `irq_handler_exit`.
    IrqExit {
        /// The interrupt number.
        irq: u32,
    },
    /// `softirq_entry`.
    SoftirqEntry {
        /// The softirq vector.
        vec: u32,
        /// Its name (`SCHED`, `TIMER`, ...).
        action: &'a [u8],
    },
    /// `softirq_exit`.
    SoftirqExit {
        /// The softirq vector.
        vec: u32,
    },
}

/// The fields of a `sched_switch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Switch<'a> {
    /// The thread leaving the CPU.
    pub(crate) prev_comm: &'a [u8],
    /// Its id (0 = idle).
    pub(crate) prev_pid: u32,
    /// Its kernel priority.
    pub(crate) prev_prio: i32,
    /// Why it left.
    pub(crate) prev_state: TaskState,
    /// The thread taking the CPU.
    pub(crate) next_comm: &'a [u8],
    /// Its id (0 = idle).
    pub(crate) next_pid: u32,
    /// Its kernel priority.
    pub(crate) next_prio: i32,
}

/// Parses one line (without its newline); `None` if it is not one of the
/// events rtlab reads or a lost-events line.
pub(crate) fn parse_line(line: &[u8]) -> Option<Line<'_>> {
    if let Some(rest) = line.strip_prefix(b"CPU:") {
        return lost(rest);
    }
    // The `[cpu]` column is the first `[` that leaves a well-formed rest; a
    // comm holding `[1]` gives a candidate that fails further on.
    let mut from = 0;
    while let Some(at) = find(&line[from..], b"[").map(|i| i + from) {
        if let Some(record) = record_at(line, at) {
            return Some(Line::Event(record));
        }
        from = at + 1;
    }
    None
}

/// `<cpu> [LOST <n> EVENTS]` (after `CPU:`).
fn lost(rest: &[u8]) -> Option<Line<'_>> {
    let (cpu, rest) = split_once(rest, b" [LOST ")?;
    let cpu = uint(cpu)?;
    let count = rest.strip_suffix(b" EVENTS]")?;
    // The kernel prints (unsigned long)-1, 20 digits, when it cannot count.
    let events = match uint(count) {
        Some(n) => Some(n),
        None if !count.is_empty() && count.iter().all(u8::is_ascii_digit) => None,
        None => return None,
    };
    Some(Line::Lost {
        cpu: CpuId::try_from(cpu).ok()?,
        events,
    })
}

/// The record whose `[cpu]` column opens at `open`.
fn record_at(line: &[u8], open: usize) -> Option<Record<'_>> {
    let (cpu, rest) = split_once(&line[open + 1..], b"] ")?;
    let cpu = CpuId::try_from(uint(cpu)?).ok()?;
    let pid = task_pid(&line[..open])?;
    let mut tokens = rest.splitn(2, |&c| c == b' ');
    let first = tokens.next()?;
    let (context, ts_ns, rest) = match timestamp(first) {
        Some(ts) => (Context::Unknown, ts, tokens.next()?),
        None => {
            let rest = tokens.next()?.trim_ascii_start();
            let (ts, rest) = split_once(rest, b" ")?;
            (flags_context(first), timestamp(ts)?, rest)
        }
    };
    let (name, fields) = split_once(rest, b": ")?;
    let event = event(name, fields)?;
    Some(Record {
        cpu,
        ts_ns,
        pid,
        context,
        event,
    })
}

/// The pid of `<comm>-<pid>` padded with spaces.
fn task_pid(text: &[u8]) -> Option<u32> {
    let text = text.trim_ascii_end();
    let dash = text.iter().rposition(|&c| c == b'-')?;
    u32::try_from(uint(&text[dash + 1..])?).ok()
}

/// The context from a flags column like `d.h4.` (`h`/`H`: hard interrupt,
/// `z`/`Z`: NMI, `s`: softirq).
fn flags_context(flags: &[u8]) -> Context {
    match flags.get(2) {
        Some(b'h' | b'H' | b'z' | b'Z') => Context::Hardirq,
        Some(b's') => Context::Softirq,
        Some(b'.') => Context::Thread,
        _ => Context::Unknown,
    }
}

/// `18705.888059:` into nanoseconds.
fn timestamp(token: &[u8]) -> Option<u64> {
    let (secs, frac) = split_once(token.strip_suffix(b":")?, b".")?;
    if frac.is_empty() || frac.len() > 9 {
        return None;
    }
    let scale = 10u64.pow(9 - frac.len() as u32);
    uint(secs)?
        .checked_mul(1_000_000_000)?
        .checked_add(uint(frac)? * scale)
}

fn event<'a>(name: &[u8], fields: &'a [u8]) -> Option<Event<'a>> {
    match name {
        b"sched_switch" => switch(fields).map(Event::Switch),
        b"sched_wakeup" | b"sched_wakeup_new" | b"sched_waking" => wakeup(fields),
        b"irq_handler_entry" => {
            let (irq, name) = split_once(fields.strip_prefix(b"irq=")?, b" name=")?;
            Some(Event::IrqEntry {
                irq: u32::try_from(uint(irq)?).ok()?,
                name,
            })
        }
        b"irq_handler_exit" => {
            let (irq, ret) = split_once(fields.strip_prefix(b"irq=")?, b" ret=")?;
            if ret != b"handled" && ret != b"unhandled" {
                return None;
            }
            Some(Event::IrqExit {
                irq: u32::try_from(uint(irq)?).ok()?,
            })
        }
        b"softirq_entry" | b"softirq_exit" => {
            let (vec, action) = split_once(fields.strip_prefix(b"vec=")?, b" [action=")?;
            let action = action.strip_suffix(b"]")?;
            let vec = u32::try_from(uint(vec)?).ok()?;
            Some(if name == b"softirq_entry" {
                Event::SoftirqEntry { vec, action }
            } else {
                Event::SoftirqExit { vec }
            })
        }
        _ => None,
    }
}

/// `prev_comm=C prev_pid=N prev_prio=N prev_state=S ==> next_comm=C
/// next_pid=N next_prio=N`.
fn switch(fields: &[u8]) -> Option<Switch<'_>> {
    let fields = fields.strip_prefix(b"prev_comm=")?;
    // next_comm ends at the last ` next_pid=`: only digits follow it.
    let split = rfind(fields, b" next_pid=")?;
    let (next_pid, next_prio) = split_once(&fields[split + 10..], b" next_prio=")?;
    let head = &fields[..split];
    // prev_comm ends at the first ` prev_pid=` whose rest parses.
    let mut from = 0;
    while let Some(at) = find(&head[from..], b" prev_pid=").map(|i| i + from) {
        if let Some((prev_pid, prev_prio, prev_state, next_comm)) = prev_rest(&head[at + 10..]) {
            return Some(Switch {
                prev_comm: &head[..at],
                prev_pid,
                prev_prio,
                prev_state,
                next_comm,
                next_pid: u32::try_from(uint(next_pid)?).ok()?,
                next_prio: int(next_prio)?,
            });
        }
        from = at + 1;
    }
    None
}

/// `N prev_prio=N prev_state=S ==> next_comm=C` (after ` prev_pid=`).
fn prev_rest(text: &[u8]) -> Option<(u32, i32, TaskState, &[u8])> {
    let (pid, text) = split_once(text, b" prev_prio=")?;
    let (prio, text) = split_once(text, b" prev_state=")?;
    let (state, next_comm) = split_once(text, b" ==> next_comm=")?;
    Some((
        u32::try_from(uint(pid)?).ok()?,
        int(prio)?,
        TaskState::parse(state)?,
        next_comm,
    ))
}

/// `comm=C pid=N prio=N target_cpu=NNN`.
fn wakeup(fields: &[u8]) -> Option<Event<'_>> {
    let fields = fields.strip_prefix(b"comm=")?;
    let split = rfind(fields, b" pid=")?;
    let (pid, rest) = split_once(&fields[split + 5..], b" prio=")?;
    let (prio, target) = split_once(rest, b" target_cpu=")?;
    Some(Event::Wakeup {
        comm: &fields[..split],
        pid: u32::try_from(uint(pid)?).ok()?,
        prio: int(prio)?,
        target_cpu: CpuId::try_from(uint(target)?).ok()?,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn split_once<'a>(hay: &'a [u8], needle: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let at = find(hay, needle)?;
    Some((&hay[..at], &hay[at + needle.len()..]))
}

/// A non-empty run of ASCII digits (and nothing else).
fn uint(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 19 {
        return None;
    }
    text.iter().try_fold(0u64, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u64::from(c - b'0'))
    })
}

fn int(text: &[u8]) -> Option<i32> {
    match text.strip_prefix(b"-") {
        Some(digits) => i32::try_from(uint(digits)?).ok().map(|n| -n),
        None => i32::try_from(uint(text)?).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Record<'_> {
        match parse_line(line.as_bytes()) {
            Some(Line::Event(r)) => r,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn softirq_lines_from_this_machine_parse() {
        let r = event(
            "           sleep-4660    [001] ..s11 18705.888059: softirq_entry: vec=7 [action=SCHED]",
        );
        assert_eq!(r.cpu, 1);
        assert_eq!(r.ts_ns, 18_705_888_059_000);
        assert_eq!(r.pid, 4660);
        assert_eq!(r.context, Context::Softirq);
        assert_eq!(
            r.event,
            Event::SoftirqEntry {
                vec: 7,
                action: b"SCHED"
            }
        );
        let r = event(
            "          <idle>-0       [001] ..s1. 18705.892068: softirq_exit: vec=7 [action=SCHED]",
        );
        assert_eq!(r.pid, 0);
        assert_eq!(r.event, Event::SoftirqExit { vec: 7 });
    }

    #[test]
    fn wakeup_lines_parse_with_their_target_cpu() {
        let r = event(
            "           sleep-4660    [001] d.s41 18705.888090: sched_waking: comm=rcu_preempt pid=15 prio=120 target_cpu=000",
        );
        assert_eq!(
            r.event,
            Event::Wakeup {
                comm: b"rcu_preempt",
                pid: 15,
                prio: 120,
                target_cpu: 0
            }
        );
    }

    #[test]
    fn switch_line_parses_every_field() {
        let r = event(
            "           sleep-4660    [001] d..2. 18705.890012: sched_switch: prev_comm=sleep prev_pid=4660 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120",
        );
        assert_eq!(r.context, Context::Thread);
        assert_eq!(
            r.event,
            Event::Switch(Switch {
                prev_comm: b"sleep",
                prev_pid: 4660,
                prev_prio: 120,
                prev_state: TaskState::SLEEPING,
                next_comm: b"swapper/1",
                next_pid: 0,
                next_prio: 120,
            })
        );
    }

    #[test]
    fn comms_with_spaces_equals_dashes_and_brackets_parse() {
        // Worst cases: a header comm with `-N [N]`, switch comms holding
        // the field separators themselves.
        let r = event(
            " a-1 [2] x-b-77     [001] d..2. 5.000001: sched_switch: prev_comm=x prev_pid=9 y prev_pid=77 prev_prio=-1 prev_state=R+ ==> next_comm=k next_pid=3 z next_pid=12 next_prio=98",
        );
        assert_eq!(r.pid, 77);
        assert_eq!(r.cpu, 1);
        let Event::Switch(s) = r.event else {
            panic!("{r:?}")
        };
        assert_eq!(s.prev_comm, b"x prev_pid=9 y");
        assert_eq!(s.prev_pid, 77);
        assert_eq!(s.prev_prio, -1);
        assert!(s.prev_state.runnable() && s.prev_state.preempted());
        assert_eq!(s.next_comm, b"k next_pid=3 z");
        assert_eq!((s.next_pid, s.next_prio), (12, 98));
        let r = event(
            "  Web Content-4242    [000] d..2. 1.000000: sched_waking: comm=Web pid=1 Content pid=4242 prio=4 target_cpu=001",
        );
        assert_eq!(
            r.event,
            Event::Wakeup {
                comm: b"Web pid=1 Content",
                pid: 4242,
                prio: 4,
                target_cpu: 1
            }
        );
    }

    #[test]
    fn irq_lines_parse() {
        let r = event(
            "        rust-lld-11189   [001] d.h.. 18983.789931: irq_handler_entry: irq=36 name=virtio1-req.0",
        );
        assert_eq!(r.context, Context::Hardirq);
        assert_eq!(
            r.event,
            Event::IrqEntry {
                irq: 36,
                name: b"virtio1-req.0"
            }
        );
        let r = event(
            "          <idle>-0       [001] dNh1. 18986.848692: irq_handler_exit: irq=11 ret=handled",
        );
        assert_eq!(r.event, Event::IrqExit { irq: 11 });
    }

    #[test]
    fn lines_without_a_flags_column_parse() {
        let r = event("   bash-12  [003] 100.5: irq_handler_exit: irq=11 ret=unhandled");
        assert_eq!(r.cpu, 3);
        assert_eq!(r.ts_ns, 100_500_000_000);
        assert_eq!(r.context, Context::Unknown);
    }

    #[test]
    fn lost_lines_parse_with_and_without_a_count() {
        assert_eq!(
            parse_line(b"CPU:1 [LOST 247 EVENTS]"),
            Some(Line::Lost {
                cpu: 1,
                events: Some(247)
            })
        );
        assert_eq!(
            parse_line(b"CPU:0 [LOST 18446744073709551615 EVENTS]"),
            Some(Line::Lost {
                cpu: 0,
                events: None
            })
        );
        assert_eq!(parse_line(b"CPU:x [LOST 1 EVENTS]"), None);
    }

    #[test]
    fn malformed_lines_are_refused_without_panicking() {
        let good = "  a-1  [001] d..2. 1.000001: irq_handler_exit: irq=11 ret=handled";
        assert!(parse_line(good.as_bytes()).is_some());
        // Every prefix of a good line, and assorted junk.
        for end in 0..good.len() {
            let _ = parse_line(&good.as_bytes()[..end]);
        }
        for bad in [
            "",
            "[",
            "]]",
            "# tracer: nop",
            "  a-1  [001] d..2. 1.000001: sched_migrate_task: comm=a pid=1 prio=1 orig_cpu=0 dest_cpu=1",
            "  a-1  [001] d..2. 1.0000000001: irq_handler_exit: irq=11 ret=handled",
            "  a-1  [001] d..2. 1.000001: irq_handler_exit: irq=-1 ret=handled",
            "  a-1  [001] d..2. 1.000001: irq_handler_exit: irq=1 ret=maybe",
            "  a-x  [001] d..2. 1.000001: irq_handler_exit: irq=1 ret=handled",
            "  a-1  [001] d..2. 1.000001: sched_switch: prev_comm=a prev_pid=1",
            "  a-1  [001] d..2. 1.000001: sched_switch: prev_comm=a prev_pid=1 prev_prio=1 prev_state=Q ==> next_comm=b next_pid=2 next_prio=1",
            "  a-1  [99999999999] d..2. 1.000001: softirq_exit: vec=1 [action=TIMER]",
        ] {
            assert_eq!(parse_line(bad.as_bytes()), None, "{bad}");
        }
        let junk: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
        assert_eq!(parse_line(&junk), None);
    }
}
