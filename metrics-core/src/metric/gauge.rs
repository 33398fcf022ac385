//! Gauges: values that go up and down.

use std::fmt;
use std::marker::PhantomData;

use crate::sync::{AtomicI64, AtomicU64, Ordering};

use crate::clock::unique_nanos;
use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::{Encoder, Number, SampleValue};
use crate::labels::EncodeLabels;
use crate::metric::{FloatValue, IntValue, Metric, add_f64};

/// An integer gauge: `Gauge` holds an `i64`; `Gauge<usize>`, `Gauge<u32>`, `Gauge<i32>`, ...
/// take and return their own type, so lengths and counts need no cast (see [`IntValue`]).
///
/// ```
/// use metrics_core::Gauge;
/// let g = Gauge::new();
/// g.set(10);
/// g.inc();
/// g.dec();
/// g.add(-3);
/// assert_eq!(g.get(), 7);
///
/// let connections: Gauge<usize> = Gauge::default();
/// connections.set(vec![(); 3].len());
/// connections.sub(1);
/// assert_eq!(connections.get(), 2usize);
/// ```
pub struct Gauge<V: IntValue = i64> {
    value: AtomicI64,
    created: AtomicU64,
    _value: PhantomData<fn() -> V>,
}

impl Gauge {
    /// A gauge at zero (`Gauge<V>::default()` for other value types).
    pub fn new() -> Self {
        Self::zero()
    }
}

impl<V: IntValue> Gauge<V> {
    fn zero() -> Self {
        Gauge { value: AtomicI64::new(0), created: AtomicU64::new(unique_nanos()), _value: PhantomData }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: V) {
        self.value.store(v.to_i64(), Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.value.fetch_sub(1, Ordering::Relaxed);
    }

    /// Adds `v` (which may be negative, for signed value types).
    #[inline]
    pub fn add(&self, v: V) {
        self.value.fetch_add(v.to_i64(), Ordering::Relaxed);
    }

    /// Subtracts `v`.
    #[inline]
    pub fn sub(&self, v: V) {
        self.value.fetch_sub(v.to_i64(), Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> V {
        V::from_i64(self.value.load(Ordering::Relaxed))
    }
}

impl<V: IntValue> Default for Gauge<V> {
    fn default() -> Self {
        Self::zero()
    }
}

impl<V: IntValue> fmt::Debug for Gauge<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gauge").field("value", &V::number(self.value.load(Ordering::Relaxed))).finish()
    }
}

impl<V: IntValue> Metric for Gauge<V> {
    const KIND: MetricKind = MetricKind::Gauge;

    fn from_descriptor(_: &Descriptor) -> Self {
        Self::zero()
    }

    fn reset(&self) {
        self.value.store(0, Ordering::Relaxed);
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        e.sample(desc, labels, SampleValue::Gauge(V::number(self.value.load(Ordering::Relaxed))));
    }

    fn fingerprint(&self) -> u64 {
        self.value.load(Ordering::Relaxed) as u64
    }

    fn order(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}

/// A float gauge. It is set and changed by any number, or a `Duration` in seconds (see
/// [`FloatValue`]).
///
/// ```
/// use metrics_core::FloatGauge;
/// let g = FloatGauge::new();
/// g.set(0.5);
/// g.add(0.25);
/// g.sub(1.0);
/// assert_eq!(g.get(), -0.25);
/// ```
#[derive(Debug)]
pub struct FloatGauge {
    bits: AtomicU64,
    created: AtomicU64,
}

impl FloatGauge {
    /// A gauge at zero.
    pub fn new() -> Self {
        FloatGauge { bits: AtomicU64::new(0), created: AtomicU64::new(unique_nanos()) }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: impl FloatValue) {
        self.bits.store(v.to_f64().to_bits(), Ordering::Relaxed);
    }

    /// Adds `v`.
    #[inline]
    pub fn add(&self, v: impl FloatValue) {
        add_f64(&self.bits, v.to_f64());
    }

    /// Subtracts `v`.
    #[inline]
    pub fn sub(&self, v: impl FloatValue) {
        add_f64(&self.bits, -v.to_f64());
    }

    /// Adds one.
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.bits.load(Ordering::Relaxed))
    }
}

impl Default for FloatGauge {
    fn default() -> Self {
        Self::new()
    }
}

impl Metric for FloatGauge {
    const KIND: MetricKind = MetricKind::Gauge;

    fn from_descriptor(_: &Descriptor) -> Self {
        Self::new()
    }

    fn reset(&self) {
        self.set(0.0);
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        e.sample(desc, labels, SampleValue::Gauge(Number::F64(self.get())));
    }

    fn fingerprint(&self) -> u64 {
        self.bits.load(Ordering::Relaxed)
    }

    fn order(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}
