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
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use super::result::RESULT_FILE;
use crate::ReportError;

/// Size of the write buffer of every file, in bytes.
const BUFFER_BYTES: usize = 64 * 1024;

/// How many taken temporary names to step over before giving up.
const MAX_ATTEMPTS: u32 = 100;

/// Distinguishes temporary files of one process.
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// This process's id, asked once: a result directory names thousands of
/// temporary files, and each `getpid` is a system call.
static PID: OnceLock<u32> = OnceLock::new();

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
        let pid = *PID.get_or_init(std::process::id);
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

/// A directory written whole. When nothing exists at `dest` yet, its files
/// go to a new hidden sibling, `.<name>.<pid>.<seq>.tmp`, renamed into
/// place at once by [`StagedDir::commit`]: a reader sees no directory,
/// then every file. When `dest` exists (or its name is too long for a
/// sibling's), files go into it, each under a temporary name renamed into
/// place, and files of earlier runs stay. Dropped without a commit, the
/// sibling is removed; a process killed before its commit leaves it.
#[derive(Debug)]
pub struct StagedDir {
    /// The directory as asked for (named in errors).
    dest: PathBuf,
    /// The same directory as its parent's entry (what the sibling is
    /// renamed to: `out/.` names `out`).
    target: PathBuf,
    /// The hidden sibling; `None` when writing into `dest` itself.
    staging: Option<PathBuf>,
}

impl StagedDir {
    /// Starts writing the directory `dest` (its parents are created).
    ///
    /// # Errors
    ///
    /// [`ReportError::Io`] naming `dest`, or its parent, when either
    /// cannot be created.
    pub fn create(dest: &Path) -> Result<Self, ReportError> {
        let in_place = |dest: &Path| {
            fs::create_dir_all(dest).map_err(|e| ReportError::io("create directory", dest, e))?;
            Ok(StagedDir::in_place(dest))
        };
        // Anything there (a directory, a file, a link, even dangling) is
        // written in place, as before staging existed; so is a path that
        // names no entry of its parent ("." or "..").
        let Some(name) = dest.file_name() else {
            return in_place(dest);
        };
        if fs::symlink_metadata(dest).is_ok() {
            return in_place(dest);
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        fs::create_dir_all(parent).map_err(|e| ReportError::io("create directory", parent, e))?;
        let pid = *PID.get_or_init(std::process::id);
        let name_text = name.to_string_lossy();
        for _ in 0..MAX_ATTEMPTS {
            let seq = TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed);
            let staging = parent.join(format!(".{name_text}.{pid}.{seq}.tmp"));
            match fs::create_dir(&staging) {
                Ok(()) => {
                    return Ok(StagedDir {
                        dest: dest.to_path_buf(),
                        target: parent.join(name),
                        staging: Some(staging),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                // A name near the file system's limit has no room for the
                // sibling's suffix: written in place, as before.
                Err(e) if e.kind() == io::ErrorKind::InvalidFilename => return in_place(dest),
                Err(e) => return Err(ReportError::io("create directory", dest, e)),
            }
        }
        let e = io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name");
        Err(ReportError::io("create directory", dest, e))
    }

    /// Where the files go now: the sibling, or `dest` itself.
    pub fn path(&self) -> &Path {
        self.staging.as_deref().unwrap_or(&self.dest)
    }

    /// Writing into `dir` itself, which must exist (no sibling, nothing
    /// to commit).
    pub(crate) fn in_place(dir: &Path) -> Self {
        StagedDir {
            dest: dir.to_path_buf(),
            target: dir.to_path_buf(),
            staging: None,
        }
    }

    /// Whether [`path`](Self::path) is the new sibling, which nobody else
    /// writes or reads before the commit: files may be written there under
    /// their own names.
    pub fn is_staging(&self) -> bool {
        self.staging.is_some()
    }

    /// Writes `bytes` as the whole file `path` (inside
    /// [`path`](Self::path)): in the sibling under its own name, in one
    /// write (a temporary name each would only add a rename per file: 5000
    /// for a 1000-task result); in place atomically, as [`write_atomic`].
    pub(crate) fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
        if self.staging.is_none() {
            return AtomicFile::write_bytes(path, bytes).map(|_| ());
        }
        let mut file = File::create_new(path).map_err(|e| ReportError::io("create", path, e))?;
        file.write_all(bytes)
            .map_err(|e| ReportError::io("write", path, e))
    }

    /// `path` (inside [`path`](Self::path)) as it is named once committed.
    pub fn dest_of(&self, path: &Path) -> PathBuf {
        match &self.staging {
            Some(s) => path
                .strip_prefix(s)
                .map_or_else(|_| path.to_path_buf(), |rest| self.dest.join(rest)),
            None => path.to_path_buf(),
        }
    }

    /// `e` naming the file as the user knows it (not inside the sibling).
    pub fn relocate(&self, e: ReportError) -> ReportError {
        match e {
            ReportError::Io {
                action,
                path,
                source,
            } => ReportError::Io {
                action,
                path: self.dest_of(&path),
                source,
            },
            other => other,
        }
    }

    /// Puts the sibling in place. Should a directory have appeared at
    /// `dest` meanwhile (another run), the files are moved into it one by
    /// one, each atomically, [`RESULT_FILE`] last (a directory with a
    /// `result.json` is complete).
    ///
    /// # Errors
    ///
    /// [`ReportError::Io`] naming `dest` or the file that could not be
    /// moved; the sibling is then removed.
    pub fn commit(mut self) -> Result<(), ReportError> {
        let Some(staging) = self.staging.clone() else {
            return Ok(());
        };
        match fs::rename(&staging, &self.target) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::DirectoryNotEmpty
                        | io::ErrorKind::AlreadyExists
                        | io::ErrorKind::IsADirectory
                ) =>
            {
                self.move_files(&staging)?;
            }
            Err(e) => {
                return Err(ReportError::io(
                    "rename a temporary directory to",
                    &self.dest,
                    e,
                ));
            }
        }
        self.staging = None;
        Ok(())
    }

    /// Moves every file of `staging` into the directory now at `dest`
    /// ([`RESULT_FILE`] last), then removes `staging`.
    fn move_files(&self, staging: &Path) -> Result<(), ReportError> {
        let dest = &self.dest;
        let entries = fs::read_dir(staging).map_err(|e| ReportError::io("read", dest, e))?;
        let mut names = Vec::new();
        for entry in entries {
            names.push(
                entry
                    .map_err(|e| ReportError::io("read", dest, e))?
                    .file_name(),
            );
        }
        names.sort_by_key(|n| n.as_os_str() == RESULT_FILE);
        for name in names {
            let to = dest.join(&name);
            fs::rename(staging.join(&name), self.target.join(&name))
                .map_err(|e| ReportError::io("rename a temporary file to", &to, e))?;
        }
        // Every file is in place: a sibling that will not go is only
        // an empty directory.
        let _ = fs::remove_dir(staging);
        Ok(())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if let Some(s) = &self.staging {
            // Errors are moot for a discarded directory.
            let _ = fs::remove_dir_all(s);
        }
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

    #[test]
    fn a_staged_dir_appears_only_when_committed() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("out").join("simulation");
        let staged = StagedDir::create(&dest).unwrap();
        assert!(staged.is_staging());
        fs::write(staged.path().join("a.txt"), "a").unwrap();
        // Only the hidden sibling exists meanwhile.
        assert!(!dest.exists());
        let out = root.path().join("out");
        assert!(
            entries(&out)[0].starts_with(".simulation."),
            "{:?}",
            entries(&out)
        );
        staged.commit().unwrap();
        assert_eq!(entries(&out), ["simulation"]);
        assert_eq!(entries(&dest), ["a.txt"]);
    }

    #[test]
    fn a_dropped_staged_dir_leaves_nothing_behind() {
        let root = tempfile::tempdir().unwrap();
        let staged = StagedDir::create(&root.path().join("run")).unwrap();
        fs::write(staged.path().join("half.json"), "{").unwrap();
        drop(staged);
        assert!(entries(root.path()).is_empty());
    }

    #[test]
    fn a_dir_that_appears_meanwhile_gets_the_files_one_by_one() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("run");
        let staged = StagedDir::create(&dest).unwrap();
        fs::write(staged.path().join("result.json"), "new").unwrap();
        // Another run created the directory and wrote into it.
        fs::create_dir(&dest).unwrap();
        fs::write(dest.join("result.json"), "old").unwrap();
        fs::write(dest.join("other.txt"), "kept").unwrap();
        staged.commit().unwrap();
        assert_eq!(entries(root.path()), ["run"]);
        assert_eq!(entries(&dest), ["other.txt", "result.json"]);
        assert_eq!(fs::read_to_string(dest.join("result.json")).unwrap(), "new");
    }

    #[test]
    fn staged_errors_name_the_destination() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("run");
        let staged = StagedDir::create(&dest).unwrap();
        let inside = staged.path().join("t1.blocking.hgrm");
        let e = ReportError::io("write", &inside, io::Error::other("disk full"));
        let text = staged.relocate(e).to_string();
        assert!(
            text.contains(&*dest.join("t1.blocking.hgrm").to_string_lossy()),
            "{text}"
        );
        assert!(!text.contains(".run."), "{text}");
        // Written in place, paths are already the destination's.
        fs::create_dir(root.path().join("there")).unwrap();
        let in_place = StagedDir::create(&root.path().join("there")).unwrap();
        assert_eq!(in_place.path(), root.path().join("there"));
        assert_eq!(
            in_place.dest_of(&in_place.path().join("x")),
            root.path().join("there/x")
        );
    }

    #[test]
    fn a_name_with_no_room_for_the_siblings_suffix_is_written_in_place() {
        let root = tempfile::tempdir().unwrap();
        // 250 bytes: a file name may have 255, the sibling would need more.
        let dest = root.path().join("r".repeat(250));
        let staged = StagedDir::create(&dest).unwrap();
        assert!(!staged.is_staging());
        fs::write(staged.path().join("result.json"), "{}").unwrap();
        staged.commit().unwrap();
        assert_eq!(entries(&dest), ["result.json"]);
    }

    #[test]
    fn a_path_ending_in_a_dot_is_committed_to_its_directory() {
        let root = tempfile::tempdir().unwrap();
        let dest = root.path().join("nd1").join(".");
        let staged = StagedDir::create(&dest).unwrap();
        assert!(staged.is_staging());
        fs::write(staged.path().join("result.json"), "{}").unwrap();
        staged.commit().unwrap();
        assert_eq!(entries(root.path()), ["nd1"]);
        assert_eq!(entries(&root.path().join("nd1")), ["result.json"]);
    }
}
