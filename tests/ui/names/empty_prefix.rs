use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "")]
struct M {
    /// Requests.
    requests: Counter,
}

fn main() {}
