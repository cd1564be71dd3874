//! What the dense histogram of a recorder would give (its total count,
//! quantiles and HdrHistogram V2 bytes), read from the compact counts in
//! time proportional to the bins seen, not to the dense counts array.
//!
//! These follow `Histogram::value_at_quantile` and `V2Serializer` (the
//! version the workspace pins) step by step; the property tests of
//! `metrics` compare every summary with the dense histogram's, byte for
//! byte.

use std::ops::ControlFlow;

use super::SIGNIFICANT_DIGITS;
use super::bins;
use super::counts::Counts;

/// The V2 cookie: HdrHistogram's V2 base cookie with word size 8 (0x10).
const V2_COOKIE: u32 = 0x1c84_9303 | 0x10;

/// Bytes of the V2 header before the counts: cookie, payload length,
/// normalizing index offset, significant digits, lowest discernible
/// value, highest trackable value, integer-to-double ratio.
const HEADER: usize = 40;

/// The counts of a dense histogram: zeros in bin 0, the rest by bin.
#[derive(Clone, Copy, Debug)]
pub(super) struct DenseView<'a> {
    /// The count of value 0.
    pub(super) zeros: u64,
    /// The counts of the other bins.
    pub(super) counts: &'a Counts,
}

impl DenseView<'_> {
    /// Every bin with a count, in increasing order, until `f` breaks.
    pub(super) fn try_for_each<B>(
        &self,
        mut f: impl FnMut(u32, u64) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        if self.zeros > 0 {
            f(0, self.zeros)?;
        }
        self.counts.try_for_each(f)
    }

    /// The histogram's total count (saturating, as a histogram's is).
    pub(super) fn total(&self) -> u64 {
        self.zeros.saturating_add(self.counts.total())
    }

    /// `Histogram::value_at_quantile` of the histogram, whose total count
    /// is `total`, at each of `quantiles` (in increasing order), in one
    /// pass: see [`Quantiles`].
    pub(super) fn values_at_quantiles<const N: usize>(
        &self,
        total: u64,
        quantiles: [f64; N],
    ) -> [u64; N] {
        let mut found = Quantiles::new(total, quantiles);
        let _ = self.try_for_each(|bin, n| found.visit(bin, n));
        found.values
    }

    /// The bytes `V2Serializer` writes for the histogram, whose highest
    /// trackable value is `highest_trackable` (`None` where it fails: a
    /// count above `i64::MAX`), and its values at `quantiles` (as
    /// [`DenseView::values_at_quantiles`]), in one pass.
    pub(super) fn encode<const N: usize>(
        &self,
        highest_trackable: u64,
        quantiles: [f64; N],
    ) -> (Option<Vec<u8>>, [u64; N]) {
        let mut found = Quantiles::new(self.total(), quantiles);
        let mut out = Vec::with_capacity(HEADER + 16);
        out.extend(V2_COOKIE.to_be_bytes());
        // The payload length, written at the end.
        out.extend(0u32.to_be_bytes());
        // No normalizing index offset.
        out.extend(0u32.to_be_bytes());
        out.extend(u32::from(SIGNIFICANT_DIGITS).to_be_bytes());
        // The lowest discernible value.
        out.extend(1u64.to_be_bytes());
        out.extend(highest_trackable.to_be_bytes());
        out.extend(1.0f64.to_be_bytes());
        // Counts from bin 0 to the largest counted: each count, and each
        // run of zero counts as its negated length (a lone zero as 0).
        let mut next = 0u32;
        let mut serializable = true;
        let _ = self.try_for_each(|bin, n| {
            let _ = found.visit(bin, n);
            match bin - next {
                0 => {}
                1 => write_varint(&mut out, 0),
                run => write_varint(&mut out, zig_zag(-i64::from(run))),
            }
            let Ok(n) = i64::try_from(n) else {
                serializable = false;
                return ControlFlow::Break(());
            };
            write_varint(&mut out, zig_zag(n));
            next = bin + 1;
            ControlFlow::Continue(())
        });
        if !serializable {
            return (None, self.values_at_quantiles(found.total, quantiles));
        }
        if next == 0 {
            // Nothing counted: bin 0's count of 0.
            write_varint(&mut out, 0);
        }
        let payload = u32::try_from(out.len() - HEADER).ok();
        if let Some(payload) = payload {
            out[4..8].copy_from_slice(&payload.to_be_bytes());
        }
        (payload.map(|_| out), found.values)
    }
}

/// `Histogram::value_at_quantile` at several quantiles (in increasing
/// order), for bins visited in increasing order: the highest value of the
/// first bin at which the counts so far reach the quantile's share of the
/// total (the lowest for quantile 0), 0 when never reached.
struct Quantiles<const N: usize> {
    total: u64,
    quantiles: [f64; N],
    /// The count each quantile needs to reach.
    wanted: [u64; N],
    values: [u64; N],
    /// The first quantile not reached yet.
    next: usize,
    so_far: u64,
}

impl<const N: usize> Quantiles<N> {
    fn new(total: u64, quantiles: [f64; N]) -> Self {
        let wanted = quantiles.map(|q| ((q.min(1.0) * total as f64).ceil() as u64).max(1));
        Quantiles {
            total,
            quantiles,
            wanted,
            values: [0; N],
            next: 0,
            so_far: 0,
        }
    }

    /// Counts `n` values in `bin`; breaks once every quantile is found.
    #[inline]
    fn visit(&mut self, bin: u32, n: u64) -> ControlFlow<()> {
        self.so_far = self.so_far.saturating_add(n);
        while self.next < N && self.so_far >= self.wanted[self.next] {
            self.values[self.next] = if self.quantiles[self.next] == 0.0 {
                bins::lowest_value(bin)
            } else {
                bins::highest_value(bin)
            };
            self.next += 1;
        }
        if self.next == N {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// Signed to unsigned, small magnitudes small: 0, -1, 1, -2 to 0, 1, 2, 3.
fn zig_zag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// HdrHistogram's LEB128-64b9B varint: 7 bits a byte, least significant
/// first, the high bit set when more follow, and the ninth byte whole (a
/// u64 takes at most 9 bytes).
#[inline]
fn write_varint(out: &mut Vec<u8>, v: u64) {
    if v < 0x80 {
        out.push(v as u8);
        return;
    }
    for i in 0..8 {
        let rest = v >> (7 * i);
        if rest >> 7 == 0 {
            out.push(rest as u8);
            return;
        }
        out.push((rest as u8 & 0x7F) | 0x80);
    }
    out.push((v >> 56) as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;
    use hdrhistogram::serialization::{Serializer, V2Serializer};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// A value counted `n` times beside `zeros` zeros encodes as the
        /// serializer writes it: counts (and so varints) of every length
        /// up to 9 bytes, runs of zero counts of every length.
        #[test]
        fn encodes_as_v2_serializer(
            value in (1u64..u64::MAX, 0u32..64).prop_map(|(v, s)| (v >> s).max(1)),
            n in (1u64..=i64::MAX as u64, 0u32..63).prop_map(|(n, s)| (n >> s).max(1)),
            zeros in prop_oneof![Just(0u64), 1u64..1_000],
        ) {
            let mut h = Histogram::<u64>::new(SIGNIFICANT_DIGITS).unwrap();
            h.record_n(value, n).unwrap();
            h.record_n(0, zeros).unwrap();
            let mut theirs = Vec::new();
            V2Serializer::new().serialize(&h, &mut theirs).unwrap();
            let mut counts = Counts::default();
            counts.add(bins::bin_of(value), n);
            let view = DenseView { zeros, counts: &counts };
            let qs = [0.0, 0.3, 0.5, 0.999, 1.0];
            let expected = qs.map(|q| h.value_at_quantile(q));
            prop_assert_eq!(view.encode(h.high(), qs), (Some(theirs), expected));
            prop_assert_eq!(view.total(), h.len());
            prop_assert_eq!(view.values_at_quantiles(view.total(), qs), expected);
        }
    }

    /// Nothing counted: bin 0's zero count alone, as for an empty
    /// histogram; a count past i64::MAX does not serialize.
    #[test]
    fn empty_and_unserializable() {
        let h = Histogram::<u64>::new(SIGNIFICANT_DIGITS).unwrap();
        let mut theirs = Vec::new();
        V2Serializer::new().serialize(&h, &mut theirs).unwrap();
        let counts = Counts::default();
        let view = DenseView {
            zeros: 0,
            counts: &counts,
        };
        assert_eq!(view.encode(2, [0.0, 0.5]), (Some(theirs), [0, 0]));
        let huge = DenseView {
            zeros: u64::MAX,
            counts: &counts,
        };
        assert_eq!(huge.encode(2, [0.5]), (None, [0]));
    }
}
