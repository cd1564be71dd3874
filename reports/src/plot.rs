//! Plots, each written as PNG and SVG.
//!
//! Text is drawn with the DejaVu Sans faces compiled into the binary (the
//! `dejavu` crate through plotters' pure-Rust `ab_glyph` backend): no system
//! font or library is needed. [`register_fonts`] registers them once per
//! process; every plot function calls it.
//!
//! - [`sweep`]: acceptance ratio against utilization, and the distribution
//!   of breakdown utilizations, for `rtlab sweep`.
//! - [`latency`]: a latency distribution in the OSADL / cyclictest style
//!   (linear bins, log counts, worst case marked), per task or per run.
//! - [`cdf`]: latency by percentile on HdrHistogram's "nines" axis.
//! - [`chain`]: a chain's end-to-end latency against its deadline and
//!   the analysis' end-to-end bound.
//! - [`response`]: response times against deadlines, per task and run,
//!   with the response-time analysis bound beside them.
//! - [`misses`]: deadline misses and worst tardiness, per task and run.
//! - [`gantt`]: a timeline of a run's first events, per CPU and per task.
//! - [`utilization`]: how busy each CPU was, per run.
//! - [`multiples`]: a comparison's configurations side by side, a row per
//!   task and a column per configuration, one figure per metric.
//!
//! Every report plot shares one look (a colour per task, wherever it
//! appears; legends outside the data; tick labels from
//! [`format`](crate::format)), kept in the private `style` and `layout`
//! modules.
//!
//! Files are drawn under a temporary name in their directory and renamed
//! into place, like every exported file.

pub mod cdf;
pub mod chain;
pub mod gantt;
pub mod latency;
mod layout;
pub mod misses;
pub mod multiples;
pub mod response;
mod style;
pub mod sweep;
pub mod utilization;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::ReportError;

pub(crate) use style::TaskColors;

/// The font family every plot uses.
pub(crate) const FONT: &str = "sans-serif";

/// Registers DejaVu Sans (regular and bold) as the `sans-serif` family,
/// once per process.
pub fn register_fonts() -> Result<(), ReportError> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        for (style, bytes) in [
            (FontStyle::Normal, dejavu::sans::regular()),
            (FontStyle::Bold, dejavu::sans::bold()),
        ] {
            // `InvalidFont` has neither Debug nor Display: name it here.
            plotters::style::register_font(FONT, style, bytes)
                .map_err(|_| "the embedded DejaVu Sans font does not load".to_string())?;
        }
        Ok(())
    })
    .clone()
    .map_err(|message| ReportError::Plot {
        path: PathBuf::new(),
        message,
    })
}

/// The files of one plot: `<stem>.png` and `<stem>.svg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlotFiles {
    /// The PNG image.
    pub png: PathBuf,
    /// The SVG drawing.
    pub svg: PathBuf,
}

impl PlotFiles {
    /// `dir/<stem>.png` and `dir/<stem>.svg`.
    pub fn new(dir: &Path, stem: &str) -> PlotFiles {
        PlotFiles {
            png: dir.join(format!("{stem}.png")),
            svg: dir.join(format!("{stem}.svg")),
        }
    }
}

/// A drawing error on `path`.
pub(crate) fn plot_error(path: &Path, e: impl std::fmt::Display) -> ReportError {
    ReportError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}
