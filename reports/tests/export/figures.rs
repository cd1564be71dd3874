//! `figures::all` on hand-made runs: which figures a report gets, their
//! stable file stems, captions that say what to look at, and the same
//! bytes for the same runs.

use std::fs;
use std::path::PathBuf;

use rtlab_reports::figures::{Section, all};
use rtlab_reports::run::RunView;
use rtlab_tasks::model::SystemBuilder;
use rtlab_tasks::outcome::window::{AroundMiss, WINDOW_SCHEMA, Window, WindowEvent};
use rtlab_tasks::outcome::{
    CpuOutcome, Engine, Environment, Miss, MissKind, Outcome, RESULT_SCHEMA, TaskOutcome,
    TaskPrediction, TaskStats,
};
use rtlab_tasks::time::Duration;

/// A task of `period_ms` (deadline = period, WCET a tenth) with the
/// given response times and release jitter, in ns.
fn task(name: &str, period_ms: u64, responses: &[u64], jitter: &[u64]) -> TaskOutcome {
    let period = Duration::from_millis(period_ms).expect("a small period");
    let system = SystemBuilder::new("pair")
        .task(name, period, Duration::from_nanos(period.as_nanos() / 10))
        .build();
    let deadline = period.as_nanos();
    let mut stats = TaskStats::default();
    for &r in responses {
        stats.jobs += 1;
        stats.complete(r, r as i64 - deadline as i64);
    }
    for &j in jitter {
        stats.release_jitter.record(j);
    }
    if let Some(&worst) = responses.iter().max().filter(|&&w| w > deadline) {
        stats.keep_miss(Miss {
            job: 0,
            release_ns: 0,
            deadline_ns: deadline,
            finish_ns: Some(worst),
            lateness_ns: worst - deadline,
            kind: MissKind::Late,
            release_jitter_ns: 0,
            waited_for: Vec::new(),
            blocked_on: Vec::new(),
            queued_ns: 0,
            executed_ns: worst,
            interference: Vec::new(),
            unexplained_ns: 0,
        });
    }
    let prediction = TaskPrediction {
        wcrt_ns: Some(deadline / 2),
        schedulable: Some(true),
        witness: None,
        exceeded_ns: None,
    };
    stats.into_outcome(&system.tasks[0], prediction)
}

fn run(engine: Engine, late: bool) -> RunView {
    let jitter: Vec<u64> = match engine {
        Engine::Live => (0..50).map(|i| 10_000 + i * 700).collect(),
        Engine::Simulation => vec![0; 50],
    };
    let fast: Vec<u64> = (0..50)
        .map(|i| 1_000_000 + i * 20_000 + if late && i == 7 { 12_000_000 } else { 0 })
        .collect();
    let slow: Vec<u64> = (0..10).map(|i| 20_000_000 + i * 100_000).collect();
    let outcome = Outcome {
        schema: RESULT_SCHEMA.into(),
        engine,
        config: serde_json::json!({ "name": "pair" }),
        variant: None,
        seed: 1,
        environment: Environment::default(),
        started_at: None,
        duration_ns: 500_000_000,
        interrupted: false,
        tasks: vec![
            task("fast", 10, &fast, &jitter),
            task("slow", 50, &slow, &jitter[..10]),
        ],
        cpus: vec![CpuOutcome {
            id: 1,
            busy_ratio: 0.5,
            busy_ns: 250_000_000,
            usage: None,
        }],
        resources: Vec::new(),
        trace: None,
        deadlock: None,
        chains: Vec::new(),
    };
    let ev = |t, task, job, kind: &str| WindowEvent {
        t,
        task,
        job,
        cpu: Some(1),
        kind: kind.into(),
        resource: None,
    };
    let window = Window {
        schema: WINDOW_SCHEMA.into(),
        end_ns: 100_000_000,
        truncated: false,
        tasks: vec!["fast".into(), "slow".into()],
        resources: Vec::new(),
        deadlines_ns: vec![10_000_000, 50_000_000],
        events: vec![
            ev(0, 0, 0, "release"),
            ev(0, 1, 0, "release"),
            ev(0, 1, 0, "start"),
            ev(20_000_000, 1, 0, "complete"),
            ev(20_000_000, 0, 0, "start"),
            ev(21_000_000, 0, 0, "complete"),
            ev(10_000_000, 0, 0, "miss"),
        ],
        around_misses: Vec::new(),
    };
    let label = match engine {
        Engine::Live => "pair · live",
        Engine::Simulation => "pair · simulation",
    };
    RunView {
        label: label.into(),
        dir: PathBuf::from("."),
        outcome,
        window: Some(window),
    }
}

#[test]
fn every_figure_that_applies_is_drawn_with_stable_stems() {
    let dir = tempfile::tempdir().unwrap();
    let runs = [run(Engine::Simulation, true), run(Engine::Live, false)];
    let figures = all(&runs, dir.path()).unwrap();
    let ids: Vec<&str> = figures.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "response-vs-deadline",
            "misses",
            "gantt-1",
            "gantt-2",
            "response-percentiles",
            "latency-1-response-time",
            "latency-2-response-time",
            // The simulation has no release jitter: no plot of zeros.
            "latency-2-release-jitter",
            "utilization",
            // Two runs: side by side, a row per task, a column per run
            // (no start delay recorded: no figure of it).
            "side-by-side-response",
            "side-by-side-misses",
            "side-by-side-release-jitter",
        ]
    );
    for f in &figures {
        let side = f.id.starts_with("side-by-side-");
        assert_eq!(f.section == Section::Comparison, side, "{}", f.id);
    }
    let side = fs::read_to_string(&figures[9].files.svg).unwrap();
    for text in [
        "simulation",
        "live",
        "✘ 1 miss, worst +3.14 ms",
        "✔ all deadlines met",
    ] {
        assert!(side.contains(text), "side by side lacks {text}");
    }
    assert!(
        figures[9]
            .caption
            .contains("one row per task, one column per configuration")
    );
    for f in &figures {
        assert!(
            fs::metadata(&f.files.png).unwrap().len() > 5_000,
            "{}",
            f.id
        );
        let svg = fs::read_to_string(&f.files.svg).unwrap();
        assert!(svg.contains(&f.title), "{}: title", f.id);
        assert!(!f.caption.is_empty());
    }
    let rvd = &figures[0];
    assert!(
        rvd.caption
            .contains("`fast` took 13.1 ms against a 10.0 ms deadline")
    );
    assert!(
        rvd.caption
            .contains("1 = pair · simulation; 2 = pair · live")
    );
    assert!(figures[2].caption.starts_with("Shows the first"));
    assert!(
        figures[2]
            .caption
            .contains("`fast` job 0, deadline 10.0 ms")
    );
    // Both runs have the same tasks: the live timeline shows the same
    // stretch as the simulated one with the miss.
    assert!(
        figures[3]
            .caption
            .contains("the same stretch as the timeline of run 1")
    );
    // Same runs, same bytes.
    let again = tempfile::tempdir().unwrap();
    for (a, b) in figures.iter().zip(all(&runs, again.path()).unwrap()) {
        assert_eq!(
            fs::read(&a.files.svg).unwrap(),
            fs::read(&b.files.svg).unwrap()
        );
        assert_eq!(
            fs::read(&a.files.png).unwrap(),
            fs::read(&b.files.png).unwrap()
        );
    }
}

#[test]
fn a_late_miss_gets_its_own_timeline_labelled_with_its_time_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = run(Engine::Simulation, false);
    let ev = |t, job, kind: &str| WindowEvent {
        t,
        task: 0,
        job,
        cpu: Some(1),
        kind: kind.into(),
        resource: None,
    };
    let ms = 1_000_000;
    if let Some(w) = r.window.as_mut() {
        // Nothing missed in the first window; `fast` job 45 (released at
        // 450 ms) misses its 460 ms deadline by 2 ms, late in the run.
        w.events.retain(|e| e.kind != "miss");
        w.around_misses = vec![AroundMiss {
            task: 0,
            job: 45,
            deadline_ns: 460 * ms,
            lateness_ns: 2 * ms,
            start_ns: 430 * ms,
            end_ns: 470 * ms,
            truncated: false,
            events: vec![
                ev(440 * ms, 44, "release"),
                ev(440 * ms, 44, "start"),
                ev(441 * ms, 44, "complete"),
                ev(450 * ms, 45, "release"),
                ev(450 * ms, 45, "start"),
                ev(462 * ms, 45, "complete"),
                ev(460 * ms, 45, "miss"),
            ],
        }];
    }
    let figures = all(&[r], dir.path()).unwrap();
    let ids: Vec<&str> = figures.iter().map(|f| f.id.as_str()).collect();
    assert!(
        ids.contains(&"gantt-1") && ids.contains(&"gantt-1-miss-1"),
        "{ids:?}"
    );
    let first = figures.iter().find(|f| f.id == "gantt-1").unwrap();
    assert!(
        first
            .caption
            .contains("no deadline missed in it (the run's misses come later"),
        "{}",
        first.caption
    );
    let late = figures.iter().find(|f| f.id == "gantt-1-miss-1").unwrap();
    assert!(
        late.caption
            .starts_with("t = 440–463 ms, around `fast`'s worst miss (job 45, 2.00 ms late)."),
        "{}",
        late.caption
    );
    assert_eq!(late.title, "Timeline, t = 440–463 ms: pair · simulation");
    let svg = fs::read_to_string(&late.files.svg).unwrap();
    assert!(svg.contains("t = 440–463 ms"));
    assert!(fs::metadata(&late.files.png).unwrap().len() > 5_000);
}

#[test]
fn empty_metrics_and_windows_still_draw() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = run(Engine::Live, false);
    r.outcome.tasks = vec![task("idle", 10, &[], &[])];
    r.outcome.cpus.clear();
    if let Some(w) = r.window.as_mut() {
        w.events.clear();
        w.tasks = vec!["idle".into()];
        w.deadlines_ns = vec![10_000_000];
    }
    let mut bare = run(Engine::Simulation, false);
    bare.window = None;
    bare.outcome.tasks.clear();
    let figures = all(&[r, bare], dir.path()).unwrap();
    assert!(figures.iter().any(|f| f.id == "gantt-1"));
    assert!(!figures.iter().any(|f| f.id == "gantt-2"));
    let svg = fs::read_to_string(dir.path().join("latency-1-response-time.svg")).unwrap();
    assert!(svg.contains("no samples"));
}

#[test]
fn no_runs_no_figures() {
    let dir = tempfile::tempdir().unwrap();
    assert!(all(&[], dir.path()).unwrap().is_empty());
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}
