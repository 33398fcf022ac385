//! The core's own hot paths: increments, family lookups, histogram observations, and encoding
//! 25 families x 100 series in each format. Side-by-side comparisons with the peer crates are
//! in the `benches` workspace member.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use metrics_core::{Counter, Family, Format, Gauge, Histogram, LabelSet, LabelValue, Metrics, Registry, RenderOptions};

#[derive(LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(LabelValue, Clone, Copy)]
enum Status {
    S200,
    S201,
    S404,
    S500,
    S503,
}

#[derive(LabelSet)]
struct DenseLabels {
    method: Method,
    status: Status,
}

#[derive(LabelSet)]
struct StrLabels {
    method: String,
    status: String,
}

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

fn big_registry() -> Registry {
    let b = Big::default();
    for i in 0..100u64 {
        let r = Route { route: format!("/api/v1/route/{i}") };
        for c in [&b.c0, &b.c1, &b.c2, &b.c3, &b.c4, &b.c5, &b.c6, &b.c7, &b.c8, &b.c9] {
            c.get_or_create(&r).inc_by(i * 1000 + 7);
        }
        for g in [&b.g0, &b.g1, &b.g2, &b.g3, &b.g4, &b.g5, &b.g6, &b.g7, &b.g8, &b.g9] {
            g.get_or_create(&r).set(i as i64 * 31 - 500);
        }
        for h in [&b.h0, &b.h1, &b.h2, &b.h3, &b.h4] {
            let h = h.get_or_create(&r);
            for k in 0..20 {
                h.observe((i * k) as f64 / 1000.0);
            }
        }
    }
    let reg = Registry::new();
    let _ = reg.register_arc(Arc::new(b));
    reg
}

fn increments(c: &mut Criterion) {
    let counter = Counter::new();
    c.bench_function("counter_inc", |b| b.iter(|| black_box(&counter).inc()));

    let dense: Family<DenseLabels, Counter> = Family::new();
    let methods = [Method::Get, Method::Post, Method::Put, Method::Delete];
    let statuses = [Status::S200, Status::S201, Status::S404, Status::S500, Status::S503];
    let keys: Vec<DenseLabels> =
        (0..20).map(|i| DenseLabels { method: methods[i % 4], status: statuses[i % 5] }).collect();
    let mut i = 0usize;
    c.bench_function("family_dense_inc", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            dense.get_or_create(black_box(&keys[i])).inc()
        })
    });

    let dynamic: Family<StrLabels, Counter> = Family::new();
    let skeys: Vec<StrLabels> = (0..20)
        .map(|i| StrLabels {
            method: ["GET", "POST", "PUT", "DELETE"][i % 4].to_owned(),
            status: ["200", "201", "404", "500", "503"][i % 5].to_owned(),
        })
        .collect();
    let mut i = 0usize;
    c.bench_function("family_dynamic_inc", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            dynamic.get_or_create(black_box(&skeys[i])).inc()
        })
    });

    let h = Histogram::default();
    let values = [0.003, 0.02, 0.07, 0.3, 0.8, 1.7, 4.0, 12.0];
    let mut i = 0usize;
    c.bench_function("histogram_observe", |b| {
        b.iter(|| {
            i = (i + 1) % values.len();
            h.observe(black_box(values[i]))
        })
    });
}

fn encoding(c: &mut Criterion) {
    let reg = big_registry();
    let mut buf = Vec::with_capacity(1 << 20);
    for (name, format) in [
        ("encode_prometheus", Format::Prometheus),
        ("encode_openmetrics", Format::OpenMetrics),
        ("encode_json", Format::Json),
    ] {
        let opts = RenderOptions::new(format);
        c.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                reg.render_into(&opts, &mut buf);
                black_box(buf.len())
            })
        });
    }
}

criterion_group!(benches, increments, encoding);
criterion_main!(benches);
