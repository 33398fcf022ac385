use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(unit = "seconds", native(max_buckets = 0))]
    latency: Histogram,
}

fn main() {}
