//! What the example binaries share: flag errors, Ctrl-C, exit codes.

use std::fmt::Display;
use std::process::ExitCode;

/// Prints a usage error and returns exit code 2.
pub fn usage_error(bin: &str, usage: &str, err: impl Display) -> ExitCode {
    eprintln!("{bin}: {err}\nusage: {usage}");
    ExitCode::from(2)
}

/// Prints a runtime error and returns exit code 1.
pub fn runtime_error(bin: &str, err: impl Display) -> ExitCode {
    eprintln!("{bin}: {err}");
    ExitCode::from(1)
}

/// A future that completes on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// A bind error with the address, saying plainly when the port is taken.
pub fn bind_error(addr: std::net::SocketAddr, e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        format!("cannot listen on {addr}: the address is already in use (pick another with --listen)")
    } else {
        format!("cannot listen on {addr}: {e}")
    }
}
