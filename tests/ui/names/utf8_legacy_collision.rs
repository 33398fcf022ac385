use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M {
    /// Requests, as OpenTelemetry names them.
    #[metric(name = "http.requests")]
    otel: Counter,
    /// Requests, as Prometheus names them: the same series for a legacy scraper.
    http_requests: Counter,
}

fn main() {}
