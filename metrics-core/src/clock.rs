//! Wall-clock time for `_created` samples, creation stamps that also order series, and the
//! recent time that rate-limits exemplars.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool as StdAtomicBool, AtomicU64 as StdAtomicU64, Ordering as StdOrdering};
use std::thread::Thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::sync::{AtomicBool, AtomicU64, Ordering};

static LAST: StdAtomicU64 = StdAtomicU64::new(0);

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

/// The wall-clock time in milliseconds since the Unix epoch, from the coarse clock.
fn coarse_millis() -> u64 {
    (coarse_seconds() * 1e3) as u64
}

/// How often the ticker stores the time.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// Ticks without a reader after which the ticker parks (one second).
pub(crate) const IDLE_TICKS: u32 = 1000;

/// A recent wall-clock time in milliseconds, read with one load: the window of the exemplar
/// rate limit (see `metric/exemplar.rs`), which needs a clock cheaper than the 5 ns of the
/// kernel's coarse clock.
///
/// A thread (the ticker, `metrics-exemplar-clock`) stores the time every [`TICK`]. It is
/// started by the first read and parks once nothing read the time for [`IDLE_TICKS`] ticks;
/// while it is not running, the stored value is 0 and readers read the coarse clock, the first
/// of them waking the ticker. A reader never waits for it.
pub(crate) struct RecentClock {
    /// The last tick's time in milliseconds shifted left by one, bit 0 set by the first reader
    /// of it (so that the ticker sees whether it is used); 0 while no ticker keeps it.
    recent: AtomicU64,
    /// Set by the reader that starts or wakes the ticker (the others then do neither), cleared
    /// by the ticker once `recent` is kept again.
    waking: AtomicBool,
}

impl RecentClock {
    #[cfg(not(loom))]
    const fn new() -> Self {
        RecentClock { recent: AtomicU64::new(0), waking: AtomicBool::new(false) }
    }

    #[cfg(loom)]
    fn new() -> Self {
        RecentClock { recent: AtomicU64::new(0), waking: AtomicBool::new(false) }
    }

    /// The time in milliseconds: the ticker's, or when no ticker keeps it, `fallback()`, after
    /// calling `wake()` if no other reader is waking the ticker.
    #[inline]
    fn read(&self, wake: impl FnOnce(), fallback: impl FnOnce() -> u64) -> u64 {
        let r = self.recent.load(Ordering::Relaxed);
        if r & 1 == 1 { r >> 1 } else { self.read_cold(r, wake, fallback) }
    }

    /// The first read of a tick, or a read while no ticker runs.
    #[cold]
    #[inline(never)]
    fn read_cold(&self, r: u64, wake: impl FnOnce(), fallback: impl FnOnce() -> u64) -> u64 {
        if r != 0 {
            // Tells the ticker that this tick was used. If this fails, the ticker has just
            // stored the next tick (whose first reader marks it) or stopped: `r` is still a
            // time of the last tick.
            let _ = self.recent.compare_exchange(r, r | 1, Ordering::Relaxed, Ordering::Relaxed);
            return r >> 1;
        }
        if !self.waking.load(Ordering::Relaxed) && !self.waking.swap(true, Ordering::Relaxed) {
            wake();
        }
        fallback()
    }

    /// Called by the ticker when it starts or resumes: stores `now` and lets the next reader
    /// that finds the ticker stopped wake it.
    fn resume(&self, now: u64) {
        self.recent.store(now << 1, Ordering::Relaxed);
        // After the store: a reader that still saw 0 and then finds `waking` clear unparks a
        // running ticker, which costs it one spurious round of parking, never a lost wake-up.
        self.waking.store(false, Ordering::Relaxed);
    }

    /// One tick of the ticker: stores `now` and returns whether the previous tick was read.
    fn tick(&self, now: u64) -> bool {
        self.recent.swap(now << 1, Ordering::Relaxed) & 1 == 1
    }

    /// Stops keeping the time for good (readers then read the fallback clock and do not wake
    /// the ticker), until [`allow_wake`](Self::allow_wake).
    fn halt(&self) {
        self.waking.store(true, Ordering::Relaxed);
        self.recent.store(0, Ordering::Relaxed);
    }

    /// Lets the next reader that finds the time stopped wake the ticker again.
    fn allow_wake(&self) {
        self.waking.store(false, Ordering::Relaxed);
    }

    /// Stops keeping the time (readers then read the fallback clock and wake the ticker),
    /// unless the last tick was read: returns whether it stopped, and the ticker may park.
    fn stop(&self) -> bool {
        let r = self.recent.load(Ordering::Relaxed);
        r & 1 == 0 && self.recent.compare_exchange(r, 0, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }
}

#[cfg(not(loom))]
static RECENT: RecentClock = RecentClock::new();
#[cfg(loom)]
loom::lazy_static! {
    static ref RECENT: RecentClock = RecentClock::new();
}

/// The ticker, once started (`None` if it could not be: readers then keep reading the coarse
/// clock, as `waking` stays set).
static TICKER: OnceLock<Option<Thread>> = OnceLock::new();

/// The wall-clock time in milliseconds since the Unix epoch as the ticker last stored it (at
/// most about one [`TICK`] old while its thread gets scheduled), or the coarse clock's while
/// it is not running: one relaxed load once warm.
#[inline]
pub(crate) fn recent_millis() -> u64 {
    RECENT.read(wake_ticker, coarse_millis)
}

/// Whether the ticker may run (see [`set_ticker`]).
static TICKER_OFF: StdAtomicBool = StdAtomicBool::new(false);

/// Lets the ticker run (the default), or stops it for good: readers then read the coarse
/// clock, and a running ticker parks within a tick.
pub(crate) fn set_ticker(on: bool) {
    TICKER_OFF.store(!on, StdOrdering::SeqCst);
    if on {
        RECENT.allow_wake();
    }
}

/// Starts the ticker, or wakes it if it parked.
fn wake_ticker() {
    if TICKER_OFF.load(StdOrdering::SeqCst) {
        return;
    }
    let ticker = TICKER.get_or_init(|| {
        std::thread::Builder::new()
            .name("metrics-exemplar-clock".into())
            .spawn(run_ticker)
            .ok()
            .map(|h| h.thread().clone())
    });
    if let Some(t) = ticker {
        t.unpark();
    }
}

/// The ticker: stores the precise time every tick, and parks after a second unread.
fn run_ticker() {
    let now = || SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
    loop {
        RECENT.resume(now());
        let mut idle = 0;
        while idle < IDLE_TICKS && !TICKER_OFF.load(StdOrdering::SeqCst) {
            std::thread::sleep(TICK);
            idle = if RECENT.tick(now()) { 0 } else { idle + 1 };
        }
        if TICKER_OFF.load(StdOrdering::SeqCst) {
            RECENT.halt();
            // Until switched on again (`set_ticker` clears the wake flag after the switch, so
            // the next reader unparks this thread).
            while TICKER_OFF.load(StdOrdering::SeqCst) {
                std::thread::park();
            }
        } else if RECENT.stop() {
            // Returns when a reader finds the time stopped (or spuriously: the ticker then
            // runs for another idle second).
            std::thread::park();
        }
    }
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

    #[test]
    fn the_recent_clock_is_kept_while_read_and_stops_when_not() {
        let clock = RecentClock::new();
        let woken = std::cell::Cell::new(0);
        let read = || clock.read(|| woken.set(woken.get() + 1), || 7);
        // Not started: the fallback clock, and one wake-up however many readers come.
        assert_eq!((read(), read(), woken.get()), (7, 7, 1));
        clock.resume(100);
        assert_eq!(read(), 100);
        // Read since the last tick: the ticker goes on, and the value moves.
        assert!(clock.tick(101));
        assert_eq!(read(), 101);
        assert!(!clock.stop(), "a read tick is not stopped");
        assert!(clock.tick(102));
        assert!(!clock.tick(103), "nobody read 102");
        assert!(clock.stop(), "nobody read 103");
        // Stopped: the fallback clock again, and a new wake-up.
        assert_eq!((read(), read(), woken.get()), (7, 7, 2));
        clock.resume(200);
        assert_eq!((read(), woken.get()), (200, 2));
        // A reader between the ticker's last tick and its stop keeps it running.
        assert!(clock.tick(201));
        assert_eq!(read(), 201);
        assert!(!clock.stop());
    }

    #[test]
    fn a_halted_clock_reads_the_fallback_without_waking_until_allowed() {
        let clock = RecentClock::new();
        let woken = std::cell::Cell::new(0);
        let read = || clock.read(|| woken.set(woken.get() + 1), || 7);
        clock.resume(100);
        assert_eq!(read(), 100);
        clock.halt();
        assert_eq!((read(), read(), woken.get()), (7, 7, 0));
        clock.allow_wake();
        assert_eq!((read(), read(), woken.get()), (7, 7, 1));
    }

    #[test]
    fn the_recent_time_is_unix_time() {
        let exact = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        // The coarse clock (before the ticker runs) or the ticker's: both within a few ticks;
        // the margin only covers a preemption.
        for _ in 0..3 {
            let recent = recent_millis();
            assert!(recent.abs_diff(exact) < 500, "recent {recent}, exact {exact}");
        }
    }
}

/// The ticker's protocol under `loom`: whatever the interleaving of the ticker stopping and
/// readers reading, a reader that finds the time stopped gets the ticker running again (no
/// lost wake-up leaves it parked while readers fall back), and every read is a stored time or
/// the fallback's.
#[cfg(all(test, loom))]
mod loom_model {
    use loom::sync::Arc;
    use loom::thread;

    use super::RecentClock;
    use crate::sync::Ordering;

    #[test]
    fn loom_a_stopped_ticker_is_always_woken() {
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let clock = Arc::new(RecentClock::new());
            let ticker = {
                let clock = clock.clone();
                thread::spawn(move || {
                    clock.resume(10);
                    clock.tick(20);
                    if clock.stop() {
                        thread::park();
                        clock.resume(30);
                    }
                })
            };
            let t = ticker.thread().clone();
            let read = move |clock: &RecentClock| {
                let t = t.clone();
                let v = clock.read(move || t.unpark(), || 0);
                assert!([0, 10, 20, 30].contains(&v), "read {v}");
            };
            let other = {
                let (clock, read) = (clock.clone(), read.clone());
                thread::spawn(move || {
                    read(&clock);
                    read(&clock);
                })
            };
            read(&clock);
            other.join().unwrap_or_else(|_| panic!("reader panicked"));
            // `waking` as it stands (a read-modify-write sees the latest value): set, a reader
            // found the time stopped and asked for the ticker, which must then run to its end
            // with no help (a lost wake-up is a deadlock of the model). Clear, no reader is
            // waiting for it: the ticker may be parked, as it would be until a later reader
            // found the time stopped, which this unpark stands for.
            if !clock.waking.fetch_or(false, Ordering::Relaxed) {
                ticker.thread().unpark();
            }
            ticker.join().unwrap_or_else(|_| panic!("ticker panicked"));
        });
    }
}
