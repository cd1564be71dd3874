use rtlab_sim::sweep::{Test, check, set_rng};
use rtlab_tasks::generate::{self, Deadlines, Generator, Spec};
use rtlab_tasks::time::Duration;
fn main() {
    let spec = Spec {
        tasks: 10,
        utilization: 0.85,
        generator: Generator::UUniFast,
        periods: "log-uniform:1ms:1000ms".parse().unwrap(),
        grain: Duration::from_nanos(1),
        deadlines: Deadlines::Implicit,
    };
    let sets: Vec<_> = (0..64)
        .map(|i| generate::task_set(&spec, &mut set_rng(1, 850_000, i)).unwrap())
        .collect();
    for test in [Test::SimFp, Test::SimEdf] {
        let t = std::time::Instant::now();
        let mut n = 0;
        let mut ok = 0;
        while t.elapsed().as_secs_f64() < 2.0 {
            for s in &sets {
                if check(test, s, 1, None) == rtlab_sim::sweep::Verdict::Schedulable {
                    ok += 1;
                }
                n += 1;
            }
        }
        println!(
            "{:?}: {:.0} sets/s ({ok}/{n})",
            test,
            n as f64 / t.elapsed().as_secs_f64()
        );
    }
}
