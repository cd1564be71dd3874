//! The properties: what the analysis claims must hold in simulation.
//!
//! For one generated config, [`check`] loads it through the real loader,
//! analyses it, simulates it over several horizons and seeds, and checks:
//!
//! - **soundness**: a set the analysis accepts (`schedulable == Some(true)`)
//!   shows no deadline miss (late, aborted, or unfinished at the end with its
//!   deadline passed) and no deadlock, in any simulation;
//! - **bounds**: a task the analysis accepts (`Some(true)`) never misses,
//!   never deadlocks, and never responds later than its `wcrt_ns`, whatever
//!   the set verdict; a chain's simulated reactions and data ages never
//!   exceed its `bound_ns` and `data_age_bound_ns`;
//! - **exactness**: a set the analysis rejects as a proof (`Some(false)`),
//!   on a config with synchronous releases, no jitter and constant
//!   execution times, shows a miss (or a deadlock) in a long enough
//!   simulation;
//! - **consistency**: the simulator's own counters (misses, aborts,
//!   completions, the worst response) agree with its trace.
//!
//! Proven misses without a `witness` are collected, not failed (the field is
//! new).

use rtlab_sim::des::{Options, simulate};
use rtlab_tasks::analysis::{Analysis, analyze};
use rtlab_tasks::config;
use rtlab_tasks::model::{Execution, System};
use rtlab_tasks::outcome::Outcome;
use rtlab_tasks::time::{Duration, hyperperiod};

use crate::generate::Spec;
use crate::observe::{JobState, Observer, TaskSeen};

/// Seeds of the simulations of a config with random draws (jitter,
/// execution times); a deterministic config needs one.
const SEEDS: [u64; 3] = [1, 2, 3];

/// Which properties to check (all by default).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Properties {
    /// Accepted sets do not miss.
    pub(crate) soundness: bool,
    /// Accepted tasks stay within their bound.
    pub(crate) bounds: bool,
    /// Proven misses are seen.
    pub(crate) exactness: bool,
    /// The simulator's counters match its trace.
    pub(crate) consistency: bool,
}

impl Properties {
    /// Every property.
    pub(crate) const ALL: Properties = Properties {
        soundness: true,
        bounds: true,
        exactness: true,
        consistency: true,
    };

    /// The properties named in a comma-separated list (`soundness`,
    /// `bounds`, `exactness`, `consistency`, or `all`); unknown names are
    /// an error.
    pub(crate) fn parse(list: &str) -> Result<Properties, String> {
        let mut p = Properties {
            soundness: false,
            bounds: false,
            exactness: false,
            consistency: false,
        };
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name {
                "soundness" => p.soundness = true,
                "bounds" => p.bounds = true,
                "exactness" => p.exactness = true,
                "consistency" => p.consistency = true,
                "all" => p = Properties::ALL,
                other => return Err(format!("unknown property `{other}`")),
            }
        }
        Ok(p)
    }
}

/// A config that loaded, with its analysis.
#[derive(Debug)]
pub(crate) struct Case {
    /// The generator's description.
    pub(crate) spec: Spec,
    /// The validated system.
    pub(crate) system: System,
    /// What `analyze` said.
    pub(crate) analysis: Analysis,
    /// Simulation horizons, in nanoseconds: short, long, and the one for
    /// proving a miss.
    pub(crate) horizons: [u64; 3],
}

/// One simulation and what it showed.
#[derive(Debug)]
pub(crate) struct Sim {
    /// Horizon, in nanoseconds.
    pub(crate) horizon: u64,
    /// Seed.
    pub(crate) seed: u64,
    /// The simulator's result.
    pub(crate) outcome: Outcome,
    /// Per task, what its trace showed.
    pub(crate) seen: Vec<TaskSeen>,
}

impl Sim {
    /// True when a job missed its deadline or the run deadlocked.
    pub(crate) fn shows_failure(&self) -> bool {
        self.outcome.deadlock.is_some() || self.seen.iter().any(|t| !t.misses.is_empty())
    }
}

/// A property that does not hold, with everything needed to print it.
#[derive(Debug)]
pub(crate) struct Failure {
    /// Which property, and how it fails (one line).
    pub(crate) what: String,
    /// The config and its analysis.
    pub(crate) case: Case,
    /// The simulation that shows it (the longest one for exactness).
    pub(crate) sim: Option<Sim>,
}

/// What checking one config found, when every property held.
#[derive(Debug)]
pub(crate) enum Checked {
    /// The loader rejected the config (its first error).
    Rejected(String),
    /// Every property held.
    Passed(Passed),
}

/// Figures of a config that passed.
#[derive(Debug, Default)]
pub(crate) struct Passed {
    /// The set verdict.
    pub(crate) verdict: Option<bool>,
    /// Simulations run.
    pub(crate) sims: u64,
    /// The exactness property applied (a proven miss on a synchronous,
    /// deterministic config).
    pub(crate) exactness_checked: bool,
    /// Chains with an end-to-end bound, checked in every simulation.
    pub(crate) chain_bounds: u64,
    /// Tasks with a proven miss (`Some(false)` in a set proven unschedulable)
    /// and no `witness`.
    pub(crate) missing_witnesses: Vec<String>,
}

/// Loads, analyses and simulates `spec`, and checks `props` on it.
pub(crate) fn check(spec: &Spec, props: Properties) -> Result<Checked, Box<Failure>> {
    let text = spec.toml(1, 1);
    let loaded = match config::load_str(&text, "soundness.toml") {
        Ok(loaded) => loaded,
        Err(e) => return Ok(Checked::Rejected(first_error(&e))),
    };
    let system = loaded.system;
    let analysis = analyze(&system);
    let case = Case {
        spec: spec.clone(),
        horizons: horizons(&system),
        system,
        analysis,
    };
    let deterministic = deterministic(&case.system);
    let seeds: &[u64] = if deterministic { &SEEDS[..1] } else { &SEEDS };
    let mut passed = Passed {
        verdict: case.analysis.schedulable,
        chain_bounds: case
            .analysis
            .chains
            .iter()
            .filter(|c| c.bound_ns.is_some())
            .count() as u64,
        ..Passed::default()
    };
    let mut saw_failure = false;
    for &horizon in &case.horizons[..2] {
        for &seed in seeds {
            let sim = run(&case.system, horizon, seed);
            passed.sims += 1;
            saw_failure |= sim.shows_failure();
            if let Some(what) = judge(&case, &sim, props) {
                return Err(Box::new(Failure {
                    what,
                    case,
                    sim: Some(sim),
                }));
            }
        }
    }
    let proven_miss = case.analysis.schedulable == Some(false);
    if props.exactness && proven_miss && deterministic && synchronous(&case.system) {
        passed.exactness_checked = true;
        if !saw_failure {
            let sim = run(&case.system, case.horizons[2], SEEDS[0]);
            passed.sims += 1;
            if !sim.shows_failure() {
                return Err(Box::new(Failure {
                    what: "exactness: the analysis proves a miss, the synchronous \
                           deterministic simulation shows none"
                        .to_string(),
                    case,
                    sim: Some(sim),
                }));
            }
        }
    }
    if proven_miss {
        passed.missing_witnesses = case
            .analysis
            .tasks
            .iter()
            .filter(|t| t.schedulable == Some(false) && t.witness.is_none())
            .map(|t| t.name.clone())
            .collect();
    }
    Ok(Checked::Passed(passed))
}

/// The first error of a rejected config, one line.
fn first_error(e: &config::ConfigError) -> String {
    match e.problems() {
        Some((file, problems)) => problems
            .iter()
            .find(|p| p.is_error())
            .map_or_else(|| e.to_string(), |p| config::render_plain(file, p)),
        None => e.to_string(),
    }
}

/// Short: two hyperperiods after the last offset, jitter and deadline;
/// long: ten; proof (exactness only): a hundred.
fn horizons(system: &System) -> [u64; 3] {
    let h = hyperperiod(system.tasks.iter().map(|t| t.period)).map_or(120, Duration::as_nanos);
    let max = |f: fn(&rtlab_tasks::model::Task) -> Duration| {
        system
            .tasks
            .iter()
            .map(|t| f(t).as_nanos())
            .max()
            .unwrap_or(0)
    };
    let tail = max(|t| t.offset) + max(|t| t.release_jitter) + max(|t| t.deadline);
    [2 * h + tail, 10 * h + tail, 100 * h + tail]
}

/// No random draw changes the schedule: no jitter, constant execution,
/// periodic (or triggered) releases.
fn deterministic(system: &System) -> bool {
    system.tasks.iter().all(|t| {
        t.release_jitter.is_zero()
            && matches!(t.execution, Execution::Constant)
            && t.arrival.is_periodic()
    })
}

/// Every task first released at the same instant.
fn synchronous(system: &System) -> bool {
    system.tasks.windows(2).all(|w| w[0].offset == w[1].offset)
}

fn run(system: &System, horizon: u64, seed: u64) -> Sim {
    let mut observer = Observer::new(system);
    let options = Options {
        horizon: Duration::from_nanos(horizon),
        seed,
    };
    let outcome = simulate(system, &options, Some(&mut observer))
        .expect("the horizon is longer than 0: every period is");
    let seen = observer.finish(outcome.duration_ns, outcome.deadlock.is_some());
    Sim {
        horizon,
        seed,
        outcome,
        seen,
    }
}

/// The first property `sim` breaks, described in one line.
fn judge(case: &Case, sim: &Sim, props: Properties) -> Option<String> {
    let a = &case.analysis;
    let first_miss = sim
        .seen
        .iter()
        .enumerate()
        .find_map(|(i, t)| t.misses.first().map(|m| (i, m)));
    if props.soundness && a.schedulable == Some(true) {
        if let Some(d) = &sim.outcome.deadlock {
            return Some(format!(
                "soundness: the set is accepted, the simulation deadlocks ({d})"
            ));
        }
        if let Some((i, m)) = first_miss {
            return Some(format!(
                "soundness: the set is accepted, task {} misses job {} (deadline {}ns)",
                a.tasks[i].name, m.job, m.deadline
            ));
        }
    }
    if props.bounds {
        for (v, seen) in a.tasks.iter().zip(&sim.seen) {
            if v.schedulable != Some(true) {
                continue;
            }
            if let Some(d) = &sim.outcome.deadlock
                && d.cycle.iter().any(|e| e.task == v.name)
            {
                return Some(format!("bounds: task {} is accepted and deadlocks", v.name));
            }
            if let (Some(bound), Some(worst)) = (v.wcrt_ns, seen.worst)
                && worst.exceeds(bound)
            {
                return Some(format!(
                    "bounds: task {} has wcrt {bound}ns, job {} responds {}{}ns",
                    v.name,
                    worst.job,
                    match worst.state {
                        JobState::Completed => "",
                        JobState::Unfinished => "more than ",
                        JobState::Cut => "at least ",
                    },
                    worst.ns
                ));
            }
            if let Some(m) = seen.misses.first() {
                return Some(format!(
                    "bounds: task {} is accepted and misses job {} (deadline {}ns)",
                    v.name, m.job, m.deadline
                ));
            }
        }
    }
    if props.bounds
        && let Some(what) = chain_beyond_bound(a, &sim.outcome)
    {
        return Some(what);
    }
    // A deadlock stops the run in the middle of an instant: the counters
    // and the trace may then disagree on the jobs of that instant.
    if props.consistency && sim.outcome.deadlock.is_none() {
        return inconsistency(sim);
    }
    None
}

/// The first chain whose simulated reaction or data age exceeds its
/// analysis bound.
fn chain_beyond_bound(a: &Analysis, outcome: &Outcome) -> Option<String> {
    for (v, c) in a.chains.iter().zip(&outcome.chains) {
        let worst = || {
            c.worst.as_ref().map_or(String::new(), |w| {
                format!(
                    " (stimulus at {}ns, reaction at {}ns)",
                    w.stimulus_ns, w.end_ns
                )
            })
        };
        if let (Some(bound), Some(max)) = (v.bound_ns, c.end_to_end.max_ns)
            && max > bound
        {
            return Some(format!(
                "bounds: chain {} has bound {bound}ns ({}), a stimulus reacted after {max}ns{}",
                v.name,
                v.method,
                worst()
            ));
        }
        if let (Some(Some(bound)), Some(max)) = (
            v.data_age_bound_ns,
            c.data_age.as_ref().and_then(|m| m.max_ns),
        ) && max > bound
        {
            return Some(format!(
                "bounds: chain {} has a data age bound of {bound}ns, a reaction used data \
                 {max}ns old",
                v.name
            ));
        }
    }
    None
}

/// Where the simulator's counters disagree with its trace.
fn inconsistency(sim: &Sim) -> Option<String> {
    for (o, seen) in sim.outcome.tasks.iter().zip(&sim.seen) {
        let traced_max = seen.max_completed.map(|r| r.ns);
        let pairs = [
            (
                "deadline_misses",
                o.deadline_misses,
                seen.misses.len() as u64,
            ),
            ("aborted", o.aborted, seen.aborted),
            ("completed", o.completed, seen.completed),
            ("skipped", o.skipped, seen.skipped),
        ];
        for (name, counted, traced) in pairs {
            if counted != traced {
                return Some(format!(
                    "consistency: task {} has {name} = {counted}, its trace shows {traced}",
                    o.name
                ));
            }
        }
        if o.response_time.max_ns != traced_max {
            return Some(format!(
                "consistency: task {} has a max response of {:?}ns, its trace shows {:?}ns",
                o.name, o.response_time.max_ns, traced_max
            ));
        }
    }
    None
}
