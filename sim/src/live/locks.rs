//! Real mutexes for critical sections: POSIX mutexes with the protocol the
//! config asks for, so priority inversion happens for real (and its cure can
//! be seen).
//!
//! - `locking = "none"`: `PTHREAD_PRIO_NONE`, a plain mutex;
//! - `"inherit"`: `PTHREAD_PRIO_INHERIT` (the kernel's PI futexes: the
//!   holder runs at the highest priority of its waiters);
//! - `"ceiling"`: `PTHREAD_PRIO_PROTECT` with the resource's ceiling (the
//!   highest OS priority of its users): the holder runs at the ceiling from
//!   the moment it locks.
//!
//! Waiting uses `pthread_mutex_clocklock` on CLOCK_MONOTONIC (the clock of
//! every release and deadline; CLOCK_REALTIME can be stepped) in slices
//! that end at a job's deadline when `on_miss = "abort"` (so the wait is
//! given up at the deadline, not up to 50 ms after it) and last at most
//! 50 ms otherwise, so a waiting thread notices a stop (Ctrl-C, the
//! watchdog) and a deadlock never hangs the run.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::clock;

unsafe extern "C" {
    // glibc has it; the libc crate does not declare it for Linux.
    fn pthread_mutexattr_setprioceiling(
        attr: *mut libc::pthread_mutexattr_t,
        prioceiling: libc::c_int,
    ) -> libc::c_int;
    // glibc 2.30 and later (PI mutexes on CLOCK_MONOTONIC: 2.35 with Linux
    // 5.14's FUTEX_LOCK_PI2); not declared by the libc crate.
    fn pthread_mutex_clocklock(
        mutex: *mut libc::pthread_mutex_t,
        clockid: libc::clockid_t,
        abstime: *const libc::timespec,
    ) -> libc::c_int;
}

/// Longest slice of a lock wait, ns: how late a stop is seen.
const SLICE_NS: u64 = 50_000_000;

/// The protocol of one mutex (the policy's decision).
pub(crate) use crate::policy::LockProtocol as Protocol;

/// No owner (stored in [`Mutex::owner`]).
pub(crate) const NO_OWNER: usize = usize::MAX;

/// A POSIX mutex with a protocol, plus who holds it (for deadlock reports).
pub(crate) struct Mutex {
    raw: Box<UnsafeCell<libc::pthread_mutex_t>>,
    /// Task index of the holder, [`NO_OWNER`] when free. Written by the
    /// holder only (after locking, before unlocking); read by the monitor.
    pub(crate) owner: AtomicUsize,
}

// SAFETY: a pthread mutex is made to be shared between threads; it lives in
// a Box, so its address never changes after `pthread_mutex_init`.
unsafe impl Send for Mutex {}
// SAFETY: as above; every access goes through the pthread functions.
unsafe impl Sync for Mutex {}

/// How waiting for a lock ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The lock is ours.
    Locked,
    /// `give_up` said to stop waiting.
    GaveUp,
}

impl Mutex {
    /// A new mutex; fails if the system refuses the protocol.
    pub(crate) fn new(protocol: Protocol) -> std::io::Result<Mutex> {
        let raw = Box::new(UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER));
        // SAFETY: the attribute object is initialised before use and
        // destroyed after; the mutex pointer is valid and not yet shared.
        unsafe {
            let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
            check(libc::pthread_mutexattr_init(&mut attr))?;
            let proto = match protocol {
                Protocol::None => libc::PTHREAD_PRIO_NONE,
                Protocol::Inherit => libc::PTHREAD_PRIO_INHERIT,
                Protocol::Ceiling(_) => libc::PTHREAD_PRIO_PROTECT,
            };
            let mut rc = libc::pthread_mutexattr_setprotocol(&mut attr, proto);
            if let (0, Protocol::Ceiling(c)) = (rc, protocol) {
                rc = pthread_mutexattr_setprioceiling(&mut attr, c);
            }
            if rc == 0 {
                rc = libc::pthread_mutex_init(raw.get(), &attr);
            }
            libc::pthread_mutexattr_destroy(&mut attr);
            check(rc)?;
        }
        Ok(Mutex {
            raw,
            owner: AtomicUsize::new(NO_OWNER),
        })
    }

    /// Locks without waiting: true if it is ours, false if it is held;
    /// an error otherwise (a priority-protect mutex locked above its
    /// ceiling: EINVAL).
    pub(crate) fn try_lock(&self) -> std::io::Result<bool> {
        // SAFETY: the mutex was initialised in `new` and outlives the call.
        match unsafe { libc::pthread_mutex_trylock(self.raw.get()) } {
            0 => Ok(true),
            libc::EBUSY => Ok(false),
            e => Err(std::io::Error::from_raw_os_error(e)),
        }
    }

    /// Waits for the lock until `until` (CLOCK_MONOTONIC, ns; `u64::MAX`:
    /// no limit), asking `give_up` every slice (at most 50 ms).
    pub(crate) fn lock(
        &self,
        until: u64,
        mut give_up: impl FnMut() -> bool,
    ) -> std::io::Result<Wait> {
        loop {
            let now = clock::now();
            if now >= until || give_up() {
                return Ok(Wait::GaveUp);
            }
            let end = until.min(now.saturating_add(SLICE_NS));
            let deadline = clock::timespec(end);
            // SAFETY: the mutex was initialised in `new`; `deadline` is a
            // valid timespec.
            let rc = unsafe {
                pthread_mutex_clocklock(self.raw.get(), libc::CLOCK_MONOTONIC, &deadline)
            };
            match rc {
                0 => return Ok(Wait::Locked),
                libc::ETIMEDOUT | libc::EINTR => continue,
                e => return Err(std::io::Error::from_raw_os_error(e)),
            }
        }
    }

    /// Unlocks a mutex this thread holds.
    pub(crate) fn unlock(&self) {
        self.owner.store(NO_OWNER, Ordering::Release);
        // SAFETY: called only by the thread that locked it (the workload
        // keeps a stack of held locks per job).
        unsafe { libc::pthread_mutex_unlock(self.raw.get()) };
    }
}

impl Drop for Mutex {
    fn drop(&mut self) {
        // SAFETY: no thread holds or waits for it any more (the runner joins
        // every task thread before dropping the locks).
        unsafe { libc::pthread_mutex_destroy(self.raw.get()) };
    }
}

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(rc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_protocol_locks_and_times_out_cleanly() {
        for p in [Protocol::None, Protocol::Inherit] {
            let m = std::sync::Arc::new(Mutex::new(p).unwrap());
            assert!(m.try_lock().unwrap());
            let other = std::sync::Arc::clone(&m);
            let waited = std::thread::spawn(move || {
                let t0 = clock::now();
                let r = other
                    .lock(u64::MAX, || clock::now() > t0 + 60_000_000)
                    .unwrap();
                (r, clock::now() - t0)
            })
            .join()
            .unwrap();
            assert_eq!(waited.0, Wait::GaveUp);
            assert!(waited.1 >= 60_000_000);
            m.unlock();
            assert_eq!(m.lock(u64::MAX, || false).unwrap(), Wait::Locked);
            m.unlock();
        }
    }

    /// A wait with a limit ends at the limit itself (CLOCK_MONOTONIC), not
    /// at the end of a 50 ms slice, and is not counted as locked; for
    /// plain and PI mutexes (PI goes through FUTEX_LOCK_PI2). Priority
    /// protect needs a real-time thread to lock at all; its wait is the
    /// plain futex path.
    #[test]
    fn a_wait_is_given_up_at_its_limit_on_the_monotonic_clock() {
        for p in [Protocol::None, Protocol::Inherit] {
            let m = std::sync::Arc::new(Mutex::new(p).unwrap());
            assert!(m.try_lock().unwrap());
            let other = std::sync::Arc::clone(&m);
            let (r, t1, until, slices) = std::thread::spawn(move || {
                let until = clock::now() + 7_000_000;
                let mut slices = 0;
                let r = other
                    .lock(until, || {
                        slices += 1;
                        false
                    })
                    .unwrap();
                (r, clock::now(), until, slices)
            })
            .join()
            .unwrap();
            assert_eq!(r, Wait::GaveUp, "{p:?}");
            assert!(t1 >= until, "{p:?}: gave up {} ns early", until - t1);
            // One slice, ending at the limit: not 50 ms slices checked
            // against the limit in between.
            assert_eq!(slices, 1, "{p:?}");
            m.unlock();
        }
    }
}
