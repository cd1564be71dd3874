//! A timed task's thread (periodic, sporadic, Poisson): it sleeps until
//! each release's absolute time, spinning for the last `spin_tail`.

use std::sync::atomic::Ordering;

use rtlab_tasks::outcome::trace::EventKind;

use super::super::clock;
use super::super::pipes::Kind;
use super::super::recording;
use super::super::watchdog::Control;
use super::Runner;
use crate::ledger::Arrivals;

impl Runner<'_> {
    /// The jobs of a task with timed releases (periodic, sporadic,
    /// Poisson), until the run ends.
    pub(super) fn timed(&mut self, arrivals: &mut Arrivals) {
        let control = self.control;
        let start = control.start;
        while let Some(release) = arrivals.next_release() {
            if control.stop.load(Ordering::Relaxed) {
                break;
            }
            let nominal = start.saturating_add(release);
            // Released while its previous job still ran (not merely while
            // the thread did its bookkeeping after it, kept off the CPU by
            // a peer).
            let queued = arrivals.next_job() > 0 && self.last_end > nominal;
            if queued && self.plan.skip_overruns {
                let job = arrivals.take();
                self.job = job.k;
                self.book.skipped();
                self.emit(nominal, EventKind::Skip);
                continue;
            }
            let jitter = if queued {
                0
            } else {
                self.idle();
                wait_for_release(nominal, self.plan.spin_tail, control, || {
                    // Spinning before the release: busy for its peers.
                    self.busy(clock::now());
                });
                let woke = recording::woke(nominal);
                // Got the CPU only after the run ended (behind its peers'
                // last jobs): not a wake-up measured in the run; the
                // release counts as an incomplete job, as in the simulator.
                if control.stop.load(Ordering::Acquire) || nominal + woke >= control.end {
                    break;
                }
                woke
            };
            let job = arrivals.take();
            self.links.log(job.k, job.release, Kind::Released(None));
            if !self.run_job(&job, nominal, queued, jitter) {
                break;
            }
        }
    }

    /// Logs the releases before `end` (ns from the start) that `arrivals`
    /// never handed out: stimuli of a chain with no reaction.
    pub(super) fn log_unreleased(&mut self, arrivals: &Arrivals, end: u64) {
        if !self.links.tracked() {
            return;
        }
        let mut rest = arrivals.clone();
        while let Some(release) = rest.next_release().filter(|&r| r < end) {
            let job = rest.take();
            self.links.log(job.k, release, Kind::Released(None));
        }
    }
}

/// Sleeps until `release` (absolute, CLOCK_MONOTONIC), spinning for the last
/// `spin_tail` ns; long sleeps are cut into slices so that a stop is seen
/// within 200 ms.
pub(super) fn wait_for_release(
    release: u64,
    spin_tail: u64,
    control: &Control,
    spinning: impl FnOnce(),
) {
    const SLICE: u64 = 200_000_000;
    let wake = release.saturating_sub(spin_tail);
    loop {
        let now = clock::now();
        if now >= wake || control.stop.load(Ordering::Relaxed) {
            break;
        }
        let target = if wake - now > SLICE {
            now + SLICE
        } else {
            wake
        };
        clock::sleep_until(target);
    }
    if spin_tail > 0 {
        spinning();
    }
    while spin_tail > 0 && clock::now() < release && !control.stop.load(Ordering::Relaxed) {
        std::hint::spin_loop();
    }
}
