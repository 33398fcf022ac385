//! Counters: values that only go up.
//!
//! A [`Counter`] is one atomic until two threads collide on it; from then on it spreads its
//! increments over cells in their own cache lines, as Java's `LongAdder` does (see
//! [`stripes`]).

mod stripes;

use std::fmt;

use crate::sync::{AtomicU64, Ordering};

use crate::clock::seconds;
use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::{Encoder, Number, SampleValue};
use crate::labels::EncodeLabels;
use crate::metric::Metric;
use crate::metric::exemplar::ExemplarSlot;
use stripes::{Spread, Stripes, add_f64_watching, add_watching, cell_of, is_spread, rehash};

/// A monotonically increasing integer counter.
///
/// Exposed as `<name>_total` in both text formats (see
/// [`Descriptor::legacy_name`](crate::Descriptor::legacy_name) for names that must stay as
/// written), with a `_created` sample in OpenMetrics.
///
/// Note: a counter is one atomic, its creation stamp and an empty exemplar pointer (24 bytes)
/// as long as its increments do
/// not collide. The first time a thread sees another one incrementing it at the same moment (it
/// checks once every 256 increments or so), the counter takes one cell per CPU (a power of two
/// up to 64, each in its own 128-byte block on x86-64 and aarch64; kept for the life of the
/// counter, then reused by the next counter that needs cells) and from then on each thread adds
/// to a cell of its own, so that threads sharing a counter stop passing its cache line to each
/// other (two threads on one counter then count 5x as fast as on one atomic: `increments
/// shared-ours` against `shared-raw` in `benches`, on a 2-core VM).
/// Reading it ([`get`](Self::get), a scrape) sums the cells: no increment is lost, and the total
/// is exact once the increments it races with are done.
///
/// ```
/// use metrics_core::Counter;
/// let c = Counter::new();
/// c.inc();
/// c.inc_by(41);
/// assert_eq!(c.get(), 42);
///
/// // Shared by threads: every increment is counted.
/// std::thread::scope(|s| {
///     for _ in 0..4 {
///         s.spawn(|| (0..1000).for_each(|_| c.inc()));
///     }
/// });
/// assert_eq!(c.get(), 4042);
/// ```
pub struct Counter {
    /// The count while uncontended (and the part of it added before the cells existed).
    value: AtomicU64,
    /// The creation stamp, or the cells once the counter spread.
    spread: Spread,
    /// Allocated on the first exemplar (see `exemplar.rs`).
    pub(crate) exemplar: ExemplarSlot,
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Counter { value: AtomicU64::new(0), spread: Spread::new(), exemplar: ExemplarSlot::default() }
    }

    /// A counter at zero that starts spread over its cells, for a counter that many threads
    /// will update from the start (a request count, say): it skips the first increments' wait
    /// for a collision, and costs its cells (see the note above) at once.
    ///
    /// ```
    /// use metrics_core::Counter;
    /// let requests = Counter::contended();
    /// std::thread::scope(|s| {
    ///     for _ in 0..2 {
    ///         s.spawn(|| (0..1000).for_each(|_| requests.inc()));
    ///     }
    /// });
    /// assert_eq!(requests.get(), 2000);
    /// ```
    pub fn contended() -> Self {
        let c = Self::new();
        c.spread.spread();
        c
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add::<true>(1);
    }

    /// Adds `n`. The counter wraps at `u64::MAX`, as an atomic does.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.add::<false>(n);
    }

    /// Adds `n`, which is 1 if `ONE`.
    #[inline]
    fn add<const ONE: bool>(&self, n: u64) {
        if !self.spread.spread_now() {
            if add_watching::<ONE>(&self.value, n) {
                self.spread.spread();
            }
        } else {
            self.add_to_cell(n);
        }
    }

    /// Out of line and marked cold, so that the uncontended path falls through at every
    /// increment site (laid out the other way, the dense family's increment took 8 % longer).
    #[cold]
    #[inline(never)]
    fn add_to_cell(&self, n: u64) {
        // Acquire: the cells the word names are seen as the thread that spread the counter
        // left them. A counter that spread stays spread (a reset keeps its cells).
        let word = self.spread.load();
        match is_spread(word).then(|| cell_of(word)).flatten() {
            Some((cell, probe)) => {
                if add_watching::<false>(cell, n) {
                    rehash(probe);
                }
            }
            // Not reached (entries are never removed, and a spread counter stays spread), but
            // the value is the right place.
            None => drop(self.value.fetch_add(n, Ordering::Relaxed)),
        }
    }

    /// The current value: the sum of the counter and its cells.
    #[inline]
    pub fn get(&self) -> u64 {
        let base = self.value.load(Ordering::Relaxed);
        match self.spread.stripes() {
            None => base,
            Some(stripes) => stripes.sum(base),
        }
    }

    /// Whether the counter has spread over cells (after two threads' increments collided).
    #[cfg(test)]
    pub(crate) fn is_striped(&self) -> bool {
        self.spread.stripes().is_some()
    }

    /// The creation time (seconds since the Unix epoch), as OpenMetrics' `_created` shows it.
    pub fn created(&self) -> f64 {
        seconds(self.spread.created())
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("value", &self.get())
            .field("created", &self.created())
            .field("cells", &self.spread.stripes().map(Stripes::len))
            .finish()
    }
}

impl Default for Counter {
    fn default() -> Self {
        Self::new()
    }
}

impl Metric for Counter {
    const KIND: MetricKind = MetricKind::Counter;

    fn from_descriptor(_: &Descriptor) -> Self {
        Self::new()
    }

    fn reset(&self) {
        self.value.store(0, Ordering::Relaxed);
        self.spread.reset();
        self.exemplar.clear();
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        let value = SampleValue::Counter { value: Number::U64(self.get()), created: self.created() };
        self.exemplar.encode(desc, labels, value, e);
    }

    fn fingerprint(&self) -> u64 {
        self.get()
    }

    fn order(&self) -> u64 {
        self.spread.created()
    }
}

/// A monotonically increasing float counter (for seconds, ratios, ...).
///
/// Like [`Counter`], it is its value, its creation stamp and an empty exemplar pointer
/// (24 bytes) until it spreads or gets an exemplar
/// ([`inc_by_with_exemplar`](Self::inc_by_with_exemplar)).
///
/// Note: a negative or NaN increment would make the counter go backwards or lose its value, so
/// [`inc_by`](Self::inc_by) rejects it: the counter is left unchanged and `false` is returned.
///
/// Like [`Counter`], it spreads over cells the first time two threads' increments collide
/// (here, when its compare-and-swap fails), and [`get`](Self::get) sums them. Float addition
/// is not associative: the sum of the cells may differ from the sum of the same increments
/// made in one sequence in its last bits, as it would with the increments in another order.
///
/// ```
/// use metrics_core::FloatCounter;
/// let c = FloatCounter::new();
/// assert!(c.inc_by(0.25));
/// assert!(!c.inc_by(-1.0));
/// assert!(!c.inc_by(f64::NAN));
/// assert_eq!(c.get(), 0.25);
/// ```
pub struct FloatCounter {
    bits: AtomicU64,
    /// The creation stamp, or the cells once the counter spread.
    spread: Spread,
    /// Allocated on the first exemplar (see `exemplar.rs`).
    pub(crate) exemplar: ExemplarSlot,
}

impl FloatCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        FloatCounter { bits: AtomicU64::new(0f64.to_bits()), spread: Spread::new(), exemplar: ExemplarSlot::default() }
    }

    /// Adds one.
    pub fn inc(&self) {
        self.inc_by(1.0);
    }

    /// Adds `v` if it is not negative and not NaN; returns whether it was added.
    pub fn inc_by(&self, v: f64) -> bool {
        if v.is_nan() || v < 0.0 {
            return false;
        }
        let word = self.spread.load();
        match is_spread(word).then(|| cell_of(word)).flatten() {
            Some((cell, probe)) => {
                if add_f64_watching(cell, v) {
                    rehash(probe);
                }
            }
            None => {
                if add_f64_watching(&self.bits, v) {
                    self.spread.spread();
                }
            }
        }
        true
    }

    /// The current value: the sum of the counter and its cells.
    pub fn get(&self) -> f64 {
        let base = f64::from_bits(self.bits.load(Ordering::Relaxed));
        match self.spread.stripes() {
            None => base,
            Some(stripes) => stripes.sum_f64(base),
        }
    }
}

impl fmt::Debug for FloatCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FloatCounter")
            .field("value", &self.get())
            .field("created", &seconds(self.spread.created()))
            .field("cells", &self.spread.stripes().map(Stripes::len))
            .finish()
    }
}

impl Default for FloatCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl Metric for FloatCounter {
    const KIND: MetricKind = MetricKind::Counter;

    fn from_descriptor(_: &Descriptor) -> Self {
        Self::new()
    }

    fn reset(&self) {
        self.bits.store(0f64.to_bits(), Ordering::Relaxed);
        self.spread.reset();
        self.exemplar.clear();
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        let created = seconds(self.spread.created());
        let value = SampleValue::Counter { value: Number::F64(self.get()), created };
        self.exemplar.encode(desc, labels, value, e);
    }

    fn fingerprint(&self) -> u64 {
        self.get().to_bits()
    }

    fn order(&self) -> u64 {
        self.spread.created()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncontended_counter_is_three_words() {
        // Value, creation stamp or cells, and the exemplar slot (one pointer, null until the
        // first exemplar).
        assert_eq!(std::mem::size_of::<Counter>(), 24);
        assert_eq!(std::mem::size_of::<FloatCounter>(), 24);
        let c = Counter::new();
        c.inc_by(5);
        assert!(!c.is_striped(), "one thread never collides with itself");
        assert_eq!(c.get(), 5);
    }

    #[test]
    fn striped_counts_are_exact_across_threads() {
        let c = Counter::new();
        c.inc_by(7);
        let s = Counter::contended();
        s.inc_by(7);
        let created = s.created();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    for i in 0..10_000 {
                        c.inc();
                        s.inc_by(i % 3);
                    }
                });
            }
        });
        assert_eq!(c.get(), 80_007);
        assert_eq!(s.get(), 7 + 8 * (0..10_000u64).map(|i| i % 3).sum::<u64>());
        assert_eq!(s.created(), created, "the creation time survives the spreading");
    }

    #[test]
    fn a_float_counter_sums_its_cells() {
        let c = FloatCounter::new();
        c.spread.spread();
        assert!(c.inc_by(0.25));
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| (0..1000).for_each(|_| c.inc()));
            }
        });
        // Every partial sum is a multiple of 0.25 well under 2^53: exact whatever the order.
        assert_eq!(c.get(), 4000.25);
        assert!(format!("{c:?}").contains("cells: Some("));
        c.reset();
        assert_eq!(c.get(), 0.0);
    }

    #[test]
    fn reset_clears_the_cells_and_restamps() {
        let c = Counter::contended();
        let stamp = c.order();
        c.inc_by(3);
        c.inc_by(u64::MAX);
        assert_eq!(c.get(), 2, "wraps like an atomic");
        c.reset();
        assert_eq!(c.get(), 0);
        assert!(c.is_striped());
        assert!(c.order() > stamp, "a new creation stamp");
        let cells = c.spread.stripes().map_or(0, Stripes::len);
        assert!(format!("{c:?}").starts_with("Counter { value: 0,"));
        assert!(format!("{c:?}").ends_with(&format!("cells: Some({cells}) }}")));
    }
}
