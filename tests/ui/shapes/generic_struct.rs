use metrics_core::{Counter, Metrics};

#[derive(Metrics)]
struct M<T> {
    /// Requests.
    requests: Counter,
    other: std::marker::PhantomData<T>,
}

fn main() {}
