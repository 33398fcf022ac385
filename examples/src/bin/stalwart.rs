//! `cargo run -p examples --bin stalwart -- --config examples/stalwart.toml [--listen ADDR]`

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use examples::cli::{bind_error, runtime_error, shutdown_signal, usage_error};

const USAGE: &str = "stalwart --config FILE [--listen ADDR]";

fn args() -> Result<(PathBuf, Option<SocketAddr>), lexopt::Error> {
    use lexopt::prelude::*;
    let mut config = None;
    let mut listen = None;
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Long("config") => config = Some(PathBuf::from(p.value()?)),
            Long("listen") => listen = Some(p.value()?.parse()?),
            Long("help") | Short('h') => {
                println!("usage: {USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    let config = config.ok_or(lexopt::Error::MissingValue { option: Some("--config".into()) })?;
    Ok((config, listen))
}

fn main() -> ExitCode {
    let (path, listen) = match args() {
        Ok(a) => a,
        Err(e) => return usage_error("stalwart", USAGE, e),
    };
    let config = match examples::stalwart::load(&path) {
        Ok(c) => c.metrics.prometheus,
        Err(e) => return runtime_error("stalwart", e),
    };
    let addr = listen.unwrap_or(config.listen);
    let server = match examples::stalwart::start(&config, listen) {
        Ok(s) => s,
        Err(e) => return runtime_error("stalwart", bind_error(addr, e)),
    };
    match &server {
        Some(s) => {
            println!("stalwart: serving http://{}/metrics/prometheus (basic auth; Ctrl-C to stop)", s.local_addr())
        }
        None => {
            println!("stalwart: the Prometheus exporter is disabled (metrics.prometheus.enable = false); not listening")
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return runtime_error("stalwart", e),
    };
    rt.block_on(shutdown_signal());
    if let Some(s) = server
        && let Err(e) = s.shutdown()
    {
        return runtime_error("stalwart", e);
    }
    println!("stalwart: stopped");
    ExitCode::SUCCESS
}
