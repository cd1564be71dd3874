//! Per-chain results (`chains[]` of `rtlab.result/v1`): how long a
//! stimulus at a chain's first stage took to reach its last stage, and
//! which stage the worst instance spent its time in.
//!
//! - `end_to_end` (reaction latency): for each job of the first stage (a
//!   stimulus, released at `r`), the time from `r` to the first
//!   completion of a last-stage job whose data derives from that job or a
//!   later one of the first stage. In a chain of triggers that is the
//!   completion of the very job its trigger links lead to; a register can
//!   overwrite a value before anyone reads it, and the reaction is then
//!   the first one that used a newer value.
//! - `data_age` (only for chains with a register link): for each
//!   completion of the last stage, the time since the release of the
//!   first-stage job whose value it used.
//!
//! A stimulus without a reaction by the end of the run is `unfinished`,
//! and a miss if its chain deadline had passed.

use serde::{Deserialize, Serialize};

use super::metrics::Metric;

/// The results of one chain.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChainOutcome {
    /// The chain's name.
    pub name: String,
    /// Its stages, first to last.
    pub tasks: Vec<String>,
    /// The chain instances: jobs of the first stage released.
    pub jobs: u64,
    /// Reaction latency per stimulus, in ns.
    pub end_to_end: Metric,
    /// Age of the data each last-stage completion used, in ns (chains
    /// with a register link only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_age: Option<Metric>,
    /// The end-to-end deadline, in ns, if the chain has one.
    #[serde(default)]
    pub deadline_ns: Option<u64>,
    /// Stimuli whose reaction came after the deadline, or had not come by
    /// the end once the deadline had passed.
    pub deadline_misses: u64,
    /// Stimuli without a reaction by the end of the run.
    pub unfinished: u64,
    /// The instance with the longest reaction, stage by stage.
    #[serde(default)]
    pub worst: Option<ChainInstance>,
    /// What the analysis predicts for the chain, when attached
    /// (`Outcome::attach_analysis`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<ChainPrediction>,
}

/// The analysis' end-to-end bound of a chain, beside its measurements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPrediction {
    /// The bound on `end_to_end`, in ns (`None`: no bound could be
    /// derived).
    pub bound_ns: Option<u64>,
    /// The bound on `data_age`, in ns, for chains with a register link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_age_bound_ns: Option<u64>,
    /// How the bound was derived (`holistic`, `davare`, ...).
    pub method: String,
    /// The worst measured reaction minus the bound, when positive (a
    /// broken model assumption, or a live run's overheads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exceeded_ns: Option<u64>,
}

/// One chain instance: a stimulus and the jobs that carried it to the
/// last stage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainInstance {
    /// Release of the stimulus (the first stage's job), in ns from the
    /// start.
    pub stimulus_ns: u64,
    /// Completion of the last stage's job, in ns.
    pub end_ns: u64,
    /// `end_ns - stimulus_ns`.
    pub latency_ns: u64,
    /// The job of each stage, first to last; their `wait_ns + run_ns`
    /// add up to `latency_ns`.
    pub stages: Vec<StageShare>,
}

/// One stage's job in a chain instance and its share of the latency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageShare {
    /// The stage's task.
    pub task: String,
    /// Its job number, from 0.
    pub job: u64,
    /// The job's release, in ns.
    pub release_ns: u64,
    /// When it first ran, in ns.
    pub start_ns: u64,
    /// When it completed, in ns.
    pub end_ns: u64,
    /// From when its input was ready (the stimulus for the first stage,
    /// else the previous stage's completion) to its start, in ns.
    pub wait_ns: u64,
    /// From its start to its completion (own execution and preemptions),
    /// in ns.
    pub run_ns: u64,
}

impl ChainInstance {
    /// The stage with the largest share (`wait_ns + run_ns`), first on a
    /// tie.
    pub fn dominant(&self) -> Option<&StageShare> {
        self.stages
            .iter()
            .rev()
            .max_by_key(|s| s.wait_ns + s.run_ns)
    }
}
