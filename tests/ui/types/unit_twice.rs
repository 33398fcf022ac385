use metrics_core::{Histogram, Metrics};

#[derive(Metrics)]
struct M {
    /// Latency.
    #[metric(unit = "seconds")]
    request_seconds: Histogram,
}

fn main() {}
