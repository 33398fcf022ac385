//! Explicitly written names may be any non-empty UTF-8 string: OpenTelemetry's dotted names
//! compile, for metrics, labels and prefixes, and render quoted or escaped.

use std::sync::LazyLock;

use metrics_core::{Counter, Escaping, Family, Format, Gauge, LabelSet, Metrics, Registry, RenderOptions};

#[derive(LabelSet)]
pub struct Request {
    #[label(rename = "http.request.method")]
    method: &'static str,
    #[label(rename = "größe")]
    size: u16,
}

#[derive(Metrics)]
#[metrics(prefix = "otel.")]
pub struct Http {
    /// Requests served.
    #[metric(name = "http.server.requests")]
    requests: Family<Request, Counter>,
    /// Open connections, in a plain legacy name.
    connections: Gauge,
}

static METRICS: LazyLock<Http> = LazyLock::new(Http::default);

fn main() {
    let registry = Registry::new();
    registry.register(&METRICS).unwrap();
    METRICS.requests.with(&Request { method: "GET", size: 1 }, |c| c.inc());
    let mut out = Vec::new();
    registry.render_into(&RenderOptions::new(Format::Prometheus).with_escaping(Escaping::AllowUtf8), &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\n{\"otel._http.server.requests_total\",\"http.request.method\"=\"GET\",\"größe\"=\"1\"} 1\n"), "{text}");
    assert!(text.contains("\n{\"otel._connections\"} 0\n"), "{text}");
    let legacy = registry.render(Format::Prometheus);
    assert!(legacy.contains("\notel__http_server_requests_total{http_request_method=\"GET\",gr__e=\"1\"} 1\n"), "{legacy}");
}
