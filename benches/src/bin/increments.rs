//! Increments a dense {method, status} counter family `n` times, cycling the 20 series as the
//! criterion benchmark does, for one implementation: ours, measured's, or a raw atomic array.
//! Run it under `valgrind --tool=callgrind` to count the instructions of an increment: on a
//! machine where a locked add dominates the time (as on the 2-core VM of BENCHMARKS.md), the
//! timings of the three tie, and the instruction counts show the work beside the atomic.
//!
//! `counter-ours` and `counter-raw` increment one unlabelled counter instead (ours, or a raw
//! atomic; `counter-spread`: ours already spread over its cells; `counter-exemplar`: ours,
//! keeping a trace-id exemplar at each increment, as the `exemplar_inc` workload does), and `shared-<ours|raw|prometheus-client|prometheus|measured|vise>` do it from two
//! threads at once (`n` increments each) on one counter: timed by wall clock (`time`) on an
//! otherwise idle machine, they give the total throughput of two threads on a shared counter (and print
//! the counter's state to stderr: `cells: Some(n)` once it spread).
//!
//! Usage: `increments <ours|measured|raw|counter-ours|counter-raw|shared-...> [n]`
//! (default 1 000 000). Prints the sum of the counters, which must equal `n` (`2n` shared).

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use benches::peers::ms;
use benches::{EnumLabels, enum_keys};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let n: usize = match args.next().map(|n| n.parse()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("increments: bad count: {e}");
            return ExitCode::from(2);
        }
    };
    let total = match which.as_str() {
        "ours" => {
            let family: metrics_core::Family<EnumLabels, metrics_core::Counter> = metrics_core::Family::new();
            let keys = enum_keys();
            for i in 0..n {
                family.get_or_create(black_box(&keys[i % 20])).inc();
            }
            keys.iter().map(|k| family.get(k).map_or(0, |c| c.get())).sum::<u64>()
        }
        "measured" => {
            let family = measured::CounterVec::<ms::EnumSet>::dense();
            let keys = ms::enum_keys();
            for i in 0..n {
                family.inc(black_box(keys[i % 20]));
            }
            keys.iter().map(|&k| family.get_metric(family.with_labels(k)).count.load(Ordering::Relaxed)).sum()
        }
        "raw" => {
            let raw: Vec<AtomicU64> = (0..20).map(|_| AtomicU64::new(0)).collect();
            let idx: Vec<(usize, usize)> = (0..20).map(|i| (i % 4, i % 5)).collect();
            for i in 0..n {
                let (m, s) = black_box(idx[i % 20]);
                raw[m * 5 + s].fetch_add(1, Ordering::Relaxed);
            }
            raw.iter().map(|a| a.load(Ordering::Relaxed)).sum()
        }
        "counter-ours" => {
            let c = metrics_core::Counter::new();
            (0..n).for_each(|_| black_box(&c).inc());
            c.get()
        }
        "counter-spread" => {
            let c = metrics_core::Counter::contended();
            (0..n).for_each(|_| black_box(&c).inc());
            c.get()
        }
        "counter-exemplar" => {
            #[derive(metrics_core::LabelSet)]
            struct Trace {
                trace_id: String,
            }
            let c = metrics_core::Counter::new();
            let trace = Trace { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into() };
            (0..n).for_each(|_| black_box(&c).inc_with_exemplar(&trace));
            c.get()
        }
        "counter-raw" => {
            let c = AtomicU64::new(0);
            (0..n).for_each(|_| {
                black_box(&c).fetch_add(1, Ordering::Relaxed);
            });
            c.load(Ordering::Relaxed)
        }
        "shared-ours" => {
            let c = metrics_core::Counter::new();
            shared(n, || black_box(&c).inc());
            // Whether the threads met and the counter spread over its cells (`cells: Some(_)`).
            eprintln!("{c:?}");
            c.get()
        }
        "shared-prometheus-client" => {
            let c = prometheus_client::metrics::counter::Counter::<u64>::default();
            shared(n, || {
                black_box(&c).inc();
            });
            c.get()
        }
        "shared-prometheus" => {
            let c = prometheus::IntCounter::new("c", "c").unwrap_or_else(|e| panic!("{e}"));
            shared(n, || black_box(&c).inc());
            c.get()
        }
        "shared-measured" => {
            let c = measured::Counter::new();
            shared(n, || black_box(&c).inc());
            c.get_metric().count.load(Ordering::Relaxed)
        }
        "shared-vise" => {
            let c: vise::Counter = vise::Counter::default();
            shared(n, || {
                black_box(&c).inc();
            });
            c.get()
        }
        "shared-raw" => {
            let c = AtomicU64::new(0);
            shared(n, || {
                black_box(&c).fetch_add(1, Ordering::Relaxed);
            });
            c.load(Ordering::Relaxed)
        }
        _ => {
            eprintln!("usage: increments <ours|measured|raw|counter-ours|counter-raw|shared-IMPL> [n]");
            return ExitCode::from(2);
        }
    };
    println!("{total}");
    ExitCode::SUCCESS
}

/// Runs `inc` `n` times on each of two threads at once.
fn shared(n: usize, inc: impl Fn() + Sync) {
    std::thread::scope(|s| (0..2).for_each(|_| drop(s.spawn(|| (0..n).for_each(|_| inc())))));
}
