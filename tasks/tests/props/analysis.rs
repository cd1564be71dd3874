//! Property tests of the schedulability analysis.
//!
//! Cross-checks rather than examples: the bounds are ordered (Liu & Layland
//! ⇒ hyperbolic ⇒ RTA); the EDF demand test agrees with exact utilization,
//! with a brute-force demand check and with a simulation of the synchronous
//! schedule; RTA equals the simulated synchronous schedule and bounds every
//! simulated response (offsets, jitter, non-preemptive, and mutexes under
//! none / inherit / ceiling); the FIFO, busy-window and global bounds hold in
//! simulation; Audsley's assignment is optimal (checked against every
//! permutation).

use proptest::prelude::*;
use rtlab_tasks::analysis::edf::{self, Demand};
use rtlab_tasks::analysis::priority::assign;
use rtlab_tasks::analysis::rta::{self, Dispatch, NoBound};
use rtlab_tasks::analysis::{Timing, analyze, fifo, global, utilization};
use rtlab_tasks::model::{Locking, PriorityOrder, SystemBuilder};
use rtlab_tasks::time::Duration;

fn ns(v: u64) -> Duration {
    Duration::from_nanos(v)
}

fn gcd(a: u128, b: u128) -> u128 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Σ C_i / T_i <= 1, exactly, the slow obvious way.
fn utilization_at_most_one(set: &[Timing]) -> bool {
    let l = set.iter().fold(1_u128, |l, t| {
        let p = u128::from(t.period.as_nanos());
        l / gcd(l, p) * p
    });
    let demand: u128 = set
        .iter()
        .map(|t| u128::from(t.wcet.as_nanos()) * (l / u128::from(t.period.as_nanos())))
        .sum();
    demand <= l
}

/// Implicit-deadline sets: 2..=10 tasks, periods 1..=1000 µs, total
/// utilization spread over (0, 1.2).
fn implicit_set() -> impl Strategy<Value = Vec<Timing>> {
    (
        prop::collection::vec((1_u64..=1000, 1_u64..=1000), 2..=10),
        1_u64..=1200,
    )
        .prop_map(|(tasks, per_mille)| {
            let weights: u64 = tasks.iter().map(|&(_, w)| w).sum();
            tasks
                .iter()
                .map(|&(k, w)| {
                    let t = k * 1000;
                    // C = T U_i with U_i = per_mille/1000 * w/weights.
                    let c = (u128::from(t) * u128::from(w) * u128::from(per_mille)
                        / (u128::from(weights) * 1000)) as u64;
                    let c = c.clamp(1, t);
                    Timing::new(ns(c), ns(t), ns(t))
                })
                .collect()
        })
}

/// Small sets (periods from a set with hyperperiod 120) with constrained or
/// arbitrary deadlines and optional jitter.
fn small_set(max_tasks: usize, jitter: bool) -> impl Strategy<Value = Vec<Timing>> {
    const PERIODS: [u64; 8] = [2, 3, 4, 5, 6, 8, 10, 12];
    prop::collection::vec(
        (0_usize..8, 1_u64..=12, 0_u64..=24, 0_u64..=4),
        1..=max_tasks,
    )
    .prop_map(move |tasks| {
        tasks
            .iter()
            .map(|&(p, c, d, j)| {
                let t = PERIODS[p];
                let c = c.min(t);
                // Deadline in [C, 2T]: constrained or arbitrary.
                let d = c + d % (2 * t - c + 1);
                let j = if jitter { j.min(t - 1) } else { 0 };
                Timing::new(ns(c), ns(t), ns(d)).with_jitter(ns(j))
            })
            .collect()
    })
}

/// Indices most urgent first by rate (ties: file order).
fn rate_monotonic(set: &[Timing]) -> Vec<Timing> {
    let mut order: Vec<usize> = (0..set.len()).collect();
    order.sort_by_key(|&i| (set[i].period, i));
    order.iter().map(|&i| set[i]).collect()
}

/// A dispatching rule of the unit-time simulation.
#[derive(Clone, Copy, Debug)]
enum Sched {
    /// Fixed priority, the set's order (first = most urgent), on `cpus`.
    Fp { cpus: usize, preemptive: bool },
    /// Preemptive EDF on `cpus` (ties: task order).
    Edf { cpus: usize },
    /// Non-preemptive first-come first-served by ready time (ties: task
    /// order).
    Fifo,
}

/// What a simulation saw: each task's largest response, and whether any
/// job finished after its deadline.
#[derive(Debug)]
struct Trace {
    worst: Vec<u64>,
    missed: bool,
}

/// A unit-time simulation over jobs released in `[0, horizon)`. Job k of
/// task i is ready at `offsets[i] + k T_i + jitter(i, k)`; its response is
/// measured from `offsets[i] + k T_i`. Jobs of a task run in order. `None`
/// if some job is still unfinished at `limit`.
fn simulate(
    set: &[Timing],
    offsets: &[u64],
    jitter: impl Fn(usize, u64) -> u64,
    sched: Sched,
    horizon: u64,
    limit: u64,
) -> Option<Trace> {
    let n = set.len();
    // Per task: queue of (nominal release, ready time, remaining).
    let mut queues: Vec<std::collections::VecDeque<(u64, u64, u64)>> = vec![Default::default(); n];
    let mut pending: Vec<(u64, usize, u64)> = Vec::new(); // (ready, task, nominal)
    for (i, t) in set.iter().enumerate() {
        let period = t.period.as_nanos();
        let mut k = 0;
        while offsets[i] + k * period < horizon {
            let nominal = offsets[i] + k * period;
            pending.push((nominal + jitter(i, k), i, nominal));
            k += 1;
        }
    }
    pending.sort_unstable();
    let mut next = 0;
    let mut trace = Trace {
        worst: vec![0; n],
        missed: false,
    };
    let mut running: Option<usize> = None;
    for now in 0..limit {
        while next < pending.len() && pending[next].0 <= now {
            let (ready, i, nominal) = pending[next];
            queues[i].push_back((nominal, ready, set[i].wcet.as_nanos()));
            next += 1;
        }
        if next == pending.len() && queues.iter().all(|q| q.is_empty()) {
            return Some(trace);
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| !queues[i].is_empty()).collect();
        let picks: Vec<usize> = match sched {
            Sched::Fp {
                preemptive: false, ..
            }
            | Sched::Fifo
                if running.is_some() =>
            {
                running.into_iter().collect()
            }
            Sched::Fp { cpus, .. } => ready.into_iter().take(cpus).collect(),
            Sched::Edf { cpus } => {
                ready.sort_by_key(|&i| (queues[i][0].0 + set[i].deadline.as_nanos(), i));
                ready.into_iter().take(cpus).collect()
            }
            Sched::Fifo => ready
                .into_iter()
                .min_by_key(|&i| (queues[i][0].1, i))
                .into_iter()
                .collect(),
        };
        for i in picks {
            let head = queues[i].front_mut().expect("picked a non-empty queue");
            head.2 -= 1;
            if head.2 == 0 {
                let (nominal, _, _) = queues[i].pop_front().expect("non-empty");
                let response = now + 1 - nominal;
                trace.worst[i] = trace.worst[i].max(response);
                trace.missed |= response > set[i].deadline.as_nanos();
                running = None;
            } else {
                running = Some(i);
            }
        }
    }
    None
}

/// A deterministic jitter pattern within each task's jitter.
fn jitter_from<'a>(set: &'a [Timing], pattern: &'a [u64]) -> impl Fn(usize, u64) -> u64 + 'a {
    move |i, k| {
        let j = set[i].jitter.as_nanos();
        if j == 0 {
            0
        } else {
            pattern[(i * 13 + k as usize) % pattern.len()] % (j + 1)
        }
    }
}

/// The same set with every deadline cut to at most the period.
fn constrained(set: Vec<Timing>) -> Vec<Timing> {
    set.into_iter()
        .map(|t| Timing {
            deadline: t.deadline.min(t.period),
            ..t
        })
        .collect()
}

/// The exact RTA bounds of a priority-ordered set (`None` where there is no
/// bound), non-preemptive blocking included.
fn bounds(set: &[Timing], dispatch: Dispatch) -> Vec<Option<u64>> {
    (0..set.len())
        .map(|i| {
            let blocking = match dispatch {
                Dispatch::Preemptive => 0,
                Dispatch::NonPreemptive => set[i + 1..]
                    .iter()
                    .map(|t| t.wcet.as_nanos() - 1)
                    .max()
                    .unwrap_or(0),
            };
            rta::response_time(&set[i], ns(blocking), &set[..i], dispatch)
                .ok()
                .map(|r| r.wcrt.as_nanos())
        })
        .collect()
}

/// Brute force: `h(t) <= t` for every integer `t` in `0..=limit` (a window
/// of length 0 counts: with jitter a job can be due the instant it is
/// ready).
fn demand_ok_everywhere(set: &[Timing], limit: u64) -> bool {
    (0..=limit).all(|t| edf::demand(set, ns(t)) <= u128::from(t))
}

/// Brute force for non-preemptive EDF (George, Rivierre & Spuri 1996):
/// `h(t) + b(t) <= t` at every absolute deadline `t <= limit` (only there:
/// between deadlines no job is due, and a job cannot block itself).
fn np_demand_ok_at_every_deadline(set: &[Timing], limit: u64) -> bool {
    (0..=limit)
        .filter(|&t| {
            set.iter().any(|task| {
                let d = task.deadline.as_nanos();
                t >= d && (t - d) % task.period.as_nanos() == 0
            })
        })
        .all(|t| {
            let b = edf::non_preemptive_blocking(set, ns(t)).as_nanos();
            edf::demand(set, ns(t)) + u128::from(b) <= u128::from(t)
        })
}

/// A limit past which no new violation can appear: the hyperperiod (120)
/// beyond the largest relative deadline, twice.
fn brute_limit(set: &[Timing]) -> u64 {
    let d = set.iter().map(|t| t.deadline.as_nanos()).max().unwrap_or(0);
    2 * (d + 120)
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for pos in 0..=p.len() {
            let mut q = p.clone();
            q.insert(pos, n - 1);
            out.push(q);
        }
    }
    out
}

// Case counts: proptest's default (256, or PROPTEST_CASES).
proptest! {
    #[test]
    fn liu_layland_implies_hyperbolic_implies_rta(set in implicit_set()) {
        let ll = utilization::liu_layland(&set);
        let hb = utilization::hyperbolic(&set);
        let rta = rta::all_meet_deadlines(&rate_monotonic(&set), Dispatch::Preemptive);
        prop_assert!(!ll || hb, "LL accepts but hyperbolic rejects");
        prop_assert!(!hb || rta == Some(true), "hyperbolic accepts but RTA says {rta:?}");
        // The same through the system path.
        let mut builder = SystemBuilder::new("prop");
        for (i, t) in set.iter().enumerate() {
            builder = builder.task(&format!("t{i}"), t.period, t.wcet);
        }
        let analysis = analyze(&builder.build());
        let verdict = |name: &str| {
            analysis.tests.iter().find(|t| t.name == name).and_then(|t| t.schedulable)
        };
        prop_assert_eq!(verdict("liu-layland"), Some(ll));
        prop_assert_eq!(verdict("hyperbolic"), Some(hb));
        prop_assert_eq!(verdict("rta"), rta);
        prop_assert_eq!(analysis.schedulable, rta);
    }

    #[test]
    fn edf_accepts_exactly_utilization_at_most_one(set in implicit_set()) {
        let expected = utilization_at_most_one(&set);
        match edf::qpa(&set) {
            Ok(Demand::Feasible { .. }) => prop_assert!(expected),
            Ok(Demand::Overload) => prop_assert!(!expected),
            other => prop_assert!(false, "implicit deadlines: {other:?}"),
        }
    }

    #[test]
    fn rta_bound_covers_own_demand_and_grows_with_wcet(
        set in small_set(5, true),
        blocking in 0_u64..=5,
        grow in (0_usize..5, 1_u64..=3),
    ) {
        let by_priority = rate_monotonic(&set);
        for dispatch in [Dispatch::Preemptive, Dispatch::NonPreemptive] {
            for i in 0..by_priority.len() {
                let task = &by_priority[i];
                let higher = &by_priority[..i];
                let Ok(r) = rta::response_time(task, ns(blocking), higher, dispatch) else {
                    continue;
                };
                let floor = task.wcet.as_nanos() + blocking + task.jitter.as_nanos();
                prop_assert!(r.wcrt.as_nanos() >= floor);
                // Grow one wcet (the task's own or one above it).
                let (j, delta) = grow;
                let j = j % (i + 1);
                let mut bigger: Vec<Timing> = by_priority[..=i].to_vec();
                bigger[j].wcet = ns(bigger[j].wcet.as_nanos() + delta);
                match rta::response_time(&bigger[i], ns(blocking), &bigger[..i], dispatch) {
                    Ok(r2) => prop_assert!(r2.wcrt >= r.wcrt, "{:?} < {:?}", r2.wcrt, r.wcrt),
                    Err(e) => prop_assert!(
                        matches!(e, NoBound::Overload | NoBound::Saturated),
                        "{e:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn qpa_agrees_with_brute_force(set in small_set(6, true)) {
        let brute = utilization_at_most_one(&set)
            && demand_ok_everywhere(&set, brute_limit(&set));
        let got = edf::qpa(&set);
        prop_assert!(got.is_ok());
        prop_assert_eq!(matches!(got, Ok(Demand::Feasible { .. })), brute, "{:?}", got);
        if let Ok(Demand::Miss { at, demand, .. }) = got {
            // The witness is real.
            prop_assert!(u128::from(demand.as_nanos()) > u128::from(at.as_nanos()));
            prop_assert_eq!(edf::demand(&set, at), u128::from(demand.as_nanos()));
        }
    }

    #[test]
    fn non_preemptive_edf_agrees_with_brute_force(set in small_set(5, false)) {
        let brute = utilization_at_most_one(&set)
            && np_demand_ok_at_every_deadline(&set, brute_limit(&set));
        let max_b = set.iter().map(|t| t.wcet.as_nanos() - 1).max().unwrap_or(0);
        let settles = set.iter().map(|t| t.deadline).max().unwrap_or(Duration::ZERO);
        let got = edf::demand_test_with_blocking(
            &set,
            |t| edf::non_preemptive_blocking(&set, t),
            ns(max_b),
            settles,
        );
        prop_assert_eq!(matches!(got, Ok(Demand::Feasible { .. })), brute, "{:?}", got);
    }

    #[test]
    fn audsley_is_optimal(set in small_set(5, true), np in any::<bool>()) {
        let dispatch = if np { Dispatch::NonPreemptive } else { Dispatch::Preemptive };
        let feasible_order = permutations(set.len()).into_iter().any(|order| {
            let ordered: Vec<Timing> = order.iter().map(|&i| set[i]).collect();
            rta::all_meet_deadlines(&ordered, dispatch) == Some(true)
        });
        let mut builder = SystemBuilder::new("opa")
            .priorities(PriorityOrder::Audsley)
            .preemptive(!np);
        for (i, t) in set.iter().enumerate() {
            builder = builder
                .task(&format!("t{i}"), t.period, t.wcet)
                .deadline(t.deadline)
                .jitter(t.jitter);
        }
        let system = builder.build();
        let a = assign(&system, PriorityOrder::Audsley);
        prop_assert_eq!(a.feasible, Some(feasible_order));
        let mut distinct = a.priorities.clone();
        distinct.sort_unstable();
        prop_assert_eq!(distinct, (1..=set.len() as u32).collect::<Vec<_>>());
        if feasible_order {
            prop_assert_eq!(analyze(&system).tests[2].schedulable, Some(true));
        }
        // Whenever deadline-monotonic works, Audsley returns it.
        let dm = assign(&system, PriorityOrder::DeadlineMonotonic);
        let mut by_dm: Vec<usize> = (0..set.len()).collect();
        by_dm.sort_by_key(|&i| std::cmp::Reverse(dm.priorities[i]));
        let dm_set: Vec<Timing> = by_dm.iter().map(|&i| set[i]).collect();
        if rta::all_meet_deadlines(&dm_set, dispatch) == Some(true) {
            prop_assert_eq!(a.priorities, dm.priorities);
        }
    }
}

proptest! {
    #[test]
    fn rta_equals_the_synchronous_schedule(set in small_set(5, false)) {
        // Synchronous, independent, preemptive, any deadlines, no jitter: the
        // critical instant is time 0, so the worst simulated response over a
        // hyperperiod is the exact RTA bound. Tasks without a bound
        // (overloaded at their level) are skipped; the finite horizon lets
        // their backlog drain eventually.
        let set = rate_monotonic(&set);
        let bounds = bounds(&set, Dispatch::Preemptive);
        let zeros = vec![0; set.len()];
        let sched = Sched::Fp { cpus: 1, preemptive: true };
        let sim = simulate(&set, &zeros, |_, _| 0, sched, 120, 100_000)
            .expect("finitely many jobs: the schedule drains");
        for (i, (b, s)) in bounds.iter().zip(&sim.worst).enumerate() {
            if let Some(b) = b {
                prop_assert_eq!(s, b, "task {}", i);
            }
        }
    }

    #[test]
    fn rta_bounds_every_simulated_response(
        set in small_set(5, true),
        offsets in prop::collection::vec(0_u64..12, 5),
        pattern in prop::collection::vec(0_u64..=4, 64),
        np in any::<bool>(),
    ) {
        // Offsets, jitter patterns and non-preemptive dispatching: the
        // bound must hold for every job the simulation sees.
        let dispatch = if np { Dispatch::NonPreemptive } else { Dispatch::Preemptive };
        let set = rate_monotonic(&set);
        let bounds = bounds(&set, dispatch);
        let sched = Sched::Fp { cpus: 1, preemptive: !np };
        let sim = simulate(&set, &offsets[..set.len()], jitter_from(&set, &pattern), sched, 360, 100_000)
            .expect("finitely many jobs: the schedule drains");
        for (i, (b, s)) in bounds.iter().zip(&sim.worst).enumerate() {
            if let Some(b) = b {
                prop_assert!(s <= b, "task {}: simulated {} > bound {}", i, s, b);
            }
        }
    }

    #[test]
    fn qpa_equals_the_synchronous_edf_schedule(set in small_set(6, false)) {
        // Synchronous periodic releases are the worst case for EDF (Baruah,
        // Mok & Rosier 1990): with U <= 1 a deadline is missed in the first
        // hyperperiod exactly when the demand test fails.
        let mut set = set;
        while !utilization_at_most_one(&set) {
            set.pop(); // one task alone has C <= T
        }
        let zeros = vec![0; set.len()];
        let sim = simulate(&set, &zeros, |_, _| 0, Sched::Edf { cpus: 1 }, 120, 100_000)
            .expect("finitely many jobs: the schedule drains");
        let qpa = edf::qpa(&set);
        prop_assert_eq!(matches!(qpa, Ok(Demand::Feasible { .. })), !sim.missed, "{:?}", qpa);
    }

    #[test]
    fn qpa_acceptance_holds_under_jitter_and_offsets(
        set in small_set(5, true),
        offsets in prop::collection::vec(0_u64..12, 5),
        pattern in prop::collection::vec(0_u64..=4, 64),
    ) {
        let Ok(Demand::Feasible { .. }) = edf::qpa(&set) else { return Ok(()) };
        let sim = simulate(
            &set, &offsets[..set.len()], jitter_from(&set, &pattern), Sched::Edf { cpus: 1 }, 360, 100_000,
        )
        .expect("finitely many jobs: the schedule drains");
        prop_assert!(!sim.missed);
    }

    #[test]
    fn fifo_and_busy_window_bounds_hold(
        set in small_set(5, true),
        offsets in prop::collection::vec(0_u64..12, 5),
        pattern in prop::collection::vec(0_u64..=4, 64),
    ) {
        let (Ok(fifo), Ok(window)) = (fifo::fifo_bound(&set), fifo::busy_window(&set)) else {
            return Ok(());
        };
        prop_assert!(fifo <= window);
        let sim = simulate(&set, &offsets[..set.len()], jitter_from(&set, &pattern), Sched::Fifo, 360, 100_000)
            .expect("finitely many jobs: the schedule drains");
        for (i, s) in sim.worst.iter().enumerate() {
            let j = set[i].jitter.as_nanos();
            prop_assert!(*s <= fifo.as_nanos() + j, "task {}: {} > {} + {}", i, s, fifo.as_nanos(), j);
        }
    }

    #[test]
    fn global_bounds_hold_on_two_cpus(
        set in small_set(6, true),
        offsets in prop::collection::vec(0_u64..12, 6),
        pattern in prop::collection::vec(0_u64..=4, 64),
    ) {
        let set = rate_monotonic(&constrained(set));
        let jitter = jitter_from(&set, &pattern);
        let offsets = &offsets[..set.len()];
        // Global FP: every simulated response within the Bertogna-Cirinei
        // bound where one is proven.
        let bounds = global::bertogna_cirinei(&set, 2);
        let fp = simulate(&set, offsets, &jitter, Sched::Fp { cpus: 2, preemptive: true }, 360, 100_000)
            .expect("finitely many jobs: the schedule drains");
        for (i, (b, s)) in bounds.iter().zip(&fp.worst).enumerate() {
            if let Some(b) = b {
                prop_assert!(*s <= b.as_nanos(), "task {}: {} > {:?}", i, s, b);
            }
        }
        // Global EDF: GFB acceptance means no miss.
        if global::gfb(&set, 2) {
            let edf = simulate(&set, offsets, &jitter, Sched::Edf { cpus: 2 }, 360, 100_000)
                .expect("finitely many jobs: the schedule drains");
            prop_assert!(!edf.missed);
        }
    }
}

/// One critical section: resource, start and length in execution time.
type Sec = (usize, u64, u64);

/// Small sets with critical sections on two resources (nested or disjoint),
/// as (C, T, D, J, sections).
fn locking_set() -> impl Strategy<Value = Vec<(u64, u64, u64, u64, Vec<Sec>)>> {
    const PERIODS: [u64; 6] = [4, 5, 6, 8, 10, 12];
    prop::collection::vec(
        (
            0_usize..6,
            1_u64..=6,
            0_u64..=2,
            (0_usize..2, 0_u64..6, 1_u64..=4),
            (0_usize..4, 0_u64..6, 1_u64..=4),
        ),
        2..=4,
    )
    .prop_map(|tasks| {
        tasks
            .iter()
            .map(|&(p, c, j, (r1, a1, h1), (kind, a2, h2))| {
                let t = PERIODS[p];
                let c = c.min(t);
                let mut sections = Vec::new();
                // First section inside [0, C].
                let h1 = h1.min(c);
                let a1 = a1 % (c - h1 + 1);
                sections.push((r1, a1, h1));
                match kind {
                    // Nested inside the first, on the other resource.
                    0 if h1 >= 1 => {
                        let h2 = h2.min(h1);
                        let a2 = a1 + a2 % (h1 - h2 + 1);
                        sections.push((1 - r1, a2, h2));
                    }
                    // Disjoint, after the first, either resource.
                    1 | 2 if a1 + h1 < c => {
                        let room = c - (a1 + h1);
                        let h2 = h2.min(room);
                        let a2 = a1 + h1 + a2 % (room - h2 + 1);
                        sections.push(((kind - 1) % 2, a2, h2));
                    }
                    _ => {}
                }
                (c, t, t, j.min(t - 1), sections)
            })
            .collect()
    })
}

/// Unit-time simulation of preemptive fixed priorities with mutexes.
/// `prio[i]` is task i's priority (higher = more urgent, distinct). Locks:
/// `none` (a waiting job just waits), `inherit` (the holder runs at the
/// highest priority of the jobs it blocks, transitively) or `ceiling` (a
/// holder runs at the highest ceiling of what it holds). Equal priority
/// never preempts. `None` when some job is unfinished at `limit` (a
/// deadlock, say).
fn simulate_locks(
    tasks: &[(u64, u64, u64, u64, Vec<Sec>)],
    prio: &[u32],
    locking: Locking,
    jitter: impl Fn(usize, u64) -> u64,
    horizon: u64,
    limit: u64,
) -> Option<Vec<u64>> {
    let n = tasks.len();
    let ceiling: Vec<u32> = (0..2)
        .map(|r| {
            (0..n)
                .filter(|&i| tasks[i].4.iter().any(|s| s.0 == r))
                .map(|i| prio[i])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut pending: Vec<(u64, usize, u64)> = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        let mut k = 0;
        while k * task.1 < horizon {
            pending.push((k * task.1 + jitter(i, k), i, k * task.1));
            k += 1;
        }
    }
    pending.sort_unstable();
    // Per task: queue of (nominal, executed); the head is the active job.
    let mut queues: Vec<std::collections::VecDeque<(u64, u64)>> = vec![Default::default(); n];
    let mut holder: [Option<usize>; 2] = [None, None];
    let mut acquired: Vec<Vec<bool>> = tasks.iter().map(|t| vec![false; t.4.len()]).collect();
    let mut worst = vec![0_u64; n];
    let mut next = 0;
    let mut last: Option<usize> = None;
    for now in 0..limit {
        while next < pending.len() && pending[next].0 <= now {
            let (_, i, nominal) = pending[next];
            queues[i].push_back((nominal, 0));
            next += 1;
        }
        if next == pending.len() && queues.iter().all(|q| q.is_empty()) {
            return Some(worst);
        }
        // The resource each active job waits for, if its next section
        // starts now and the resource is taken by another task.
        let waits = |i: usize, holder: &[Option<usize>; 2], acquired: &[Vec<bool>]| {
            let executed = queues[i].front()?.1;
            tasks[i].4.iter().enumerate().find_map(|(s, &(r, a, _))| {
                (a == executed && !acquired[i][s] && holder[r].is_some_and(|h| h != i)).then_some(r)
            })
        };
        loop {
            let active: Vec<usize> = (0..n).filter(|&i| !queues[i].is_empty()).collect();
            if active.is_empty() {
                break;
            }
            // Effective priorities.
            let mut eff: Vec<u32> = prio.to_vec();
            for &i in &active {
                if locking == Locking::Ceiling {
                    for r in 0..2 {
                        if holder[r] == Some(i) {
                            eff[i] = eff[i].max(ceiling[r]);
                        }
                    }
                }
            }
            if locking == Locking::Inherit {
                for _ in 0..n {
                    for &i in &active {
                        if let Some(r) = waits(i, &holder, &acquired) {
                            let h = holder[r].expect("waits only on held resources");
                            eff[h] = eff[h].max(eff[i]);
                        }
                    }
                }
            }
            let runnable = active
                .iter()
                .copied()
                .filter(|&i| waits(i, &holder, &acquired).is_none());
            let Some(i) = runnable.max_by_key(|&i| {
                (
                    eff[i],
                    last == Some(i),
                    std::cmp::Reverse(queues[i][0].0),
                    std::cmp::Reverse(i),
                )
            }) else {
                break; // everyone waits: a deadlock, or idle
            };
            // Acquire the sections starting now (outer first).
            let executed = queues[i][0].1;
            for (s, &(r, a, _)) in tasks[i].4.iter().enumerate() {
                if a == executed && !acquired[i][s] && holder[r].is_none() {
                    holder[r] = Some(i);
                    acquired[i][s] = true;
                }
            }
            if waits(i, &holder, &acquired).is_some() {
                continue; // blocked on an inner section: pick again
            }
            let job = queues[i].front_mut().expect("active");
            job.1 += 1;
            let executed = job.1;
            for (s, &(r, a, h)) in tasks[i].4.iter().enumerate() {
                if acquired[i][s] && a + h == executed && holder[r] == Some(i) {
                    holder[r] = None;
                }
            }
            if executed == tasks[i].0 {
                let (nominal, _) = queues[i].pop_front().expect("active");
                worst[i] = worst[i].max(now + 1 - nominal);
                acquired[i].iter_mut().for_each(|a| *a = false);
                last = None;
            } else {
                last = Some(i);
            }
            break;
        }
    }
    None
}

proptest! {
    #[test]
    fn blocking_bounds_hold_in_a_lock_simulation(
        tasks in locking_set(),
        pattern in prop::collection::vec(0_u64..=2, 64),
        protocol in 0_usize..3,
    ) {
        let locking = [Locking::None, Locking::Inherit, Locking::Ceiling][protocol];
        let mut builder = SystemBuilder::new("locks").locking(locking);
        for (i, (c, t, d, j, sections)) in tasks.iter().enumerate() {
            builder = builder.task(&format!("t{i}"), ns(*t), ns(*c)).deadline(ns(*d)).jitter(ns(*j));
            for &(r, a, h) in sections {
                builder = builder.section(["r0", "r1"][r], ns(a), ns(h));
            }
        }
        let system = builder.build();
        let analysis = analyze(&system);
        let prio: Vec<u32> = system.tasks.iter().map(|t| t.priority).collect();
        let jitter = |i: usize, k: u64| {
            let j = tasks[i].3;
            if j == 0 { 0 } else { pattern[(i * 13 + k as usize) % pattern.len()] % (j + 1) }
        };
        let Some(worst) = simulate_locks(&tasks, &prio, locking, jitter, 240, 20_000) else {
            return Ok(()); // a deadlock (opposite nesting orders): no bound claimed
        };
        for (i, s) in worst.iter().enumerate() {
            if let Some(bound) = analysis.tasks[i].wcrt_ns {
                prop_assert!(
                    *s <= bound,
                    "{:?} task {}: simulated {} > bound {} (blocking {:?}: {:?})",
                    locking, i, s, bound, analysis.tasks[i].blocking_ns, analysis.tasks[i].blocking_detail
                );
            }
        }
    }
}
