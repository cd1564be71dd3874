//! The bins of a latency distribution: their width for a plot's largest
//! value (the rule is in the parent module's doc), and the job count in
//! each, read from the HDR histogram.

use rtlab_tasks::outcome::metrics::Recorder;

use crate::plot::style;

/// The most bins a distribution gets.
const MAX_BINS: u64 = 300;

/// The width of one bin, in nanoseconds, for values up to `max_ns`:
/// at most 300 bins, 1 µs when `max_ns` is between 100 µs and
/// 300 µs.
pub fn bin_width(max_ns: u64) -> u64 {
    let width = style::nice_step(max_ns, MAX_BINS, 1);
    if max_ns >= 100_000 {
        width.max(1_000)
    } else {
        width
    }
}

/// The bins of a plot whose largest value is `max_ns`: their width in
/// nanoseconds and how many, from zero.
pub(super) fn binning(max_ns: u64) -> (u64, usize) {
    let width = bin_width(max_ns.max(1));
    (width, usize::try_from(max_ns / width + 1).unwrap_or(1))
}

/// Job counts per bin of `width` nanoseconds, `n` bins from zero (values
/// past the last bin count in it).
pub(super) fn bins(recorder: &Recorder, width: u64, n: usize) -> Vec<u64> {
    let mut out = vec![0u64; n.max(1)];
    let (Some(lo), Some(hi)) = (recorder.min(), recorder.max()) else {
        return out;
    };
    let hist = recorder.histogram();
    for v in hist.iter_recorded() {
        // A bucket's middle, kept within the exact extremes.
        let at = hist.median_equivalent(v.value_iterated_to()).clamp(lo, hi);
        let i = usize::try_from(at / width.max(1))
            .unwrap_or(usize::MAX)
            .min(out.len() - 1);
        out[i] += v.count_at_value();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_follow_the_osadl_convention() {
        assert_eq!(bin_width(250_000), 1_000);
        assert_eq!(bin_width(100_000), 1_000);
        assert_eq!(bin_width(22_600_000), 100_000);
        assert_eq!(bin_width(30_000), 100);
        let mut r = Recorder::new();
        for v in [1_000, 1_500, 2_100, 2_900, 250_000] {
            r.record(v);
        }
        let b = bins(&r, 1_000, 251);
        assert_eq!((b[1], b[2], b[250]), (2, 2, 1));
        assert_eq!(b.iter().sum::<u64>(), 5);
    }
}
