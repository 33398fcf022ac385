use metrics_core::{Gauge, Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Latency.
    latency: Histogram,
    /// Clashes with the histogram's count.
    latency_count: Gauge,
}

fn main() {}
