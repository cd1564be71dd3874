//! HdrHistogram's bin layout at rtlab's precision, computed without a
//! histogram.
//!
//! A histogram with 3 significant digits and a lowest discernible value of
//! 1 keeps 2048 sub-buckets per bucket (the smallest power of two above
//! 2 * 10^3). Bucket 0 holds 0..2048 at unit width; bucket k >= 1 holds the
//! 1024 bins of width 2^k that cover [2^(10 + k), 2^(11 + k)) (its lower
//! half is bucket k - 1's upper half). The counts array is laid out as
//! bucket 0's 2048 bins, then 1024 bins per further bucket: the "bin" of a
//! value below is its index in that array, the same index `Histogram`
//! uses internally, so counts keyed by bin read back into a histogram
//! exactly. These are HdrHistogram's own formulas (`bucket_for`,
//! `sub_bucket_for`, `index_for`, `value_for`) with the precision fixed;
//! the unit tests check them against `Histogram` itself.

/// log2 of the sub-bucket count (2048) at 3 significant digits.
const SUB_BUCKET_MAGNITUDE: u32 = 11;
/// log2 of half the sub-bucket count (1024): the bins per bucket past 0.
const HALF_MAGNITUDE: u32 = SUB_BUCKET_MAGNITUDE - 1;
/// Half the sub-bucket count.
const HALF_COUNT: u32 = 1 << HALF_MAGNITUDE;
/// The values bucket 0 holds at unit width, as a mask (2047).
const SUB_BUCKET_MASK: u64 = (1 << SUB_BUCKET_MAGNITUDE) - 1;

/// The bucket of `value`: how many powers of two it lies above the values
/// bucket 0 holds (0 for 0..2048, at most 53).
#[inline]
pub(super) fn bucket_of(value: u64) -> u32 {
    // 64 bits minus the 11 a value of bucket 0 uses: HdrHistogram's
    // `leading_zero_count_base` at unit magnitude 0.
    (64 - SUB_BUCKET_MAGNITUDE) - (value | SUB_BUCKET_MASK).leading_zeros()
}

/// The bin (counts-array index) `value` is counted in: at most
/// [`bin_of`]`(u64::MAX)` = 56 319.
#[inline]
pub(super) fn bin_of(value: u64) -> u32 {
    let bucket = bucket_of(value);
    // Below 2048 for every bucket, and at least 1024 past bucket 0.
    let sub_bucket = (value >> bucket) as u32;
    ((bucket + 1) << HALF_MAGNITUDE) + sub_bucket - HALF_COUNT
}

/// The bucket and sub-bucket of `bin` (HdrHistogram's `value_for`).
#[inline]
fn location(bin: u32) -> (u32, u32) {
    let sub_bucket = (bin & (HALF_COUNT - 1)) + HALF_COUNT;
    match (bin >> HALF_MAGNITUDE).checked_sub(1) {
        Some(bucket) => (bucket, sub_bucket),
        // The lower half of bucket 0.
        None => (0, sub_bucket - HALF_COUNT),
    }
}

/// The smallest value counted in `bin` (HdrHistogram's
/// `lowest_equivalent` of any value of the bin).
#[inline]
pub(super) fn lowest_value(bin: u32) -> u64 {
    let (bucket, sub_bucket) = location(bin);
    u64::from(sub_bucket) << bucket
}

/// The largest value counted in `bin`, capped at `u64::MAX - 1` for the
/// last bin as HdrHistogram's `highest_equivalent` is for every value of it
/// but `u64::MAX` itself.
#[inline]
pub(super) fn highest_value(bin: u32) -> u64 {
    let (bucket, _) = location(bin);
    lowest_value(bin).saturating_add(1 << bucket) - 1
}

/// The middle of `bin`'s value range, rounded up (HdrHistogram's
/// `median_equivalent` of any value of the bin): its lowest value plus
/// half its width.
#[inline]
pub(super) fn median_value(bin: u32) -> u64 {
    let (bucket, _) = location(bin);
    lowest_value(bin) + ((1u64 << bucket) >> 1)
}

/// The buckets a histogram needs to count `value` (HdrHistogram's
/// `buckets_to_cover`): its counts array then holds
/// `(buckets + 1) * 1024` bins.
#[inline]
pub(super) fn buckets_to_cover(value: u64) -> u32 {
    bucket_of(value) + 1
}

/// The largest value a histogram of `buckets` buckets counts: its highest
/// trackable value after it grew to that size by recording.
pub(super) fn highest_covered(buckets: u32) -> u64 {
    highest_value(((buckets + 1) << HALF_MAGNITUDE) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;
    use proptest::prelude::*;

    fn reference() -> Histogram<u64> {
        Histogram::new(3).expect("3 digits is valid")
    }

    /// Values of every magnitude: uniform bits, then shifted down to a
    /// random width so small and large magnitudes are equally likely.
    fn any_magnitude() -> impl Strategy<Value = u64> {
        (any::<u64>(), 0u32..64).prop_map(|(v, shift)| v >> shift)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The bin's value range is HdrHistogram's equivalence range of
        /// every value, up to `u64::MAX`, and a histogram grown to hold
        /// the value counts it in that bin.
        #[test]
        fn bins_match_hdrhistogram_equivalence(v in any_magnitude()) {
            let h = reference();
            let bin = bin_of(v);
            prop_assert!(bin <= bin_of(u64::MAX));
            prop_assert_eq!(lowest_value(bin), h.lowest_equivalent(v));
            if v != u64::MAX {
                prop_assert_eq!(highest_value(bin), h.highest_equivalent(v));
            }
            prop_assert_eq!(median_value(bin), h.median_equivalent(v));
            prop_assert_eq!(bin_of(lowest_value(bin)), bin);
            prop_assert_eq!(bin_of(highest_value(bin)), bin);
            let mut grown = reference();
            grown.record(v).expect("a histogram grows to any u64");
            prop_assert_eq!(grown.buckets(), buckets_to_cover(v) as u8);
            prop_assert_eq!(grown.distinct_values(), (buckets_to_cover(v) as usize + 1) << 10);
            // A value of the first bucket needs no growth: the histogram
            // keeps the highest trackable value it was made with.
            let high = if v < 2048 { 2 } else { highest_covered(buckets_to_cover(v)) };
            prop_assert_eq!(grown.high(), high);
            prop_assert_eq!(grown.count_at(lowest_value(bin)), 1);
        }
    }

    /// The edges: 0, the end of bucket 0, the first values of bucket 1,
    /// the largest value tracked without the last bucket, `u64::MAX`.
    #[test]
    fn bins_at_the_edges_of_buckets() {
        assert_eq!(bin_of(0), 0);
        assert_eq!(bin_of(2047), 2047);
        assert_eq!(
            (bin_of(2048), bin_of(2049), bin_of(2050)),
            (2048, 2048, 2049)
        );
        assert_eq!((lowest_value(2048), highest_value(2048)), (2048, 2049));
        assert_eq!(bin_of(u64::MAX), 55 * 1024 - 1);
        assert_eq!(lowest_value(bin_of(u64::MAX)), 2047 << 53);
        assert_eq!(highest_value(bin_of(u64::MAX)), u64::MAX - 1);
        assert_eq!(median_value(bin_of(u64::MAX)), (2047 << 53) + (1 << 52));
        assert_eq!((median_value(0), median_value(2047)), (0, 2047));
        assert_eq!(median_value(2048), 2049);
        assert_eq!(highest_covered(1), 2047);
        assert_eq!(highest_covered(buckets_to_cover(u64::MAX)), u64::MAX - 1);
        let h = reference();
        for v in [1u64 << 62, (1 << 62) - 1, i64::MAX as u64 / 2, u64::MAX - 1] {
            assert_eq!(lowest_value(bin_of(v)), h.lowest_equivalent(v), "{v}");
            assert_eq!(highest_value(bin_of(v)), h.highest_equivalent(v), "{v}");
            assert_eq!(median_value(bin_of(v)), h.median_equivalent(v), "{v}");
        }
    }
}
