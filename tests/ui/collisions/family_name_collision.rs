use metrics_core::{Counter, Gauge, Metrics};

// `requests_total` and `requests` are distinct samples, but OpenMetrics would name both
// families `requests`.
#[derive(Metrics)]
struct M {
    /// Requests served.
    requests: Counter,
    /// Requests in flight.
    #[metric(name = "requests")]
    in_flight: Gauge,
}

fn main() {}
