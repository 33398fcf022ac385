//! Native (exponential) histogram buckets: settings, bucket indexes and lock-free storage.
//!
//! A native histogram counts each observation in a bucket of exponentially growing width whose
//! index follows from the value alone: with schema `s` the base is `2^(2^-s)` and positive
//! bucket `i` holds the values in `(base^(i-1), base^i]`; negative values mirror it, and values
//! whose magnitude is at most the zero threshold go to the zero bucket. Only buckets that
//! received an observation exist (sparse), so the histogram needs no bounds chosen in advance.
//!
//! # Storage
//!
//! Observations go, without a lock, to one of two shards (the "hot" one), as in client_golang:
//! a scrape or a change of resolution takes the histogram's mutex, makes the other shard hot,
//! waits until the observations already started on the old one have finished, reads it (a
//! quiescent, consistent state: count, classic buckets and native buckets agree), then adds it
//! into the new hot shard and clears it. Each shard keeps its native buckets in a fixed table of
//! atomic `(key, count)` slots, found by linear probing from the bucket index: neighbouring
//! buckets fall in neighbouring slots, so there are no collisions before the table holds as many
//! buckets as slots. A table is sized for twice `max_buckets`; should it fill up (bucket indexes
//! spread over more slots than that before the resolution is lowered), the overflowing bucket
//! is counted in a small list behind a per-shard mutex, which only that rare case takes.
//! Memory: two tables of `2 * max_buckets` slots (a power of two, at least 64) of 16 bytes,
//! 16 KiB per series at the default 160 buckets: keep native buckets to families of modest
//! cardinality, or lower `max_buckets`.
//!
//! # Bounded size
//!
//! When an observation creates a bucket beyond `max_buckets`, the resolution is halved: the
//! schema drops by one and each pair of neighbouring buckets `(2j - 1, 2j)` merges into bucket
//! `j`, as client_golang does, until the histogram fits or the schema reaches -4 (where the
//! whole float range needs only a few hundred buckets). The zero threshold never changes.

use std::fmt;
use std::sync::PoisonError;

use serde::Serialize;

use crate::metric::add_f64;
use crate::sync::{AtomicU64, Mutex, MutexGuard, Ordering, yield_now};

/// The smallest schema (base 2^16).
pub(crate) const MIN_SCHEMA: i8 = -4;
/// The largest schema (base 2^(1/256)).
pub(crate) const MAX_SCHEMA: i8 = 8;

/// The settings of a histogram's native buckets.
///
/// [`NativeBuckets::DEFAULT`] is client_golang's usual choice: a bucket factor of 1.1 (schema 3:
/// each bucket is about 9% wider than the one before), at most 160 buckets, zero threshold
/// 2^-128. The derive's `#[metric(native)]` uses it, and
/// `#[metric(native(schema = N, max_buckets = N, zero_threshold = F))]` changes any of the
/// three.
///
/// ```
/// use metrics_core::{Histogram, NativeBuckets};
///
/// let settings = NativeBuckets::DEFAULT.with_schema(0).and_then(|n| n.with_max_buckets(20)).unwrap();
/// let h = Histogram::native(settings);
/// h.observe(3.0);
/// h.observe(-0.25);
/// h.observe(0.0);
/// assert_eq!(h.count(), 3);
/// assert!(NativeBuckets::DEFAULT.with_schema(9).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NativeBuckets {
    schema: i8,
    max_buckets: u32,
    zero_threshold: f64,
}

/// Why native bucket settings were refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NativeError {
    /// The schema is outside `-4..=8`.
    Schema(i32),
    /// `max_buckets` is zero.
    MaxBuckets,
    /// The zero threshold is negative, NaN or infinite.
    ZeroThreshold(f64),
}

impl fmt::Display for NativeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NativeError::Schema(s) => write!(f, "native histogram schema {s} is outside -4..=8"),
            NativeError::MaxBuckets => f.write_str("a native histogram needs `max_buckets` of at least 1"),
            NativeError::ZeroThreshold(z) => {
                write!(f, "native histogram zero threshold {z} is not a finite number of at least 0")
            }
        }
    }
}

impl std::error::Error for NativeError {}

impl NativeBuckets {
    /// Bucket factor 1.1 (schema 3), at most 160 buckets, zero threshold 2^-128.
    pub const DEFAULT: NativeBuckets =
        NativeBuckets { schema: 3, max_buckets: 160, zero_threshold: 2.938735877055719e-39 };

    /// Settings from their three values, checked: the schema in `-4..=8`, `max_buckets` at
    /// least 1, the zero threshold finite and not negative.
    pub const fn new(schema: i32, max_buckets: u32, zero_threshold: f64) -> Result<Self, NativeError> {
        if schema < MIN_SCHEMA as i32 || schema > MAX_SCHEMA as i32 {
            return Err(NativeError::Schema(schema));
        }
        if max_buckets == 0 {
            return Err(NativeError::MaxBuckets);
        }
        if !zero_threshold.is_finite() || zero_threshold < 0.0 {
            return Err(NativeError::ZeroThreshold(zero_threshold));
        }
        Ok(NativeBuckets { schema: schema as i8, max_buckets, zero_threshold })
    }

    /// These settings with another schema (`-4..=8`).
    pub const fn with_schema(self, schema: i32) -> Result<Self, NativeError> {
        Self::new(schema, self.max_buckets, self.zero_threshold)
    }

    /// These settings with another bucket limit (at least 1).
    pub const fn with_max_buckets(self, max_buckets: u32) -> Result<Self, NativeError> {
        Self::new(self.schema as i32, max_buckets, self.zero_threshold)
    }

    /// These settings with another zero threshold (finite, at least 0).
    pub const fn with_zero_threshold(self, zero_threshold: f64) -> Result<Self, NativeError> {
        Self::new(self.schema as i32, self.max_buckets, zero_threshold)
    }

    /// The initial schema.
    pub const fn schema(&self) -> i8 {
        self.schema
    }

    /// The most buckets (positive and negative together, the zero bucket aside) kept before the
    /// resolution is halved.
    pub const fn max_buckets(&self) -> u32 {
        self.max_buckets
    }

    /// Observations of magnitude at most this go to the zero bucket.
    pub const fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }
}

impl Default for NativeBuckets {
    /// [`NativeBuckets::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The 52 mantissa bits of an `f64`.
const MANTISSA: u64 = (1 << 52) - 1;

/// The bucket bounds of a positive schema `s` within one power of two, by cell.
///
/// Written `v = frac * 2^exp` with `frac` in `[0.5, 1)` (frexp), the bucket of `v` is the
/// bucket of `frac` among the `2^s` bounds `2^(j / 2^s - 1)`, `j` in `0..2^s`, plus
/// `(exp - 1) * 2^s`. All fractions share one exponent, so they compare as their mantissa
/// bits do. The top `s + 1` mantissa bits cut `[0.5, 1)` into `2^(s+1)` equal cells; bounds
/// are at least `0.5 * ln 2 / 2^s` apart, more than a cell's width `0.25 / 2^s`, so a cell
/// holds at most one: the bucket of a fraction is the number of bounds below its cell plus
/// one integer comparison with the bound that may lie in it. One load of a cell, where a
/// binary search would be a chain of dependent loads and compares.
struct Cells {
    /// The bounds, as fractions in `[0.5, 1)`.
    #[cfg(test)]
    bounds: Vec<f64>,
    /// Per cell: the mantissa bits of the first bound at or above the cell's start
    /// (`u64::MAX` when there is none), and the number of bounds below the cell.
    cells: Box<[(u64, u32)]>,
}

/// The cells of positive schema `schema` (built once per schema, on first use).
fn cells(schema: i8) -> &'static Cells {
    use std::sync::OnceLock;
    static TABLES: [OnceLock<Cells>; 8] = [const { OnceLock::new() }; 8];
    let s = schema.clamp(1, 8);
    TABLES[(s - 1) as usize].get_or_init(|| {
        let n = 1u32 << s;
        let bounds: Vec<f64> = (0..n).map(|j| (f64::from(j) / f64::from(n) - 1.0).exp2()).collect();
        let count = 1usize << (s + 1);
        let cells = (0..count)
            .map(|c| {
                let low = 0.5 + 0.5 * c as f64 / count as f64;
                let below = bounds.partition_point(|&b| b < low);
                (bounds.get(below).map_or(u64::MAX, |b| b.to_bits() & MANTISSA), below as u32)
            })
            .collect();
        Cells {
            #[cfg(test)]
            bounds,
            cells,
        }
    })
}

/// The cells an observation at `schema` needs: `None` at schemas of 0 and below.
fn cells_of(schema: i8) -> Option<&'static Cells> {
    (schema > 0).then(|| cells(schema))
}

impl NativeBuckets {
    /// The index of the bucket that holds `v` (a magnitude above the zero threshold; not NaN)
    /// with `schema`: bucket `i` holds `(base^(i-1), base^i]` with `base = 2^(2^-schema)`.
    /// `+Inf` goes to the bucket after the one holding `f64::MAX`, as in client_golang. At the
    /// float nearest to an irrational bucket edge, the bound as rounded to a float decides.
    ///
    /// ```
    /// use metrics_core::NativeBuckets;
    /// assert_eq!(NativeBuckets::bucket_index(1.0, 0), 0);
    /// assert_eq!(NativeBuckets::bucket_index(1.5, 0), 1);
    /// assert_eq!(NativeBuckets::bucket_index(2.0, 0), 1);
    /// assert_eq!(NativeBuckets::bucket_index(2.0, 3), 8);
    /// assert_eq!(NativeBuckets::bucket_index(0.25, -1), -1);
    /// ```
    pub fn bucket_index(v: f64, schema: i8) -> i32 {
        bucket_index(v, schema)
    }

    /// The upper bound `base^index` of bucket `index` with `schema` (`2^(index * 2^-schema)`).
    ///
    /// ```
    /// use metrics_core::NativeBuckets;
    /// assert_eq!(NativeBuckets::upper_bound(8, 3), 2.0);
    /// assert_eq!(NativeBuckets::upper_bound(-1, 0), 0.5);
    /// ```
    pub fn upper_bound(index: i32, schema: i8) -> f64 {
        (f64::from(index) * (-f64::from(schema)).exp2()).exp2()
    }
}

/// See [`NativeBuckets::bucket_index`].
#[inline]
pub(crate) fn bucket_index(v: f64, schema: i8) -> i32 {
    index_in(v, schema, cells_of(schema))
}

/// The bucket index of `v` (positive, not NaN) at `schema`, whose cells are `table` (those of
/// `schema`: `None` when it is not positive). Normal numbers take bit operations and one
/// table load; subnormals and `+Inf` take [`index_rare`].
#[inline]
fn index_in(v: f64, schema: i8, table: Option<&Cells>) -> i32 {
    let bits = v.to_bits();
    let biased = (bits >> 52) as i32;
    if biased == 0 || biased == 0x7ff {
        return index_rare(v, schema, table);
    }
    // frexp's exponent: v = frac * 2^exp, frac in [0.5, 1).
    let exp = biased - 1022;
    let mantissa = bits & MANTISSA;
    match table {
        Some(t) if schema > 0 => {
            let cell = (mantissa >> (51 - schema as u32)) as usize;
            let (bound, below) = t.cells.get(cell).copied().unwrap_or((u64::MAX, 0));
            (below as i32 + i32::from(mantissa > bound)) + ((exp - 1) << schema)
        }
        _ if schema > 0 => index_in(v, schema, Some(cells(schema))),
        _ => {
            // Powers of two are upper bounds: 2^n is the last value of bucket n at schema 0.
            let key = if mantissa == 0 { exp - 1 } else { exp };
            let shift = -i32::from(schema);
            (key + (1 << shift) - 1) >> shift
        }
    }
}

/// [`index_in`] for `+Inf` (the bucket after `f64::MAX`'s, as in client_golang) and
/// subnormals (scaled by 2^64 into the normal range: 64 powers of two are `64 * 2^schema`
/// buckets at every schema, a whole number from -4 up).
#[cold]
fn index_rare(v: f64, schema: i8, table: Option<&Cells>) -> i32 {
    if v.is_infinite() {
        return index_in(f64::MAX, schema, table) + 1;
    }
    let scaled = v * f64::from_bits(0x43f0_0000_0000_0000); // 2^64
    let buckets = if schema >= 0 { 64 << schema } else { 64 >> -i32::from(schema) };
    index_in(scaled, schema, table) - buckets
}

/// Slot keys: the bucket index and the sign, `EMPTY` for an unused slot. Keys of real buckets
/// lie within ±2^33 (an `i32` index shifted by one), so `EMPTY` is far from every one of them
/// (`u64::MAX` would not do: it is the key of negative bucket -1).
const EMPTY: u64 = 1 << 63;

#[inline]
fn key_of(index: i32, negative: bool) -> u64 {
    // Interleaved so that neighbouring buckets of one sign are two slots apart.
    ((i64::from(index) << 1) | i64::from(negative)) as u64
}

#[inline]
fn split_key(key: u64) -> (i32, bool) {
    let k = key as i64;
    ((k >> 1) as i32, k & 1 == 1)
}

struct Slot {
    key: AtomicU64,
    count: AtomicU64,
}

/// One of the two sets of counts a native histogram alternates between.
struct Shard {
    /// The schema of the indexes in `slots` (and of the observations being added).
    schema: AtomicU64,
    /// Classic bucket counts (one per bound, then `+Inf`): their sum is the count. A
    /// native-only histogram has the `+Inf` count alone and does not count into it when
    /// observing (its count is its native buckets', zero bucket's and NaNs'): a snapshot
    /// writes the count there.
    classic: Box<[AtomicU64]>,
    /// NaN observations (in no native bucket).
    nan: AtomicU64,
    sum: AtomicU64,
    zero: AtomicU64,
    slots: Box<[Slot]>,
    /// Buckets that found the table full: `(key, count)`.
    overflow: Mutex<Vec<(u64, u64)>>,
    /// Distinct native buckets in `slots` and `overflow`.
    used: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shard {
    fn new(classic: usize, slots: usize, schema: i8) -> Self {
        Shard {
            schema: AtomicU64::new(schema as u64),
            classic: (0..classic).map(|_| AtomicU64::new(0)).collect(),
            nan: AtomicU64::new(0),
            sum: AtomicU64::new(0f64.to_bits()),
            zero: AtomicU64::new(0),
            slots: (0..slots).map(|_| Slot { key: AtomicU64::new(EMPTY), count: AtomicU64::new(0) }).collect(),
            overflow: Mutex::new(Vec::new()),
            used: AtomicU64::new(0),
        }
    }

    #[inline]
    fn schema(&self) -> i8 {
        self.schema.load(Ordering::Relaxed) as i8
    }

    /// Adds `n` to the native bucket `key`; returns whether the bucket was created.
    #[inline]
    fn add(&self, key: u64, n: u64) -> bool {
        let mask = self.slots.len() - 1;
        let start = (key as usize) & mask;
        // Most observations land in a bucket that exists, in its first slot.
        if let Some(slot) = self.slots.get(start)
            && slot.key.load(Ordering::Acquire) == key
        {
            slot.count.fetch_add(n, Ordering::Release);
            return false;
        }
        self.probe(key, n, start, mask)
    }

    /// [`add`](Self::add) past the first slot, or to a new bucket.
    fn probe(&self, key: u64, n: u64, start: usize, mask: usize) -> bool {
        for probe in 0..self.slots.len() {
            let slot = &self.slots[(start + probe) & mask];
            let mut k = slot.key.load(Ordering::Acquire);
            if k == EMPTY {
                match slot.key.compare_exchange(EMPTY, key, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => {
                        self.used.fetch_add(1, Ordering::Relaxed);
                        // Last: in a native-only histogram this increment completes the
                        // observation (see `NativeCounts::observe`).
                        slot.count.fetch_add(n, Ordering::Release);
                        return true;
                    }
                    Err(actual) => k = actual,
                }
            }
            if k == key {
                slot.count.fetch_add(n, Ordering::Release);
                return false;
            }
        }
        self.add_overflow(key, n)
    }

    #[cold]
    fn add_overflow(&self, key: u64, n: u64) -> bool {
        let mut list = lock(&self.overflow);
        if let Some(e) = list.iter_mut().find(|e| e.0 == key) {
            e.1 += n;
            return false;
        }
        list.push((key, n));
        self.used.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Every native bucket with a count: `(key, count)`, unordered.
    fn buckets(&self, mut f: impl FnMut(u64, u64)) {
        for slot in self.slots.iter() {
            let k = slot.key.load(Ordering::Acquire);
            if k != EMPTY {
                f(k, slot.count.load(Ordering::Acquire));
            }
        }
        for &(k, n) in lock(&self.overflow).iter() {
            f(k, n);
        }
    }

    /// The count of a quiescent shard.
    fn count(&self) -> u64 {
        if self.classic.len() > 1 {
            return self.classic.iter().map(|c| c.load(Ordering::Acquire)).fold(0, u64::wrapping_add);
        }
        let mut n = self.zero.load(Ordering::Acquire).wrapping_add(self.nan.load(Ordering::Acquire));
        self.buckets(|_, c| n = n.wrapping_add(c));
        n
    }

    /// Adds this (quiescent) shard into `to`, lowering bucket indexes to `to`'s schema.
    fn merge_into(&self, to: &Shard) {
        for (a, b) in self.classic.iter().zip(to.classic.iter()) {
            b.fetch_add(a.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        add_f64(&to.sum, f64::from_bits(self.sum.load(Ordering::Relaxed)));
        to.nan.fetch_add(self.nan.load(Ordering::Relaxed), Ordering::Relaxed);
        to.zero.fetch_add(self.zero.load(Ordering::Relaxed), Ordering::Relaxed);
        let shift = u32::from(self.schema().saturating_sub(to.schema()).max(0) as u8);
        self.buckets(|key, n| {
            if n == 0 {
                return;
            }
            let (mut index, negative) = split_key(key);
            for _ in 0..shift {
                // Buckets 2j - 1 and 2j make bucket j one schema down.
                index = (index + 1) >> 1;
            }
            to.add(key_of(index, negative), n);
        });
    }

    /// Back to empty (the shard is quiescent).
    fn clear(&self) {
        for c in self.classic.iter() {
            c.store(0, Ordering::Relaxed);
        }
        self.sum.store(0f64.to_bits(), Ordering::Relaxed);
        self.nan.store(0, Ordering::Relaxed);
        self.zero.store(0, Ordering::Relaxed);
        for slot in self.slots.iter() {
            slot.key.store(EMPTY, Ordering::Relaxed);
            slot.count.store(0, Ordering::Relaxed);
        }
        lock(&self.overflow).clear();
        self.used.store(0, Ordering::Relaxed);
    }
}

/// Where an observation goes.
enum Bucket {
    Nan,
    Zero,
    /// A native bucket's slot key.
    Key(u64),
}

/// The fewest slots of a table (a few under loom, whose model would otherwise step through
/// every slot of every scan).
const MIN_SLOTS: usize = if cfg!(loom) { 4 } else { 64 };

/// The top bit of `started` names the hot shard; the rest counts observations started.
const HOT: u64 = 1 << 63;

/// Classic and native buckets of one histogram, observed without a lock (see the module docs).
pub(crate) struct NativeCounts {
    settings: NativeBuckets,
    /// The cells of the configured schema.
    cells: Option<&'static Cells>,
    started: AtomicU64,
    shards: [Shard; 2],
    /// Held to swap shards: by scrapes, resolution changes and resets.
    swap: Mutex<SwapState>,
}

/// What only the holder of the swap mutex reads and writes.
struct SwapState {
    /// Observations started when the current hot shard became hot.
    base: u64,
    /// The count the hot shard was given when the old one was added into it.
    merged: u64,
}

impl NativeCounts {
    pub(crate) fn new(settings: NativeBuckets, classic: usize) -> Self {
        let slots = (2 * settings.max_buckets as usize).clamp(MIN_SLOTS, 1 << 16).next_power_of_two();
        let shards = [Shard::new(classic, slots, settings.schema), Shard::new(classic, slots, settings.schema)];
        NativeCounts {
            settings,
            cells: cells_of(settings.schema),
            started: AtomicU64::new(0),
            shards,
            swap: Mutex::new(SwapState { base: 0, merged: 0 }),
        }
    }

    pub(crate) fn settings(&self) -> &NativeBuckets {
        &self.settings
    }

    /// Records `v`, which falls in classic bucket `classic`.
    ///
    /// The last increment completes the observation: the classic bucket's when there are
    /// classic buckets, otherwise the native (or zero, or NaN) bucket's. A shard's count is the
    /// total of what those last increments count, so a swap knows the observations started
    /// on the old shard have all finished when its count reaches them: no separate "done"
    /// counter, one atomic operation less per observation.
    #[inline]
    pub(crate) fn observe(&self, v: f64, classic: usize) {
        // Where `v` goes, at the configured schema, before the first atomic operation: that
        // operation waits for the store buffer to drain, and this work overlaps the wait
        // instead of following it. Checked against the shard's schema below (lower only after
        // a resolution change).
        let bucket = self.bucket_of(v, self.settings.schema, self.cells);
        let n = self.started.fetch_add(1, Ordering::Acquire);
        let shard = &self.shards[(n >> 63) as usize];
        add_f64(&shard.sum, v);
        let created = match bucket {
            // NaN is counted (and makes the sum NaN) but lands in no native bucket.
            Bucket::Nan => {
                shard.nan.fetch_add(1, Ordering::Release);
                false
            }
            Bucket::Zero => {
                shard.zero.fetch_add(1, Ordering::Release);
                false
            }
            Bucket::Key(key) => {
                let schema = shard.schema();
                let key = if schema == self.settings.schema { key } else { self.rescaled_key(v, schema) };
                shard.add(key, 1)
            }
        };
        if shard.classic.len() > 1
            && let Some(c) = shard.classic.get(classic)
        {
            c.fetch_add(1, Ordering::Release);
        }
        if created && shard.used.load(Ordering::Relaxed) > u64::from(self.settings.max_buckets) {
            self.limit();
        }
    }

    /// The bucket of `v` at `schema`, whose cells are `table`.
    #[inline]
    fn bucket_of(&self, v: f64, schema: i8, table: Option<&Cells>) -> Bucket {
        if v.is_nan() {
            return Bucket::Nan;
        }
        let magnitude = v.abs();
        if magnitude <= self.settings.zero_threshold {
            return Bucket::Zero;
        }
        Bucket::Key(key_of(index_in(magnitude, schema, table), v < 0.0))
    }

    /// The key of `v` (in a native bucket) at a schema lowered since the histogram was made.
    #[cold]
    fn rescaled_key(&self, v: f64, schema: i8) -> u64 {
        key_of(index_in(v.abs(), schema, cells_of(schema)), v < 0.0)
    }

    /// Halves the resolution until the buckets fit (see the module docs).
    #[cold]
    fn limit(&self) {
        let mut state = lock(&self.swap);
        self.fit(&mut state);
    }

    /// Halves the resolution until the hot shard's buckets fit, the swap mutex held.
    fn fit(&self, state: &mut SwapState) {
        loop {
            let hot = &self.shards[(self.started.load(Ordering::Relaxed) >> 63) as usize];
            if hot.used.load(Ordering::Relaxed) <= u64::from(self.settings.max_buckets) || hot.schema() <= MIN_SCHEMA {
                return;
            }
            let lower = hot.schema() - 1;
            let old = self.swap_shards(state, lower);
            self.absorb(state, old);
        }
    }

    /// Makes the cold shard hot with `schema`, waits for the observations on the old hot shard
    /// to finish, and returns it (quiescent).
    fn swap_shards(&self, state: &mut SwapState, schema: i8) -> &Shard {
        let hot = (self.started.load(Ordering::Relaxed) >> 63) as usize;
        self.shards[1 - hot].schema.store(schema as u64, Ordering::Relaxed);
        let n = self.started.fetch_add(HOT, Ordering::AcqRel) & !HOT;
        let old = &self.shards[hot];
        let expected = state.merged.wrapping_add(n.wrapping_sub(state.base));
        state.base = n;
        while old.count() != expected {
            yield_now();
        }
        old
    }

    /// Adds the quiescent `old` shard into the hot one and clears it.
    fn absorb(&self, state: &mut SwapState, old: &Shard) {
        let hot = &self.shards[(self.started.load(Ordering::Relaxed) >> 63) as usize];
        state.merged = old.count();
        old.merge_into(hot);
        old.clear();
    }

    /// Calls `f` with a consistent view of every count, taken while observations go on.
    pub(crate) fn snapshot<R>(&self, f: impl FnOnce(Snapshot<'_>) -> R) -> R {
        let mut state = lock(&self.swap);
        let schema = self.shards[(self.started.load(Ordering::Relaxed) >> 63) as usize].schema();
        let old = self.swap_shards(&mut state, schema);
        let mut positive = Vec::new();
        let mut negative = Vec::new();
        old.buckets(|key, n| {
            if n > 0 {
                let (index, neg) = split_key(key);
                if neg { negative.push((index, n)) } else { positive.push((index, n)) }
            }
        });
        positive.sort_unstable_by_key(|b| b.0);
        negative.sort_unstable_by_key(|b| b.0);
        let count = old.count();
        if let [only] = &old.classic[..] {
            // Native only: the `+Inf` bucket is the count (see `Shard::classic`).
            only.store(count, Ordering::Relaxed);
        }
        let snap = Snapshot {
            classic: &old.classic,
            count,
            sum: f64::from_bits(old.sum.load(Ordering::Relaxed)),
            native: NativeData {
                schema: old.schema(),
                zero_threshold: self.settings.zero_threshold,
                zero_count: old.zero.load(Ordering::Relaxed),
                positive,
                negative,
            },
        };
        let r = f(snap);
        self.absorb(&mut state, old);
        // The old shard's buckets and those the new one got meanwhile may together be more
        // than `max_buckets`, though neither was (found by the loom model of a resolution
        // change): fit them now rather than at the next new bucket.
        self.fit(&mut state);
        r
    }

    /// Observations started: changes with every observation, read without a swap (for idle
    /// expiry).
    pub(crate) fn started(&self) -> u64 {
        self.started.load(Ordering::Relaxed) & !HOT
    }

    /// The number of observations (a snapshot's).
    pub(crate) fn count(&self) -> u64 {
        self.snapshot(|s| s.count)
    }

    /// The sum of observations (a snapshot's).
    pub(crate) fn sum(&self) -> f64 {
        self.snapshot(|s| s.sum)
    }

    /// Back to no observation, at the initial schema.
    pub(crate) fn reset(&self) {
        let mut state = lock(&self.swap);
        for _ in 0..2 {
            let old = self.swap_shards(&mut state, self.settings.schema);
            old.clear();
            old.schema.store(self.settings.schema as u64, Ordering::Relaxed);
            state.merged = 0;
        }
    }
}

/// A consistent view of a histogram with native buckets.
pub(crate) struct Snapshot<'a> {
    pub(crate) classic: &'a [AtomicU64],
    pub(crate) count: u64,
    pub(crate) sum: f64,
    pub(crate) native: NativeData,
}

/// The native buckets of one scrape, sorted by index.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeData {
    /// The schema the buckets are at now (lower than configured after a resolution change).
    pub schema: i8,
    /// The zero threshold.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// `(index, count)` of every positive bucket with a count, by increasing index.
    pub positive: Vec<(i32, u64)>,
    /// `(index, count)` of every negative bucket with a count, by increasing index (of
    /// magnitude: bucket `i` holds `[-base^i, -base^(i-1))`).
    pub negative: Vec<(i32, u64)>,
}

impl NativeData {
    /// The spans and deltas of the protobuf encoding of `buckets`: `f(offset, length)` for
    /// every span (the first's offset is its first index, later offsets count the empty buckets
    /// skipped), then `g(delta)` for every bucket (its count minus the previous bucket's).
    pub fn spans(buckets: &[(i32, u64)], mut span: impl FnMut(i32, u32)) {
        let mut i = 0;
        let mut prev_end: Option<i32> = None;
        while i < buckets.len() {
            let start = buckets[i].0;
            let mut end = start;
            let mut j = i + 1;
            while j < buckets.len() && buckets[j].0 == end + 1 {
                end += 1;
                j += 1;
            }
            let offset = match prev_end {
                None => start,
                Some(e) => start - e - 1,
            };
            span(offset, (j - i) as u32);
            prev_end = Some(end);
            i = j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked() {
        assert_eq!(NativeBuckets::new(9, 1, 0.0), Err(NativeError::Schema(9)));
        assert_eq!(NativeBuckets::new(-5, 1, 0.0), Err(NativeError::Schema(-5)));
        assert_eq!(NativeBuckets::new(0, 0, 0.0), Err(NativeError::MaxBuckets));
        assert_eq!(NativeBuckets::new(0, 1, -1.0), Err(NativeError::ZeroThreshold(-1.0)));
        assert!(NativeBuckets::new(0, 1, f64::INFINITY).is_err());
        assert_eq!(NativeBuckets::DEFAULT.zero_threshold(), 2f64.powi(-128));
    }

    #[test]
    fn subnormals_and_infinity_take_the_rare_path_to_the_right_bucket() {
        for schema in MIN_SCHEMA..=MAX_SCHEMA {
            // 2^e lies in bucket ceil(e * 2^s): 2^-1074 is the smallest subnormal, 2^-1022
            // the smallest normal number, and the largest subnormal is in the latter's bucket.
            let per_power = 2f64.powi(i32::from(schema));
            assert_eq!(f64::from(bucket_index(5e-324, schema)), (-1074.0 * per_power).ceil(), "schema {schema}");
            let min = bucket_index(f64::MIN_POSITIVE, schema);
            assert_eq!(f64::from(min), (-1022.0 * per_power).ceil());
            assert_eq!(bucket_index(f64::from_bits(f64::MIN_POSITIVE.to_bits() - 1), schema), min);
            if schema >= 0 {
                // About 2^-1023: the bucket below 2^-1022's (one power of two is 2^s buckets).
                let half = f64::from_bits(f64::MIN_POSITIVE.to_bits() - 1) / 2.0;
                assert_eq!(bucket_index(half, schema), min - (1 << schema));
            }
            assert_eq!(bucket_index(f64::INFINITY, schema), bucket_index(f64::MAX, schema) + 1);
        }
    }

    #[test]
    fn no_bucket_key_is_the_empty_key() {
        for index in [-1, 0, 1, i32::MIN, i32::MAX] {
            for negative in [false, true] {
                assert_ne!(key_of(index, negative), EMPTY);
                assert_eq!(split_key(key_of(index, negative)), (index, negative));
            }
        }
        // Negative bucket -1 holds [-1, -0.5) at schema 0.
        let n = NativeCounts::new(NativeBuckets::new(0, 10, 0.0).unwrap_or_default(), 1);
        n.observe(-0.75, 0);
        n.snapshot(|s| assert_eq!(s.native.negative, [(0, 1)]));
        n.observe(-0.375, 0);
        n.snapshot(|s| assert_eq!(s.native.negative, [(-1, 1), (0, 1)]));
    }

    #[test]
    fn cells_find_the_same_bucket_as_a_search() {
        for schema in 1..=8i8 {
            let t = cells(schema);
            let mut fracs: Vec<f64> = (0..20_000).map(|i| 0.5 + f64::from(i) / 40_000.0).collect();
            for &b in &t.bounds {
                fracs.extend([b, f64::from_bits(b.to_bits() - 1), f64::from_bits(b.to_bits() + 1)]);
            }
            for &f in fracs.iter().filter(|f| (0.5..1.0).contains(*f)) {
                let want = t.bounds.partition_point(|&b| b < f) as i32;
                assert_eq!(bucket_index(f * 2.0, schema), want, "frac {f} schema {schema}");
            }
        }
    }

    #[test]
    fn spans_and_gaps() {
        let mut spans = Vec::new();
        NativeData::spans(&[(-2, 1), (-1, 1), (3, 2), (4, 1), (5, 1), (9, 1)], |o, l| spans.push((o, l)));
        assert_eq!(spans, [(-2, 2), (3, 3), (3, 1)]);
    }

    #[test]
    fn buckets_merged_by_a_snapshot_are_fitted_too() {
        // Bucket 1 in one shard; bucket 2 made in the other while the snapshot reads the
        // first (as an observation racing the snapshot would): each shard alone fits in
        // `max_buckets` = 1, the two merged do not.
        let n = NativeCounts::new(NativeBuckets::new(0, 1, 0.0).unwrap_or_default(), 1);
        n.observe(1.5, 0);
        n.snapshot(|s| {
            assert_eq!(s.native.positive, [(1, 1)]);
            n.observe(3.0, 0);
        });
        n.snapshot(|s| {
            assert_eq!((s.native.schema, &s.native.positive[..]), (-1, &[(1, 2)][..]));
            assert_eq!(s.count, 2);
        });
    }

    #[test]
    fn resolution_halves_past_the_limit() {
        let n = NativeCounts::new(NativeBuckets::new(3, 4, 0.0).unwrap_or_default(), 1);
        for v in 1..=64 {
            n.observe(f64::from(v), 0);
        }
        n.snapshot(|s| {
            assert!(s.native.positive.len() <= 4, "{:?}", s.native);
            assert!(s.native.schema < 3);
            assert_eq!(s.native.positive.iter().map(|b| b.1).sum::<u64>(), 64);
            assert_eq!(s.count, 64);
            // Every value still lies in its bucket at the lowered schema.
            let expected: u64 = (1..=64)
                .filter(|&v| bucket_index(f64::from(v), s.native.schema) == s.native.positive[0].0)
                .count() as u64;
            assert_eq!(s.native.positive[0].1, expected);
        });
    }
}
