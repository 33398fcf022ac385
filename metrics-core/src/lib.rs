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
#[cfg(all(test, loom))]
mod loom_tests;
mod metric;
pub mod name;
mod registry;
mod sync;

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

/// Derives [`Metrics`](trait@Metrics) and `Default` for a struct of metrics.
///
/// Every field is a metric ([`Counter`], [`FloatCounter`], [`Gauge`], [`FloatGauge`],
/// [`Histogram`], [`Summary`], [`Info`], [`GaugeFn`], [`CounterFn`]), a [`Family`] of one, a
/// nested struct marked `flatten`, or a field marked `skip`. The field's doc comment is the help
/// text (lines joined with spaces). The generated `Default` builds histograms and summaries with
/// their declared buckets and quantiles, so `LazyLock::new(T::default)` is all a static needs.
/// Names are checked at compile time: every mistake is an error pointing at its token (see
/// `tests/ui` for each one).
///
/// # Container attributes: `#[metrics(...)]`
///
/// ## `prefix = "..."` (string)
/// Prepended to every metric name of the struct with `_`. Flattened structs keep their own
/// prefix.
///
/// ```
/// # use metrics_core::{Counter, Metrics, Catalog};
/// #[derive(Metrics)]
/// #[metrics(prefix = "mta")]
/// struct M {
///     /// Messages delivered.
///     delivered: Counter,
/// }
/// assert_eq!(Catalog::of::<M>().metrics[0].name, "mta_delivered_total");
/// ```
///
/// ## `crate = "..."` (path as a string)
/// Where `metrics_core` is, when it is re-exported under another path.
///
/// # Field attributes: `#[metric(...)]`
///
/// ## `name = "..."` (string)
/// The metric name instead of the field's name. Counters are named without `_total`: the
/// formats append it.
///
/// ## `help = "..."` (string)
/// The help text instead of the doc comment. A metric without either is a compile error.
///
/// ## `unit = "..."` (string)
/// A base unit (`seconds`, `bytes`, ...), appended to the name and written as OpenMetrics'
/// `# UNIT`. Writing it in the name as well is an error.
///
/// ```
/// # use metrics_core::{Histogram, Metrics, Catalog};
/// #[derive(Metrics)]
/// struct M {
///     /// Time spent handling a request.
///     #[metric(unit = "seconds")]
///     request_duration: Histogram,
/// }
/// assert_eq!(Catalog::of::<M>().metrics[0].name, "request_duration_seconds");
/// ```
///
/// ## `buckets = [..]`, `buckets = exponential(start, factor, count)`, `buckets = linear(start, width, count)`
/// Histogram bucket bounds (`+Inf` implied), checked at compile time: not empty, finite,
/// strictly increasing. Without it, [`DEFAULT_BUCKETS`].
///
/// ```
/// # use metrics_core::{Histogram, Metrics, Catalog};
/// #[derive(Metrics)]
/// struct M {
///     /// Handler latency.
///     #[metric(unit = "seconds", buckets = exponential(0.001, 2.0, 15))]
///     latency: Histogram,
/// }
/// assert_eq!(Catalog::of::<M>().metrics[0].buckets.last(), Some(&16.384));
/// ```
///
/// ## `quantiles = [..]` (numbers in [0, 1]) and `max_age = 600` or `max_age = "10m"` (seconds, or `s`/`m`/`h`)
/// A summary's quantiles and sliding window. Without them, [`DEFAULT_QUANTILES`] over
/// [`DEFAULT_MAX_AGE`].
///
/// ```
/// # use metrics_core::{Summary, Metrics, Catalog};
/// #[derive(Metrics)]
/// struct M {
///     /// Pause durations.
///     #[metric(unit = "seconds", quantiles = [0.0, 0.5, 1.0], max_age = "5m")]
///     pause: Summary,
/// }
/// assert_eq!(Catalog::of::<M>().metrics[0].quantiles, &[0.0, 0.5, 1.0]);
/// ```
///
/// ## `limit = 1000` (integer)
/// The most series a [`Family`] holds; past it updates go to one visible overflow series.
///
/// ## `legacy_name` (flag)
/// Keeps a counter's name exactly as written in Prometheus text, without `_total`, for
/// dashboards built on a legacy name such as KumoMTA's `total_messages_delivered`. The
/// trade-off: promtool reports the name, and OpenMetrics still suffixes the samples with
/// `_total` as its specification requires (serve Prometheus text only to keep the name there
/// too: [`metrics_http::ExporterBuilder::openmetrics`]).
///
/// ```
/// # use metrics_core::{Counter, Metrics, Catalog};
/// #[derive(Metrics)]
/// struct M {
///     /// total number of messages ever delivered
///     #[metric(legacy_name)]
///     total_messages_delivered: Counter,
/// }
/// assert_eq!(Catalog::of::<M>().metrics[0].name, "total_messages_delivered");
/// ```
///
/// ## `flatten` (flag)
/// Inlines a nested `Metrics` struct. Sample names must stay distinct across it.
///
/// ## `skip` (flag)
/// A field that is not a metric; it is built with `Default`.
///
/// [`metrics_http::ExporterBuilder::openmetrics`]: https://docs.rs/metrics-http
pub use metrics_derive::Metrics;

/// Derives [`LabelSet`](trait@LabelSet) for a struct whose fields are label values.
///
/// Each field is a label named after the field; its type is a [`LabelValue`](trait@LabelValue)
/// (`String`, `&'static str`, `Arc<str>`, `Cow<'static, str>`, integers, `bool`, or an enum
/// deriving it). When every field is an enum (or `bool`), the family stores its series in a
/// dense array. Equality, hashing and cloning are generated too.
///
/// # Field attributes: `#[label(...)]`
///
/// ## `rename = "..."` (string)
/// The label name instead of the field's name.
///
/// ## `skip` (flag)
/// Not a label: not part of the series' identity, built with `Default` when the family copies
/// the label set.
///
/// ```
/// use metrics_core::{LabelSet, LabelDescriptor};
/// #[derive(LabelSet)]
/// struct Route {
///     route: String,
///     #[label(rename = "status")]
///     code: u16,
/// }
/// assert_eq!(<Route as LabelSet>::LABELS.iter().map(|l| l.name).collect::<Vec<_>>(), ["route", "status"]);
/// ```
pub use metrics_derive::LabelSet;

/// Derives [`LabelValue`](trait@LabelValue) for an enum of unit variants: a fixed-cardinality
/// label whose values are the variant names in `snake_case`.
///
/// # Container attribute: `#[label(rename_all = "...")]`
/// One of `snake_case` (the default), `lowercase`, `UPPERCASE`, `SCREAMING_SNAKE_CASE`,
/// `kebab-case`, `camelCase`, `PascalCase`.
///
/// # Variant attribute: `#[label(rename = "...")]`
/// The value of one variant. Two variants rendering to the same value are a compile error.
///
/// ```
/// use metrics_core::LabelValue;
/// #[derive(LabelValue)]
/// #[label(rename_all = "UPPERCASE")]
/// enum Method {
///     Get,
///     #[label(rename = "POST")]
///     Post,
///     PropFind,
/// }
/// assert_eq!(<Method as LabelValue>::VALUES, Some(&["GET", "POST", "PROPFIND"][..]));
/// ```
pub use metrics_derive::LabelValue;

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
