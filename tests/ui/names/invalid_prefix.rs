use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
#[metrics(prefix = "9app")]
struct M {
    /// Requests.
    requests: Counter,
}

fn main() {}
