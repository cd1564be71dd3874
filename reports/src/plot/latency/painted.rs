//! Latency lines in colours of their own rather than a task's (a chain's
//! end-to-end latency and data age), with the bound named as the caller
//! says.

use plotters::style::RGBColor;
use rtlab_tasks::outcome::metrics::Recorder;

use super::{HEIGHT, LatencyAxes, Plot};
use crate::ReportError;
use crate::plot::PlotFiles;

/// A line in a colour of its own (not a task's): a chain's latency.
pub(crate) struct Painted<'a> {
    /// Legend text.
    pub(crate) label: String,
    /// Its colour.
    pub(crate) color: RGBColor,
    /// The values, in nanoseconds.
    pub(crate) recorder: &'a Recorder,
    /// A deadline to mark, in nanoseconds.
    pub(crate) deadline_ns: Option<u64>,
    /// An analysis bound to mark, in nanoseconds.
    pub(crate) bound_ns: Option<u64>,
}

/// [`latency`](super::latency) of `lines` in their own colours, the bound named `bound`
/// in the legend.
pub(crate) fn latency_painted(
    files: &PlotFiles,
    title: &str,
    quantity: &str,
    lines: &[Painted<'_>],
    axes: Option<LatencyAxes>,
    bound: &'static str,
) -> Result<(), ReportError> {
    let plot = Plot {
        bound,
        counted: "stimuli",
        ..Plot::painted(title, quantity, lines, axes)
    };
    crate::plot::layout::render(files, HEIGHT, &plot)
}
