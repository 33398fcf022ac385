use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(buckets = [])]
    latency: Histogram,
}

fn main() {}
