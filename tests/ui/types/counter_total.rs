use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M {
    /// Requests.
    requests_total: Counter,
}

fn main() {}
