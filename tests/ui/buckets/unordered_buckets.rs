use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(buckets = [0.1, 1.0, 0.5])]
    latency: Histogram,
}

fn main() {}
