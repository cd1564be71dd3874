//! The live engine: the task set on real threads, measured like cyclictest.
//!
//! [`run`] gives every task one OS thread, named after the task (first 15
//! bytes, as `top -H` and `ps -L` show them), pinned to its CPU
//! (partitioned) or to the platform's CPUs (global), under the Linux class
//! and priority the config implies ([`plan`](self) rules); releases happen
//! at absolute times from one common start (`clock_nanosleep`,
//! `TIMER_ABSTIME`, `CLOCK_MONOTONIC`), jobs burn their drawn execution time
//! (the simulator's draws, same seed) as CPU time of their thread and take
//! real mutexes (PI, priority protect or plain). Each thread keeps its own
//! statistics; they are merged once at the end. While it runs, the engine
//! holds `/dev/cpu_dma_latency` at 0 and (with `live.lock_memory`) locks
//! memory; it records what else took CPU time (steal, foreign processes).
//!
//! The run ends at its duration whatever the tasks do: a job still running
//! then is incomplete, as in the simulator; a thread that does not stop
//! within a grace period is reported and left behind. Ctrl-C / SIGTERM end
//! it at once and the partial result is marked `interrupted`.

mod attribution;
mod clock;
mod environment;
mod kernel_trace;
mod load;
mod locks;
mod pipes;
mod plan;
pub mod recording;
mod runner;
mod spans;
mod thread;
mod watchdog;
mod workload;

use rtlab_tasks::model::{CpuId, System};
use rtlab_tasks::outcome::trace::TraceSink;
use rtlab_tasks::outcome::{Engine, Environment, Outcome};
use rtlab_tasks::time::Duration;

use crate::ledger::Closing;

/// How to run live.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Length of the run.
    pub duration: Duration,
    /// Seed of the execution-time draws.
    pub seed: u64,
    /// Refuse to run without real-time privileges instead of falling back
    /// to SCHED_OTHER.
    pub strict: bool,
}

/// Why a live run could not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// A CPU of the config is not one this process may use.
    #[error("CPU {cpu} is not available here (this process may use CPUs {allowed:?})")]
    CpuUnavailable {
        /// The CPU asked for.
        cpu: CpuId,
        /// The CPUs of the process' affinity mask.
        allowed: Vec<CpuId>,
    },
    /// `--strict` and no real-time privileges.
    #[error(
        "no real-time privileges (SCHED_FIFO was refused) and --strict was given; run as root or with CAP_SYS_NICE"
    )]
    NoRtPrivileges,
    /// A spin tail as long as a period: a pure spin at real-time priority.
    #[error(
        "spin_tail {spin_tail} covers the whole period {period}: the thread would spin at real-time priority \
         and RT throttling would stop it for tens of milliseconds every second; use a tail shorter than the period"
    )]
    PureSpin {
        /// The spin tail.
        spin_tail: String,
        /// The shortest period.
        period: String,
    },
    /// Non-preemptive dispatching under a Linux class that cannot emulate
    /// it.
    #[error(
        "non-preemptive dispatching (scheduler.preemptive = false) cannot run under os_policy \"{os_policy}\": \
         Linux has no non-preemptive SCHED_DEADLINE or SCHED_OTHER"
    )]
    NotPreemptible {
        /// The configured `live.os_policy`.
        os_policy: String,
    },
    /// A thread could not be set up (affinity, class, admission control).
    #[error("cannot set up the task threads: {0}")]
    Setup(String),
}

/// True if Ctrl-C (or SIGTERM) arrived since the last live run started (or
/// during it): a caller running several runs stops there. Always false
/// before the first live run installs the handler (Ctrl-C then ends the
/// process).
pub fn interrupted() -> bool {
    watchdog::interrupted()
}

/// The CPUs this process may use (its affinity mask), in order.
pub fn allowed_cpus() -> Vec<CpuId> {
    thread::allowed_cpus()
}

/// A finished live run.
#[derive(Debug)]
pub struct Run {
    /// The result (its `trace` entry is for the caller to fill in).
    pub outcome: Outcome,
    /// Trace events lost because a thread's buffer was full.
    pub trace_dropped: u64,
}

/// Runs `system` live for `options.duration`; job events go to `trace` if
/// given. The analysis' predictions are left empty, for the caller to
/// attach (`Outcome::attach_analysis`).
pub fn run(
    system: &System,
    options: &Options,
    trace: Option<&mut dyn TraceSink>,
) -> Result<Run, LiveError> {
    let plan = plan::plan(system, options)?;
    let policy = runner::policy_label(&plan.classes, system.live.os_policy);
    let rt = plan.rt_privileges;
    let raw = runner::run(system, plan, options, trace).map_err(|e| match e {
        LiveError::Setup(msg) if msg.contains("Device or resource busy") => {
            LiveError::Setup(format!(
                "{msg}: SCHED_DEADLINE admission control refused the tasks' bandwidth \
             (the kernel admits at most sched_rt_runtime_us / sched_rt_period_us of every CPU)"
            ))
        }
        other => other,
    })?;
    let closing = Closing {
        engine: Engine::Live,
        seed: options.seed,
        environment: Environment {
            host: environment::host(),
            kernel: environment::kernel(),
            cpus_online: environment::cpus_online(),
            os_policy: Some(policy),
            rt_privileges: Some(rt),
            warnings: raw.warnings,
            details: raw.details,
            ..Environment::default()
        },
        started_at: Some(clock::rfc3339(raw.started_at_wall)),
        duration_ns: raw.length_ns,
        interrupted: raw.interrupted,
        cpus: raw.cpus,
        deadlock: raw.deadlock,
    };
    let mut outcome = raw.ledger.close(system, closing);
    if let Some(kernel) = &raw.kernel {
        attribution::attribute_misses(&mut outcome, kernel, &raw.threads, raw.start_ns);
    }
    Ok(Run {
        outcome,
        trace_dropped: raw.dropped,
    })
}
