//! Result files and standard formats: `result.json`, `summary.csv`,
//! HdrHistogram `.hgrm` percentile distributions and Chrome / Perfetto
//! traces.
//!
//! - [`result`]: a whole result directory ([`write_result_dir`]) and
//!   reading `result.json` back ([`read_result`]);
//! - [`hgrm`]: one metric as HdrHistogram's percentile distribution text;
//! - [`csv`]: the per-task summary table (and the per-chain one,
//!   `chains.csv`);
//! - [`perfetto`]: a streaming trace writer for `--trace`;
//! - [`window`]: the first stretch of a run's events and the stretches
//!   around each task's worst miss, for Gantt timelines.
//!
//! Every file is written under a temporary name in its directory and
//! renamed into place once complete, so a reader (or a run interrupted
//! half-way) never sees a half-written file. The rename is atomic against
//! the process dying; the files are not `fsync`ed, so a power cut may still
//! lose the most recent ones. [`write_atomic`] does the same for any bytes
//! (the command line's own files go through it).

mod atomic;
pub mod csv;
pub mod hgrm;
pub mod perfetto;
pub mod result;
pub mod window;

pub(crate) use atomic::AtomicFile;
pub use atomic::{StagedDir, write_atomic};
pub use perfetto::{PerfettoWriter, TraceFile};
pub use result::{WrittenFiles, read_result, write_result_dir, write_result_staged};
