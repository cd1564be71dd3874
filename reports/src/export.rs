//! Result files and standard formats: `result.json`, `summary.csv`,
//! HdrHistogram `.hgrm` percentile distributions and Chrome / Perfetto
//! traces.
//!
//! - [`result`]: a whole result directory ([`write_result_dir`]) and
//!   reading `result.json` back ([`read_result`]);
//! - [`hgrm`]: one metric as HdrHistogram's percentile distribution text;
//! - [`csv`]: the per-task summary table;
//! - [`perfetto`]: a streaming trace writer for `--trace`;
//! - [`window`]: the first stretch of a run's events, for Gantt timelines.
//!
//! Every file is written under a temporary name in its directory and
//! renamed into place once complete, so a reader (or a run interrupted
//! half-way) never sees a half-written file. The rename is atomic against
//! the process dying; the files are not `fsync`ed, so a power cut may still
//! lose the most recent ones.

pub mod csv;
pub mod hgrm;
pub mod perfetto;
pub mod result;
pub mod window;

pub use perfetto::{PerfettoWriter, TraceFile};
pub use result::{WrittenFiles, read_result, write_result_dir};

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ReportError;

/// Size of the write buffer of every exported file, in bytes.
const BUFFER_BYTES: usize = 64 * 1024;

/// Distinguishes temporary files of one process.
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A file written under a temporary name beside its destination and
/// renamed over it by [`AtomicFile::commit`]. Dropped without a commit,
/// it removes the temporary file.
#[derive(Debug)]
pub(crate) struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    out: Option<BufWriter<Counting<File>>>,
}

impl AtomicFile {
    /// Starts writing `dest` (its directory must exist).
    pub(crate) fn create(dest: &Path) -> Result<Self, ReportError> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                let e = io::Error::new(io::ErrorKind::InvalidInput, "not a file name");
                ReportError::io("create", dest, e)
            })?;
        let pid = std::process::id();
        let mut attempts = 0;
        loop {
            let seq = TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".{name}.{pid}.{seq}.tmp"));
            // create_new: never clobber another writer's temporary file;
            // the mode follows the umask like any other new file.
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => {
                    let out = BufWriter::with_capacity(BUFFER_BYTES, Counting::new(file));
                    return Ok(AtomicFile {
                        dest: dest.to_path_buf(),
                        tmp,
                        out: Some(out),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => {
                    attempts += 1;
                }
                Err(e) => return Err(ReportError::io("create", dest, e)),
            }
        }
    }

    /// The destination path.
    pub(crate) fn dest(&self) -> &Path {
        &self.dest
    }

    /// The buffered writer of the temporary file.
    pub(crate) fn out(&mut self) -> io::Result<&mut BufWriter<Counting<File>>> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("file already committed"))
    }

    /// Flushes, closes and renames the file into place; returns its size in
    /// bytes.
    pub(crate) fn commit(mut self) -> Result<u64, ReportError> {
        let out = self.out.take().ok_or_else(|| {
            ReportError::io(
                "write",
                &self.dest,
                io::Error::other("file already committed"),
            )
        })?;
        let counting = out
            .into_inner()
            .map_err(|e| ReportError::io("write", &self.dest, e.into_error()))?;
        let bytes = counting.bytes;
        drop(counting);
        fs::rename(&self.tmp, &self.dest)
            .map_err(|e| ReportError::io("rename a temporary file to", &self.dest, e))?;
        // Renamed: nothing left for Drop to remove.
        self.tmp = PathBuf::new();
        Ok(bytes)
    }

    /// Writes `dest` in one go with `write`, then commits it.
    pub(crate) fn write_with<F>(dest: &Path, write: F) -> Result<u64, ReportError>
    where
        F: FnOnce(&mut BufWriter<Counting<File>>) -> io::Result<()>,
    {
        let mut file = AtomicFile::create(dest)?;
        let out = file.out().map_err(|e| ReportError::io("write", dest, e))?;
        write(out).map_err(|e| ReportError::io("write", dest, e))?;
        file.commit()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            // Close before removing; errors are moot for a discarded file.
            self.out = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out()?.flush()
    }
}

/// A writer that counts the bytes it passes on.
#[derive(Debug)]
pub(crate) struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W> Counting<W> {
    fn new(inner: W) -> Self {
        Counting { inner, bytes: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn commit_renames_into_place_and_counts_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("a.txt");
        fs::write(&dest, "old").unwrap();
        let mut file = AtomicFile::create(&dest).unwrap();
        file.out().unwrap().write_all(b"new content\n").unwrap();
        // Until the commit, readers see the old file.
        assert_eq!(fs::read_to_string(&dest).unwrap(), "old");
        assert_eq!(entries(dir.path()).len(), 2);
        assert_eq!(file.commit().unwrap(), 12);
        assert_eq!(fs::read_to_string(&dest).unwrap(), "new content\n");
        assert_eq!(entries(dir.path()), ["a.txt"]);
    }

    #[test]
    fn a_dropped_file_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("b.txt");
        let mut file = AtomicFile::create(&dest).unwrap();
        file.out().unwrap().write_all(b"partial").unwrap();
        drop(file);
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn errors_name_the_destination() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("missing").join("c.txt");
        let err = AtomicFile::create(&dest).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("cannot create "), "{text}");
        assert!(text.contains("c.txt"), "{text}");
    }
}
