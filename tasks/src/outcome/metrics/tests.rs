use super::*;
use hdrhistogram::serialization::{Serializer, V2Serializer};
use proptest::prelude::*;
use std::ops::ControlFlow;

/// The recorder as it was before bins: one dense, auto-resizing
/// HdrHistogram per metric. The reference the compact one must match
/// byte for byte.
#[derive(Clone, Debug)]
struct Dense {
    hist: Histogram<u64>,
    zeros: u64,
    min: u64,
    max: u64,
    sum: u128,
    count: u64,
}

impl Dense {
    fn new() -> Self {
        Dense {
            hist: Histogram::new(SIGNIFICANT_DIGITS).unwrap(),
            zeros: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
            count: 0,
        }
    }

    fn record(&mut self, ns: u64) {
        if ns == 0 {
            self.zeros += 1;
            self.min = 0;
            self.count += 1;
            return;
        }
        if self.hist.record(ns).is_err() {
            self.hist.saturating_record(ns);
        }
        self.min = self.min.min(ns);
        self.max = self.max.max(ns);
        self.sum += u128::from(ns);
        self.count += 1;
    }

    fn histogram(&self) -> Histogram<u64> {
        let mut full = self.hist.clone();
        let _ = full.record_n(0, self.zeros);
        full
    }

    fn merge(&mut self, other: &Dense) {
        self.hist.add(&other.hist).unwrap();
        self.zeros += other.zeros;
        if other.count > 0 {
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.sum += other.sum;
        self.count += other.count;
    }

    fn quantile_of(&self, hist: &Histogram<u64>, quantile: f64) -> Option<u64> {
        (self.count > 0).then(|| hist.value_at_quantile(quantile).min(self.max))
    }

    fn summary(&self) -> Metric {
        let hist = self.histogram();
        let mut bytes = Vec::new();
        let hdr = match V2Serializer::new().serialize(&hist, &mut bytes) {
            Ok(_) => base64::engine::general_purpose::STANDARD.encode(&bytes),
            Err(_) => String::new(),
        };
        Metric {
            count: self.count,
            min_ns: (self.count > 0).then_some(self.min),
            mean_ns: (self.count > 0).then(|| self.sum as f64 / self.count as f64),
            p50_ns: self.quantile_of(&hist, 0.50),
            p90_ns: self.quantile_of(&hist, 0.90),
            p99_ns: self.quantile_of(&hist, 0.99),
            p999_ns: self.quantile_of(&hist, 0.999),
            max_ns: (self.count > 0).then_some(self.max),
            sum_ns: self.sum,
            hdr,
        }
    }

    fn from_metric(m: &Metric) -> Dense {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&m.hdr)
            .unwrap();
        let mut hist: Histogram<u64> = Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        hist.auto(true);
        Dense {
            hist,
            zeros: 0,
            min: m.min_ns.unwrap_or(u64::MAX),
            max: m.max_ns.unwrap_or(0),
            sum: m.sum_ns,
            count: m.count,
        }
    }
}

/// The highest trackable value in a metric's serialized header.
fn header_high(m: &Metric) -> u64 {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&m.hdr)
        .unwrap();
    // Cookie, length, offset, digits (4 bytes each), lowest (8), highest.
    u64::from_be_bytes(bytes[24..32].try_into().unwrap())
}

/// One step applied to two recorders `a` and `b`, compact and dense alike.
#[derive(Clone, Debug)]
enum Step {
    /// Record into `a` (true) or `b`.
    Record(bool, u64),
    /// Record a value `n` times into `a`.
    Repeat(u64, u16),
    /// `a.merge(b)`, or `b.merge(a)`.
    Merge(bool),
    /// Replace `a` (or `b`) by the recorder its summary decodes to.
    RoundTrip(bool),
    /// Start `b` afresh.
    ResetB,
}

/// Values of every kind the simulator and the live engine produce: zero,
/// unit-width bins, 1 ns to hours; with `huge`, also up to 2^62 (the
/// largest value `Histogram::new` promises to track) and past it to
/// `u64::MAX`. (Huge values make every dense histogram 56 320 counts
/// long: they are kept to one case in eight so thousands of cases run in
/// a debug build.)
fn value(huge: bool) -> BoxedStrategy<u64> {
    let ordinary = prop_oneof![
        2 => Just(0u64),
        2 => 1u64..4_096,
        6 => (0u32..43).prop_flat_map(|e| (1u64 << e)..(2u64 << e)),
        2 => 1_000u64..3_600_000_000_000,
    ];
    if !huge {
        return ordinary.boxed();
    }
    prop_oneof![
        6 => ordinary,
        1 => (1u64 << 61)..=(1u64 << 62),
        1 => prop_oneof![Just(u64::MAX), Just(u64::MAX - 1), (1u64 << 62)..=u64::MAX],
    ]
    .boxed()
}

/// A recording: a handful of values repeated (the simulator's common
/// case) or values anywhere, with merges and round trips between.
fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::bool::weighted(0.125).prop_flat_map(|huge| {
        prop::collection::vec(value(huge), 1..6).prop_flat_map(move |palette| {
            let n = palette.len();
            let step = prop_oneof![
                8 => (any::<bool>(), 0..n).prop_map(move |(a, i)| Step::Record(a, palette[i])),
                4 => (any::<bool>(), value(huge)).prop_map(|(a, v)| Step::Record(a, v)),
                1 => (value(huge), 1u16..2_000).prop_map(|(v, n)| Step::Repeat(v, n)),
                1 => any::<bool>().prop_map(Step::Merge),
                1 => any::<bool>().prop_map(Step::RoundTrip),
                1 => Just(Step::ResetB),
            ];
            prop::collection::vec(step, 0..80)
        })
    })
}

/// Replays `steps` on both implementations and checks that every
/// observable agrees after each round trip and at the end.
fn replay(steps: &[Step]) -> Result<(), TestCaseError> {
    let (mut a, mut b) = (Recorder::new(), Recorder::new());
    let (mut da, mut db) = (Dense::new(), Dense::new());
    for step in steps {
        match *step {
            Step::Record(true, v) => {
                a.record(v);
                da.record(v);
            }
            Step::Record(false, v) => {
                b.record(v);
                db.record(v);
            }
            Step::Repeat(v, n) => {
                for _ in 0..n {
                    a.record(v);
                    da.record(v);
                }
            }
            Step::Merge(true) => {
                a.merge(&b).unwrap();
                da.merge(&db);
            }
            Step::Merge(false) => {
                b.merge(&a).unwrap();
                db.merge(&da);
            }
            Step::RoundTrip(first) => {
                let (r, d) = if first {
                    (&mut a, &mut da)
                } else {
                    (&mut b, &mut db)
                };
                let m = d.summary();
                prop_assert_eq!(&r.summary(), &m);
                *r = m.recorder().unwrap();
                *d = Dense::from_metric(&m);
            }
            Step::ResetB => (b, db) = (Recorder::new(), Dense::new()),
        }
    }
    agree(&a, &da)?;
    agree(&b, &db)
}

/// The compact recorder shows what the dense one does: the summary (the
/// histogram's bytes, header included), quantiles, extremes, and the
/// histogram itself.
fn agree(r: &Recorder, d: &Dense) -> Result<(), TestCaseError> {
    let (m, dm) = (r.summary(), d.summary());
    prop_assert_eq!(header_high(&m), header_high(&dm));
    prop_assert_eq!(&m, &dm);
    let (h, dh) = (r.histogram(), d.histogram());
    prop_assert_eq!(
        (h.high(), h.distinct_values(), h.len(), h.max(), h.min_nz()),
        (
            dh.high(),
            dh.distinct_values(),
            dh.len(),
            dh.max(),
            dh.min_nz()
        )
    );
    // Equal counts (not printed: tens of thousands of them).
    prop_assert!(*h == dh, "the histograms' counts differ");
    for q in [0.0, 0.75, 1.0] {
        prop_assert_eq!(r.quantile(q), d.quantile_of(&dh, q));
    }
    prop_assert_eq!((r.count(), r.min(), r.max()), (m.count, m.min_ns, m.max_ns));
    view_reads_as(r, &h)?;
    view_reads_as(r, &dh)
}

/// The recorded bins of `h` as `Histogram::iter_recorded` yields them.
fn dense_recorded(h: &Histogram<u64>) -> Vec<RecordedBin> {
    h.iter_recorded()
        .map(|v| RecordedBin {
            value_iterated_to: v.value_iterated_to(),
            count_at_value: v.count_at_value(),
        })
        .collect()
}

/// Every bin the view yields, in order.
fn view_recorded(view: &HistogramView<'_>) -> Vec<RecordedBin> {
    let mut all = Vec::new();
    let _ = view.try_for_each_recorded(|bin| {
        all.push(bin);
        ControlFlow::<()>::Continue(())
    });
    all
}

/// `r`'s histogram view answers what the dense histogram `h` does: its
/// recorded bins in order, total, maximum, bucket count and precision,
/// and its mean and standard deviation to the bit.
fn view_reads_as(r: &Recorder, h: &Histogram<u64>) -> Result<(), TestCaseError> {
    let view = r.histogram_view();
    let bins = view_recorded(&view);
    prop_assert_eq!(&bins, &dense_recorded(h));
    for bin in &bins {
        prop_assert_eq!(
            bin.median_equivalent(),
            h.median_equivalent(bin.value_iterated_to)
        );
    }
    prop_assert_eq!(
        (view.len(), view.is_empty(), view.max()),
        (h.len(), h.is_empty(), h.max())
    );
    prop_assert_eq!(
        (view.buckets(), view.sigfig()),
        (u32::from(h.buckets()), h.sigfig())
    );
    prop_assert_eq!(view.mean().to_bits(), h.mean().to_bits());
    prop_assert_eq!(view.stdev().to_bits(), h.stdev().to_bits());
    Ok(())
}

proptest! {
    // 2 000 cases (a minute in a debug build); PROPTEST_CASES=N for a
    // longer hunt.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000)
    ))]

    /// For any recording, with merges and round trips through
    /// `Metric::recorder`, the compact recorder's summary is byte for byte
    /// the dense histogram's.
    #[test]
    fn summary_is_the_dense_histograms_byte_for_byte(steps in steps()) {
        replay(&steps)?;
    }
}

/// The view's edge cases read as the dense histogram rebuilt from the
/// same recorder: empty, only zeros, `u64::MAX` alone (the maximum the
/// histogram keeps apart) and beside other values, a small histogram
/// merged into a large one and the reverse (highest trackable growth),
/// a recorder decoded with a high header, and counts past `i64::MAX`
/// that saturate when merged.
#[test]
fn histogram_view_edge_cases_read_as_the_dense_histogram() {
    let recorded = |values: &[u64]| {
        let mut r = Recorder::new();
        values.iter().for_each(|&v| r.record(v));
        r
    };
    let mut cases = vec![
        Recorder::new(),
        recorded(&[0, 0, 0]),
        recorded(&[u64::MAX]),
        recorded(&[u64::MAX, u64::MAX - 1, 0, 5]),
        recorded(&[1, 2_047, 2_048, 1 << 40]),
    ];
    let (mut small, big) = (recorded(&[0, 3]), recorded(&[70_000_000, 1]));
    let mut grown = big.clone();
    grown.merge(&small).unwrap();
    small.merge(&big).unwrap();
    let decoded = small.summary().recorder().unwrap();
    let mut u64_max_merged = recorded(&[4]);
    u64_max_merged.merge(&recorded(&[u64::MAX])).unwrap();
    cases.extend([small, grown, decoded, u64_max_merged]);
    // i64::MAX values in one bin, then merged with itself twice: the
    // histogram's counts and total saturate at u64::MAX.
    let mut huge = Histogram::<u64>::new(SIGNIFICANT_DIGITS).unwrap();
    huge.record_n(1_500_000, i64::MAX as u64).unwrap();
    let mut bytes = Vec::new();
    V2Serializer::new().serialize(&huge, &mut bytes).unwrap();
    let mut m = recorded(&[1_500_000]).summary();
    m.hdr = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let mut saturated = m.recorder().unwrap();
    saturated.record(0);
    for _ in 0..2 {
        saturated.merge(&saturated.clone()).unwrap();
    }
    assert_eq!(saturated.histogram_view().len(), u64::MAX);
    cases.push(saturated);
    for (i, r) in cases.iter().enumerate() {
        let result = view_reads_as(r, &r.histogram());
        assert!(result.is_ok(), "case {i}: {result:?}");
    }
    assert_eq!(
        view_recorded(&cases[2].histogram_view()),
        [RecordedBin {
            value_iterated_to: u64::MAX - 1,
            count_at_value: 1
        }]
    );
    assert_eq!(cases[2].histogram_view().max(), u64::MAX);
}

/// The view stops where its caller breaks, as an iterator left early.
#[test]
fn recorded_bins_stop_when_the_caller_breaks() {
    let mut r = Recorder::new();
    for v in [0, 10, 20, 30] {
        r.record(v);
    }
    let mut seen = Vec::new();
    let flow = r.histogram_view().try_for_each_recorded(|bin| {
        seen.push(bin.value_iterated_to);
        if bin.value_iterated_to == 10 {
            ControlFlow::Break(seen.len())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!((flow, seen), (ControlFlow::Break(2), vec![0, 10]));
}

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

/// `n` values log-uniform over 1 us..100 ms, from a fixed xorshift64*
/// sequence.
fn log_uniform(n: usize) -> Vec<u64> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let (lo, hi) = (1_000f64.ln(), 100_000_000f64.ln());
    (0..n)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let u = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
            (lo + u * (hi - lo)).exp() as u64
        })
        .collect()
}

/// A recorder's heap follows the bins it saw, not the range below its
/// largest value nor the number of values. Measured (bytes of buffer
/// capacity): 100 000 values log-uniform over 1 us..100 ms (every bin of
/// 17 octaves in use, the worst case) hold 38 016 where the dense
/// histogram holds 147 456; 1 000 of them hold 8 192; a million values
/// from a handful of response times hold 32; a million spread over
/// 10..12 ms hold 544 (the dense histogram: 122 880).
#[test]
fn heap_grows_with_the_bins_seen_not_with_the_values() {
    let dense_bytes = |d: &Dense| d.hist.distinct_values() * size_of::<u64>();
    let (mut r, mut d) = (Recorder::new(), Dense::new());
    for v in log_uniform(100_000) {
        r.record(v);
        d.record(v);
    }
    assert_eq!(dense_bytes(&d), 147_456);
    assert!(r.heap_bytes() * 3 < dense_bytes(&d), "{}", r.heap_bytes());

    let mut r = Recorder::new();
    for v in log_uniform(1_000) {
        r.record(v);
    }
    assert!(r.heap_bytes() < 32 * 1024, "{}", r.heap_bytes());

    let mut r = Recorder::new();
    for i in 0..1_000_000 {
        r.record([1_204_000, 1_530_500, 2_004_100, 3_100_250][i % 4]);
    }
    assert!(r.heap_bytes() <= 64, "{}", r.heap_bytes());

    let (mut r, mut d) = (Recorder::new(), Dense::new());
    for i in 0..1_000_000u64 {
        let v = 10_000_000 + (i * 7_919) % 2_000_000;
        r.record(v);
        d.record(v);
    }
    assert!(r.heap_bytes() < 1_024, "{}", r.heap_bytes());
    assert_eq!(dense_bytes(&d), 122_880);
    assert_eq!(r.summary(), d.summary());
}

/// The highest trackable value in the V2 header is a dense histogram's:
/// the end of the largest value's bucket whatever the order values came
/// in, and a merge grows it only to the other histogram's maximum, as
/// HdrHistogram's `add` does.
#[test]
fn header_highest_trackable_as_the_dense_histogram_grows_it() {
    let values = [5_000u64, 70_000_000, 3, 1_500_000, 69_999_999];
    let end_of_bucket = (1u64 << 27) - 1;
    let mut orders = vec![values.to_vec()];
    orders.push(values.iter().rev().copied().collect());
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    orders.push(sorted);
    for order in orders {
        let mut r = Recorder::new();
        for &v in &order {
            r.record(v);
        }
        assert_eq!(header_high(&r.summary()), end_of_bucket, "{order:?}");
    }
    // Only values of the first bucket: the histogram never grew.
    let mut small = Recorder::new();
    small.record(2_047);
    assert_eq!(header_high(&small.summary()), 2);
    // Merged into a smaller histogram: grown to the other's maximum (the
    // highest value of its bin), as the dense reference is.
    let (mut big, mut dense_big) = (Recorder::new(), Dense::new());
    big.record(70_000_000);
    dense_big.record(70_000_000);
    let mut dense_small = Dense::new();
    dense_small.record(2_047);
    small.merge(&big).unwrap();
    dense_small.merge(&dense_big);
    assert_eq!(header_high(&small.summary()), 70_057_983);
    assert_eq!(small.summary(), dense_small.summary());
    // Read back, the header's value is kept.
    let back = small.summary().recorder().unwrap();
    assert_eq!(header_high(&back.summary()), 70_057_983);
}

/// Histograms of another precision than rtlab's are refused with what
/// they are, not read into bins that do not match.
#[test]
fn another_precision_is_refused() {
    let mut h = Histogram::<u64>::new_with_bounds(1_000, 1_000_000, 2).unwrap();
    h.record(5_000).unwrap();
    let mut bytes = Vec::new();
    V2Serializer::new().serialize(&h, &mut bytes).unwrap();
    let mut m = Recorder::new().summary();
    m.hdr = base64::engine::general_purpose::STANDARD.encode(&bytes);
    assert!(matches!(
        m.recorder(),
        Err(MetricError::Precision {
            digits: 2,
            lowest: 1_000
        })
    ));
}
