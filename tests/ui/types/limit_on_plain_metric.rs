use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M {
    /// Requests.
    #[metric(limit = 10)]
    requests: Counter,
}

fn main() {}
