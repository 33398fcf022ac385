//! The cells a contended counter spreads over, and the one word that tells a counter's state.
//!
//! A counter is its value and a [`Spread`] word: the creation stamp while the counter is one
//! atomic, or, once two threads' increments collided on it, the index of its [`Stripes`] in a
//! process-wide arena (which then hold the stamp). Striping so costs an uncontended counter
//! nothing beyond an atomic and its stamp, 16 bytes, whatever happens to the counters that
//! spread (a `Counter` is 24 bytes with the word of its exemplar slot).

use std::cell::Cell;
use std::sync::PoisonError;

use crate::clock::unique_nanos;
use crate::sync::{AtomicU64, Mutex, Ordering};

/// Marks a [`Spread`] word holding an index into [`ARENA`] (creation stamps, in nanoseconds
/// since the Unix epoch, stay below 2^63 until the year 2262).
const SPREAD: u64 = 1 << 63;

/// The creation stamp of a counter, or the index of its cells once it spread.
pub(super) struct Spread(AtomicU64);

impl Spread {
    pub(super) fn new() -> Self {
        Spread(AtomicU64::new(unique_nanos()))
    }

    /// The word, to test with [`is_spread`] and give to [`Stripes::of`].
    #[inline]
    pub(super) fn load(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Whether the counter spread: the one load on the increment path. Relaxed, as it only
    /// picks the path: the spread path loads the word again with [`load`](Self::load) before
    /// it uses the cells. An acquire load there would keep the compiler from holding values
    /// in registers across it: values the caller's loop keeps are loaded again after it, and
    /// those loads wait for the previous locked add (in a stand-alone loop of the shape of
    /// `family_enum/ours` with the same checks, 3.50 ns per increment against 3.03).
    #[inline]
    pub(super) fn spread_now(&self) -> bool {
        is_spread(self.0.load(Ordering::Relaxed))
    }

    /// The counter's cells, if it spread.
    #[inline]
    pub(super) fn stripes(&self) -> Option<&'static Stripes> {
        let word = self.load();
        if is_spread(word) { Stripes::of(word) } else { None }
    }

    /// The creation stamp (nanoseconds since the Unix epoch, unique in the process).
    pub(super) fn created(&self) -> u64 {
        let word = self.load();
        match is_spread(word).then(|| Stripes::of(word)).flatten() {
            Some(stripes) => stripes.created.load(Ordering::Relaxed),
            None => word,
        }
    }

    /// Gives the counter its cells (if another thread did not first), carrying its creation
    /// stamp over to them.
    #[cold]
    #[inline(never)]
    pub(super) fn spread(&self) {
        let mut word = self.load();
        if is_spread(word) {
            return;
        }
        let (index, stripes) = Stripes::take();
        loop {
            stripes.created.store(word, Ordering::Relaxed);
            // Release: whoever reads the index sees the stamp just stored.
            match self.0.compare_exchange(word, SPREAD | index, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(now) if is_spread(now) => return Stripes::give_back(index, stripes),
                // A reset gave the counter a new stamp meanwhile.
                Err(now) => word = now,
            }
        }
    }

    /// Zeroes the cells, if any (all-zero bits are 0 and 0.0 alike), and gives the counter a
    /// new creation stamp.
    pub(super) fn reset(&self) {
        let now = unique_nanos();
        let mut word = self.load();
        loop {
            if let Some(stripes) = is_spread(word).then(|| Stripes::of(word)).flatten() {
                stripes.cells.iter().for_each(|c| c.0.store(0, Ordering::Relaxed));
                stripes.created.store(now, Ordering::Relaxed);
                return;
            }
            match self.0.compare_exchange(word, now, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                // The counter spread meanwhile: reset its cells.
                Err(actual) => word = actual,
            }
        }
    }
}

impl Drop for Spread {
    fn drop(&mut self) {
        let word = self.load();
        if let Some(stripes) = is_spread(word).then(|| Stripes::of(word)).flatten() {
            Stripes::give_back(word & !SPREAD, stripes);
        }
    }
}

/// Whether a [`Spread`] word holds an index of cells.
#[inline]
pub(super) fn is_spread(word: u64) -> bool {
    word & SPREAD != 0
}

/// One cell of a contended counter, alone in its block of cache lines (128 bytes where the
/// hardware prefetches lines in pairs, as for the series of a dense family).
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), repr(align(128)))]
#[cfg_attr(not(any(target_arch = "x86_64", target_arch = "aarch64")), repr(align(64)))]
pub(super) struct Padded(pub(super) AtomicU64);

/// The cells a contended counter adds to, one per CPU (a power of two, from 2 to 64), and its
/// creation stamp.
///
/// Each thread adds to the cell its probe picks. Probes are handed out in turn to new threads,
/// so that threads fewer than the cells start apart; when a thread sees another one adding to
/// its cell at the same moment, it moves its probe to another cell for the next time, and
/// threads spread out.
pub(super) struct Stripes {
    created: AtomicU64,
    pub(super) cells: Box<[Padded]>,
}

// Every counter that spread has an entry, found by index with plain loads (an append-only
// vector of buckets that never move); the entries of dropped counters are reused, zeroed.
#[cfg(not(loom))]
static ARENA: boxcar::Vec<Stripes> = boxcar::Vec::new();
#[cfg(not(loom))]
static FREE: Mutex<Vec<u64>> = Mutex::new(Vec::new());
#[cfg(loom)]
loom::lazy_static! {
    static ref ARENA: boxcar::Vec<Stripes> = boxcar::Vec::new();
    static ref FREE: Mutex<Vec<u64>> = Mutex::new(Vec::new());
}

impl Stripes {
    fn new() -> Self {
        #[cfg(not(loom))]
        let cpus = std::thread::available_parallelism().map_or(2, usize::from);
        // Two cells keep the model small and still let two threads meet or stay apart.
        #[cfg(loom)]
        let cpus = 2usize;
        let n = cpus.next_power_of_two().clamp(2, 64);
        Stripes { created: AtomicU64::new(0), cells: (0..n).map(|_| Padded(AtomicU64::new(0))).collect() }
    }

    /// The cells a spread word points to.
    #[inline]
    pub(super) fn of(word: u64) -> Option<&'static Stripes> {
        ARENA.get((word & !SPREAD) as usize)
    }

    /// An entry of zeroed cells: a free one, or a new one.
    fn take() -> (u64, &'static Stripes) {
        let free = FREE.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let index = free.unwrap_or_else(|| ARENA.push(Stripes::new()) as u64);
        match ARENA.get(index as usize) {
            Some(stripes) => (index, stripes),
            None => unreachable!("arena entries are never removed"),
        }
    }

    /// Returns an entry no counter uses any more, zeroed.
    fn give_back(index: u64, stripes: &Stripes) {
        stripes.cells.iter().for_each(|c| c.0.store(0, Ordering::Relaxed));
        FREE.lock().unwrap_or_else(PoisonError::into_inner).push(index);
    }

    pub(super) fn sum(&self, base: u64) -> u64 {
        self.cells.iter().fold(base, |sum, c| sum.wrapping_add(c.0.load(Ordering::Relaxed)))
    }

    pub(super) fn sum_f64(&self, base: f64) -> f64 {
        self.cells.iter().fold(base, |sum, c| sum + f64::from_bits(c.0.load(Ordering::Relaxed)))
    }

    /// How many cells (for `Debug`).
    pub(super) fn len(&self) -> usize {
        self.cells.len()
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
///
/// `ONE` tells that `n` is 1 where the caller knows it at compile time: the same test then
/// takes two instructions where the general one takes four (on the dense family loop, 1.10x a
/// raw atomic's time against 1.19x).
#[inline]
pub(super) fn add_watching<const ONE: bool>(cell: &AtomicU64, n: u64) -> bool {
    let prev = cell.fetch_add(n, Ordering::Relaxed);
    let left = prev.wrapping_add(n);
    let sample = if cfg!(loom) {
        // Every add samples under loom, whose models make a few increments.
        true
    } else if ONE {
        prev as u8 == u8::MAX
    } else {
        (left ^ prev) >> 8 != 0
    };
    sample && cell.load(Ordering::Relaxed) != left
}

/// Adds `v` to the `f64` stored as bits in `cell` (a compare-and-swap loop, as
/// [`add_f64`](crate::metric::add_f64)); returns whether a swap failed, that is whether another thread
/// wrote the cell meanwhile.
#[inline]
pub(super) fn add_f64_watching(cell: &AtomicU64, v: f64) -> bool {
    let mut cur = cell.load(Ordering::Relaxed);
    let mut collided = false;
    loop {
        let new = (f64::from_bits(cur) + v).to_bits();
        // A strong compare-and-swap: a weak one may fail spuriously, which tells no collision.
        match cell.compare_exchange(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return collided,
            Err(actual) => {
                cur = actual;
                collided = true;
            }
        }
    }
}

/// What a thread keeps to add to the cells of contended counters.
struct Local {
    /// Its probe into the cells; 0 until first used.
    probe: Cell<u32>,
    /// The spread word it added through last, and the cells it points to: a thread adding to
    /// one contended counter again and again finds its cells without the arena's index
    /// arithmetic (65 instructions an increment without this, 40 with it: `increments
    /// counter-spread` under callgrind).
    word: Cell<u64>,
    stripes: Cell<Option<&'static Stripes>>,
}

#[cfg(not(loom))]
std::thread_local! {
    static LOCAL: Local = const { Local { probe: Cell::new(0), word: Cell::new(0), stripes: Cell::new(None) } };
}
#[cfg(loom)]
loom::thread_local! {
    static LOCAL: Local = Local { probe: Cell::new(0), word: Cell::new(0), stripes: Cell::new(None) };
}

/// The cell this thread adds to among the cells of the spread word `word`, and its probe.
#[inline]
pub(super) fn cell_of(word: u64) -> Option<(&'static AtomicU64, u32)> {
    let (cached, stripes, probe) = LOCAL.with(|l| (l.word.get(), l.stripes.get(), l.probe.get()));
    let (stripes, probe) = match stripes {
        Some(stripes) if cached == word && probe != 0 => (stripes, probe),
        _ => refresh(word)?,
    };
    Some((&stripes.cells[probe as usize & (stripes.cells.len() - 1)].0, probe))
}

/// Looks the cells of `word` up in the arena and keeps them, with a probe for a new thread.
#[cold]
#[inline(never)]
fn refresh(word: u64) -> Option<(&'static Stripes, u32)> {
    LOCAL.with(|l| {
        // An index is reused only by the entry it names: what is kept stays right.
        let stripes = Stripes::of(word);
        l.word.set(word);
        l.stripes.set(stripes);
        if l.probe.get() == 0 {
            l.probe.set(first_probe());
        }
        Some((stripes?, l.probe.get()))
    })
}

/// An odd step (2^32 / the golden ratio): adding it to a probe moves the probe to another cell
/// whatever the (power-of-two) number of cells, and successive multiples spread evenly.
const STEP: u32 = 0x9E37_79B9;

/// A new thread's probe: consecutive threads get consecutive multiples of [`STEP`], so they
/// start on different cells.
fn first_probe() -> u32 {
    // Only a hint for spreading threads: no ordering needed, and not modelled by loom.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    nonzero(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed).wrapping_mul(STEP))
}

/// Moves this thread's probe to another cell, for its next increment of a contended counter.
#[cold]
pub(super) fn rehash(probe: u32) {
    LOCAL.with(|l| l.probe.set(nonzero(probe.wrapping_add(STEP))));
}

/// 0 marks a thread without a probe yet.
fn nonzero(probe: u32) -> u32 {
    if probe == 0 { STEP } else { probe }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_alone_samples_and_sees_no_collision() {
        let cell = AtomicU64::new(0);
        // 255 adds without a sample, then one carrying past 256: read back, unchanged.
        assert!((0..255).all(|_| !add_watching::<true>(&cell, 1)));
        assert!(!add_watching::<false>(&cell, 1), "the 256th samples, and sees nothing");
        assert!(!add_watching::<false>(&cell, 300), "a large add samples, and sees nothing");
        assert_eq!(cell.load(Ordering::Relaxed), 556);
        let cell = AtomicU64::new(0f64.to_bits());
        assert!(!add_f64_watching(&cell, 0.5), "alone, the first swap succeeds");
        // Another thread's add between the add and its sample is modelled by loom
        // (`loom_counter_spreads_without_losing_increments` checks that both paths are taken).
    }

    #[test]
    fn a_rehash_moves_the_probe_to_another_cell() {
        let s = Spread::new();
        s.spread();
        let probe = || cell_of(s.load()).map_or(0, |(_, p)| p);
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
    fn entries_of_dropped_counters_are_reused_zeroed() {
        let a = Spread::new();
        let stamp = a.created();
        a.spread();
        assert_eq!(a.created(), stamp, "the stamp moves to the cells");
        let cells = a.stripes().map(|s| s as *const Stripes);
        if let Some(s) = a.stripes() {
            s.cells[0].0.store(7, Ordering::Relaxed);
        }
        drop(a);
        let b = Spread::new();
        b.spread();
        // Entries are shared by the whole process (other tests spread counters too): when this
        // one got the entry back, it is zeroed.
        if b.stripes().map(|s| s as *const Stripes) == cells {
            assert_eq!(b.stripes().map(|s| s.sum(0)), Some(0));
        }
        b.reset();
        assert!(b.created() > stamp);
        assert_eq!(b.stripes().map(|s| s.sum(0)), Some(0));
    }
}
