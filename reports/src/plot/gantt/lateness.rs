//! The lateness of missed deadlines on a timeline: the brackets of one
//! task that overlap in time (a backlog: each job late because the one
//! before was) form a cluster, drawn as one line and labelled once, in a
//! place on the line clear of the row's arrows and ticks, with the most
//! telling text that fits there.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::format;
use crate::plot::FONT;
use crate::plot::style::{self, MISS, SMALL_SIZE, fail};

/// The clusters of `brackets` (`(task, deadline, end)`, in task then job
/// order): runs of one task's brackets, each starting before the latest
/// end so far.
pub(super) fn clusters(brackets: &[(usize, u64, u64)]) -> Vec<&[(usize, u64, u64)]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < brackets.len() {
        let (k, _, mut reach) = brackets[i];
        let mut j = i + 1;
        while j < brackets.len() && brackets[j].0 == k && brackets[j].1 < reach {
            reach = reach.max(brackets[j].2);
            j += 1;
        }
        out.push(&brackets[i..j]);
        i = j;
    }
    out
}

/// Where a lateness label may go on its line, in pixel columns.
pub(super) struct Room {
    /// The line's start (the first missed deadline's arrow).
    pub(super) from: i32,
    /// The label starts before the line ends, here.
    pub(super) start_by: i32,
    /// The label ends before here (the task's next cluster, or the plot's
    /// right edge).
    pub(super) limit: i32,
    /// Columns the label must leave clear: the row's arrows, the ticks.
    pub(super) clear_of: Vec<i32>,
}

/// Pixels kept between a lateness label's white box and an arrow's shaft
/// (arrow heads are 4 pixels wide on each side).
const CLEAR: i32 = 5;
/// Padding of a lateness label's white box, in pixels.
const PAD: i32 = 2;

impl Room {
    /// The leftmost column where a label `w` pixels wide starts, its white
    /// box clear of every column in `clear_of`, if there is one.
    fn place(&self, w: i32) -> Option<i32> {
        let near = |lx: i32| {
            self.clear_of
                .iter()
                .any(|&c| c > lx - PAD - CLEAR && c < lx + w + PAD + CLEAR)
        };
        let starts = std::iter::once(self.from)
            .chain(self.clear_of.iter().copied())
            .map(|c| c + CLEAR + PAD);
        let mut starts: Vec<i32> = starts.filter(|&lx| lx >= self.from).collect();
        starts.sort_unstable();
        starts
            .into_iter()
            .take_while(|&lx| lx < self.start_by)
            .find(|&lx| lx + w + PAD <= self.limit && !near(lx))
    }
}

/// The texts a cluster of missed deadlines may be labelled with, the most
/// telling first: every lateness (up to three misses), the count and the
/// worst, the worst alone.
fn lateness_texts(cluster: &[(usize, u64, u64)]) -> Vec<String> {
    let late = |&(_, d, end): &(usize, u64, u64)| end.saturating_sub(d);
    let worst = format::duration(cluster.iter().map(late).max().unwrap_or(0));
    let mut texts = Vec::new();
    if cluster.len() <= 3 {
        let all: Vec<String> = cluster
            .iter()
            .map(|b| format!("+{}", format::duration(late(b))))
            .collect();
        texts.push(format!("{} late", all.join(", ")));
    }
    if cluster.len() > 1 {
        texts.push(format!("{} late, worst +{worst}", cluster.len()));
        texts.push(format!("worst +{worst}"));
    } else {
        texts.push(format!("+{worst}"));
    }
    texts
}

/// Writes how late the jobs of `cluster` finished on its line (pixel row
/// `y`), on a white box, in the first place of `room` where one of
/// [`lateness_texts`] fits clear of the arrows and ticks: it never hides
/// them, nor another cluster's line. Nothing fits on a crowded row: the
/// captions and the misses plot say how late.
pub(super) fn lateness_label<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    cluster: &[(usize, u64, u64)],
    room: &Room,
    y: i32,
) -> Result<(), String> {
    for label in lateness_texts(cluster) {
        // Bold, as drawn: wider than `style::text_width` measures.
        let font = TextStyle::from((FONT, SMALL_SIZE, FontStyle::Bold).into_font());
        let (w, _) = root.estimate_text_size(&label, &font).map_err(fail)?;
        let w = i32::try_from(w).unwrap_or(i32::MAX);
        let Some(lx) = room.place(w) else {
            continue;
        };
        root.draw(&Rectangle::new(
            [(lx - PAD, y - 6), (lx + w + PAD, y + 6)],
            WHITE.filled(),
        ))
        .map_err(fail)?;
        return root
            .draw(&Text::new(
                label,
                (lx, y),
                style::bold(SMALL_SIZE, MISS, HPos::Left, VPos::Center),
            ))
            .map_err(fail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn a_label_goes_in_the_first_gap_between_arrows_wide_enough() {
        // Arrows at 100, 150 and 300; the line from 100 to 400.
        let room = Room {
            from: 100,
            start_by: 400,
            limit: 1000,
            clear_of: vec![100, 150, 300],
        };
        // 30 pixels fit between 100 and 150 (with 7 each side of the box).
        assert_eq!(room.place(30), Some(107));
        // 100 do not; they fit between 150 and 300.
        assert_eq!(room.place(100), Some(157));
        // 500 fit only past 300, before the limit.
        assert_eq!(room.place(500), Some(307));
        assert_eq!(room.place(700), None);
    }

    #[test]
    fn a_backlog_is_labelled_with_its_count_and_worst_lateness() {
        let one = [(0, 10 * MS, 22_600_000)];
        assert_eq!(lateness_texts(&one), ["+12.6 ms late", "+12.6 ms"]);
        let backlog: Vec<(usize, u64, u64)> =
            (0..4).map(|k| (0, k * 2 * MS, 9 * MS + k * MS)).collect();
        assert_eq!(
            lateness_texts(&backlog),
            ["4 late, worst +9.00 ms", "worst +9.00 ms"]
        );
    }
}
