use metrics_core::{Histogram, Metrics};

// The vise habit: `#[metrics(...)]` on a field, `#[metric(...)]` on the struct.
#[derive(Metrics)]
#[metric(prefix = "app")]
#[label(rename = "x")]
struct M {
    /// Latency.
    #[metrics(unit = "seconds", buckets = [0.1, 1.0])]
    latency: Histogram,
    /// Sizes.
    #[label(rename = "x")]
    size: Histogram,
}

// The right attribute with a key of the other position.
#[derive(Metrics)]
#[metrics(unit = "seconds")]
struct N {
    /// Latency.
    #[metric(prefix = "app")]
    latency: Histogram,
}

fn main() {}
