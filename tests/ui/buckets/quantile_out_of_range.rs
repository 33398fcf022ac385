use metrics_core::{Metrics, Summary};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(quantiles = [0.5, 1.5, -0.1])]
    latency: Summary,
}

fn main() {}
