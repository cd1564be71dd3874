//! `rtlab analyze --json` against published results. Each test names its
//! source; times are in the sources' units, written here as milliseconds
//! (or microseconds where the source's numbers are large).

use serde_json::Value;

use crate::util::{Sandbox, config};

/// One task of a test config: name, period, wcet, deadline, priority
/// (0 = derived), in `unit`.
struct T(&'static str, u64, u64, u64, u32);

/// A uniprocessor config over `tasks`; `extra` goes into `[scheduler]`.
fn config_text(name: &str, unit: &str, scheduler: &str, tasks: &[T]) -> String {
    let mut s = format!("name = \"{name}\"\n[platform]\ncpus = [0]\n[scheduler]\n{scheduler}\n");
    for T(n, p, c, d, prio) in tasks {
        s.push_str(&format!(
            "[[task]]\nname = \"{n}\"\nperiod = \"{p}{unit}\"\nwcet = \"{c}{unit}\"\ndeadline = \"{d}{unit}\"\n"
        ));
        if *prio > 0 {
            s.push_str(&format!("priority = {prio}\n"));
        }
    }
    s
}

fn analyze(text: &str) -> Value {
    let sb = Sandbox::new();
    let path = sb.write("set.toml", text);
    let run = sb.rtlab(["analyze".as_ref(), "--json".as_ref(), path.as_os_str()]);
    run.expect_code(0);
    let v = run.json();
    assert_eq!(v["schema"], "rtlab.analysis/v1");
    v
}

fn task<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no task {name} in {v:#}"))
}

fn test<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["tests"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no test {name} in {v:#}"))
}

const MS: u64 = 1_000_000;
const US: u64 = 1_000;

#[track_caller]
fn wcrt(v: &Value, name: &str, expected_ns: u64) {
    assert_eq!(
        task(v, name)["wcrt_ns"],
        expected_ns,
        "WCRT of {name} in {v:#}"
    );
}

/// Burns & Wellings, Real-Time Systems and Programming Languages (4th ed.,
/// ch. 11), the response-time analysis example: R = 3, 6, 20.
#[test]
fn burns_wellings_rta_example() {
    let v = analyze(&config_text(
        "bw-rta",
        "ms",
        "priorities = \"rate-monotonic\"",
        &[
            T("a", 7, 3, 7, 0),
            T("b", 12, 3, 12, 0),
            T("c", 20, 5, 20, 0),
        ],
    ));
    wcrt(&v, "a", 3 * MS);
    wcrt(&v, "b", 6 * MS);
    wcrt(&v, "c", 20 * MS);
    assert_eq!(v["schedulable"], true);
    assert_eq!(
        test(&v, "liu-layland")["schedulable"],
        false,
        "U = 13/14 > 0.780"
    );
}

/// Burns & Wellings, task set A: U = 0.82 fails the utilization test and
/// task a misses: R_a = 52 > D = 50 (the WCRT is reported above the
/// deadline, that is how a user sees by how much).
#[test]
fn burns_wellings_task_set_a_misses() {
    let v = analyze(&config_text(
        "bw-set-a",
        "ms",
        "priorities = \"rate-monotonic\"",
        &[
            T("a", 50, 12, 50, 0),
            T("b", 40, 10, 40, 0),
            T("c", 30, 10, 30, 0),
        ],
    ));
    wcrt(&v, "a", 52 * MS);
    wcrt(&v, "b", 20 * MS);
    wcrt(&v, "c", 10 * MS);
    assert_eq!(task(&v, "a")["schedulable"], false);
    assert_eq!(task(&v, "b")["schedulable"], true);
    assert_eq!(v["schedulable"], false);
    assert_eq!(test(&v, "liu-layland")["schedulable"], false);
    assert_eq!(test(&v, "rta")["schedulable"], false);
}

/// Burns & Wellings, task set C: U = 1 fails Liu & Layland but the harmonic
/// set is schedulable, R = 80, 15, 5.
#[test]
fn burns_wellings_task_set_c_full_utilization() {
    let v = analyze(&config_text(
        "bw-set-c",
        "ms",
        "priorities = \"rate-monotonic\"",
        &[
            T("a", 80, 40, 80, 0),
            T("b", 40, 10, 40, 0),
            T("c", 20, 5, 20, 0),
        ],
    ));
    wcrt(&v, "a", 80 * MS);
    wcrt(&v, "b", 15 * MS);
    wcrt(&v, "c", 5 * MS);
    assert_eq!(v["schedulable"], true);
    assert_eq!(test(&v, "liu-layland")["schedulable"], false);
}

/// Buttazzo, Hard Real-Time Computing Systems (RTA chapter), shipped as
/// configs/rm-textbook.toml: U = 53/60 fails Liu & Layland (0.780) and the
/// hyperbolic bound (13/6 > 2); RTA gives R = 1, 3, 10 and accepts.
#[test]
fn buttazzo_rta_example_is_the_rm_textbook_config() {
    let sb = Sandbox::new();
    let run = sb.rtlab([
        "analyze".as_ref(),
        "--json".as_ref(),
        config("rm-textbook.toml").as_os_str(),
    ]);
    run.expect_code(0);
    let v = run.json();
    wcrt(&v, "t1", MS);
    wcrt(&v, "t2", 3 * MS);
    wcrt(&v, "t3", 10 * MS);
    assert_eq!(test(&v, "liu-layland")["schedulable"], false);
    assert_eq!(test(&v, "hyperbolic")["schedulable"], false);
    assert_eq!(test(&v, "rta")["schedulable"], true);
    assert_eq!(v["schedulable"], true);
}

/// Lehoczky, "Fixed priority scheduling of periodic task sets with arbitrary
/// deadlines", RTSS 1990, example 2: C = 52, T = 100 and 140, D = 1.1 T.
/// Rate-monotonic order: R2 = 156 > 154. Reversed order: tau1's second job
/// is its worst (jobs 104, 108, 60), R1 = 108 <= 110: schedulable, so
/// rate-monotonic is not optimal for deadlines beyond the period.
#[test]
fn lehoczky_1990_example_2_both_priority_orders() {
    let rm = analyze(&config_text(
        "lehoczky-rm",
        "ms",
        "priorities = \"explicit\"",
        &[T("t1", 100, 52, 110, 2), T("t2", 140, 52, 154, 1)],
    ));
    wcrt(&rm, "t1", 52 * MS);
    wcrt(&rm, "t2", 156 * MS);
    assert_eq!(task(&rm, "t2")["schedulable"], false);
    assert_eq!(rm["schedulable"], false);

    let reversed = analyze(&config_text(
        "lehoczky-reversed",
        "ms",
        "priorities = \"explicit\"",
        &[T("t1", 100, 52, 110, 1), T("t2", 140, 52, 154, 2)],
    ));
    wcrt(&reversed, "t1", 108 * MS);
    wcrt(&reversed, "t2", 52 * MS);
    assert_eq!(reversed["schedulable"], true);

    // Audsley's assignment finds the reversed order by itself.
    let audsley = analyze(&config_text(
        "lehoczky-audsley",
        "ms",
        "priorities = \"audsley\"",
        &[T("t1", 100, 52, 110, 0), T("t2", 140, 52, 154, 0)],
    ));
    assert_eq!(audsley["schedulable"], true);
    assert!(task(&audsley, "t2")["priority"].as_u64() > task(&audsley, "t1")["priority"].as_u64());
}

/// Lehoczky 1990, example 3: C = 26, 62 and T = 70, 100 under RM. The
/// level-2 busy period (694) holds 7 jobs of tau2 with responses 114, 102,
/// 116, 104, 118, 106, 94: the worst is the fifth job, R2 = 118.
#[test]
fn lehoczky_1990_example_3_worst_job_is_not_the_first() {
    let v = analyze(&config_text(
        "lehoczky-3",
        "ms",
        "priorities = \"rate-monotonic\"",
        &[T("t1", 70, 26, 70, 0), T("t2", 100, 62, 100, 0)],
    ));
    wcrt(&v, "t1", 26 * MS);
    wcrt(&v, "t2", 118 * MS);
    assert_eq!(task(&v, "t2")["schedulable"], false);
}

/// The hyperbolic bound (Bini, Buttazzo & Buttazzo 2003) accepts what Liu &
/// Layland rejects: (C, T) = (3, 5), (1, 8), (1, 10), U = 0.825 > 0.780,
/// product 99/50 = 1.98 <= 2; and the boundary case (1, 2), (1, 3) whose
/// product is exactly 2 (the test is `<= 2`).
#[test]
fn hyperbolic_bound_accepts_what_liu_layland_rejects() {
    let v = analyze(&config_text(
        "hb",
        "ms",
        "priorities = \"rate-monotonic\"",
        &[T("a", 5, 3, 5, 0), T("b", 8, 1, 8, 0), T("c", 10, 1, 10, 0)],
    ));
    assert_eq!(test(&v, "liu-layland")["schedulable"], false);
    assert_eq!(test(&v, "hyperbolic")["schedulable"], true);
    wcrt(&v, "a", 3 * MS);
    wcrt(&v, "b", 4 * MS);
    wcrt(&v, "c", 5 * MS);

    let edge = analyze(&config_text(
        "hb-edge",
        "ms",
        "priorities = \"rate-monotonic\"",
        &[T("a", 2, 1, 2, 0), T("b", 3, 1, 3, 0)],
    ));
    assert_eq!(test(&edge, "liu-layland")["schedulable"], false);
    assert_eq!(
        test(&edge, "hyperbolic")["schedulable"],
        true,
        "product is exactly 2"
    );
    wcrt(&edge, "b", 2 * MS);
}

/// QPA (Zhang & Burns, IEEE ToC 2009) on the task sets of schedcat's QPA
/// tests (times in microseconds): schedulable, and unschedulable once
/// (10, 100, 15) is added (the demand at 19 900 is 19 902).
#[test]
fn qpa_schedcat_sets() {
    let base = [
        T("t1", 31000, 6000, 18000, 0),
        T("t2", 9800, 2000, 9000, 0),
        T("t3", 17000, 1000, 12000, 0),
        T("t4", 4200, 90, 3000, 0),
        T("t5", 96, 8, 78, 0),
        T("t6", 12, 2, 16, 0),
        T("t7", 280, 10, 120, 0),
        T("t8", 660, 26, 160, 0),
    ];
    let v = analyze(&config_text("qpa-ok", "us", "policy = \"edf\"", &base));
    assert_eq!(test(&v, "edf-demand")["schedulable"], true, "{v:#}");
    assert_eq!(v["schedulable"], true);

    let mut more: Vec<T> = base.into_iter().collect();
    more.push(T("t9", 100, 10, 15, 0));
    let v = analyze(&config_text("qpa-miss", "us", "policy = \"edf\"", &more));
    assert_eq!(test(&v, "edf-demand")["schedulable"], false, "{v:#}");
    assert_eq!(v["schedulable"], false);
    let _ = US;
}

/// A lecture example of Zhang & Burns' processor-demand analysis (C, T, D) =
/// (1, 3, 2), (2, 5, 4), (3, 14, 12): U = 0.948, L = 14, schedulable; and
/// (2, 6, 5), (2, 8, 4), (4, 12, 8), schedulable under EDF with demand equal
/// to the interval at 8, 12 and 20, but not under deadline-monotonic
/// priorities (R3 = 12 > 8).
#[test]
fn edf_demand_lecture_examples() {
    let v = analyze(&config_text(
        "qpa-lecture",
        "ms",
        "policy = \"edf\"",
        &[T("a", 3, 1, 2, 0), T("b", 5, 2, 4, 0), T("c", 14, 3, 12, 0)],
    ));
    assert_eq!(v["schedulable"], true);

    let tight = [T("a", 6, 2, 5, 0), T("b", 8, 2, 4, 0), T("c", 12, 4, 8, 0)];
    let v = analyze(&config_text("edf-tight", "ms", "policy = \"edf\"", &tight));
    assert_eq!(v["schedulable"], true);
    let v = analyze(&config_text(
        "dm-tight",
        "ms",
        "priorities = \"deadline-monotonic\"",
        &tight,
    ));
    assert_eq!(v["schedulable"], false);
    wcrt(&v, "c", 12 * MS);
}

/// The human table names the failing task and by how much.
#[test]
fn table_says_which_task_misses_and_by_how_much() {
    let sb = Sandbox::new();
    let path = sb.write(
        "a.toml",
        config_text(
            "bw-set-a",
            "ms",
            "priorities = \"rate-monotonic\"",
            &[
                T("a", 50, 12, 50, 0),
                T("b", 40, 10, 40, 0),
                T("c", 30, 10, 30, 0),
            ],
        ),
    );
    let run = sb.rtlab(["analyze".as_ref(), path.as_os_str()]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("a: misses (proven): job 1 (released at 0ns; `b`, `c` released with it")
            && run.stdout.contains(
                "completes at least 52ms after its release > D = 50ms (late by at least 2ms)"
            ),
        "{}",
        run.stdout
    );
    let run = sb.rtlab([
        "analyze".as_ref(),
        "--fail-on-miss".as_ref(),
        path.as_os_str(),
    ]);
    run.expect_code(3);
}
