use metrics_core::{Gauge, LabelSet, Metrics};

#[derive(Metrics)]
struct M {
    /// Internal.
    #[metric(name = "__otel.internal")]
    internal: Gauge,
}

#[derive(LabelSet)]
struct L {
    #[label(rename = "__otel.scope")]
    scope: String,
}

fn main() {}
