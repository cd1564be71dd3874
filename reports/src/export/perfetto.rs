//! `trace.json`: job events streamed as a Chrome / Perfetto trace.
//!
//! [`PerfettoWriter`] is a [`TraceSink`]: an engine hands it every
//! [`JobEvent`] and it writes them out at once (JSON trace-event format,
//! the one <https://ui.perfetto.dev> and `chrome://tracing` open), so memory
//! stays flat however long the run: it holds one open slice per CPU and the
//! numbers of the released, unfinished jobs per task.
//!
//! Layout of the trace:
//!
//! - process **CPUs** (pid 1): one thread track per CPU, `CPU <id>`, in
//!   platform order. Each execution of a job is a complete slice (`"X"`)
//!   named after its task (`args.job`: the job number), from Start or
//!   Resume to Preempt, Block, Complete, Abort or Fault. Under global
//!   placement a job that migrates shows on each CPU it ran on; a CPU the
//!   platform does not list gets its track when first used.
//! - process **Tasks** (pid 2): one track per task, named after it, in task
//!   order (`thread_sort_index`). Each job is an async span (`"b"` / `"e"`,
//!   category `job`, id `<task>#<job>`) from Release to Complete, Abort or
//!   Fault, so the overlapping jobs of a late task stay valid. Instants
//!   (`"i"`, thread scope, `args.job`) mark deadline misses, aborts and
//!   faults (colour `terrible`), skipped releases, and Block / Unblock /
//!   Lock / Unlock with `args.resource`. Perfetto lists a task's job spans
//!   on their own track beside the task's instant track (async spans are
//!   per process there); `chrome://tracing` shows both on one track.
//!
//! Timestamps (`ts`, `dur`) are microseconds with three decimals, written
//! from integer nanoseconds (`1234.567`), so the file is exact and the same
//! events give the same bytes. Metadata events come first; jobs still
//! running or pending when the trace is finished are closed at its end with
//! `args.end = "end of trace"`. Perfetto ignores `displayTimeUnit` (it only
//! sets the time unit the Chrome viewer displays).

mod encoder;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rtlab_tasks::model::System;
use rtlab_tasks::outcome::TraceSummary;
use rtlab_tasks::outcome::trace::{JobEvent, TraceSink};

use super::AtomicFile;
use crate::ReportError;
use encoder::Encoder;

/// Conventional file name of the trace in a result directory.
pub const TRACE_FILE: &str = "trace.json";

/// Streams job events into a Chrome / Perfetto trace file.
///
/// Writes through a buffer into a temporary file beside `path`; [`finish`]
/// completes the JSON and renames it into place. A writer dropped without
/// `finish` removes its temporary file. [`TraceSink::event`] cannot fail:
/// the first I/O error is kept, later events are ignored, and `finish`
/// returns it.
///
/// [`finish`]: PerfettoWriter::finish
#[derive(Debug)]
pub struct PerfettoWriter {
    stream: Stream<AtomicFile>,
}

/// What a finished trace holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFile {
    /// The trace file.
    pub path: PathBuf,
    /// Job events received.
    pub events: u64,
    /// Trace-event records written (metadata included).
    pub records: u64,
    /// Size of the file, in bytes.
    pub bytes: u64,
}

impl TraceFile {
    /// The `trace` entry of `result.json` for this file (its file name;
    /// `dropped`: events the engine lost before they reached the sink).
    pub fn summary(&self, dropped: u64) -> TraceSummary {
        TraceSummary {
            file: self.path.file_name().map_or_else(
                || TRACE_FILE.to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            events: self.events,
            dropped,
        }
    }
}

impl PerfettoWriter {
    /// Starts a trace of `system` at `path` (its directory must exist).
    /// `engine_label` (`"simulation"`, `"live"`) goes into `otherData`.
    ///
    /// # Errors
    ///
    /// The temporary file cannot be created or written.
    pub fn create(path: &Path, system: &System, engine_label: &str) -> Result<Self, ReportError> {
        let file = AtomicFile::create(path)?;
        let mut stream = Stream::new(file, Encoder::new(system, engine_label));
        stream
            .begin()
            .map_err(|e| ReportError::io("write", path, e))?;
        Ok(PerfettoWriter { stream })
    }

    /// Completes the trace at the last event's time and renames it into
    /// place.
    ///
    /// # Errors
    ///
    /// The first I/O error met while streaming, or one while finishing;
    /// the temporary file is removed.
    pub fn finish(self) -> Result<TraceFile, ReportError> {
        self.finish_at(0)
    }

    /// Like [`finish`](Self::finish), closing what is still open at
    /// `end_ns` (the horizon or run length, in nanoseconds) or at the last
    /// event if that is later.
    ///
    /// # Errors
    ///
    /// As [`finish`](Self::finish).
    pub fn finish_at(self, end_ns: u64) -> Result<TraceFile, ReportError> {
        let path = self.stream.out.dest().to_path_buf();
        let (file, enc) = self
            .stream
            .end(end_ns)
            .map_err(|e| ReportError::io("write", &path, e))?;
        let bytes = file.commit()?;
        Ok(TraceFile {
            path,
            events: enc.events,
            records: enc.records,
            bytes,
        })
    }
}

impl TraceSink for PerfettoWriter {
    fn event(&mut self, event: &JobEvent) {
        self.stream.event(event);
    }
}

/// An encoder writing into `out`, keeping the first error.
#[derive(Debug)]
struct Stream<W> {
    out: W,
    enc: Encoder,
    error: Option<io::Error>,
}

impl<W: Write> Stream<W> {
    fn new(out: W, enc: Encoder) -> Self {
        Stream {
            out,
            enc,
            error: None,
        }
    }

    fn begin(&mut self) -> io::Result<()> {
        self.enc.begin(&mut self.out)
    }

    fn event(&mut self, event: &JobEvent) {
        if self.error.is_none()
            && let Err(e) = self.enc.event(&mut self.out, event)
        {
            self.error = Some(e);
        }
    }

    fn end(mut self, end_ns: u64) -> io::Result<(W, Encoder)> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.enc.end(&mut self.out, end_ns)?;
        Ok((self.out, self.enc))
    }
}

#[cfg(test)]
mod tests;
