//! Unit tests of the trace writer: hand-built event sequences, parsed back.

use std::collections::BTreeMap;

use rtlab_tasks::model::{CpuId, Placement, ResourceId, SystemBuilder, TaskId};
use rtlab_tasks::outcome::trace::EventKind;
use rtlab_tasks::time::Duration;
use serde_json::Value;

use super::encoder::{PID_CPUS, PID_TASKS, escape};
use super::*;

fn ms(v: u64) -> Duration {
    Duration::from_millis(v).unwrap()
}

/// `hi` (4 ms) and `lo` (10 ms, locks `bus`), both on CPU 0.
fn uniprocessor() -> System {
    SystemBuilder::new("uni")
        .cpus(&[0])
        .task("hi", ms(4), ms(1))
        .task("lo", ms(10), ms(3))
        .section("bus", ms(1), ms(1))
        .build()
}

/// Two tasks, global placement on CPUs 0 and 1.
fn global() -> System {
    SystemBuilder::new("glob")
        .cpus(&[0, 1])
        .placement(Placement::Global)
        .task("a", ms(4), ms(1))
        .task("b", ms(6), ms(2))
        .build()
}

fn ev(time_ns: u64, task: usize, job: u64, cpu: Option<CpuId>, kind: EventKind) -> JobEvent {
    JobEvent {
        time_ns,
        task: TaskId(task),
        job,
        cpu,
        kind,
    }
}

/// The trace text of `events`, finished at `end_ns`.
fn encode(system: &System, events: &[JobEvent], end_ns: u64) -> String {
    let mut stream = Stream::new(Vec::new(), Encoder::new(system, "simulation"));
    stream.begin().unwrap();
    for e in events {
        stream.event(e);
    }
    let (bytes, _) = stream.end(end_ns).unwrap();
    String::from_utf8(bytes).unwrap()
}

fn parse(text: &str) -> Value {
    let v: Value = serde_json::from_str(text).unwrap();
    check_valid(&v);
    v
}

fn records(v: &Value) -> &Vec<Value> {
    v["traceEvents"].as_array().unwrap()
}

/// Thread names by (pid, tid).
fn threads(v: &Value) -> BTreeMap<(u64, u64), String> {
    records(v)
        .iter()
        .filter(|r| r["ph"] == "M" && r["name"] == "thread_name")
        .map(|r| {
            let key = (r["pid"].as_u64().unwrap(), r["tid"].as_u64().unwrap());
            (key, r["args"]["name"].as_str().unwrap().to_string())
        })
        .collect()
}

fn tid(v: &Value, pid: u32, name: &str) -> u64 {
    threads(v)
        .into_iter()
        .find(|((p, _), n)| *p == u64::from(pid) && n == name)
        .map(|((_, t), _)| t)
        .unwrap_or_else(|| panic!("no track {name}"))
}

/// Execution slices on a CPU track: (task, job, ts, dur), by start.
fn slices(v: &Value, cpu_track: &str) -> Vec<(String, u64, f64, f64)> {
    let tid = tid(v, PID_CPUS, cpu_track);
    let mut out: Vec<_> = records(v)
        .iter()
        .filter(|r| r["ph"] == "X" && r["tid"] == tid)
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["args"]["job"].as_u64().unwrap(),
                r["ts"].as_f64().unwrap(),
                r["dur"].as_f64().unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.2.total_cmp(&b.2));
    out
}

/// Records of phase `ph` on a task track.
fn on_task<'a>(v: &'a Value, task: &str, ph: &str) -> Vec<&'a Value> {
    let tid = tid(v, PID_TASKS, task);
    records(v)
        .iter()
        .filter(|r| r["ph"] == ph && r["tid"] == tid)
        .collect()
}

/// Structural validity: known phases, numeric timestamps, slices on a CPU
/// never overlap, every async begin has one end (same name, category, id)
/// no earlier.
fn check_valid(v: &Value) {
    assert_eq!(v["displayTimeUnit"], "ns");
    assert!(v["otherData"].is_object());
    let mut open: BTreeMap<String, (String, f64)> = BTreeMap::new();
    let mut by_cpu: BTreeMap<u64, Vec<(f64, f64)>> = BTreeMap::new();
    for r in records(v) {
        let ph = r["ph"].as_str().unwrap();
        assert!(["M", "X", "b", "e", "i"].contains(&ph), "{r}");
        if ph == "M" {
            continue;
        }
        let ts = r["ts"].as_f64().unwrap();
        match ph {
            "X" => by_cpu
                .entry(r["tid"].as_u64().unwrap())
                .or_default()
                .push((ts, ts + r["dur"].as_f64().unwrap())),
            "b" => {
                let prev = open.insert(r["id"].to_string(), (r["name"].to_string(), ts));
                assert!(prev.is_none(), "{r}");
            }
            "e" => {
                let (name, begin) = open.remove(&r["id"].to_string()).unwrap();
                assert_eq!(name, r["name"].to_string());
                assert!(begin <= ts);
            }
            _ => assert_eq!(r["s"], "t"),
        }
    }
    assert!(open.is_empty(), "unterminated spans: {open:?}");
    for spans in by_cpu.values_mut() {
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(
            spans.windows(2).all(|w| w[0].1 <= w[1].0 + 1e-9),
            "{spans:?}"
        );
    }
}

#[test]
fn a_small_schedule_gives_tracks_slices_and_spans() {
    use EventKind::*;
    let sys = uniprocessor();
    let events = [
        ev(0, 1, 0, None, Release),
        ev(0, 1, 0, Some(0), Start),
        ev(1_000, 0, 0, None, Release),
        ev(1_000, 1, 0, Some(0), Preempt),
        ev(1_000, 0, 0, Some(0), Start),
        ev(1_500, 0, 0, Some(0), Complete),
        ev(1_500, 1, 0, Some(0), Resume),
        ev(3_000, 1, 0, Some(0), Complete),
    ];
    let text = encode(&sys, &events, 0);
    let v = parse(&text);
    // Metadata first: processes, then CPU and task tracks in order.
    let first_slice = records(&v).iter().position(|r| r["ph"] != "M").unwrap();
    assert!(records(&v)[first_slice..].iter().all(|r| r["ph"] != "M"));
    let names: Vec<&str> = records(&v)[..first_slice]
        .iter()
        .filter(|r| r["name"] == "process_name" || r["name"] == "thread_name")
        .map(|r| r["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["CPUs", "Tasks", "CPU 0", "hi", "lo"]);
    let sort = |name: &str| {
        let t = tid(&v, PID_TASKS, name);
        records(&v)
            .iter()
            .find(|r| r["name"] == "thread_sort_index" && r["tid"] == t)
            .map(|r| r["args"]["sort_index"].as_u64().unwrap())
    };
    assert_eq!((sort("hi"), sort("lo")), (Some(0), Some(1)));
    assert_eq!(
        slices(&v, "CPU 0"),
        [
            ("lo".to_string(), 0, 0.0, 1.0),
            ("hi".to_string(), 0, 1.0, 0.5),
            ("lo".to_string(), 0, 1.5, 1.5),
        ]
    );
    let lo_spans = on_task(&v, "lo", "b");
    assert_eq!(
        (lo_spans.len(), &lo_spans[0]["id"]),
        (1, &Value::from("lo#0"))
    );
    let hi_end = on_task(&v, "hi", "e");
    assert_eq!(
        (hi_end[0]["ts"].as_f64(), &hi_end[0]["args"]["end"]),
        (Some(1.5), &Value::from("complete"))
    );
    // Exact integer formatting of the timestamps.
    assert!(text.contains("\"ts\":1.500,\"dur\":1.500,"), "{text}");
    assert_eq!(v["otherData"]["engine"], "simulation");
    assert_eq!(v["otherData"]["config"], "uni");
}

#[test]
fn preemption_closes_a_slice_and_resume_reopens_it() {
    use EventKind::*;
    let sys = uniprocessor();
    let events = [
        ev(0, 1, 0, None, Release),
        ev(10, 1, 0, Some(0), Start),
        ev(2_000, 1, 0, Some(0), Preempt),
        ev(2_500, 1, 0, Some(0), Resume),
        ev(4_000, 1, 0, Some(0), Complete),
    ];
    let v = parse(&encode(&sys, &events, 0));
    assert_eq!(
        slices(&v, "CPU 0"),
        [
            ("lo".to_string(), 0, 0.01, 1.99),
            ("lo".to_string(), 0, 2.5, 1.5)
        ]
    );
}

#[test]
fn a_migrating_job_shows_on_each_cpu_it_ran_on() {
    use EventKind::*;
    let sys = global();
    let events = [
        ev(0, 1, 0, None, Release),
        ev(0, 1, 0, Some(0), Start),
        ev(1_000, 1, 0, Some(0), Preempt),
        ev(1_000, 0, 0, Some(0), Start),
        ev(1_200, 1, 0, Some(1), Resume),
        ev(2_000, 0, 0, Some(0), Complete),
        ev(3_000, 1, 0, Some(1), Complete),
    ];
    let v = parse(&encode(&sys, &events, 0));
    assert_eq!(
        slices(&v, "CPU 0"),
        [
            ("b".to_string(), 0, 0.0, 1.0),
            ("a".to_string(), 0, 1.0, 1.0)
        ]
    );
    assert_eq!(slices(&v, "CPU 1"), [("b".to_string(), 0, 1.2, 1.8)]);
}

#[test]
fn a_resume_elsewhere_without_a_preempt_still_ends_the_first_slice() {
    use EventKind::*;
    let sys = global();
    let events = [
        ev(0, 0, 0, Some(0), Start),
        ev(500, 0, 0, Some(1), Resume),
        ev(900, 0, 0, Some(1), Complete),
    ];
    let v = parse(&encode(&sys, &events, 0));
    assert_eq!(slices(&v, "CPU 0"), [("a".to_string(), 0, 0.0, 0.5)]);
    assert_eq!(slices(&v, "CPU 1"), [("a".to_string(), 0, 0.5, 0.4)]);
}

#[test]
fn a_cpu_outside_the_platform_gets_its_own_track() {
    use EventKind::*;
    let sys = global();
    let events = [
        ev(0, 0, 0, None, Release),
        ev(100, 0, 0, Some(7), Start),
        ev(600, 0, 0, Some(7), Complete),
    ];
    let text = encode(&sys, &events, 0);
    let v = parse(&text);
    assert_eq!(slices(&v, "CPU 7"), [("a".to_string(), 0, 0.1, 0.5)]);
    let t = tid(&v, PID_CPUS, "CPU 7");
    let index = records(&v)
        .iter()
        .find(|r| r["name"] == "thread_sort_index" && r["tid"] == t)
        .map(|r| r["args"]["sort_index"].clone());
    assert_eq!(index, Some(Value::from(2)));
    // Thread ids are unique across both processes.
    let tids: Vec<u64> = threads(&v).keys().map(|k| k.1).collect();
    let unique: std::collections::BTreeSet<u64> = tids.iter().copied().collect();
    assert_eq!(tids.len(), unique.len());
}

#[test]
fn overlapping_jobs_of_a_late_task_are_separate_spans() {
    use EventKind::*;
    let sys = uniprocessor();
    let events = [
        ev(0, 1, 0, None, Release),
        ev(0, 1, 0, Some(0), Start),
        ev(10_000, 1, 0, None, Miss),
        ev(10_000, 1, 1, None, Release),
        ev(12_000, 1, 0, Some(0), Complete),
        ev(12_000, 1, 1, Some(0), Start),
        ev(13_000, 1, 1, Some(0), Complete),
    ];
    let v = parse(&encode(&sys, &events, 0));
    let begins: Vec<(String, f64)> = on_task(&v, "lo", "b")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["ts"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        begins,
        [("lo#0".to_string(), 0.0), ("lo#1".to_string(), 10.0)]
    );
    let ends: Vec<f64> = on_task(&v, "lo", "e")
        .iter()
        .map(|r| r["ts"].as_f64().unwrap())
        .collect();
    assert_eq!(ends, [12.0, 13.0]);
    let miss = on_task(&v, "lo", "i");
    assert_eq!(miss[0]["name"], "deadline miss");
    assert_eq!(miss[0]["cname"], "terrible");
    assert_eq!(miss[0]["args"]["job"], 0);
}

#[test]
fn instants_name_resources_and_blocking_ends_a_slice() {
    use EventKind::*;
    let sys = uniprocessor();
    let bus = ResourceId(0);
    let events = [
        ev(0, 1, 0, None, Release),
        ev(0, 1, 0, Some(0), Start),
        ev(100, 1, 0, Some(0), Lock { resource: bus }),
        ev(200, 1, 0, Some(0), Unlock { resource: bus }),
        ev(300, 1, 0, Some(0), Block { resource: bus }),
        ev(400, 1, 0, Some(0), Unblock { resource: bus }),
        ev(400, 1, 0, Some(0), Resume),
        ev(450, 1, 0, Some(0), Fault),
        ev(500, 1, 1, None, Skip),
        ev(
            600,
            1,
            2,
            None,
            Lock {
                resource: ResourceId(9),
            },
        ),
    ];
    let v = parse(&encode(&sys, &events, 0));
    let instants: Vec<(String, Value)> = on_task(&v, "lo", "i")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                r["args"]["resource"].clone(),
            )
        })
        .collect();
    let bus = Value::from("bus");
    assert_eq!(
        instants,
        [
            ("lock".to_string(), bus.clone()),
            ("unlock".to_string(), bus.clone()),
            ("block".to_string(), bus.clone()),
            ("unblock".to_string(), bus),
            ("fault".to_string(), Value::Null),
            ("skip".to_string(), Value::Null),
            ("lock".to_string(), Value::from("resource #10")),
        ]
    );
    assert_eq!(
        slices(&v, "CPU 0"),
        [
            ("lo".to_string(), 0, 0.0, 0.3),
            ("lo".to_string(), 0, 0.4, 0.05)
        ]
    );
    assert_eq!(on_task(&v, "lo", "e")[0]["args"]["end"], "fault");
}

#[test]
fn unfinished_work_is_closed_at_the_end() {
    use EventKind::*;
    let sys = uniprocessor();
    let events = [
        ev(0, 1, 0, None, Release),
        ev(0, 1, 0, Some(0), Start),
        ev(500, 1, 1, None, Release),
        ev(700, 0, 0, None, Release),
        ev(700, 0, 0, None, Abort),
    ];
    let v = parse(&encode(&sys, &events, 5_000));
    let x = records(&v).iter().find(|r| r["ph"] == "X").unwrap();
    assert_eq!(
        (x["dur"].as_f64(), &x["args"]["end"]),
        (Some(5.0), &Value::from("end of trace"))
    );
    let ends: Vec<(f64, Value)> = on_task(&v, "lo", "e")
        .iter()
        .map(|r| (r["ts"].as_f64().unwrap(), r["args"]["end"].clone()))
        .collect();
    assert_eq!(
        ends,
        [
            (5.0, Value::from("end of trace")),
            (5.0, Value::from("end of trace"))
        ]
    );
    assert_eq!(on_task(&v, "hi", "e")[0]["args"]["end"], "aborted");
    // Finishing at 0 closes at the last event instead.
    let v = parse(&encode(&sys, &events, 0));
    let x = records(&v).iter().find(|r| r["ph"] == "X").unwrap();
    assert_eq!(x["dur"].as_f64(), Some(0.7));
}

#[test]
fn unknown_tasks_get_a_track_and_names_are_escaped() {
    use EventKind::*;
    let sys = SystemBuilder::new("we\"ird\\name")
        .task("a", ms(4), ms(1))
        .build();
    let events = [
        ev(0, 2, 0, None, Release),
        ev(0, 2, 0, Some(0), Start),
        ev(1, 2, 0, Some(0), Complete),
    ];
    let v = parse(&encode(&sys, &events, 0));
    assert_eq!(v["otherData"]["config"], "we\"ird\\name");
    let names: Vec<String> = threads(&v).into_values().collect();
    assert_eq!(names, ["CPU 0", "a", "task #2", "task #3"]);
    assert_eq!(slices(&v, "CPU 0")[0].0, "task #3");
    assert_eq!(escape("a\u{1}\t"), "a\\u0001\\t");
}

/// Accepts `limit` bytes, then fails every write.
#[derive(Debug)]
struct FailAfter {
    limit: usize,
    written: Vec<u8>,
}

impl Write for FailAfter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written.len() + buf.len() > self.limit {
            return Err(io::Error::other("disk full (test)"));
        }
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_first_io_error_is_kept_until_the_end() {
    use EventKind::*;
    let sys = uniprocessor();
    let out = FailAfter {
        limit: 2_000,
        written: Vec::new(),
    };
    let mut stream = Stream::new(out, Encoder::new(&sys, "live"));
    stream.begin().unwrap();
    for job in 0..100 {
        stream.event(&ev(job * 10, 0, job, None, Release));
    }
    assert!(stream.error.is_some());
    let written_at_error = stream.out.written.len();
    stream.event(&ev(5_000, 0, 100, None, Release));
    assert_eq!(stream.out.written.len(), written_at_error);
    let err = stream.end(0).unwrap_err();
    assert_eq!(err.to_string(), "disk full (test)");
}

#[test]
fn the_writer_renames_on_finish_and_cleans_up_when_dropped() {
    use EventKind::*;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(TRACE_FILE);
    let sys = uniprocessor();
    let events = [
        ev(0, 0, 0, None, Release),
        ev(0, 0, 0, Some(0), Start),
        ev(900, 0, 0, Some(0), Complete),
    ];

    let mut w = PerfettoWriter::create(&path, &sys, "simulation").unwrap();
    for e in &events {
        w.event(e);
    }
    assert!(!path.exists(), "visible before finish");
    let done = w.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, encode(&sys, &events, 0));
    assert_eq!((done.events, done.bytes), (3, text.len() as u64));
    assert_eq!(done.records, records(&parse(&text)).len() as u64);
    assert_eq!(done.summary(2).file, "trace.json");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    std::fs::remove_file(&path).unwrap();
    let mut w = PerfettoWriter::create(&path, &sys, "simulation").unwrap();
    w.event(&events[0]);
    drop(w);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let missing = dir.path().join("no").join(TRACE_FILE);
    let err = PerfettoWriter::create(&missing, &sys, "simulation").unwrap_err();
    assert!(err.to_string().contains("trace.json"), "{err}");
}

#[test]
fn the_same_events_give_the_same_bytes() {
    use EventKind::*;
    let sys = global();
    let events: Vec<JobEvent> = (0..200u64)
        .flat_map(|j| {
            let t = j * 1_000;
            let cpu = Some((j % 2) as CpuId);
            [
                ev(t, (j % 2) as usize, j, None, Release),
                ev(t + 1, (j % 2) as usize, j, cpu, Start),
                ev(t + 333, (j % 2) as usize, j, cpu, Complete),
            ]
        })
        .collect();
    assert_eq!(encode(&sys, &events, 0), encode(&sys, &events, 0));
}
