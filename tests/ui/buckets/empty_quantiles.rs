use metrics_core::{Metrics, Summary};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(quantiles = [], max_age = 0)]
    latency: Summary,
}

fn main() {}
