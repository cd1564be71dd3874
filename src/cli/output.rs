//! What a command writes: text on standard output, and whole files
//! replaced atomically.

use std::io::Write;
use std::path::Path;

use rtlab_reports::ReportError;

use super::error::CliError;

/// Writes `text` to standard output, mapping a closed pipe to an error.
pub(super) fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(CliError::Stdout)
}

/// Writes `bytes` to `path` atomically (a temporary file in the same
/// directory, then a rename: readers never see a half-written file),
/// through the one writer every rtlab file goes through.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    match rtlab_reports::export::write_atomic(path, bytes) {
        Ok(_) => Ok(()),
        // The CLI names a failed file as `path: error`, like its other I/O
        // errors; the path is the destination, never the temporary name.
        Err(ReportError::Io { path, source, .. }) => Err(CliError::Io { path, source }),
        Err(e) => Err(CliError::Report(e)),
    }
}
