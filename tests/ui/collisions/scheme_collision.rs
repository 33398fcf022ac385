use metrics_core::{Counter, Gauge, Histogram, Metrics};

// Distinct as written and for legacy scrapers (`a_b`, `a_dot_b`), but both `a_dot_b` for a
// scraper that asks for `escaping=dots`.
#[derive(Metrics)]
struct Dots {
    /// OpenTelemetry style.
    #[metric(name = "a.b")]
    dotted: Gauge,
    /// Spelled out.
    #[metric(name = "a-dot-b")]
    spelled: Gauge,
}

// A legacy name that reads as the `values` spelling of another.
#[derive(Metrics)]
struct Values {
    /// OpenTelemetry style.
    #[metric(name = "a.b")]
    dotted: Gauge,
    /// Already escaped.
    #[metric(name = "U__a_2e_b")]
    escaped: Gauge,
}

// The exposed sample names count: `a.b_count` of the histogram, `a.b_total` of the counter.
#[derive(Metrics)]
struct Suffixes {
    /// A histogram.
    #[metric(name = "a.b")]
    latency: Histogram,
    /// Its `_count`, under `dots`.
    #[metric(name = "a-dot-b_count")]
    count: Gauge,
    /// A counter.
    #[metric(name = "c.d")]
    requests: Counter,
    /// Its `_total`, under `values`.
    #[metric(name = "U__c_2e_d__total")]
    total: Gauge,
}

fn main() {}
