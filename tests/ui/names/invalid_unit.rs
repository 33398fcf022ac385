use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(unit = "Milli Seconds")]
    latency: Histogram,
}

fn main() {}
