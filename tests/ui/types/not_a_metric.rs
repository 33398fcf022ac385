use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M {
    /// Requests.
    requests: Counter,
    /// A name.
    name: String,
}

fn main() {}
