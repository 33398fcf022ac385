use metrics_core::{Family, Histogram, LabelSet, Metrics};

#[derive(LabelSet)]
struct L {
    le: String,
}

#[derive(Metrics)]
struct M {
    /// Latency.
    latency: Family<L, Histogram>,
}

fn main() {}
