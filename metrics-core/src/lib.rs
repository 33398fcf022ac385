//! Metrics declared as plain annotated structs, rendered as Prometheus text, OpenMetrics and
//! JSON.
//!
//! An application declares its metrics as a struct and derives [`Metrics`](derive@Metrics):
//!
//! ```
//! use std::sync::LazyLock;
//! use metrics_core::{Counter, Family, Format, Gauge, Histogram, LabelSet, LabelValue, Metrics, Registry};
//!
//! #[derive(LabelValue)]
//! enum Method { Get, Post }
//!
//! #[derive(LabelSet)]
//! struct RouteLabels { route: String, method: Method }
//!
//! #[derive(Metrics)]
//! #[metrics(prefix = "app")]
//! struct AppMetrics {
//!     /// Number of active connections.
//!     connections: Gauge,
//!     /// Time spent handling a request.
//!     #[metric(unit = "seconds", buckets = [0.01, 0.1, 1.0])]
//!     request_duration: Family<RouteLabels, Histogram>,
//!     /// Messages delivered.
//!     #[metric(name = "messages_delivered")]
//!     delivered: Counter,
//! }
//!
//! static METRICS: LazyLock<AppMetrics> = LazyLock::new(AppMetrics::default);
//!
//! let registry = Registry::new();
//! registry.register(&METRICS).unwrap();
//! METRICS.connections.set(3);
//! METRICS.delivered.inc();
//! METRICS.request_duration.get_or_create(&RouteLabels { route: "/".into(), method: Method::Get }).observe(0.05);
//!
//! assert_eq!(registry.render(Format::Prometheus), r#"# HELP app_connections Number of active connections.
//! ## TYPE app_connections gauge
//! app_connections 3
//! ## HELP app_request_duration_seconds Time spent handling a request.
//! ## TYPE app_request_duration_seconds histogram
//! app_request_duration_seconds_bucket{route="/",method="get",le="0.01"} 0
//! app_request_duration_seconds_bucket{route="/",method="get",le="0.1"} 1
//! app_request_duration_seconds_bucket{route="/",method="get",le="1"} 1
//! app_request_duration_seconds_bucket{route="/",method="get",le="+Inf"} 1
//! app_request_duration_seconds_sum{route="/",method="get"} 0.05
//! app_request_duration_seconds_count{route="/",method="get"} 1
//! ## HELP app_messages_delivered_total Messages delivered.
//! ## TYPE app_messages_delivered_total counter
//! app_messages_delivered_total 1
//! "#);
//! ```
//!
//! Details:
//! - Each field is a [`Counter`], [`FloatCounter`], [`Gauge`], [`FloatGauge`], [`Histogram`],
//!   [`Summary`], [`Info`], [`GaugeFn`], [`CounterFn`] or a [`Family`] of one of the first six;
//!   the doc comment is the help text. The derive's attributes are documented on
//!   [`Metrics`](derive@Metrics).
//! - Definitions Prometheus would reject are compile errors pointing at the field: invalid or
//!   reserved names, `le` on a histogram, a counter already named `..._total`, two metrics whose
//!   samples collide, empty or unordered buckets, a missing help text, ...
//! - Families whose labels are all enums deriving [`LabelValue`](derive@LabelValue) keep their
//!   series in a dense array: an increment is an index computation and one atomic add.
//! - [`Registry::render`] writes [`Format::Prometheus`] (0.0.4), [`Format::OpenMetrics`] (1.0)
//!   or [`Format::Json`] (the shape of KumoMTA's `/metrics.json`); [`Registry::render_into`]
//!   appends to a reused buffer, and [`RenderOptions::with_prefix`] prefixes every name.
//! - [`Catalog`] renders every metric's description as Markdown or JSON.

mod catalog;
#[doc(hidden)]
pub mod check;
mod clock;
mod descriptor;
pub mod encoding;
mod family;
pub mod labels;
mod metric;
pub mod name;
mod registry;

pub use catalog::{Catalog, CatalogEntry};
pub use descriptor::{Descriptor, LabelDescriptor, MetricKind, MetricsInfo, MetricsItem};
pub use encoding::{Encoder, Format, InvalidPrefix, Number, RenderOptions, SampleValue};
pub use family::{Family, SeriesRef};
pub use labels::{LabelSet, LabelValue};
pub use metric::callback::{CounterFn, GaugeFn};
pub use metric::counter::{Counter, FloatCounter};
pub use metric::gauge::{FloatGauge, Gauge};
pub use metric::histogram::{Buckets, BucketsError, DEFAULT_BUCKETS, Histogram, HistogramTimer};
pub use metric::info::Info;
pub use metric::summary::{DEFAULT_MAX_AGE, DEFAULT_QUANTILES, Summary, SummaryError};
pub use metric::{Collect, Metric};
pub use registry::{DuplicateMetric, Registry};

pub use metrics_derive::{LabelSet, LabelValue, Metrics};

/// A set of metrics: what [`#[derive(Metrics)]`](derive@Metrics) implements for a struct, and
/// what a [`Registry`] holds.
///
/// Hand-written implementations (collectors reading `/proc`, say) describe their metrics in
/// [`INFO`](Self::INFO) and write them in [`encode`](Self::encode) in the same order.
pub trait Metrics: Send + Sync + 'static {
    /// The static description of every metric, in output order.
    const INFO: &'static MetricsInfo;

    /// Writes every metric family to the encoder.
    fn encode<E: Encoder>(&self, e: &mut E);
}

#[doc(hidden)]
pub mod __private {
    //! What generated code reaches through absolute paths. Not a public API.
    pub use crate::Metrics;
    pub use crate::check::{Msg, check_collisions, check_metric};
    pub use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind, MetricsInfo, MetricsItem};
    pub use crate::encoding::Encoder;
    pub use crate::labels::{LabelSet, LabelValue, LabelWriter, ValueSink, cardinality_product, values_or_empty};
    pub use crate::metric::Collect;
    pub use core::concat;
    pub use core::default::Default;
    pub use core::file;
    pub use core::hash::Hasher;
    pub use core::line;
    pub use core::module_path;
    pub use core::option::Option::{self, None, Some};
    pub use core::panic;
    pub use core::primitive::{bool, str, usize};
}
