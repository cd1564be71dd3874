//! rtlab-reports: what rtlab writes for people and for other tools.
//!
//! - [`export`]: result directories (`result.json`, `summary.csv`, one
//!   HdrHistogram `.hgrm` per task and metric) written atomically and read
//!   back, and `trace.json` streamed from the engines' job events for
//!   <https://ui.perfetto.dev> and `chrome://tracing`;
//! - [`format`](mod@format): the one place where nanoseconds and ratios become text;
//! - [`plot`]: charts as PNG and SVG (sweep curves, latency distributions,
//!   percentiles, responses against deadlines, misses, timelines, CPU
//!   utilization);
//! - [`explain`]: deadline misses in words (what, by how much, why);
//! - [`usage`]: where a CPU's time went in a live run, in words;
//! - [`figures`]: the plots of a report, chosen for its runs;
//! - [`html`]: the self-contained `report.html`;
//! - [`run`]: a result as a report reads it ([`run::RunView`]).
//!
//! The crate depends on `rtlab-tasks` only: it reads
//! [`Outcome`](rtlab_tasks::outcome::Outcome)s and
//! [`JobEvent`](rtlab_tasks::outcome::trace::JobEvent)s, never an engine.
//! Errors are [`ReportError`]s; every I/O error names its path.
//!
//! ```
//! use rtlab_reports::{export, format};
//! use rtlab_tasks::model::SystemBuilder;
//! use rtlab_tasks::outcome::metrics::Recorder;
//! use rtlab_tasks::outcome::trace::{EventKind, JobEvent, TraceSink};
//! use rtlab_tasks::time::Duration;
//!
//! // A metric as HdrHistogram's percentile distribution (microseconds).
//! let mut response = Recorder::new();
//! for ns in [1_200_000, 1_500_000, 4_100_000] {
//!     response.record(ns);
//! }
//! let text = export::hgrm::render(&response);
//! assert!(text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n"));
//! let distribution = export::hgrm::parse(&text)?;
//! assert_eq!(format::duration(distribution.max_ns), "4.10 ms");
//!
//! // Job events streamed into a Perfetto trace, renamed into place at the end.
//! let ms = |v| Duration::from_millis(v).expect("small");
//! let system = SystemBuilder::new("example").task("sensor", ms(4), ms(1)).build();
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join(export::perfetto::TRACE_FILE);
//! let mut trace = export::PerfettoWriter::create(&path, &system, "simulation")?;
//! let task = system.tasks[0].id;
//! for (time_ns, kind) in [
//!     (0, EventKind::Release),
//!     (0, EventKind::Start),
//!     (1_000_000, EventKind::Complete),
//! ] {
//!     trace.event(&JobEvent { time_ns, task, job: 0, cpu: Some(0), kind });
//! }
//! let written = trace.finish()?;
//! assert_eq!((written.events, written.path.exists()), (3, true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod error;
pub mod explain;
pub mod export;
pub mod figures;
pub mod format;
pub mod html;
pub mod plot;
pub mod run;
pub mod usage;

pub use error::ReportError;
pub use rtlab_tasks as tasks;
