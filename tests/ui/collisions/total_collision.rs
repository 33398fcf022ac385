use metrics_core::{Counter, Gauge, Metrics};

#[derive(Metrics)]
struct M {
    /// Requests.
    requests: Counter,
    /// Clashes with the counter's sample.
    requests_total: Gauge,
}

fn main() {}
