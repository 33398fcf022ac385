//! Gauges: values that go up and down.

use crate::sync::{AtomicI64, AtomicU64, Ordering};

use crate::clock::unique_nanos;
use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::{Encoder, Number, SampleValue};
use crate::labels::EncodeLabels;
use crate::metric::Metric;
use crate::metric::counter::add_f64;

/// An integer gauge.
///
/// ```
/// use metrics_core::Gauge;
/// let g = Gauge::new();
/// g.set(10);
/// g.inc();
/// g.dec();
/// g.add(-3);
/// assert_eq!(g.get(), 7);
/// ```
#[derive(Debug)]
pub struct Gauge {
    value: AtomicI64,
    created: AtomicU64,
}

impl Gauge {
    /// A gauge at zero.
    pub fn new() -> Self {
        Gauge { value: AtomicI64::new(0), created: AtomicU64::new(unique_nanos()) }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: i64) {
        self.value.store(v, Ordering::Relaxed);
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

    /// Adds `v` (which may be negative).
    #[inline]
    pub fn add(&self, v: i64) {
        self.value.fetch_add(v, Ordering::Relaxed);
    }

    /// Subtracts `v`.
    #[inline]
    pub fn sub(&self, v: i64) {
        self.value.fetch_sub(v, Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Default for Gauge {
    fn default() -> Self {
        Self::new()
    }
}

impl Metric for Gauge {
    const KIND: MetricKind = MetricKind::Gauge;

    fn from_descriptor(_: &Descriptor) -> Self {
        Self::new()
    }

    fn reset(&self) {
        self.set(0);
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        e.sample(desc, labels, SampleValue::Gauge(Number::I64(self.get())));
    }

    fn fingerprint(&self) -> u64 {
        self.get() as u64
    }

    fn order(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}

/// A float gauge.
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
    pub fn set(&self, v: f64) {
        self.bits.store(v.to_bits(), Ordering::Relaxed);
    }

    /// Adds `v`.
    pub fn add(&self, v: f64) {
        add_f64(&self.bits, v);
    }

    /// Subtracts `v`.
    pub fn sub(&self, v: f64) {
        add_f64(&self.bits, -v);
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
