//! Counters: values that only go up.
//!
//! A [`Counter`] is one atomic until two threads collide on it; from then on it spreads its
//! increments over cells in their own cache lines, as Java's `LongAdder` does (see
//! [`Stripes`]).

use std::cell::Cell;
use std::fmt;

use crate::sync::{AtomicU64, OnceBox, Ordering};

use crate::clock::{seconds, unique_nanos};
use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::{Encoder, Number, SampleValue};
use crate::labels::EncodeLabels;
use crate::metric::Metric;

/// A monotonically increasing integer counter.
///
/// Exposed as `<name>_total` in both text formats (see
/// [`Descriptor::legacy_name`](crate::Descriptor::legacy_name) for names that must stay as
/// written), with a `_created` sample in OpenMetrics.
///
/// Note: a counter is one atomic (24 bytes in all) as long as its increments do not collide.
/// The first time a thread sees another one incrementing it at the same moment (it checks once
/// every 256 increments or so), the counter allocates one cell per CPU (a power of two up to 64, each
/// in its own 128-byte block on x86-64 and aarch64) and from then on each thread adds to a cell
/// of its own, so that threads sharing a counter stop passing its cache line to each other.
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
    created: AtomicU64,
    /// Set on the first collision of two increments, never unset.
    stripes: OnceBox<Stripes>,
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Counter { value: AtomicU64::new(0), created: AtomicU64::new(unique_nanos()), stripes: OnceBox::new() }
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
        c.spread();
        c
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `n`. The counter wraps at `u64::MAX`, as an atomic does.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        match self.stripes.get() {
            None => {
                if add_watching(&self.value, n) {
                    self.spread();
                }
            }
            Some(stripes) => stripes.add(n),
        }
    }

    /// Gives the counter its cells, for the increments to come.
    #[cold]
    #[inline(never)]
    fn spread(&self) -> &Stripes {
        self.stripes.get_or_init(|| Box::new(Stripes::new()))
    }

    /// The current value: the sum of the counter and its cells.
    #[inline]
    pub fn get(&self) -> u64 {
        let base = self.value.load(Ordering::Relaxed);
        match self.stripes.get() {
            None => base,
            Some(stripes) => stripes.sum(base),
        }
    }

    /// Whether the counter has spread over cells (after two threads' increments collided).
    #[cfg(test)]
    pub(crate) fn is_striped(&self) -> bool {
        self.stripes.get().is_some()
    }

    /// The creation time (seconds since the Unix epoch), as OpenMetrics' `_created` shows it.
    pub fn created(&self) -> f64 {
        seconds(self.created.load(Ordering::Relaxed))
    }
}

impl fmt::Debug for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counter")
            .field("value", &self.get())
            .field("created", &self.created())
            .field("cells", &self.stripes.get().map(|s| s.cells.len()))
            .finish()
    }
}

/// One cell of a contended counter, alone in its block of cache lines (128 bytes where the
/// hardware prefetches lines in pairs, as for the series of a dense family).
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), repr(align(64)))]
struct Padded(AtomicU64);

/// The cells a contended counter adds to, one per CPU (a power of two, from 2 to 64).
///
/// Each thread adds to the cell its probe picks. Probes are handed out in turn to new threads,
/// so that threads fewer than the cells start apart; when a thread sees another one adding to
/// its cell at the same moment, it moves its probe to another cell for the next time, and
/// threads spread out.
struct Stripes {
    cells: Box<[Padded]>,
}

impl Stripes {
    fn new() -> Self {
        #[cfg(not(loom))]
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        // Two cells keep the model small and still let two threads meet or stay apart.
        #[cfg(loom)]
        let cpus = 2usize;
        let n = cpus.next_power_of_two().clamp(2, 64);
        Stripes { cells: (0..n).map(|_| Padded(AtomicU64::new(0))).collect() }
    }

    /// Out of line and marked cold, so that the uncontended path falls through at every
    /// increment site (laid out the other way, the dense family's increment took 8 % longer).
    #[cold]
    #[inline(never)]
    fn add(&self, n: u64) {
        let probe = probe();
        if add_watching(&self.cells[probe as usize & (self.cells.len() - 1)].0, n) {
            rehash(probe);
        }
    }

    /// The float counterpart of [`add`](Self::add): a compare-and-swap loop on the cell, whose
    /// failures tell that another thread was there.
    #[cold]
    #[inline(never)]
    fn add_f64(&self, v: f64) {
        let probe = probe();
        if add_f64_watching(&self.cells[probe as usize & (self.cells.len() - 1)].0, v) {
            rehash(probe);
        }
    }

    fn sum_f64(&self, base: f64) -> f64 {
        self.cells.iter().fold(base, |sum, c| sum + f64::from_bits(c.0.load(Ordering::Relaxed)))
    }

    fn sum(&self, base: u64) -> u64 {
        self.cells.iter().fold(base, |sum, c| sum.wrapping_add(c.0.load(Ordering::Relaxed)))
    }

    fn reset(&self) {
        self.cells.iter().for_each(|c| c.0.store(0, Ordering::Relaxed));
    }
}

/// Adds `n` to `cell`; returns whether another thread was seen adding to it at the same time.
///
/// Once every 256 or so (whenever the add carries past a multiple of 256), the cell is read
/// back: another value than the one just left there means another thread wrote the cell in
/// those few nanoseconds, which under contention happens within a few such samples and
/// otherwise almost never. Between samples the add is a bare fetch-and-add: no load before it
/// and no store after it, either of which sits on the path of the locked instruction (a
/// compare-and-swap to detect collisions made one thread's increment 18 % slower, and a
/// per-thread memory of the value left in each cell 50 % slower on the dense family loop;
/// `increments` in `benches`, with those earlier versions).
#[inline]
fn add_watching(cell: &AtomicU64, n: u64) -> bool {
    let prev = cell.fetch_add(n, Ordering::Relaxed);
    let left = prev.wrapping_add(n);
    let sample = if cfg!(loom) {
        // Every add samples under loom, whose models make a few increments.
        true
    } else if n == 1 {
        // The same test for an add of one, in two instructions where the general one takes
        // four: on the dense family loop, 1.10x a raw atomic's time against 1.19x.
        prev as u8 == u8::MAX
    } else {
        (left ^ prev) >> 8 != 0
    };
    sample && cell.load(Ordering::Relaxed) != left
}

#[cfg(not(loom))]
std::thread_local! {
    /// This thread's probe into the cells of contended counters; 0 until first used.
    static PROBE: Cell<u32> = const { Cell::new(0) };
}
#[cfg(loom)]
loom::thread_local! {
    static PROBE: Cell<u32> = Cell::new(0);
}

/// An odd step (2^32 / the golden ratio): adding it to a probe moves the probe to another cell
/// whatever the (power-of-two) number of cells, and successive multiples spread evenly.
const STEP: u32 = 0x9E37_79B9;

/// This thread's probe, handed out on first use: consecutive threads get consecutive multiples
/// of [`STEP`], so they start on different cells.
#[inline]
fn probe() -> u32 {
    PROBE.with(|p| match p.get() {
        0 => {
            // Only a hint for spreading threads: no ordering needed, and not modelled by loom.
            static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
            let next = nonzero(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed).wrapping_mul(STEP));
            p.set(next);
            next
        }
        probe => probe,
    })
}

/// Moves this thread's probe to another cell, for its next increment of a contended counter.
#[cold]
fn rehash(probe: u32) {
    PROBE.with(|p| p.set(nonzero(probe.wrapping_add(STEP))));
}

/// 0 marks a thread without a probe yet.
fn nonzero(probe: u32) -> u32 {
    if probe == 0 { STEP } else { probe }
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
        if let Some(stripes) = self.stripes.get() {
            stripes.reset();
        }
        self.created.store(unique_nanos(), Ordering::Relaxed);
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        e.sample(desc, labels, SampleValue::Counter { value: Number::U64(self.get()), created: self.created() });
    }

    fn fingerprint(&self) -> u64 {
        self.get()
    }

    fn order(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}

/// A monotonically increasing float counter (for seconds, ratios, ...).
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
    created: AtomicU64,
    /// Set on the first collision of two increments, never unset.
    stripes: OnceBox<Stripes>,
}

impl FloatCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        FloatCounter {
            bits: AtomicU64::new(0f64.to_bits()),
            created: AtomicU64::new(unique_nanos()),
            stripes: OnceBox::new(),
        }
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
        match self.stripes.get() {
            None => {
                if add_f64_watching(&self.bits, v) {
                    self.spread();
                }
            }
            Some(stripes) => stripes.add_f64(v),
        }
        true
    }

    #[cold]
    #[inline(never)]
    fn spread(&self) {
        self.stripes.get_or_init(|| Box::new(Stripes::new()));
    }

    /// The current value: the sum of the counter and its cells.
    pub fn get(&self) -> f64 {
        let base = f64::from_bits(self.bits.load(Ordering::Relaxed));
        match self.stripes.get() {
            None => base,
            Some(stripes) => stripes.sum_f64(base),
        }
    }
}

impl fmt::Debug for FloatCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FloatCounter")
            .field("value", &self.get())
            .field("created", &seconds(self.created.load(Ordering::Relaxed)))
            .field("cells", &self.stripes.get().map(|s| s.cells.len()))
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
        if let Some(stripes) = self.stripes.get() {
            stripes.reset();
        }
        self.created.store(unique_nanos(), Ordering::Relaxed);
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        let created = seconds(self.created.load(Ordering::Relaxed));
        e.sample(desc, labels, SampleValue::Counter { value: Number::F64(self.get()), created });
    }

    fn fingerprint(&self) -> u64 {
        self.get().to_bits()
    }

    fn order(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}

/// Adds `v` to the `f64` stored as bits in `cell`, as [`add_f64`] does; returns whether a
/// compare-and-swap failed, that is whether another thread wrote the cell meanwhile.
#[inline]
fn add_f64_watching(cell: &AtomicU64, v: f64) -> bool {
    let mut cur = cell.load(Ordering::Relaxed);
    let mut collided = false;
    loop {
        let new = (f64::from_bits(cur) + v).to_bits();
        // A strong compare-and-swap: a weak one may fail spuriously, which would not tell a
        // collision.
        match cell.compare_exchange(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return collided,
            Err(actual) => {
                cur = actual;
                collided = true;
            }
        }
    }
}

/// Adds `v` to the `f64` stored as bits in `cell` (a compare-and-swap loop: no lost update).
#[inline]
pub(crate) fn add_f64(cell: &AtomicU64, v: f64) {
    let mut cur = cell.load(Ordering::Relaxed);
    loop {
        let new = (f64::from_bits(cur) + v).to_bits();
        match cell.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => cur = actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncontended_counter_is_three_words() {
        assert_eq!(std::mem::size_of::<Counter>(), 24);
        let c = Counter::new();
        c.inc_by(5);
        assert!(!c.is_striped(), "one thread never collides with itself");
        assert_eq!(c.get(), 5);
    }

    #[test]
    fn a_thread_alone_samples_and_sees_no_collision() {
        let cell = AtomicU64::new(0);
        // 255 adds without a sample, then one carrying past 256: read back, unchanged.
        assert!((0..256).all(|_| !add_watching(&cell, 1)));
        assert!(!add_watching(&cell, 300), "a large add samples, and sees nothing");
        assert_eq!(cell.load(Ordering::Relaxed), 556);
        // Another thread's add between the add and its sample is modelled by loom
        // (`loom_counter_spreads_without_losing_increments` checks that both paths are taken).
    }

    #[test]
    fn striped_counts_are_exact_across_threads() {
        let c = Counter::new();
        c.inc_by(7);
        let s = Counter::contended();
        s.inc_by(7);
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
    }

    #[test]
    fn a_rehash_moves_the_probe_to_another_cell() {
        for _ in 0..1000 {
            let before = probe();
            assert_ne!(before, 0);
            rehash(before);
            let after = probe();
            for mask in [1, 3, 7, 63] {
                assert_ne!(after & mask, before & mask, "{before} and {after} share a cell of {}", mask + 1);
            }
        }
    }

    #[test]
    fn a_float_counter_spreads_on_a_failed_swap_and_sums_its_cells() {
        let cell = AtomicU64::new(0f64.to_bits());
        assert!(!add_f64_watching(&cell, 0.5), "alone, the first swap succeeds");
        let c = FloatCounter::new();
        c.spread();
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
        assert_eq!(std::mem::size_of::<FloatCounter>(), 24);
    }

    #[test]
    fn reset_clears_the_cells() {
        let c = Counter::contended();
        c.inc_by(3);
        c.inc_by(u64::MAX);
        assert_eq!(c.get(), 2, "wraps like an atomic");
        c.reset();
        assert_eq!(c.get(), 0);
        assert!(c.is_striped());
        assert!(format!("{c:?}").starts_with("Counter { value: 0,"));
        assert!(
            format!("{c:?}").ends_with(&format!("cells: Some({}) }}", c.stripes.get().map_or(0, |s| s.cells.len())))
        );
    }
}
