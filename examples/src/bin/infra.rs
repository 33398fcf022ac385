//! `cargo run -p examples --bin infra -- [--listen ADDR]`

use std::net::SocketAddr;
use std::process::ExitCode;

use examples::cli::{bind_error, runtime_error, shutdown_signal, usage_error};

const USAGE: &str = "infra [--listen ADDR]  (default 127.0.0.1:9090)";

fn args() -> Result<SocketAddr, lexopt::Error> {
    use lexopt::prelude::*;
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 9090));
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Long("listen") => listen = p.value()?.parse()?,
            Long("help") | Short('h') => {
                println!("usage: {USAGE}");
                std::process::exit(0);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(listen)
}

fn main() -> ExitCode {
    let listen = match args() {
        Ok(a) => a,
        Err(e) => return usage_error("infra", USAGE, e),
    };
    let running = match examples::infra::start(listen) {
        Ok(r) => r,
        Err(e) => return runtime_error("infra", bind_error(listen, e)),
    };
    let addr = running.local_addr();
    println!("infra: serving http://{addr}/metrics and the API at http://{addr}/v1/ (Ctrl-C to stop)");
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return runtime_error("infra", e),
    };
    rt.block_on(shutdown_signal());
    if let Err(e) = running.stop() {
        return runtime_error("infra", e);
    }
    println!("infra: stopped");
    ExitCode::SUCCESS
}
