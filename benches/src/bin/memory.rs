//! Heap bytes per series of a dynamic (string-labelled) counter family holding 100 000
//! series, for this project (with `String` labels, and with `SmolStr` labels stored inline) and
//! each peer, and two floors, measured with a counting global allocator. Prints one
//! `name bytes_per_series` line per library.

use std::alloc::System;

use benches::peers::{ms, pc, vs};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

// The instrumented allocator comes from `stats_alloc`, so this file needs no `unsafe`.
#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const N: usize = 100_000;

fn route(i: usize) -> String {
    format!("/api/v1/route/{i}")
}

/// Heap bytes per series kept by whatever `build` returns.
fn measure<T>(name: &str, build: impl FnOnce() -> T) {
    let region = Region::new(GLOBAL);
    let kept = build();
    let s = region.change();
    // `stats_alloc` already counts a reallocation's growth as allocated bytes and its shrinking
    // as deallocated bytes (`bytes_reallocated` is the same change again).
    let live = s.bytes_allocated as isize - s.bytes_deallocated as isize;
    println!("{name} {:.1}", live as f64 / N as f64);
    drop(kept);
}

fn main() {
    measure("ours", || {
        let f: metrics_core::Family<benches::Route, metrics_core::Counter> = metrics_core::Family::new();
        for i in 0..N {
            f.get_or_create(&benches::Route { route: route(i) }).inc();
        }
        f
    });
    // The same with the label value stored inline in the series (a `SmolStr` of 19 bytes).
    measure("ours_inline", || {
        let f: metrics_core::Family<benches::InlineRoute, metrics_core::Counter> = metrics_core::Family::new();
        for i in 0..N {
            f.get_or_create(&benches::InlineRoute { route: route(i).into() }).inc();
        }
        f
    });
    measure("prometheus-client", || {
        let f = prometheus_client::metrics::family::Family::<pc::Route, prometheus_client::metrics::counter::Counter>::default();
        for i in 0..N {
            f.get_or_create(&pc::Route { route: route(i) }).inc();
        }
        f
    });
    measure("prometheus", || {
        let v = prometheus::IntCounterVec::new(prometheus::Opts::new("m", "m"), &["route"])
            .unwrap_or_else(|e| panic!("{e}"));
        for i in 0..N {
            v.with_label_values(&[&route(i)]).inc();
        }
        v
    });
    measure("vise", || {
        let m = vs::Hot::default();
        for i in 0..N {
            m.memory[&vs::Route { route: route(i) }].inc();
        }
        m
    });
    measure("measured", || {
        let v = measured::CounterVec::with_label_set(ms::route_set());
        for i in 0..N {
            v.inc(ms::Route { route: &route(i) });
        }
        v
    });
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    measure("metrics", || {
        metrics::with_local_recorder(&recorder, || {
            for i in 0..N {
                metrics::counter!("m", "route" => route(i)).increment(1);
            }
        });
    });
    // Floor: the label string and a counter, in a plain hash map; the string as `format!` makes
    // it (28 bytes of capacity for the 19 of the label).
    measure("floor", || {
        let mut m = std::collections::HashMap::with_capacity(N);
        for i in 0..N {
            m.insert(route(i), std::sync::atomic::AtomicU64::new(1));
        }
        m
    });
    // The lowest floor: the same with each label in an allocation of its exact length.
    measure("floor_exact", || {
        let mut m = std::collections::HashMap::with_capacity(N);
        for i in 0..N {
            m.insert(route(i).into_boxed_str(), std::sync::atomic::AtomicU64::new(1));
        }
        m
    });
}
