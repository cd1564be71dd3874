//! HdrHistogram's percentile distribution text (`.hgrm`).
//!
//! The format Java HdrHistogram's `outputPercentileDistribution` and
//! `HistogramLogProcessor` write and the online plotter
//! (<https://hdrhistogram.github.io/HdrHistogram/plotFiles.html>) reads:
//!
//! ```text
//!        Value     Percentile TotalCount 1/(1-Percentile)
//!
//!        1.000 0.000000000000          2           1.00
//!        ...
//!        1.500 0.750000000000          3           4.00
//!        2.000 0.775000000000          4           4.44
//!        2.000 1.000000000000          4
//! #[Mean    =        1.375, StdDeviation   =        0.415]
//! #[Max     =        2.000, Total count    =            4]
//! #[Buckets =            1, SubBuckets     =         2048]
//! ```
//!
//! (the values 1000, 1000, 1500 and 2000 ns; the full text is pinned in
//! this module's tests).
//!
//! Rows follow Java's percentile iterator (see [`rows`]) with
//! [`TICKS_PER_HALF_DISTANCE`] = 5 reporting points per half distance to
//! 100% (Java's default), columns formatted as Java's
//! `"%12.3f %2.12f %10d %14.2f"` with the last row (percentile 1.0) lacking
//! the `1/(1-Percentile)` column. Values are in **microseconds** (the value
//! unit scaling ratio is 1000: histograms hold nanoseconds), with three
//! decimals written exactly from the integer nanoseconds. (The plotter
//! draws the four-column rows and skips `#` lines; the three-column 100%
//! row is for readers, as in Java's output.)
//!
//! Two deliberate differences from Java, both because rtlab keeps exact
//! extremes beside the histogram: the footer's `Mean` and `Max` are the
//! exact values, not bucket midpoints and bucket tops, and row values are
//! capped at the exact maximum (the last row reads the true maximum rather
//! than the top of its bucket). `StdDeviation` comes from the histogram, as
//! in Java. An empty histogram has no rows (as in Java) and a zero footer.

use std::io::{self, Write};
use std::ops::ControlFlow;

use rtlab_tasks::outcome::metrics::Recorder;

use crate::ReportError;

mod decimal;

/// Percentile reporting points per half distance to 100% (Java's default).
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// The header line (without its newline): Java's `"%12s %14s %10s %14s"`.
pub const HEADER: &str = "       Value     Percentile TotalCount 1/(1-Percentile)";

/// One row of a percentile distribution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PercentileRow {
    /// The value at this percentile, in nanoseconds: the top of the
    /// histogram bucket reached, capped at the exact maximum. (The file
    /// holds it in microseconds with three decimals, so it reads back
    /// exactly.)
    pub value_ns: u64,
    /// The percentile level iterated to, in `[0, 1]`; exactly `1.0` on the
    /// last row only.
    pub quantile: f64,
    /// How many values are at or below `value_ns`'s bucket.
    pub total_count: u64,
}

/// A whole percentile distribution, as [`parse`] reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct Distribution {
    /// The rows, in file order.
    pub rows: Vec<PercentileRow>,
    /// The footer's mean, in microseconds.
    pub mean_us: f64,
    /// The footer's standard deviation, in microseconds.
    pub std_deviation_us: f64,
    /// The footer's maximum, in nanoseconds.
    pub max_ns: u64,
    /// The footer's total count.
    pub total_count: u64,
    /// The histogram's bucket count.
    pub buckets: u32,
    /// The histogram's sub-bucket count.
    pub sub_buckets: u32,
}

/// The rows of `recorder`'s distribution (empty when it holds no value).
///
/// This is Java's `PercentileIterator`, arithmetic included: the level to
/// reach is kept in percent and advanced by `100 / (ticks * 2^(h + 1))`
/// where `h = floor(log2(100 / (100 - level)))`, so every level (50, 75,
/// 87.5, ...) is an exact binary fraction and a bucket holding exactly 75%
/// of the values reports the 75% row, as in Java. (The hdrhistogram
/// crate's `iter_quantiles` sums steps of 0.1 in binary floating point and
/// can miss such a row.) Each bucket yields a row for every level its
/// cumulative count reaches; the first row in the last bucket is followed
/// by the 100% row.
pub fn rows(recorder: &Recorder) -> Vec<PercentileRow> {
    // The recorded bins read from the compact recorder: the dense
    // histogram's iteration walks every empty bin below its maximum.
    let hist = recorder.histogram_view();
    let total = hist.len();
    if total == 0 {
        return Vec::new();
    }
    let cap = recorder.max().unwrap_or_else(|| hist.max());
    let ticks = u64::from(TICKS_PER_HALF_DISTANCE);
    let mut rows = Vec::new();
    let mut level = 0.0_f64;
    let mut running = 0u64;
    let _ = hist.try_for_each_recorded(|bucket| {
        running += bucket.count_at_value;
        let value_ns = bucket.value_iterated_to.min(cap);
        let reached = 100.0 * running as f64 / total as f64;
        let last = running >= total;
        while reached >= level {
            rows.push(PercentileRow {
                value_ns,
                quantile: level / 100.0,
                total_count: running,
            });
            if last {
                break;
            }
            let halvings = (100.0 / (100.0 - level)).log2() as u32;
            let Some(steps) = 1u64
                .checked_shl(halvings + 1)
                .and_then(|p| p.checked_mul(ticks))
            else {
                break;
            };
            let next = level + 100.0 / steps as f64;
            if next <= level {
                // Steps below the float resolution near 100%: stop here.
                break;
            }
            level = next;
        }
        if last {
            rows.push(PercentileRow {
                value_ns,
                quantile: 1.0,
                total_count: running,
            });
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    });
    rows
}

/// Writes `recorder`'s percentile distribution to `out` (in one write).
pub fn write<W: Write>(out: &mut W, recorder: &Recorder) -> io::Result<()> {
    out.write_all(&to_bytes(recorder))
}

/// `recorder`'s percentile distribution as a string.
pub fn render(recorder: &Recorder) -> String {
    String::from_utf8_lossy(&to_bytes(recorder)).into_owned()
}

/// `recorder`'s percentile distribution as the bytes [`write()`] writes.
pub fn to_bytes(recorder: &Recorder) -> Vec<u8> {
    // A header, a footer and some 20 rows of 60 bytes per power of ten
    // in count.
    let mut out = Vec::with_capacity(2048);
    out.extend_from_slice(HEADER.as_bytes());
    out.extend_from_slice(b"\n\n");
    for row in rows(recorder) {
        push_row(&mut out, &row);
    }
    push_footer(&mut out, recorder);
    out
}

/// Appends `row` as `"{value:>12} {quantile:.12} {total:>10} {inverse:>14.2}"`
/// (no inverse on the 100% row) and a newline, with [`decimal`]'s
/// formatting: `core::fmt`'s bytes without its cost, which dominated the
/// export of large task sets.
fn push_row(out: &mut Vec<u8>, row: &PercentileRow) {
    // Micros: the nanoseconds with three decimals.
    decimal::push_scaled(out, row.value_ns, 3, 12);
    out.push(b' ');
    decimal::push_fixed(out, row.quantile, 12, 0);
    out.push(b' ');
    decimal::push_u64(out, row.total_count, 10);
    if row.quantile < 1.0 {
        out.push(b' ');
        decimal::push_fixed(out, 1.0 / (1.0 - row.quantile), 2, 14);
    }
    out.push(b'\n');
}

/// Appends the three footer lines (mean and deviation `{:>12.3}`, the
/// rest `{:>12}`), formatted as the rows are.
fn push_footer(out: &mut Vec<u8>, recorder: &Recorder) {
    let hist = recorder.histogram_view();
    let (mean_us, std_us) = match recorder.mean() {
        Some(mean) => (mean / 1_000.0, hist.stdev() / 1_000.0),
        None => (0.0, 0.0),
    };
    out.extend_from_slice(b"#[Mean    = ");
    decimal::push_fixed(out, mean_us, 3, 12);
    out.extend_from_slice(b", StdDeviation   = ");
    decimal::push_fixed(out, std_us, 3, 12);
    out.extend_from_slice(b"]\n#[Max     = ");
    decimal::push_scaled(out, recorder.max().unwrap_or(0), 3, 12);
    out.extend_from_slice(b", Total count    = ");
    decimal::push_u64(out, recorder.count(), 12);
    out.extend_from_slice(b"]\n#[Buckets = ");
    decimal::push_u64(out, u64::from(hist.buckets()), 12);
    out.extend_from_slice(b", SubBuckets     = ");
    decimal::push_u64(out, sub_buckets(hist.sigfig()), 12);
    out.extend_from_slice(b"]\n");
}

/// Sub-buckets per bucket of a histogram with `sigfig` significant digits:
/// the smallest power of two at least `2 * 10^sigfig` (HdrHistogram's
/// definition; 2048 for 3 digits).
fn sub_buckets(sigfig: u8) -> u64 {
    (2 * 10u64.pow(u32::from(sigfig))).next_power_of_two()
}

/// Reads a percentile distribution written by [`write()`] (or by Java
/// HdrHistogram with any number of value decimals).
pub fn parse(text: &str) -> Result<Distribution, ReportError> {
    let mut rows = Vec::new();
    let mut footer = Footer::default();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let err = |message: String| ReportError::Hgrm {
            line: line_no,
            message,
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("Value") {
            continue;
        }
        if let Some(body) = trimmed.strip_prefix("#[").and_then(|b| b.strip_suffix(']')) {
            footer.read(body).map_err(err)?;
            continue;
        }
        let cols: Vec<&str> = trimmed.split_whitespace().collect();
        if !(3..=4).contains(&cols.len()) {
            return Err(err(format!(
                "expected 3 or 4 columns, found {}",
                cols.len()
            )));
        }
        let value_ns =
            micros_to_ns(cols[0]).ok_or_else(|| err(format!("bad value {:?}", cols[0])))?;
        let quantile: f64 = cols[1]
            .parse()
            .map_err(|_| err(format!("bad percentile {:?}", cols[1])))?;
        let total_count: u64 = cols[2]
            .parse()
            .map_err(|_| err(format!("bad total count {:?}", cols[2])))?;
        rows.push(PercentileRow {
            value_ns,
            quantile,
            total_count,
        });
    }
    let missing = |what: &str| ReportError::Hgrm {
        line: text.lines().count(),
        message: format!("no {what} in the footer"),
    };
    Ok(Distribution {
        rows,
        mean_us: footer.mean_us.ok_or_else(|| missing("Mean"))?,
        std_deviation_us: footer.std_us.ok_or_else(|| missing("StdDeviation"))?,
        max_ns: footer.max_ns.ok_or_else(|| missing("Max"))?,
        total_count: footer.total.ok_or_else(|| missing("Total count"))?,
        buckets: footer.buckets.ok_or_else(|| missing("Buckets"))?,
        sub_buckets: footer.sub_buckets.ok_or_else(|| missing("SubBuckets"))?,
    })
}

/// Footer fields seen so far.
#[derive(Default)]
struct Footer {
    mean_us: Option<f64>,
    std_us: Option<f64>,
    max_ns: Option<u64>,
    total: Option<u64>,
    buckets: Option<u32>,
    sub_buckets: Option<u32>,
}

impl Footer {
    /// Reads one `key = value, key = value` footer line.
    fn read(&mut self, body: &str) -> Result<(), String> {
        for pair in body.split(',') {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("expected `key = value` in {pair:?}"))?;
            let (key, value) = (key.trim(), value.trim());
            let bad = || format!("bad {key} {value:?}");
            match key {
                "Mean" => self.mean_us = Some(value.parse().map_err(|_| bad())?),
                "StdDeviation" => self.std_us = Some(value.parse().map_err(|_| bad())?),
                "Max" => self.max_ns = Some(micros_to_ns(value).ok_or_else(bad)?),
                "Total count" => self.total = Some(value.parse().map_err(|_| bad())?),
                "Buckets" => self.buckets = Some(value.parse().map_err(|_| bad())?),
                "SubBuckets" => self.sub_buckets = Some(value.parse().map_err(|_| bad())?),
                _ => {}
            }
        }
        Ok(())
    }
}

/// `"1234.567"` microseconds to 1 234 567 nanoseconds, exactly (decimals
/// beyond the nanosecond round half up).
fn micros_to_ns(text: &str) -> Option<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ns = whole.parse::<u64>().ok()?.checked_mul(1_000)?;
    let digits = frac.as_bytes();
    for (i, scale) in [100u64, 10, 1].into_iter().enumerate() {
        if let Some(d) = digits.get(i) {
            ns = ns.checked_add(u64::from(d - b'0') * scale)?;
        }
    }
    if digits.get(3).is_some_and(|d| *d >= b'5') {
        ns = ns.checked_add(1)?;
    }
    Some(ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Micros;

    fn recorder(values: &[u64]) -> Recorder {
        let mut r = Recorder::new();
        for &v in values {
            r.record(v);
        }
        r
    }

    /// Four values in four distinct exact buckets (values below 2048 ns are
    /// exact with 3 significant digits), checked by hand: quantile steps of
    /// 1/10 until 50%, then 1/20, ...; each row shows the first value whose
    /// cumulative share reaches the step.
    #[test]
    fn a_small_histogram_checked_by_hand() {
        let r = recorder(&[1_000, 1_000, 1_500, 2_000]);
        let text = render(&r);
        let expected = "       Value     Percentile TotalCount 1/(1-Percentile)

       1.000 0.000000000000          2           1.00
       1.000 0.100000000000          2           1.11
       1.000 0.200000000000          2           1.25
       1.000 0.300000000000          2           1.43
       1.000 0.400000000000          2           1.67
       1.000 0.500000000000          2           2.00
       1.500 0.550000000000          3           2.22
       1.500 0.600000000000          3           2.50
       1.500 0.650000000000          3           2.86
       1.500 0.700000000000          3           3.33
       1.500 0.750000000000          3           4.00
       2.000 0.775000000000          4           4.44
       2.000 1.000000000000          4
#[Mean    =        1.375, StdDeviation   =        0.415]
#[Max     =        2.000, Total count    =            4]
#[Buckets =            1, SubBuckets     =         2048]
";
        assert_eq!(text, expected);
    }

    #[test]
    fn exact_mean_and_max_in_the_footer() {
        // 1_000_001 ns lies in a bucket 512 ns wide: Java would print the
        // bucket top; the footer and the last row show the exact value.
        let r = recorder(&[3, 1_000_001]);
        let d = parse(&render(&r)).unwrap();
        assert_eq!(d.max_ns, 1_000_001);
        assert_eq!(d.rows.last().unwrap().value_ns, 1_000_001);
        assert!((d.mean_us - 500.002).abs() < 1e-9, "{}", d.mean_us);
    }

    #[test]
    fn an_empty_histogram_is_a_valid_empty_distribution() {
        let text = render(&Recorder::new());
        assert!(
            text.starts_with(&format!("{HEADER}\n\n#[Mean    =        0.000,")),
            "{text}"
        );
        let d = parse(&text).unwrap();
        assert!(d.rows.is_empty());
        assert_eq!((d.total_count, d.max_ns, d.sub_buckets), (0, 0, 2048));
    }

    #[test]
    fn a_large_distribution_parses_back() {
        let values: Vec<u64> = (0..10_000u64)
            .map(|i| 1_000 + i * i * 37 % 5_000_000)
            .collect();
        let r = recorder(&values);
        let d = parse(&render(&r)).unwrap();
        assert_eq!(d.rows, rows(&r));
        assert!(d.rows.windows(2).all(|w| w[0].value_ns <= w[1].value_ns));
        assert!(d.rows.windows(2).all(|w| w[0].quantile < w[1].quantile));
        assert!(
            d.rows
                .windows(2)
                .all(|w| w[0].total_count <= w[1].total_count)
        );
        let last = d.rows.last().unwrap();
        assert_eq!(last.quantile, 1.0);
        assert_eq!(last.total_count, 10_000);
        assert_eq!(d.total_count, 10_000);
        assert_eq!(d.max_ns, *values.iter().max().unwrap());
        // Only the last row lacks the 1/(1-Percentile) column.
        let text = render(&r);
        let data: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with(' ') && !l.contains("Value"))
            .collect();
        assert!(
            data[..data.len() - 1]
                .iter()
                .all(|l| l.split_whitespace().count() == 4)
        );
        assert_eq!(data[data.len() - 1].split_whitespace().count(), 3);
    }

    /// The export as it was before `Recorder::histogram_view`: rows and
    /// footer read from the dense histogram. The oracle the rendering
    /// must match byte for byte.
    fn render_dense(recorder: &Recorder) -> String {
        let hist = recorder.histogram();
        let total = hist.len();
        let cap = recorder.max().unwrap_or_else(|| hist.max());
        let ticks = u64::from(TICKS_PER_HALF_DISTANCE);
        let mut rows = Vec::new();
        let (mut level, mut running) = (0.0_f64, 0u64);
        for bucket in hist.iter_recorded().take_while(|_| total > 0) {
            running += bucket.count_at_value();
            let value_ns = bucket.value_iterated_to().min(cap);
            let reached = 100.0 * running as f64 / total as f64;
            let last = running >= total;
            while reached >= level {
                rows.push((value_ns, level / 100.0, running));
                if last {
                    break;
                }
                let halvings = (100.0 / (100.0 - level)).log2() as u32;
                let Some(steps) = 1u64
                    .checked_shl(halvings + 1)
                    .and_then(|p| p.checked_mul(ticks))
                else {
                    break;
                };
                let next = level + 100.0 / steps as f64;
                if next <= level {
                    break;
                }
                level = next;
            }
            if last {
                rows.push((value_ns, 1.0, running));
                break;
            }
        }
        let mut out = format!("{HEADER}\n\n");
        for (value_ns, quantile, total_count) in rows {
            let value = Micros(value_ns);
            if quantile < 1.0 {
                let inverse = 1.0 / (1.0 - quantile);
                out += &format!("{value:>12} {quantile:.12} {total_count:>10} {inverse:>14.2}\n");
            } else {
                out += &format!("{value:>12} {quantile:.12} {total_count:>10}\n");
            }
        }
        let (mean_us, std_us) = match recorder.mean() {
            Some(mean) => (mean / 1_000.0, hist.stdev() / 1_000.0),
            None => (0.0, 0.0),
        };
        let max = Micros(recorder.max().unwrap_or(0));
        out += &format!("#[Mean    = {mean_us:>12.3}, StdDeviation   = {std_us:>12.3}]\n");
        out += &format!(
            "#[Max     = {max:>12}, Total count    = {:>12}]\n",
            recorder.count()
        );
        out += &format!(
            "#[Buckets = {:>12}, SubBuckets     = {:>12}]\n",
            hist.buckets(),
            sub_buckets(hist.sigfig())
        );
        out
    }

    /// A xorshift64* stream: random recorders without a dependency.
    struct Draws(u64);

    impl Draws {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// Zero, small exact values, any magnitude up to hours, rarely
        /// past 2^62 up to `u64::MAX`.
        fn value(&mut self) -> u64 {
            match self.below(16) {
                0..=2 => 0,
                3..=5 => self.below(4_096),
                6..=13 => self.next() >> (22 + self.below(42)),
                14 => self.next() >> self.below(64),
                _ => [u64::MAX, u64::MAX - 1, 1 << 62][self.below(3) as usize],
            }
        }

        /// A recorder of a few values repeated (as the simulator records)
        /// or values anywhere.
        fn recorder(&mut self) -> Recorder {
            let palette: Vec<u64> = (0..1 + self.below(5)).map(|_| self.value()).collect();
            let mut r = Recorder::new();
            for _ in 0..self.below(300) {
                let v = if self.below(3) == 0 {
                    self.value()
                } else {
                    palette[self.below(palette.len() as u64) as usize]
                };
                r.record(v);
            }
            r
        }
    }

    /// On random recorders, merged and read back from their summaries as
    /// `rtlab report` and `rtlab merge` do, the rendering from the
    /// compact bins is the dense histogram's, byte for byte.
    #[test]
    fn render_from_bins_is_the_dense_renderings_byte_for_byte() {
        let mut draws = Draws(0x9E37_79B9_7F4A_7C15);
        for case in 0..3_000 {
            let mut r = draws.recorder();
            if draws.below(3) == 0 {
                r.merge(&draws.recorder()).unwrap();
            }
            if draws.below(3) == 0 {
                r = r.summary().recorder().unwrap();
            }
            if draws.below(4) == 0 {
                let mut other = draws.recorder();
                other.merge(&r).unwrap();
                r = other;
            }
            assert_eq!(render(&r), render_dense(&r), "case {case}");
        }
    }

    /// A metric whose count says 0 beside a histogram with values (a
    /// hand-edited result file): rows still come from the histogram,
    /// capped at its maximum, as before.
    #[test]
    fn a_count_that_disagrees_with_the_histogram_renders_as_before() {
        let mut m = recorder(&[5, 70_000_000, 1_000]).summary();
        (m.count, m.min_ns, m.max_ns, m.mean_ns) = (0, None, None, None);
        let r = m.recorder().unwrap();
        assert_eq!(render(&r), render_dense(&r));
        assert_eq!(rows(&r).last().unwrap().value_ns, 70_057_983);
    }

    #[test]
    fn micros_parse_exactly() {
        assert_eq!(micros_to_ns("1234.567"), Some(1_234_567));
        assert_eq!(micros_to_ns("0.005"), Some(5));
        assert_eq!(micros_to_ns("2"), Some(2_000));
        assert_eq!(micros_to_ns("2.5"), Some(2_500));
        assert_eq!(micros_to_ns("1.2345"), Some(1_235));
        assert_eq!(micros_to_ns("-1.0"), None);
        assert_eq!(micros_to_ns("x"), None);
    }

    #[test]
    fn malformed_text_is_located() {
        let err = parse("       Value ...\n\n   1.000 0.5 x 2.00\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = parse("   1.000 0.5 1 2.00\n").unwrap_err();
        assert!(err.to_string().contains("no Mean"), "{err}");
    }
}
