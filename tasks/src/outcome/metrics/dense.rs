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
        // The payload length is written at the end.
        write_header(&mut out, highest_trackable);
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

/// What [`decode`] reads from V2 bytes: the highest trackable value, the
/// count of zeros and the other bins' counts.
pub(super) type Decoded = (u64, u64, Counts);

/// Reads HdrHistogram V2 bytes at rtlab's precision straight into compact
/// counts, in time proportional to the bytes: what `Deserializer` and then
/// `iter_recorded` of the dense histogram give, without its counts array
/// (building and walking it was most of a `.hgrm` export of thousands of
/// metrics).
///
/// `None` for anything outside what rtlab writes and `Deserializer`
/// accepts the same way: another cookie (compressed V2 included), another
/// precision or lowest value, a truncated payload, a count past the
/// histogram's range, a run length `Deserializer` rejects. The caller then
/// decodes with `Deserializer` itself, so every error (and every accepted
/// oddity) stays exactly the library's. The property tests of `metrics`
/// compare both ways on random recordings, merges and damaged bytes.
pub(super) fn decode(bytes: &[u8]) -> Option<Decoded> {
    let header = bytes.get(..HEADER)?;
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(header.get(at..at + 4)?.try_into().ok()?))
    };
    let long = |at: usize| -> Option<u64> {
        Some(u64::from_be_bytes(header.get(at..at + 8)?.try_into().ok()?))
    };
    let payload_len = usize::try_from(word(4)?).ok()?;
    let plain = word(0)? == V2_COOKIE
        && word(8)? == 0
        && word(12)? == u32::from(SIGNIFICANT_DIGITS)
        && long(16)? == 1
        && long(32)? == 1.0f64.to_bits();
    let highest_trackable = long(24)?;
    // `Histogram::new_with_bounds(1, high, 3)` needs high >= 2.
    if !plain || highest_trackable < 2 {
        return None;
    }
    let payload = bytes.get(HEADER..HEADER.checked_add(payload_len)?)?;
    // The dense counts array's length: bins past it do not decode.
    let bins = (u64::from(bins::buckets_to_cover(highest_trackable)) + 1) << 10;
    let mut zeros = 0;
    let mut counts = Counts::default();
    let mut index = 0u64;
    let mut rest = payload;
    while !rest.is_empty() {
        let (v, used) = read_varint(rest)?;
        rest = &rest[used..];
        let n = zig_zag_decode(v);
        if n < 0 {
            // A run of zero counts; `Deserializer` rejects the one run
            // whose length does not negate.
            index = index.checked_add(n.checked_neg()?.unsigned_abs())?;
            continue;
        }
        if n > 0 {
            if index >= bins {
                return None;
            }
            match index {
                0 => zeros = n.unsigned_abs(),
                // Below `bins`, at most 56 320.
                bin => counts.add(u32::try_from(bin).ok()?, n.unsigned_abs()),
            }
        }
        index = index.checked_add(1)?;
    }
    Some((highest_trackable, zeros, counts))
}

/// The inverse of [`zig_zag`].
fn zig_zag_decode(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Reads one varint written by [`write_varint`] from the start of
/// `bytes`: its value and length in bytes, `None` when `bytes` ends
/// inside it.
#[inline]
fn read_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..8 {
        let b = *bytes.get(i)?;
        v |= u64::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    // The ninth byte is whole.
    Some((v | (u64::from(*bytes.get(8)?) << 56), 9))
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

/// The V2 header of a histogram of [`SIGNIFICANT_DIGITS`] from 1 to
/// `highest_trackable`, with a payload length of 0 (to be patched), no
/// normalizing index offset and a conversion ratio of 1.
fn write_header(out: &mut Vec<u8>, highest_trackable: u64) {
    out.extend(V2_COOKIE.to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend(0u32.to_be_bytes());
    out.extend(u32::from(SIGNIFICANT_DIGITS).to_be_bytes());
    // The lowest discernible value.
    out.extend(1u64.to_be_bytes());
    out.extend(highest_trackable.to_be_bytes());
    out.extend(1.0f64.to_be_bytes());
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

    /// What both decoders read from `bytes`, as comparable values.
    /// (The reference only where the fast one decodes: for a run length
    /// of `i64::MIN` the library's negation overflows, a panic in a debug
    /// build.)
    fn both(bytes: &[u8]) -> (Option<Flat>, Option<Flat>) {
        let flat = |(high, zeros, counts): Decoded| (high, zeros, counts.to_vec());
        let fast = decode(bytes).map(flat);
        let reference = fast
            .as_ref()
            .and_then(|_| super::super::decode_dense(bytes).ok().map(flat));
        (fast, reference)
    }

    /// A decoding as comparable values.
    type Flat = (u64, u64, Vec<(u32, u64)>);

    /// Values in every bucket, some counted many times, up to `u64::MAX`.
    fn recording() -> impl Strategy<Value = Vec<(u64, u64)>> {
        let value = prop_oneof![
            Just(0u64),
            (0u32..64).prop_flat_map(|s| (0u64..=u64::MAX).prop_map(move |v| v >> s)),
        ];
        let count = prop_oneof![
            1u64..4,
            (1u64..=i64::MAX as u64, 0u32..63).prop_map(|(n, s)| (n >> s).max(1))
        ];
        prop::collection::vec((value, count), 0..40)
    }

    /// A damage to V2 bytes: cut short, one byte changed, or bytes added.
    #[derive(Clone, Debug)]
    enum Damage {
        None,
        Cut(usize),
        Flip(usize, u8),
        Append(Vec<u8>),
    }

    fn damage() -> impl Strategy<Value = Damage> {
        prop_oneof![
            2 => Just(Damage::None),
            1 => any::<usize>().prop_map(Damage::Cut),
            3 => (any::<usize>(), 1u8..=255).prop_map(|(at, x)| Damage::Flip(at, x)),
            1 => prop::collection::vec(any::<u8>(), 1..12).prop_map(Damage::Append),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3_000))]

        /// V2 bytes decode straight into bins as through the dense
        /// histogram; damaged bytes either decode the same way or are left
        /// to the dense decoder (never a different answer, never an
        /// answer where the library gives an error).
        #[test]
        fn decodes_as_the_deserializer_and_dense_iteration(
            values in recording(),
            high in prop_oneof![Just(2u64), 2u64..=u64::MAX],
            damage in damage(),
        ) {
            let mut h = Histogram::<u64>::new_with_bounds(1, high, SIGNIFICANT_DIGITS).unwrap();
            h.auto(true);
            for (v, n) in values {
                h.saturating_record_n(v, n);
            }
            let mut bytes = Vec::new();
            prop_assume!(V2Serializer::new().serialize(&h, &mut bytes).is_ok());
            let intact = matches!(damage, Damage::None);
            match damage {
                Damage::None => {}
                Damage::Cut(at) => bytes.truncate(at % bytes.len()),
                Damage::Flip(at, x) => {
                    let at = at % bytes.len();
                    bytes[at] ^= x;
                }
                Damage::Append(more) => bytes.extend(more),
            }
            let (fast, reference) = both(&bytes);
            if intact {
                prop_assert!(fast.is_some(), "rtlab's own bytes take the fast path");
            }
            if fast.is_some() {
                prop_assert_eq!(fast, reference);
            }
        }
    }

    /// Explicit zero counts, a run of zeros past the counts array, a count
    /// just inside and just past it, and the one run length that does not
    /// negate: each read as the dense decoder reads it, or left to it.
    #[test]
    fn hand_written_payloads_read_as_the_deserializer() {
        let v2 = |high: u64, payload: &[u64]| {
            let mut out = Vec::new();
            write_header(&mut out, high);
            for &v in payload {
                write_varint(&mut out, v);
            }
            let len = u32::try_from(out.len() - HEADER).unwrap();
            out[4..8].copy_from_slice(&len.to_be_bytes());
            out
        };
        let run = |n: i64| zig_zag(-n);
        let last = 2 * 1024 - 1; // high 2: one bucket, 2048 bins
        let cases = [
            (vec![zig_zag(3), 0, 0, zig_zag(5)], true),
            (vec![zig_zag(1), run(5_000), 0], true),
            (vec![run(last), zig_zag(7)], true),
            (vec![run(last + 1), zig_zag(7)], false),
            (vec![zig_zag(1), 1u64 << 63 | 1], true),
            // zig_zag(i64::MIN)
            (vec![u64::MAX], false),
        ];
        for (payload, fast) in cases {
            let bytes = v2(2, &payload);
            let (got, reference) = both(&bytes);
            assert_eq!(got.is_some(), fast, "{payload:?}");
            if got.is_some() {
                assert_eq!(got, reference, "{payload:?}");
            }
        }
        // Past the two-bucket array of high 2048 by one bin, and inside
        // the larger one of high 4096.
        let past = vec![run(3 * 1024), zig_zag(1)];
        assert_eq!(both(&v2(2048, &past)).0, None);
        let (got, reference) = both(&v2(4096, &past));
        assert!(got.is_some());
        assert_eq!(got, reference);
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
