//! The example binaries' command lines: the URL they print, a clean stop on a signal, and clear
//! errors for a bad flag, an unreadable or invalid config, and a port in use.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

fn run(bin: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin).args(args).output().unwrap_or_else(|e| panic!("{bin}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `bin`, reads its first line, sends SIGTERM and returns (first line, rest, exit code).
fn start_and_stop(bin: &str, args: &[&str]) -> (String, String, i32) {
    let mut child = Command::new(bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    let mut out = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("stdout")));
    let mut first = String::new();
    out.read_line(&mut first).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(200));
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    let code = child.wait().map(|s| s.code().unwrap_or(-1)).unwrap_or(-1);
    (first, rest, code)
}

#[test]
fn kumo_prints_its_url_and_stops_cleanly() {
    let (first, rest, code) =
        start_and_stop(env!("CARGO_BIN_EXE_kumo"), &["--listen", "127.0.0.1:0", "--trusted", "127.0.0.0/8"]);
    assert!(first.starts_with("kumo: serving http://127.0.0.1:"), "{first}");
    assert!(rest.contains("kumo: stopped"), "{rest}");
    assert_eq!(code, 0);
}

#[test]
fn infra_prints_its_url_and_stops_cleanly() {
    let (first, rest, code) = start_and_stop(env!("CARGO_BIN_EXE_infra"), &["--listen", "127.0.0.1:0"]);
    assert!(first.starts_with("infra: serving http://127.0.0.1:"), "{first}");
    assert!(rest.contains("infra: stopped"), "{rest}");
    assert_eq!(code, 0);
}

#[test]
fn bad_flags_are_usage_errors() {
    for (bin, args) in [
        (env!("CARGO_BIN_EXE_kumo"), vec!["--bogus"]),
        (env!("CARGO_BIN_EXE_kumo"), vec!["--listen", "not-an-address"]),
        (env!("CARGO_BIN_EXE_kumo"), vec!["--trusted", "10.0.0.0/99"]),
        (env!("CARGO_BIN_EXE_infra"), vec!["--listen"]),
        (env!("CARGO_BIN_EXE_stalwart"), vec![]),
    ] {
        let (code, _, err) = run(bin, &args);
        assert_eq!(code, 2, "{bin} {args:?}: {err}");
        assert!(err.contains("usage:"), "{err}");
    }
}

#[test]
fn port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = taken.local_addr().unwrap_or_else(|e| panic!("{e}")).to_string();
    for bin in [env!("CARGO_BIN_EXE_kumo"), env!("CARGO_BIN_EXE_infra")] {
        let (code, _, err) = run(bin, &["--listen", &addr]);
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("already in use"), "{err}");
    }
}

#[test]
fn stalwart_config_errors_and_disabled_exporter() {
    let bin = env!("CARGO_BIN_EXE_stalwart");
    let (code, _, err) = run(bin, &["--config", "/nonexistent/stalwart.toml"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read /nonexistent/stalwart.toml"), "{err}");

    let dir = std::env::temp_dir().join(format!("stalwart-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[metrics.prometheus]\nenable = \"yes\"\n").unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = run(bin, &["--config", bad.to_str().unwrap_or_default()]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid configuration") && err.contains("enable"), "{err}");

    let off = dir.join("off.toml");
    let mut f = std::fs::File::create(&off).unwrap_or_else(|e| panic!("{e}"));
    writeln!(f, "[metrics.prometheus]\nenable = false\nlisten = \"127.0.0.1:0\"").unwrap_or_else(|e| panic!("{e}"));
    let (first, _, code) = start_and_stop(bin, &["--config", off.to_str().unwrap_or_default()]);
    assert!(first.contains("disabled") && first.contains("not listening"), "{first}");
    assert_eq!(code, 0);

    let (first, rest, code) = start_and_stop(
        bin,
        &["--config", concat!(env!("CARGO_MANIFEST_DIR"), "/stalwart.toml"), "--listen", "127.0.0.1:0"],
    );
    assert!(
        first.starts_with("stalwart: serving http://127.0.0.1:") && first.contains("/metrics/prometheus"),
        "{first}"
    );
    assert!(rest.contains("stalwart: stopped"), "{rest}");
    assert_eq!(code, 0);
    let _ = std::fs::remove_dir_all(dir);
}
