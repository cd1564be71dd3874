//! An indexed binary min-heap: the simulator's priority queues (ready
//! jobs by the policy's key, running jobs by urgency, CPUs by their next
//! event, idle CPUs by number).
//!
//! Items are small integers (`0..capacity`: a task or CPU index), each in
//! the heap at most once, with a key. Because the heap knows where each
//! item sits, a key can change or an item leave from the middle in
//! O(log n), which `std::collections::BinaryHeap` cannot do. Keys are
//! totally ordered and, in every use here, distinct (they end with the
//! item's index), so the minimum never depends on insertion order.
//!
//! Up to [`SMALL`] items the heap is a plain unordered list whose minimum
//! is found by a scan: at that size a scan is cheaper than a heap's upkeep,
//! and most ready queues, CPUs and event lists of small systems stay that
//! small. Past it the list is heapified; below half of it, it is a list
//! again (any heap order is a valid list).

/// Marks an item that is not in the heap.
const ABSENT: u32 = u32::MAX;

/// Up to this many items, a list scanned for its minimum.
const SMALL: usize = 8;

/// A binary min-heap over items `0..capacity` with keys `K`.
#[derive(Clone, Debug)]
pub(super) struct IndexedHeap<K> {
    /// (key, item), heap-ordered by key.
    heap: Vec<(K, u32)>,
    /// Position of each item in `heap`, or [`ABSENT`].
    pos: Vec<u32>,
    /// Whether `heap` is heap-ordered (else an unordered list).
    ordered: bool,
}

impl<K: Ord + Copy> IndexedHeap<K> {
    /// An empty heap for items `0..capacity`.
    pub(super) fn new(capacity: usize) -> Self {
        IndexedHeap {
            heap: Vec::new(),
            pos: vec![ABSENT; capacity],
            ordered: false,
        }
    }

    /// Number of items in the heap.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.heap.len()
    }

    /// True if the heap holds no item.
    #[inline]
    pub(super) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// The item with the smallest key, and its key.
    #[inline]
    pub(super) fn peek(&self) -> Option<(K, usize)> {
        let (first, rest) = self.heap.split_first()?;
        let mut min = first;
        if !self.ordered {
            // Plain comparisons: `min_by` with `cmp` compiled to a slower
            // scan of tuple keys.
            for e in rest {
                if e.0 < min.0 {
                    min = e;
                }
            }
        }
        Some((min.0, min.1 as usize))
    }

    /// True if `item` is in the heap.
    #[inline]
    pub(super) fn contains(&self, item: usize) -> bool {
        self.pos[item] != ABSENT
    }

    /// The key of `item`, if it is in the heap.
    #[cfg(test)]
    fn key(&self, item: usize) -> Option<K> {
        match self.pos[item] {
            ABSENT => None,
            p => Some(self.heap[p as usize].0),
        }
    }

    /// Every item with its key, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (K, usize)> + '_ {
        self.heap.iter().map(|&(k, i)| (k, i as usize))
    }

    /// Puts `item` in the heap with `key`, or moves it to `key` if it is
    /// already there.
    // Always inlined, as `remove`: every event of a small system calls
    // them, and the call cost as much as a list's work.
    #[inline(always)]
    pub(super) fn set(&mut self, item: usize, key: K) {
        match self.pos[item] {
            ABSENT => {
                let at = self.heap.len();
                self.heap.push((key, item as u32));
                self.pos[item] = at as u32;
                if self.ordered {
                    self.up(at);
                } else if at >= SMALL {
                    self.heapify();
                }
            }
            p => {
                let p = p as usize;
                let old = self.heap[p].0;
                self.heap[p].0 = key;
                // An unordered list needs no move.
                if self.ordered {
                    if key < old {
                        self.up(p);
                    } else {
                        self.down(p);
                    }
                }
            }
        }
    }

    /// Takes `item` out of the heap; returns its key if it was there.
    #[inline(always)]
    pub(super) fn remove(&mut self, item: usize) -> Option<K> {
        let p = self.pos[item];
        if p == ABSENT {
            return None;
        }
        let p = p as usize;
        let key = self.heap[p].0;
        let last = self.heap.len() - 1;
        self.pos[item] = ABSENT;
        if p == last {
            self.heap.pop();
            return Some(key);
        }
        self.swap(p, last);
        self.heap.pop();
        self.pos[item] = ABSENT;
        if self.ordered && self.heap.len() <= SMALL / 2 {
            self.ordered = false;
        }
        if self.ordered {
            // The moved item may belong above or below its new place.
            self.up(p);
            self.down(p);
        }
        Some(key)
    }

    /// Orders the list as a heap.
    #[inline(never)]
    fn heapify(&mut self) {
        self.ordered = true;
        for at in (0..self.heap.len() / 2).rev() {
            self.down(at);
        }
    }

    fn swap(&mut self, a: usize, b: usize) {
        self.heap.swap(a, b);
        self.pos[self.heap[a].1 as usize] = a as u32;
        self.pos[self.heap[b].1 as usize] = b as u32;
    }

    // Out of line, as `down`: lists (small heaps) never move items, and
    // `set` and `remove` stay small enough to inline.
    #[inline(never)]
    fn up(&mut self, mut at: usize) {
        while at > 0 {
            let parent = (at - 1) / 2;
            if self.heap[at].0 >= self.heap[parent].0 {
                break;
            }
            self.swap(at, parent);
            at = parent;
        }
    }

    #[inline(never)]
    fn down(&mut self, mut at: usize) {
        let n = self.heap.len();
        loop {
            let left = 2 * at + 1;
            if left >= n {
                break;
            }
            let right = left + 1;
            let child = if right < n && self.heap[right].0 < self.heap[left].0 {
                right
            } else {
                left
            };
            if self.heap[child].0 >= self.heap[at].0 {
                break;
            }
            self.swap(at, child);
            at = child;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Set(usize, u32),
        Remove(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0usize..40, 0u32..50).prop_map(|(i, k)| Op::Set(i, k)),
            (0usize..40).prop_map(Op::Remove),
        ]
    }

    proptest! {
        /// After any sequence of sets and removes, the heap holds exactly
        /// what a plain map would, and its minimum is the map's.
        #[test]
        fn matches_a_plain_map(ops in proptest::collection::vec(op(), 0..400)) {
            let mut heap = IndexedHeap::new(40);
            let mut model: Vec<Option<(u32, usize)>> = vec![None; 40];
            for op in ops {
                match op {
                    Op::Set(i, k) => {
                        heap.set(i, (k, i));
                        model[i] = Some((k, i));
                    }
                    Op::Remove(i) => {
                        prop_assert_eq!(heap.remove(i), model[i].take());
                    }
                }
                let min = model.iter().flatten().min().copied();
                prop_assert_eq!(heap.peek().map(|(k, _)| k), min);
                prop_assert_eq!(heap.peek().map(|(_, i)| i), min.map(|(_, i)| i));
                prop_assert_eq!(heap.len(), model.iter().flatten().count());
                for (i, m) in model.iter().enumerate() {
                    prop_assert_eq!(heap.key(i), *m);
                }
            }
        }
    }
}
