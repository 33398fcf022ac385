use metrics_core::{Counter, Family, LabelSet, Metrics};

#[derive(LabelSet)]
struct L {
    route: String,
}

// The rule follows the type through an alias: the derive cannot see it, the const check can.
type Requests = Family<L, Counter>;

#[derive(Metrics)]
struct M {
    /// Requests.
    #[metric(name = "http_requests_total")]
    requests: Requests,
}

fn main() {}
