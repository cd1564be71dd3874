use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::utilization::{randfixedsum, uunifast, uunifast_discard};
use super::*;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v).unwrap()
}

/// Kolmogorov-Smirnov statistic of `sample` against the CDF `f`.
fn ks_one(sample: &mut [f64], f: impl Fn(f64) -> f64) -> f64 {
    sample.sort_by(f64::total_cmp);
    let n = sample.len() as f64;
    sample
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let fx = f(x);
            (fx - i as f64 / n)
                .abs()
                .max(((i + 1) as f64 / n - fx).abs())
        })
        .fold(0.0, f64::max)
}

/// Two-sample Kolmogorov-Smirnov statistic.
fn ks_two(a: &mut [f64], b: &mut [f64]) -> f64 {
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0_f64);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            i += 1;
        } else {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

/// The KS critical value at significance 0.001 (Smirnov's asymptotic
/// c(α) = sqrt(-ln(α/2) / 2) = 1.949) for sample sizes `n` and `m`.
fn ks_critical(n: usize, m: Option<usize>) -> f64 {
    let c = (-(0.001_f64 / 2.0).ln() / 2.0).sqrt();
    match m {
        None => c / (n as f64).sqrt(),
        Some(m) => c * ((n + m) as f64 / (n * m) as f64).sqrt(),
    }
}

/// Marginal CDF of one coordinate of the uniform distribution on the
/// simplex `{u >= 0, Σ u = total}` in `n` dimensions: `1 - (1 - x/U)^(n-1)`.
fn simplex_marginal(n: usize, total: f64) -> impl Fn(f64) -> f64 {
    move |x| 1.0 - (1.0 - (x / total).clamp(0.0, 1.0)).powi(n as i32 - 1)
}

#[test]
fn uunifast_marginal_is_the_simplex_marginal() {
    let (n, total, sets) = (5, 0.8, 4000);
    let mut r = rng(1);
    for coordinate in [0, 4] {
        let mut xs: Vec<f64> = (0..sets)
            .map(|_| uunifast(n, total, &mut r)[coordinate])
            .collect();
        let d = ks_one(&mut xs, simplex_marginal(n, total));
        assert!(
            d < ks_critical(sets, None),
            "coordinate {coordinate}: D = {d}"
        );
    }
}

#[test]
fn randfixedsum_matches_uunifast_below_one() {
    // For U <= 1 the bound u_i <= 1 is inactive: RandFixedSum must be the
    // same uniform simplex distribution as UUniFast, coordinate by
    // coordinate.
    for (n, total) in [(5, 0.8), (10, 1.0), (3, 0.35)] {
        let sets = 4000;
        let mut r = rng(2);
        for coordinate in [0, n - 1] {
            let mut xs: Vec<f64> = (0..sets)
                .map(|_| randfixedsum(n, total, &mut r)[coordinate])
                .collect();
            let d = ks_one(&mut xs, simplex_marginal(n, total));
            assert!(
                d < ks_critical(sets, None),
                "n = {n}, U = {total}, coordinate {coordinate}: D = {d}"
            );
            let mut ys: Vec<f64> = (0..sets)
                .map(|_| uunifast(n, total, &mut r)[coordinate])
                .collect();
            let d2 = ks_two(&mut xs, &mut ys);
            assert!(d2 < ks_critical(sets, Some(sets)), "two-sample D = {d2}");
        }
    }
}

#[test]
fn randfixedsum_matches_uunifast_discard_above_one() {
    // Both are uniform on {0 <= u_i <= 1, Σ u_i = U}: the marginals agree.
    let (n, total, sets) = (4, 2.6, 3000);
    let mut r = rng(3);
    let mut a: Vec<f64> = (0..sets)
        .map(|_| randfixedsum(n, total, &mut r)[1])
        .collect();
    let mut b: Vec<f64> = (0..sets)
        .map(|_| uunifast_discard(n, total, &mut r).unwrap()[1])
        .collect();
    let d = ks_two(&mut a, &mut b);
    assert!(d < ks_critical(sets, Some(sets)), "D = {d}");
    // The mean of each coordinate is U / n by symmetry.
    let mean = a.iter().sum::<f64>() / sets as f64;
    assert!((mean - total / n as f64).abs() < 0.02, "mean {mean}");
}

#[test]
fn randfixedsum_stays_in_the_box_and_keeps_the_sum() {
    let mut r = rng(4);
    for n in [1, 2, 3, 7, 16] {
        for total in [
            0.0,
            0.3,
            1.0,
            1.7,
            n as f64 / 2.0,
            n as f64 - 0.01,
            n as f64,
        ] {
            if total > n as f64 {
                continue;
            }
            for _ in 0..200 {
                let u = randfixedsum(n, total, &mut r);
                assert_eq!(u.len(), n);
                assert!(u.iter().all(|&x| (0.0..=1.0).contains(&x)), "{u:?}");
                let sum: f64 = u.iter().sum();
                assert!((sum - total).abs() < 1e-9, "n = {n}, U = {total}: {sum}");
            }
        }
    }
}

#[test]
fn generators_check_their_input() {
    let mut r = rng(5);
    assert_eq!(
        Generator::UUniFast.draw(0, 0.5, &mut r),
        Err(GenerateError::NoTasks)
    );
    assert!(matches!(
        Generator::RandFixedSum.draw(2, 2.5, &mut r),
        Err(GenerateError::Infeasible { .. })
    ));
    assert!(matches!(
        Generator::UUniFast.draw(2, f64::NAN, &mut r),
        Err(GenerateError::BadUtilization(_))
    ));
    // UUniFast alone may exceed 1 per task.
    assert!(Generator::UUniFast.draw(2, 2.5, &mut r).is_ok());
    // Near U = n, discarding is hopeless: a clear error, not a hang.
    let err = Generator::UUniFastDiscard.draw(8, 7.9, &mut r).unwrap_err();
    assert!(err.to_string().contains("use randfixedsum"), "{err}");
    assert_eq!("randfixedsum".parse(), Ok(Generator::RandFixedSum));
    assert!("uunifast-discrad".parse::<Generator>().is_err());
}

#[test]
fn periods_parse_and_print_back() {
    for text in [
        "log-uniform:1ms:1s",
        "uniform:10ms:100ms",
        "set:10ms,20ms,50ms",
    ] {
        let p: Periods = text.parse().unwrap();
        assert_eq!(p.to_string(), text);
    }
    for bad in [
        "log-uniform:5ms",
        "uniform:10ms",
        "normal:1ms:2ms",
        "log-uniform:0ms:5ms",
        "uniform:9ms:5ms",
        "set:",
        "log-uniform:1:5ms",
        "1ms",
    ] {
        let err = bad.parse::<Periods>().unwrap_err();
        assert!(err.to_string().contains(bad), "{bad}: {err}");
    }
}

#[test]
fn periods_stay_in_range_on_the_grain() {
    let mut r = rng(6);
    let grain = ms(1);
    for p in [
        Periods::LogUniform {
            min: ms(1),
            max: ms(1000),
        },
        Periods::Uniform {
            min: ms(10),
            max: ms(100),
        },
    ] {
        let draws: Vec<Duration> = (0..5000).map(|_| p.draw(grain, &mut r)).collect();
        let (lo, hi) = match p {
            Periods::LogUniform { min, max } | Periods::Uniform { min, max } => (min, max),
            Periods::Set(_) => unreachable!(),
        };
        assert!(draws.iter().all(|&d| lo <= d && d <= hi));
        assert!(draws.iter().all(|d| d.as_nanos() % grain.as_nanos() == 0));
        // Both ends are reachable.
        assert!(draws.contains(&lo) && draws.contains(&hi), "{p}");
    }
    // Log-uniform: about a third of the draws in each decade of 1..1000 ms.
    let p = Periods::LogUniform {
        min: ms(1),
        max: ms(1000),
    };
    let one_ns = Duration::from_nanos(1);
    let below_10ms = (0..6000)
        .filter(|_| p.draw(one_ns, &mut r) < ms(10))
        .count();
    assert!((1800..2200).contains(&below_10ms), "{below_10ms}");
    // A set: only its members.
    let set = Periods::Set(vec![ms(10), ms(20), ms(50)]);
    assert!((0..100).all(|_| [ms(10), ms(20), ms(50)].contains(&set.draw(grain, &mut r))));
    assert!(
        Periods::Uniform {
            min: Duration::from_micros(1500).unwrap(),
            max: ms(3)
        }
        .check(grain)
        .is_err()
    );
}

#[test]
fn wcet_rounds_down_to_a_nanosecond_and_is_never_zero() {
    assert_eq!(wcet(0.5, Duration::from_nanos(3)).as_nanos(), 1);
    assert_eq!(wcet(0.25, Duration::from_nanos(6)).as_nanos(), 1);
    assert_eq!(wcet(0.0, ms(10)).as_nanos(), 1);
    assert_eq!(wcet(0.1234567, ms(1)).as_nanos(), 123_456);
    assert_eq!(wcet(1.0, ms(7)), ms(7));
}

#[test]
fn task_sets_follow_the_spec_and_the_seed() {
    let spec = Spec {
        tasks: 10,
        utilization: 0.9,
        generator: Generator::UUniFast,
        periods: "log-uniform:1ms:1000ms".parse().unwrap(),
        grain: Duration::from_nanos(1),
        deadlines: Deadlines::Constrained,
    };
    let a = task_set(&spec, &mut rng(7)).unwrap();
    let b = task_set(&spec, &mut rng(7)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, task_set(&spec, &mut rng(8)).unwrap());
    for t in &a {
        assert!(t.wcet <= t.deadline && t.deadline <= t.period, "{t:?}");
    }
    let u: f64 = a.iter().map(Timing::utilization).sum();
    assert!(u <= 0.9 && u > 0.9 - 10.0 / 1e6, "{u}");
    let implicit = Spec {
        deadlines: Deadlines::Implicit,
        ..spec
    };
    assert!(
        task_set(&implicit, &mut rng(7))
            .unwrap()
            .iter()
            .all(|t| t.deadline == t.period)
    );
}
