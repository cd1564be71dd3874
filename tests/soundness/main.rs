//! The differential soundness harness: random configs mixing every
//! scheduling feature, each analysed and simulated; whatever the analysis
//! claims must hold in every simulation (see `check.rs` for the
//! properties).
//!
//! Environment:
//!
//! - `RTLAB_SOUNDNESS_CASES` (or `PROPTEST_CASES`): configs to check
//!   (default [`DEFAULT_CASES`], a few seconds in a debug build);
//! - `RTLAB_SOUNDNESS_SEED`: the generator's seed, a number or `random`
//!   (default a fixed seed, so a plain `cargo test` is reproducible);
//! - `RTLAB_SOUNDNESS_PROPERTIES`: a comma-separated subset of
//!   `soundness,bounds,exactness,consistency` (default `all`), to look
//!   past one known class of counterexample (empty: check nothing, which
//!   measures what generating, analysing and simulating cost).
//!
//! A failure prints the shrunk counterexample: the config as a file, the
//! analysis, and the simulation that contradicts it. Run with
//! `-- --nocapture` to see the counts of a passing run.

// A test binary: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod check;
mod generate;
mod observe;
mod report;

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

use check::{Checked, Properties};

/// Configs checked by a plain `cargo test`.
const DEFAULT_CASES: u32 = 1000;

/// The generator's seed when `RTLAB_SOUNDNESS_SEED` is not set.
const DEFAULT_SEED: u64 = 9;

/// The loader may reject at most this share of generated configs (in
/// percent): more means the generator no longer makes valid configs and
/// the harness checks little.
const MAX_REJECTED_PCT: u64 = 5;

thread_local! {
    /// Whether this thread is inside [`check::check`].
    static CHECKING: Cell<bool> = const { Cell::new(false) };
    /// The last panic of the checked code (where and why), as the panic
    /// hook saw it: `catch_unwind` gives the payload, not the location.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Installs a panic hook that records the panics of checked code instead
/// of printing them (shrinking would print hundreds), and leaves every
/// other panic, such as another test's, to the previous hook.
fn record_panics_of_checked_code() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if CHECKING.get() {
            LAST_PANIC.set(info.to_string());
        } else {
            previous(info);
        }
    }));
}

/// [`check::check`], with a panic turned into a counterexample.
fn check_catching_panics(spec: &generate::Spec, props: Properties) -> Result<Checked, String> {
    CHECKING.set(true);
    let checked = catch_unwind(AssertUnwindSafe(|| check::check(spec, props)));
    CHECKING.set(false);
    match checked {
        Ok(Ok(checked)) => Ok(checked),
        Ok(Err(failure)) => Err(report::render(&failure)),
        Err(_) => Err(report::render_panic(spec, &LAST_PANIC.take())),
    }
}

/// Counts over a run: every config checked, shrinking steps included;
/// the other counts are of configs that passed.
#[derive(Debug, Default)]
struct Tally {
    configs: u64,
    rejected: u64,
    first_rejection: Option<String>,
    verdicts: [u64; 3],
    sims: u64,
    exactness_checked: u64,
    chain_bounds: u64,
    missing_witnesses: u64,
    first_missing_witness: Option<String>,
}

impl Tally {
    fn add(&mut self, checked: &Checked, toml: impl FnOnce() -> String) {
        match checked {
            Checked::Rejected(why) => {
                self.rejected += 1;
                self.first_rejection
                    .get_or_insert_with(|| format!("{why}\n{}", toml()));
            }
            Checked::Passed(p) => {
                let slot = match p.verdict {
                    Some(true) => 0,
                    Some(false) => 1,
                    None => 2,
                };
                self.verdicts[slot] += 1;
                self.sims += p.sims;
                self.exactness_checked += u64::from(p.exactness_checked);
                self.chain_bounds += p.chain_bounds;
                if !p.missing_witnesses.is_empty() {
                    self.missing_witnesses += 1;
                    self.first_missing_witness.get_or_insert_with(|| {
                        format!("tasks {}:\n{}", p.missing_witnesses.join(", "), toml())
                    });
                }
            }
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, not {v:?}")),
    )
}

fn runner_config() -> (Config, String) {
    let cases = env_u64("RTLAB_SOUNDNESS_CASES")
        .or_else(|| env_u64("PROPTEST_CASES"))
        .map_or(DEFAULT_CASES, |c| u32::try_from(c).unwrap_or(u32::MAX));
    let seed = match std::env::var("RTLAB_SOUNDNESS_SEED").ok().as_deref() {
        Some("random") => RngSeed::Random,
        Some(_) => RngSeed::Fixed(env_u64("RTLAB_SOUNDNESS_SEED").unwrap()),
        None => RngSeed::Fixed(DEFAULT_SEED),
    };
    let shown = match seed {
        RngSeed::Random => "random".to_string(),
        RngSeed::Fixed(s) => s.to_string(),
    };
    let config = Config {
        cases,
        rng_seed: seed,
        // Counterexamples are printed as configs; a regressions file of
        // proptest seeds would be replayed against a changed generator.
        failure_persistence: None,
        ..Config::default()
    };
    (config, shown)
}

fn properties() -> Properties {
    match std::env::var("RTLAB_SOUNDNESS_PROPERTIES") {
        Ok(list) => Properties::parse(&list).unwrap(),
        Err(_) => Properties::ALL,
    }
}

/// Whatever the analysis claims (an accepted set, an accepted task and its
/// response-time bound, a proven miss) holds in every simulation of every
/// random config.
#[test]
fn analysis_claims_hold_in_simulation() {
    let (config, seed) = runner_config();
    let cases = config.cases;
    let props = properties();
    let tally = RefCell::new(Tally::default());
    let started = Instant::now();
    record_panics_of_checked_code();
    let mut runner = TestRunner::new(config);
    let result = runner.run(&generate::spec(), |spec| {
        let checked = check_catching_panics(&spec, props);
        let mut tally = tally.borrow_mut();
        tally.configs += 1;
        match checked {
            Ok(checked) => {
                tally.add(&checked, || spec.toml(1, 1));
                Ok(())
            }
            Err(report) => Err(TestCaseError::fail(report)),
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let t = tally.into_inner();
    println!(
        "soundness: {} configs checked (seed {seed}, {cases} cases), {} rejected by the loader; \
         verdicts schedulable/not/unknown {}/{}/{}; {} simulations; {} exactness checks; \
         {} chain bounds checked; {:.1}s, {:.0} configs/s",
        t.configs,
        t.rejected,
        t.verdicts[0],
        t.verdicts[1],
        t.verdicts[2],
        t.sims,
        t.exactness_checked,
        t.chain_bounds,
        secs,
        t.configs as f64 / secs.max(1e-9),
    );
    if let Some(first) = &t.first_missing_witness {
        println!(
            "soundness: {} configs prove a miss without a witness; the first, {first}",
            t.missing_witnesses
        );
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, _)) => panic!("{why}"),
        Err(TestError::Abort(why)) => panic!("proptest aborted: {why}"),
    }
    assert!(
        t.rejected * 100 <= t.configs * MAX_REJECTED_PCT,
        "the loader rejected {} of {} generated configs; the first: {}",
        t.rejected,
        t.configs,
        t.first_rejection.unwrap_or_default()
    );
}
