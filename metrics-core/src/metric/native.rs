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
//! An observation is one atomic increment, without a lock: each falls in one classic bucket
//! (the `+Inf` one when there are no classic bounds) and in one native bucket (or the zero
//! bucket, or none for NaN), and the histogram counts the pairs: a table of atomic
//! `(key, count)` slots, keyed by the pair and found by linear probing from it. Neighbouring
//! native buckets fall in neighbouring slots, so there are few collisions before the table
//! holds as many keys as slots. A scrape reads every count once and sums the classic buckets,
//! the native buckets and the count from those same reads, so they always agree, whatever
//! observations are under way (the sum, a separate float, is read once beside them, as in the
//! classic histogram). The sum is the one other atomic operation of an observation.
//!
//! A table is sized for twice `max_buckets` (a power of two, at least 64 slots of 16 bytes:
//! 8 KiB per series at the default 160 buckets); should it fill up, the overflowing key is
//! counted in a small list behind a per-table mutex, which only that rare case takes. Keep
//! native buckets to families of modest cardinality, or lower `max_buckets`.
//!
//! # Bounded size
//!
//! When the native buckets outgrow `max_buckets`, the resolution is halved: the schema drops
//! by one and each pair of neighbouring buckets `(2j - 1, 2j)` merges into bucket `j`, as
//! client_golang does, until the histogram fits or the schema reaches -4 (where the whole float
//! range needs only a few hundred buckets). The zero threshold never changes. Halving, which
//! holds the histogram's mutex as scrapes do, makes a table for the lower schema (once per
//! schema: a series that halves twice has three, each the size of the first, kept for the
//! life of the series, resets included: at most 13, from schema 8 down to -4), points
//! observations at it, then takes each count out of the higher tables with an atomic swap and adds it there. An observation that
//! read the schema before it changed may still add to an old table afterwards: its increment is
//! in the swap or stays behind, where scrapes read it and lower it too, so none is lost or
//! counted twice and no observation waits for another.

use std::fmt;
use std::sync::PoisonError;

use serde::Serialize;

use crate::metric::add_f64;
use std::sync::OnceLock;

use crate::sync::{AtomicI64, AtomicU64, Mutex, MutexGuard, Ordering};

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

/// The low 32 bits of a slot key: a native bucket is `index << 1 | negative` (indexes lie
/// within ±2^19 at every schema, so this fits); the zero bucket and NaN take codes of
/// indexes no bucket has.
const ZERO_CODE: u32 = 1 << 30;
const NAN_CODE: u32 = (1 << 30) | 2;

/// The key of an unused slot: classic bucket `u32::MAX`, which no histogram has.
const EMPTY: u64 = u64::MAX;

#[inline]
fn code_of_index(index: i32, negative: bool) -> u32 {
    ((index << 1) | i32::from(negative)) as u32
}

/// A slot key: the classic bucket in the high 32 bits, the native code in the low ones.
#[inline]
fn key_of(classic: usize, code: u32) -> u64 {
    // A histogram has fewer than 2^32 - 1 classic buckets (their bounds alone would take
    // 32 GiB), so no key is `EMPTY`.
    ((classic as u64) << 32) | u64::from(code)
}

/// What a native code stands for.
enum Native {
    Zero,
    Nan,
    Bucket(i32, bool),
}

#[inline]
fn split_key(key: u64) -> (usize, Native) {
    let code = key as u32;
    let native = match code {
        ZERO_CODE => Native::Zero,
        NAN_CODE => Native::Nan,
        _ => Native::Bucket(code as i32 >> 1, code & 1 == 1),
    };
    ((key >> 32) as usize, native)
}

/// Bucket `index` of a schema `shift` steps higher, at the lower schema: halving the
/// resolution merges buckets `2j - 1` and `2j` into `j`, so this is `ceil(index / 2^shift)`.
#[inline]
fn lowered(index: i32, shift: u32) -> i32 {
    match shift {
        0 => index,
        s => ((i64::from(index) + (1i64 << s) - 1) >> s) as i32,
    }
}

struct Slot {
    key: AtomicU64,
    count: AtomicU64,
}

/// The counts of one schema: atomic `(key, count)` slots, a key per combination of classic and
/// native bucket an observation fell in (see the module docs).
struct Table {
    schema: i8,
    slots: Box<[Slot]>,
    /// Keys that found every slot taken: `(key, count)`.
    overflow: Mutex<Vec<(u64, u64)>>,
    /// Keys in `slots` and `overflow`; a key, once in, stays.
    used: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Table {
    fn new(schema: i8, slots: usize) -> Self {
        Table {
            schema,
            slots: (0..slots).map(|_| Slot { key: AtomicU64::new(EMPTY), count: AtomicU64::new(0) }).collect(),
            overflow: Mutex::new(Vec::new()),
            used: AtomicU64::new(0),
        }
    }

    /// Adds `n` to the count of `key`; returns whether the key was new.
    #[inline]
    fn add(&self, key: u64, n: u64) -> bool {
        let mask = self.slots.len() - 1;
        // Neighbouring native buckets (and the classic buckets of one native bucket) start at
        // neighbouring slots.
        let start = (key as u32 as usize).wrapping_add((key >> 32) as usize) & mask;
        // Most observations land in a key that exists, in its first slot.
        if let Some(slot) = self.slots.get(start)
            && slot.key.load(Ordering::Acquire) == key
        {
            slot.count.fetch_add(n, Ordering::Relaxed);
            return false;
        }
        self.probe(key, n, start, mask)
    }

    /// [`add`](Self::add) past the first slot, or to a new key.
    #[inline(never)]
    fn probe(&self, key: u64, n: u64, start: usize, mask: usize) -> bool {
        for probe in 0..self.slots.len() {
            let slot = &self.slots[(start + probe) & mask];
            let mut k = slot.key.load(Ordering::Acquire);
            if k == EMPTY {
                match slot.key.compare_exchange(EMPTY, key, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => {
                        slot.count.fetch_add(n, Ordering::Relaxed);
                        self.used.fetch_add(1, Ordering::Relaxed);
                        return true;
                    }
                    Err(actual) => k = actual,
                }
            }
            if k == key {
                slot.count.fetch_add(n, Ordering::Relaxed);
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

    /// `f(key, count)` for every key with a count, each count read once.
    fn counts(&self, mut f: impl FnMut(u64, u64)) {
        for slot in self.slots.iter() {
            let k = slot.key.load(Ordering::Acquire);
            if k != EMPTY {
                let n = slot.count.load(Ordering::Relaxed);
                if n > 0 {
                    f(k, n);
                }
            }
        }
        for &(k, n) in lock(&self.overflow).iter().filter(|e| e.1 > 0) {
            f(k, n);
        }
    }

    /// Takes every count out (each exactly once: an increment is in what `f` gets or stays in
    /// the table): `f(key, count)`. Keys stay, with zero counts.
    fn drain(&self, mut f: impl FnMut(u64, u64)) {
        for slot in self.slots.iter() {
            let k = slot.key.load(Ordering::Acquire);
            if k != EMPTY && slot.count.load(Ordering::Relaxed) > 0 {
                f(k, slot.count.swap(0, Ordering::Relaxed));
            }
        }
        for e in lock(&self.overflow).iter_mut().filter(|e| e.1 > 0) {
            f(e.0, std::mem::take(&mut e.1));
        }
    }

    /// The sum of the counts (read without the swap mutex, so not a snapshot).
    fn total(&self) -> u64 {
        let mut total = 0u64;
        self.counts(|_, n| total = total.wrapping_add(n));
        total
    }
}

/// The fewest slots of a table (a few under loom, whose model would otherwise step through
/// every slot of every scan).
const MIN_SLOTS: usize = if cfg!(loom) { 4 } else { 64 };

/// Classic and native buckets of one histogram, observed without a lock (see the module docs).
pub(crate) struct NativeCounts {
    settings: NativeBuckets,
    /// The cells of the configured schema (none at schemas of 0 and below).
    cells: &'static [(u64, u32)],
    /// The number of classic buckets, `+Inf` included (1 for a native-only histogram).
    classic: usize,
    /// The schema observations go to: the configured one, lower after halvings.
    schema: AtomicI64,
    /// The table of the configured schema.
    base: Table,
    /// The tables of the lower schemas, each made at the first halving to it: `lower[k]` is
    /// at schema `configured - 1 - k`.
    lower: Box<[OnceLock<Table>]>,
    sum: AtomicU64,
    /// Held to halve the resolution, to read a snapshot and to reset.
    swap: Mutex<()>,
}

/// The counts of every table, lowered to one schema and merged.
struct Counts {
    schema: i8,
    classic: Vec<u64>,
    zero: u64,
    /// `(code, count)` of every native bucket with a count, sorted by code, one entry each.
    buckets: Vec<(u32, u64)>,
}

impl NativeCounts {
    pub(crate) fn new(settings: NativeBuckets, classic: usize) -> Self {
        let slots = (2 * settings.max_buckets as usize).clamp(MIN_SLOTS, 1 << 16).next_power_of_two();
        let lower = (MIN_SCHEMA..settings.schema).map(|_| OnceLock::new()).collect();
        NativeCounts {
            settings,
            cells: cells_of(settings.schema).map_or(&[], |c| &c.cells),
            classic: classic.max(1),
            schema: AtomicI64::new(i64::from(settings.schema)),
            base: Table::new(settings.schema, slots),
            lower,
            sum: AtomicU64::new(0f64.to_bits()),
            swap: Mutex::new(()),
        }
    }

    pub(crate) fn settings(&self) -> &NativeBuckets {
        &self.settings
    }

    /// Records `v`, which falls in classic bucket `classic`: one increment of the count of
    /// that pair of buckets, then the sum.
    #[inline]
    pub(crate) fn observe(&self, v: f64, classic: usize) {
        // The native bucket at the configured schema, the usual one: worked out before the
        // first load, which a resolution change can only make lower.
        let code = self.code_here(v);
        let here = self.schema.load(Ordering::Acquire) == i64::from(self.settings.schema);
        add_f64(&self.sum, v);
        if here {
            if self.base.add(key_of(classic, code), 1)
                && self.base.used.load(Ordering::Relaxed) > u64::from(self.settings.max_buckets)
            {
                self.limit();
            }
        } else {
            self.observe_lower(v, classic);
        }
    }

    /// The native code of `v` at the configured schema: [`code_of`](Self::code_of) for normal
    /// numbers, in bit operations and (at positive schemas) one load of a cell.
    #[inline]
    fn code_here(&self, v: f64) -> u32 {
        let magnitude = v.abs();
        if magnitude <= self.settings.zero_threshold {
            return ZERO_CODE;
        }
        let bits = magnitude.to_bits();
        let biased = (bits >> 52) as i32;
        if biased == 0 || biased == 0x7ff {
            return self.code_rare(v);
        }
        let schema = self.settings.schema;
        let mantissa = bits & MANTISSA;
        let index = if schema > 0 {
            // As `index_in` does, with the cells at hand.
            let cell = (mantissa >> (51 - schema as u32)) as usize;
            let (bound, below) = self.cells.get(cell).copied().unwrap_or((u64::MAX, 0));
            below as i32 + i32::from(mantissa > bound) + ((biased - 1023) << schema)
        } else {
            index_in(magnitude, schema, None)
        };
        code_of_index(index, v.is_sign_negative())
    }

    /// [`code_here`](Self::code_here) for NaN, infinities and subnormals.
    #[cold]
    fn code_rare(&self, v: f64) -> u32 {
        self.code_of(v, self.settings.schema, cells_of(self.settings.schema))
    }

    /// [`observe`](Self::observe) after a resolution change.
    #[cold]
    fn observe_lower(&self, v: f64, classic: usize) {
        let schema = self.schema.load(Ordering::Acquire) as i8;
        let table = self.table(schema).unwrap_or(&self.base);
        let code = self.code_of(v, table.schema, cells_of(table.schema));
        if table.add(key_of(classic, code), 1)
            && table.used.load(Ordering::Relaxed) > u64::from(self.settings.max_buckets)
        {
            self.limit();
        }
    }

    /// The native code of `v` at `schema`, whose cells are `table`.
    #[inline]
    fn code_of(&self, v: f64, schema: i8, table: Option<&Cells>) -> u32 {
        if v.is_nan() {
            return NAN_CODE;
        }
        let magnitude = v.abs();
        if magnitude <= self.settings.zero_threshold {
            return ZERO_CODE;
        }
        code_of_index(index_in(magnitude, schema, table), v < 0.0)
    }

    /// The table of `schema`, if it was made.
    fn table(&self, schema: i8) -> Option<&Table> {
        if schema == self.settings.schema {
            return Some(&self.base);
        }
        let k = usize::try_from(i32::from(self.settings.schema) - 1 - i32::from(schema)).ok()?;
        self.lower.get(k)?.get()
    }

    /// Every table made, highest schema first.
    fn tables(&self) -> impl Iterator<Item = &Table> {
        std::iter::once(&self.base).chain(self.lower.iter().filter_map(OnceLock::get))
    }

    /// Halves the resolution until the buckets fit (see the module docs).
    #[cold]
    fn limit(&self) {
        let guard = lock(&self.swap);
        self.fit(&guard);
    }

    /// Halves the resolution until the native buckets fit, the swap mutex held; returns the
    /// counts at the resolution reached.
    fn fit(&self, _held: &MutexGuard<'_, ()>) -> Counts {
        // Counts below the current schema can only be observations that read the schema before
        // a reset and added after it (halving only lowers the schema, and moves every count
        // down): dropped, as observations racing a reset are, so that they cannot hold the
        // series at a lower resolution until the next reset.
        let current = self.schema.load(Ordering::Acquire) as i8;
        for table in self.tables().filter(|t| t.schema < current) {
            table.drain(|_, _| {});
        }
        loop {
            let counts = self.counts();
            if counts.buckets.len() <= self.settings.max_buckets as usize || counts.schema <= MIN_SCHEMA {
                return counts;
            }
            self.halve(counts.schema);
        }
    }

    /// Makes observations go to the table of `from - 1` and moves every count of the higher
    /// tables there, the swap mutex held.
    fn halve(&self, from: i8) {
        let to = from - 1;
        let k = usize::try_from(i32::from(self.settings.schema) - 1 - i32::from(to)).unwrap_or(usize::MAX);
        let Some(cell) = self.lower.get(k) else { return };
        let target = cell.get_or_init(|| Table::new(to, self.base.slots.len()));
        self.schema.store(i64::from(to), Ordering::Release);
        // An observation that read the old schema may still add to an old table after its
        // drain: it stays there, and snapshots read it there.
        for table in self.tables().filter(|t| t.schema > to) {
            let shift = (table.schema - to) as u32;
            table.drain(|key, n| {
                let (classic, native) = split_key(key);
                let key = match native {
                    Native::Bucket(index, negative) => key_of(classic, code_of_index(lowered(index, shift), negative)),
                    Native::Zero | Native::Nan => key,
                };
                target.add(key, n);
            });
        }
    }

    /// Every count, each read once, lowered to the current schema (or to a lower one, should
    /// a table below it hold counts: an observation in flight across a reset, until
    /// [`fit`](Self::fit) drops it).
    fn counts(&self) -> Counts {
        let mut schema = self.schema.load(Ordering::Acquire) as i8;
        let mut raw = Vec::new();
        for table in self.tables() {
            table.counts(|key, n| {
                if let (_, Native::Bucket(..)) = split_key(key) {
                    schema = schema.min(table.schema);
                }
                raw.push((table.schema, key, n));
            });
        }
        let mut counts = Counts { schema, classic: vec![0; self.classic], zero: 0, buckets: Vec::new() };
        for (from, key, n) in raw {
            let (classic, native) = split_key(key);
            if let Some(c) = counts.classic.get_mut(classic) {
                *c = c.wrapping_add(n);
            }
            match native {
                Native::Zero => counts.zero = counts.zero.wrapping_add(n),
                Native::Nan => {}
                Native::Bucket(index, negative) => {
                    let index = lowered(index, (from - schema) as u32);
                    counts.buckets.push((code_of_index(index, negative), n));
                }
            }
        }
        counts.buckets.sort_unstable_by_key(|b| b.0);
        counts.buckets.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 = a.1.wrapping_add(b.1);
            }
            same
        });
        counts
    }

    /// Calls `f` with a consistent view of every count, taken while observations go on.
    pub(crate) fn snapshot<R>(&self, f: impl FnOnce(Snapshot<'_>) -> R) -> R {
        let guard = lock(&self.swap);
        let counts = self.fit(&guard);
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed));
        drop(guard);
        let count = counts.classic.iter().fold(0, |a: u64, &c| a.wrapping_add(c));
        let classic: Vec<AtomicU64> = counts.classic.iter().map(|&c| AtomicU64::new(c)).collect();
        let (mut positive, mut negative) = (Vec::new(), Vec::new());
        for (code, n) in counts.buckets {
            let (index, neg) = (code as i32 >> 1, code & 1 == 1);
            if neg { negative.push((index, n)) } else { positive.push((index, n)) }
        }
        positive.sort_unstable_by_key(|b| b.0);
        negative.sort_unstable_by_key(|b| b.0);
        f(Snapshot {
            classic: &classic,
            count,
            sum,
            native: NativeData {
                schema: counts.schema,
                zero_threshold: self.settings.zero_threshold,
                zero_count: counts.zero,
                positive,
                negative,
            },
        })
    }

    /// The number of observations counted (for idle expiry: it changes with every
    /// observation). Read under the swap mutex, so that a halving moving counts between tables
    /// cannot make it miss or double one.
    pub(crate) fn observations(&self) -> u64 {
        let _guard = lock(&self.swap);
        self.tables().fold(0, |a, t| a.wrapping_add(t.total()))
    }

    /// `(schema, sum of counts)` of every table made.
    #[cfg(test)]
    pub(crate) fn table_totals(&self) -> Vec<(i8, u64)> {
        self.tables().map(|t| (t.schema, t.total())).collect()
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
        let _guard = lock(&self.swap);
        self.schema.store(i64::from(self.settings.schema), Ordering::Release);
        for table in self.tables() {
            table.drain(|_, _| {});
        }
        self.sum.store(0f64.to_bits(), Ordering::Relaxed);
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
        for index in [-1, 0, 1, -(1 << 19), 1 << 19] {
            for negative in [false, true] {
                for classic in [0, 1, u32::MAX as usize - 1] {
                    let key = key_of(classic, code_of_index(index, negative));
                    assert_ne!(key, EMPTY);
                    assert!(
                        matches!(split_key(key), (c, Native::Bucket(i, n)) if (c, i, n) == (classic, index, negative))
                    );
                }
            }
        }
        // The bucket indexes of every schema stay within ±2^19, clear of the zero and NaN codes.
        for schema in MIN_SCHEMA..=MAX_SCHEMA {
            for v in [f64::INFINITY, f64::MAX, 5e-324] {
                let index = bucket_index(v, schema);
                assert!(index.abs() < 1 << 19, "{v} at {schema}: {index}");
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
    fn the_configured_schema_shortcut_finds_the_same_bucket() {
        let mut values = vec![0.0, -0.0, 1e-3, -1e-3, 5e-324, -5e-324, f64::MIN_POSITIVE, f64::MAX, f64::MIN];
        values.extend([f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1.0, 2.0, 0.5, 3.0, -3.0, 0.1, 1e300, 1e-300]);
        values.extend((0..4000).map(|i| (f64::from(i) * 0.37 - 700.0).exp2() * if i % 2 == 0 { 1.0 } else { -1.0 }));
        for schema in MIN_SCHEMA..=MAX_SCHEMA {
            for zero in [0.0, 1e-3, NativeBuckets::DEFAULT.zero_threshold()] {
                let n = NativeCounts::new(NativeBuckets::new(schema.into(), 160, zero).unwrap_or_default(), 1);
                for &v in &values {
                    let want = n.code_of(v, schema, cells_of(schema));
                    assert_eq!(n.code_here(v), want, "{v} at schema {schema}, zero threshold {zero}");
                }
            }
        }
    }

    #[test]
    fn classic_native_zero_and_nan_counts_agree() {
        let n = NativeCounts::new(NativeBuckets::new(0, 10, 0.5).unwrap_or_default(), 3);
        for (v, classic) in [(0.25, 0), (-3.0, 0), (1.5, 1), (1.5, 1), (3.0, 2), (f64::NAN, 2)] {
            n.observe(v, classic);
        }
        n.snapshot(|s| {
            let classic: Vec<u64> = s.classic.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            assert_eq!(classic, [2, 2, 2]);
            assert_eq!(s.count, 6);
            assert_eq!(
                (s.native.zero_count, &s.native.positive[..], &s.native.negative[..]),
                (1, &[(1, 2), (2, 1)][..], &[(2, 1)][..])
            );
            assert!(s.sum.is_nan());
        });
        assert_eq!(n.observations(), 6);
        n.reset();
        n.snapshot(|s| assert_eq!((s.count, s.sum, s.native.positive.len()), (0, 0.0, 0)));
    }

    #[test]
    fn counts_left_in_a_higher_table_are_lowered() {
        // What an observation that read the schema just before a halving does: add to the old
        // table after it was drained. The scrape lowers it with the rest.
        let n = NativeCounts::new(NativeBuckets::new(1, 2, 0.0).unwrap_or_default(), 1);
        // Buckets 1, 2 and 3 at schema 1, bucket 1, 1 and 2 at schema 0.
        for v in [1.2, 1.5, 2.5] {
            n.observe(v, 0);
        }
        n.snapshot(|s| assert_eq!((s.native.schema, &s.native.positive[..], s.count), (0, &[(1, 2), (2, 1)][..], 3)));
        assert!(!n.base.add(key_of(0, code_of_index(bucket_index(2.5, 1), false)), 1), "the key is there");
        n.snapshot(|s| assert_eq!((s.native.schema, &s.native.positive[..], s.count), (0, &[(1, 2), (2, 2)][..], 4)));
        assert_eq!(n.table_totals(), [(1, 1), (0, 3)], "the late increment stays in the old table");
        assert_eq!(n.observations(), 4);
    }

    #[test]
    fn an_observation_racing_a_reset_does_not_lower_the_resolution() {
        let n = NativeCounts::new(NativeBuckets::new(1, 2, 0.0).unwrap_or_default(), 1);
        for v in [1.2, 1.5, 2.5] {
            n.observe(v, 0);
        }
        n.snapshot(|s| assert_eq!(s.native.schema, 0));
        n.reset();
        // An observation that read schema 0 before the reset adds to its table after it.
        let lower = n.table(0).unwrap_or_else(|| panic!("the schema 0 table was made"));
        assert!(!lower.add(key_of(0, code_of_index(bucket_index(2.5, 0), false)), 1));
        n.observe(1.2, 0);
        n.snapshot(|s| assert_eq!((s.native.schema, &s.native.positive[..], s.count), (1, &[(1, 1)][..], 1)));
        assert_eq!(n.observations(), 1);
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
    fn an_observation_during_a_snapshot_is_fitted_too() {
        // Bucket 2 made while a snapshot is read (as an observation racing it would): the
        // observation halves the resolution itself, and the next snapshot shows it.
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
