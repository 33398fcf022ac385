//! `cargo run -p examples --bin kumo -- [--listen ADDR] [--trusted CIDR]... [--remote-write URL]
//! [--otlp URL] [--push-interval SECS]`

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use examples::cli::{bind_error, runtime_error, shutdown_signal, usage_error};
use metrics_http::TrustedHost;
use metrics_push::Destination;

const USAGE: &str = "kumo [--listen ADDR] [--trusted CIDR]... [--remote-write URL] [--otlp URL] [--push-interval SECS]  \
(default 127.0.0.1:8000, trusted loopback; pushes every 15 s)";

struct Args {
    listen: SocketAddr,
    trusted: Vec<TrustedHost>,
    remote_write: Option<String>,
    otlp: Option<String>,
    push_interval: Duration,
}

fn args() -> Result<Args, lexopt::Error> {
    use lexopt::prelude::*;
    let mut a = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
        trusted: Vec::new(),
        remote_write: None,
        otlp: None,
        push_interval: metrics_push::DEFAULT_INTERVAL,
    };
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Long("listen") => a.listen = p.value()?.parse()?,
            Long("trusted") => a.trusted.push(p.value()?.parse()?),
            Long("remote-write") => a.remote_write = Some(p.value()?.string()?),
            Long("otlp") => a.otlp = Some(p.value()?.string()?),
            Long("push-interval") => {
                let secs: f64 = p.value()?.parse()?;
                if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
                    return Err(
                        format!("invalid value for --push-interval: {secs} (seconds, above 0, at most 86400)").into()
                    );
                }
                a.push_interval = Duration::from_secs_f64(secs);
            }
            Long("help") | Short('h') => {
                println!("usage: {USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => return usage_error("kumo", USAGE, e),
    };
    let mut destinations = Vec::new();
    if let Some(url) = &a.remote_write {
        destinations.push(Destination::remote_write(url).external_label("job", "kumo"));
    }
    if let Some(url) = &a.otlp {
        destinations.push(Destination::otlp(url).resource("service.name", "kumo"));
    }
    if let Some(e) = destinations.iter().find_map(|d| d.check().err()) {
        return usage_error("kumo", USAGE, e);
    }
    let running = match examples::kumo::start(a.listen, a.trusted, Duration::from_millis(500)) {
        Ok(r) => r,
        Err(e) => return runtime_error("kumo", bind_error(a.listen, e)),
    };
    let mut pushers = Vec::new();
    for d in destinations {
        match d.interval(Some(a.push_interval)).start(running.registry.clone()) {
            Ok(p) => pushers.push(p),
            Err(e) => return runtime_error("kumo", e),
        }
    }
    let addr = running.local_addr();
    println!("kumo: serving http://{addr}/metrics and http://{addr}/metrics.json (Ctrl-C to stop)");
    for p in &pushers {
        println!("kumo: pushing to {} every {:?}", p.name(), a.push_interval);
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return runtime_error("kumo", e),
    };
    rt.block_on(shutdown_signal());
    // The last push, while the workload's metrics are still there.
    for p in pushers {
        let name = p.name().to_owned();
        match p.shutdown() {
            Ok(()) => println!("kumo: last push to {name} delivered"),
            Err(e) => eprintln!("kumo: {e}"),
        }
    }
    drop(running);
    println!("kumo: stopped");
    ExitCode::SUCCESS
}
