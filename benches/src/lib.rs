//! The workloads the benchmarks run, built the same way for this project and for each peer:
//! label types, the 25-family registry, the hand-written ideal encoder (a floor), and an HTTP
//! scrape client. The peers' side of each workload is in [`peers`].

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet, LabelValue, Metrics, Registry};

pub mod peers;

/// Series per family in the encoding workload.
pub const SERIES: usize = 100;
/// The default buckets of the Prometheus client libraries.
pub const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Values cycled through by the histogram benchmark.
pub const OBSERVATIONS: [f64; 8] = [0.003, 0.02, 0.07, 0.3, 0.8, 1.7, 4.0, 12.0];
/// The four methods of the family workload.
pub const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
/// The five statuses of the family workload.
pub const STATUSES: [&str; 5] = ["200", "201", "404", "500", "503"];

/// The route label of series `i`.
pub fn route(i: usize) -> String {
    format!("/api/v1/route/{i}")
}

/// Counter value of series `i`.
pub fn counter_value(i: usize) -> u64 {
    i as u64 * 1000 + 7
}

/// Gauge value of series `i`.
pub fn gauge_value(i: usize) -> i64 {
    i as i64 * 31 - 500
}

/// The observations of histogram series `i`.
pub fn observations(i: usize) -> impl Iterator<Item = f64> {
    (0..20).map(move |k| (i * k) as f64 / 1000.0)
}

/// Method, an enum label (dense path).
#[derive(LabelValue, Clone, Copy)]
#[label(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

/// Status, an enum label (dense path).
#[derive(LabelValue, Clone, Copy)]
pub enum Status {
    /// 200
    #[label(rename = "200")]
    S200,
    /// 201
    #[label(rename = "201")]
    S201,
    /// 404
    #[label(rename = "404")]
    S404,
    /// 500
    #[label(rename = "500")]
    S500,
    /// 503
    #[label(rename = "503")]
    S503,
}

/// All-enum labels.
#[derive(LabelSet)]
pub struct EnumLabels {
    /// method
    pub method: Method,
    /// status
    pub status: Status,
}

/// String labels.
#[derive(LabelSet)]
pub struct StrLabels {
    /// method
    pub method: String,
    /// status
    pub status: String,
}

/// The 20 enum label sets, cycled through.
pub fn enum_keys() -> Vec<EnumLabels> {
    let m = [Method::Get, Method::Post, Method::Put, Method::Delete];
    let s = [Status::S200, Status::S201, Status::S404, Status::S500, Status::S503];
    (0..20).map(|i| EnumLabels { method: m[i % 4], status: s[i % 5] }).collect()
}

/// The 20 string label sets, cycled through.
pub fn str_keys() -> Vec<StrLabels> {
    (0..20).map(|i| StrLabels { method: METHODS[i % 4].to_owned(), status: STATUSES[i % 5].to_owned() }).collect()
}

/// The `route` label.
#[derive(LabelSet)]
pub struct Route {
    /// route
    pub route: String,
}

/// The `route` label, stored inline in the series when short.
#[derive(LabelSet)]
pub struct InlineRoute {
    /// route
    pub route: metrics_core::labels::SmolStr,
}

/// The encoding workload: 10 counter, 10 gauge and 5 histogram families of 100 series.
#[derive(Metrics)]
#[allow(missing_docs)]
pub struct Big {
    /// c
    pub c0: Family<Route, Counter>,
    /// c
    pub c1: Family<Route, Counter>,
    /// c
    pub c2: Family<Route, Counter>,
    /// c
    pub c3: Family<Route, Counter>,
    /// c
    pub c4: Family<Route, Counter>,
    /// c
    pub c5: Family<Route, Counter>,
    /// c
    pub c6: Family<Route, Counter>,
    /// c
    pub c7: Family<Route, Counter>,
    /// c
    pub c8: Family<Route, Counter>,
    /// c
    pub c9: Family<Route, Counter>,
    /// g
    pub g0: Family<Route, Gauge>,
    /// g
    pub g1: Family<Route, Gauge>,
    /// g
    pub g2: Family<Route, Gauge>,
    /// g
    pub g3: Family<Route, Gauge>,
    /// g
    pub g4: Family<Route, Gauge>,
    /// g
    pub g5: Family<Route, Gauge>,
    /// g
    pub g6: Family<Route, Gauge>,
    /// g
    pub g7: Family<Route, Gauge>,
    /// g
    pub g8: Family<Route, Gauge>,
    /// g
    pub g9: Family<Route, Gauge>,
    /// h
    pub h0: Family<Route, Histogram>,
    /// h
    pub h1: Family<Route, Histogram>,
    /// h
    pub h2: Family<Route, Histogram>,
    /// h
    pub h3: Family<Route, Histogram>,
    /// h
    pub h4: Family<Route, Histogram>,
}

/// A value alone in a 128-byte block (two cache lines), so that no other data shares its lines.
#[repr(align(128))]
pub struct Isolated<T>(pub T);

/// The encoding workload's registry from one of its three spellings (`Big`, `Dotted`, `Twin`:
/// the same fields, other names): every series filled with the same values.
macro_rules! fill_registry {
    ($metrics:ident, $labels:ident) => {{
        let b = $metrics::default();
        for i in 0..SERIES {
            let r = $labels { route: route(i) };
            for c in [&b.c0, &b.c1, &b.c2, &b.c3, &b.c4, &b.c5, &b.c6, &b.c7, &b.c8, &b.c9] {
                c.get_or_create(&r).inc_by(counter_value(i));
            }
            for g in [&b.g0, &b.g1, &b.g2, &b.g3, &b.g4, &b.g5, &b.g6, &b.g7, &b.g8, &b.g9] {
                g.get_or_create(&r).set(gauge_value(i));
            }
            for h in [&b.h0, &b.h1, &b.h2, &b.h3, &b.h4] {
                let h = h.get_or_create(&r);
                observations(i).for_each(|v| h.observe(v));
            }
        }
        let reg = Arc::new(Registry::new());
        if let Err(e) = reg.register_arc(Arc::new(b)) {
            panic!("{e}");
        }
        reg
    }};
}

/// Our registry with the encoding workload.
pub fn ours_registry() -> Arc<Registry> {
    fill_registry!(Big, Route)
}

/// The `http.route` label, named as OpenTelemetry does.
#[derive(LabelSet)]
pub struct DottedRoute {
    /// route
    #[label(rename = "http.route")]
    pub route: String,
}

/// The encoding workload with OpenTelemetry-style names (`app.c0`, label `http.route`): the
/// same 25 families of 100 series as [`Big`], whose names need quoting under `allow-utf-8`
/// and escaping under the other schemes.
#[derive(Metrics)]
#[allow(missing_docs)]
pub struct Dotted {
    /// c
    #[metric(name = "app.c0")]
    pub c0: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c1")]
    pub c1: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c2")]
    pub c2: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c3")]
    pub c3: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c4")]
    pub c4: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c5")]
    pub c5: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c6")]
    pub c6: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c7")]
    pub c7: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c8")]
    pub c8: Family<DottedRoute, Counter>,
    /// c
    #[metric(name = "app.c9")]
    pub c9: Family<DottedRoute, Counter>,
    /// g
    #[metric(name = "app.g0")]
    pub g0: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g1")]
    pub g1: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g2")]
    pub g2: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g3")]
    pub g3: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g4")]
    pub g4: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g5")]
    pub g5: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g6")]
    pub g6: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g7")]
    pub g7: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g8")]
    pub g8: Family<DottedRoute, Gauge>,
    /// g
    #[metric(name = "app.g9")]
    pub g9: Family<DottedRoute, Gauge>,
    /// h
    #[metric(name = "app.h0")]
    pub h0: Family<DottedRoute, Histogram>,
    /// h
    #[metric(name = "app.h1")]
    pub h1: Family<DottedRoute, Histogram>,
    /// h
    #[metric(name = "app.h2")]
    pub h2: Family<DottedRoute, Histogram>,
    /// h
    #[metric(name = "app.h3")]
    pub h3: Family<DottedRoute, Histogram>,
    /// h
    #[metric(name = "app.h4")]
    pub h4: Family<DottedRoute, Histogram>,
}

/// Our registry with the dotted-name encoding workload.
pub fn dotted_registry() -> Arc<Registry> {
    fill_registry!(Dotted, DottedRoute)
}

/// The `http_route` label: [`DottedRoute`]'s legacy spelling.
#[derive(LabelSet)]
pub struct TwinRoute {
    /// route
    #[label(rename = "http_route")]
    pub route: String,
}

/// [`Dotted`] named in its legacy spelling (`app_c0`, label `http_route`): the same output but
/// for the quotes, the fair baseline of the dotted workload under `allow-utf-8`.
#[derive(Metrics)]
#[allow(missing_docs)]
pub struct Twin {
    /// c
    #[metric(name = "app_c0")]
    pub c0: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c1")]
    pub c1: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c2")]
    pub c2: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c3")]
    pub c3: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c4")]
    pub c4: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c5")]
    pub c5: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c6")]
    pub c6: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c7")]
    pub c7: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c8")]
    pub c8: Family<TwinRoute, Counter>,
    /// c
    #[metric(name = "app_c9")]
    pub c9: Family<TwinRoute, Counter>,
    /// g
    #[metric(name = "app_g0")]
    pub g0: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g1")]
    pub g1: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g2")]
    pub g2: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g3")]
    pub g3: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g4")]
    pub g4: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g5")]
    pub g5: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g6")]
    pub g6: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g7")]
    pub g7: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g8")]
    pub g8: Family<TwinRoute, Gauge>,
    /// g
    #[metric(name = "app_g9")]
    pub g9: Family<TwinRoute, Gauge>,
    /// h
    #[metric(name = "app_h0")]
    pub h0: Family<TwinRoute, Histogram>,
    /// h
    #[metric(name = "app_h1")]
    pub h1: Family<TwinRoute, Histogram>,
    /// h
    #[metric(name = "app_h2")]
    pub h2: Family<TwinRoute, Histogram>,
    /// h
    #[metric(name = "app_h3")]
    pub h3: Family<TwinRoute, Histogram>,
    /// h
    #[metric(name = "app_h4")]
    pub h4: Family<TwinRoute, Histogram>,
}

/// Our registry with [`Twin`], the legacy twin of the dotted-name workload.
pub fn twin_registry() -> Arc<Registry> {
    fill_registry!(Twin, TwinRoute)
}

/// The floor of histogram observation: a linear bucket search, one atomic add, and a
/// compare-and-swap loop adding to the float sum.
pub struct FloorHistogram {
    counts: [AtomicU64; 12],
    sum: AtomicU64,
}

impl Default for FloorHistogram {
    fn default() -> Self {
        FloorHistogram { counts: std::array::from_fn(|_| AtomicU64::new(0)), sum: AtomicU64::new(0) }
    }
}

impl FloorHistogram {
    /// Observes `v`.
    #[inline]
    pub fn observe(&self, v: f64) {
        let mut i = 0;
        while i < BUCKETS.len() && v > BUCKETS[i] {
            i += 1;
        }
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        let mut cur = self.sum.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(cur) + v).to_bits();
            match self.sum.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break,
                Err(x) => cur = x,
            }
        }
    }
}

/// The ideal encoder, a floor for text encoding: every line's prefix (name and labels) is
/// precomputed, so encoding is copying prefixes and formatting numbers with itoa/ryu into a
/// reused buffer.
pub struct Ideal {
    families: Vec<(Vec<u8>, Vec<IdealSeries>)>,
}

enum IdealSeries {
    Int(Vec<u8>, AtomicU64),
    Signed(Vec<u8>, std::sync::atomic::AtomicI64),
    Histogram { buckets: Vec<Vec<u8>>, sum: Vec<u8>, count: Vec<u8>, h: FloorHistogram },
}

impl Ideal {
    /// The encoding workload, for the ideal encoder.
    pub fn new() -> Self {
        let mut families = Vec::new();
        for f in 0..10 {
            let name = format!("c{f}_total");
            let header = format!("# HELP {name} c\n# TYPE {name} counter\n").into_bytes();
            let series = (0..SERIES)
                .map(|i| {
                    IdealSeries::Int(
                        format!("{name}{{route=\"{}\"}} ", route(i)).into_bytes(),
                        AtomicU64::new(counter_value(i)),
                    )
                })
                .collect();
            families.push((header, series));
        }
        for f in 0..10 {
            let name = format!("g{f}");
            let header = format!("# HELP {name} g\n# TYPE {name} gauge\n").into_bytes();
            let series = (0..SERIES)
                .map(|i| {
                    IdealSeries::Signed(
                        format!("{name}{{route=\"{}\"}} ", route(i)).into_bytes(),
                        std::sync::atomic::AtomicI64::new(gauge_value(i)),
                    )
                })
                .collect();
            families.push((header, series));
        }
        for f in 0..5 {
            let name = format!("h{f}");
            let header = format!("# HELP {name} h\n# TYPE {name} histogram\n").into_bytes();
            let series = (0..SERIES)
                .map(|i| {
                    let r = route(i);
                    let mut buckets: Vec<Vec<u8>> = BUCKETS
                        .iter()
                        .map(|b| format!("{name}_bucket{{route=\"{r}\",le=\"{b}\"}} ").into_bytes())
                        .collect();
                    buckets.push(format!("{name}_bucket{{route=\"{r}\",le=\"+Inf\"}} ").into_bytes());
                    let h = FloorHistogram::default();
                    observations(i).for_each(|v| h.observe(v));
                    IdealSeries::Histogram {
                        buckets,
                        sum: format!("{name}_sum{{route=\"{r}\"}} ").into_bytes(),
                        count: format!("{name}_count{{route=\"{r}\"}} ").into_bytes(),
                        h,
                    }
                })
                .collect();
            families.push((header, series));
        }
        Ideal { families }
    }

    /// Encodes into `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut ib = itoa::Buffer::new();
        let mut rb = ryu::Buffer::new();
        for (header, series) in &self.families {
            out.extend_from_slice(header);
            for s in series {
                match s {
                    IdealSeries::Int(p, v) => {
                        out.extend_from_slice(p);
                        out.extend_from_slice(ib.format(v.load(Ordering::Relaxed)).as_bytes());
                        out.push(b'\n');
                    }
                    IdealSeries::Signed(p, v) => {
                        out.extend_from_slice(p);
                        out.extend_from_slice(ib.format(v.load(Ordering::Relaxed)).as_bytes());
                        out.push(b'\n');
                    }
                    IdealSeries::Histogram { buckets, sum, count, h } => {
                        let mut total = 0u64;
                        for (p, c) in buckets.iter().zip(&h.counts) {
                            total += c.load(Ordering::Relaxed);
                            out.extend_from_slice(p);
                            out.extend_from_slice(ib.format(total).as_bytes());
                            out.push(b'\n');
                        }
                        out.extend_from_slice(sum);
                        out.extend_from_slice(rb.format(f64::from_bits(h.sum.load(Ordering::Relaxed))).as_bytes());
                        out.push(b'\n');
                        out.extend_from_slice(count);
                        out.extend_from_slice(ib.format(total).as_bytes());
                        out.push(b'\n');
                    }
                }
            }
        }
    }
}

impl Default for Ideal {
    fn default() -> Self {
        Self::new()
    }
}

/// A keep-alive HTTP/1.1 client for scraping one URL repeatedly.
pub struct ScrapeClient {
    stream: TcpStream,
    request: Vec<u8>,
    buf: Vec<u8>,
}

impl ScrapeClient {
    /// Connects to `addr`; `gzip` adds `Accept-Encoding: gzip`.
    pub fn connect(addr: SocketAddr, path: &str, gzip: bool) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let enc = if gzip { "accept-encoding: gzip\r\n" } else { "" };
        let request = format!("GET {path} HTTP/1.1\r\nhost: bench\r\n{enc}\r\n").into_bytes();
        Ok(ScrapeClient { stream, request, buf: Vec::with_capacity(1 << 20) })
    }

    /// One scrape; returns the body's length as received.
    pub fn scrape(&mut self) -> std::io::Result<usize> {
        self.stream.write_all(&self.request)?;
        self.buf.clear();
        let mut chunk = [0u8; 64 * 1024];
        let (head_end, length) = loop {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..p]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                    .unwrap_or(0);
                break (p + 4, len);
            }
        };
        while self.buf.len() < head_end + length {
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok(length)
    }
}
