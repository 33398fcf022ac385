//! OTLP/HTTP metrics: a registry as an `ExportMetricsServiceRequest` (opentelemetry-proto's
//! prost types), cumulative temporality, start times from the metrics' creation times.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::StatusCode;
use metrics_core::encoding::{SampleLabels, SampleValue, SampleVisitor};
use metrics_core::{Descriptor, MetricKind, Registry};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum, Summary, SummaryDataPoint, metric, number_data_point, summary_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use crate::engine::Protocol;

/// Builds the request of the registry's current state, observed at `now`, with `resource`
/// attributes (`service.name` among them).
///
/// Counters are monotonic cumulative Sums, gauges Gauges, histograms Histograms with per-bucket
/// counts, summaries Summaries, info metrics Gauges of value 1; every point carries the
/// metric's creation time as `start_time_unix_nano` (except gauges) and its labels as
/// attributes.
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
    let mut b = Builder { metrics: Vec::new(), now: nanos(now) };
    registry.visit(&mut b);
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: resource.iter().map(|(k, v)| kv(k, v)).collect(),
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: env!("CARGO_PKG_NAME").into(),
                    version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                }),
                metrics: b.metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
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

struct Builder {
    metrics: Vec<Metric>,
    now: u64,
}

impl SampleVisitor for Builder {
    fn begin_family(&mut self, desc: &Descriptor) {
        let temporality = AggregationTemporality::Cumulative as i32;
        let data = match desc.kind {
            MetricKind::Counter => metric::Data::Sum(Sum {
                data_points: Vec::new(),
                aggregation_temporality: temporality,
                is_monotonic: true,
            }),
            MetricKind::Gauge | MetricKind::Info => metric::Data::Gauge(Gauge { data_points: Vec::new() }),
            MetricKind::Histogram => {
                metric::Data::Histogram(Histogram { data_points: Vec::new(), aggregation_temporality: temporality })
            }
            MetricKind::Summary => metric::Data::Summary(Summary { data_points: Vec::new() }),
        };
        let name = if desc.kind == MetricKind::Info { desc.prometheus_name().0 } else { desc.name };
        self.metrics.push(Metric {
            name: name.into(),
            description: desc.help.into(),
            unit: ucum(desc.unit).into(),
            metadata: Vec::new(),
            data: Some(data),
        });
    }

    fn sample(&mut self, _: &Descriptor, labels: &SampleLabels<'_>, value: SampleValue<'_>) {
        let attributes: Vec<KeyValue> = labels.iter().map(|(k, v)| kv(k, v)).collect();
        let now = self.now;
        let Some(data) = self.metrics.last_mut().and_then(|m| m.data.as_mut()) else { return };
        let number = |v: metrics_core::Number, start: u64, attributes: Vec<KeyValue>| NumberDataPoint {
            attributes,
            start_time_unix_nano: start,
            time_unix_nano: now,
            value: Some(match v {
                metrics_core::Number::U64(u) if u <= i64::MAX as u64 => number_data_point::Value::AsInt(u as i64),
                metrics_core::Number::I64(i) => number_data_point::Value::AsInt(i),
                other => number_data_point::Value::AsDouble(other.as_f64()),
            }),
            ..Default::default()
        };
        match (data, value) {
            (metric::Data::Sum(s), SampleValue::Counter { value, created }) => {
                s.data_points.push(number(value, secs_to_nanos(created), attributes))
            }
            (metric::Data::Gauge(g), SampleValue::Gauge(v)) => g.data_points.push(number(v, 0, attributes)),
            (metric::Data::Gauge(g), SampleValue::Info) => {
                g.data_points.push(number(metrics_core::Number::U64(1), 0, attributes))
            }
            (metric::Data::Histogram(hist), SampleValue::Histogram(h)) => {
                let mut bucket_counts = Vec::with_capacity(h.bounds().len() + 1);
                let mut prev = 0u64;
                let count = h.for_each_bucket(|_, _, cumulative| {
                    bucket_counts.push(cumulative.saturating_sub(prev));
                    prev = cumulative;
                });
                hist.data_points.push(HistogramDataPoint {
                    attributes,
                    start_time_unix_nano: secs_to_nanos(h.created),
                    time_unix_nano: now,
                    count,
                    sum: Some(h.sum),
                    bucket_counts,
                    explicit_bounds: h.bounds().to_vec(),
                    ..Default::default()
                });
            }
            (metric::Data::Summary(sum), SampleValue::Summary(s)) => sum.data_points.push(SummaryDataPoint {
                attributes,
                start_time_unix_nano: secs_to_nanos(s.created),
                time_unix_nano: now,
                count: s.count,
                sum: s.sum,
                quantile_values: s
                    .quantiles
                    .iter()
                    .filter(|(_, v)| !v.is_nan())
                    .map(|&(quantile, value)| summary_data_point::ValueAtQuantile { quantile, value })
                    .collect(),
                flags: 0,
            }),
            // A value whose kind differs from its family's: the collector is inconsistent, and
            // OTLP has no way to say it; the point is left out.
            _ => {}
        }
    }
}

pub(crate) struct Otlp {
    pub(crate) resource: Vec<(String, String)>,
    pub(crate) gzip: bool,
}

impl Protocol for Otlp {
    fn collect(&mut self, registry: &Registry, now: SystemTime) -> Result<Vec<Bytes>, String> {
        let body = export_request(registry, &self.resource, now).encode_to_vec();
        if !self.gzip {
            return Ok(vec![Bytes::from(body)]);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&body).and_then(|()| gz.finish()).map(|b| vec![Bytes::from(b)]).map_err(|e| e.to_string())
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
}
