//! The metric types, one per file, and the traits that let families and derived structs hold
//! them.

pub(crate) mod bounds;
pub(crate) mod callback;
pub(crate) mod counter;
pub(crate) mod gauge;
pub(crate) mod histogram;
pub(crate) mod info;
pub(crate) mod summary;

use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind};
use crate::encoding::Encoder;
use crate::labels::EncodeLabels;

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
unlabelled_collect!(
    counter::Counter,
    counter::FloatCounter,
    gauge::Gauge,
    gauge::FloatGauge,
    histogram::Histogram,
    summary::Summary
);
