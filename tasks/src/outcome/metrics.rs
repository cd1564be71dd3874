//! Latency statistics: an HDR histogram with exact min / max / mean beside
//! it.
//!
//! A [`Recorder`] takes one value (nanoseconds) per job. Percentiles come
//! from the histogram (3 significant digits, HdrHistogram's usual
//! precision); `min`, `max` and the mean are kept exactly, never read back
//! from buckets. Recorders merge losslessly ([`Recorder::merge`]), which is
//! how per-thread live histograms and result shards add up.
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
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// Significant decimal digits kept by every histogram.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// Collects one metric: a histogram plus exact extremes and sum.
///
/// Zeros (an on-time job's tardiness, a job that was never blocked, a
/// release without jitter) are the most common value by far: they are
/// counted, and added to the histogram only when it is read, which keeps
/// the per-job cost of recording them to an increment.
#[derive(Clone, Debug)]
pub struct Recorder {
    hist: Histogram<u64>,
    /// Zeros recorded and not yet in `hist`.
    zeros: u64,
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
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// An empty recorder (the histogram grows as large values arrive).
    pub fn new() -> Self {
        Recorder {
            hist: Histogram::new(SIGNIFICANT_DIGITS)
                .expect("3 significant digits is a valid precision"),
            zeros: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
            count: 0,
        }
    }

    /// Records one value in nanoseconds.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        if ns == 0 {
            self.zeros += 1;
            self.min = 0;
            self.count += 1;
            return;
        }
        // `record` grows the histogram as needed (auto-resize); it fails
        // only beyond the largest value a histogram can track (about 2^62
        // ns, 146 years), which is then clamped rather than lost.
        if self.hist.record(ns).is_err() {
            self.hist.saturating_record(ns);
        }
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
        self.quantile_of(&self.histogram(), quantile)
    }

    /// The histogram of every value recorded (for plots and `.hgrm`
    /// export); a copy when zeros are pending.
    pub fn histogram(&self) -> Cow<'_, Histogram<u64>> {
        if self.zeros == 0 {
            return Cow::Borrowed(&self.hist);
        }
        let mut full = self.hist.clone();
        // Zero is within every histogram's range: this cannot fail.
        let _ = full.record_n(0, self.zeros);
        Cow::Owned(full)
    }

    /// Adds another recorder's values to this one, losslessly.
    pub fn merge(&mut self, other: &Recorder) -> Result<(), MetricError> {
        self.hist
            .add(&other.hist)
            .map_err(|e| MetricError::Merge(format!("{e:?}")))?;
        self.zeros += other.zeros;
        if other.count > 0 {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.sum += other.sum;
        self.count += other.count;
        Ok(())
    }

    /// The value at `quantile` of `hist` (this recorder's full histogram),
    /// never above the exact maximum.
    fn quantile_of(&self, hist: &Histogram<u64>, quantile: f64) -> Option<u64> {
        (self.count > 0).then(|| hist.value_at_quantile(quantile).min(self.max))
    }

    /// The serializable summary, histogram included.
    pub fn summary(&self) -> Metric {
        let hist = self.histogram();
        let mut bytes = Vec::new();
        let hdr = match V2Serializer::new().serialize(&*hist, &mut bytes) {
            Ok(_) => base64::engine::general_purpose::STANDARD.encode(&bytes),
            // Serializing into a Vec cannot fail for a valid histogram.
            Err(_) => String::new(),
        };
        Metric {
            count: self.count,
            min_ns: self.min(),
            mean_ns: self.mean(),
            p50_ns: self.quantile_of(&hist, 0.50),
            p90_ns: self.quantile_of(&hist, 0.90),
            p99_ns: self.quantile_of(&hist, 0.99),
            p999_ns: self.quantile_of(&hist, 0.999),
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
        let hist: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| MetricError::Decode(format!("{e:?}")))?;
        let mut hist = hist;
        hist.auto(true);
        Ok(Recorder {
            hist,
            zeros: 0,
            min: self.min_ns.unwrap_or(u64::MAX),
            max: self.max_ns.unwrap_or(0),
            sum: self.sum_ns,
            count: self.count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zeros are counted and added to the histogram when it is read: the
    /// summary (histogram bytes included), the quantiles, the histogram and
    /// a merge are exactly what recording each zero in the histogram gives.
    #[test]
    fn pending_zeros_read_back_exactly_as_recorded_ones() {
        let values = [0u64, 7, 0, 0, 1_000_000, 0, 42, 0, 0, 0];
        let mut reference = Histogram::<u64>::new(SIGNIFICANT_DIGITS).unwrap();
        let (mut r, mut left, mut right) = (Recorder::new(), Recorder::new(), Recorder::new());
        for (i, &v) in values.iter().enumerate() {
            reference.record(v).unwrap();
            r.record(v);
            if i % 2 == 0 {
                left.record(v)
            } else {
                right.record(v)
            }
        }
        let mut bytes = Vec::new();
        V2Serializer::new()
            .serialize(&reference, &mut bytes)
            .unwrap();
        let hdr = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let m = r.summary();
        assert_eq!(m.hdr, hdr);
        assert_eq!(
            (m.count, m.min_ns, m.max_ns),
            (10, Some(0), Some(1_000_000))
        );
        assert_eq!(m.p50_ns, Some(0));
        assert_eq!(m.p90_ns, Some(42));
        assert_eq!(r.histogram().len(), 10);
        assert_eq!(r.quantile(0.65), Some(0));
        left.merge(&right).unwrap();
        assert_eq!(left.summary(), m);
        // Only zeros: a count, a min and a max of 0.
        let mut z = Recorder::new();
        z.record(0);
        assert_eq!(
            (z.summary().min_ns, z.summary().max_ns, z.summary().p99_ns),
            (Some(0), Some(0), Some(0))
        );
    }

    #[test]
    fn exact_extremes_and_mean_beside_the_histogram() {
        let mut r = Recorder::new();
        for v in [1_001u64, 999_999, 5, 123_456_789] {
            r.record(v);
        }
        let m = r.summary();
        assert_eq!(m.min_ns, Some(5));
        assert_eq!(m.max_ns, Some(123_456_789));
        assert_eq!(
            m.mean_ns,
            Some((1_001 + 999_999 + 5 + 123_456_789) as f64 / 4.0)
        );
        assert_eq!(m.count, 4);
        // Percentiles are within the histogram's precision of the data: the
        // median of four values is the second one, p99 the largest.
        let p50 = m.p50_ns.unwrap();
        assert!(p50.abs_diff(1_001) <= 1, "{p50}");
        let p99 = m.p99_ns.unwrap();
        assert!(p99.abs_diff(123_456_789) <= 123_456_789 / 1_000, "{p99}");
    }

    #[test]
    fn empty_metric_is_null() {
        let m = Recorder::new().summary();
        assert_eq!(
            (m.count, m.min_ns, m.max_ns, m.mean_ns, m.p99_ns),
            (0, None, None, None, None)
        );
        assert_eq!(m.recorder().unwrap().count(), 0);
    }

    #[test]
    fn round_trip_and_lossless_merge() {
        let mut a = Recorder::new();
        let mut b = Recorder::new();
        for v in 0..1000u64 {
            a.record(v * 1_000);
            b.record(v * 7_000 + 3);
        }
        let mut whole = Recorder::new();
        whole.merge(&a).unwrap();
        whole.merge(&b).unwrap();
        let back_a = a.summary().recorder().unwrap();
        let back_b = b.summary().recorder().unwrap();
        let mut merged = back_a;
        merged.merge(&back_b).unwrap();
        assert_eq!(merged.summary(), whole.summary());
        assert_eq!(merged.min(), Some(0));
        assert_eq!(merged.max(), Some(999 * 7_000 + 3));
        assert_eq!(merged.count(), 2000);
    }
}
