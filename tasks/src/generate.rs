//! Random task sets for schedulability experiments (`rtlab sweep`).
//!
//! A task set is drawn in three steps, always in this order from one random
//! stream, so that the same seed gives the same set:
//!
//! 1. **Utilizations** `u_1 .. u_n` summing to the target `U`
//!    ([`utilization`]):
//!    - [`Generator::UUniFast`] (E. Bini and G. C. Buttazzo, "Measuring the
//!      performance of schedulability tests", Real-Time Systems 30, 2005):
//!      uniform over the simplex `{u_i >= 0, Σ u_i = U}`, O(n). For `U > 1`
//!      a single `u_i` may exceed 1.
//!    - [`Generator::UUniFastDiscard`] (R. I. Davis and A. Burns, 2009):
//!      UUniFast, redrawn until every `u_i <= 1`: uniform over the
//!      constrained simplex `{0 <= u_i <= 1, Σ u_i = U}`, but slow as `U`
//!      nears `n` (it gives up after [`DISCARD_ATTEMPTS`] draws).
//!    - [`Generator::RandFixedSum`] (P. Emberson, R. Stafford and R. I.
//!      Davis, "Techniques for the synthesis of multiprocessor tasksets",
//!      WATERS 2010; Roger Stafford's `randfixedsum`): uniform over the same
//!      constrained simplex without rejection, for any `0 <= U <= n`.
//! 2. **Periods** ([`Periods`]): uniform or log-uniform over `[min, max]`, or
//!    uniformly from a list; optionally whole multiples of a time grain.
//! 3. **Execution times and deadlines**: `C_i = u_i T_i` rounded *down* to
//!    a whole nanosecond (the product is computed once in `f64`), at least
//!    1 ns ([`wcet`]). Rounding down keeps the set's exact utilization at or
//!    below the target (but for the 1 ns minimum), so a set drawn at `U = 1`
//!    stays feasible for EDF. Deadlines are implicit
//!    (`D = T`) or, for [`Deadlines::Constrained`], a whole number of
//!    nanoseconds drawn uniformly from `[C_i, T_i]`.
//!
//! Utilizations are `f64`; every time is an integer-nanosecond
//! [`Duration`]. Because of the rounding in step 3 the set's exact
//! utilization `Σ C_i / T_i` is below `U` by less than `n / T_min` (`T_min`
//! in nanoseconds: 1e-5 for ten tasks of at least 1 ms).
//!
//! ```
//! use rand::SeedableRng;
//! use rand_chacha::ChaCha8Rng;
//! use rtlab_tasks::generate::{self, Deadlines, Generator, Periods, Spec};
//! use rtlab_tasks::time::Duration;
//!
//! let spec = Spec {
//!     tasks: 5,
//!     utilization: 0.8,
//!     generator: Generator::UUniFast,
//!     periods: "log-uniform:1ms:1000ms".parse()?,
//!     grain: Duration::from_nanos(1),
//!     deadlines: Deadlines::Implicit,
//! };
//! let mut rng = ChaCha8Rng::seed_from_u64(1);
//! let set = generate::task_set(&spec, &mut rng)?;
//! assert_eq!(set.len(), 5);
//! let u: f64 = set.iter().map(|t| t.utilization()).sum();
//! assert!((u - 0.8).abs() < 1e-5);
//! # Ok::<(), generate::GenerateError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use rand::{Rng, RngExt};

use crate::analysis::Timing;
use crate::time::Duration;

mod periods;
pub mod utilization;

pub use periods::Periods;

/// How many UUniFast draws [`Generator::UUniFastDiscard`] makes before it
/// gives up on a set.
pub const DISCARD_ATTEMPTS: u32 = 100_000;

/// The utilization generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Generator {
    /// Bini & Buttazzo's UUniFast: uniform on `Σ u_i = U`, `u_i >= 0`.
    UUniFast,
    /// UUniFast redrawn until every `u_i <= 1`.
    UUniFastDiscard,
    /// Stafford's RandFixedSum: uniform on `Σ u_i = U`, `0 <= u_i <= 1`.
    RandFixedSum,
}

impl Generator {
    /// Every generator, in the order of the docs.
    pub const ALL: [Generator; 3] = [
        Generator::UUniFast,
        Generator::UUniFastDiscard,
        Generator::RandFixedSum,
    ];

    /// The command-line spelling: `uunifast`, `uunifast-discard`,
    /// `randfixedsum`.
    pub fn as_str(self) -> &'static str {
        match self {
            Generator::UUniFast => "uunifast",
            Generator::UUniFastDiscard => "uunifast-discard",
            Generator::RandFixedSum => "randfixedsum",
        }
    }

    /// `n` utilizations summing to `total`, drawn from `rng`.
    pub fn draw<R: Rng + ?Sized>(
        self,
        n: usize,
        total: f64,
        rng: &mut R,
    ) -> Result<Vec<f64>, GenerateError> {
        check_total(self, n, total)?;
        match self {
            Generator::UUniFast => Ok(utilization::uunifast(n, total, rng)),
            Generator::UUniFastDiscard => utilization::uunifast_discard(n, total, rng),
            Generator::RandFixedSum => Ok(utilization::randfixedsum(n, total, rng)),
        }
    }
}

impl fmt::Display for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Generator {
    type Err = GenerateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Generator::ALL
            .into_iter()
            .find(|g| g.as_str() == s)
            .ok_or_else(|| GenerateError::UnknownGenerator(s.to_string()))
    }
}

/// How relative deadlines are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deadlines {
    /// `D = T`.
    Implicit,
    /// `D` uniform over the whole nanoseconds of `[C, T]`.
    Constrained,
}

impl Deadlines {
    /// The command-line spelling: `implicit` or `constrained`.
    pub fn as_str(self) -> &'static str {
        match self {
            Deadlines::Implicit => "implicit",
            Deadlines::Constrained => "constrained",
        }
    }
}

impl FromStr for Deadlines {
    type Err = GenerateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "implicit" => Ok(Deadlines::Implicit),
            "constrained" => Ok(Deadlines::Constrained),
            other => Err(GenerateError::BadDeadlines(other.to_string())),
        }
    }
}

/// What to draw: one task set.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Number of tasks `n`, at least 1.
    pub tasks: usize,
    /// Target total utilization `U` (a fraction of one CPU, e.g. 0.75;
    /// up to `n` for the generators that cap each task at 1).
    pub utilization: f64,
    /// The utilization generator.
    pub generator: Generator,
    /// The period distribution.
    pub periods: Periods,
    /// Every drawn period is a whole multiple of this (1 ns: no rounding).
    pub grain: Duration,
    /// Implicit or constrained deadlines.
    pub deadlines: Deadlines,
}

/// Why a task set could not be drawn (or a description not parsed).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GenerateError {
    /// A task set needs at least one task.
    #[error("a task set needs at least one task")]
    NoTasks,
    /// The utilization is negative or not a number.
    #[error("utilization {0} is not a number >= 0")]
    BadUtilization(f64),
    /// More utilization than `n` tasks of utilization at most 1 can carry.
    #[error(
        "{generator} cannot give {tasks} tasks a total utilization of {utilization}: \
         each task is at most 1, so the total is at most {tasks}"
    )]
    Infeasible {
        /// The generator.
        generator: Generator,
        /// Number of tasks.
        tasks: usize,
        /// The requested total.
        utilization: f64,
    },
    /// UUniFast-Discard drew [`DISCARD_ATTEMPTS`] sets without one that
    /// fits.
    #[error(
        "uunifast-discard found no set of {tasks} tasks with every utilization <= 1 at U = \
         {utilization} in {DISCARD_ATTEMPTS} draws; use randfixedsum"
    )]
    Discard {
        /// Number of tasks.
        tasks: usize,
        /// The requested total.
        utilization: f64,
    },
    /// An unknown generator name.
    #[error("unknown generator `{0}`; expected uunifast, uunifast-discard or randfixedsum")]
    UnknownGenerator(String),
    /// An unknown deadline kind.
    #[error("unknown deadlines `{0}`; expected implicit or constrained")]
    BadDeadlines(String),
    /// A period description that does not parse or makes no sense.
    #[error("bad periods `{text}`: {reason}")]
    BadPeriods {
        /// The description as given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn check_total(generator: Generator, n: usize, total: f64) -> Result<(), GenerateError> {
    if n == 0 {
        return Err(GenerateError::NoTasks);
    }
    if total.is_nan() || total < 0.0 || total.is_infinite() {
        return Err(GenerateError::BadUtilization(total));
    }
    if generator != Generator::UUniFast && total > n as f64 {
        return Err(GenerateError::Infeasible {
            generator,
            tasks: n,
            utilization: total,
        });
    }
    Ok(())
}

/// The execution time of a task of utilization `u` and period `period`:
/// `u T` rounded down to a whole nanosecond, at least 1 ns.
pub fn wcet(u: f64, period: Duration) -> Duration {
    let c = (u * period.as_nanos() as f64).floor();
    // `as` saturates: a product beyond 2^64 ns becomes u64::MAX.
    Duration::from_nanos((c as u64).max(1))
}

/// Draws one task set as `spec` says (see the module docs for the order of
/// the draws). Tasks are in generation order; `jitter` is zero.
pub fn task_set<R: Rng + ?Sized>(spec: &Spec, rng: &mut R) -> Result<Vec<Timing>, GenerateError> {
    let utilizations = spec.generator.draw(spec.tasks, spec.utilization, rng)?;
    spec.periods.check(spec.grain)?;
    let periods: Vec<Duration> = (0..spec.tasks)
        .map(|_| spec.periods.draw(spec.grain, rng))
        .collect();
    Ok(utilizations
        .iter()
        .zip(periods)
        .map(|(&u, period)| {
            let c = wcet(u, period);
            let deadline = match spec.deadlines {
                Deadlines::Implicit => period,
                Deadlines::Constrained if c < period => {
                    Duration::from_nanos(rng.random_range(c.as_nanos()..=period.as_nanos()))
                }
                Deadlines::Constrained => period,
            };
            Timing::new(c, period, deadline)
        })
        .collect())
}

#[cfg(test)]
mod tests;
