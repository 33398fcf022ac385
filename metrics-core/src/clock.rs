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
