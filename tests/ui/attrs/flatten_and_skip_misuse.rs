use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct Inner {
    /// Requests.
    requests: Counter,
}

#[derive(Metrics)]
struct M {
    #[metric(flatten, name = "x")]
    inner: Inner,
    #[metric(skip, flatten)]
    other: Inner,
    #[metric(skip = true)]
    note: String,
}

fn main() {}
