use metrics_core::{Counter, Gauge, Histogram, Metrics};

// Names that no escaping scheme spells alike compile, whether the derive or the const checks
// compare them: `a.b` is `a_b`, `a_dot_b` and `U__a_2e_b`; `a_dot_b` is `a__dot__b` under
// `dots`; `a__b` is `a____b`.
type G = Gauge;
type H = Histogram;

#[derive(Metrics)]
struct Inner {
    /// Legacy, and escaped-looking but not the spelling of any name here.
    #[metric(name = "U__a_2e_c")]
    u: Gauge,
    /// Legacy.
    a_dot_b: Gauge,
}

#[derive(Metrics)]
struct M {
    /// Dotted.
    #[metric(name = "a.b")]
    ab: Counter,
    /// Dotted, behind an alias.
    #[metric(name = "x.y")]
    xy: H,
    /// Legacy, behind an alias.
    #[metric(name = "a__b")]
    double: G,
    /// Flattened.
    #[metric(flatten)]
    inner: Inner,
}

fn main() {
    let _ = M::default();
}
