//! The endpoint under load: a registry of 25 families x 100 series mutated by background
//! threads, scraped by concurrent keep-alive clients on 127.0.0.1, with and without gzip.
//! Zero failed requests; prints requests/s and p50/p99 latency. Bounded: `LOAD_SECONDS` per
//! mode (default 2; the figures in the closing note use
//! `LOAD_SECONDS=30 cargo test --release -p metrics-tests --test load -- --nocapture`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet, Metrics, Registry};
use metrics_http::{Exporter, Server};

#[derive(LabelSet)]
struct Route {
    route: String,
}

/// Five families of each of five kinds of use, 100 series each.
#[derive(Metrics)]
struct Load {
    /// a
    a: Family<Route, Counter>,
    /// b
    b: Family<Route, Counter>,
    /// c
    c: Family<Route, Counter>,
    /// d
    d: Family<Route, Counter>,
    /// e
    e: Family<Route, Counter>,
    /// f
    f: Family<Route, Gauge>,
    /// g
    g: Family<Route, Gauge>,
    /// h
    h: Family<Route, Gauge>,
    /// i
    i: Family<Route, Gauge>,
    /// j
    j: Family<Route, Gauge>,
    /// k
    k: Family<Route, Counter>,
    /// l
    l: Family<Route, Counter>,
    /// m
    m: Family<Route, Counter>,
    /// n
    n: Family<Route, Counter>,
    /// o
    o: Family<Route, Counter>,
    /// p
    p: Family<Route, Gauge>,
    /// q
    q: Family<Route, Gauge>,
    /// r
    r: Family<Route, Gauge>,
    /// s
    s: Family<Route, Gauge>,
    /// t
    t: Family<Route, Gauge>,
    /// u
    u: Family<Route, Histogram>,
    /// v
    v: Family<Route, Histogram>,
    /// w
    w: Family<Route, Histogram>,
    /// x
    x: Family<Route, Histogram>,
    /// y
    y: Family<Route, Histogram>,
}

static ROUTES: LazyLock<Vec<Route>> =
    LazyLock::new(|| (0..100).map(|i| Route { route: format!("/api/v1/route/{i}") }).collect());

fn mutate(m: &Load, k: usize) {
    let r = &ROUTES[k % 100];
    for c in [&m.a, &m.b, &m.c, &m.d, &m.e, &m.k, &m.l, &m.m, &m.n, &m.o] {
        c.get_or_create(r).inc();
    }
    for g in [&m.f, &m.g, &m.h, &m.i, &m.j, &m.p, &m.q, &m.r, &m.s, &m.t] {
        g.get_or_create(r).set(k as i64);
    }
    for h in [&m.u, &m.v, &m.w, &m.x, &m.y] {
        h.get_or_create(r).observe((k % 1000) as f64 / 100.0);
    }
}

/// One keep-alive scrape; returns the status code.
fn scrape(stream: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> std::io::Result<u16> {
    stream.write_all(request)?;
    buf.clear();
    let mut chunk = [0u8; 65536];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::other("closed"));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p]).to_ascii_lowercase();
            let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").and_then(|v| v.trim().parse().ok()))
                .unwrap_or(0);
            while buf.len() < p + 4 + len {
                let n = stream.read(&mut chunk)?;
                if n == 0 {
                    return Err(std::io::Error::other("closed mid-body"));
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok(status);
        }
    }
}

fn run(addr: SocketAddr, gzip: bool, clients: usize, seconds: u64) -> (usize, usize, Vec<Duration>) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            std::thread::spawn(move || {
                let enc = if gzip { "accept-encoding: gzip\r\n" } else { "" };
                let request = format!("GET /metrics HTTP/1.1\r\nhost: load\r\n{enc}\r\n").into_bytes();
                let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
                let _ = stream.set_nodelay(true);
                let mut buf = Vec::with_capacity(1 << 20);
                let (mut ok, mut failed, mut lat) = (0, 0, Vec::new());
                while Instant::now() < deadline {
                    let start = Instant::now();
                    match scrape(&mut stream, &request, &mut buf) {
                        Ok(200) => {
                            ok += 1;
                            lat.push(start.elapsed());
                        }
                        _ => {
                            failed += 1;
                            stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
                        }
                    }
                }
                (ok, failed, lat)
            })
        })
        .collect();
    let mut all = (0, 0, Vec::new());
    for h in handles {
        let (ok, failed, lat) = h.join().unwrap_or_else(|_| panic!("client panicked"));
        all.0 += ok;
        all.1 += failed;
        all.2.extend(lat);
    }
    all
}

#[test]
fn sustained_concurrent_scrapes() {
    let seconds: u64 = std::env::var("LOAD_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let clients = 8;
    let m = Arc::new(Load::default());
    for k in 0..100 {
        mutate(&m, k);
    }
    let registry = Arc::new(Registry::new());
    registry.register_arc(m.clone()).unwrap_or_else(|e| panic!("{e}"));
    // As many concurrent scrapes as clients: this test measures throughput, not the limit.
    let exporter =
        Exporter::builder(registry).max_concurrent_scrapes(clients).build().unwrap_or_else(|e| panic!("{e}"));
    let server = Server::spawn_thread(Server::builder(exporter).listen(SocketAddr::from(([127, 0, 0, 1], 0))))
        .unwrap_or_else(|e| panic!("{e}"));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|t| {
            let (m, stop) = (m.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut k = t;
                while !stop.load(Ordering::Relaxed) {
                    mutate(&m, k);
                    k += 2;
                    if k % 64 == 0 {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                }
            })
        })
        .collect();
    for gzip in [false, true] {
        let (ok, failed, mut lat) = run(server.local_addr(), gzip, clients, seconds);
        lat.sort();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or_default()
        };
        println!(
            "load gzip={gzip}: {ok} scrapes in {seconds} s = {:.0} req/s, p50 {:?}, p99 {:?}, failed {failed}",
            ok as f64 / seconds as f64,
            pct(0.5),
            pct(0.99)
        );
        assert_eq!(failed, 0, "no failed request under load (gzip={gzip})");
        assert!(ok > 0);
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap_or_else(|_| panic!("writer panicked"));
    }
}
