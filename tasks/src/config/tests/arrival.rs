//! `arrival`: the sporadic and Poisson models, their period, and every
//! mistake located at the key to change.

use super::*;
use crate::model::Arrival;
use crate::time::Duration;

const SPORADIC: &str = "name = \"x\"\n[[task]]\nname = \"a\"\nwcet = \"1ms\"\n\
                        arrival = { model = \"sporadic\", min = \"5ms\", max = \"20ms\" }\n";

fn ms(v: u64) -> Duration {
    Duration::from_millis(v).unwrap()
}

#[test]
fn a_sporadic_task_takes_its_minimum_gap_as_period_and_deadline() {
    let t = &load_str(SPORADIC, "s.toml").unwrap().system.tasks[0];
    assert_eq!(
        t.arrival,
        Arrival::Sporadic {
            min: ms(5),
            max: ms(20)
        }
    );
    assert_eq!((t.period, t.deadline), (ms(5), ms(5)));
}

#[test]
fn a_poisson_task_and_a_written_period_equal_to_min_load() {
    let text = "name = \"x\"\n[[task]]\nname = \"a\"\nperiod = \"1ms\"\nwcet = \"0.5ms\"\n\
                deadline = \"8ms\"\narrival = { model = \"poisson\", mean = \"10ms\", min = \"1ms\" }\n";
    let t = &load_str(text, "p.toml").unwrap().system.tasks[0];
    assert_eq!(
        t.arrival,
        Arrival::Poisson {
            mean: ms(10),
            min: ms(1)
        }
    );
    assert_eq!((t.period, t.deadline), (ms(1), ms(8)));
    let periodic = MIN.replace("wcet", "arrival = { model = \"periodic\" }\nwcet");
    let t = &load_str(&periodic, "q.toml").unwrap().system.tasks[0];
    assert_eq!((t.arrival, t.period), (Arrival::Periodic, ms(4)));
}

#[test]
fn min_above_max_is_located_at_min_with_a_hint() {
    let text = SPORADIC.replace("\"5ms\"", "\"30ms\"");
    let p = problems(&text);
    assert_eq!(p.len(), 1, "{p:?}");
    has(
        &p,
        "t.toml:5:39: error: `min` (30ms) must not exceed max (20ms)",
    );
    has(&p, "swap them, or raise max");
}

#[test]
fn a_period_other_than_min_is_located_at_the_period() {
    let text = SPORADIC.replace("wcet", "period = \"10ms\"\nwcet");
    let p = problems(&text);
    has(
        &p,
        "t.toml:4:10: error: `period` (10ms) differs from the arrival model's min (5ms)",
    );
    has(&p, "remove `period`");
}

#[test]
fn a_missing_time_a_foreign_key_and_an_unknown_model_are_located() {
    let p = problems(&SPORADIC.replace(", max = \"20ms\"", ""));
    has(&p, "missing required key `max`");
    has(&p, "the sporadic model needs min and max");
    let p = problems(&SPORADIC.replace("max = \"20ms\"", "max = \"20ms\", mean = \"9ms\""));
    has(&p, "`mean` does not apply to the sporadic arrival model");
    let p = problems(&SPORADIC.replace("\"sporadic\"", "\"exponential\""));
    has(&p, "poisson");
    let p = problems(&SPORADIC.replace("\"5ms\"", "\"0ms\""));
    has(&p, "`min` must be greater than 0");
    // Without its times the model gives no period: only they are missing.
    let p = problems(&SPORADIC.replace(", min = \"5ms\", max = \"20ms\"", ""));
    has(&p, "missing required key `min`");
    assert!(!p.iter().any(|l| l.contains("`period`")), "{p:?}");
    // A periodic model needs a period.
    let p = problems(
        &SPORADIC
            .replace(", min = \"5ms\", max = \"20ms\"", "")
            .replace("sporadic", "periodic"),
    );
    has(&p, "missing required key `period`");
}

#[test]
fn poisson_min_above_mean_is_an_error() {
    let text = "name = \"x\"\n[[task]]\nname = \"a\"\nwcet = \"1ms\"\n\
                arrival = { model = \"poisson\", mean = \"1ms\", min = \"2ms\" }\n";
    let p = problems(text);
    has(&p, "`min` (2ms) must not exceed mean (1ms)");
}

#[test]
fn a_variant_can_make_a_task_sporadic() {
    let text = format!(
        "{MIN}[[variant]]\nname = \"s\"\nset = {{ \"task.a.arrival\" = \
         {{ model = \"sporadic\", min = \"4ms\", max = \"8ms\" }} }}\n"
    );
    let l = load_str(&text, "v.toml").unwrap();
    assert!(l.system.tasks[0].arrival.is_periodic());
    assert_eq!(
        l.variants[0].system.tasks[0].arrival,
        Arrival::Sporadic {
            min: ms(4),
            max: ms(8)
        }
    );
}
