//! A switched-out thread's state, as `sched_switch` prints it
//! (`prev_state=R+`, `S`, `D|K`, ...).

/// A switched-out thread's state (`prev_state`): a set of the kernel's
/// state letters, empty for `R` (runnable), plus the `+` of a preemption.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct TaskState(u16);

/// The kernel's state letters, in its bit order (`include/linux/sched.h`);
/// `K`, `W`, `N`, `n` are older kernels' letters, kept for their meaning.
const LETTERS: &[(u8, u16)] = &[
    (b'S', 1),
    (b'D', 1 << 1),
    (b'T', 1 << 2),
    (b't', 1 << 3),
    (b'X', 1 << 4),
    (b'Z', 1 << 5),
    (b'P', 1 << 6),
    (b'I', 1 << 7),
    (b'K', 1 << 8),
    (b'W', 1 << 9),
    (b'N', 1 << 10),
    (b'n', 1 << 11),
];
const PREEMPTED: u16 = 1 << 12;
const EXITED: u16 = (1 << 4) | (1 << 5);

impl TaskState {
    /// Runnable (`R`): preempted, or it gave the CPU up without sleeping.
    pub(crate) const RUNNABLE: TaskState = TaskState(0);
    /// Preempted while runnable (`R+`).
    #[cfg(test)]
    pub(crate) const PREEMPTED: TaskState = TaskState(PREEMPTED);
    /// Interruptible sleep (`S`).
    #[cfg(test)]
    pub(crate) const SLEEPING: TaskState = TaskState(1);

    /// Parses `R`, `R+`, `S`, `D`, `D|K`, `X`, ... (`None` for anything
    /// else).
    pub(crate) fn parse(text: &[u8]) -> Option<TaskState> {
        let (body, plus) = match text.strip_suffix(b"+") {
            Some(body) => (body, PREEMPTED),
            None => (text, 0),
        };
        if body == b"R" {
            return Some(TaskState(plus));
        }
        let mut bits = plus;
        for part in body.split(|&c| c == b'|') {
            let [letter] = part else { return None };
            let &(_, bit) = LETTERS.iter().find(|(l, _)| l == letter)?;
            bits |= bit;
        }
        Some(TaskState(bits))
    }

    /// The packed bits (13 used).
    pub(crate) fn bits(self) -> u16 {
        self.0
    }

    /// From [`bits`](Self::bits).
    pub(crate) fn from_bits(bits: u16) -> TaskState {
        TaskState(bits & 0x1fff)
    }

    /// Still runnable when switched out (`R` or `R+`): it waits for the CPU.
    pub(crate) fn runnable(self) -> bool {
        self.0 & !PREEMPTED == 0
    }

    /// Preempted (`R+`).
    pub(crate) fn preempted(self) -> bool {
        self.0 & PREEMPTED != 0
    }

    /// Dead (`X`) or a zombie (`Z`): it will not run again.
    pub(crate) fn exited(self) -> bool {
        self.0 & EXITED != 0
    }
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for &(letter, bit) in LETTERS {
            if self.0 & bit != 0 {
                if !first {
                    f.write_str("|")?;
                }
                first = false;
                write!(f, "{}", letter as char)?;
            }
        }
        if first {
            f.write_str("R")?;
        }
        if self.preempted() {
            f.write_str("+")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_states_parse_and_print_back() {
        for (text, runnable, exited) in [
            ("R", true, false),
            ("R+", true, false),
            ("S", false, false),
            ("D", false, false),
            ("I", false, false),
            ("X", false, true),
            ("Z", false, true),
            ("D|K", false, false),
            ("S|W+", false, false),
        ] {
            let s = TaskState::parse(text.as_bytes()).expect(text);
            assert_eq!(s.to_string(), text);
            assert_eq!((s.runnable(), s.exited()), (runnable, exited), "{text}");
            assert_eq!(TaskState::from_bits(s.bits()), s);
        }
        for bad in ["", "Q", "SS", "S|", "+", "R|S"] {
            assert_eq!(TaskState::parse(bad.as_bytes()), None, "{bad}");
        }
    }
}
