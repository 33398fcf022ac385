//! OTLP/HTTP: what a receiver decodes with the official schema (opentelemetry-proto's types).

use std::io::Read;
use std::sync::Arc;

use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet, Metrics, Registry, Summary};
use metrics_push::Destination;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
use prost::Message;

use crate::fake::{Answer, Fake};

#[derive(LabelSet)]
struct Route {
    route: String,
}

#[derive(Metrics)]
struct App {
    /// Requests served.
    requests: Family<Route, Counter>,
    /// Queue depth.
    depth: Gauge,
    /// Request latency.
    #[metric(unit = "seconds", buckets = [0.1, 1.0])]
    latency: Histogram,
    /// GC pauses.
    #[metric(unit = "seconds", quantiles = [0.5, 0.9])]
    pause: Summary,
}

fn attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    kvs.iter().find(|k| k.key == key).and_then(|k| match k.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.as_str()),
        _ => None,
    })
}

fn decode(body: &[u8], gzip: bool) -> ExportMetricsServiceRequest {
    let mut raw = Vec::new();
    if gzip {
        flate2::read::GzDecoder::new(body).read_to_end(&mut raw).unwrap_or_else(|e| panic!("not gzip: {e}"));
    } else {
        raw = body.to_vec();
    }
    ExportMetricsServiceRequest::decode(raw.as_slice()).unwrap_or_else(|e| panic!("not an export request: {e}"))
}

#[test]
fn otlp_requests_decode_with_the_official_schema() {
    for gzip in [false, true] {
        let fake = Fake::start(vec![Answer::Status(
            200,
            vec![("content-type", "application/x-protobuf".into())],
            String::new(),
        )]);
        let app = Arc::new(App::default());
        app.requests.get_or_create(&Route { route: "/a".into() }).inc_by(4);
        app.depth.set(-2);
        for v in [0.05, 0.5, 0.7, 3.0] {
            app.latency.observe(v);
        }
        app.pause.observe(1.5);
        let r = Arc::new(Registry::new());
        assert_eq!(r.register_arc(app), Ok(()));
        let d = Destination::otlp(&format!("http://{}", fake.addr))
            .name(format!("otlp-{gzip}"))
            .resource("service.name", "shop")
            .resource("deployment.environment", "test")
            .gzip(gzip)
            .interval(None);
        assert_eq!(d.push_once(r), Ok(()));
        let got = fake.received();
        let g = &got[0];
        assert_eq!((g.method.as_str(), g.path.as_str()), ("POST", "/v1/metrics"));
        assert_eq!(g.header("content-type"), Some("application/x-protobuf"));
        assert_eq!(g.header("content-encoding"), gzip.then_some("gzip"));
        let req = decode(&g.body, gzip);
        let rm = &req.resource_metrics[0];
        let res = rm.resource.as_ref().map(|r| r.attributes.as_slice()).unwrap_or_default();
        assert_eq!((attr(res, "service.name"), attr(res, "deployment.environment")), (Some("shop"), Some("test")));
        let metrics = &rm.scope_metrics[0].metrics;
        let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(&names[..4], ["requests", "depth", "latency_seconds", "pause_seconds"]);

        let Some(Data::Sum(sum)) = &metrics[0].data else { panic!("requests: {:?}", metrics[0].data) };
        assert!(sum.is_monotonic);
        assert_eq!(sum.aggregation_temporality, 2, "cumulative");
        let p = &sum.data_points[0];
        assert_eq!(attr(&p.attributes, "route"), Some("/a"));
        assert_eq!(p.value, Some(Value::AsInt(4)));
        assert!(p.start_time_unix_nano > 0 && p.start_time_unix_nano <= p.time_unix_nano, "{p:?}");

        let Some(Data::Gauge(gauge)) = &metrics[1].data else { panic!("depth: {:?}", metrics[1].data) };
        assert_eq!(gauge.data_points[0].value, Some(Value::AsInt(-2)));

        let Some(Data::Histogram(h)) = &metrics[2].data else { panic!("latency: {:?}", metrics[2].data) };
        assert_eq!(h.aggregation_temporality, 2);
        let p = &h.data_points[0];
        assert_eq!((p.count, p.sum), (4, Some(4.25)));
        assert_eq!(
            (p.explicit_bounds.as_slice(), p.bucket_counts.as_slice()),
            ([0.1, 1.0].as_slice(), [1, 2, 1].as_slice())
        );
        assert!(p.start_time_unix_nano > 0 && p.start_time_unix_nano <= p.time_unix_nano);
        assert_eq!(metrics[2].unit, "s");

        let Some(Data::Summary(s)) = &metrics[3].data else { panic!("pause: {:?}", metrics[3].data) };
        let p = &s.data_points[0];
        assert_eq!((p.count, p.sum), (1, 1.5));
        let q: Vec<(f64, f64)> = p.quantile_values.iter().map(|q| (q.quantile, q.value)).collect();
        assert_eq!(q, [(0.5, 1.5), (0.9, 1.5)]);
    }
}

#[test]
fn otlp_retries_only_what_the_spec_says() {
    // 503 is retried; 500 is not (OTLP/HTTP retries 429, 502, 503, 504).
    let fake =
        Fake::start(vec![Answer::Status(503, vec![], String::new()), Answer::Status(500, vec![], "broken".into())]);
    let r = Arc::new(Registry::new());
    let d = Destination::otlp(&format!("http://{}/", fake.addr))
        .name("otlp-retry")
        .interval(None)
        .backoff(std::time::Duration::from_millis(20), std::time::Duration::from_millis(50));
    let err = d.push_once(r).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(err, "push to otlp-retry failed: the receiver rejected the push with 500 Internal Server Error: broken");
    assert_eq!(fake.received().len(), 2);
}

#[derive(Metrics)]
struct Native {
    /// Only native buckets.
    #[metric(unit = "seconds", native(schema = 0))]
    wait: Histogram,
    /// Classic and native buckets.
    #[metric(unit = "seconds", buckets = [1.0, 10.0], native(schema = 0))]
    both: Histogram,
    /// Classic buckets only.
    #[metric(unit = "seconds", buckets = [1.0])]
    classic: Histogram,
}

/// Native histograms are exponential histograms (scale = schema, OTLP's bucket index one below
/// Prometheus' for the same bucket, dense counts), the classic one stays explicit.
#[test]
fn native_histograms_are_exponential_histograms() {
    let fake = Fake::start(vec![]);
    let m = Arc::new(Native::default());
    // Schema 0: base 2. 1.5 is in (1, 2] (Prometheus index 1, OTLP 0), 3 in (2, 4], 20 in
    // (16, 32] (OTLP 4, past two empty buckets), -2 in [-2, -1), 0 in the zero bucket.
    for v in [1.5, 3.0, 20.0, -2.0, 0.0] {
        m.wait.observe(v);
        m.both.observe(v);
        m.classic.observe(v);
    }
    let r = Arc::new(Registry::new());
    assert_eq!(r.register_arc(m), Ok(()));
    let d = Destination::otlp(&format!("http://{}", fake.addr)).name("otlp-native").interval(None);
    assert_eq!(d.clone().push_once(r), Ok(()));
    let req = decode(&fake.received()[0].body, false);
    let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
    for m in &metrics[..2] {
        let Some(Data::ExponentialHistogram(h)) = &m.data else { panic!("{}: {:?}", m.name, m.data) };
        assert_eq!(h.aggregation_temporality, 2, "cumulative");
        let p = &h.data_points[0];
        assert_eq!((p.count, p.sum, p.scale, p.zero_count), (5, Some(22.5), 0, 1), "{}", m.name);
        assert!(p.zero_threshold > 0.0 && p.zero_threshold < 1e-30, "{}", p.zero_threshold);
        let pos = p.positive.as_ref().map(|b| (b.offset, b.bucket_counts.clone()));
        assert_eq!(pos, Some((0, vec![1, 1, 0, 0, 1])), "{}", m.name);
        let neg = p.negative.as_ref().map(|b| (b.offset, b.bucket_counts.clone()));
        assert_eq!(neg, Some((0, vec![1])), "{}", m.name);
        assert!(p.start_time_unix_nano > 0 && p.start_time_unix_nano <= p.time_unix_nano);
        assert_eq!(m.unit, "s");
    }
    let Some(Data::Histogram(h)) = &metrics[2].data else { panic!("classic: {:?}", metrics[2].data) };
    assert_eq!(h.data_points[0].bucket_counts, [2, 3]);
    // A NaN observation is in no native bucket: OTLP's count (zero count plus buckets) leaves
    // it out, as OTLP requires, though the sum takes it in.
    let m2 = Arc::new(Native::default());
    m2.wait.observe(1.5);
    m2.wait.observe(f64::NAN);
    let r = Arc::new(Registry::new());
    assert_eq!(r.register_arc(m2), Ok(()));
    assert_eq!(d.push_once(r), Ok(()));
    let req = decode(&fake.received()[1].body, false);
    let Some(Data::ExponentialHistogram(h)) = &req.resource_metrics[0].scope_metrics[0].metrics[0].data else {
        panic!("no exponential histogram")
    };
    let p = &h.data_points[0];
    assert_eq!((p.count, p.zero_count), (1, 0));
    assert!(p.sum.is_some_and(f64::is_nan));
}
