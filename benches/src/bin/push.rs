//! Builds push requests for the benchmark registry (25 families x 100 series) in a loop, for
//! profilers: run it under `valgrind --tool=callgrind` to count the instructions of one push
//! next to our text encoding of the same registry (issue 14's bound: remote write and OTLP each
//! <= 2x the text encode). Take the difference of two iteration counts so start-up cancels.
//!
//! Usage: `push <text|remote-write|remote-write-full|otlp|snappy|visit> [iterations]` (default
//! 1000). Prints the bytes of one request (compressed for `snappy`, the label count for
//! `visit`). `remote-write` is the steady state (the same series as the last push: the values
//! are rewritten in the last request's bytes), `remote-write-full` every byte written anew (the
//! series changed).

use std::process::ExitCode;

use benches::ours_registry;
use metrics_core::encoding::{SampleLabels, SampleVisitor};
use metrics_core::{Descriptor, Format, RenderOptions, SampleValue};

/// Counts labels: the walk alone.
struct Count(usize);

impl SampleVisitor for Count {
    fn sample(&mut self, _: &Descriptor, l: &SampleLabels<'_>, _: SampleValue<'_>) {
        self.0 += l.len();
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_default();
    let iterations: usize = match args.next().map(|n| n.parse()) {
        None => 1000,
        Some(Ok(n)) => n,
        Some(Err(e)) => {
            eprintln!("push: bad iteration count: {e}");
            return ExitCode::from(2);
        }
    };
    let registry = ours_registry();
    let labels = vec![("job".to_owned(), "bench".to_owned())];
    let ts = 1_700_000_000_000;
    let mut size = 0;
    match which.as_str() {
        "text" => {
            let opts = RenderOptions::new(Format::Prometheus);
            let mut buf = Vec::with_capacity(1 << 20);
            for _ in 0..iterations {
                buf.clear();
                registry.render_into(&opts, &mut buf);
                size = buf.len();
            }
        }
        "remote-write" | "remote-write-full" => {
            let full = which == "remote-write-full";
            let mut encoder = metrics_push::remote_write::Encoder::new(labels, usize::MAX);
            for _ in 0..iterations {
                if full {
                    encoder.reset();
                }
                size = match encoder.encode(&registry, ts) {
                    Ok(bodies) => bodies.iter().map(|b| b.len()).sum(),
                    Err(e) => {
                        eprintln!("push: {e}");
                        return ExitCode::FAILURE;
                    }
                };
            }
        }
        "otlp" => {
            let mut encoder = metrics_push::otlp::Encoder::new(&[("service.name".to_owned(), "bench".to_owned())]);
            let now = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ts as u64);
            for _ in 0..iterations {
                size = encoder.encode(&registry, now).len();
            }
        }
        "snappy" => {
            let body = match metrics_push::remote_write::encode_registry(&registry, &labels, ts, usize::MAX) {
                Ok(mut b) => b.remove(0),
                Err(e) => {
                    eprintln!("push: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap_or_default();
            let mut enc = snap::raw::Encoder::new();
            let mut out = vec![0; snap::raw::max_compress_len(raw.len())];
            for _ in 0..iterations {
                size = enc.compress(&raw, &mut out).unwrap_or(0);
            }
        }
        "visit" => {
            for _ in 0..iterations {
                let mut n = Count(0);
                registry.visit(&mut n);
                size = n.0;
            }
        }
        _ => {
            eprintln!("usage: push <text|remote-write|remote-write-full|otlp|snappy|visit> [iterations]");
            return ExitCode::from(2);
        }
    }
    println!("{size}");
    ExitCode::SUCCESS
}
