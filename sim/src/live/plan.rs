//! Planning a live run: which Linux class and priority each thread gets,
//! which CPUs it may use, and what to refuse or warn about before anything
//! starts.
//!
//! - OS priorities and lock protocols are [`crate::policy`]'s
//!   ([`policy::os_priorities`], [`policy::lock_protocol`]).
//! - EDF: `os_policy = "deadline"` is SCHED_DEADLINE (runtime = WCET plus a
//!   small headroom for the engine's own timestamps, deadline, period),
//!   unpinned; under `fifo` / `rr` the task priorities are used as static
//!   priorities, which is not EDF (a warning says so).
//! - Without real-time privileges every thread runs under SCHED_OTHER,
//!   loudly; `--strict` refuses instead.
//! - Non-preemptive dispatching (`scheduler.preemptive = false`) under
//!   `fifo` / `rr`: a job raises its thread to SCHED_FIFO at the highest
//!   OS priority of the tasks that share its CPUs while it runs, so no
//!   other task preempts it (SCHED_FIFO never preempts for an equal
//!   priority) and a more urgent release waits for it, as in simulation.
//!   Linux has no non-preemptive SCHED_DEADLINE or SCHED_OTHER: those are
//!   refused.

use rtlab_tasks::model::{
    CpuId, OnMiss, OsPolicy, Overrun, Placement, Policy, ResourceId, System, Task,
};
use rtlab_tasks::outcome::DelayKind;

use super::environment;
use super::pipes::Links;
use super::spans::Peer;
use super::thread::{self, Class};
use super::workload::{Boost, TaskPlan};
use super::{LiveError, Options};
use crate::ledger::Arrivals;
use crate::policy::{self, LockProtocol};

/// The threads of a run, ready to start.
pub(crate) struct Plan {
    pub(crate) tasks: Vec<TaskPlan>,
    pub(crate) classes: Vec<Class>,
    pub(crate) affinity: Vec<Vec<CpuId>>,
    pub(crate) warnings: Vec<String>,
    pub(crate) rt_privileges: bool,
}

/// Headroom added to a SCHED_DEADLINE runtime for the engine's own work per
/// job (timestamps, histogram records), ns, plus 2% of the WCET.
const DEADLINE_HEADROOM_NS: u64 = 20_000;

/// Plans the run; refuses what cannot run here.
pub(crate) fn plan(system: &System, options: &Options) -> Result<Plan, LiveError> {
    let mut warnings = Vec::new();
    check_cpus(system)?;
    let requested = system.live.os_policy;
    let wants_rt = requested != OsPolicy::Other;
    let (prios, note) = policy::os_priorities(system);
    warnings.extend(note);
    let probe = probe_class(system, &prios);
    let rt = thread::rt_permitted(probe);
    if wants_rt && !rt {
        if options.strict {
            return Err(LiveError::NoRtPrivileges);
        }
        warnings.push(format!(
            "NO REAL-TIME PRIVILEGES: os_policy \"{}\" ({}) was refused, every task runs under SCHED_OTHER; \
             priorities are not enforced and the timing is not the configured scheduling \
             (run as root, or with CAP_SYS_NICE / an RLIMIT_RTPRIO, or use --strict to refuse)",
            requested.as_str(),
            probe.describe()
        ));
    }
    if !system.scheduler.preemptive && matches!(requested, OsPolicy::Deadline | OsPolicy::Other) {
        return Err(LiveError::NotPreemptible {
            os_policy: requested.as_str().to_string(),
        });
    }
    if !system.scheduler.preemptive && wants_rt && !rt {
        warnings.push(
            "non-preemptive dispatching is not enforced under the SCHED_OTHER fallback:              jobs are preempted as the kernel decides"
                .to_string(),
        );
    }
    let spin = spin_tail(system, wants_rt && rt, &mut warnings)?;
    policy_warnings(system, rt, &mut warnings);
    let classes: Vec<Class> = system
        .tasks
        .iter()
        .zip(&prios)
        .map(|(t, &p)| class_of(t, p, rt, requested, spin))
        .collect();
    if rt && matches!(requested, OsPolicy::Fifo | OsPolicy::Rr) {
        throttling_warnings(system, &mut warnings);
    }
    let affinity = (0..system.tasks.len())
        .map(|i| affinity_of(system, i, classes[i]))
        .collect();
    let tasks = system
        .tasks
        .iter()
        .map(|t| TaskPlan {
            non_preemptive: non_preemptive_raise(system, t, &classes).map(|c| (c, classes[t.id.0])),
            peers: peers(system, t, &classes),
            boosts: boosts(system, t, &classes),
            priorities: classes.iter().map(|c| c.priority()).collect(),
            index: t.id.0,
            steps: t
                .lock_steps()
                .into_iter()
                .map(|st| (st.at.as_nanos(), st.lock, st.resource.0))
                .collect(),
            skip_overruns: system.scheduler.overrun == Overrun::Skip,
            abort_on_miss: system.scheduler.on_miss == OnMiss::Abort,
            spin_tail: spin,
            arrivals: Arrivals::new(t, options.seed, options.duration.as_nanos()),
            links: Links::default(),
        })
        .collect();
    Ok(Plan {
        tasks,
        classes,
        affinity,
        warnings,
        rt_privileges: rt,
    })
}

/// The most demanding class the run will ask for: the highest FIFO / RR
/// priority, or SCHED_DEADLINE with the most demanding task's bandwidth
/// (SCHED_FIFO 1 under `os_policy = "other"`, to report the privileges).
fn probe_class(system: &System, prios: &[u8]) -> Class {
    let top = prios.iter().copied().max().unwrap_or(1);
    match system.live.os_policy {
        OsPolicy::Fifo => Class::Fifo(top),
        OsPolicy::Rr => Class::Rr(top),
        OsPolicy::Other => Class::Fifo(1),
        OsPolicy::Deadline => system
            .tasks
            .iter()
            .max_by(|a, b| a.utilization().total_cmp(&b.utilization()))
            .map_or(Class::Fifo(1), |t| {
                class_of(t, 0, true, OsPolicy::Deadline, 0)
            }),
    }
}

/// Refuses a CPU (of the platform or of a `[[load]]`) this process may
/// not use.
fn check_cpus(system: &System) -> Result<(), LiveError> {
    let allowed = thread::allowed_cpus();
    let wanted = system
        .platform
        .cpus
        .iter()
        .chain(system.loads.iter().flat_map(|l| l.cpus.iter()));
    for &cpu in wanted {
        if !allowed.contains(&cpu) {
            return Err(LiveError::CpuUnavailable { cpu, allowed });
        }
    }
    Ok(())
}

/// The spin tail in ns, refused when it covers a whole period at
/// real-time priority (`rt`), with a warning on its cost.
fn spin_tail(system: &System, rt: bool, warnings: &mut Vec<String>) -> Result<u64, LiveError> {
    let min_period = system
        .tasks
        .iter()
        .map(|t| t.period.as_nanos())
        .min()
        .unwrap_or(0);
    let spin = system.live.spin_tail.as_nanos();
    if rt && spin > 0 && spin >= min_period {
        return Err(LiveError::PureSpin {
            spin_tail: system.live.spin_tail.to_string(),
            period: rtlab_tasks::time::Duration::from_nanos(min_period).to_string(),
        });
    }
    if spin > 0 && min_period > 0 {
        warnings.push(format!(
            "spin_tail {}: every release busy-waits that long, {:.1}% of the shortest period in CPU time",
            system.live.spin_tail,
            spin as f64 * 100.0 / min_period as f64
        ));
    }
    Ok(spin)
}

/// Where the OS class does not do what the config's policy says.
fn policy_warnings(system: &System, rt: bool, warnings: &mut Vec<String>) {
    match (system.scheduler.policy, system.live.os_policy) {
        (Policy::Edf, OsPolicy::Fifo | OsPolicy::Rr) => warnings.push(
            "EDF under SCHED_FIFO/RR runs with static priorities (the tasks' priority order), not EDF; \
             use os_policy = \"deadline\" for the kernel's EDF"
                .to_string(),
        ),
        (_, OsPolicy::Deadline) if rt => warnings.push(
            "SCHED_DEADLINE threads are not pinned (Linux refuses a narrowed affinity): the kernel runs \
             them as global EDF over all CPUs"
                .to_string(),
        ),
        (Policy::RoundRobin, OsPolicy::Rr) => {
            if let Some(ms) = environment::rr_timeslice_ms()
                && system.scheduler.quantum.as_nanos() != ms * 1_000_000
            {
                warnings.push(format!(
                    "SCHED_RR uses the kernel's time slice ({ms} ms, sched_rr_timeslice_ms); \
                     the config's quantum ({}) applies to simulation only",
                    system.scheduler.quantum
                ));
            }
        }
        _ => {}
    }
}

/// The Linux class of task `t`'s thread at OS priority `p`. A
/// SCHED_DEADLINE runtime covers the WCET, the spin tail (`spin` ns, CPU
/// time the thread burns before each release) and a headroom for the
/// engine's own work.
fn class_of(t: &Task, p: u8, rt: bool, requested: OsPolicy, spin: u64) -> Class {
    if !rt {
        return Class::Other;
    }
    match requested {
        OsPolicy::Fifo => Class::Fifo(p),
        OsPolicy::Rr => Class::Rr(p),
        OsPolicy::Other => Class::Other,
        OsPolicy::Deadline => {
            let wcet = t.wcet.as_nanos();
            let deadline = t.deadline.as_nanos().min(t.period.as_nanos());
            let runtime = (wcet + spin + DEADLINE_HEADROOM_NS + wcet / 50).min(deadline);
            Class::Deadline {
                runtime,
                deadline,
                period: t.period.as_nanos(),
            }
        }
    }
}

/// For non-preemptive dispatching under SCHED_FIFO / RR: the class a job
/// of `t` runs in, SCHED_FIFO at the highest OS priority of the tasks that
/// may share a CPU with it (its CPU's, partitioned; all, global). `None`
/// when dispatching is preemptive, the threads are not real-time, or the
/// task already has that priority.
fn non_preemptive_raise(system: &System, t: &Task, classes: &[Class]) -> Option<Class> {
    if system.scheduler.preemptive {
        return None;
    }
    let shares = |other: &Task| match system.scheduler.placement {
        Placement::Partitioned => other.cpu == t.cpu,
        Placement::Global => true,
    };
    let own = match classes[t.id.0] {
        Class::Fifo(p) | Class::Rr(p) => p,
        _ => return None,
    };
    let top = system
        .tasks
        .iter()
        .filter(|o| shares(o))
        .filter_map(|o| match classes[o.id.0] {
            Class::Fifo(p) | Class::Rr(p) => Some(p),
            _ => None,
        })
        .max()
        .unwrap_or(own);
    (top > own || matches!(classes[t.id.0], Class::Rr(_))).then_some(Class::Fifo(top))
}

/// The tasks that keep `t` off its CPU while they run, most urgent first
/// ([`Spans`](super::spans::Spans)): under SCHED_FIFO / RR on one CPU,
/// those of its CPU with an equal or higher OS priority, and under
/// non-preemptive dispatching every task of its CPU (a less urgent one is
/// a priority inversion). None under global placement (a free CPU takes
/// the task), SCHED_DEADLINE or SCHED_OTHER (no fixed order).
fn peers(system: &System, t: &Task, classes: &[Class]) -> Vec<Peer> {
    let rt_priority = |c: Class| match c {
        Class::Fifo(p) | Class::Rr(p) => Some(p),
        _ => None,
    };
    let (Placement::Partitioned, Some(cpu), Some(own)) = (
        system.scheduler.placement,
        t.cpu,
        rt_priority(classes[t.id.0]),
    ) else {
        return Vec::new();
    };
    let mut peers: Vec<(u8, Peer)> = system
        .tasks
        .iter()
        .filter(|o| o.id != t.id && o.cpu == Some(cpu))
        .filter_map(|o| {
            let p = rt_priority(classes[o.id.0])?;
            let (kind, boosted_to) = if p >= own {
                (DelayKind::Interference, None)
            } else if !system.scheduler.preemptive {
                (DelayKind::PriorityInversion, None)
            } else if can_be_boosted(system, o, own, classes) {
                (DelayKind::PriorityInversion, Some(own))
            } else {
                return None;
            };
            let peer = Peer {
                task: o.id.0,
                kind,
                boosted_to,
            };
            Some((p, peer))
        })
        .collect();
    peers.sort_by_key(|(p, peer)| (std::cmp::Reverse(*p), peer.task));
    peers.into_iter().map(|(_, peer)| peer).collect()
}

/// Whether task `o` can run at OS priority `at` or above through a lock:
/// a ceiling that high, or inheritance from another user that high.
fn can_be_boosted(system: &System, o: &Task, at: u8, classes: &[Class]) -> bool {
    let prios: Vec<u8> = classes.iter().map(|c| c.priority()).collect();
    system
        .resources
        .iter()
        .enumerate()
        .filter(|(_, res)| res.users.contains(&o.id))
        .any(
            |(r, res)| match policy::lock_protocol(system, ResourceId(r), &prios).0 {
                LockProtocol::Ceiling(c) => c >= i32::from(at),
                LockProtocol::Inherit => res.users.iter().any(|u| *u != o.id && prios[u.0] >= at),
                LockProtocol::None => false,
            },
        )
}

/// How task `t`'s thread runs above its own priority while holding each
/// resource (in resource order), for its peers' books.
fn boosts(system: &System, t: &Task, classes: &[Class]) -> Vec<Boost> {
    let prios: Vec<u8> = classes.iter().map(|c| c.priority()).collect();
    let own = prios[t.id.0];
    (0..system.resources.len())
        .map(
            |r| match policy::lock_protocol(system, ResourceId(r), &prios).0 {
                LockProtocol::Ceiling(c) if c > i32::from(own) => {
                    Boost::Ceiling(u8::try_from(c).unwrap_or(u8::MAX))
                }
                LockProtocol::Inherit => Boost::Inherit,
                _ => Boost::None,
            },
        )
        .collect()
}

/// CPUs whose real-time tasks ask for more than RT throttling allows.
fn throttling_warnings(system: &System, warnings: &mut Vec<String>) {
    let (Some(runtime), Some(period)) = environment::rt_throttling() else {
        return;
    };
    if runtime < 0 || period <= 0 {
        return;
    }
    let limit = runtime as f64 / period as f64;
    for &cpu in &system.platform.cpus {
        let u = cpu_demand(system, cpu);
        if u > limit {
            warnings.push(format!(
                "CPU {cpu}: real-time tasks ask for {:.0}% of it, RT throttling allows {:.0}%: \
                 they will be stopped for the rest of every {} ms",
                u * 100.0,
                limit * 100.0,
                period / 1000
            ));
        }
    }
}

/// The share of `cpu` the tasks ask for: the utilization of its tasks
/// (partitioned), or the total spread over the platform (global: every
/// task may run on every CPU, but each runs on one at a time).
fn cpu_demand(system: &System, cpu: CpuId) -> f64 {
    match system.scheduler.placement {
        Placement::Partitioned => system
            .tasks
            .iter()
            .filter(|t| t.cpu == Some(cpu))
            .map(|t| t.utilization())
            .sum(),
        Placement::Global => {
            let total: f64 = system.tasks.iter().map(|t| t.utilization()).sum();
            total / system.platform.cpus.len().max(1) as f64
        }
    }
}

/// CPUs a task thread is restricted to: its own (partitioned), the
/// platform's (global), none (SCHED_DEADLINE: the kernel refuses a
/// narrowed affinity).
fn affinity_of(system: &System, task: usize, class: thread::Class) -> Vec<CpuId> {
    if matches!(class, thread::Class::Deadline { .. }) {
        return Vec::new();
    }
    match (system.scheduler.placement, system.tasks[task].cpu) {
        (Placement::Partitioned, Some(c)) => vec![c],
        _ => system.platform.cpus.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system(placement: &str) -> System {
        let text = format!(
            "name = \"p\"\n[platform]\ncpus = [0, 1]\n[scheduler]\nplacement = \"{placement}\"\n\
             [[task]]\nname = \"a\"\nperiod = \"10ms\"\nwcet = \"6ms\"\n\
             [[task]]\nname = \"b\"\nperiod = \"10ms\"\nwcet = \"6ms\"\n"
        );
        rtlab_tasks::config::load_str(&text, "p.toml")
            .unwrap_or_else(|e| panic!("{e:?}"))
            .system
    }

    #[test]
    fn global_tasks_count_once_over_the_platform_not_on_every_cpu() {
        // Two tasks at 60% each: global, 60% of each CPU (not 120%, which
        // RT throttling's 95% would flag); partitioned, one per CPU.
        let global = system("global");
        assert!((cpu_demand(&global, 0) - 0.6).abs() < 1e-9);
        assert!((cpu_demand(&global, 1) - 0.6).abs() < 1e-9);
        let part = system("partitioned");
        assert!((cpu_demand(&part, 0) - 0.6).abs() < 1e-9);
        assert!((cpu_demand(&part, 1) - 0.6).abs() < 1e-9);
    }

    /// The privilege probe asks for what the threads will ask for: an
    /// RLIMIT_RTPRIO of 10 lets SCHED_FIFO 1 through but not the 90 a
    /// derived order starts at, and SCHED_DEADLINE needs CAP_SYS_NICE even
    /// where FIFO is allowed. (The machine's tests cannot raise an rlimit:
    /// no CAP_SYS_RESOURCE.)
    #[test]
    fn the_privilege_probe_tries_the_top_priority_or_deadline_itself() {
        let mut s = system("partitioned");
        s.live.priority_top = 90;
        s.live.os_policy = OsPolicy::Fifo;
        let (prios, _) = policy::os_priorities(&s);
        assert_eq!(probe_class(&s, &prios), Class::Fifo(90));
        s.live.os_policy = OsPolicy::Rr;
        assert_eq!(probe_class(&s, &prios), Class::Rr(90));
        s.live.os_policy = OsPolicy::Deadline;
        assert!(matches!(
            probe_class(&s, &prios),
            Class::Deadline {
                period: 10_000_000,
                ..
            }
        ));
        assert_eq!(probe_class(&s, &prios).describe(), "SCHED_DEADLINE");
        assert_eq!(Class::Fifo(90).describe(), "SCHED_FIFO 90");
    }

    #[test]
    fn a_deadline_runtime_covers_the_spin_tail() {
        let s = system("global");
        let t = &s.tasks[0];
        let Class::Deadline { runtime, .. } = class_of(t, 0, true, OsPolicy::Deadline, 200_000)
        else {
            panic!("not SCHED_DEADLINE");
        };
        assert_eq!(
            runtime,
            6_000_000 + 200_000 + DEADLINE_HEADROOM_NS + 120_000
        );
    }

    #[test]
    fn a_non_preemptive_job_runs_at_the_top_priority_of_the_tasks_sharing_its_cpu() {
        let mut s = system("partitioned");
        s.tasks[0].cpu = Some(1);
        s.tasks[1].cpu = Some(1);
        let classes = [Class::Fifo(90), Class::Fifo(80)];
        assert_eq!(non_preemptive_raise(&s, &s.tasks[1], &classes), None);
        s.scheduler.preemptive = false;
        assert_eq!(
            non_preemptive_raise(&s, &s.tasks[1], &classes),
            Some(Class::Fifo(90))
        );
        // The top task needs no raise; on another CPU, no one to keep off.
        assert_eq!(non_preemptive_raise(&s, &s.tasks[0], &classes), None);
        s.tasks[0].cpu = Some(0);
        assert_eq!(non_preemptive_raise(&s, &s.tasks[1], &classes), None);
        // Global: every task may share a CPU with every other. RR becomes
        // FIFO while a job runs, so that no time slice preempts it.
        let mut g = system("global");
        g.scheduler.preemptive = false;
        let rr = [Class::Rr(90), Class::Rr(80)];
        assert_eq!(
            non_preemptive_raise(&g, &g.tasks[1], &rr),
            Some(Class::Fifo(90))
        );
        assert_eq!(
            non_preemptive_raise(&g, &g.tasks[0], &rr),
            Some(Class::Fifo(90))
        );
    }

    #[test]
    fn peers_are_the_tasks_of_the_cpu_that_keep_a_task_waiting() {
        let mut s = system("partitioned");
        s.tasks[0].cpu = Some(1);
        s.tasks[1].cpu = Some(1);
        let classes = [Class::Fifo(90), Class::Fifo(80)];
        let hi = Peer {
            task: 0,
            kind: DelayKind::Interference,
            boosted_to: None,
        };
        assert_eq!(peers(&s, &s.tasks[1], &classes), vec![hi]);
        assert_eq!(peers(&s, &s.tasks[0], &classes), vec![]);
        // Non-preemptive: a less urgent job in progress keeps it waiting.
        s.scheduler.preemptive = false;
        let lo = Peer {
            task: 1,
            kind: DelayKind::PriorityInversion,
            boosted_to: None,
        };
        assert_eq!(peers(&s, &s.tasks[0], &classes), vec![lo]);
        // No fixed order to read: no peers.
        assert_eq!(
            peers(&s, &s.tasks[0], &[Class::Other, Class::Other]),
            vec![]
        );
        assert_eq!(peers(&system("global"), &s.tasks[1], &classes), vec![]);
    }
}
