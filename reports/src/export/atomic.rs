//! Writing a file atomically: under a temporary name in its directory, then
//! renamed over the destination, so a reader (or a run interrupted
//! half-way) never sees a half-written file.
//!
//! This is the one place rtlab does it: the exporters, the HTML page, the
//! plots (the PNG encoder writes through [`AtomicFile::temp_path`]) and the
//! command line ([`write_atomic`]) all go through [`AtomicFile`]. The
//! rename is atomic against the process dying; the files are not `fsync`ed,
//! so a power cut may still lose the most recent ones.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::ReportError;

/// Size of the write buffer of every file, in bytes.
const BUFFER_BYTES: usize = 64 * 1024;

/// How many taken temporary names to step over before giving up.
const MAX_ATTEMPTS: u32 = 100;

/// Distinguishes temporary files of one process.
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A file written under a temporary name beside its destination and
/// renamed over it by [`AtomicFile::commit`]. Dropped without a commit,
/// it removes the temporary file.
#[derive(Debug)]
pub(crate) struct AtomicFile {
    dest: PathBuf,
    /// Empty once renamed into place.
    tmp: PathBuf,
    out: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing `dest` (its directory must exist). The temporary
    /// name, `.<name>.<pid>.<seq>.tmp[.<ext>]`, is hidden and keeps the
    /// destination's extension, for encoders that choose the format by it.
    pub(crate) fn create(dest: &Path) -> Result<Self, ReportError> {
        Self::create_with_buffer(dest, BUFFER_BYTES)
    }

    /// [`create`](Self::create) with a write buffer of `capacity` bytes.
    fn create_with_buffer(dest: &Path, capacity: usize) -> Result<Self, ReportError> {
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
        let ext = dest
            .extension()
            .map_or_else(String::new, |e| format!(".{}", e.to_string_lossy()));
        let pid = std::process::id();
        let mut attempts = 0;
        loop {
            let seq = TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed);
            let tmp = dir.join(format!(".{name}.{pid}.{seq}.tmp{ext}"));
            // create_new: never clobber another writer's temporary file;
            // the mode follows the umask like any other new file.
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => {
                    return Ok(AtomicFile {
                        dest: dest.to_path_buf(),
                        tmp,
                        out: Some(BufWriter::with_capacity(capacity, file)),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < MAX_ATTEMPTS => {
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

    /// The temporary file's path, for a writer that needs a path rather
    /// than a stream (the PNG encoder). Write either through it or through
    /// [`out`](Self::out), not both.
    pub(crate) fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// The buffered writer of the temporary file.
    pub(crate) fn out(&mut self) -> io::Result<&mut BufWriter<File>> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("file already committed"))
    }

    /// Flushes, closes and renames the file into place; returns its size in
    /// bytes (whoever wrote it: the stream or a writer of
    /// [`temp_path`](Self::temp_path)).
    pub(crate) fn commit(self) -> Result<u64, ReportError> {
        self.finish(None)
    }

    /// [`commit`](Self::commit), with the size already known when `size`
    /// is given (no `fstat`).
    fn finish(mut self, size: Option<u64>) -> Result<u64, ReportError> {
        let out = self.out.take().ok_or_else(|| {
            ReportError::io(
                "write",
                &self.dest,
                io::Error::other("file already committed"),
            )
        })?;
        let file = out
            .into_inner()
            .map_err(|e| ReportError::io("write", &self.dest, e.into_error()))?;
        let bytes = match size {
            Some(bytes) => bytes,
            None => file
                .metadata()
                .map_err(|e| ReportError::io("write", &self.dest, e))?
                .len(),
        };
        drop(file);
        fs::rename(&self.tmp, &self.dest)
            .map_err(|e| ReportError::io("rename a temporary file to", &self.dest, e))?;
        // Renamed: nothing left for Drop to remove.
        self.tmp = PathBuf::new();
        Ok(bytes)
    }

    /// Writes `dest` in one go with `write`, then commits it.
    pub(crate) fn write_with<F>(dest: &Path, write: F) -> Result<u64, ReportError>
    where
        F: FnOnce(&mut BufWriter<File>) -> io::Result<()>,
    {
        let mut file = AtomicFile::create(dest)?;
        let out = file.out().map_err(|e| ReportError::io("write", dest, e))?;
        write(out).map_err(|e| ReportError::io("write", dest, e))?;
        file.commit()
    }

    /// Writes `bytes` as the whole of `dest`, then commits it: one write
    /// call, no buffer copy, the size known without asking the file
    /// system (the result directory writes thousands of small files).
    pub(crate) fn write_bytes(dest: &Path, bytes: &[u8]) -> Result<u64, ReportError> {
        let mut file = AtomicFile::create_with_buffer(dest, 0)?;
        let out = file.out().map_err(|e| ReportError::io("write", dest, e))?;
        // A zero-capacity buffer hands the slice straight to the file.
        out.write_all(bytes)
            .map_err(|e| ReportError::io("write", dest, e))?;
        file.finish(Some(bytes.len() as u64))
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

/// Writes `bytes` to `dest` atomically (its directory must exist): readers
/// see the old file or the new one, never a part. Returns the size in
/// bytes.
///
/// # Errors
///
/// [`ReportError::Io`] naming `dest` (never the temporary name) when the
/// temporary file cannot be created or written, or not renamed into place;
/// the temporary file is removed.
pub fn write_atomic(dest: &Path, bytes: &[u8]) -> Result<u64, ReportError> {
    AtomicFile::write_bytes(dest, bytes)
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

    #[test]
    fn a_file_written_by_path_keeps_its_extension_and_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("plot.png");
        let file = AtomicFile::create(&dest).unwrap();
        let tmp = file.temp_path().to_path_buf();
        assert_eq!(tmp.extension().unwrap(), "png");
        assert!(tmp.file_name().unwrap().to_string_lossy().starts_with('.'));
        // As the PNG encoder does: open the path again and write through it.
        fs::write(&tmp, b"0123456789").unwrap();
        assert_eq!(file.commit().unwrap(), 10);
        assert_eq!(fs::read(&dest).unwrap(), b"0123456789");
        assert_eq!(entries(dir.path()), ["plot.png"]);
    }

    #[test]
    fn write_atomic_replaces_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("sweep.json");
        fs::write(&dest, "an older and longer text").unwrap();
        assert_eq!(write_atomic(&dest, b"{}\n").unwrap(), 3);
        assert_eq!(fs::read_to_string(&dest).unwrap(), "{}\n");
        assert_eq!(entries(dir.path()), ["sweep.json"]);
    }
}
