use metrics_core::{Family, Histogram, LabelSet, Metrics};

#[derive(LabelSet)]
struct L {
    #[label(rename = "le")]
    bound: String,
}

#[derive(Metrics)]
struct M {
    /// Durations.
    #[metric(name = "rpc.duration", buckets = [1.0])]
    duration: Family<L, Histogram>,
}

fn main() {}
