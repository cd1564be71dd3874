//! The plots of a report, chosen for its runs (being written).

use std::path::Path;

use crate::ReportError;
use crate::html::Figure;
use crate::run::RunView;

/// Draws every plot that applies to `runs` into `dir`.
pub fn all(runs: &[RunView], dir: &Path) -> Result<Vec<Figure>, ReportError> {
    let _ = (runs, dir);
    Ok(Vec::new())
}
