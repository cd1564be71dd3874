//! The builder and the config loader are one door: the same task set gives
//! the same system; and what a config may not say, `try_build` refuses.

use super::*;
use crate::config::load_str;
use crate::model::ModelError;

fn us(v: u64) -> Duration {
    Duration::from_nanos(v * 1_000)
}

/// One task of a set written both ways.
struct Spec {
    name: &'static str,
    period_us: u64,
    wcet_us: u64,
    deadline_us: Option<u64>,
    priority: Priority,
    cpu: Option<CpuId>,
    /// (resource, after, hold) in microseconds, in the order written.
    sections: &'static [(&'static str, u64, u64)],
}

/// Periods, deadlines and explicit priorities in three different orders;
/// `a` lists its sections out of start order, so that numbering resources
/// by call order (`log` first) and by first use (`bus` first) differ.
const SET: &[Spec] = &[
    Spec {
        name: "a",
        period_us: 10_000,
        wcet_us: 2_000,
        deadline_us: Some(9_000),
        priority: 5,
        cpu: None,
        sections: &[("log", 1_500, 500), ("bus", 0, 1_000)],
    },
    Spec {
        name: "b",
        period_us: 8_000,
        wcet_us: 2_000,
        deadline_us: None,
        priority: 7,
        cpu: None,
        sections: &[],
    },
    Spec {
        name: "c",
        period_us: 20_000,
        wcet_us: 5_000,
        deadline_us: Some(6_000),
        priority: 9,
        cpu: None,
        sections: &[("log", 1_000, 2_000), ("bus", 0, 4_000)],
    },
    Spec {
        name: "d",
        period_us: 40_000,
        wcet_us: 10_000,
        deadline_us: None,
        priority: 1,
        cpu: None,
        sections: &[("bus", 9_000, 1_000)],
    },
];

fn config_text(set: &[Spec], cpus: &[CpuId], order: PriorityOrder, placement: &str) -> String {
    let cpus: Vec<String> = cpus.iter().map(ToString::to_string).collect();
    let mut text = format!(
        "name = \"same\"\n[platform]\ncpus = [{}]\n[scheduler]\npriorities = \"{}\"\nplacement = \"{placement}\"\nlocking = \"ceiling\"\n",
        cpus.join(", "),
        order.as_str()
    );
    for t in set {
        text += &format!(
            "[[task]]\nname = \"{}\"\nperiod = \"{}us\"\nwcet = \"{}us\"\n",
            t.name, t.period_us, t.wcet_us
        );
        if let Some(d) = t.deadline_us {
            text += &format!("deadline = \"{d}us\"\n");
        }
        if order == PriorityOrder::Explicit {
            text += &format!("priority = {}\n", t.priority);
        }
        if let Some(c) = t.cpu {
            text += &format!("cpu = {c}\n");
        }
        let sections: Vec<String> = t
            .sections
            .iter()
            .map(|(r, a, h)| {
                format!("{{ resource = \"{r}\", after = \"{a}us\", hold = \"{h}us\" }}")
            })
            .collect();
        if !sections.is_empty() {
            text += &format!("sections = [{}]\n", sections.join(", "));
        }
    }
    text
}

fn builder(
    set: &[Spec],
    cpus: &[CpuId],
    order: PriorityOrder,
    placement: Placement,
) -> SystemBuilder {
    let mut b = SystemBuilder::new("same")
        .cpus(cpus)
        .placement(placement)
        .locking(Locking::Ceiling)
        .priorities(order);
    for t in set {
        b = b.task(t.name, us(t.period_us), us(t.wcet_us));
        if let Some(d) = t.deadline_us {
            b = b.deadline(us(d));
        }
        if order == PriorityOrder::Explicit {
            b = b.priority(t.priority);
        }
        if let Some(c) = t.cpu {
            b = b.cpu(c);
        }
        for &(r, a, h) in t.sections {
            b = b.section(r, us(a), us(h));
        }
    }
    b
}

/// Priorities, CPUs (and whether chosen), and each resource's name, users
/// and ceiling.
type Summary = (
    Vec<Priority>,
    Vec<(Option<CpuId>, bool)>,
    Vec<(String, Vec<TaskId>, Priority)>,
);

fn summary(s: &System) -> Summary {
    (
        s.tasks.iter().map(|t| t.priority).collect(),
        s.tasks.iter().map(|t| (t.cpu, t.cpu_auto)).collect(),
        s.resources
            .iter()
            .map(|r| (r.name.clone(), r.users.clone(), s.ceiling(r.id)))
            .collect(),
    )
}

/// Builds `set` both ways and checks they agree on the summary and on
/// every field of the system; returns the built one.
fn both_ways(set: &[Spec], cpus: &[CpuId], order: PriorityOrder, placement: Placement) -> System {
    let word = match placement {
        Placement::Partitioned => "partitioned",
        Placement::Global => "global",
    };
    let text = config_text(set, cpus, order, word);
    let loaded = load_str(&text, "same.toml")
        .unwrap_or_else(|e| panic!("{e}: {:?}", e.problems()))
        .system;
    let built = builder(set, cpus, order, placement)
        .try_build()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary(&built), summary(&loaded), "{order:?} {word}");
    assert_eq!(
        format!("{built:#?}"),
        format!("{loaded:#?}"),
        "{order:?} {word}"
    );
    built
}

#[test]
fn builder_and_loader_give_the_same_system_under_every_priority_order() {
    let orders = [
        PriorityOrder::RateMonotonic,
        PriorityOrder::DeadlineMonotonic,
        PriorityOrder::Audsley,
        PriorityOrder::Explicit,
    ];
    let mut priorities = Vec::new();
    for order in orders {
        let s = both_ways(SET, &[0], order, Placement::Partitioned);
        priorities.push(summary(&s).0);
    }
    // The orders differ, so each case checks its own assignment.
    assert_eq!(priorities[0], [3, 4, 2, 1], "rate-monotonic");
    assert_eq!(priorities[1], [2, 3, 4, 1], "deadline-monotonic");
    assert_eq!(priorities[3], [5, 7, 9, 1], "explicit");
    // `bus` is first used by `a`, although `a` writes `log` first.
    let s = both_ways(SET, &[0], PriorityOrder::Explicit, Placement::Partitioned);
    assert_eq!(s.resources[0].name, "bus");
    assert_eq!(s.ceiling(ResourceId(0)), 9);
}

#[test]
fn builder_and_loader_partition_the_same_way_without_explicit_cpus() {
    for order in [PriorityOrder::RateMonotonic, PriorityOrder::Audsley] {
        let s = both_ways(SET, &[2, 0, 1], order, Placement::Partitioned);
        // Worst-fit decreasing over CPUs 2, 0, 1: b, c, d (0.25 each, file
        // order) take one each; a (0.2) goes to the first of the tie, 2.
        let cpus: Vec<Option<CpuId>> = s.tasks.iter().map(|t| t.cpu).collect();
        assert_eq!(cpus, [Some(2), Some(2), Some(0), Some(1)], "{order:?}");
        assert!(s.tasks.iter().all(|t| t.cpu_auto));
    }
    // Named CPUs count towards their load first.
    let mut pinned = builder(
        SET,
        &[0, 1],
        PriorityOrder::RateMonotonic,
        Placement::Partitioned,
    );
    pinned = pinned.task("e", us(10_000), us(5_000)).cpu(0);
    let text = config_text(SET, &[0, 1], PriorityOrder::RateMonotonic, "partitioned")
        + "[[task]]\nname = \"e\"\nperiod = \"10ms\"\nwcet = \"5ms\"\ncpu = 0\n";
    let loaded = load_str(&text, "p.toml").expect("valid").system;
    let built = pinned.build();
    assert_eq!(format!("{built:#?}"), format!("{loaded:#?}"));
    assert_eq!(
        (built.tasks[4].cpu, built.tasks[4].cpu_auto),
        (Some(0), false)
    );
    // Global placement: no CPUs at all, either way.
    let g = both_ways(
        SET,
        &[0, 1],
        PriorityOrder::DeadlineMonotonic,
        Placement::Global,
    );
    assert!(g.tasks.iter().all(|t| t.cpu.is_none()));
}

#[test]
fn try_build_refuses_a_section_longer_than_the_wcet() {
    let e = SystemBuilder::new("s")
        .task("a", us(4_000), us(1_000))
        .section("bus", us(500), us(600))
        .try_build()
        .expect_err("the section ends after the wcet");
    assert_eq!(
        e.problems,
        [ModelError::SectionDoesNotFit {
            task: "a".into(),
            resource: "bus".into(),
            end: us(1_100),
            wcet: us(1_000),
        }]
    );
    assert_eq!(
        e.to_string(),
        "system `s` is not valid: task `a`: section on `bus` ends at 1.1ms, after the wcet 1ms"
    );
}

#[test]
fn try_build_refuses_an_unknown_cpu() {
    let e = SystemBuilder::new("s")
        .cpus(&[0, 1])
        .task("a", us(4_000), us(1_000))
        .cpu(5)
        .try_build()
        .expect_err("CPU 5 is not in the platform");
    assert_eq!(
        e.problems,
        [ModelError::UnknownCpu {
            task: "a".into(),
            cpu: 5,
            platform: vec![0, 1],
        }]
    );
}

#[test]
fn try_build_lists_every_problem_by_task() {
    let e = SystemBuilder::new("s")
        .task("a", us(4_000), us(5_000))
        .priority(3)
        .task("b", us(4_000), us(1_000))
        .task("a", us(8_000), us(1_000))
        .priority(120)
        .try_build()
        .expect_err("three problems");
    assert_eq!(
        e.problems,
        [
            ModelError::WcetExceedsDeadline {
                task: "a".into(),
                wcet: us(5_000),
                deadline: us(4_000),
            },
            ModelError::MissingPriority { task: "b".into() },
            ModelError::DuplicateTask { name: "a".into() },
            ModelError::PriorityOutOfRange {
                task: "a".into(),
                priority: 120,
            },
        ]
    );
}

#[test]
fn explicit_order_without_priorities_is_an_error_not_rate_monotonic() {
    let e = SystemBuilder::new("s")
        .priorities(PriorityOrder::Explicit)
        .task("a", us(4_000), us(1_000))
        .try_build()
        .expect_err("no priority");
    assert_eq!(
        e.problems,
        [ModelError::MissingPriority { task: "a".into() }]
    );
}

#[test]
#[should_panic(
    expected = "SystemBuilder::build: system `s` is not valid: task `a`: wcet must be greater than 0"
)]
fn build_panics_with_the_problems() {
    let _ = SystemBuilder::new("s")
        .task("a", us(4_000), Duration::ZERO)
        .build();
}
