//! A triggered task's thread: one job per token of its trigger, released
//! at the token's time (the trigger's completion), as in the simulator.
//!
//! - The wake-up latency is measured from that time, like a timer
//!   release's: the thread blocks on the channel and the completion's
//!   send wakes it.
//! - A token found while the previous job still ran queues the job (no
//!   wake-up latency), or skips it under `overrun = "skip"`.
//! - Tokens of completions before the end that the thread gets only after
//!   it (it was busy, or woke too late) are released jobs left
//!   unfinished: after the end the thread drains its channel until the
//!   trigger's thread, stopped, drops its end.

use std::sync::atomic::Ordering;
use std::time::Duration as StdDuration;

use crossbeam::channel::{Receiver, RecvTimeoutError, TryRecvError};

use rtlab_tasks::outcome::trace::EventKind;

use super::super::clock;
use super::super::pipes::{Kind, Token};
use super::super::recording;
use super::super::watchdog::Control;
use super::Runner;
use crate::ledger::{Arrivals, JobCauses};

/// Longest single wait on the channel, ns: a stop is seen within it.
const SLICE_NS: u64 = 200_000_000;

/// How long the drain after the end waits for the trigger's thread to
/// stop (it then drops its end of the channel).
const DRAIN: StdDuration = StdDuration::from_millis(500);

impl Runner<'_> {
    /// The jobs of a triggered task, one per token from `tokens`, until the
    /// run ends. Returns a token received but not run (it came, or the
    /// thread woke, at or after the end).
    pub(super) fn triggered(
        &mut self,
        arrivals: &mut Arrivals,
        tokens: &Receiver<Token>,
    ) -> Option<Token> {
        let control = self.control;
        loop {
            if control.stop.load(Ordering::Relaxed) {
                return None;
            }
            let (token, slept) = match tokens.try_recv() {
                Ok(t) => (t, false),
                Err(TryRecvError::Disconnected) => return None,
                Err(TryRecvError::Empty) => {
                    self.idle();
                    (next_token(tokens, control)?, true)
                }
            };
            let nominal = control.start.saturating_add(token.at);
            // Released while its previous job still ran.
            let queued = arrivals.next_job() > 0 && self.last_end > nominal;
            if queued && self.plan.skip_overruns {
                self.skip(arrivals, token);
                continue;
            }
            let jitter = if queued {
                0
            } else {
                if !slept {
                    self.idle();
                }
                let woke = recording::woke(nominal);
                // Got the CPU only after the run ended: not a wake-up
                // measured in the run.
                if control.stop.load(Ordering::Acquire) || nominal + woke >= control.end {
                    return Some(token);
                }
                woke
            };
            let job = arrivals.triggered(token.at);
            self.links
                .log(job.k, job.release, Kind::Released(Some(token.k)));
            if !self.run_job(&job, nominal, queued, jitter) {
                return None;
            }
        }
    }

    /// After the run, which ended at `end` (ns from the start): `held` and
    /// the tokens still in `tokens` are jobs released before the end that
    /// never ran (or were skipped).
    pub(super) fn drain(
        &mut self,
        arrivals: &mut Arrivals,
        tokens: &Receiver<Token>,
        held: Option<Token>,
        end: u64,
    ) {
        if let Some(t) = held {
            self.leftover(arrivals, t, end);
        }
        let until = std::time::Instant::now() + DRAIN;
        // Err once the trigger's thread dropped its end (or on time-out).
        while let Ok(t) = tokens.recv_deadline(until) {
            self.leftover(arrivals, t, end);
        }
    }

    /// A token that did not run in the run that ended at `end`.
    fn leftover(&mut self, arrivals: &mut Arrivals, token: Token, end: u64) {
        // None is released at or after the end (an interrupted run's
        // trigger can see its stop late).
        if token.at >= end {
            return;
        }
        let nominal = self.control.start.saturating_add(token.at);
        if self.plan.skip_overruns && arrivals.next_job() > 0 && self.last_end > nominal {
            self.skip(arrivals, token);
            return;
        }
        let job = arrivals.triggered(token.at);
        self.links
            .log(job.k, job.release, Kind::Released(Some(token.k)));
        self.book.released_queued();
        self.book.unfinished(&job, end, true, &JobCauses::default());
    }

    /// Drops the job of `token` (`overrun = "skip"`).
    fn skip(&mut self, arrivals: &mut Arrivals, token: Token) {
        let job = arrivals.triggered(token.at);
        self.job = job.k;
        self.book.skipped();
        self.emit(self.control.start.saturating_add(token.at), EventKind::Skip);
    }
}

/// Blocks until a token comes; `None` once the run ended (or was
/// stopped) or the trigger's thread is gone.
fn next_token(tokens: &Receiver<Token>, control: &Control) -> Option<Token> {
    loop {
        let now = clock::now();
        if control.stop.load(Ordering::Relaxed) || now >= control.end {
            return None;
        }
        let wait = (control.end - now).min(SLICE_NS);
        match tokens.recv_timeout(StdDuration::from_nanos(wait)) {
            Ok(t) => return Some(t),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}
