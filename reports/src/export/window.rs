//! `window.json`: the first stretch of a run's job events and the
//! stretches around each task's worst miss, which reports draw as Gantt
//! timelines.

use std::io::Write;
use std::path::Path;

use rtlab_tasks::outcome::window::{WINDOW_SCHEMA, Window};

use super::AtomicFile;
use crate::ReportError;

/// The window file's name in a result directory.
pub const WINDOW_FILE: &str = "window.json";

/// Writes `dir/window.json` atomically.
pub fn write_window(dir: &Path, window: &Window) -> Result<(), ReportError> {
    let path = dir.join(WINDOW_FILE);
    let bytes = serde_json::to_vec(window).map_err(ReportError::Serialize)?;
    AtomicFile::write_with(&path, |out| {
        out.write_all(&bytes)?;
        out.write_all(b"\n")
    })?;
    Ok(())
}

/// Reads `dir/window.json`; `Ok(None)` if the directory has none.
pub fn read_window(dir: &Path) -> Result<Option<Window>, ReportError> {
    let path = dir.join(WINDOW_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ReportError::io("read", &path, e)),
    };
    let window: Window = serde_json::from_slice(&bytes).map_err(|source| ReportError::Json {
        path: path.clone(),
        source,
    })?;
    if window.schema != WINDOW_SCHEMA {
        return Err(ReportError::Schema {
            path,
            found: format!("{:?}", window.schema),
            expected: WINDOW_SCHEMA,
        });
    }
    Ok(Some(window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_window(dir.path()).unwrap(), None);
        let w = Window {
            schema: WINDOW_SCHEMA.into(),
            end_ns: 10,
            ..Window::default()
        };
        write_window(dir.path(), &w).unwrap();
        assert_eq!(read_window(dir.path()).unwrap(), Some(w));
    }
}
