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
//! Waiting uses `pthread_mutex_timedlock` in slices of at most 50 ms, so a
//! waiting thread notices a stop (Ctrl-C, the watchdog, its deadline with
//! `on_miss = "abort"`) and a deadlock never hangs the run.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::clock;

unsafe extern "C" {
    // glibc has it; the libc crate does not declare it for Linux.
    fn pthread_mutexattr_setprioceiling(
        attr: *mut libc::pthread_mutexattr_t,
        prioceiling: libc::c_int,
    ) -> libc::c_int;
}

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

    /// Locks without waiting; true if it is ours.
    pub(crate) fn try_lock(&self) -> bool {
        // SAFETY: the mutex was initialised in `new` and outlives the call.
        unsafe { libc::pthread_mutex_trylock(self.raw.get()) == 0 }
    }

    /// Waits for the lock, asking `give_up` every slice (at most 50 ms).
    pub(crate) fn lock(&self, mut give_up: impl FnMut() -> bool) -> std::io::Result<Wait> {
        loop {
            if give_up() {
                return Ok(Wait::GaveUp);
            }
            let deadline = clock::realtime_after(50_000_000);
            // SAFETY: the mutex was initialised in `new`; `deadline` is a
            // valid timespec.
            let rc = unsafe { libc::pthread_mutex_timedlock(self.raw.get(), &deadline) };
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
            assert!(m.try_lock());
            let other = std::sync::Arc::clone(&m);
            let waited = std::thread::spawn(move || {
                let t0 = clock::now();
                let r = other.lock(|| clock::now() > t0 + 60_000_000).unwrap();
                (r, clock::now() - t0)
            })
            .join()
            .unwrap();
            assert_eq!(waited.0, Wait::GaveUp);
            assert!(waited.1 >= 60_000_000);
            m.unlock();
            assert_eq!(m.lock(|| false).unwrap(), Wait::Locked);
            m.unlock();
        }
    }
}
