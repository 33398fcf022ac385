use metrics_core::{Counter, Gauge, Histogram, Metrics};

// Through an alias the derive cannot see the kind: the const check finds the collision, at the
// aliased field.
type Latency = Histogram;

#[derive(Metrics)]
struct M {
    /// Requests.
    latency_count: Gauge,
    /// Latency.
    latency: Latency,
    /// Fine.
    requests: Counter,
}

fn main() {}
