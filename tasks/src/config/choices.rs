//! The schema's enum keys (`scheduler.policy = "edf"`, ...): for each, the
//! values it takes and the model value each maps to, its dotted path, and
//! the other names people give those values (`pip` for `inherit`), so that
//! a wrong value gets a "did you mean" (`config/reader/suggest.rs`).

use crate::model::{
    LoadKind, Locking, OnMiss, OsPolicy, Overrun, Placement, Policy, PriorityOrder,
};

pub(crate) const POLICIES: &[(&str, Policy)] = &[
    ("fixed-priority", Policy::FixedPriority),
    ("edf", Policy::Edf),
    ("fifo", Policy::Fifo),
    ("round-robin", Policy::RoundRobin),
];
pub(crate) const ORDERS: &[(&str, PriorityOrder)] = &[
    ("rate-monotonic", PriorityOrder::RateMonotonic),
    ("deadline-monotonic", PriorityOrder::DeadlineMonotonic),
    ("audsley", PriorityOrder::Audsley),
    ("explicit", PriorityOrder::Explicit),
];
pub(crate) const PLACEMENTS: &[(&str, Placement)] = &[
    ("partitioned", Placement::Partitioned),
    ("global", Placement::Global),
];
pub(crate) const LOCKINGS: &[(&str, Locking)] = &[
    ("none", Locking::None),
    ("inherit", Locking::Inherit),
    ("ceiling", Locking::Ceiling),
];
pub(crate) const OVERRUNS: &[(&str, Overrun)] =
    &[("queue", Overrun::Queue), ("skip", Overrun::Skip)];
pub(crate) const ON_MISS: &[(&str, OnMiss)] =
    &[("continue", OnMiss::Continue), ("abort", OnMiss::Abort)];
pub(crate) const OS_POLICIES: &[(&str, OsPolicy)] = &[
    ("fifo", OsPolicy::Fifo),
    ("rr", OsPolicy::Rr),
    ("deadline", OsPolicy::Deadline),
    ("other", OsPolicy::Other),
];
pub(crate) const LOAD_KINDS: &[(&str, LoadKind)] = &[
    ("cpu", LoadKind::Cpu),
    ("memory", LoadKind::Memory),
    ("syscalls", LoadKind::Syscalls),
];

/// The execution-time model named in `execution.model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExecKind {
    Constant,
    Uniform,
    Normal,
    Bimodal,
}

pub(crate) const EXEC_KINDS: &[(&str, ExecKind)] = &[
    ("constant", ExecKind::Constant),
    ("uniform", ExecKind::Uniform),
    ("normal", ExecKind::Normal),
    ("bimodal", ExecKind::Bimodal),
];

/// The arrival model named in `arrival.model`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArrivalKind {
    Periodic,
    Sporadic,
    Poisson,
}

pub(crate) const ARRIVAL_KINDS: &[(&str, ArrivalKind)] = &[
    ("periodic", ArrivalKind::Periodic),
    ("sporadic", ArrivalKind::Sporadic),
    ("poisson", ArrivalKind::Poisson),
];

/// The names of a value table, in order.
fn names<T>(table: &[(&'static str, T)]) -> Vec<&'static str> {
    table.iter().map(|(n, _)| *n).collect()
}

/// Every enum key of the schema, by dotted path (as a variant's `set` would
/// write it, with `task.` and `load.` standing for any task and load), with
/// its values. The reader passes the same path to
/// [`crate::config::reader::TableReader::choice`].
pub(crate) fn enum_keys() -> [(&'static str, Vec<&'static str>); 10] {
    [
        ("scheduler.policy", names(POLICIES)),
        ("scheduler.priorities", names(ORDERS)),
        ("scheduler.placement", names(PLACEMENTS)),
        ("scheduler.locking", names(LOCKINGS)),
        ("scheduler.overrun", names(OVERRUNS)),
        ("scheduler.on_miss", names(ON_MISS)),
        ("live.os_policy", names(OS_POLICIES)),
        ("load.kind", names(LOAD_KINDS)),
        ("task.execution.model", names(EXEC_KINDS)),
        ("task.arrival.model", names(ARRIVAL_KINDS)),
    ]
}

/// Other names of a value of one key: what people write for it, as
/// [`crate::config::reader::suggest::normalized`] spells them, and a gloss that says what
/// the value is when the connection is not plain.
pub(crate) struct Alias {
    pub(crate) path: &'static str,
    pub(crate) value: &'static str,
    pub(crate) names: &'static [&'static str],
    pub(crate) gloss: Option<&'static str>,
}

/// Initials (`rm`), case, `_` for `-`, a `SCHED_` prefix, prefixes and
/// typos are recognised without a list; these are the names that none of
/// that finds.
pub(crate) const ALIASES: &[Alias] = &[
    Alias {
        path: "scheduler.policy",
        value: "fixed-priority",
        names: &["fps", "static-priority", "priority"],
        gloss: None,
    },
    Alias {
        path: "scheduler.policy",
        value: "edf",
        names: &["earliest-deadline-first"],
        gloss: None,
    },
    Alias {
        path: "scheduler.policy",
        value: "fifo",
        names: &["fcfs", "first-come-first-served"],
        gloss: None,
    },
    Alias {
        path: "scheduler.priorities",
        value: "rate-monotonic",
        names: &["rms", "rma"],
        gloss: None,
    },
    Alias {
        path: "scheduler.priorities",
        value: "deadline-monotonic",
        names: &["dms", "dma"],
        gloss: None,
    },
    Alias {
        path: "scheduler.priorities",
        value: "audsley",
        names: &["opa", "optimal"],
        gloss: Some("Audsley's optimal priority assignment"),
    },
    Alias {
        path: "scheduler.priorities",
        value: "explicit",
        names: &["manual", "given", "custom"],
        gloss: Some("each task's `priority`"),
    },
    Alias {
        path: "scheduler.locking",
        value: "inherit",
        names: &[
            "pip",
            "pi",
            "priority-inheritance",
            "prio-inherit",
            "inheritance",
        ],
        gloss: Some("priority inheritance, PTHREAD_PRIO_INHERIT"),
    },
    Alias {
        path: "scheduler.locking",
        value: "ceiling",
        names: &[
            "pcp",
            "ipcp",
            "icpp",
            "hlp",
            "priority-ceiling",
            "immediate-ceiling",
            "protect",
            "prio-protect",
        ],
        gloss: Some("immediate priority ceiling, PTHREAD_PRIO_PROTECT"),
    },
    Alias {
        path: "scheduler.locking",
        value: "none",
        names: &["mutex", "plain", "off", "no"],
        gloss: Some("plain mutexes"),
    },
    Alias {
        path: "scheduler.placement",
        value: "partitioned",
        names: &["pinned", "per-cpu"],
        gloss: None,
    },
    Alias {
        path: "scheduler.overrun",
        value: "skip",
        names: &["drop"],
        gloss: None,
    },
    Alias {
        path: "scheduler.on_miss",
        value: "abort",
        names: &["kill", "stop", "cancel"],
        gloss: None,
    },
    Alias {
        path: "live.os_policy",
        value: "rr",
        names: &["round-robin"],
        gloss: Some("SCHED_RR"),
    },
    Alias {
        path: "live.os_policy",
        value: "deadline",
        names: &["edf"],
        gloss: Some("SCHED_DEADLINE, Linux's EDF"),
    },
    Alias {
        path: "live.os_policy",
        value: "other",
        names: &["normal", "cfs", "eevdf"],
        gloss: Some("SCHED_OTHER"),
    },
    Alias {
        path: "task.execution.model",
        value: "normal",
        names: &["gaussian", "gauss"],
        gloss: None,
    },
    Alias {
        path: "task.arrival.model",
        value: "poisson",
        names: &["exponential", "markov", "random"],
        gloss: Some("exponential gaps, never below `min`"),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::reader::suggest::normalized;

    #[test]
    fn every_alias_names_a_value_of_its_key_and_no_value_of_it() {
        let keys = enum_keys();
        for a in ALIASES {
            let (_, values) = keys
                .iter()
                .find(|(p, _)| *p == a.path)
                .unwrap_or_else(|| panic!("alias of unknown key {}", a.path));
            assert!(values.contains(&a.value), "{}: {}", a.path, a.value);
            for name in a.names {
                assert!(!values.contains(name), "{}: {name} is a value", a.path);
                assert_eq!(normalized(name), *name, "{}: {name}", a.path);
            }
        }
    }
}
