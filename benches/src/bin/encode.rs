//! Encodes the benchmark registry (25 families x 100 series) in a loop, for profilers: run it
//! under `valgrind --tool=callgrind` or `perf record` to see where encoding time goes, with the
//! ideal encoder beside ours as the floor.
//!
//! Usage: `encode <ours|openmetrics|json|protobuf|ideal|dotted-utf8|dotted-underscores|dotted-openmetrics|
//! twin|twin-openmetrics> [iterations]` (default 1000). Prints the bytes of one encoding. The
//! `dotted-*` modes encode the same workload with OpenTelemetry-style names
//! (`app.c0{"http.route"=...}`): quoted (text 1.0.0, `allow-utf-8`), escaped (`underscores`),
//! or quoted in OpenMetrics; `twin*` encode it named in its legacy spelling (`app_c0`,
//! `http_route`), the same text but for the quotes.

use std::process::ExitCode;

use benches::{Ideal, dotted_registry, ours_registry, twin_registry};
use metrics_core::{Escaping, Format, RenderOptions};

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
    let (format, escaping, dotted) = match which.as_str() {
        "ours" => (Format::Prometheus, Escaping::Underscores, false),
        "openmetrics" => (Format::OpenMetrics, Escaping::Underscores, false),
        "json" => (Format::Json, Escaping::Underscores, false),
        "protobuf" => (Format::Protobuf, Escaping::Underscores, false),
        "dotted-utf8" => (Format::Prometheus, Escaping::AllowUtf8, true),
        "dotted-underscores" => (Format::Prometheus, Escaping::Underscores, true),
        "dotted-openmetrics" => (Format::OpenMetrics, Escaping::AllowUtf8, true),
        "twin" => (Format::Prometheus, Escaping::Underscores, false),
        "twin-openmetrics" => (Format::OpenMetrics, Escaping::Underscores, false),
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
            eprintln!(
                "usage: encode <ours|openmetrics|json|protobuf|ideal|dotted-utf8|dotted-underscores|dotted-openmetrics|twin|twin-openmetrics> [iterations]"
            );
            return ExitCode::from(2);
        }
    };
    let registry = if dotted {
        dotted_registry()
    } else if which.starts_with("twin") {
        twin_registry()
    } else {
        ours_registry()
    };
    let opts = RenderOptions::new(format).with_escaping(escaping);
    for _ in 0..iterations {
        buf.clear();
        registry.render_into(&opts, &mut buf);
    }
    println!("{}", buf.len());
    ExitCode::SUCCESS
}
