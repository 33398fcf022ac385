use std::sync::Arc;

use metrics_core::{Catalog, Family, Format, Histogram, LabelSet, Metrics, NativeBuckets, Registry, RenderOptions};

#[derive(LabelSet)]
struct L {
    route: String,
}

#[derive(Metrics)]
struct M {
    /// Defaults.
    #[metric(unit = "seconds", native)]
    plain: Histogram,
    /// Every key, with classic buckets too.
    #[metric(unit = "seconds", buckets = [0.1, 1.0], native(schema = -4, max_buckets = 20, zero_threshold = 1e-9))]
    both: Histogram,
    /// A family, some keys.
    #[metric(unit = "seconds", native(schema = 8))]
    family: Family<L, Histogram>,
    /// Integer threshold.
    #[metric(unit = "seconds", native(zero_threshold = 0))]
    zero: Histogram,
}

fn main() {
    let m = Arc::new(M::default());
    assert_eq!(m.plain.native_buckets(), Some(&NativeBuckets::DEFAULT));
    let both = NativeBuckets::new(-4, 20, 1e-9).ok();
    assert_eq!(m.both.native_buckets(), both.as_ref());
    assert_eq!(m.both.buckets().as_slice(), [0.1, 1.0]);
    m.family.get_or_create(&L { route: "/".into() }).observe(0.5);
    assert_eq!(m.family.get_or_create(&L { route: "/".into() }).native_buckets().map(|n| n.schema()), Some(8));
    assert_eq!(m.zero.native_buckets().map(|n| n.zero_threshold()), Some(0.0));
    let c = Catalog::of::<M>();
    assert_eq!(c.metrics.len(), 4);
    let r = Registry::new();
    r.register_arc(m).unwrap();
    let mut out = Vec::new();
    r.render_into(&RenderOptions::new(Format::Protobuf), &mut out);
    assert!(!out.is_empty());
}
