//! Pipelines on real threads: the trigger links as channels, the register
//! links as lock-free cells, and each thread's log of its chain events
//! (replayed into the ledger's `ChainBook` after the run, by
//! `runner::chains`).
//!
//! - A trigger link is a crossbeam channel from the trigger's thread to
//!   the triggered task's thread. A job that completes before the run's
//!   end sends a [`Token`] (its completion time and job number) right
//!   after its completion timestamp; the triggered thread blocks on the
//!   channel, and its job is released at the token's time (the wake-up
//!   latency is measured from it, like a timer release's).
//! - A register is one `AtomicU64` per task: its last completed job's
//!   number + 1 (0: none yet), stored after the completion timestamp was
//!   taken. A reader loads the cells of the tasks it reads *before* it
//!   takes its start timestamp, so the job it read completed no later
//!   than the reader started.
//! - Only tasks that are a stage of some chain log events, into their own
//!   vectors (no shared lock on the hot path).

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam::channel::{self, Receiver, Sender};

use rtlab_tasks::model::System;

use crate::ledger::ChainBook;

/// What a completing job hands to the jobs it triggers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// Its completion, ns from the run's start: the triggered job's
    /// release.
    pub(crate) at: u64,
    /// The completing job's number.
    pub(crate) k: u64,
}

/// One chain event of a job, times in ns from the run's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// When it happened.
    pub(crate) at: u64,
    /// The job's number.
    pub(crate) k: u64,
    /// What happened.
    pub(crate) kind: Kind,
}

/// What happened to a job, for the chains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Released; by the trigger's job of this number, if triggered.
    Released(Option<u64>),
    /// First ran; read these entries of [`Log::reads`].
    Started(Range<usize>),
    /// Completed.
    Completed,
    /// Ended without completing (aborted, faulted, unfinished at the end).
    Dropped,
}

/// A task thread's chain events, in the order it logged them.
#[derive(Debug, Default)]
pub(crate) struct Log {
    /// The events.
    pub(crate) events: Vec<Event>,
    /// The register reads of the `Started` events: (task read, its job
    /// whose value was read; `None`: it had completed none).
    pub(crate) reads: Vec<(usize, Option<u64>)>,
}

/// A task thread's ends of the pipeline links.
#[derive(Debug, Default)]
pub(crate) struct Links {
    /// One sender per task this one triggers.
    pub(crate) out: Vec<Sender<Token>>,
    /// The channel of the trigger's tokens, for a triggered task.
    pub(crate) input: Option<Receiver<Token>>,
    /// Every task's register cell (shared by the run's threads).
    pub(crate) cells: Arc<[AtomicU64]>,
    /// The tasks this one reads (those in a chain).
    pub(crate) reads: Vec<usize>,
    /// This task's position, to publish its cell.
    pub(crate) me: usize,
    /// Its chain events, if it is a stage of a chain.
    pub(crate) log: Option<Log>,
}

/// Most events a log reserves room for before the run (more grow it).
const LOG_RESERVE: u64 = 1 << 18;

impl Links {
    /// Whether the task logs chain events.
    #[inline]
    pub(crate) fn tracked(&self) -> bool {
        self.log.is_some()
    }

    /// Job `k` completed at `at` (ns from the start) before the run's end:
    /// its triggered tasks get a token, its register the job. Called right
    /// after the completion timestamp.
    #[inline]
    pub(crate) fn completed(&self, k: u64, at: u64) {
        for tx in &self.out {
            // Unbounded: never blocks; fails only once the receiver's
            // thread is gone (its setup failed), when no one counts it.
            let _ = tx.send(Token { at, k });
        }
        if self.tracked() {
            self.cells[self.me].store(k + 1, Ordering::Release);
        }
    }

    /// Reads the registers this task reads (before the job's start
    /// timestamp): the range of [`Log::reads`] they went to.
    #[inline]
    pub(crate) fn read(&mut self) -> Range<usize> {
        let Some(log) = &mut self.log else {
            return 0..0;
        };
        let from = log.reads.len();
        for &w in &self.reads {
            let v = self.cells[w].load(Ordering::Acquire);
            log.reads.push((w, v.checked_sub(1)));
        }
        from..log.reads.len()
    }

    /// Logs `kind` of job `k` at `at` (ns from the start), if tracked.
    #[inline]
    pub(crate) fn log(&mut self, k: u64, at: u64, kind: Kind) {
        if let Some(log) = &mut self.log {
            log.events.push(Event { at, k, kind });
        }
    }
}

/// Every task's links for a run of `duration_ns`: a channel per trigger
/// link, a cell per task, logs for the tasks `chains` tracks.
pub(crate) fn links(system: &System, chains: &ChainBook, duration_ns: u64) -> Vec<Links> {
    let n = system.tasks.len();
    let cells: Arc<[AtomicU64]> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let mut all: Vec<Links> = (0..n)
        .map(|i| {
            let task = &system.tasks[i];
            let tracked = chains.tracks(i);
            // Up to three events per job: release, start, end.
            let jobs = duration_ns / task.period.as_nanos().max(1) + 2;
            Links {
                cells: Arc::clone(&cells),
                reads: if tracked {
                    task.reads
                        .iter()
                        .map(|r| r.0)
                        .filter(|&r| chains.tracks(r))
                        .collect()
                } else {
                    Vec::new()
                },
                me: i,
                log: tracked.then(|| Log {
                    events: Vec::with_capacity((3 * jobs).min(LOG_RESERVE) as usize),
                    reads: Vec::new(),
                }),
                ..Links::default()
            }
        })
        .collect();
    for i in 0..n {
        if let Some(trigger) = system.tasks[i].trigger {
            let (tx, rx) = channel::unbounded();
            all[trigger.0].out.push(tx);
            all[i].input = Some(rx);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtlab_tasks::config;

    fn system(text: &str) -> System {
        config::load_str(text, "t.toml")
            .unwrap_or_else(|e| panic!("{e:?}"))
            .system
    }

    const PIPE: &str = "name = \"p\"\n[scheduler]\npriorities = \"explicit\"\n\
        [[task]]\nname = \"a\"\nperiod = \"10ms\"\nwcet = \"1ms\"\npriority = 3\n\
        [[task]]\nname = \"b\"\nwcet = \"1ms\"\npriority = 2\ntrigger = \"a\"\n\
        [[task]]\nname = \"c\"\nperiod = \"5ms\"\nwcet = \"1ms\"\npriority = 1\nreads = [\"b\"]\n\
        [[task]]\nname = \"idle\"\nperiod = \"5ms\"\nwcet = \"1ms\"\npriority = 4\n\
        [[chain]]\nname = \"abc\"\ntasks = [\"a\", \"b\", \"c\"]\n";

    #[test]
    fn a_completion_sends_its_token_and_publishes_its_register() {
        let s = system(PIPE);
        let mut l = links(
            &s,
            &ChainBook::new(&s, std::sync::Arc::new(crate::ledger::Names::of(&s))),
            100_000_000,
        );
        assert!(l[0].tracked() && l[1].tracked() && l[2].tracked());
        assert!(!l[3].tracked(), "a task in no chain logs nothing");
        assert_eq!((l[0].out.len(), l[1].out.len()), (1, 0));
        assert_eq!(l[2].reads, [1]);
        // Nothing written yet: the reader reads no value.
        let r = l[2].read();
        assert_eq!(l[2].log.as_ref().unwrap().reads[r], [(1, None)]);
        l[0].completed(7, 1234);
        let rx = l[1].input.take().unwrap();
        assert_eq!(rx.try_recv(), Ok(Token { at: 1234, k: 7 }));
        l[1].completed(4, 2000);
        let r = l[2].read();
        assert_eq!(l[2].log.as_ref().unwrap().reads[r], [(1, Some(4))]);
    }
}
