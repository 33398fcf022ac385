use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(quantiles = [0.5])]
    latency: Histogram,
}

fn main() {}
