//! Latency statistics: an HDR histogram with exact min / max / mean beside
//! it.
//!
//! A [`Recorder`] takes one value (nanoseconds) per job. Percentiles come
//! from the histogram (3 significant digits, HdrHistogram's usual
//! precision); `min`, `max` and the mean are kept exactly, never read back
//! from buckets. Recorders merge losslessly ([`Recorder::merge`]), which is
//! how per-thread live histograms and result shards add up.
//!
//! A recorder holds memory for the histogram bins its values fell in, not
//! a dense counts array from 0 to its largest value: a task's response
//! times take bytes to a few KiB however long the run ([`Recorder::heap_bytes`]).
//! Its summary, quantiles and histogram are exactly the dense
//! histogram's, byte for byte, and so are the recorded bins, moments and
//! bucket count of [`Recorder::histogram_view`] (the unit tests replay
//! random recordings, merges and round trips on both).
//!
//! ```
//! use rtlab_tasks::outcome::metrics::Recorder;
//! let mut r = Recorder::new();
//! for v in [1_000, 2_000, 3_000] {
//!     r.record(v);
//! }
//! let m = r.summary();
//! assert_eq!((m.min_ns, m.max_ns, m.mean_ns), (Some(1_000), Some(3_000), Some(2_000.0)));
//! let back = m.recorder().unwrap();
//! assert_eq!(back.count(), 3);
//! ```

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

mod bins;
mod counts;
mod dense;
mod view;

use counts::Counts;
use dense::DenseView;
pub use view::{HistogramView, RecordedBin};

/// Significant decimal digits kept by every histogram.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// The highest trackable value of a new histogram (HdrHistogram's
/// `Histogram::new`: twice the lowest discernible value, 1).
const FIRST_HIGHEST_TRACKABLE: u64 = 2;

/// Collects one metric: a histogram plus exact extremes and sum.
///
/// The histogram is kept compact: counts of the HDR bins values fell in
/// (3 significant digits), in memory proportional to the bins seen, not a
/// dense counts array from 0 to the largest value (139 KB for one 50 ms
/// response time). [`Recorder::histogram`] reads it back into the
/// HdrHistogram a dense recorder would hold, highest trackable value
/// included, so summaries, quantiles and exports are the same bytes.
///
/// Zeros (an on-time job's tardiness, a job that was never blocked, a
/// release without jitter) are the most common value by far: they are
/// counted apart, which keeps the per-job cost of recording them to an
/// increment.
#[derive(Clone, Debug)]
pub struct Recorder {
    /// Counts of the non-zero values, by bin.
    counts: Counts,
    zeros: u64,
    /// The highest trackable value of the dense histogram these values
    /// would be in (it is in its serialized header), as of the last merge
    /// or decoding: recording grows it when read (`Recorder::highest_trackable`).
    highest_trackable: u64,
    /// How many values of exactly `u64::MAX` were recorded (here or in a
    /// recorder merged in) since the last decoding. A dense histogram
    /// tells them apart from the rest of their bin: its `max()` is then
    /// `u64::MAX` (one less after decoding, which reads the bin back as
    /// its highest value), which sets how far a merge grows the highest
    /// trackable value, and its `min_nz()` stays `u64::MAX` while they
    /// are its only non-zero values.
    u64_max_count: u64,
    min: u64,
    max: u64,
    sum: u128,
    count: u64,
}

/// Why a serialized histogram could not be read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricError {
    /// The `hdr` field is not valid base64.
    #[error("histogram is not base64: {0}")]
    Base64(String),
    /// The bytes are not an HdrHistogram V2 histogram.
    #[error("histogram does not decode: {0}")]
    Decode(String),
    /// Two histograms could not be added.
    #[error("histograms do not merge: {0}")]
    Merge(String),
    /// The histogram was not written by rtlab: its precision is not
    /// [`SIGNIFICANT_DIGITS`] with a lowest discernible value of 1.
    #[error(
        "histogram has {digits} significant digits and lowest discernible value {lowest}; \
         rtlab writes {SIGNIFICANT_DIGITS} and 1"
    )]
    Precision {
        /// Its significant decimal digits.
        digits: u8,
        /// Its lowest discernible value, in nanoseconds.
        lowest: u64,
    },
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// An empty recorder (it holds no heap until values arrive).
    pub fn new() -> Self {
        Recorder {
            counts: Counts::default(),
            zeros: 0,
            highest_trackable: FIRST_HIGHEST_TRACKABLE,
            u64_max_count: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
            count: 0,
        }
    }

    /// Records one value in nanoseconds.
    // Always inlined: the simulator records five values per job, mostly
    // zeros, and a call costs more than recording one.
    #[inline(always)]
    pub fn record(&mut self, ns: u64) {
        if ns == 0 {
            self.zeros += 1;
            self.min = 0;
            self.count += 1;
            return;
        }
        // Every u64 has a bin: a histogram grows to count any of them
        // (the largest, about 584 years, in its last bucket).
        self.counts.increment(bins::bin_of(ns));
        self.u64_max_count += u64::from(ns == u64::MAX);
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
        self.sum += u128::from(ns);
        self.count += 1;
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The exact smallest value, if any.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// The exact largest value, if any.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The exact mean, if any.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The value at `quantile` (0..=1) from the histogram, if any, never
    /// above the exact maximum (a bucket's upper edge can lie past it).
    pub fn quantile(&self, quantile: f64) -> Option<u64> {
        let dense = self.dense();
        let [value] = dense.values_at_quantiles(dense.total(), [quantile]);
        (self.count > 0).then(|| value.min(self.max))
    }

    /// The bytes of heap this recorder holds: the capacity of its
    /// buffers, not counting the allocator's own overhead. Grows with the
    /// distinct bins seen (8 to 16 bytes each while they are few, 128
    /// bytes per 64 neighbouring bins past that), never with the number
    /// of values.
    pub fn heap_bytes(&self) -> usize {
        self.counts.heap_bytes()
    }

    /// The histogram of every value recorded (for plots and `.hgrm`
    /// export): the HdrHistogram that recording each value into one
    /// auto-resizing histogram, and merging as recorded, would give. Built
    /// on each call (as dense as such a histogram is): where its recorded
    /// bins, moments and bucket count are enough,
    /// [`Recorder::histogram_view`] reads them without building it.
    pub fn histogram(&self) -> Cow<'_, Histogram<u64>> {
        let mut hist = Histogram::new_with_bounds(1, self.highest_trackable(), SIGNIFICANT_DIGITS)
            .expect("a highest trackable value is at least 2, 3 digits a valid precision");
        hist.auto(true);
        if self.zeros > 0 {
            hist.record_n(0, self.zeros)
                .expect("zero is within every histogram's range");
        }
        let only_u64_max = self.u64_max_count > 0
            && self.counts.to_vec() == [(bins::bin_of(u64::MAX), self.u64_max_count)];
        self.counts.for_each(|bin, n| {
            // Each bin at its smallest value but u64::MAX where it is all
            // there is (see `u64_max_count`).
            let value = if only_u64_max {
                u64::MAX
            } else {
                bins::lowest_value(bin)
            };
            hist.record_n(value, n)
                .expect("every bin is within the highest trackable value");
        });
        if self.u64_max_count > 0 {
            // Counts nothing: raises the histogram's maximum to u64::MAX.
            hist.record_n(u64::MAX, 0)
                .expect("the last bin is within the highest trackable value");
        }
        Cow::Owned(hist)
    }

    /// The highest trackable value of the dense histogram: the one kept,
    /// unless a value recorded since lies past it, in which case the
    /// histogram grew to the end of that value's bucket.
    fn highest_trackable(&self) -> u64 {
        let buckets = bins::buckets_to_cover(self.highest_trackable);
        match self.counts.max_bin() {
            Some(bin) if bins::buckets_to_cover(bins::lowest_value(bin)) > buckets => {
                bins::highest_covered(bins::buckets_to_cover(bins::lowest_value(bin)))
            }
            _ => self.highest_trackable,
        }
    }

    /// Adds another recorder's values to this one, losslessly.
    pub fn merge(&mut self, other: &Recorder) -> Result<(), MetricError> {
        self.highest_trackable = self.highest_trackable();
        if let Some(bin) = other.counts.max_bin() {
            // HdrHistogram's `add`: a histogram too small for the other's
            // maximum grows to exactly that maximum (the highest value
            // of its bin), not to the end of its bucket as recording does.
            let top = bins::highest_covered(bins::buckets_to_cover(self.highest_trackable));
            let other_max = if other.u64_max_count > 0 {
                u64::MAX
            } else {
                bins::highest_value(bin)
            };
            if top < other_max {
                self.highest_trackable = other_max;
            }
        }
        other.counts.for_each(|bin, n| self.counts.add(bin, n));
        self.u64_max_count = self.u64_max_count.saturating_add(other.u64_max_count);
        self.zeros = self.zeros.saturating_add(other.zeros);
        if other.count > 0 {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.sum += other.sum;
        self.count += other.count;
        Ok(())
    }

    /// The counts of the dense histogram, read in place.
    fn dense(&self) -> DenseView<'_> {
        DenseView {
            zeros: self.zeros,
            counts: &self.counts,
        }
    }

    /// The serializable summary, histogram included: the same as the
    /// dense histogram's, read from the bins seen without building it.
    pub fn summary(&self) -> Metric {
        let (bytes, quantiles) = self
            .dense()
            .encode(self.highest_trackable(), [0.50, 0.90, 0.99, 0.999]);
        let hdr = match bytes {
            Some(bytes) => base64::engine::general_purpose::STANDARD.encode(bytes),
            // A count past i64::MAX, which V2 cannot hold.
            None => String::new(),
        };
        // Never above the exact maximum (a bin's upper edge can lie past
        // it).
        let [p50, p90, p99, p999] = quantiles.map(|v| (self.count > 0).then(|| v.min(self.max)));
        Metric {
            count: self.count,
            min_ns: self.min(),
            mean_ns: self.mean(),
            p50_ns: p50,
            p90_ns: p90,
            p99_ns: p99,
            p999_ns: p999,
            max_ns: self.max(),
            sum_ns: self.sum,
            hdr,
        }
    }
}

/// One metric of one task in a result file: exact count, min, mean, max,
/// percentiles from the histogram, and the histogram (HdrHistogram V2,
/// base64) for lossless merging and plotting. Fields are `null` when no
/// value was recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Number of values.
    pub count: u64,
    /// Exact minimum, in nanoseconds.
    pub min_ns: Option<u64>,
    /// Exact mean, in nanoseconds.
    pub mean_ns: Option<f64>,
    /// Median, in nanoseconds (histogram precision: 3 significant digits).
    pub p50_ns: Option<u64>,
    /// 90th percentile, in nanoseconds.
    pub p90_ns: Option<u64>,
    /// 99th percentile, in nanoseconds.
    pub p99_ns: Option<u64>,
    /// 99.9th percentile, in nanoseconds.
    pub p999_ns: Option<u64>,
    /// Exact maximum, in nanoseconds.
    pub max_ns: Option<u64>,
    /// Exact sum of all values, in nanoseconds (for lossless merging of the
    /// mean).
    pub sum_ns: u128,
    /// The histogram: HdrHistogram V2 serialization, base64.
    pub hdr: String,
}

impl Metric {
    /// The recorder this metric was made from (histogram decoded, exact
    /// fields restored), for merging and plotting.
    pub fn recorder(&self) -> Result<Recorder, MetricError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.hdr)
            .map_err(|e| MetricError::Base64(e.to_string()))?;
        let (highest_trackable, zeros, counts) = match dense::decode(&bytes) {
            Some(decoded) => decoded,
            None => decode_dense(&bytes)?,
        };
        Ok(Recorder {
            counts,
            zeros,
            highest_trackable,
            min: self.min_ns.unwrap_or(u64::MAX),
            max: self.max_ns.unwrap_or(0),
            sum: self.sum_ns,
            count: self.count,
            ..Recorder::new()
        })
    }
}

/// Decodes V2 bytes through HdrHistogram's dense histogram: the reference
/// [`dense::decode`] falls back to for bytes it does not take (its errors
/// are the library's).
fn decode_dense(bytes: &[u8]) -> Result<dense::Decoded, MetricError> {
    let hist: Histogram<u64> = Deserializer::new()
        .deserialize(&mut &*bytes)
        .map_err(|e| MetricError::Decode(format!("{e:?}")))?;
    // Bins are those of rtlab's precision: another one would not read
    // back the same.
    if (hist.sigfig(), hist.low()) != (SIGNIFICANT_DIGITS, 1) {
        return Err(MetricError::Precision {
            digits: hist.sigfig(),
            lowest: hist.low(),
        });
    }
    let mut zeros = 0;
    let mut counts = Counts::default();
    for v in hist.iter_recorded() {
        match bins::bin_of(v.value_iterated_to()) {
            0 => zeros = v.count_at_value(),
            bin => counts.add(bin, v.count_at_value()),
        }
    }
    Ok((hist.high(), zeros, counts))
}

#[cfg(test)]
mod tests;
