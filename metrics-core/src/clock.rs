//! Wall-clock time for `_created` samples, and creation stamps that also order series.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static LAST: AtomicU64 = AtomicU64::new(0);

/// Nanoseconds since the Unix epoch, strictly increasing across the process: two metrics never
/// get the same stamp, so dynamic families can render series in creation order from it alone.
pub(crate) fn unique_nanos() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(x) => last = x,
        }
    }
}

/// A stamp as seconds since the Unix epoch.
pub(crate) fn seconds(nanos: u64) -> f64 {
    nanos as f64 / 1e9
}

/// The wall-clock time, seconds since the Unix epoch, read cheaply: the stamp of an exemplar,
/// taken on the hot path of [`Counter::inc_with_exemplar`](crate::Counter::inc_with_exemplar).
///
/// On Linux this is `CLOCK_REALTIME_COARSE`: the time of the kernel's last timer tick, read
/// from the vDSO page without reading the hardware counter (5 ns, where `SystemTime::now()`
/// takes 50 on a VM whose TSC reads are slow). It is the real, NTP-disciplined Unix time,
/// behind by less than one tick (`clock_getres` gives the tick: 1 to 10 ms, 4 ms on a 250 Hz
/// kernel). Elsewhere it is `SystemTime::now()`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn coarse_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// The wall-clock time, seconds since the Unix epoch (see the Linux version).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn coarse_seconds() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_clock_is_unix_time_to_a_tick() {
        let coarse = coarse_seconds();
        let exact = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        // Behind by at most one kernel tick (10 ms at 100 Hz), never ahead; the margin only
        // covers a preemption between the two reads.
        assert!(coarse <= exact + 1e-6, "coarse {coarse} is ahead of {exact}");
        assert!(exact - coarse < 0.5, "coarse {coarse} lags {exact}");
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn the_coarse_clock_ticks_at_least_every_10_ms() {
        let res = rustix::time::clock_getres(rustix::time::ClockId::RealtimeCoarse);
        assert_eq!(res.tv_sec, 0);
        assert!(res.tv_nsec <= 10_000_000, "tick of {} ns", res.tv_nsec);
    }
}
