//! OTLP/HTTP metrics: a registry as an `ExportMetricsServiceRequest` (opentelemetry-proto's
//! prost types), cumulative temporality, start times from the metrics' creation times.
//!
//! Counters are monotonic cumulative Sums, gauges Gauges, histograms Histograms with per-bucket
//! counts, summaries Summaries, info metrics Gauges of value 1. A histogram with native buckets
//! is an ExponentialHistogram (scale = the native schema, positive and negative buckets, the
//! zero bucket and its threshold) and its classic buckets are not sent: OTLP gives a metric one
//! kind of data, and the exponential one is the finer, as the OpenTelemetry bridges of
//! client_golang choose too. Every point carries the metric's creation time as
//! `start_time_unix_nano` (except gauges) and its labels as attributes.
//!
//! [`Encoder`] is what the engine sends: the data points of each family are built in messages
//! kept from one family and one push to the next (their strings and vectors cleared and
//! refilled, never reallocated once warm), and encoded by prost as the family ends. Every
//! message is prost's; what is written here with prost's key and length encoders is only the
//! framing of the nesting around them (the `Metric`'s data field, the `ScopeMetrics` and
//! `ResourceMetrics` enclosing the metrics), so that prost works out each point's length once
//! rather than once per enclosing message. The resource and scope are encoded once, at
//! construction. [`export_request`] builds the same request as messages; the tests check that
//! both decode to the same.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::StatusCode;
use metrics_core::encoding::{HistogramData, SampleLabels, SampleValue, SampleVisitor};
use metrics_core::{Descriptor, MetricKind, NativeData, Registry};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
    exponential_histogram_data_point, metric, number_data_point, summary_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use crate::engine::Protocol;

/// Builds the request of the registry's current state, observed at `now`, with `resource`
/// attributes (`service.name` among them): the messages [`Encoder`] encodes.
///
/// ```
/// use std::sync::LazyLock;
/// use metrics_core::{Counter, Metrics, Registry};
/// use opentelemetry_proto::tonic::metrics::v1::metric::Data;
///
/// #[derive(Metrics)]
/// struct M {
///     /// Jobs run.
///     jobs: Counter,
/// }
/// static METRICS: LazyLock<M> = LazyLock::new(M::default);
/// let registry = Registry::new();
/// registry.register(&METRICS).unwrap();
/// METRICS.jobs.inc_by(3);
/// let req = metrics_push::otlp::export_request(&registry, &[("service.name".into(), "app".into())], std::time::SystemTime::now());
/// let metric = &req.resource_metrics[0].scope_metrics[0].metrics[0];
/// assert_eq!(metric.name, "jobs");
/// let Some(Data::Sum(sum)) = &metric.data else { panic!("a counter is a Sum") };
/// assert!(sum.is_monotonic);
/// assert_eq!(sum.aggregation_temporality, 2); // cumulative
/// ```
pub fn export_request(
    registry: &Registry,
    resource: &[(String, String)],
    now: SystemTime,
) -> ExportMetricsServiceRequest {
    let mut b = Builder::new(nanos(now));
    b.collected = Some(Vec::new());
    registry.visit(&mut b);
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource_message(resource)),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(scope()),
                metrics: b.collected.unwrap_or_default(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

fn resource_message(resource: &[(String, String)]) -> Resource {
    Resource { attributes: resource.iter().map(|(k, v)| kv(k, v)).collect(), ..Default::default() }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope {
        name: env!("CARGO_PKG_NAME").into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    }
}

/// Encodes the registry's state as the bytes of an `ExportMetricsServiceRequest` (see the
/// [module](self) for how), keeping its messages and buffers from one push to the next.
///
/// ```
/// use std::sync::LazyLock;
/// use metrics_core::{Counter, Metrics, Registry};
/// use prost::Message;
///
/// #[derive(Metrics)]
/// struct M {
///     /// Jobs run.
///     jobs: Counter,
/// }
/// static METRICS: LazyLock<M> = LazyLock::new(M::default);
/// let registry = Registry::new();
/// registry.register(&METRICS).unwrap();
/// METRICS.jobs.inc();
/// let resource = vec![("service.name".to_owned(), "app".to_owned())];
/// let now = std::time::SystemTime::now();
/// let mut encoder = metrics_push::otlp::Encoder::new(&resource);
/// let bytes = encoder.encode(&registry, now);
/// let want = metrics_push::otlp::export_request(&registry, &resource, now);
/// assert_eq!(opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest::decode(bytes).unwrap(), want);
/// ```
#[derive(Debug)]
pub struct Encoder {
    /// The `resource` field of `ResourceMetrics` and the `scope` field of `ScopeMetrics`,
    /// encoded once.
    resource_field: Vec<u8>,
    scope_field: Vec<u8>,
    builder: Builder,
    out: Vec<u8>,
}

impl Encoder {
    /// An encoder whose requests carry `resource` as the resource's attributes.
    pub fn new(resource: &[(String, String)]) -> Self {
        let mut resource_field = Vec::new();
        prost::encoding::message::encode(1, &resource_message(resource), &mut resource_field);
        let mut scope_field = Vec::new();
        prost::encoding::message::encode(1, &scope(), &mut scope_field);
        Encoder { resource_field, scope_field, builder: Builder::new(0), out: Vec::new() }
    }

    /// The request of the registry's current state, observed at `now`.
    pub fn encode(&mut self, registry: &Registry, now: SystemTime) -> &[u8] {
        use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint};
        // The metrics are encoded after room for the enclosing messages' keys and lengths
        // (unknown until the metrics are), which then go right before them: no copy.
        let room = 2 * (1 + 10) + self.resource_field.len() + self.scope_field.len();
        let b = &mut self.builder;
        b.now = nanos(now);
        b.metrics = std::mem::take(&mut self.out);
        b.metrics.clear();
        b.metrics.resize(room, 0);
        registry.visit(b);
        let mut out = std::mem::take(&mut b.metrics);
        let metrics_len = out.len() - room;
        let scope_len = self.scope_field.len() + metrics_len;
        let resource_metrics_len = self.resource_field.len() + 1 + encoded_len_varint(scope_len as u64) + scope_len;
        // ExportMetricsServiceRequest.resource_metrics (1) { resource (1), scope_metrics (2) {
        // scope (1), metrics (2)... } }
        let mut head = Vec::with_capacity(room);
        encode_key(1, WireType::LengthDelimited, &mut head);
        encode_varint(resource_metrics_len as u64, &mut head);
        head.extend_from_slice(&self.resource_field);
        encode_key(2, WireType::LengthDelimited, &mut head);
        encode_varint(scope_len as u64, &mut head);
        head.extend_from_slice(&self.scope_field);
        let start = room - head.len();
        out[start..room].copy_from_slice(&head);
        self.out = out;
        &self.out[start..]
    }
}

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

fn secs_to_nanos(s: f64) -> u64 {
    if s.is_finite() && s > 0.0 { (s * 1e9) as u64 } else { 0 }
}

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }),
        ..Default::default()
    }
}

/// Sets `attrs` to `labels`, reusing the strings already there.
fn set_attributes(attrs: &mut Vec<KeyValue>, labels: &SampleLabels<'_>) {
    attrs.truncate(labels.len());
    for (i, (k, v)) in labels.iter().enumerate() {
        let Some(a) = attrs.get_mut(i) else {
            attrs.push(kv(k, v));
            continue;
        };
        if a.key != k {
            a.key.clear();
            a.key.push_str(k);
        }
        match &mut a.value {
            Some(AnyValue { value: Some(any_value::Value::StringValue(s)) }) => {
                s.clear();
                s.push_str(v);
            }
            other => *other = Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }),
        }
    }
}

/// UCUM spellings of the units our names use; others pass as they are.
fn ucum(unit: &str) -> &str {
    match unit {
        "seconds" => "s",
        "milliseconds" => "ms",
        "bytes" => "By",
        "ratio" => "1",
        other => other,
    }
}

/// The points of the current family, of each kind, and those of earlier families kept for
/// reuse.
#[derive(Debug, Default)]
struct Points<T> {
    current: Vec<T>,
    spare: Vec<T>,
}

impl<T: Default> Points<T> {
    /// A point to fill: a spare one (with its old contents), or a new one.
    fn next(&mut self) -> &mut T {
        let p = self.spare.pop().unwrap_or_default();
        self.current.push(p);
        let last = self.current.len() - 1;
        &mut self.current[last]
    }

    /// Makes the current points spare.
    fn recycle(&mut self) {
        self.spare.append(&mut self.current);
    }
}

/// What a family becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Sum,
    Gauge,
    Histogram,
    Exponential,
    Summary,
}

/// Turns each family into a `Metric` and encodes it (or keeps a copy of it, for
/// [`export_request`]).
#[derive(Debug)]
struct Builder {
    now: u64,
    /// The encoded `metrics` fields of the scope.
    metrics: Vec<u8>,
    /// For [`export_request`]: the metrics as messages.
    collected: Option<Vec<Metric>>,
    /// The current family: its name, description and unit (the strings reused), and shape.
    metric: Metric,
    shape: Shape,
    /// Scratch: the encoded data of the current family.
    points: Vec<u8>,
    numbers: Points<NumberDataPoint>,
    histograms: Points<HistogramDataPoint>,
    exponentials: Points<ExponentialHistogramDataPoint>,
    summaries: Points<SummaryDataPoint>,
}

impl Builder {
    fn new(now: u64) -> Self {
        Builder {
            now,
            metrics: Vec::new(),
            collected: None,
            metric: Metric::default(),
            shape: Shape::Gauge,
            points: Vec::new(),
            numbers: Points::default(),
            histograms: Points::default(),
            exponentials: Points::default(),
            summaries: Points::default(),
        }
    }

    fn number(&mut self, labels: &SampleLabels<'_>, v: metrics_core::Number, start: u64) {
        let now = self.now;
        let p = self.numbers.next();
        set_attributes(&mut p.attributes, labels);
        p.start_time_unix_nano = start;
        p.time_unix_nano = now;
        p.value = Some(match v {
            metrics_core::Number::U64(u) if u <= i64::MAX as u64 => number_data_point::Value::AsInt(u as i64),
            metrics_core::Number::I64(i) => number_data_point::Value::AsInt(i),
            other => number_data_point::Value::AsDouble(other.as_f64()),
        });
        p.exemplars.clear();
        p.flags = 0;
    }

    fn histogram(&mut self, labels: &SampleLabels<'_>, h: &HistogramData<'_>) {
        let now = self.now;
        let p = self.histograms.next();
        set_attributes(&mut p.attributes, labels);
        p.start_time_unix_nano = secs_to_nanos(h.created);
        p.time_unix_nano = now;
        p.bucket_counts.clear();
        let mut prev = 0u64;
        p.count = h.for_each_bucket(|_, _, cumulative| {
            p.bucket_counts.push(cumulative.saturating_sub(prev));
            prev = cumulative;
        });
        p.sum = Some(h.sum);
        p.explicit_bounds.clear();
        p.explicit_bounds.extend_from_slice(h.bounds());
        p.exemplars.clear();
        p.flags = 0;
        p.min = None;
        p.max = None;
    }

    fn exponential(&mut self, labels: &SampleLabels<'_>, h: &HistogramData<'_>, n: &NativeData) {
        let now = self.now;
        let p = self.exponentials.next();
        set_attributes(&mut p.attributes, labels);
        p.start_time_unix_nano = secs_to_nanos(h.created);
        p.time_unix_nano = now;
        // OTLP's count is the zero count plus the buckets' counts: a NaN observation, which the
        // classic count and the sum take in but no native bucket holds, is left out of it.
        let in_buckets = |b: &[(i32, u64)]| b.iter().map(|&(_, c)| c).sum::<u64>();
        p.count = n.zero_count + in_buckets(&n.positive) + in_buckets(&n.negative);
        p.sum = Some(h.sum);
        p.scale = i32::from(n.schema);
        p.zero_count = n.zero_count;
        p.zero_threshold = n.zero_threshold;
        exponential_buckets(&mut p.positive, &n.positive);
        exponential_buckets(&mut p.negative, &n.negative);
        p.exemplars.clear();
        p.flags = 0;
        p.min = None;
        p.max = None;
    }

    fn summary(&mut self, labels: &SampleLabels<'_>, s: &metrics_core::encoding::SummaryData<'_>) {
        let now = self.now;
        let p = self.summaries.next();
        set_attributes(&mut p.attributes, labels);
        p.start_time_unix_nano = secs_to_nanos(s.created);
        p.time_unix_nano = now;
        p.count = s.count;
        p.sum = s.sum;
        p.quantile_values.clear();
        p.quantile_values.extend(
            s.quantiles
                .iter()
                .filter(|(_, v)| !v.is_nan())
                .map(|&(quantile, value)| summary_data_point::ValueAtQuantile { quantile, value }),
        );
        p.flags = 0;
    }
}

/// Sets `out` to the OTLP buckets of the Prometheus native buckets `buckets` (`(index,
/// count)` by increasing index). Prometheus' bucket `i` is `(base^(i-1), base^i]`, OTLP's is
/// `(base^i, base^(i+1)]`: the same bucket is one index lower in OTLP. OTLP's counts are dense
/// from `offset`, so the empty buckets between two populated ones are written as zeros.
fn exponential_buckets(out: &mut Option<exponential_histogram_data_point::Buckets>, buckets: &[(i32, u64)]) {
    let b = out.get_or_insert_with(Default::default);
    b.bucket_counts.clear();
    let Some(&(first, _)) = buckets.first() else {
        b.offset = 0;
        return;
    };
    b.offset = first - 1;
    for &(i, c) in buckets {
        let at = (i - first) as usize;
        if b.bucket_counts.len() < at {
            b.bucket_counts.resize(at, 0);
        }
        b.bucket_counts.push(c);
    }
}

impl SampleVisitor for Builder {
    fn begin_family(&mut self, desc: &Descriptor) {
        self.shape = match desc.kind {
            MetricKind::Counter => Shape::Sum,
            MetricKind::Gauge | MetricKind::Info => Shape::Gauge,
            MetricKind::Histogram if desc.native.is_some() => Shape::Exponential,
            MetricKind::Histogram => Shape::Histogram,
            MetricKind::Summary => Shape::Summary,
        };
        let name = if desc.kind == MetricKind::Info { desc.prometheus_name().0 } else { desc.name };
        let m = &mut self.metric;
        m.name.clear();
        m.name.push_str(name);
        m.description.clear();
        m.description.push_str(desc.help);
        m.unit.clear();
        m.unit.push_str(ucum(desc.unit));
    }

    fn sample(&mut self, _: &Descriptor, labels: &SampleLabels<'_>, value: SampleValue<'_>) {
        match (self.shape, value) {
            (Shape::Sum, SampleValue::Counter { value, created }) => self.number(labels, value, secs_to_nanos(created)),
            (Shape::Gauge, SampleValue::Gauge(v)) => self.number(labels, v, 0),
            (Shape::Gauge, SampleValue::Info) => self.number(labels, metrics_core::Number::U64(1), 0),
            (Shape::Histogram | Shape::Exponential, SampleValue::Histogram(h)) => {
                // A family is exponential when its descriptor says it has native buckets or
                // its first series has them.
                if self.shape == Shape::Histogram && self.histograms.current.is_empty() && h.native().is_some() {
                    self.shape = Shape::Exponential;
                }
                match (self.shape, h.native()) {
                    (Shape::Exponential, Some(n)) => self.exponential(labels, &h, n),
                    // A histogram of a native family that has no native buckets: its classic
                    // buckets cannot be sent in an exponential metric, so it has no point.
                    (Shape::Exponential, None) => {}
                    _ => self.histogram(labels, &h),
                }
            }
            (Shape::Summary, SampleValue::Summary(s)) => self.summary(labels, &s),
            // A value whose kind differs from its family's: the collector is inconsistent, and
            // OTLP has no way to say it; the point is left out.
            _ => {}
        }
    }

    fn end_family(&mut self, _: &Descriptor) {
        if self.collected.is_some() {
            self.collect_metric();
        } else {
            self.encode_metric();
        }
        self.numbers.recycle();
        self.histograms.recycle();
        self.exponentials.recycle();
        self.summaries.recycle();
    }
}

/// The field numbers of `Metric.data`'s variants (opentelemetry/proto/metrics/v1/metrics.proto).
const GAUGE: u32 = 5;
const SUM: u32 = 7;
const HISTOGRAM: u32 = 9;
const EXPONENTIAL_HISTOGRAM: u32 = 10;
const SUMMARY: u32 = 11;

impl Builder {
    /// Appends the current family to `metrics` as a `metrics` field of `ScopeMetrics`. Each
    /// point is encoded by prost once (a prost `Metric` holding them would work out every
    /// point's length once more per enclosing message); the `Metric` (without its data) and
    /// the data's own fields are prost's too, only the data field's key and length are written
    /// here.
    fn encode_metric(&mut self) {
        use prost::encoding::{WireType, encode_key, encode_varint, encoded_len_varint, message};
        let temporality = AggregationTemporality::Cumulative as i32;
        let body = &mut self.points;
        body.clear();
        // Writing into a Vec cannot run out of room: the results are Ok.
        let tag = match self.shape {
            Shape::Sum | Shape::Gauge => {
                for p in &self.numbers.current {
                    message::encode(1, p, body);
                }
                if self.shape == Shape::Gauge {
                    GAUGE
                } else {
                    let _ = Sum { data_points: Vec::new(), aggregation_temporality: temporality, is_monotonic: true }
                        .encode(body);
                    SUM
                }
            }
            Shape::Histogram => {
                for p in &self.histograms.current {
                    message::encode(1, p, body);
                }
                let _ = Histogram { data_points: Vec::new(), aggregation_temporality: temporality }.encode(body);
                HISTOGRAM
            }
            Shape::Exponential => {
                for p in &self.exponentials.current {
                    message::encode(1, p, body);
                }
                let _ =
                    ExponentialHistogram { data_points: Vec::new(), aggregation_temporality: temporality }.encode(body);
                EXPONENTIAL_HISTOGRAM
            }
            Shape::Summary => {
                for p in &self.summaries.current {
                    message::encode(1, p, body);
                }
                SUMMARY
            }
        };
        self.metric.data = None;
        let len = self.metric.encoded_len() + 1 + encoded_len_varint(body.len() as u64) + body.len();
        let out = &mut self.metrics;
        encode_key(2, WireType::LengthDelimited, out);
        encode_varint(len as u64, out);
        let _ = self.metric.encode(out);
        encode_key(tag, WireType::LengthDelimited, out);
        encode_varint(body.len() as u64, out);
        out.extend_from_slice(body);
    }

    /// Keeps a copy of the current family as a `Metric` message.
    fn collect_metric(&mut self) {
        let temporality = AggregationTemporality::Cumulative as i32;
        let data = match self.shape {
            Shape::Sum => metric::Data::Sum(Sum {
                data_points: self.numbers.current.clone(),
                aggregation_temporality: temporality,
                is_monotonic: true,
            }),
            Shape::Gauge => metric::Data::Gauge(Gauge { data_points: self.numbers.current.clone() }),
            Shape::Histogram => metric::Data::Histogram(Histogram {
                data_points: self.histograms.current.clone(),
                aggregation_temporality: temporality,
            }),
            Shape::Exponential => metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: self.exponentials.current.clone(),
                aggregation_temporality: temporality,
            }),
            Shape::Summary => metric::Data::Summary(Summary { data_points: self.summaries.current.clone() }),
        };
        let mut m = self.metric.clone();
        m.data = Some(data);
        if let Some(all) = &mut self.collected {
            all.push(m);
        }
    }
}

pub(crate) struct Otlp {
    pub(crate) encoder: Encoder,
    pub(crate) gzip: bool,
}

impl Protocol for Otlp {
    fn collect(&mut self, registry: &Registry, now: SystemTime) -> Result<Vec<Bytes>, String> {
        let body = self.encoder.encode(registry, now);
        if !self.gzip {
            return Ok(vec![Bytes::copy_from_slice(body)]);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body).and_then(|()| gz.finish()).map(|b| vec![Bytes::from(b)]).map_err(|e| e.to_string())
    }

    /// OTLP/HTTP retries 429, 502, 503 and 504 only.
    fn retryable(&self, status: StatusCode) -> bool {
        matches!(status.as_u16(), 429 | 502 | 503 | 504)
    }

    fn check_success(&self, body: &[u8]) -> Option<String> {
        let resp = ExportMetricsServiceResponse::decode(body).ok()?;
        let p = resp.partial_success?;
        (p.rejected_data_points > 0 || !p.error_message.is_empty())
            .then(|| format!("{} data point(s) rejected: {}", p.rejected_data_points, p.error_message))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use metrics_core::{Counter, Gauge, Histogram, Metrics, Registry};
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;

    #[derive(Metrics)]
    struct M {
        /// Jobs.
        jobs: Counter,
        /// Depth.
        depth: Gauge,
        /// Wait.
        #[metric(unit = "seconds", buckets = [0.5, 1.0])]
        wait: Histogram,
    }

    #[test]
    fn kinds_map_to_otlp_data_with_per_bucket_counts() {
        let m = Arc::new(M::default());
        m.jobs.inc_by(2);
        m.depth.set(-1);
        for v in [0.2, 0.7, 0.8, 5.0] {
            m.wait.observe(v);
        }
        let r = Registry::new();
        assert_eq!(r.register_arc(m), Ok(()));
        let now = UNIX_EPOCH + Duration::from_secs(2_000_000_000);
        let req = super::export_request(&r, &[("service.name".into(), "t".into())], now);
        let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
        let Some(Data::Sum(s)) = &metrics[0].data else { panic!("{:?}", metrics[0]) };
        assert!(s.data_points[0].start_time_unix_nano > 0);
        assert_eq!(s.data_points[0].time_unix_nano, 2_000_000_000_000_000_000);
        let Some(Data::Gauge(g)) = &metrics[1].data else { panic!("{:?}", metrics[1]) };
        assert_eq!(g.data_points[0].value, Some(super::number_data_point::Value::AsInt(-1)));
        let Some(Data::Histogram(h)) = &metrics[2].data else { panic!("{:?}", metrics[2]) };
        let p = &h.data_points[0];
        assert_eq!((p.count, p.bucket_counts.clone(), p.explicit_bounds.clone()), (4, vec![1, 2, 1], vec![0.5, 1.0]));
        assert_eq!((metrics[2].name.as_str(), metrics[2].unit.as_str()), ("wait_seconds", "s"));
    }

    #[derive(metrics_core::LabelSet)]
    struct Route {
        route: String,
        code: u16,
    }

    #[derive(Metrics)]
    struct Many {
        /// Requests.
        requests: metrics_core::Family<Route, Counter>,
        /// Waits.
        #[metric(buckets = [0.5])]
        waits: metrics_core::Family<Route, Histogram>,
        /// Native.
        #[metric(native(schema = 1))]
        native: Histogram,
        /// Pause.
        #[metric(quantiles = [0.5])]
        pause: metrics_core::Summary,
    }

    /// The encoder keeps its messages from one push to the next: each push still encodes
    /// exactly the messages of that state, as series come and go.
    #[test]
    fn the_encoder_writes_each_push_as_its_messages() {
        use prost::Message;
        let m = Arc::new(Many::default());
        let r = Registry::new();
        assert_eq!(r.register_arc(m.clone()), Ok(()));
        let resource = [("service.name".to_owned(), "t".to_owned()), ("host".to_owned(), "h".to_owned())];
        let mut encoder = super::Encoder::new(&resource);
        let route = |route: &str, code| Route { route: route.into(), code };
        for round in 0..4u32 {
            match round {
                0 => {}
                1 => {
                    m.requests.get_or_create(&route("/a", 200)).inc();
                    m.requests.get_or_create(&route("/bbbbbbbbbbbbbbbb", 404)).inc_by(3);
                    m.waits.get_or_create(&route("/a", 200)).observe(0.2);
                    m.native.observe(3.0);
                    m.pause.observe(1.0);
                }
                2 => {
                    m.requests.remove(&route("/a", 200));
                    m.waits.get_or_create(&route("/c", 500)).observe(2.0);
                    m.native.observe(-0.001);
                }
                _ => m.requests.clear(),
            }
            let now = UNIX_EPOCH + Duration::from_secs(2_000_000_000 + u64::from(round));
            let want = super::export_request(&r, &resource, now);
            let got = ExportMetricsServiceRequest::decode(encoder.encode(&r, now)).unwrap_or_default();
            assert_eq!(got, want, "round {round}");
        }
    }
}
