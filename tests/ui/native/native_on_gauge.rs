use metrics_core::{Counter, Family, Gauge, LabelSet, Metrics};

#[derive(LabelSet)]
struct L {
    queue: String,
}

#[derive(Metrics)]
struct M {
    /// Connections.
    #[metric(native)]
    connections: Gauge,
    /// Jobs.
    #[metric(native(schema = 3))]
    jobs: Family<L, Counter>,
}

fn main() {}
