#![allow(unreachable_pub, missing_docs)]
//! The hot paths of this project side by side with prometheus-client, prometheus (tikv),
//! measured, vise and metrics + metrics-exporter-prometheus, plus floors (a raw atomic, a raw
//! atomic array, a minimal histogram), running the same logical work in one run: counter
//! increments on one thread and shared by two, family lookups, histogram observations. The
//! encoding workload is the `encoding` target. `benches/run.sh` turns the medians into
//! BENCHMARKS.md.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, LazyLock};
use std::time::{Duration, Instant};

use benches::peers::{ms, pc, vs};
use benches::*;
use criterion::{Criterion, criterion_group, criterion_main};

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

criterion_group! {
    name = peers;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(50);
    targets = counter, family, histogram, native, exemplar
}
criterion_main!(peers);
