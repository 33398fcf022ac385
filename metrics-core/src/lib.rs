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
//! - Values need no casts: `Gauge<usize>` is set from a length ([`IntValue`]), and
//!   [`FloatGauge`], [`Histogram`] and [`Summary`] take any number or a `Duration` in seconds
//!   ([`FloatValue`]).
//! - Definitions Prometheus would reject are compile errors pointing at the field: empty or
//!   reserved names, `le` on a histogram, a counter already named `..._total`, two metrics whose
//!   samples collide (as written or as an escaping scheme spells them: `http.requests` and
//!   `http_requests` for legacy scrapers, `a.b` and `a-dot-b` under `dots`), empty or unordered
//!   buckets, a missing help text, ... [`Registry`] refuses the same collisions between the
//!   structs it holds.
//! - Names written with `name`/`rename` may be any UTF-8 (`http.server.requests`): each scrape
//!   spells them as the scraper asks ([`RenderOptions::with_escaping`]): quoted in text 1.0.0
//!   and OpenMetrics for Prometheus 3, `underscores`-escaped for everyone else.
//! - Families whose labels are all enums deriving [`LabelValue`](derive@LabelValue) keep their
//!   series in a dense array, each in its own cache lines: an increment is an index computation
//!   and one atomic add. Other label sets live in a sharded map behind a per-thread cache;
//!   [`Family::with`] updates a series there without taking a handle's reference count.
//! - [`Registry::render`] writes [`Format::Prometheus`] (0.0.4), [`Format::OpenMetrics`] (1.0)
//!   or [`Format::Json`] (the shape of KumoMTA's `/metrics.json`); [`Registry::render_into`]
//!   appends to a reused buffer (and writes the binary [`Format::Protobuf`] too),
//!   [`RenderOptions::with_prefix`] prefixes every name and [`RenderOptions::with_created`]
//!   turns OpenMetrics' `_created` samples off.
//! - Histograms can have native (exponential) buckets ([`NativeBuckets`], the derive's
//!   `native`), and counters and histograms keep exemplars
//!   ([`Counter::inc_with_exemplar`], [`Histogram::observe_with_exemplar`]), written in
//!   OpenMetrics and protobuf.
//! - Metrics that are not a derived struct (created at run time, read from the system) are
//!   registered as a [`Collector`], and render in every format like derived ones.
//! - [`Catalog`] renders every metric's description as Markdown or JSON.
//!
//! | feature | what it adds |
//! |---|---|
//! | `metrics` | [`facade::Recorder`]: what libraries emit through the `metrics` crate's `counter!`, `gauge!` and `histogram!` lands in a [`Registry`] |

#![cfg_attr(docsrs, feature(doc_cfg))]

// Lets code generated by the derives inside this crate (its tests) name it as users do.
#[cfg(test)]
extern crate self as metrics_core;

mod catalog;
#[doc(hidden)]
pub mod check;
mod clock;
mod descriptor;
pub mod encoding;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod facade;
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
pub use encoding::{Collector, Encoder, Escaping, Format, InvalidPrefix, Number, RenderOptions, SampleValue};
pub use family::{Family, SeriesRef, SeriesTimer};
pub use labels::{LabelSet, LabelValue};
pub use metric::callback::{CounterFn, GaugeFn};
pub use metric::counter::{Counter, FloatCounter};
pub use metric::exemplar::{Exemplar, MAX_EXEMPLAR_CHARS, MAX_EXEMPLARS_PER_MS};
pub use metric::gauge::{FloatGauge, Gauge};
pub use metric::histogram::{Buckets, BucketsError, DEFAULT_BUCKETS, Histogram, HistogramTimer};
pub use metric::info::{AlreadySet, Info};
pub use metric::native::{NativeBuckets, NativeData, NativeError};
pub use metric::summary::{DEFAULT_MAX_AGE, DEFAULT_QUANTILES, Summary, SummaryError};
pub use metric::{Collect, FloatValue, IntValue, Metric, Metrics};
pub use registry::{DuplicateMetric, Registry};

/// Derives [`Metrics`](trait@Metrics) and `Default` for a struct of metrics.
///
/// Every field is a metric ([`Counter`], [`FloatCounter`], [`Gauge`], [`FloatGauge`],
/// [`Histogram`], [`Summary`], [`Info`], [`GaugeFn`], [`CounterFn`]), a [`Family`] of one, a
/// nested struct marked `flatten`, or a field marked `skip`. The field's doc comment is the help
/// text (lines joined with spaces). The generated `Default` builds histograms and summaries with
/// their declared buckets and quantiles, so `LazyLock::new(T::default)` is all a static needs.
/// Names are checked at compile time: every mistake is an error pointing at its token (see
/// `tests/ui` for each one). An attribute is read only where it belongs, and anywhere else is an
/// error rather than ignored: `#[metrics(...)]` (plural) on the struct, `#[metric(...)]`
/// (singular) on fields.
///
/// An [`Info`] field is exposed as `<name>_info` in every format, whether or not its name ends
/// in `_info` (OpenMetrics names the family without the suffix).
///
/// ```
/// # use metrics_core::{Catalog, Info, LabelSet, Metrics};
/// #[derive(LabelSet)]
/// struct Version {
///     /// The release, as in `1.2.0`.
///     version: String,
/// }
/// #[derive(Metrics)]
/// struct M {
///     /// Build information.
///     build: Info<Version>,
/// }
/// let catalog = Catalog::of::<M>();
/// assert_eq!(catalog.metrics[0].name, "build_info");
/// assert_eq!(catalog.metrics[0].labels[0].help, "The release, as in `1.2.0`.");
/// ```
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
/// Where `metrics_core` is, when it is re-exported under another path. `LabelSet` and
/// `LabelValue` types take it too, as `#[metrics(crate = "...")]`.
///
/// # Field attributes: `#[metric(...)]`
///
/// ## `name = "..."` (string)
/// The metric name instead of the field's name. Counters are named without `_total`: the
/// formats append it. Any non-empty UTF-8 string not starting with `__` is a name
/// (OpenTelemetry's `http.server.request.duration`): scrapers that take UTF-8 names get it
/// quoted, the others escaped (`http_server_request_duration`), and two names that one scraper
/// would see alike are a compile error. A name taken from the field must be legacy
/// (`[a-zA-Z_:][a-zA-Z0-9_:]*`), so that a UTF-8 name is always written on purpose.
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
/// ## `native` or `native(schema = N, max_buckets = N, zero_threshold = F)`
/// Gives a histogram (or a `Family` of histograms) native buckets, besides its classic ones when
/// `buckets` is given too, else alone. Each key is optional: `schema` in -4..=8 (default 3, a
/// bucket factor of about 1.09), `max_buckets` at least 1 (default 160; past it the resolution
/// halves), `zero_threshold` finite and not negative (default 2^-128). A bad value is a
/// compile error at it. Native buckets travel in [`Format::Protobuf`] only; the text formats
/// show the classic buckets (a single `+Inf` bucket without `buckets`). Without the derive:
/// [`Histogram::with_native`], [`Histogram::native`], [`Descriptor::with_native`].
///
/// ```
/// # use metrics_core::{Histogram, Metrics, Catalog, NativeBuckets};
/// #[derive(Metrics)]
/// struct M {
///     /// Handler latency.
///     #[metric(unit = "seconds", buckets = [0.1, 1.0], native(schema = 4, max_buckets = 100))]
///     latency: Histogram,
/// }
/// assert_eq!(Catalog::of::<M>().metrics[0].native, NativeBuckets::new(4, 100, 2f64.powi(-128)).ok());
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
/// (`String`, [`SmolStr`](labels::SmolStr), `&'static str`, `Arc<str>`, `Cow<'static, str>`,
/// integers, `bool`, or an enum deriving it; wrap a type of another crate in a newtype
/// implementing it). `SmolStr` keeps values of up to 23 bytes inside the series, with no heap
/// allocation of their own: the smallest series for short dynamic values. A field's doc
/// comment describes the label in the [`Catalog`]. When every field is an enum (or `bool`),
/// the family stores its series in a dense array. Equality, hashing and cloning are generated
/// too.
///
/// # Field attributes: `#[label(...)]`
///
/// ## `rename = "..."` (string)
/// The label name instead of the field's name: any non-empty UTF-8 string not starting with
/// `__` (`http.request.method`), spelled for each scraper as metric names are. Two label
/// names of one set that an escaping scheme spells alike are a compile error (`http.method`
/// and `http_method` under `underscores`, `a--b` and `a_b` under `dots`; see
/// [`name::first_clash`]).
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

#[doc(hidden)]
pub mod __private {
    //! What generated code reaches through absolute paths. Not a public API.
    pub use crate::Metrics;
    pub use crate::check::{NameEntry, check_item_names, check_kinds, check_metric, count_names, name_table};
    pub use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind, MetricsInfo, MetricsItem};
    pub use crate::encoding::Encoder;
    pub use crate::labels::{LabelSet, LabelValue, LabelWriter, ValueSink, cardinality_product, values_or_empty};
    pub use crate::metric::Collect;
    pub use crate::metric::native::NativeBuckets;
    pub use core::hash::Hasher;
    pub use core::option::Option::{self, None, Some};
    pub use core::primitive::{bool, str, u64, usize};
    pub use core::result::Result;
}
