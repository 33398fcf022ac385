//! The metric types, one per file, and the traits that let families and derived structs hold
//! them.

pub(crate) mod bounds;
pub(crate) mod callback;
pub(crate) mod counter;
pub(crate) mod exemplar;
pub(crate) mod gauge;
pub(crate) mod histogram;
pub(crate) mod info;
pub(crate) mod native;
pub(crate) mod summary;

use std::time::Duration;

use crate::sync::{AtomicU64, Ordering};

use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind, MetricsInfo};
use crate::encoding::{Encoder, Number};
use crate::labels::EncodeLabels;

/// The type of an integer [`Gauge`](crate::Gauge)'s value: `Gauge<usize>` is set from a
/// length and `Gauge<u32>` from a count without casts; a plain `Gauge` is `Gauge<i64>`.
///
/// The value is kept in an `i64` cell with two's-complement arithmetic, so `u64` and `usize`
/// values keep every bit and print exactly; an unsigned gauge taken below zero wraps, as its
/// type does.
///
/// ```
/// use metrics_core::{Format, Gauge, Metrics, Registry};
/// #[derive(Metrics)]
/// struct M {
///     /// Messages waiting.
///     queue_len: Gauge<usize>,
///     /// Free descriptors.
///     free_fds: Gauge<u32>,
/// }
/// let m = std::sync::Arc::new(M::default());
/// let queue = vec!["a", "b", "c"];
/// m.queue_len.set(queue.len());
/// m.queue_len.dec();
/// m.free_fds.set(u32::MAX);
/// assert_eq!(m.queue_len.get(), 2usize);
/// let registry = Registry::new();
/// registry.register_arc(m.clone()).unwrap();
/// assert!(registry.render(Format::Prometheus).contains("\nqueue_len 2\n"));
/// assert!(registry.render(Format::Prometheus).contains("\nfree_fds 4294967295\n"));
/// ```
pub trait IntValue: Copy + Send + Sync + 'static {
    /// The value as the cell stores it (`as i64`: every bit of a `u64` is kept).
    fn to_i64(self) -> i64;
    /// The value back from the cell (`as Self`).
    fn from_i64(v: i64) -> Self;
    /// The value from the cell as the formats print it (unsigned types as unsigned).
    fn number(v: i64) -> Number;
}

macro_rules! int_value {
    ($variant:ident as $wide:ty: $($t:ty),*) => {$(
        impl IntValue for $t {
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn number(v: i64) -> Number {
                Number::$variant(v as $t as $wide)
            }
        }
    )*};
}
int_value!(I64 as i64: i8, i16, i32, i64, isize);
int_value!(U64 as u64: u8, u16, u32, u64, usize);

/// A value a [`FloatGauge`](crate::FloatGauge) is set to or changed by, or that a
/// [`Histogram`](crate::Histogram) or a [`Summary`](crate::Summary) observes: any primitive
/// number, or a [`Duration`] in seconds (the base unit Prometheus names expect).
///
/// A bare float literal is an `f64` and a bare integer literal an `i32`, as without the trait.
/// Integers above 2^53 lose precision, as `as f64` does.
///
/// ```
/// use std::time::Duration;
/// use metrics_core::{FloatGauge, Histogram};
/// let g = FloatGauge::new();
/// g.set(Duration::from_millis(1500));
/// assert_eq!(g.get(), 1.5);
/// g.add(2u32);
/// g.set(0.25f32);
/// assert_eq!(g.get(), 0.25);
///
/// let h = Histogram::default();
/// h.observe(Duration::from_millis(20));
/// h.observe(0.5);
/// h.observe(3usize);
/// assert_eq!(h.sum(), 3.52);
/// ```
pub trait FloatValue: Copy {
    /// The value as an `f64`.
    fn to_f64(self) -> f64;
}

macro_rules! float_value {
    ($($t:ty),*) => {$(
        impl FloatValue for $t {
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}
float_value!(f32, f64, i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl FloatValue for Duration {
    /// The duration in seconds.
    #[inline]
    fn to_f64(self) -> f64 {
        self.as_secs_f64()
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

/// A set of metrics: what [`#[derive(Metrics)]`](derive@crate::Metrics) implements for a struct, and
/// what a [`Registry`](crate::Registry) holds.
///
/// Hand-written implementations (collectors reading `/proc`, say) describe their metrics in
/// [`INFO`](Self::INFO) and write them in [`encode`](Self::encode) in the same order. Every
/// `Metrics` type is a [`Collector`](crate::encoding::Collector); metrics whose descriptions are only known at run time
/// implement [`Collector`](crate::encoding::Collector) instead.
pub trait Metrics: Send + Sync + 'static {
    /// The static description of every metric, in output order.
    const INFO: &'static MetricsInfo;

    /// Writes every metric family to the encoder.
    fn encode<E: Encoder>(&self, e: &mut E);
}

/// A metric that can be one series of a [`Family`](crate::Family).
pub trait Metric: Send + Sync + 'static {
    /// The type of the family it makes.
    const KIND: MetricKind;

    /// A new metric configured by the descriptor (buckets, quantiles, window).
    fn from_descriptor(desc: &Descriptor) -> Self
    where
        Self: Sized;

    /// Resets the metric to its initial state (used when a dense family removes a series).
    fn reset(&self);

    /// Writes the metric's one series with the given labels.
    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E);

    /// A value that changes whenever the metric is updated: used to expire idle series without
    /// any cost on the update path.
    fn fingerprint(&self) -> u64;

    /// The metric's creation stamp (nanoseconds since the Unix epoch, unique in the process):
    /// dynamic families render their series in this order.
    fn order(&self) -> u64;
}

/// A field of a struct deriving [`Metrics`](crate::Metrics): a metric, a family, an info or a
/// callback metric.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a metric type",
    label = "not a metric, a `Family`, or a `#[metric(flatten)]` struct",
    note = "fields of a `#[derive(Metrics)]` struct are `Counter`, `Gauge`, `Histogram`, `Summary`, `Info`, `GaugeFn`, `CounterFn`, their float forms, or `Family<Labels, Metric>`; mark other fields `#[metric(skip)]`"
)]
pub trait Collect: Send + Sync + 'static {
    /// The type of the family.
    const KIND: MetricKind;
    /// The labels of the family (empty for an unlabelled metric).
    const LABELS: &'static [LabelDescriptor];
    /// Whether it is a [`Family`](crate::Family) (which accepts a series `limit`).
    const IS_FAMILY: bool;

    /// Builds the field as its descriptor says (buckets, quantiles, limit).
    fn from_descriptor(desc: &'static Descriptor) -> Self
    where
        Self: Sized;

    /// Writes the whole family: metadata and every series.
    fn collect<E: Encoder>(&self, desc: &'static Descriptor, e: &mut E);
}

/// Every plain metric is a family of one unlabelled series.
macro_rules! unlabelled_collect {
    ($($t:ty),*) => {$(
        impl Collect for $t {
            const KIND: MetricKind = <$t as Metric>::KIND;
            const LABELS: &'static [LabelDescriptor] = &[];
            const IS_FAMILY: bool = false;
            fn from_descriptor(desc: &'static Descriptor) -> Self {
                <$t as Metric>::from_descriptor(desc)
            }
            fn collect<E: Encoder>(&self, desc: &'static Descriptor, e: &mut E) {
                e.begin_family(desc);
                self.encode(desc, &(), e);
                e.end_family(desc);
            }
        }
    )*};
}
unlabelled_collect!(counter::Counter, counter::FloatCounter, gauge::FloatGauge, histogram::Histogram, summary::Summary);

impl<V: IntValue> Collect for gauge::Gauge<V> {
    const KIND: MetricKind = MetricKind::Gauge;
    const LABELS: &'static [LabelDescriptor] = &[];
    const IS_FAMILY: bool = false;
    fn from_descriptor(desc: &'static Descriptor) -> Self {
        <Self as Metric>::from_descriptor(desc)
    }
    fn collect<E: Encoder>(&self, desc: &'static Descriptor, e: &mut E) {
        e.begin_family(desc);
        self.encode(desc, &(), e);
        e.end_family(desc);
    }
}
