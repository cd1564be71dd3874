//! The live engine's clocks: the one place where the operating system's
//! time becomes integer nanoseconds.
//!
//! - [`now`]: `CLOCK_MONOTONIC` (vDSO, about 20 ns), for releases and
//!   every timestamp of a run;
//! - [`thread_cpu`]: `CLOCK_THREAD_CPUTIME_ID` (a system call, about
//!   0.4 µs here), the CPU time the calling thread has received: a job burns
//!   its execution time on this clock, so preemption lengthens its response
//!   as it would on a real system;
//! - [`sleep_until`]: `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`,
//!   absolute, so releases never drift.

/// Nanoseconds of a `timespec`.
fn ns(ts: &libc::timespec) -> u64 {
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

pub(crate) fn timespec(ns: u64) -> libc::timespec {
    libc::timespec {
        tv_sec: (ns / 1_000_000_000) as libc::time_t,
        tv_nsec: (ns % 1_000_000_000) as libc::c_long,
    }
}

fn read(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; both clocks exist on
    // every Linux this builds for, so the call cannot fail.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ns(&ts)
}

/// `CLOCK_MONOTONIC` now, in nanoseconds.
#[inline]
pub(crate) fn now() -> u64 {
    read(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` now, in nanoseconds since the Unix epoch (only for
/// `started_at` and mutex time-outs).
pub(crate) fn wall() -> u64 {
    read(libc::CLOCK_REALTIME)
}

/// The calling thread's CPU time, in nanoseconds.
#[inline]
pub(crate) fn thread_cpu() -> u64 {
    read(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// Sleeps until `CLOCK_MONOTONIC` reaches `deadline_ns` (absolute; an
/// interrupted sleep resumes).
pub(crate) fn sleep_until(deadline_ns: u64) {
    let ts = timespec(deadline_ns);
    loop {
        // SAFETY: `ts` is a valid timespec; a null remainder is allowed with
        // TIMER_ABSTIME.
        let rc = unsafe {
            libc::clock_nanosleep(
                libc::CLOCK_MONOTONIC,
                libc::TIMER_ABSTIME,
                &ts,
                std::ptr::null_mut(),
            )
        };
        if rc != libc::EINTR {
            return;
        }
    }
}

/// Formats a `CLOCK_REALTIME` instant as RFC 3339 UTC with microseconds.
pub(crate) fn rfc3339(epoch_ns: u64) -> String {
    let secs = epoch_ns / 1_000_000_000;
    let micros = epoch_ns % 1_000_000_000 / 1_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_advance_and_sleep_is_absolute() {
        let a = now();
        sleep_until(a + 2_000_000);
        let b = now();
        assert!(b >= a + 2_000_000, "slept {} ns", b - a);
        let c0 = thread_cpu();
        let t0 = now();
        while now() < t0 + 1_000_000 {}
        assert!(thread_cpu() > c0);
    }

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339(1_795_000_000_123_456_789),
            "2026-11-18T11:06:40.123456Z"
        );
        assert_eq!(
            rfc3339(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000Z"
        );
    }
}
