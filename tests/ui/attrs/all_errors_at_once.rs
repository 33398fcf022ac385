use metrics_core::{Counter, Histogram, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "")]
struct M {
    #[metric(name = "")]
    a: Counter,
    /// Latency.
    #[metric(buckets = [2.0, 1.0], colour = "red")]
    b: Histogram,
}

fn main() {}
