//! `cargo run -p examples --bin kumo -- [--listen ADDR] [--trusted CIDR]...`

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use examples::cli::{bind_error, runtime_error, shutdown_signal, usage_error};
use metrics_http::TrustedHost;

const USAGE: &str = "kumo [--listen ADDR] [--trusted CIDR]...  (default 127.0.0.1:8000, trusted loopback)";

fn args() -> Result<(SocketAddr, Vec<TrustedHost>), lexopt::Error> {
    use lexopt::prelude::*;
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 8000));
    let mut trusted = Vec::new();
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Long("listen") => listen = p.value()?.parse()?,
            Long("trusted") => trusted.push(p.value()?.parse()?),
            Long("help") | Short('h') => {
                println!("usage: {USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok((listen, trusted))
}

fn main() -> ExitCode {
    let (listen, trusted) = match args() {
        Ok(a) => a,
        Err(e) => return usage_error("kumo", USAGE, e),
    };
    let running = match examples::kumo::start(listen, trusted, Duration::from_millis(500)) {
        Ok(r) => r,
        Err(e) => return runtime_error("kumo", bind_error(listen, e)),
    };
    let addr = running.local_addr();
    println!("kumo: serving http://{addr}/metrics and http://{addr}/metrics.json (Ctrl-C to stop)");
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return runtime_error("kumo", e),
    };
    rt.block_on(shutdown_signal());
    drop(running);
    println!("kumo: stopped");
    ExitCode::SUCCESS
}
