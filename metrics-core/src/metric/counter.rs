//! Counters: values that only go up.

use crate::sync::{AtomicU64, Ordering};

use crate::clock::{seconds, unique_nanos};
use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::{Encoder, Number, SampleValue};
use crate::labels::EncodeLabels;
use crate::metric::exemplar::ExemplarSlot;
use crate::metric::{Metric, add_f64};

/// A monotonically increasing integer counter.
///
/// Exposed as `<name>_total` in both text formats (see
/// [`Descriptor::legacy_name`](crate::Descriptor::legacy_name) for names that must stay as
/// written), with a `_created` sample in OpenMetrics.
///
/// ```
/// use metrics_core::Counter;
/// let c = Counter::new();
/// c.inc();
/// c.inc_by(41);
/// assert_eq!(c.get(), 42);
/// ```
#[derive(Debug)]
pub struct Counter {
    value: AtomicU64,
    created: AtomicU64,
    /// Allocated on the first exemplar (see `exemplar.rs`).
    pub(crate) exemplar: ExemplarSlot,
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Self {
        Counter { value: AtomicU64::new(0), created: AtomicU64::new(unique_nanos()), exemplar: ExemplarSlot::default() }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`. The counter wraps at `u64::MAX`, as an atomic does.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }

    /// The creation time (seconds since the Unix epoch), as OpenMetrics' `_created` shows it.
    pub fn created(&self) -> f64 {
        seconds(self.created.load(Ordering::Relaxed))
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
        self.created.store(unique_nanos(), Ordering::Relaxed);
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
        self.created.load(Ordering::Relaxed)
    }
}

/// A monotonically increasing float counter (for seconds, ratios, ...).
///
/// Note: a negative or NaN increment would make the counter go backwards or lose its value, so
/// [`inc_by`](Self::inc_by) rejects it: the counter is left unchanged and `false` is returned.
///
/// ```
/// use metrics_core::FloatCounter;
/// let c = FloatCounter::new();
/// assert!(c.inc_by(0.25));
/// assert!(!c.inc_by(-1.0));
/// assert!(!c.inc_by(f64::NAN));
/// assert_eq!(c.get(), 0.25);
/// ```
#[derive(Debug)]
pub struct FloatCounter {
    bits: AtomicU64,
    created: AtomicU64,
}

impl FloatCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        FloatCounter { bits: AtomicU64::new(0f64.to_bits()), created: AtomicU64::new(unique_nanos()) }
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
        add_f64(&self.bits, v);
        true
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
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
        self.created.store(unique_nanos(), Ordering::Relaxed);
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        let created = seconds(self.created.load(Ordering::Relaxed));
        e.sample(desc, labels, SampleValue::Counter { value: Number::F64(self.get()), created });
    }

    fn fingerprint(&self) -> u64 {
        self.bits.load(Ordering::Relaxed)
    }

    fn order(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}
