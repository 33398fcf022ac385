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

/// A receiver on 127.0.0.1 that answers every request 204 and sends each body it receives,
/// in order, on the returned channel (for at most a minute).
fn receiver() -> (std::net::SocketAddr, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(60)));
                let mut w = s.try_clone().unwrap_or_else(|e| panic!("{e}"));
                let mut r = BufReader::new(s);
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim_end().is_empty() {
                            break;
                        }
                        if let Some((n, v)) = line.split_once(':')
                            && n.eq_ignore_ascii_case("content-length")
                        {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if r.read_exact(&mut body).is_err() || tx.send(body).is_err() {
                        return;
                    }
                    if w.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, rx)
}

#[test]
fn kumo_pushes_by_remote_write_and_makes_a_last_push_on_sigterm() {
    let (addr, bodies) = receiver();
    let url = format!("http://{addr}/api/v1/write");
    let (first, rest, code) = start_and_stop(
        env!("CARGO_BIN_EXE_kumo"),
        &["--listen", "127.0.0.1:0", "--remote-write", &url, "--push-interval", "3600"],
    );
    assert!(first.starts_with("kumo: serving http://127.0.0.1:"), "{first}");
    assert!(rest.contains(&format!("kumo: pushing to remote-write {addr} every 3600s")), "{rest}");
    assert!(rest.contains(&format!("kumo: last push to remote-write {addr} delivered")), "{rest}");
    assert_eq!(code, 0);
    // The interval's first push at start (if its thread ran before the signal), then the last
    // one at SIGTERM, which the "delivered" line above acknowledges.
    let got: Vec<Vec<u8>> = bodies.try_iter().collect();
    assert!(matches!(got.len(), 1 | 2), "{} pushes", got.len());
    let last = got.last().cloned().unwrap_or_default();
    let raw = snap::raw::Decoder::new().decompress_vec(&last).unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&raw);
    assert!(text.contains("total_messages_delivered") && text.contains("smtp_client"), "{text}");
}

#[test]
fn kumo_pushes_by_remote_write_and_otlp_at_once() {
    let (rw, rw_bodies) = receiver();
    let (otlp, otlp_bodies) = receiver();
    let (first, rest, code) = start_and_stop(
        env!("CARGO_BIN_EXE_kumo"),
        &[
            "--listen",
            "127.0.0.1:0",
            "--remote-write",
            &format!("http://{rw}/api/v1/write"),
            "--otlp",
            &format!("http://{otlp}"),
        ],
    );
    assert!(first.starts_with("kumo: serving http://127.0.0.1:"), "{first}");
    assert!(rest.contains(&format!("kumo: last push to remote-write {rw} delivered")), "{rest}");
    assert!(rest.contains(&format!("kumo: last push to otlp {otlp} delivered")), "{rest}");
    assert!(rest.contains("every 15s"), "the default interval: {rest}");
    assert_eq!(code, 0);
    assert!(rw_bodies.try_iter().count() >= 1);
    // OTLP bodies are plain protobuf: the metric names and the service name show in them.
    let last = otlp_bodies.try_iter().last().unwrap_or_default();
    let text = String::from_utf8_lossy(&last);
    assert!(
        text.contains("total_messages_delivered") && text.contains("service.name") && text.contains("kumo"),
        "{text}"
    );
}

#[test]
fn push_flags_are_checked_before_anything_starts() {
    let kumo = env!("CARGO_BIN_EXE_kumo");
    for (args, want) in [
        (vec!["--remote-write", "ftp://h/w"], "bad push URL `ftp://h/w`: the scheme must be http or https"),
        (vec!["--otlp", "not a url"], "bad push URL `not a url`"),
        (vec!["--push-interval", "0"], "invalid value for --push-interval: 0"),
        (vec!["--push-interval", "soon"], "soon"),
        (vec!["--remote-write"], "missing argument"),
    ] {
        let (code, _, err) = run(kumo, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want) && err.contains("usage:"), "{args:?}: {err}");
    }
    let batch = env!("CARGO_BIN_EXE_batch");
    for (args, want) in [
        (vec![], "missing --pushgateway URL"),
        (vec!["--pushgateway", "http://h", "--grouping", "novalue"], "expected LABEL=VALUE"),
        (vec!["--bogus"], "--bogus"),
    ] {
        let (code, _, err) = run(batch, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(want) && err.contains("usage:"), "{args:?}: {err}");
    }
}

#[test]
fn batch_pushes_once_with_put_and_exits_1_when_the_push_fails() {
    let (addr, bodies) = receiver();
    let (code, out, err) =
        run(env!("CARGO_BIN_EXE_batch"), &["--pushgateway", &format!("http://{addr}"), "--job", "nightly"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("processed 93 items, 7 failed; pushed"), "{out}");
    let got: Vec<Vec<u8>> = bodies.try_iter().collect();
    assert_eq!(got.len(), 1);
    let text = String::from_utf8_lossy(&got[0]);
    assert!(text.contains("batch_items_processed_total 93\n"), "{text}");
    assert!(text.contains("# TYPE batch_last_success_timestamp_seconds gauge\n"), "{text}");

    let closed =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = run(env!("CARGO_BIN_EXE_batch"), &["--pushgateway", &format!("http://{closed}")]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("batch: push to pushgateway") && err.contains("gave up after 3 retries"), "{err}");
}
