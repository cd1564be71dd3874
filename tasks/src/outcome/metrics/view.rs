//! The statistics of a recorder's dense histogram, read from its compact
//! bins.
//!
//! Building the dense `Histogram` ([`Recorder::histogram`]) costs a counts
//! array from 0 to the largest value, and iterating it walks every empty
//! count in between: for a `.hgrm` export of thousands of metrics that
//! walk was most of the process. [`HistogramView`] answers the same
//! questions (the recorded bins in order, total count, maximum, bucket
//! count, mean and standard deviation) in time proportional to the bins
//! seen. Each answer is the dense histogram's, float operations included:
//! these follow HdrHistogram's `iter_recorded`, `mean` and `stdev` (the
//! version the workspace pins) step by step, and the property tests of
//! `metrics` compare them bit for bit.

use std::ops::ControlFlow;

use super::dense::DenseView;
use super::{Recorder, SIGNIFICANT_DIGITS, bins};

/// One bin with values, as `Histogram::iter_recorded` yields it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordedBin {
    /// The highest value of the bin, in nanoseconds (HdrHistogram's
    /// `value_iterated_to`: the bin's highest equivalent value; at most
    /// `u64::MAX - 1`, for the last bin).
    pub value_iterated_to: u64,
    /// How many values the bin holds (HdrHistogram's `count_at_value`;
    /// never 0).
    pub count_at_value: u64,
}

impl RecordedBin {
    /// The middle of the bin, rounded up, in nanoseconds (HdrHistogram's
    /// `median_equivalent` of its values): the value `Histogram::mean`
    /// and `Histogram::stdev` count the bin's values at.
    pub fn median_equivalent(&self) -> u64 {
        bins::median_value(bins::bin_of(self.value_iterated_to))
    }
}

/// What [`Recorder::histogram`]'s dense histogram would answer, without
/// building it: see [`Recorder::histogram_view`].
#[derive(Clone, Copy, Debug)]
pub struct HistogramView<'a> {
    dense: DenseView<'a>,
    /// The dense histogram's highest trackable value.
    highest_trackable: u64,
    /// Whether `u64::MAX` itself was recorded (see `Recorder::u64_max_count`).
    has_u64_max: bool,
}

impl Recorder {
    /// The statistics of [`Recorder::histogram`]'s dense histogram, read
    /// from the bins seen in time proportional to their number (the
    /// dense histogram's own iteration walks every bin from 0 to the
    /// largest value). For exports that need only its recorded bins and
    /// moments.
    pub fn histogram_view(&self) -> HistogramView<'_> {
        HistogramView {
            dense: self.dense(),
            highest_trackable: self.highest_trackable(),
            has_u64_max: self.u64_max_count > 0,
        }
    }
}

impl HistogramView<'_> {
    /// The histogram's total count (`Histogram::len`): the sum of its
    /// bins' counts, saturating at `u64::MAX` as a histogram's does.
    pub fn len(&self) -> u64 {
        self.dense.total()
    }

    /// Whether the histogram holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The histogram's maximum, in nanoseconds (`Histogram::max`): the
    /// highest value of the largest bin with values, `u64::MAX` when that
    /// value itself was recorded, 0 when no value above 0 was. (Not the
    /// exact maximum: see [`Recorder::max`].)
    pub fn max(&self) -> u64 {
        if self.has_u64_max {
            return u64::MAX;
        }
        self.dense.counts.max_bin().map_or(0, bins::highest_value)
    }

    /// The histogram's significant decimal digits (`Histogram::sigfig`):
    /// always [`SIGNIFICANT_DIGITS`].
    pub fn sigfig(&self) -> u8 {
        SIGNIFICANT_DIGITS
    }

    /// The histogram's bucket count (`Histogram::buckets`): the buckets
    /// that cover its highest trackable value, which the largest value
    /// recorded and merges grew (1 to 54).
    pub fn buckets(&self) -> u32 {
        bins::buckets_to_cover(self.highest_trackable)
    }

    /// Calls `f` with every bin holding values, in increasing order, until
    /// it breaks: what `Histogram::iter_recorded` yields.
    pub fn try_for_each_recorded<B>(
        &self,
        mut f: impl FnMut(RecordedBin) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        self.dense.try_for_each(|bin, n| {
            f(RecordedBin {
                value_iterated_to: bins::highest_value(bin),
                count_at_value: n,
            })
        })
    }

    /// The histogram's mean, in nanoseconds (`Histogram::mean`: each bin
    /// counted at its median-equivalent value; 0 when empty). Not the
    /// exact mean: see [`Recorder::mean`].
    pub fn mean(&self) -> f64 {
        let total = self.len();
        if total == 0 {
            return 0.0;
        }
        let mut mean = 0.0_f64;
        self.for_each_bin(|bin, n| {
            // HdrHistogram's fold, operation for operation.
            mean += bins::median_value(bin) as f64 * n as f64 / total as f64;
        });
        mean
    }

    /// The histogram's standard deviation, in nanoseconds
    /// (`Histogram::stdev`, bit for bit: each bin counted at its
    /// median-equivalent value, around [`HistogramView::mean`]; 0 when
    /// empty).
    pub fn stdev(&self) -> f64 {
        let total = self.len();
        if total == 0 {
            return 0.0;
        }
        let mean = self.mean();
        let mut deviations = 0.0_f64;
        self.for_each_bin(|bin, n| {
            let dev = bins::median_value(bin) as f64 - mean;
            deviations += (dev * dev) * n as f64;
        });
        (deviations / total as f64).sqrt()
    }

    /// Every bin with values and its count, in increasing order.
    fn for_each_bin(&self, mut f: impl FnMut(u32, u64)) {
        let _ = self.dense.try_for_each(|bin, n| {
            f(bin, n);
            ControlFlow::<()>::Continue(())
        });
    }
}
