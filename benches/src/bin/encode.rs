//! Encodes the benchmark registry (25 families x 100 series) in a loop, for profilers: run it
//! under `valgrind --tool=callgrind` or `perf record` to see where encoding time goes, with the
//! ideal encoder beside ours as the floor.
//!
//! Usage: `encode <ours|openmetrics|json|ideal> [iterations]` (default 1000). Prints the bytes of
//! one encoding.

use std::process::ExitCode;

use benches::{Ideal, ours_registry};
use metrics_core::{Format, RenderOptions};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let iterations: usize = match args.next().map(|n| n.parse()) {
        None => 1000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("encode: bad iteration count: {e}");
            return ExitCode::from(2);
        }
    };
    let mut buf = Vec::with_capacity(1 << 20);
    let format = match which.as_str() {
        "ours" => Format::Prometheus,
        "openmetrics" => Format::OpenMetrics,
        "json" => Format::Json,
        "ideal" => {
            let ideal = Ideal::new();
            for _ in 0..iterations {
                buf.clear();
                ideal.encode(&mut buf);
            }
            println!("{}", buf.len());
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("usage: encode <ours|openmetrics|json|ideal> [iterations]");
            return ExitCode::from(2);
        }
    };
    let registry = ours_registry();
    let opts = RenderOptions::new(format);
    for _ in 0..iterations {
        buf.clear();
        registry.render_into(&opts, &mut buf);
    }
    println!("{}", buf.len());
    ExitCode::SUCCESS
}
