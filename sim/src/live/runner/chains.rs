//! The chains of a live run, accounted after it: the threads' logs of
//! chain events (`pipes::Log`), merged in time order, replayed into the
//! ledger's `ChainBook`, the same accounting as the simulator's.
//!
//! - Ties: completions (and drops) before releases before starts, as the
//!   simulator handles one instant: a triggered job is released at its
//!   trigger's completion time, exactly, and comes after it.
//! - A triggered release gets the `Token` its triggering completion (the
//!   job its thread's token named) returned; a start gets the tokens of
//!   the very jobs whose registers it read (`ChainBook::started_with`),
//!   not what the replay order would say was latest.
//! - A start is replayed no earlier than the completions it read: the
//!   cell was published after the completion timestamp and read before
//!   the start timestamp, but the two clock readings on two CPUs may be
//!   a few nanoseconds out of that order.

use std::collections::{HashMap, VecDeque};

use rtlab_tasks::model::System;

use super::super::pipes::{Event, Kind, Log};
use crate::ledger::{ChainBook, Token};

/// The tokens of one link's source still to be used by its destination,
/// by job number, oldest first.
type Queue = VecDeque<(u64, Token)>;

/// Replays the chain events of `logs` (per task, `None`: no log) into
/// `chains`.
pub(super) fn replay(system: &System, chains: &mut ChainBook, logs: &[Option<&Log>]) {
    let links = link_queues(system, chains);
    let mut queues: Vec<Vec<(usize, Queue)>> = links
        .iter()
        .map(|to| to.iter().map(|&t| (t, Queue::new())).collect())
        .collect();
    for (task, e) in merged(logs) {
        let Some(log) = logs[task] else { continue };
        match &e.kind {
            Kind::Completed => {
                let token = chains.completed(task, e.k, e.at);
                for (_, q) in &mut queues[task] {
                    q.push_back((e.k, token.clone()));
                }
            }
            Kind::Dropped => chains.dropped(task, e.k),
            Kind::Released(by) => {
                let token = by
                    .zip(system.tasks[task].trigger)
                    .and_then(|(k, from)| find(queue(&mut queues, from.0, task)?, k));
                chains.released(task, e.k, e.at, token.as_ref());
            }
            Kind::Started(range) => {
                let read: Vec<(usize, Option<Token>)> = log
                    .reads
                    .get(range.clone())
                    .unwrap_or_default()
                    .iter()
                    .map(|&(w, k)| {
                        let token = k.and_then(|k| find(queue(&mut queues, w, task)?, k));
                        (w, token)
                    })
                    .collect();
                let read: Vec<(usize, Option<&Token>)> =
                    read.iter().map(|(w, t)| (*w, t.as_ref())).collect();
                chains.started_with(task, e.k, e.at, &read);
            }
        }
    }
}

/// Per task, the tracked tasks it hands tokens to (it triggers them, or
/// they read it).
fn link_queues(system: &System, chains: &ChainBook) -> Vec<Vec<usize>> {
    let n = system.tasks.len();
    let mut to = vec![Vec::new(); n];
    for (t, task) in system.tasks.iter().enumerate() {
        if !chains.tracks(t) {
            continue;
        }
        for from in task.trigger.iter().chain(&task.reads) {
            if from.0 < n && chains.tracks(from.0) && !to[from.0].contains(&t) {
                to[from.0].push(t);
            }
        }
    }
    to
}

fn queue(queues: &mut [Vec<(usize, Queue)>], from: usize, to: usize) -> Option<&mut Queue> {
    queues
        .get_mut(from)?
        .iter_mut()
        .find(|(t, _)| *t == to)
        .map(|(_, q)| q)
}

/// The token of job `k` in `q`, forgetting the older ones (each
/// destination uses its source's jobs in increasing order).
fn find(q: &mut Queue, k: u64) -> Option<Token> {
    while q.front().is_some_and(|(j, _)| *j < k) {
        q.pop_front();
    }
    q.front().filter(|(j, _)| *j == k).map(|(_, t)| t.clone())
}

/// Every log's events with their task, in replay order.
fn merged<'l>(logs: &[Option<&'l Log>]) -> Vec<(usize, &'l Event)> {
    // Completion times of the jobs someone read.
    let read: std::collections::HashSet<usize> = logs
        .iter()
        .flatten()
        .flat_map(|l| l.reads.iter().map(|&(w, _)| w))
        .collect();
    let mut done: HashMap<(usize, u64), u64> = HashMap::new();
    for (task, log) in logs.iter().enumerate() {
        let Some(log) = log.filter(|_| read.contains(&task)) else {
            continue;
        };
        for e in log.events.iter().filter(|e| e.kind == Kind::Completed) {
            done.insert((task, e.k), e.at);
        }
    }
    let mut all: Vec<(u64, u8, usize, &Event)> = Vec::new();
    for (task, log) in logs.iter().enumerate() {
        let Some(log) = log else { continue };
        for e in &log.events {
            let (at, class) = match &e.kind {
                Kind::Completed | Kind::Dropped => (e.at, 0),
                Kind::Released(_) => (e.at, 1),
                Kind::Started(range) => {
                    let reads = log.reads.get(range.clone()).unwrap_or_default();
                    let after = reads
                        .iter()
                        .filter_map(|&(w, k)| done.get(&(w, k?)).copied())
                        .max()
                        .unwrap_or(0);
                    (e.at.max(after), 2)
                }
            };
            all.push((at, class, task, e));
        }
    }
    // Stable: a task's events of one instant and class keep their order.
    all.sort_by_key(|&(at, class, _, _)| (at, class));
    all.into_iter().map(|(_, _, t, e)| (t, e)).collect()
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

    fn ev(at: u64, k: u64, kind: Kind) -> Event {
        Event { at, k, kind }
    }

    const MS: u64 = 1_000_000;

    /// `a` (every 10 ms) triggers `b`; `c` (every 4 ms) reads `b`.
    const PIPE: &str = "name = \"p\"\n[scheduler]\npriorities = \"explicit\"\n\
        [[task]]\nname = \"a\"\nperiod = \"10ms\"\nwcet = \"1ms\"\npriority = 3\n\
        [[task]]\nname = \"b\"\nwcet = \"1ms\"\npriority = 2\ntrigger = \"a\"\n\
        [[task]]\nname = \"c\"\nperiod = \"4ms\"\nwcet = \"1ms\"\npriority = 1\nreads = [\"b\"]\n\
        [[chain]]\nname = \"abc\"\ntasks = [\"a\", \"b\", \"c\"]\n";

    #[test]
    fn a_triggered_release_replays_after_its_completion_and_a_read_gets_the_job_read() {
        let s = system(PIPE);
        let mut book = ChainBook::new(&s, std::sync::Arc::new(crate::ledger::Names::of(&s)));
        let a = Log {
            events: vec![
                ev(0, 0, Kind::Released(None)),
                ev(0, 0, Kind::Started(0..0)),
                ev(MS, 0, Kind::Completed),
                ev(10 * MS, 1, Kind::Released(None)),
                ev(10 * MS, 1, Kind::Started(0..0)),
                ev(11 * MS, 1, Kind::Completed),
            ],
            reads: Vec::new(),
        };
        // Each b job released at its trigger's completion, exactly.
        let b = Log {
            events: vec![
                ev(MS, 0, Kind::Released(Some(0))),
                ev(MS, 0, Kind::Started(0..0)),
                ev(2 * MS, 0, Kind::Completed),
                ev(11 * MS, 1, Kind::Released(Some(1))),
                ev(11 * MS, 1, Kind::Started(0..0)),
                ev(12 * MS + 5, 1, Kind::Completed),
            ],
            reads: Vec::new(),
        };
        // c's job 3 read b's job 0, then b's job 1 published its value
        // (at 12 ms + 5 ns) before c took its start timestamp (12 ms +
        // 10 ns): the read is what counts, not the latest in time order.
        let c = Log {
            events: vec![
                ev(12 * MS, 3, Kind::Released(None)),
                ev(12 * MS + 10, 3, Kind::Started(0..1)),
                ev(13 * MS, 3, Kind::Completed),
                ev(16 * MS, 4, Kind::Released(None)),
                ev(16 * MS, 4, Kind::Started(1..2)),
                ev(17 * MS, 4, Kind::Completed),
            ],
            reads: vec![(1, Some(0)), (1, Some(1))],
        };
        replay(&s, &mut book, &[Some(&a), Some(&b), Some(&c)]);
        let out = book.close(20 * MS, true);
        let chain = &out[0];
        assert_eq!((chain.jobs, chain.unfinished), (2, 0));
        // Stimulus 0 reacted at 13 ms (through b's job 0), stimulus 10 ms
        // at 17 ms (b's job 1); read as the latest, b's job 1 would have
        // given the second 3 ms.
        let e2e = &chain.end_to_end;
        assert_eq!(
            (e2e.count, e2e.min_ns, e2e.max_ns),
            (2, Some(7 * MS), Some(13 * MS))
        );
        let age = chain.data_age.as_ref().unwrap();
        assert_eq!((age.min_ns, age.max_ns), (Some(7 * MS), Some(13 * MS)));
    }

    #[test]
    fn a_start_replays_no_earlier_than_the_completion_it_read() {
        let s = system(PIPE);
        let mut book = ChainBook::new(&s, std::sync::Arc::new(crate::ledger::Names::of(&s)));
        let a = Log {
            events: vec![
                ev(0, 0, Kind::Released(None)),
                ev(0, 0, Kind::Started(0..0)),
                ev(MS, 0, Kind::Completed),
            ],
            reads: Vec::new(),
        };
        let b = Log {
            events: vec![
                ev(MS, 0, Kind::Released(Some(0))),
                ev(MS, 0, Kind::Started(0..0)),
                ev(2 * MS + 3, 0, Kind::Completed),
            ],
            reads: Vec::new(),
        };
        // Read b's job 0, timestamped 3 ns before its completion.
        let c = Log {
            events: vec![
                ev(2 * MS, 0, Kind::Released(None)),
                ev(2 * MS, 0, Kind::Started(0..1)),
                ev(3 * MS, 0, Kind::Completed),
            ],
            reads: vec![(1, Some(0))],
        };
        replay(&s, &mut book, &[Some(&a), Some(&b), Some(&c)]);
        let chain = &book.close(10 * MS, true)[0];
        assert_eq!(chain.end_to_end.count, 1);
        assert_eq!(chain.end_to_end.max_ns, Some(3 * MS));
    }
}
