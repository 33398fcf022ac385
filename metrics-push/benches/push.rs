//! Push encodings of the 25x100 benchmark registry (10 counter, 10 gauge and 5 histogram
//! families of 100 series, as benches/src/lib.rs's `Big`) against our Prometheus text encode.
//!
//! `cargo bench -p metrics-push --bench push`; the bound: a remote-write request (built,
//! encoded, snappy-compressed) and an OTLP request (built, encoded) each within 2x of the text.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use metrics_core::{Counter, Family, Format, Gauge, Histogram, LabelSet, Metrics, Registry, RenderOptions};
use prost::Message;

#[derive(LabelSet)]
struct Route {
    route: String,
}

#[derive(Metrics)]
struct Big {
    /// c
    c0: Family<Route, Counter>,
    /// c
    c1: Family<Route, Counter>,
    /// c
    c2: Family<Route, Counter>,
    /// c
    c3: Family<Route, Counter>,
    /// c
    c4: Family<Route, Counter>,
    /// c
    c5: Family<Route, Counter>,
    /// c
    c6: Family<Route, Counter>,
    /// c
    c7: Family<Route, Counter>,
    /// c
    c8: Family<Route, Counter>,
    /// c
    c9: Family<Route, Counter>,
    /// g
    g0: Family<Route, Gauge>,
    /// g
    g1: Family<Route, Gauge>,
    /// g
    g2: Family<Route, Gauge>,
    /// g
    g3: Family<Route, Gauge>,
    /// g
    g4: Family<Route, Gauge>,
    /// g
    g5: Family<Route, Gauge>,
    /// g
    g6: Family<Route, Gauge>,
    /// g
    g7: Family<Route, Gauge>,
    /// g
    g8: Family<Route, Gauge>,
    /// g
    g9: Family<Route, Gauge>,
    /// h
    h0: Family<Route, Histogram>,
    /// h
    h1: Family<Route, Histogram>,
    /// h
    h2: Family<Route, Histogram>,
    /// h
    h3: Family<Route, Histogram>,
    /// h
    h4: Family<Route, Histogram>,
}

fn registry() -> Registry {
    let b = Big::default();
    for i in 0..100usize {
        let r = Route { route: format!("/api/v1/route/{i}") };
        for c in [&b.c0, &b.c1, &b.c2, &b.c3, &b.c4, &b.c5, &b.c6, &b.c7, &b.c8, &b.c9] {
            c.get_or_create(&r).inc_by(i as u64 * 1000 + 7);
        }
        for g in [&b.g0, &b.g1, &b.g2, &b.g3, &b.g4, &b.g5, &b.g6, &b.g7, &b.g8, &b.g9] {
            g.get_or_create(&r).set(i as i64 * 31 - 500);
        }
        for h in [&b.h0, &b.h1, &b.h2, &b.h3, &b.h4] {
            let h = h.get_or_create(&r);
            (0..20).for_each(|k| h.observe((i * k) as f64 / 1000.0));
        }
    }
    let reg = Registry::new();
    reg.register_arc(Arc::new(b)).unwrap_or_else(|e| panic!("{e}"));
    reg
}

fn bench(c: &mut Criterion) {
    let reg = registry();
    let mut g = c.benchmark_group("push_25x100");
    let mut out = Vec::with_capacity(1 << 20);
    g.bench_function("text_0.0.4", |b| {
        b.iter(|| {
            out.clear();
            reg.render_into(&RenderOptions::new(Format::Prometheus), &mut out);
            black_box(out.len())
        })
    });
    let labels = [("job".to_owned(), "bench".to_owned())];
    // As the engine does: one encoder, its buffers kept from one push to the next.
    let mut encoder = metrics_push::remote_write::Encoder::new(labels.to_vec(), usize::MAX);
    g.bench_function("remote_write", |b| {
        b.iter(|| black_box(encoder.encode(&reg, 1_700_000_000_000).map(|v| v.len()).unwrap_or(0)))
    });
    g.bench_function("remote_write_messages", |b| {
        b.iter(|| {
            let req = metrics_push::remote_write::write_request(&reg, &labels, 1_700_000_000_000);
            black_box(metrics_push::remote_write::encode(req, usize::MAX).map(|v| v.len()).unwrap_or(0))
        })
    });
    let body = metrics_push::remote_write::encode_registry(&reg, &labels, 1_700_000_000_000, usize::MAX)
        .unwrap_or_default()
        .remove(0);
    let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap_or_default();
    eprintln!("remote write: {} bytes, {} compressed", raw.len(), body.len());
    g.bench_function("snappy_only", |b| {
        b.iter(|| black_box(snap::raw::Encoder::new().compress_vec(&raw).map(|v| v.len())))
    });
    // The walk alone: what every push encoding pays before writing anything.
    struct Count(usize);
    impl metrics_core::encoding::SampleVisitor for Count {
        fn sample(
            &mut self,
            _: &metrics_core::Descriptor,
            l: &metrics_core::encoding::SampleLabels<'_>,
            _: metrics_core::SampleValue<'_>,
        ) {
            self.0 += l.len();
        }
    }
    g.bench_function("visit_only", |b| {
        b.iter(|| {
            let mut c = Count(0);
            reg.visit(&mut c);
            black_box(c.0)
        })
    });
    let resource = [("service.name".to_owned(), "bench".to_owned())];
    g.bench_function("otlp", |b| {
        b.iter(|| {
            black_box(metrics_push::otlp::export_request(&reg, &resource, SystemTime::now()).encode_to_vec().len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
