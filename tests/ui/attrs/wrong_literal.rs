use metrics_core::{Counter, Family, LabelSet, Metrics};

#[derive(LabelSet)]
struct L {
    route: String,
}

#[derive(Metrics)]
struct M {
    /// Requests.
    #[metric(name = 5, limit = "ten")]
    requests: Family<L, Counter>,
    /// Sizes.
    #[metric(help = true, max_age = "ten minutes")]
    sizes: Counter,
}

fn main() {}
