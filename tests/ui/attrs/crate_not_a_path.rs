use metrics_core::{Counter, LabelSet, Metrics};

#[derive(Metrics)]
#[metrics(crate = "not a path")]
struct M {
    /// Requests.
    requests: Counter,
}

#[derive(LabelSet)]
#[metrics(crate = "::metrics_core::")]
struct L {
    route: String,
}

fn main() {}
