use metrics_core::{Counter, Family, LabelSet, Metrics};

// A type of another crate (here `std`) that is not a label value.
#[derive(LabelSet)]
struct L {
    addr: std::net::IpAddr,
}

#[derive(Metrics)]
struct M {
    /// Requests.
    requests: Family<L, Counter>,
}

fn main() {}
