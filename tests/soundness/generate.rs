//! Random configs mixing every scheduling feature, as TOML text.
//!
//! A [`Spec`] is a config in the harness' own terms: each field is drawn on
//! its own (no `prop_flat_map`), and [`Spec::toml`] turns it into the text a
//! user would write, clamping what must fit (a WCET within its deadline, a
//! section within its WCET, a task's CPU among the platform's). So proptest
//! shrinks every field independently towards the simplest config: fewer
//! tasks, fewer CPUs, shorter periods, lighter loads, no sections, no
//! jitter, no offsets, and each feature flag back to its default.
//!
//! Times are small integers of nanoseconds. Periods divide 120 ns, so the
//! hyperperiod is at most 120 ns and a simulation over many of them is
//! cheap.

use std::fmt::Write as _;

use proptest::prelude::*;

/// Periods, in nanoseconds: every one divides 120, so any set of them has
/// a hyperperiod of at most 120 ns.
const PERIODS: &[u64] = &[2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24, 30, 40];

/// At most this many tasks per config.
const MAX_TASKS: usize = 6;

/// Task names, in file order.
const NAMES: [&str; MAX_TASKS] = ["a", "b", "c", "d", "e", "f"];

/// One random config. Fields that a setting makes irrelevant (a `cpu`
/// under global placement, a `priority` under a derived order, a `quantum`
/// outside round-robin) are kept but not written.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    /// Platform CPUs `0..cpus`, 1 to 4.
    pub(crate) cpus: u32,
    /// `placement = "global"` (else partitioned).
    pub(crate) global: bool,
    /// `scheduler.policy`.
    pub(crate) policy: &'static str,
    /// Round-robin quantum, in nanoseconds.
    pub(crate) quantum: u64,
    /// `preemptive = false`.
    pub(crate) non_preemptive: bool,
    /// `scheduler.priorities`.
    pub(crate) priorities: &'static str,
    /// `scheduler.locking`.
    pub(crate) locking: &'static str,
    /// `overrun = "skip"` (else queue).
    pub(crate) skip: bool,
    /// `on_miss = "abort"` (else continue).
    pub(crate) abort: bool,
    /// Whether the tasks' offsets, release jitter and uniform execution
    /// times are written; without them the config is synchronous and
    /// deterministic, which the exactness property needs.
    pub(crate) irregular: bool,
    /// The tasks, 1 to 6.
    pub(crate) tasks: Vec<TaskSpec>,
}

/// One `[[task]]`, its times relative to its period so that shrinking the
/// period keeps the task's shape.
#[derive(Clone, Debug)]
pub(crate) struct TaskSpec {
    /// Index into [`PERIODS`].
    pub(crate) period: usize,
    /// WCET as a percentage of the period (at least 1 ns, at most the
    /// deadline).
    pub(crate) load_pct: u64,
    /// Deadline as a percentage of the period; `None`: implicit (D = T).
    pub(crate) deadline_pct: Option<u64>,
    /// First release, in nanoseconds.
    pub(crate) offset: u64,
    /// Release jitter, in nanoseconds.
    pub(crate) jitter: u64,
    /// Explicit priority (1..=4: equal priorities are common).
    pub(crate) priority: u32,
    /// `cpu` under partitioned placement (modulo the CPU count); `None`:
    /// left to the loader's worst-fit placement.
    pub(crate) cpu: Option<u32>,
    /// Uniform execution with this minimum, as a percentage of the WCET;
    /// `None`: constant.
    pub(crate) min_pct: Option<u64>,
    /// Up to two critical sections.
    pub(crate) sections: Vec<SectionSpec>,
    /// `trigger`: released by the completions of the task at this index
    /// modulo the task's own (the first task is never triggered). A
    /// triggered task's times are relative to its source's period.
    pub(crate) trigger: Option<u8>,
    /// Sporadic arrivals (irregular configs, untriggered tasks without
    /// release jitter): gaps from the period up to this percentage of it.
    pub(crate) sporadic_pct: Option<u64>,
}

/// One critical section, placed by [`Spec::toml`] inside the WCET.
#[derive(Clone, Debug)]
pub(crate) struct SectionSpec {
    /// Resource `r0` or `r1`.
    pub(crate) resource: u8,
    /// Where it starts: a percentage of the room available.
    pub(crate) after_pct: u64,
    /// How long it holds: a percentage of the room left (at least 1 ns).
    pub(crate) hold_pct: u64,
    /// The second section nests inside the first (with the other resource)
    /// instead of following it.
    pub(crate) nested: bool,
}

/// A value that is usually `0`, else drawn from `1..=max`.
fn mostly_zero(max: u64) -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 1 => 1..=max]
}

fn section() -> impl Strategy<Value = SectionSpec> {
    (0u8..=1, 0u64..=99, 1u64..=100, prop::bool::weighted(0.5)).prop_map(
        |(resource, after_pct, hold_pct, nested)| SectionSpec {
            resource,
            after_pct,
            hold_pct,
            nested,
        },
    )
}

fn task() -> impl Strategy<Value = TaskSpec> {
    (
        0..PERIODS.len(),
        1u64..=70,
        prop::option::weighted(0.5, 20u64..=200),
        (mostly_zero(20), mostly_zero(10)),
        1u32..=4,
        prop::option::weighted(0.7, 0u32..4),
        prop::option::weighted(0.3, 1u64..=100),
        prop::collection::vec(section(), 0..=2),
        (
            prop::option::weighted(0.3, 0u8..8),
            prop::option::weighted(0.2, 100u64..=300),
        ),
    )
        .prop_map(
            |(
                period,
                load_pct,
                deadline_pct,
                (offset, jitter),
                priority,
                cpu,
                min_pct,
                sections,
                (trigger, sporadic_pct),
            )| {
                TaskSpec {
                    period,
                    load_pct,
                    deadline_pct,
                    offset,
                    jitter,
                    priority,
                    cpu,
                    min_pct,
                    sections,
                    trigger,
                    sporadic_pct,
                }
            },
        )
}

/// The strategy: every feature of `docs/config.md` that changes timing.
pub(crate) fn spec() -> impl Strategy<Value = Spec> {
    let scheduler = (
        1u32..=4,
        prop::bool::weighted(0.3),
        prop::sample::select(vec!["fixed-priority", "edf", "fifo", "round-robin"]),
        1u64..=10,
        prop::bool::weighted(0.3),
        prop::sample::select(vec![
            "rate-monotonic",
            "deadline-monotonic",
            "explicit",
            "audsley",
        ]),
        prop::sample::select(vec!["none", "inherit", "ceiling"]),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.7),
    );
    // Tasks first: proptest shrinks a tuple's elements in order and does
    // not come back to an earlier one, and removing a task is the shrink
    // that matters most (the CPU count, say, shrinks once tasks are gone).
    (prop::collection::vec(task(), 1..=MAX_TASKS), scheduler).prop_map(
        |(
            tasks,
            (
                cpus,
                global,
                policy,
                quantum,
                non_preemptive,
                priorities,
                locking,
                skip,
                abort,
                irregular,
            ),
        )| Spec {
            cpus,
            global,
            policy,
            quantum,
            non_preemptive,
            priorities,
            locking,
            skip,
            abort,
            irregular,
            tasks,
        },
    )
}

/// A task's times in nanoseconds, as written in the config.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Times {
    /// Period `T`.
    pub(crate) period: u64,
    /// WCET `C`, `1 <= C <= D`.
    pub(crate) wcet: u64,
    /// Deadline `D`.
    pub(crate) deadline: u64,
}

impl TaskSpec {
    /// Period, WCET and deadline in nanoseconds, for a task whose period
    /// is `PERIODS[period]` (its own, or its trigger source's).
    pub(crate) fn times_at(&self, period: usize) -> Times {
        let period = PERIODS[period];
        let wcet = (period * self.load_pct / 100).max(1);
        let deadline = self
            .deadline_pct
            .map_or(period, |pct| (period * pct / 100).max(wcet));
        Times {
            period,
            wcet: wcet.min(deadline),
            deadline,
        }
    }

    /// The sections as `(resource, after, hold)` in nanoseconds, valid for
    /// `wcet`: the first anywhere, the second nested in it (on the other
    /// resource) or after it (dropped when there is no room).
    pub(crate) fn placed_sections(&self, wcet: u64) -> Vec<(u8, u64, u64)> {
        let mut out = Vec::new();
        let Some(first) = self.sections.first() else {
            return out;
        };
        let after = wcet * first.after_pct / 100;
        let hold = ((wcet - after) * first.hold_pct / 100).max(1);
        out.push((first.resource, after, hold));
        if let Some(second) = self.sections.get(1) {
            let end = after + hold;
            if second.nested {
                let a2 = after + hold * second.after_pct / 100;
                let h2 = ((end - a2) * second.hold_pct / 100).max(1);
                out.push((1 - first.resource, a2, h2));
            } else if end < wcet {
                let a2 = end + (wcet - end) * second.after_pct / 100;
                let h2 = ((wcet - a2) * second.hold_pct / 100).max(1);
                out.push((second.resource, a2, h2));
            }
        }
        out
    }
}

impl Spec {
    /// The config as TOML text, loadable by `rtlab_tasks::config::load_str`
    /// and pasteable into a file. `duration_ns` and `seed` are those of the
    /// simulation to show the user (the harness passes its own horizons
    /// and seeds to the simulator).
    pub(crate) fn toml(&self, duration_ns: u64, seed: u64) -> String {
        let mut s = String::new();
        let cpus: Vec<String> = (0..self.cpus).map(|c| c.to_string()).collect();
        // `write!` into a String cannot fail.
        let _ = writeln!(
            s,
            "name = \"soundness\"\nduration = \"{duration_ns}ns\"\nseed = {seed}\n"
        );
        let _ = writeln!(s, "[platform]\ncpus = [{}]\n", cpus.join(", "));
        let _ = writeln!(s, "[scheduler]\npolicy = \"{}\"", self.policy);
        if self.non_preemptive {
            s.push_str("preemptive = false\n");
        }
        let _ = writeln!(s, "priorities = \"{}\"", self.priorities);
        if self.global {
            s.push_str("placement = \"global\"\n");
        }
        if self.policy == "round-robin" {
            let _ = writeln!(s, "quantum = \"{}ns\"", self.quantum);
        }
        let _ = writeln!(s, "locking = \"{}\"", self.locking);
        if self.skip {
            s.push_str("overrun = \"skip\"\n");
        }
        if self.abort {
            s.push_str("on_miss = \"abort\"\n");
        }
        for (i, t) in self.tasks.iter().enumerate() {
            self.write_task(&mut s, i, t);
        }
        for (n, path) in self.chains().iter().enumerate() {
            let names: Vec<String> = path.iter().map(|&i| format!("\"{}\"", NAMES[i])).collect();
            let _ = writeln!(
                s,
                "\n[[chain]]\nname = \"chain{n}\"\ntasks = [{}]",
                names.join(", ")
            );
        }
        s
    }

    /// The index of the task that triggers task `i`, if it is triggered.
    pub(crate) fn trigger_of(&self, i: usize) -> Option<usize> {
        let t = self.tasks.get(i)?;
        match (i, t.trigger) {
            (0, _) | (_, None) => None,
            (i, Some(j)) => Some(usize::from(j) % i),
        }
    }

    /// The head of task `i`'s trigger links (triggers point to earlier
    /// tasks: no cycle).
    pub(crate) fn source_of(&self, mut i: usize) -> usize {
        while let Some(j) = self.trigger_of(i) {
            i = j;
        }
        i
    }

    /// One chain per triggered task that triggers no other: its trigger
    /// links back to its source, first to last.
    pub(crate) fn chains(&self) -> Vec<Vec<usize>> {
        let n = self.tasks.len();
        (0..n)
            .filter(|&i| self.trigger_of(i).is_some())
            .filter(|&i| (0..n).all(|k| self.trigger_of(k) != Some(i)))
            .map(|leaf| {
                let mut path = vec![leaf];
                while let Some(j) = self.trigger_of(path[path.len() - 1]) {
                    path.push(j);
                }
                path.reverse();
                path
            })
            .collect()
    }

    /// Task `i`'s times: a triggered task's are relative to its source's
    /// period.
    pub(crate) fn times(&self, i: usize) -> Times {
        self.tasks[i].times_at(self.tasks[self.source_of(i)].period)
    }

    fn write_task(&self, s: &mut String, i: usize, t: &TaskSpec) {
        let name = NAMES[i];
        let Times {
            period,
            wcet,
            deadline,
        } = self.times(i);
        let _ = writeln!(s, "\n[[task]]\nname = \"{name}\"\nwcet = \"{wcet}ns\"");
        if deadline != period {
            let _ = writeln!(s, "deadline = \"{deadline}ns\"");
        }
        let triggered = self.trigger_of(i);
        if let Some(j) = triggered {
            // No clock of its own: no period, offset, jitter or arrival.
            let _ = writeln!(s, "trigger = \"{}\"", NAMES[j]);
        } else {
            let _ = writeln!(s, "period = \"{period}ns\"");
            if self.irregular && t.offset > 0 {
                let _ = writeln!(s, "offset = \"{}ns\"", t.offset);
            }
            match (self.irregular, t.sporadic_pct) {
                (true, Some(pct)) => {
                    let max = period * pct / 100;
                    let _ = writeln!(
                        s,
                        "arrival = {{ model = \"sporadic\", min = \"{period}ns\", max = \"{max}ns\" }}"
                    );
                }
                _ if self.irregular && t.jitter > 0 => {
                    let _ = writeln!(s, "release_jitter = \"{}ns\"", t.jitter);
                }
                _ => {}
            }
        }
        if self.priorities == "explicit" {
            let _ = writeln!(s, "priority = {}", t.priority);
        }
        if let (false, Some(cpu)) = (self.global, t.cpu) {
            let _ = writeln!(s, "cpu = {}", cpu % self.cpus);
        }
        if let (true, Some(pct)) = (self.irregular, t.min_pct) {
            let min = (wcet * pct / 100).max(1);
            let _ = writeln!(
                s,
                "execution = {{ model = \"uniform\", min = \"{min}ns\" }}"
            );
        }
        let sections: Vec<String> = t
            .placed_sections(wcet)
            .into_iter()
            .map(|(r, after, hold)| {
                format!("{{ resource = \"r{r}\", after = \"{after}ns\", hold = \"{hold}ns\" }}")
            })
            .collect();
        if !sections.is_empty() {
            let _ = writeln!(s, "sections = [ {} ]", sections.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use rtlab_tasks::config;
    use rtlab_tasks::time::Duration;

    use super::*;

    fn section(resource: u8, after_pct: u64, hold_pct: u64, nested: bool) -> SectionSpec {
        SectionSpec {
            resource,
            after_pct,
            hold_pct,
            nested,
        }
    }

    fn task(sections: Vec<SectionSpec>) -> TaskSpec {
        TaskSpec {
            period: PERIODS.len() - 1, // 40 ns
            load_pct: 25,              // 10 ns
            deadline_pct: Some(50),    // 20 ns
            offset: 3,
            jitter: 2,
            priority: 2,
            cpu: Some(5),
            min_pct: Some(50),
            sections,
            trigger: None,
            sporadic_pct: None,
        }
    }

    fn spec(irregular: bool, tasks: Vec<TaskSpec>) -> Spec {
        Spec {
            cpus: 2,
            global: false,
            policy: "round-robin",
            quantum: 3,
            non_preemptive: true,
            priorities: "explicit",
            locking: "ceiling",
            skip: true,
            abort: true,
            irregular,
            tasks,
        }
    }

    #[test]
    fn a_spec_loads_as_the_config_it_describes() {
        let s = spec(
            true,
            vec![
                task(vec![section(0, 20, 50, false), section(0, 50, 100, true)]),
                task(vec![section(1, 0, 10, false), section(1, 0, 100, false)]),
            ],
        );
        let system = config::load_str(&s.toml(100, 7), "spec.toml")
            .unwrap()
            .system;
        let ns = Duration::from_nanos;
        let a = &system.tasks[0];
        assert_eq!((a.period, a.wcet, a.deadline), (ns(40), ns(10), ns(20)));
        assert_eq!((a.offset, a.release_jitter, a.cpu), (ns(3), ns(2), Some(1)));
        assert!(!system.scheduler.preemptive);
        // r0 over 2..6, with r1 nested over 4..6; then b's r1 0..1, r1 1..10.
        let spans: Vec<(&str, u64, u64)> = system
            .tasks
            .iter()
            .flat_map(|t| &t.sections)
            .map(|s| {
                let name = system.resource_name(s.resource);
                (name, s.after.as_nanos(), s.hold.as_nanos())
            })
            .collect();
        assert_eq!(
            spans,
            [("r0", 2, 4), ("r1", 4, 2), ("r1", 0, 1), ("r1", 1, 9)]
        );
    }

    #[test]
    fn a_regular_spec_is_synchronous_and_deterministic() {
        let s = spec(false, vec![task(Vec::new()), task(Vec::new())]);
        let system = config::load_str(&s.toml(100, 1), "spec.toml")
            .unwrap()
            .system;
        for t in &system.tasks {
            assert!(t.offset.is_zero() && t.release_jitter.is_zero());
            assert!(matches!(
                t.execution,
                rtlab_tasks::model::Execution::Constant
            ));
        }
    }
}
