use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(buckets = exponential(0.0, 2.0, 10))]
    a: Histogram,
    /// Latency.
    #[metric(buckets = exponential(1.0, 0.5, 10))]
    b: Histogram,
    /// Latency.
    #[metric(buckets = linear(1.0, 1.0, 0))]
    c: Histogram,
    /// Latency.
    #[metric(buckets = geometric(1.0, 2.0, 3))]
    d: Histogram,
}

fn main() {}
