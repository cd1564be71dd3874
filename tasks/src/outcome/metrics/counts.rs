//! Counts keyed by bin (see `bins`), in memory proportional to the bins
//! seen rather than to the largest value.
//!
//! A dense HDR counts array holds 1024 counts of 8 bytes per octave from 0
//! up to the largest value: 139 KB for one 50 ms response time, whatever
//! was recorded below it. Here a few distinct values are a short sorted
//! list of (bin, count); past the size at which it is cheaper, counts move
//! into chunks of 64 bins, allocated only where values fall. Each count is
//! kept as a narrow low part (32 bits in the list, 16 in a chunk) and, for
//! the rare bin that outgrows it, what was carried out of it in a side
//! list: the exact count is the sum of both.

use std::iter::Peekable;
use std::ops::ControlFlow;
use std::slice;

/// log2 of the bins per chunk.
const CHUNK_SHIFT: u32 = 6;
/// Bins per chunk: 64 (128 bytes of 16-bit counts).
const CHUNK: usize = 1 << CHUNK_SHIFT;

/// The longest sorted list: an insertion moves half of it on average, so
/// past 1024 bins (8 KiB) chunks take over even where they take more
/// memory (at most 120 KiB, for bins over all of u64).
const MAX_SPARSE: usize = 1 << 10;

/// A chunk of 16-bit low parts.
type Chunk = [u16; CHUNK];

/// Exact counts of bins; empty at first.
#[derive(Clone, Debug, Default)]
pub(super) struct Counts {
    layout: Layout,
    /// Sorted by bin: for each bin whose count outgrew its low part, the
    /// part of the count above it (a multiple of 2^16 or 2^32).
    carried: Vec<(u32, u64)>,
}

#[derive(Clone, Debug)]
enum Layout {
    /// (bin, low part) sorted by bin. `last` is the position of the bin
    /// counted last: the simulator repeats values, so it is the first
    /// place to look.
    Sparse {
        entries: Vec<(u32, u32)>,
        last: usize,
    },
    /// Chunks of `CHUNK` bins; `dir[i]` is chunk number `first + i` (bins
    /// `(first + i) * CHUNK ..`), allocated when a value falls in it.
    Chunked {
        first: u32,
        dir: Vec<Option<Box<Chunk>>>,
        chunks: usize,
    },
}

impl Default for Layout {
    fn default() -> Self {
        Layout::Sparse {
            entries: Vec::new(),
            last: 0,
        }
    }
}

impl Counts {
    /// Adds one to `bin`'s count: the hot path of recording.
    #[inline]
    pub(super) fn increment(&mut self, bin: u32) {
        match &mut self.layout {
            Layout::Sparse { entries, last } => {
                let at = match entries.get(*last) {
                    Some(e) if e.0 == bin => Ok(*last),
                    _ => entries.binary_search_by_key(&bin, |e| e.0),
                };
                if let Ok(at) = at
                    && let Some(n) = entries[at].1.checked_add(1)
                {
                    entries[at].1 = n;
                    *last = at;
                    return;
                }
            }
            Layout::Chunked { first, dir, .. } => {
                let chunk = (bin >> CHUNK_SHIFT).wrapping_sub(*first) as usize;
                if let Some(Some(chunk)) = dir.get_mut(chunk) {
                    let low = &mut chunk[bin as usize % CHUNK];
                    if let Some(n) = low.checked_add(1) {
                        *low = n;
                        return;
                    }
                }
            }
        }
        self.increment_slow(bin);
    }

    /// [`Self::increment`] for a bin not yet counted, or whose low part
    /// is full: kept out of line so that the hot path above stays small
    /// enough to be inlined into every recorder.
    #[cold]
    #[inline(never)]
    fn increment_slow(&mut self, bin: u32) {
        self.add(bin, 1);
    }

    /// Adds `n` to `bin`'s count, saturating at `u64::MAX` as a histogram
    /// does.
    pub(super) fn add(&mut self, bin: u32, n: u64) {
        if n == 0 {
            return;
        }
        let total = self.get(bin).saturating_add(n);
        self.set(bin, total);
    }

    /// The count of `bin`.
    fn get(&self, bin: u32) -> u64 {
        let low = match &self.layout {
            Layout::Sparse { entries, .. } => entries
                .binary_search_by_key(&bin, |e| e.0)
                .map_or(0, |at| u64::from(entries[at].1)),
            Layout::Chunked { first, dir, .. } => {
                let chunk = (bin >> CHUNK_SHIFT).wrapping_sub(*first) as usize;
                match dir.get(chunk) {
                    Some(Some(chunk)) => u64::from(chunk[bin as usize % CHUNK]),
                    _ => 0,
                }
            }
        };
        low + carried_of(&self.carried, bin)
    }

    /// Sets `bin`'s count to `total` (not zero).
    fn set(&mut self, bin: u32, total: u64) {
        if let Layout::Sparse { entries, .. } = &self.layout
            && entries.len() == entries.capacity()
            && entries.binary_search_by_key(&bin, |e| e.0).is_err()
            && (entries.len() >= MAX_SPARSE || chunked_bytes(entries, bin) <= grown_bytes(entries))
        {
            self.move_to_chunks();
        }
        let low = match &mut self.layout {
            Layout::Sparse { entries, last } => {
                let low = total as u32;
                *last = match entries.binary_search_by_key(&bin, |e| e.0) {
                    Ok(at) => {
                        entries[at].1 = low;
                        at
                    }
                    Err(at) => {
                        entries.insert(at, (bin, low));
                        at
                    }
                };
                u64::from(low)
            }
            Layout::Chunked { first, dir, chunks } => {
                let low = total as u16;
                slot(first, dir, chunks, bin)[bin as usize % CHUNK] = low;
                u64::from(low)
            }
        };
        let carry = total - low;
        match self.carried.binary_search_by_key(&bin, |e| e.0) {
            Ok(at) => self.carried[at].1 = carry,
            Err(at) if carry > 0 => self.carried.insert(at, (bin, carry)),
            Err(_) => {}
        }
    }

    /// Moves the sorted list into chunks (when they take no more memory
    /// than the list would once grown, or the list is as long as it gets).
    fn move_to_chunks(&mut self) {
        let counts = self.to_vec();
        self.layout = Layout::Chunked {
            first: 0,
            dir: Vec::new(),
            chunks: 0,
        };
        self.carried.clear();
        for (bin, n) in counts {
            self.set(bin, n);
        }
    }

    /// Calls `f` with every bin counted and its count (never 0), in
    /// increasing order of bin, until it breaks.
    pub(super) fn try_for_each<B>(
        &self,
        mut f: impl FnMut(u32, u64) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        if !self.carried.is_empty() {
            return self.try_for_each_carried(f);
        }
        // No count outgrew its low part (the common case): the low parts
        // are the counts.
        match &self.layout {
            Layout::Sparse { entries, .. } => {
                for &(bin, low) in entries {
                    f(bin, u64::from(low))?;
                }
            }
            Layout::Chunked { first, dir, .. } => {
                for (number, chunk) in (*first..).zip(dir) {
                    let Some(chunk) = chunk else { continue };
                    for (bin, &low) in (number << CHUNK_SHIFT..).zip(chunk.iter()) {
                        if low > 0 {
                            f(bin, u64::from(low))?;
                        }
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// `try_for_each` where some counts outgrew their low parts.
    fn try_for_each_carried<B>(
        &self,
        mut f: impl FnMut(u32, u64) -> ControlFlow<B>,
    ) -> ControlFlow<B> {
        let mut carried = self.carried.iter().peekable();
        let mut visit = |bin: u32, low: u32| {
            let n = u64::from(low) + next_carried(&mut carried, bin);
            if n > 0 {
                f(bin, n)
            } else {
                ControlFlow::Continue(())
            }
        };
        match &self.layout {
            Layout::Sparse { entries, .. } => {
                for &(bin, low) in entries {
                    visit(bin, low)?;
                }
            }
            Layout::Chunked { first, dir, .. } => {
                for (number, chunk) in (*first..).zip(dir) {
                    let Some(chunk) = chunk else { continue };
                    for (bin, &low) in (number << CHUNK_SHIFT..).zip(chunk.iter()) {
                        visit(bin, u32::from(low))?;
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// Calls `f` with every bin counted and its count (never 0), in
    /// increasing order of bin.
    pub(super) fn for_each(&self, mut f: impl FnMut(u32, u64)) {
        let _ = self.try_for_each(|bin, n| {
            f(bin, n);
            ControlFlow::<()>::Continue(())
        });
    }

    /// The sum of the counts, saturating at `u64::MAX`.
    pub(super) fn total(&self) -> u64 {
        // No overflow: at most 56 320 low parts, each below 2^32.
        let lows: u64 = match &self.layout {
            Layout::Sparse { entries, .. } => entries.iter().map(|e| u64::from(e.1)).sum(),
            Layout::Chunked { dir, .. } => dir
                .iter()
                .flatten()
                .map(|chunk| chunk.iter().map(|&low| u64::from(low)).sum::<u64>())
                .sum(),
        };
        self.carried
            .iter()
            .fold(lows, |total, e| total.saturating_add(e.1))
    }

    /// Every bin counted, in increasing order, with its count (never 0).
    pub(super) fn to_vec(&self) -> Vec<(u32, u64)> {
        let mut all = Vec::new();
        self.for_each(|bin, n| all.push((bin, n)));
        all
    }

    /// The largest bin counted, if any.
    pub(super) fn max_bin(&self) -> Option<u32> {
        match &self.layout {
            Layout::Sparse { entries, .. } => entries.last().map(|e| e.0),
            // The last chunk of the directory is allocated: it grows only
            // to hold a chunk, and every chunk holds a count.
            Layout::Chunked { first, dir, .. } => {
                let number = *first + u32::try_from(dir.len()).ok()?.checked_sub(1)?;
                let chunk = dir.last()?.as_ref()?;
                (0..CHUNK as u32)
                    .rev()
                    .map(|i| (number << CHUNK_SHIFT) + i)
                    .find(|&bin| {
                        chunk[bin as usize % CHUNK] > 0 || carried_of(&self.carried, bin) > 0
                    })
            }
        }
    }

    /// The bytes of heap held: the capacity of every buffer.
    pub(super) fn heap_bytes(&self) -> usize {
        let layout = match &self.layout {
            Layout::Sparse { entries, .. } => entries.capacity() * size_of::<(u32, u32)>(),
            Layout::Chunked { dir, chunks, .. } => {
                dir.capacity() * size_of::<Option<Box<Chunk>>>() + chunks * size_of::<Chunk>()
            }
        };
        layout + self.carried.capacity() * size_of::<(u32, u64)>()
    }
}

/// The chunk that holds `bin`, allocated (and the directory widened) if
/// needed.
fn slot<'a>(
    first: &mut u32,
    dir: &'a mut Vec<Option<Box<Chunk>>>,
    chunks: &mut usize,
    bin: u32,
) -> &'a mut Chunk {
    let number = bin >> CHUNK_SHIFT;
    if dir.is_empty() {
        *first = number;
    } else if number < *first {
        let before = (*first - number) as usize;
        dir.splice(0..0, std::iter::repeat_n(None, before));
        *first = number;
    }
    let at = (number - *first) as usize;
    if at >= dir.len() {
        dir.resize(at + 1, None);
    }
    dir[at].get_or_insert_with(|| {
        *chunks += 1;
        Box::new([0; CHUNK])
    })
}

/// What was carried out of `bin`'s low part.
fn carried_of(carried: &[(u32, u64)], bin: u32) -> u64 {
    carried
        .binary_search_by_key(&bin, |e| e.0)
        .map_or(0, |at| carried[at].1)
}

/// What was carried out of `bin`'s low part, for bins visited in
/// increasing order.
fn next_carried(carried: &mut Peekable<slice::Iter<'_, (u32, u64)>>, bin: u32) -> u64 {
    carried.next_if(|e| e.0 == bin).map_or(0, |e| e.1)
}

/// The bytes chunks would take for the bins of `entries` and `bin`.
fn chunked_bytes(entries: &[(u32, u32)], bin: u32) -> usize {
    let number = |e: &(u32, u32)| e.0 >> CHUNK_SHIFT;
    let new = bin >> CHUNK_SHIFT;
    let mut distinct = usize::from(entries.binary_search_by_key(&new, number).is_err());
    let mut previous = None;
    for n in entries.iter().map(number) {
        distinct += usize::from(previous != Some(n));
        previous = Some(n);
    }
    let lowest = entries.first().map_or(new, number).min(new);
    let highest = entries.last().map_or(new, number).max(new);
    let span = (highest - lowest + 1) as usize;
    distinct * size_of::<Chunk>() + span * size_of::<Option<Box<Chunk>>>()
}

/// The bytes the sorted list would take once grown (a `Vec` doubles).
fn grown_bytes(entries: &Vec<(u32, u32)>) -> usize {
    // A `Vec` of 8-byte elements starts at 4.
    (entries.capacity() * 2).max(4) * size_of::<(u32, u32)>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Counts of a sorted map, the obvious way.
    fn model(adds: &[(u32, u64)]) -> Vec<(u32, u64)> {
        let mut m = BTreeMap::new();
        for &(bin, n) in adds {
            let c: &mut u64 = m.entry(bin).or_default();
            *c = c.saturating_add(n);
        }
        m.into_iter().filter(|e| e.1 > 0).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]

        /// Whatever the layout (a few bins, many, far apart, counts past
        /// 2^16 and 2^32), the counts read back are the exact sums.
        #[test]
        fn counts_read_back_exact_sums(
            adds in prop::collection::vec(
                (prop_oneof![0u32..64, 0u32..56_320, 20_000u32..20_300],
                 prop_oneof![Just(1u64), 0u64..100_000, Just(u32::MAX as u64), any::<u64>()]),
                0..400),
            start in prop_oneof![Just(0u64), 65_500u64..65_536, (u32::MAX as u64 - 40)..=u32::MAX as u64],
            repeats in 0u64..80,
        ) {
            let mut c = Counts::default();
            let mut all = adds.clone();
            for &(bin, n) in &adds {
                c.add(bin, n);
            }
            // One bin incremented, maybe past a 16- or 32-bit low part.
            c.add(20_100, start);
            for _ in 0..repeats {
                c.increment(20_100);
            }
            all.push((20_100, start + repeats));
            let expected = model(&all);
            prop_assert_eq!(c.to_vec(), expected.clone());
            prop_assert_eq!(c.max_bin(), expected.last().map(|e| e.0));
        }
    }

    #[test]
    fn a_few_bins_stay_a_short_list_and_many_move_into_chunks() {
        let mut c = Counts::default();
        for bin in [10_000, 10_500, 11_000] {
            c.increment(bin);
        }
        assert!(matches!(c.layout, Layout::Sparse { .. }));
        assert_eq!(c.heap_bytes(), 4 * 8);
        for bin in 10_000..10_256 {
            c.increment(bin);
        }
        assert!(matches!(c.layout, Layout::Chunked { .. }));
        assert_eq!(c.to_vec().len(), 256 + 2);
        assert_eq!(
            c.to_vec().iter().find(|e| e.0 == 10_000),
            Some(&(10_000, 2))
        );
        assert_eq!(c.max_bin(), Some(11_000));
    }
}
