//! The encoder interface that metrics write to, and the formats that implement it.
//!
//! Metrics never see the output format: a family calls [`Encoder::sample`] once per series with
//! its labels and a [`SampleValue`]; each format turns that into text. A registry holds
//! [`Collector`]s and hands each one the encoder of the format asked for ([`FormatEncoder`]), so
//! adding a format touches only this module.

pub(crate) mod collector;
pub(crate) mod json;
pub(crate) mod number;
pub(crate) mod openmetrics;
pub(crate) mod prometheus;
pub(crate) mod protobuf;
pub(crate) mod text;
pub(crate) mod visit;

pub use collector::{Collector, DynCollector, FormatEncoder};
pub use json::JsonEncoder;
pub use openmetrics::OpenMetricsEncoder;
pub use prometheus::PrometheusEncoder;
pub use protobuf::ProtobufEncoder;
pub use visit::{SampleLabels, SampleVisitor, write_prometheus_float};

use crate::sync::{AtomicU64, Ordering};

use crate::descriptor::Descriptor;
use crate::labels::EncodeLabels;
pub use crate::metric::exemplar::{Exemplar, Exemplars};

/// An output format of the [`Registry`](crate::Registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Prometheus text exposition format 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
    /// The JSON shape of KumoMTA's `/metrics.json`.
    Json,
    /// The Prometheus protobuf exposition format (delimited `io.prometheus.client.MetricFamily`
    /// messages), the only format that carries native histogram buckets. It is binary: render
    /// it with [`Registry::render_into`](crate::Registry::render_into).
    Protobuf,
}

impl Format {
    /// The exact `Content-Type` of the format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Json => "application/json",
            Format::Protobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            }
        }
    }
}

/// A numeric sample value, kept in the type the metric stores so that integers print exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An unsigned integer (integer counters).
    U64(u64),
    /// A signed integer (integer gauges).
    I64(i64),
    /// A float.
    F64(f64),
}

impl Number {
    /// The value as a float (lossy beyond 2^53).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::U64(v) => v as f64,
            Number::I64(v) => v as f64,
            Number::F64(v) => v,
        }
    }
}

macro_rules! number_from {
    ($($t:ty => $v:ident as $as:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Self {
                Number::$v(v as $as)
            }
        }
    )*};
}
number_from!(u8 => U64 as u64, u16 => U64 as u64, u32 => U64 as u64, u64 => U64 as u64, usize => U64 as u64,
    i8 => I64 as i64, i16 => I64 as i64, i32 => I64 as i64, i64 => I64 as i64, isize => I64 as i64,
    f32 => F64 as f64, f64 => F64 as f64);

impl From<bool> for Number {
    fn from(v: bool) -> Self {
        Number::U64(v as u64)
    }
}

/// A histogram as one scrape sees it. Bucket counts are stored per bucket (not cumulated) and
/// read once each, so the cumulated `+Inf` bucket always equals the count: no scrape can show a
/// torn histogram.
#[derive(Debug, Clone, Copy)]
pub struct HistogramData<'a> {
    /// Upper bounds, without `+Inf`.
    pub(crate) bounds: &'a [f64],
    /// One count per bound, then the `+Inf` overflow count.
    pub(crate) counts: &'a [AtomicU64],
    /// The sum of observations.
    pub sum: f64,
    /// Creation time, seconds since the Unix epoch.
    pub created: f64,
    /// The native buckets, when the histogram has them (read in the same snapshot as the
    /// classic counts).
    pub(crate) native: Option<&'a crate::metric::native::NativeData>,
}

impl<'a> HistogramData<'a> {
    /// The upper bounds, without `+Inf`.
    pub fn bounds(&self) -> &'a [f64] {
        self.bounds
    }

    /// The native buckets, when the histogram has them.
    pub fn native(&self) -> Option<&'a crate::metric::native::NativeData> {
        self.native
    }

    /// Calls `f(upper_bound, cumulative_count)` for every bucket, `+Inf` last, and returns the
    /// total count (equal to the `+Inf` bucket).
    pub fn for_each_bucket(&self, mut f: impl FnMut(usize, f64, u64)) -> u64 {
        let mut total = 0u64;
        for (i, c) in self.counts.iter().enumerate() {
            total = total.wrapping_add(c.load(Ordering::Relaxed));
            let bound = self.bounds.get(i).copied().unwrap_or(f64::INFINITY);
            f(i, bound, total);
        }
        total
    }
}

/// A summary as one scrape sees it.
#[derive(Debug, Clone, Copy)]
pub struct SummaryData<'a> {
    /// `(quantile, value)` pairs; the value is NaN when the window holds no observation.
    pub quantiles: &'a [(f64, f64)],
    /// The sum of all observations.
    pub sum: f64,
    /// The count of all observations.
    pub count: u64,
    /// Creation time, seconds since the Unix epoch.
    pub created: f64,
}

/// The value of one series, handed by a metric to the encoder.
#[derive(Debug, Clone, Copy)]
pub enum SampleValue<'a> {
    /// A counter value and its creation time (seconds since the Unix epoch).
    Counter {
        /// The value.
        value: Number,
        /// Creation time, seconds since the Unix epoch.
        created: f64,
    },
    /// A gauge value.
    Gauge(Number),
    /// A histogram.
    Histogram(HistogramData<'a>),
    /// A summary.
    Summary(SummaryData<'a>),
    /// An info series (value 1).
    Info,
}

/// What every output format implements. Families call it; they never see the format.
pub trait Encoder {
    /// Starts a family: writes its metadata.
    fn begin_family(&mut self, desc: &Descriptor);
    /// Writes one series of the current family.
    fn sample<L: EncodeLabels + ?Sized>(&mut self, desc: &Descriptor, labels: &L, value: SampleValue<'_>);
    /// Writes one series of the current family with its exemplars. The formats that carry
    /// exemplars (OpenMetrics, protobuf) override it; the others write the series alone.
    fn sample_with_exemplars<L: EncodeLabels + ?Sized>(
        &mut self,
        desc: &Descriptor,
        labels: &L,
        value: SampleValue<'_>,
        exemplars: &Exemplars<'_>,
    ) {
        let _ = exemplars;
        self.sample(desc, labels, value)
    }
    /// Ends the current family.
    fn end_family(&mut self, desc: &Descriptor);
}

/// Options of one rendering: the format, a prefix for every sample name, how names outside the
/// legacy set are spelled, and whether OpenMetrics carries `_created` samples.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions<'a> {
    pub(crate) format: Format,
    pub(crate) prefix: &'a str,
    pub(crate) created: bool,
    pub(crate) escaping: Escaping,
}

pub use crate::name::{Escaping, InvalidPrefix};

impl<'a> RenderOptions<'a> {
    /// Options for `format`, without a prefix.
    pub const fn new(format: Format) -> Self {
        RenderOptions { format, prefix: "", created: true, escaping: Escaping::Underscores }
    }

    /// How the text formats spell metric and label names outside the legacy set
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` (by default `underscores`, what a scraper that names no
    /// scheme gets). With [`Escaping::AllowUtf8`], Prometheus text becomes text 1.0.0 and both
    /// text formats quote such names; the other schemes escape the full exposed name, prefix
    /// and suffixes included. JSON keeps names as declared whatever the scheme.
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use metrics_core::{Counter, Escaping, Format, Metrics, Registry, RenderOptions};
    ///
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Requests served.
    ///     #[metric(name = "http.server.requests")]
    ///     requests: Counter,
    /// }
    /// static METRICS: LazyLock<M> = LazyLock::new(M::default);
    /// let registry = Registry::new();
    /// registry.register(&METRICS).unwrap();
    /// let render = |opts: RenderOptions<'_>| {
    ///     let mut out = Vec::new();
    ///     registry.render_into(&opts, &mut out);
    ///     String::from_utf8(out).unwrap()
    /// };
    ///
    /// let utf8 = RenderOptions::new(Format::Prometheus).with_escaping(Escaping::AllowUtf8);
    /// assert_eq!(utf8.content_type(), "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
    /// assert_eq!(
    ///     render(utf8).lines().collect::<Vec<_>>(),
    ///     [
    ///         r#"# HELP "http.server.requests_total" Requests served."#,
    ///         r#"# TYPE "http.server.requests_total" counter"#,
    ///         r#"{"http.server.requests_total"} 0"#,
    ///     ]
    /// );
    /// // No scheme named: `underscores`, after the prefix.
    /// let legacy = RenderOptions::new(Format::Prometheus).with_prefix("app_").unwrap();
    /// assert_eq!(legacy.content_type(), "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    /// assert_eq!(
    ///     render(legacy).lines().collect::<Vec<_>>(),
    ///     [
    ///         "# HELP app_http_server_requests_total Requests served.",
    ///         "# TYPE app_http_server_requests_total counter",
    ///         "app_http_server_requests_total 0",
    ///     ]
    /// );
    /// assert_eq!(registry.render(Format::Json), r#"{"http.server.requests_total":{"help":"Requests served.","type":"counter","value":0.0}}"#);
    /// ```
    ///
    /// The four schemes on one name ([`name::escape_metric_name`](crate::name::escape_metric_name)
    /// spells a name alone, [`name::escape_label_name`](crate::name::escape_label_name) a label
    /// name):
    ///
    /// ```
    /// use metrics_core::name::{Escaping, escape_label_name, escape_metric_name};
    /// let n = "http.server.requests_total";
    /// assert_eq!(escape_metric_name(n, Escaping::AllowUtf8), "http.server.requests_total");
    /// assert_eq!(escape_metric_name(n, Escaping::Underscores), "http_server_requests_total");
    /// assert_eq!(escape_metric_name(n, Escaping::Dots), "http_dot_server_dot_requests__total");
    /// assert_eq!(escape_metric_name(n, Escaping::Values), "U__http_2e_server_2e_requests__total");
    /// // A legacy name is left alone, but by `dots`, which doubles its underscores.
    /// assert_eq!(escape_metric_name("requests_total", Escaping::Values), "requests_total");
    /// assert_eq!(escape_metric_name("requests_total", Escaping::Dots), "requests__total");
    /// // Label names have no `:`.
    /// assert_eq!(escape_label_name("k8s:pod", Escaping::Underscores), "k8s_pod");
    /// ```
    pub const fn with_escaping(mut self, escaping: Escaping) -> Self {
        self.escaping = escaping;
        self
    }

    /// How names outside the legacy set are spelled (see [`with_escaping`](Self::with_escaping)).
    pub const fn escaping(&self) -> Escaping {
        self.escaping
    }

    /// The exact `Content-Type` of a rendering with these options: the format, its version
    /// (text 1.0.0 when names may be quoted, 0.0.4 otherwise) and the escaping scheme.
    pub const fn content_type(&self) -> &'static str {
        match (self.format, self.escaping) {
            (Format::Protobuf, Escaping::AllowUtf8) => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=allow-utf-8"
            }
            (Format::Protobuf, Escaping::Underscores) => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores"
            }
            (Format::Protobuf, Escaping::Dots) => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=dots"
            }
            (Format::Protobuf, Escaping::Values) => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=values"
            }
            (Format::Prometheus, Escaping::AllowUtf8) => {
                "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
            }
            (Format::Prometheus, Escaping::Underscores) => {
                "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"
            }
            (Format::Prometheus, Escaping::Dots) => "text/plain; version=0.0.4; charset=utf-8; escaping=dots",
            (Format::Prometheus, Escaping::Values) => "text/plain; version=0.0.4; charset=utf-8; escaping=values",
            (Format::OpenMetrics, Escaping::AllowUtf8) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
            }
            (Format::OpenMetrics, Escaping::Underscores) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
            }
            (Format::OpenMetrics, Escaping::Dots) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=dots"
            }
            (Format::OpenMetrics, Escaping::Values) => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=values"
            }
            (Format::Json, _) => "application/json",
        }
    }

    /// Whether OpenMetrics output has the `_created` samples of counters, histograms and
    /// summaries (the default, `true`). They are optional in OpenMetrics; leaving them out makes
    /// the exposition smaller, and spares Prometheus (which stores each as a series unless
    /// `created-timestamp-zero-ingestion` is on) a series per counter. The other formats never
    /// write them.
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use metrics_core::{Counter, Format, Metrics, Registry, RenderOptions};
    ///
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Jobs run.
    ///     jobs: Counter,
    /// }
    /// static METRICS: LazyLock<M> = LazyLock::new(M::default);
    /// let registry = Registry::new();
    /// registry.register(&METRICS).unwrap();
    ///
    /// let mut out = Vec::new();
    /// registry.render_into(&RenderOptions::new(Format::OpenMetrics).with_created(false), &mut out);
    /// assert_eq!(String::from_utf8(out).unwrap(), "# TYPE jobs counter\n# HELP jobs Jobs run.\njobs_total 0\n# EOF\n");
    /// ```
    pub const fn with_created(mut self, created: bool) -> Self {
        self.created = created;
        self
    }

    /// Whether OpenMetrics output has `_created` samples (see [`with_created`](Self::with_created)).
    pub const fn created(&self) -> bool {
        self.created
    }

    /// Writes `prefix` before every metric name (`_bucket`, `_sum`, `_count` and `_created`
    /// samples included), as KumoMTA's `?prefix=`. It may be any UTF-8 string but one starting
    /// with `__` (which would make every name reserved): the prefix is written first, then the
    /// whole name escaped for the scheme of [`with_escaping`](Self::with_escaping) (or quoted).
    /// The registry's collision checks see the names without the prefix: a contrived prefix
    /// can still make two names alike under `values` (`U_` before `_U____a_2e_b` and `_a.b`).
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use metrics_core::{Counter, Escaping, Format, Metrics, Registry, RenderOptions};
    ///
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Jobs run.
    ///     jobs: Counter,
    /// }
    /// static METRICS: LazyLock<M> = LazyLock::new(M::default);
    /// let registry = Registry::new();
    /// registry.register(&METRICS).unwrap();
    /// let render = |escaping| {
    ///     let mut out = Vec::new();
    ///     let opts = RenderOptions::new(Format::Prometheus).with_prefix("otel.").unwrap().with_escaping(escaping);
    ///     registry.render_into(&opts, &mut out);
    ///     String::from_utf8(out).unwrap().lines().last().unwrap_or_default().to_owned()
    /// };
    /// assert_eq!(render(Escaping::AllowUtf8), r#"{"otel.jobs_total"} 0"#);
    /// assert_eq!(render(Escaping::Underscores), "otel_jobs_total 0");
    /// assert_eq!(render(Escaping::Dots), "otel_dot_jobs__total 0");
    /// assert_eq!(render(Escaping::Values), "U__otel_2e_jobs__total 0");
    /// assert!(RenderOptions::new(Format::Prometheus).with_prefix("__x").is_err());
    /// ```
    pub fn with_prefix(self, prefix: &'a str) -> Result<Self, InvalidPrefix> {
        crate::name::check_prefix(prefix)?;
        Ok(RenderOptions { prefix, ..self })
    }

    /// The format.
    pub fn format(&self) -> Format {
        self.format
    }
}
