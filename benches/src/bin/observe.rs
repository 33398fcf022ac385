//! Observes the `OBSERVATIONS` values `n` times, cycling through them as the criterion
//! `native_observe` workload does, into one of our histograms: `classic` (the default
//! buckets), `native` (native buckets only, `NativeBuckets::DEFAULT`) or `both`; or into the
//! benches' `FloorHistogram` (`floor`). Run it under
//! `valgrind --tool=callgrind` at two values of `n` to count the instructions of one
//! observation (the difference cancels start-up).
//!
//! `compare` times the floor, classic, native and both alternately instead, `n` of each per
//! round for 30 rounds, and prints the fastest round of each and their ratios: the minimum of
//! interleaved rounds stands a shared machine's noise better than one long run.
//!
//! Usage: `observe <classic|native|both|floor|compare> [n]` (default 1 000 000). Prints the
//! histogram's count, which must equal `n`.

use std::hint::black_box;
use std::process::ExitCode;

use benches::OBSERVATIONS;
use metrics_core::{Histogram, NativeBuckets};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let n: usize = match args.next().map(|n| n.parse()) {
        None => 1_000_000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("observe: bad count: {e}");
            return ExitCode::from(2);
        }
    };
    if which == "compare" {
        compare(n);
        return ExitCode::SUCCESS;
    }
    if which == "floor" {
        let h = benches::FloorHistogram::default();
        for i in 0..n {
            h.observe(black_box(OBSERVATIONS[i % OBSERVATIONS.len()]));
        }
        println!("{n}");
        return ExitCode::SUCCESS;
    }
    let h = match which.as_str() {
        "classic" => Histogram::default(),
        "native" => Histogram::native(NativeBuckets::DEFAULT),
        "both" => Histogram::default().with_native(NativeBuckets::DEFAULT),
        other => {
            eprintln!("observe: unknown histogram {other:?}: classic, native or both");
            return ExitCode::from(2);
        }
    };
    for i in 0..n {
        h.observe(black_box(OBSERVATIONS[i % OBSERVATIONS.len()]));
    }
    println!("{}", h.count());
    ExitCode::SUCCESS
}

/// The fastest of 30 interleaved rounds of `n` observations into each histogram: the floor,
/// classic, native, classic and native.
fn compare(n: usize) {
    fn round(n: usize, observe: impl Fn(f64)) -> f64 {
        let start = std::time::Instant::now();
        for i in 0..n {
            observe(black_box(OBSERVATIONS[i % OBSERVATIONS.len()]));
        }
        start.elapsed().as_secs_f64() * 1e9 / n as f64
    }
    let floor = benches::FloorHistogram::default();
    let classic = Histogram::default();
    let native = Histogram::native(NativeBuckets::DEFAULT);
    let both = Histogram::default().with_native(NativeBuckets::DEFAULT);
    let mut best = [f64::MAX; 4];
    for _ in 0..30 {
        best[0] = best[0].min(round(n, |v| floor.observe(v)));
        best[1] = best[1].min(round(n, |v| classic.observe(v)));
        best[2] = best[2].min(round(n, |v| native.observe(v)));
        best[3] = best[3].min(round(n, |v| both.observe(v)));
    }
    let [f, c, nat, b] = best;
    println!(
        "floor {f:.2} ns, classic {c:.2} ns ({:.2}x floor), native {nat:.2} ns ({:.2}x classic), both {b:.2} ns ({:.2}x classic)",
        c / f,
        nat / c,
        b / c
    );
}
