#![allow(unreachable_pub, missing_docs)]
//! This project side by side with prometheus-client, prometheus (tikv), measured, vise and
//! metrics + metrics-exporter-prometheus, plus two floors (a raw atomic and a hand-written
//! ideal encoder), running the same logical work in one run. `benches/run.sh` turns the medians
//! into BENCHMARKS.md.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, LazyLock};
use std::time::{Duration, Instant};

use benches::*;
use criterion::{Criterion, criterion_group, criterion_main};
use metrics_core::{Format, RenderOptions};

// ---------------------------------------------------------------- peers' label types

mod pc {
    use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};

    #[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
    pub enum Method {
        Get,
        Post,
        Put,
        Delete,
    }

    #[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
    pub enum Status {
        S200,
        S201,
        S404,
        S500,
        S503,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub struct EnumLabels {
        pub method: Method,
        pub status: Status,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub struct StrLabels {
        pub method: String,
        pub status: String,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub struct Route {
        pub route: String,
    }

    pub fn enum_keys() -> Vec<EnumLabels> {
        let m = [Method::Get, Method::Post, Method::Put, Method::Delete];
        let s = [Status::S200, Status::S201, Status::S404, Status::S500, Status::S503];
        (0..20).map(|i| EnumLabels { method: m[i % 4], status: s[i % 5] }).collect()
    }
}

mod vs {
    use vise::{Buckets, Counter, EncodeLabelSet, EncodeLabelValue, Family, Gauge, Histogram, Metrics};

    #[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
    #[metrics(rename_all = "UPPERCASE")]
    pub enum Method {
        Get,
        Post,
        Put,
        Delete,
    }

    #[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
    #[metrics(rename_all = "snake_case")]
    pub enum Status {
        S200,
        S201,
        S404,
        S500,
        S503,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub struct EnumLabels {
        pub method: Method,
        pub status: Status,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub struct StrLabels {
        pub method: String,
        pub status: String,
    }

    #[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
    pub struct Route {
        pub route: String,
    }

    const DEFAULT: Buckets = Buckets::values(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]);

    #[derive(Debug, Metrics)]
    pub struct Hot {
        pub counter: Counter,
        pub dense: Family<EnumLabels, Counter>,
        pub dynamic: Family<StrLabels, Counter>,
        #[metrics(buckets = DEFAULT)]
        pub histogram: Histogram<f64>,
        pub memory: Family<Route, Counter>,
    }

    #[derive(Debug, Metrics)]
    pub struct Big {
        pub c0: Family<Route, Counter>,
        pub c1: Family<Route, Counter>,
        pub c2: Family<Route, Counter>,
        pub c3: Family<Route, Counter>,
        pub c4: Family<Route, Counter>,
        pub c5: Family<Route, Counter>,
        pub c6: Family<Route, Counter>,
        pub c7: Family<Route, Counter>,
        pub c8: Family<Route, Counter>,
        pub c9: Family<Route, Counter>,
        pub g0: Family<Route, Gauge<i64>>,
        pub g1: Family<Route, Gauge<i64>>,
        pub g2: Family<Route, Gauge<i64>>,
        pub g3: Family<Route, Gauge<i64>>,
        pub g4: Family<Route, Gauge<i64>>,
        pub g5: Family<Route, Gauge<i64>>,
        pub g6: Family<Route, Gauge<i64>>,
        pub g7: Family<Route, Gauge<i64>>,
        pub g8: Family<Route, Gauge<i64>>,
        pub g9: Family<Route, Gauge<i64>>,
        #[metrics(buckets = DEFAULT)]
        pub h0: Family<Route, Histogram<f64>>,
        #[metrics(buckets = DEFAULT)]
        pub h1: Family<Route, Histogram<f64>>,
        #[metrics(buckets = DEFAULT)]
        pub h2: Family<Route, Histogram<f64>>,
        #[metrics(buckets = DEFAULT)]
        pub h3: Family<Route, Histogram<f64>>,
        #[metrics(buckets = DEFAULT)]
        pub h4: Family<Route, Histogram<f64>>,
    }

    pub fn enum_keys() -> Vec<EnumLabels> {
        let m = [Method::Get, Method::Post, Method::Put, Method::Delete];
        let s = [Status::S200, Status::S201, Status::S404, Status::S500, Status::S503];
        (0..20).map(|i| EnumLabels { method: m[i % 4], status: s[i % 5] }).collect()
    }
}

mod ms {
    use measured::metric::histogram::Thresholds;
    use measured::{CounterVec, GaugeVec, HistogramVec, LabelGroup, MetricGroup};
    use paracord::ParaCord;

    pub use benches::measured_dense::*;

    #[derive(Clone, Copy, Debug, PartialEq, LabelGroup)]
    #[label(set = StrSet)]
    pub struct StrLabels<'a> {
        #[label(dynamic_with = ParaCord)]
        pub method: &'a str,
        #[label(dynamic_with = ParaCord)]
        pub status: &'a str,
    }

    #[derive(Clone, Copy, Debug, PartialEq, LabelGroup)]
    #[label(set = RouteSet)]
    pub struct Route<'a> {
        #[label(dynamic_with = ParaCord)]
        pub route: &'a str,
    }

    pub fn str_set() -> StrSet {
        StrSet { method: ParaCord::default(), status: ParaCord::default() }
    }

    pub fn route_set() -> RouteSet {
        RouteSet { route: ParaCord::default() }
    }

    #[derive(MetricGroup)]
    pub struct Big {
        /// c
        pub c0: CounterVec<RouteSet>,
        /// c
        pub c1: CounterVec<RouteSet>,
        /// c
        pub c2: CounterVec<RouteSet>,
        /// c
        pub c3: CounterVec<RouteSet>,
        /// c
        pub c4: CounterVec<RouteSet>,
        /// c
        pub c5: CounterVec<RouteSet>,
        /// c
        pub c6: CounterVec<RouteSet>,
        /// c
        pub c7: CounterVec<RouteSet>,
        /// c
        pub c8: CounterVec<RouteSet>,
        /// c
        pub c9: CounterVec<RouteSet>,
        /// g
        pub g0: GaugeVec<RouteSet>,
        /// g
        pub g1: GaugeVec<RouteSet>,
        /// g
        pub g2: GaugeVec<RouteSet>,
        /// g
        pub g3: GaugeVec<RouteSet>,
        /// g
        pub g4: GaugeVec<RouteSet>,
        /// g
        pub g5: GaugeVec<RouteSet>,
        /// g
        pub g6: GaugeVec<RouteSet>,
        /// g
        pub g7: GaugeVec<RouteSet>,
        /// g
        pub g8: GaugeVec<RouteSet>,
        /// g
        pub g9: GaugeVec<RouteSet>,
        /// h
        pub h0: HistogramVec<RouteSet, 11>,
        /// h
        pub h1: HistogramVec<RouteSet, 11>,
        /// h
        pub h2: HistogramVec<RouteSet, 11>,
        /// h
        pub h3: HistogramVec<RouteSet, 11>,
        /// h
        pub h4: HistogramVec<RouteSet, 11>,
    }

    pub fn thresholds() -> Thresholds<11> {
        Thresholds::with_buckets(super::BUCKETS)
    }
}

// ---------------------------------------------------------------- workloads

fn two_threads(c: &mut Criterion, name: &str, inc: impl Fn() + Sync) {
    two_threads_apart(c, name, |_| inc());
}

/// Runs `inc(0)` on this thread and `inc(1)` on another, in parallel; the time per call.
fn two_threads_apart(c: &mut Criterion, name: &str, inc: impl Fn(usize) + Sync) {
    c.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let barrier = Barrier::new(2);
            let half = iters / 2;
            std::thread::scope(|s| {
                s.spawn(|| {
                    barrier.wait();
                    for _ in 0..half {
                        inc(1);
                    }
                });
                barrier.wait();
                let start = Instant::now();
                for _ in 0..iters - half {
                    inc(0);
                }
                start.elapsed()
            })
        })
    });
}

static METRICS_HANDLE: LazyLock<()> = LazyLock::new(|| {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .unwrap_or_else(|e| panic!("{e}"))
        .build_recorder();
    let _ = metrics::set_global_recorder(recorder);
});

fn counter(c: &mut Criterion) {
    LazyLock::force(&METRICS_HANDLE);
    // The metrics that live inline (not behind an `Arc` of their crate) get a 128-byte block
    // each on the heap: side by side on the stack they shared a cache line, and timings of the
    // very same machine code differed by 15 % with where the atomic happened to sit.
    let raw = Box::new(Isolated(AtomicU64::new(0)));
    let raw = &raw.0;
    // The floors discard the previous value, as our `inc` does: returned, criterion's
    // `black_box` would store it, a different loop from the one measured.
    c.bench_function("counter/raw_atomic", |b| {
        b.iter(|| {
            black_box(raw).fetch_add(1, Ordering::Relaxed);
        })
    });
    let ours = Box::new(Isolated(metrics_core::Counter::new()));
    let ours = &ours.0;
    c.bench_function("counter/ours", |b| b.iter(|| black_box(ours).inc()));
    let p = prometheus_client::metrics::counter::Counter::<u64>::default();
    c.bench_function("counter/prometheus-client", |b| b.iter(|| black_box(&p).inc()));
    let t = prometheus::IntCounter::new("c", "c").unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("counter/prometheus", |b| b.iter(|| black_box(&t).inc()));
    let m = Box::new(Isolated(measured::Counter::new()));
    let m = &m.0;
    c.bench_function("counter/measured", |b| b.iter(|| black_box(m).inc()));
    let v: vise::Counter = vise::Counter::default();
    c.bench_function("counter/vise", |b| b.iter(|| black_box(&v).inc()));
    let mc = metrics::counter!("bench_counter");
    c.bench_function("counter/metrics", |b| b.iter(|| black_box(&mc).increment(1)));

    two_threads(c, "counter_2threads/raw_atomic", || {
        raw.fetch_add(1, Ordering::Relaxed);
    });
    two_threads(c, "counter_2threads/ours", || ours.inc());
    two_threads(c, "counter_2threads/prometheus-client", || {
        p.inc();
    });
    two_threads(c, "counter_2threads/prometheus", || t.inc());
    two_threads(c, "counter_2threads/measured", || m.inc());
    two_threads(c, "counter_2threads/vise", || {
        v.inc();
    });
    two_threads(c, "counter_2threads/metrics", || mc.increment(1));
}

fn family(c: &mut Criterion) {
    LazyLock::force(&METRICS_HANDLE);
    // Floor: a raw atomic array indexed from the two enum indices.
    let raw: [AtomicU64; 20] = std::array::from_fn(|_| AtomicU64::new(0));
    let idx: Vec<(usize, usize)> = (0..20).map(|i| (i % 4, i % 5)).collect();
    let mut i = 0;
    c.bench_function("family_enum/raw_atomic_array", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            let (m, s) = black_box(idx[i]);
            raw[m * 5 + s].fetch_add(1, Ordering::Relaxed);
        })
    });
    let ours: metrics_core::Family<EnumLabels, metrics_core::Counter> = metrics_core::Family::new();
    let keys = enum_keys();
    c.bench_function("family_enum/ours", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            ours.get_or_create(black_box(&keys[i])).inc()
        })
    });
    let pcf = prometheus_client::metrics::family::Family::<pc::EnumLabels, prometheus_client::metrics::counter::Counter>::default();
    let pkeys = pc::enum_keys();
    c.bench_function("family_enum/prometheus-client", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            pcf.get_or_create(black_box(&pkeys[i])).inc();
        })
    });
    let tv = prometheus::IntCounterVec::new(prometheus::Opts::new("f", "f"), &["method", "status"])
        .unwrap_or_else(|e| panic!("{e}"));
    let tkeys: Vec<[&str; 2]> = (0..20).map(|i| [METHODS[i % 4], STATUSES[i % 5]]).collect();
    c.bench_function("family_enum/prometheus", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            tv.with_label_values(black_box(&tkeys[i])).inc()
        })
    });
    let mv = measured::CounterVec::<ms::EnumSet>::dense();
    let mkeys = ms::enum_keys();
    c.bench_function("family_enum/measured", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            mv.inc(black_box(mkeys[i]))
        })
    });
    let hot = vs::Hot::default();
    let vkeys = vs::enum_keys();
    c.bench_function("family_enum/vise", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            hot.dense[black_box(&vkeys[i])].inc();
        })
    });
    c.bench_function("family_enum/metrics", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            let [m, s] = black_box(tkeys[i]);
            metrics::counter!("bench_family_enum", "method" => m, "status" => s).increment(1)
        })
    });

    // Two threads, each incrementing its own series of the {method, status} family: the series
    // (GET, 200) and (GET, 201), neighbours in a dense layout. Series that share a cache line
    // would serialise the threads (false sharing).
    const APART: [usize; 2] = [0, 16];
    two_threads_apart(c, "family_enum_2threads/ours", |t| ours.get_or_create(black_box(&keys[APART[t]])).inc());
    two_threads_apart(c, "family_enum_2threads/measured", |t| mv.inc(black_box(mkeys[APART[t]])));
    two_threads_apart(c, "family_enum_2threads/prometheus-client", |t| {
        pcf.get_or_create(black_box(&pkeys[APART[t]])).inc();
    });
    two_threads_apart(c, "family_enum_2threads/prometheus", |t| {
        tv.with_label_values(black_box(&tkeys[APART[t]])).inc()
    });
    two_threads_apart(c, "family_enum_2threads/vise", |t| {
        hot.dense[black_box(&vkeys[APART[t]])].inc();
    });

    // String labels: the dynamic path.
    let ours: metrics_core::Family<StrLabels, metrics_core::Counter> = metrics_core::Family::new();
    let skeys = str_keys();
    c.bench_function("family_str/ours", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            ours.get_or_create(black_box(&skeys[i])).inc()
        })
    });
    c.bench_function("family_str/ours_with", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            ours.with(black_box(&skeys[i]), |c| c.inc())
        })
    });
    let pcs = prometheus_client::metrics::family::Family::<pc::StrLabels, prometheus_client::metrics::counter::Counter>::default();
    let pskeys: Vec<pc::StrLabels> =
        skeys.iter().map(|k| pc::StrLabels { method: k.method.clone(), status: k.status.clone() }).collect();
    c.bench_function("family_str/prometheus-client", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            pcs.get_or_create(black_box(&pskeys[i])).inc();
        })
    });
    c.bench_function("family_str/prometheus", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            tv.with_label_values(black_box(&tkeys[i])).inc()
        })
    });
    let msv = measured::CounterVec::with_label_set(ms::str_set());
    c.bench_function("family_str/measured", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            let [m, s] = black_box(tkeys[i]);
            msv.inc(ms::StrLabels { method: m, status: s })
        })
    });
    let vskeys: Vec<vs::StrLabels> =
        skeys.iter().map(|k| vs::StrLabels { method: k.method.clone(), status: k.status.clone() }).collect();
    c.bench_function("family_str/vise", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            hot.dynamic[black_box(&vskeys[i])].inc();
        })
    });
    c.bench_function("family_str/metrics", |b| {
        b.iter(|| {
            i = (i + 1) % 20;
            let [m, s] = black_box(tkeys[i]);
            metrics::counter!("bench_family_str", "method" => m, "status" => s).increment(1)
        })
    });
}

fn histogram(c: &mut Criterion) {
    LazyLock::force(&METRICS_HANDLE);
    let mut i = 0;
    let mut next = move || {
        i = (i + 1) % OBSERVATIONS.len();
        black_box(OBSERVATIONS[i])
    };
    let floor = FloorHistogram::default();
    c.bench_function("histogram/floor", |b| b.iter(|| floor.observe(next())));
    let ours = metrics_core::Histogram::default();
    c.bench_function("histogram/ours", |b| b.iter(|| ours.observe(next())));
    let p = prometheus_client::metrics::histogram::Histogram::new(BUCKETS);
    c.bench_function("histogram/prometheus-client", |b| b.iter(|| p.observe(next())));
    let t = prometheus::Histogram::with_opts(prometheus::HistogramOpts::new("h", "h").buckets(BUCKETS.to_vec()))
        .unwrap_or_else(|e| panic!("{e}"));
    c.bench_function("histogram/prometheus", |b| b.iter(|| t.observe(next())));
    let m = measured::Histogram::<11>::with_metadata(ms::thresholds());
    c.bench_function("histogram/measured", |b| b.iter(|| m.observe(next())));
    let hot = vs::Hot::default();
    c.bench_function("histogram/vise", |b| b.iter(|| hot.histogram.observe(next())));
    let mh = metrics::histogram!("bench_histogram");
    c.bench_function("histogram/metrics", |b| b.iter(|| mh.record(next())));
}

/// Native histograms: ours (native only, and classic and native together) against our classic
/// histogram and prometheus-client's native histogram, on the same values.
fn native(c: &mut Criterion) {
    use metrics_core::NativeBuckets;
    let mut i = 0;
    let mut next = move || {
        i = (i + 1) % OBSERVATIONS.len();
        black_box(OBSERVATIONS[i])
    };
    let classic = metrics_core::Histogram::default();
    c.bench_function("native_observe/ours_classic", |b| b.iter(|| classic.observe(next())));
    let native = metrics_core::Histogram::native(NativeBuckets::DEFAULT);
    c.bench_function("native_observe/ours", |b| b.iter(|| native.observe(next())));
    let both = metrics_core::Histogram::default().with_native(NativeBuckets::DEFAULT);
    c.bench_function("native_observe/ours_classic_and_native", |b| b.iter(|| both.observe(next())));
    let config = prometheus_client::metrics::histogram::NativeHistogramConfig::new(1.1);
    let p = prometheus_client::metrics::histogram::Histogram::new_native(config);
    c.bench_function("native_observe/prometheus-client", |b| b.iter(|| p.observe(next())));
}

/// The `trace_id` of an exemplar.
#[derive(metrics_core::LabelSet)]
struct Trace {
    trace_id: String,
}

/// An increment that keeps an exemplar against a plain one.
fn exemplar(c: &mut Criterion) {
    let counter = metrics_core::Counter::new();
    c.bench_function("exemplar_inc/ours_plain", |b| b.iter(|| black_box(&counter).inc()));
    let trace = Trace { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into() };
    c.bench_function("exemplar_inc/ours", |b| b.iter(|| black_box(&counter).inc_with_exemplar(&trace)));
}

fn encoding(c: &mut Criterion) {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let ideal = Ideal::new();
    c.bench_function("encode_text/ideal", |b| {
        b.iter(|| {
            buf.clear();
            ideal.encode(&mut buf);
            buf.len()
        })
    });
    let ours = ours_registry();
    for (name, format) in [
        ("encode_text/ours", Format::Prometheus),
        ("encode_openmetrics/ours", Format::OpenMetrics),
        ("encode_json/ours", Format::Json),
        ("encode_protobuf/ours", Format::Protobuf),
    ] {
        let opts = RenderOptions::new(format);
        c.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                ours.render_into(&opts, &mut buf);
                buf.len()
            })
        });
    }

    // prometheus-client (OpenMetrics text is its format)
    let mut preg = prometheus_client::registry::Registry::default();
    {
        use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram};
        for f in 0..10 {
            let fam = Family::<pc::Route, Counter>::default();
            for i in 0..SERIES {
                fam.get_or_create(&pc::Route { route: route(i) }).inc_by(counter_value(i));
            }
            preg.register(format!("c{f}"), "c", fam);
        }
        for f in 0..10 {
            let fam = Family::<pc::Route, Gauge>::default();
            for i in 0..SERIES {
                fam.get_or_create(&pc::Route { route: route(i) }).set(gauge_value(i));
            }
            preg.register(format!("g{f}"), "g", fam);
        }
        for f in 0..5 {
            let fam = Family::<pc::Route, Histogram>::new_with_constructor(|| Histogram::new(BUCKETS));
            for i in 0..SERIES {
                let h = fam.get_or_create(&pc::Route { route: route(i) });
                observations(i).for_each(|v| h.observe(v));
            }
            preg.register(format!("h{f}"), "h", fam);
        }
    }
    c.bench_function("encode_protobuf/prometheus-client", |b| {
        b.iter(|| {
            prometheus_client::encoding::prometheus_protobuf::encode_to_vec(&preg)
                .unwrap_or_else(|e| panic!("{e}"))
                .len()
        })
    });
    let mut s = String::with_capacity(1 << 20);
    c.bench_function("encode_text/prometheus-client", |b| {
        b.iter(|| {
            s.clear();
            prometheus_client::encoding::text::encode(&mut s, &preg).unwrap_or_else(|e| panic!("{e}"));
            s.len()
        })
    });

    // prometheus (tikv): gathering is part of its encoding.
    let treg = prometheus::Registry::new();
    for f in 0..10 {
        let v = prometheus::IntCounterVec::new(prometheus::Opts::new(format!("c{f}_total"), "c"), &["route"])
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..SERIES {
            v.with_label_values(&[&route(i)]).inc_by(counter_value(i));
        }
        treg.register(Box::new(v)).unwrap_or_else(|e| panic!("{e}"));
    }
    for f in 0..10 {
        let v = prometheus::IntGaugeVec::new(prometheus::Opts::new(format!("g{f}"), "g"), &["route"])
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..SERIES {
            v.with_label_values(&[&route(i)]).set(gauge_value(i));
        }
        treg.register(Box::new(v)).unwrap_or_else(|e| panic!("{e}"));
    }
    for f in 0..5 {
        let v = prometheus::HistogramVec::new(
            prometheus::HistogramOpts::new(format!("h{f}"), "h").buckets(BUCKETS.to_vec()),
            &["route"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..SERIES {
            let h = v.with_label_values(&[&route(i)]);
            observations(i).for_each(|x| h.observe(x));
        }
        treg.register(Box::new(v)).unwrap_or_else(|e| panic!("{e}"));
    }
    c.bench_function("encode_text/prometheus", |b| {
        b.iter(|| {
            s.clear();
            prometheus::TextEncoder::new().encode_utf8(&treg.gather(), &mut s).unwrap_or_else(|e| panic!("{e}"));
            s.len()
        })
    });

    // vise
    let vbig = vs::Big::default();
    {
        let cs = [&vbig.c0, &vbig.c1, &vbig.c2, &vbig.c3, &vbig.c4, &vbig.c5, &vbig.c6, &vbig.c7, &vbig.c8, &vbig.c9];
        let gs = [&vbig.g0, &vbig.g1, &vbig.g2, &vbig.g3, &vbig.g4, &vbig.g5, &vbig.g6, &vbig.g7, &vbig.g8, &vbig.g9];
        let hs = [&vbig.h0, &vbig.h1, &vbig.h2, &vbig.h3, &vbig.h4];
        for i in 0..SERIES {
            let r = vs::Route { route: route(i) };
            cs.iter().for_each(|f| {
                f[&r].inc_by(counter_value(i));
            });
            gs.iter().for_each(|f| {
                f[&r].set(gauge_value(i));
            });
            hs.iter().for_each(|f| observations(i).for_each(|v| f[&r].observe(v)));
        }
    }
    let mut vreg = vise::Registry::empty();
    vreg.register_metrics(&vbig);
    c.bench_function("encode_text/vise", |b| {
        b.iter(|| {
            s.clear();
            vreg.encode(&mut s, vise::Format::Prometheus).unwrap_or_else(|e| panic!("{e}"));
            s.len()
        })
    });

    // measured
    let mbig = ms::Big {
        c0: measured::CounterVec::with_label_set(ms::route_set()),
        c1: measured::CounterVec::with_label_set(ms::route_set()),
        c2: measured::CounterVec::with_label_set(ms::route_set()),
        c3: measured::CounterVec::with_label_set(ms::route_set()),
        c4: measured::CounterVec::with_label_set(ms::route_set()),
        c5: measured::CounterVec::with_label_set(ms::route_set()),
        c6: measured::CounterVec::with_label_set(ms::route_set()),
        c7: measured::CounterVec::with_label_set(ms::route_set()),
        c8: measured::CounterVec::with_label_set(ms::route_set()),
        c9: measured::CounterVec::with_label_set(ms::route_set()),
        g0: measured::GaugeVec::with_label_set(ms::route_set()),
        g1: measured::GaugeVec::with_label_set(ms::route_set()),
        g2: measured::GaugeVec::with_label_set(ms::route_set()),
        g3: measured::GaugeVec::with_label_set(ms::route_set()),
        g4: measured::GaugeVec::with_label_set(ms::route_set()),
        g5: measured::GaugeVec::with_label_set(ms::route_set()),
        g6: measured::GaugeVec::with_label_set(ms::route_set()),
        g7: measured::GaugeVec::with_label_set(ms::route_set()),
        g8: measured::GaugeVec::with_label_set(ms::route_set()),
        g9: measured::GaugeVec::with_label_set(ms::route_set()),
        h0: measured::HistogramVec::with_label_set_and_metadata(ms::route_set(), ms::thresholds()),
        h1: measured::HistogramVec::with_label_set_and_metadata(ms::route_set(), ms::thresholds()),
        h2: measured::HistogramVec::with_label_set_and_metadata(ms::route_set(), ms::thresholds()),
        h3: measured::HistogramVec::with_label_set_and_metadata(ms::route_set(), ms::thresholds()),
        h4: measured::HistogramVec::with_label_set_and_metadata(ms::route_set(), ms::thresholds()),
    };
    {
        let cs = [&mbig.c0, &mbig.c1, &mbig.c2, &mbig.c3, &mbig.c4, &mbig.c5, &mbig.c6, &mbig.c7, &mbig.c8, &mbig.c9];
        let gs = [&mbig.g0, &mbig.g1, &mbig.g2, &mbig.g3, &mbig.g4, &mbig.g5, &mbig.g6, &mbig.g7, &mbig.g8, &mbig.g9];
        let hs = [&mbig.h0, &mbig.h1, &mbig.h2, &mbig.h3, &mbig.h4];
        for i in 0..SERIES {
            let r = route(i);
            cs.iter().for_each(|f| f.inc_by(ms::Route { route: &r }, counter_value(i)));
            gs.iter().for_each(|f| f.set(ms::Route { route: &r }, gauge_value(i)));
            hs.iter().for_each(|f| observations(i).for_each(|v| f.observe(ms::Route { route: &r }, v)));
        }
    }
    let mut menc = measured::text::BufferedTextEncoder::new();
    c.bench_function("encode_text/measured", |b| {
        b.iter(|| {
            use measured::MetricGroup;
            mbig.collect_group_into(&mut menc).unwrap_or_else(|e| match e {});
            menc.finish().len()
        })
    });

    // metrics + metrics-exporter-prometheus (a local recorder of its own)
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .unwrap_or_else(|e| panic!("{e}"))
        .build_recorder();
    metrics::with_local_recorder(&recorder, || {
        for i in 0..SERIES {
            let r = route(i);
            for f in 0..10 {
                metrics::counter!(format!("c{f}_total"), "route" => r.clone()).increment(counter_value(i));
                metrics::gauge!(format!("g{f}"), "route" => r.clone()).set(gauge_value(i) as f64);
            }
            for f in 0..5 {
                let h = metrics::histogram!(format!("h{f}"), "route" => r.clone());
                observations(i).for_each(|v| h.record(v));
            }
        }
    });
    let handle = recorder.handle();
    c.bench_function("encode_text/metrics", |b| b.iter(|| handle.render().len()));
    c.bench_function("encode_protobuf/metrics", |b| b.iter(|| handle.render_protobuf().len()));
}

fn http(c: &mut Criterion) {
    let registry = ours_registry();
    let exporter = metrics_http::Exporter::builder(registry).build().unwrap_or_else(|e| panic!("{e}"));
    let server = metrics_http::Server::spawn_thread(
        metrics_http::Server::builder(exporter).listen("127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}"))),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for (name, gzip) in [("http_scrape/ours_plain", false), ("http_scrape/ours_gzip", true)] {
        let mut client = ScrapeClient::connect(server.local_addr(), "/metrics", gzip).unwrap_or_else(|e| panic!("{e}"));
        c.bench_function(name, |b| b.iter(|| client.scrape().unwrap_or_else(|e| panic!("{e}"))));
    }
    drop(server);
}

criterion_group! {
    name = peers;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(50);
    targets = counter, family, histogram, native, exemplar, encoding, http
}
criterion_main!(peers);
