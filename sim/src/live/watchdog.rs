//! Keeping a live run in hand: the shared stop flags, Ctrl-C / SIGTERM,
//! and the deadlock monitor (who waits for what, held by whom).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::locks::{Mutex, NO_OWNER};
use crate::ledger::{self, WaitEdge};

/// A task not waiting for any resource (in [`Control::waiting`]).
pub(crate) const NOT_WAITING: usize = usize::MAX;

/// What every thread of a run shares.
pub(crate) struct Control {
    /// Common start (CLOCK_MONOTONIC, ns): every release counts from it.
    pub(crate) start: u64,
    /// No release at or after this instant (start + duration), ns.
    pub(crate) end: u64,
    /// Set when the run ends (time up, Ctrl-C): no more releases, and jobs
    /// still running give up.
    pub(crate) stop: AtomicBool,
    /// Same moment as `stop`, read in the hot loops.
    pub(crate) halt: AtomicBool,
    stopped_at: AtomicU64,
    /// Per task: the resource its job waits for, or [`NOT_WAITING`].
    pub(crate) waiting: Vec<AtomicUsize>,
}

impl Control {
    /// A control block for a run of `tasks` tasks from `start` to `end`
    /// (ns).
    pub(crate) fn new(start: u64, end: u64, tasks: usize) -> Self {
        Control {
            start,
            end,
            stop: AtomicBool::new(false),
            halt: AtomicBool::new(false),
            stopped_at: AtomicU64::new(u64::MAX),
            waiting: (0..tasks).map(|_| AtomicUsize::new(NOT_WAITING)).collect(),
        }
    }

    /// Ends the run at `at` (ns): every thread stops as soon as it looks.
    pub(crate) fn stop_at(&self, at: u64) {
        let _ = self.stopped_at.compare_exchange(
            u64::MAX,
            at.min(self.end),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
        self.stop.store(true, Ordering::Release);
        self.halt.store(true, Ordering::Release);
    }

    /// When the run ended (its end if it was not stopped), ns.
    pub(crate) fn ended_at(&self) -> u64 {
        match self.stopped_at.load(Ordering::Acquire) {
            u64::MAX => self.end,
            t => t,
        }
    }
}

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static HANDLER: OnceLock<Result<(), String>> = OnceLock::new();

/// Installs the Ctrl-C / SIGTERM / SIGHUP handler once per process; the
/// run polls [`interrupted`].
pub(crate) fn install_interrupt_handler() -> Result<(), String> {
    HANDLER
        .get_or_init(|| {
            ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst))
                .map_err(|e| e.to_string())
        })
        .clone()
}

/// True once Ctrl-C (or SIGTERM) arrived since the last
/// [`clear_interrupt`].
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Forgets an earlier Ctrl-C: each live run stops on its own. (A caller
/// running several, like `compare`, looks at [`interrupted`] between
/// runs and stops.)
pub(crate) fn clear_interrupt() {
    INTERRUPTED.store(false, Ordering::SeqCst);
}

/// A wait-for cycle among the tasks, read from the threads' waiting
/// flags and the mutex owners (the ledger's detector); `None` if there is
/// none. One reading can be torn: the caller confirms it.
pub(crate) fn wait_cycle(control: &Control, mutexes: &[Mutex]) -> Option<Vec<WaitEdge>> {
    let n = control.waiting.len();
    ledger::wait_for_cycle(n, None, |t| {
        let r = control.waiting[t].load(Ordering::Acquire);
        if r == NOT_WAITING {
            return None;
        }
        let holder = mutexes.get(r)?.owner.load(Ordering::Acquire);
        (holder != NO_OWNER && holder < n).then_some((r, holder))
    })
}

/// Stays quiet about the panics of injected faults (they are counted, not
/// reported); other panics go to the previous hook. Installed once.
pub(crate) fn quiet_injected_faults() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().is::<InjectedFault>() {
                return;
            }
            previous(info);
        }));
    });
}

/// The payload of an injected fault's panic (recognised by the panic hook,
/// which stays quiet about it).
pub(crate) struct InjectedFault;
