use metrics_core::{Family, LabelSet, Metrics, Summary};

#[derive(LabelSet)]
struct L {
    quantile: String,
}

#[derive(Metrics)]
struct M {
    /// Latency.
    latency: Family<L, Summary>,
}

fn main() {}
