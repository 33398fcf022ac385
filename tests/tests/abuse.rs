//! The endpoint under abuse, against 127.0.0.1 only and bounded in time: oversized request
//! lines and headers, silent and trickling clients, too many connections, odd methods and
//! paths, bad prefixes, IPv4-mapped peers. Each gets its exact status, and the server answers
//! normally afterwards.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use metrics_core::{Counter, Metrics, Registry};
use metrics_http::{Exporter, Server, ServerHandle};
use metrics_tests::{raw, raw_get};

#[derive(Metrics)]
struct M {
    /// Requests.
    requests: Counter,
}

static METRICS: LazyLock<M> = LazyLock::new(M::default);

fn server(b: impl FnOnce(metrics_http::ServerBuilder) -> metrics_http::ServerBuilder, listen: &str) -> ServerHandle {
    let registry = Arc::new(Registry::new());
    registry.register(&METRICS).unwrap_or_else(|e| panic!("{e}"));
    let exporter = Exporter::builder(registry).build().unwrap_or_else(|e| panic!("{e}"));
    let addr: SocketAddr = listen.parse().unwrap_or_else(|e| panic!("{e}"));
    Server::spawn_thread(b(Server::builder(exporter).listen(addr))).unwrap_or_else(|e| panic!("{e}"))
}

fn healthy(addr: SocketAddr) {
    let (status, text) = raw_get(addr, "127.0.0.1", "/metrics", "");
    assert_eq!(status, 200, "the server is still healthy: {text}");
}

fn status_of(out: &[u8]) -> u16 {
    String::from_utf8_lossy(out).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn oversized_request_line_and_headers() {
    let s = server(|b| b.max_header_bytes(16 * 1024), "127.0.0.1:0");
    let addr = s.local_addr();
    // Longer than MAX_URI_LEN but inside the header buffer: the handler answers 414.
    let long_uri = format!("GET /metrics?{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(metrics_http::MAX_URI_LEN + 10));
    let out =
        raw(addr, "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}")), long_uri.as_bytes(), Duration::from_secs(5))
            .unwrap_or_default();
    assert_eq!(status_of(&out), 414, "{}", String::from_utf8_lossy(&out[..out.len().min(200)]));
    // Longer than the whole header buffer: hyper answers 431 before any handler runs.
    let long_uri = format!("GET /metrics?{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(64 * 1024));
    let out =
        raw(addr, "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}")), long_uri.as_bytes(), Duration::from_secs(5))
            .unwrap_or_default();
    assert_eq!(status_of(&out), 431);
    let big_headers = format!("GET /metrics HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n", "b".repeat(64 * 1024));
    let out = raw(
        addr,
        "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}")),
        big_headers.as_bytes(),
        Duration::from_secs(5),
    )
    .unwrap_or_default();
    assert_eq!(status_of(&out), 431, "{}", String::from_utf8_lossy(&out[..out.len().min(200)]));
    let many = format!("GET /metrics HTTP/1.1\r\nhost: x\r\n{}\r\n", "x-h: 1\r\n".repeat(200));
    let out = raw(addr, "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}")), many.as_bytes(), Duration::from_secs(5))
        .unwrap_or_default();
    assert_eq!(status_of(&out), 431, "too many headers");
    healthy(addr);
}

/// Reads until the server closes; returns how long that took, or `None` if it did not close
/// within `limit`.
fn closed_within(mut stream: TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    stream.set_read_timeout(Some(limit)).ok()?;
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(start.elapsed()),
            Err(_) => return None,
        }
    }
}

#[test]
fn silent_and_trickling_clients_are_dropped() {
    let s = server(|b| b.header_timeout(Duration::from_secs(1)), "127.0.0.1:0");
    let addr = s.local_addr();
    let silent = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    let took =
        closed_within(silent, Duration::from_secs(5)).unwrap_or_else(|| panic!("a silent client was not dropped"));
    assert!(took < Duration::from_secs(3), "dropped after {took:?}");

    let mut trickle = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    let mut dropped = false;
    for b in b"GET /metrics HTTP/1.1\r\nhost: x\r\n".iter().cycle().take(40) {
        if trickle.write_all(&[*b]).is_err() {
            dropped = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
        if start.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    if !dropped {
        dropped = closed_within(trickle, Duration::from_secs(3)).is_some();
    }
    assert!(dropped, "a client sending a byte every 250 ms must be dropped at the 1 s header timeout");
    healthy(addr);
}

#[test]
fn more_connections_than_the_limit() {
    let s = server(|b| b.max_connections(4).header_timeout(Duration::from_secs(2)), "127.0.0.1:0");
    let addr = s.local_addr();
    let idle: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"))).collect();
    std::thread::sleep(Duration::from_millis(200));
    let out = raw(
        addr,
        "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}")),
        b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n",
        Duration::from_secs(3),
    )
    .unwrap_or_default();
    assert_eq!(status_of(&out), 503, "{}", String::from_utf8_lossy(&out));
    assert!(String::from_utf8_lossy(&out).contains("retry-after: 1"));
    drop(idle);
    // The permits come back when those connections close.
    let start = Instant::now();
    loop {
        let (status, _) = raw_get(addr, "127.0.0.1", "/metrics", "");
        if status == 200 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "the server did not recover");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn odd_methods_paths_and_prefixes() {
    let s = server(|b| b, "127.0.0.1:0");
    let addr = s.local_addr();
    let from: std::net::IpAddr = "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}"));
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "FOO"] {
        let out = raw(
            addr,
            from,
            format!("{method} /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
            Duration::from_secs(3),
        )
        .unwrap_or_default();
        assert_eq!(status_of(&out), 405, "{method}");
    }
    let out = raw(addr, from, b"CONNECT x:1 HTTP/1.1\r\nhost: x\r\n\r\n", Duration::from_secs(3)).unwrap_or_default();
    assert!(matches!(status_of(&out), 400..=499), "CONNECT: {}", String::from_utf8_lossy(&out));
    for path in ["//metrics", "/metrics/../x", "/./metrics", "/%6D%65trics", "/metrics%3Fprefix=x", "/metrics;x", "*"] {
        let (status, _) = raw_get(addr, "127.0.0.1", path, "");
        assert!(status == 404 || status == 400, "{path}: {status}");
    }
    for (q, want) in [
        (format!("prefix={}", "a".repeat(1000)), 400),
        (format!("prefix={}", "a".repeat(10_000)), 414),
        ("prefix=%FF%FE".to_owned(), 400),
        ("prefix=a%00b".to_owned(), 400),
        ("prefix=ok_&prefix=also_ok_".to_owned(), 200),
        ("%%%=1".to_owned(), 200),
        ("prefix".to_owned(), 200),
    ] {
        assert_eq!(raw_get(addr, "127.0.0.1", &format!("/metrics?{q}"), "").0, want, "{}", &q[..q.len().min(40)]);
    }
    let bad = raw(addr, from, b"GARBAGE\r\n\r\n", Duration::from_secs(3)).unwrap_or_default();
    assert_eq!(status_of(&bad), 400, "{}", String::from_utf8_lossy(&bad));
    let bad = raw(addr, from, b"GET /metrics HTTP/1.1\r\nhost: x\r\nbad header line\r\n\r\n", Duration::from_secs(3))
        .unwrap_or_default();
    assert_eq!(status_of(&bad), 400);
    healthy(addr);
}

#[test]
fn ipv4_mapped_peer_counts_as_ipv4_loopback() {
    // An IPv6 socket bound to the IPv4-mapped loopback address: it listens on 127.0.0.1 only,
    // and peers appear as ::ffff:127.0.0.1.
    let Ok(s) = std::panic::catch_unwind(|| server(|b| b, "[::ffff:127.0.0.1]:0")) else {
        panic!("binding [::ffff:127.0.0.1] failed: the kernel has no dual-stack IPv6");
    };
    let addr = s.local_addr();
    assert!(addr.is_ipv6());
    let v4 = SocketAddr::from(([127, 0, 0, 1], addr.port()));
    assert_eq!(raw_get(v4, "127.0.0.1", "/metrics", "").0, 200, "::ffff:127.0.0.1 is loopback");
    assert_eq!(raw_get(v4, "127.0.0.2", "/metrics", "").0, 200, "::ffff:127.0.0.2 is loopback too");
}
