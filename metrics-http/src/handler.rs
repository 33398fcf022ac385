//! The framework-agnostic handler: from a request's method, URI, headers and peer address to a
//! response. Every server integration calls [`Exporter::respond`].

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::header::{ACCEPT, ACCEPT_ENCODING, ALLOW, CONTENT_ENCODING, CONTENT_TYPE, VARY, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use metrics_core::{DuplicateMetric, Escaping, Format, InvalidPrefix, Registry, RenderOptions};

use crate::access::{AccessPolicy, Decision, decide};
use crate::config::ExporterConfig;
use crate::negotiate::{accepts_gzip, negotiate, protobuf_escaping};
use crate::self_metrics::{CodeLabels, ScrapeMetrics};

/// The longest `prefix` accepted.
pub const MAX_PREFIX_LEN: usize = 128;

/// The longest request target (path and query) accepted; longer ones get 414.
pub const MAX_URI_LEN: usize = 8 * 1024;

/// Serves a [`Registry`]: routing, access, negotiation, prefix, compression.
///
/// ```
/// use std::sync::{Arc, LazyLock};
/// use metrics_core::{Counter, Metrics, Registry};
/// use metrics_http::Exporter;
///
/// #[derive(Metrics)]
/// struct M {
///     /// Messages delivered.
///     delivered: Counter,
/// }
/// static METRICS: LazyLock<M> = LazyLock::new(M::default);
///
/// let registry = Arc::new(Registry::new());
/// registry.register(&METRICS).unwrap();
/// let exporter = Exporter::builder(registry).build().unwrap();
///
/// let req = http::Request::get("/metrics?prefix=kumomta_").body(()).unwrap();
/// let resp = exporter.handle(&req, "127.0.0.1".parse().unwrap());
/// assert_eq!(resp.status(), 200);
/// assert_eq!(resp.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
/// let body = std::str::from_utf8(resp.body()).unwrap();
/// assert!(body.contains("\nkumomta_delivered_total 0\n"));
///
/// // Loopback only by default.
/// let resp = exporter.handle(&req, "192.0.2.7".parse().unwrap());
/// assert_eq!(resp.status(), 403);
/// ```
#[derive(Clone)]
pub struct Exporter {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Arc<Registry>,
    text_path: String,
    json_path: Option<String>,
    policy: AccessPolicy,
    gzip: bool,
    openmetrics: bool,
    created: bool,
    legacy_names: bool,
    protobuf: bool,
    max_scrapes: usize,
    scrapes: AtomicUsize,
    size_hint: AtomicUsize,
    scrape_metrics: Arc<ScrapeMetrics>,
}

/// Builds an [`Exporter`].
#[must_use = "an exporter builder does nothing until `build` is called"]
pub struct ExporterBuilder {
    registry: Arc<Registry>,
    text_path: String,
    json_path: Option<String>,
    policy: AccessPolicy,
    gzip: bool,
    openmetrics: bool,
    created: bool,
    legacy_names: bool,
    protobuf: bool,
    max_scrapes: usize,
}

impl ExporterBuilder {
    /// The path of the text formats (default `/metrics`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.text_path = path.into();
        self
    }

    /// The path of the JSON format (default `/metrics.json`); `None` to serve no JSON.
    pub fn json_path(mut self, path: Option<String>) -> Self {
        self.json_path = path;
        self
    }

    /// Who may scrape (default: loopback only).
    pub fn access(mut self, policy: AccessPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Whether to gzip responses for clients that accept it (default: yes).
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Whether OpenMetrics is served to scrapers that prefer it (default: yes). Turn it off to
    /// serve Prometheus text only, as KumoMTA does: its counters are named without `_total`,
    /// which OpenMetrics would add to their samples.
    pub fn openmetrics(mut self, on: bool) -> Self {
        self.openmetrics = on;
        self
    }

    /// Whether OpenMetrics output carries `_created` samples (default: yes). Prometheus stores
    /// them as series of their own unless its `created-timestamp-zero-ingestion` feature is
    /// on; turn them off to save those series, keeping OpenMetrics.
    pub fn openmetrics_created(mut self, on: bool) -> Self {
        self.created = on;
        self
    }

    /// Whether every scraper gets legacy names, `underscores`-escaped, whatever escaping scheme it
    /// asks for (default: no). For backends that take legacy names only (Mimir, older Thanos)
    /// behind a Prometheus 3 that asks for UTF-8 names. The JSON output keeps names as declared
    /// either way.
    ///
    /// ```
    /// use std::sync::{Arc, LazyLock};
    /// use metrics_core::{Counter, Metrics, Registry};
    /// use metrics_http::Exporter;
    ///
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Requests served.
    ///     #[metric(name = "http.server.requests")]
    ///     requests: Counter,
    /// }
    /// static METRICS: LazyLock<M> = LazyLock::new(M::default);
    /// let registry = Arc::new(Registry::new());
    /// registry.register(&METRICS).unwrap();
    /// let utf8 = "text/plain;version=1.0.0;escaping=allow-utf-8";
    /// let req = http::Request::get("/metrics").header("accept", utf8).body(()).unwrap();
    /// let peer = "127.0.0.1".parse().unwrap();
    ///
    /// let exporter = Exporter::builder(registry.clone()).build().unwrap();
    /// let resp = exporter.handle(&req, peer);
    /// assert_eq!(resp.headers()["content-type"], "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
    /// assert!(std::str::from_utf8(resp.body()).unwrap().contains("\n{\"http.server.requests_total\"} 0\n"));
    ///
    /// let registry = Arc::new(Registry::new());
    /// registry.register(&METRICS).unwrap();
    /// let legacy = Exporter::builder(registry).legacy_names(true).build().unwrap();
    /// let resp = legacy.handle(&req, peer);
    /// assert_eq!(resp.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8; escaping=underscores");
    /// assert!(std::str::from_utf8(resp.body()).unwrap().contains("\nhttp_server_requests_total 0\n"));
    /// ```
    pub fn legacy_names(mut self, on: bool) -> Self {
        self.legacy_names = on;
        self
    }

    /// Whether the protobuf format is served to scrapers that prefer it (default: yes): it is
    /// the format that carries native histograms, and Prometheus asks for it first when its
    /// native histograms are on. Turn it off to serve text only, as KumoMTA does.
    pub fn protobuf(mut self, on: bool) -> Self {
        self.protobuf = on;
        self
    }

    /// Scrapes rendered at once; more get 503 (default 4).
    pub fn max_concurrent_scrapes(mut self, n: usize) -> Self {
        self.max_scrapes = n.max(1);
        self
    }

    /// Everything a configuration says about the handler (paths, access, gzip, limits).
    pub fn config(self, c: &ExporterConfig) -> Self {
        let json = (!c.json_path.is_empty()).then(|| c.json_path.clone());
        self.path(c.path.clone())
            .json_path(json)
            .access(AccessPolicy::from_config(c))
            .gzip(c.gzip)
            .openmetrics(c.openmetrics)
            .openmetrics_created(c.openmetrics_created)
            .legacy_names(c.legacy_names)
            .max_concurrent_scrapes(c.max_concurrent_scrapes)
    }

    /// The exporter. Its own metrics (`promhttp_metric_handler_*`) are registered into the
    /// registry, which fails if they are there already.
    pub fn build(self) -> Result<Exporter, DuplicateMetric> {
        let scrape_metrics = Arc::new(ScrapeMetrics::new());
        self.registry.register_arc(scrape_metrics.clone())?;
        Ok(Exporter {
            inner: Arc::new(Inner {
                registry: self.registry,
                text_path: self.text_path,
                json_path: self.json_path,
                policy: self.policy,
                gzip: self.gzip,
                openmetrics: self.openmetrics,
                created: self.created,
                legacy_names: self.legacy_names,
                protobuf: self.protobuf,
                max_scrapes: self.max_scrapes,
                scrapes: AtomicUsize::new(0),
                size_hint: AtomicUsize::new(4096),
                scrape_metrics,
            }),
        })
    }
}

fn text(status: StatusCode, body: &str) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body.to_owned()));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// Why a request is not rendered: each refusal and its response.
enum Refusal {
    /// 403; the message differs when the integration could not tell the peer's address.
    Forbidden {
        unknown_peer: bool,
    },
    Unauthorized,
    UriTooLong,
    NotFound,
    MethodNotAllowed,
    PrefixTooLong,
    /// The prefix decodes to something no one would type: invalid UTF-8 (decoded as U+FFFD) or
    /// a control character.
    PrefixNotText,
    BadPrefix(InvalidPrefix),
    /// Every scrape slot is taken.
    Busy,
}

impl Refusal {
    fn response(&self) -> Response<Bytes> {
        match self {
            Refusal::Forbidden { unknown_peer: true } => text(
                StatusCode::FORBIDDEN,
                "forbidden: the peer address is unknown, and an unknown peer is never trusted by address \
                 (serve the axum router with into_make_service_with_connect_info::<SocketAddr>())\n",
            ),
            Refusal::Forbidden { unknown_peer: false } => {
                text(StatusCode::FORBIDDEN, "forbidden: this address may not scrape metrics\n")
            }
            Refusal::Unauthorized => {
                let mut r = text(StatusCode::UNAUTHORIZED, "unauthorized: valid credentials are required\n");
                r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"metrics\""));
                r
            }
            Refusal::UriTooLong => {
                text(StatusCode::URI_TOO_LONG, &format!("request target longer than {MAX_URI_LEN} bytes\n"))
            }
            Refusal::NotFound => text(StatusCode::NOT_FOUND, "not found\n"),
            Refusal::MethodNotAllowed => {
                let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed: use GET or HEAD\n");
                r.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
                r
            }
            Refusal::PrefixTooLong => {
                text(StatusCode::BAD_REQUEST, &format!("bad request: prefix is longer than {MAX_PREFIX_LEN} bytes\n"))
            }
            Refusal::PrefixNotText => text(
                StatusCode::BAD_REQUEST,
                "bad request: prefix is not valid UTF-8 text (it decodes to U+FFFD or a control character)\n",
            ),
            Refusal::BadPrefix(e) => text(StatusCode::BAD_REQUEST, &format!("bad request: {e}\n")),
            Refusal::Busy => {
                let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "too many concurrent scrapes, retry later\n");
                r.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
                r
            }
        }
    }
}

/// One of the `max_concurrent_scrapes` slots, held from the moment a scrape is accepted until
/// its response is made, however that ends (a panic or a cancelled task included).
struct Slot(Arc<Inner>);

impl Slot {
    fn take(inner: &Arc<Inner>) -> Option<Slot> {
        if inner.scrapes.fetch_add(1, Ordering::AcqRel) >= inner.max_scrapes {
            inner.scrapes.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        inner.scrape_metrics.0.in_flight.inc();
        Some(Slot(inner.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.scrapes.fetch_sub(1, Ordering::AcqRel);
        self.0.scrape_metrics.0.in_flight.dec();
    }
}

/// A request that passed access, routing and validation: what to render, and how to send it.
struct Scrape {
    format: Format,
    escaping: Escaping,
    prefix: String,
    head: bool,
    gzip: bool,
    created: bool,
    _slot: Slot,
}

impl Scrape {
    fn options(&self) -> Result<RenderOptions<'_>, InvalidPrefix> {
        Ok(RenderOptions::new(self.format)
            .with_prefix(&self.prefix)?
            .with_escaping(self.escaping)
            .with_created(self.created))
    }
}

impl Exporter {
    /// A builder serving `registry` with the defaults.
    pub fn builder(registry: Arc<Registry>) -> ExporterBuilder {
        ExporterBuilder {
            registry,
            text_path: "/metrics".into(),
            json_path: Some("/metrics.json".into()),
            policy: AccessPolicy::default(),
            gzip: true,
            openmetrics: true,
            created: true,
            legacy_names: false,
            protobuf: true,
            max_scrapes: 4,
        }
    }

    /// The registry served.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.inner.registry
    }

    /// The paths served: the text path and, if any, the JSON path.
    pub fn paths(&self) -> (&str, Option<&str>) {
        (&self.inner.text_path, self.inner.json_path.as_deref())
    }

    /// Answers a request (its body is ignored).
    pub fn handle<B>(&self, req: &Request<B>, peer: IpAddr) -> Response<Bytes> {
        self.respond(req.method(), req.uri(), req.headers(), peer)
    }

    /// Answers a request given its parts, rendering on the calling thread.
    pub fn respond(&self, method: &Method, uri: &Uri, headers: &HeaderMap, peer: IpAddr) -> Response<Bytes> {
        let resp = match self.parse(method, uri, headers, Some(peer)) {
            Ok(scrape) => self.serve(scrape),
            Err(refusal) => refusal.response(),
        };
        self.count(resp)
    }

    /// Answers a request on an async runtime: the cheap answers (401, 403, 404, 503, ...) at
    /// once, the rendering on tokio's blocking pool so that a large registry never stalls the
    /// reactor. `peer` is `None` when the integration cannot tell the peer's address; such a
    /// peer is never trusted by address (see [`decide`]).
    pub(crate) async fn respond_async(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Response<Bytes> {
        let resp = match self.parse(method, uri, headers, peer) {
            Ok(scrape) => {
                let this = self.clone();
                tokio::task::spawn_blocking(move || this.serve(scrape))
                    .await
                    .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n"))
            }
            Err(refusal) => refusal.response(),
        };
        self.count(resp)
    }

    fn count(&self, resp: Response<Bytes>) -> Response<Bytes> {
        self.inner.scrape_metrics.0.requests.with(&CodeLabels { code: resp.status().as_u16() }, |c| c.inc());
        resp
    }

    /// Access, routing, method, query and the scrape limit: everything decided before any
    /// rendering.
    fn parse(&self, method: &Method, uri: &Uri, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<Scrape, Refusal> {
        let inner = &*self.inner;
        match decide(peer, headers, &inner.policy) {
            Decision::Allow => {}
            Decision::Forbidden => return Err(Refusal::Forbidden { unknown_peer: peer.is_none() }),
            Decision::Unauthorized => return Err(Refusal::Unauthorized),
        }
        if uri.path_and_query().map_or(0, |p| p.as_str().len()) > MAX_URI_LEN {
            return Err(Refusal::UriTooLong);
        }
        let path = uri.path();
        let json = inner.json_path.as_deref() == Some(path);
        if path != inner.text_path && !json {
            return Err(Refusal::NotFound);
        }
        if method != Method::GET && method != Method::HEAD {
            return Err(Refusal::MethodNotAllowed);
        }
        let mut prefix = String::new();
        for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
            if k == "prefix" {
                prefix = v.into_owned();
            }
        }
        if prefix.len() > MAX_PREFIX_LEN {
            return Err(Refusal::PrefixTooLong);
        }
        // Any UTF-8 text may prefix names (escaped with them), but the query decoder turns
        // invalid UTF-8 into U+FFFD, and a control character is no one's prefix.
        if prefix.chars().any(|c| c == char::REPLACEMENT_CHARACTER || c.is_control()) {
            return Err(Refusal::PrefixNotText);
        }
        let accept = headers.get(ACCEPT).and_then(|v| v.to_str().ok());
        let protobuf = if inner.protobuf && !json { protobuf_escaping(accept) } else { None };
        let (format, escaping) = if json {
            (Format::Json, Escaping::AllowUtf8)
        } else if let Some(escaping) = protobuf {
            (Format::Protobuf, escaping)
        } else {
            negotiate(accept, inner.openmetrics)
        };
        let escaping = if inner.legacy_names && !json { Escaping::Underscores } else { escaping };
        let gzip = inner.gzip && accepts_gzip(headers.get(ACCEPT_ENCODING).and_then(|v| v.to_str().ok()));
        RenderOptions::new(format).with_prefix(&prefix).map_err(Refusal::BadPrefix)?;
        let slot = Slot::take(&self.inner).ok_or(Refusal::Busy)?;
        Ok(Scrape { format, escaping, prefix, head: method == Method::HEAD, gzip, created: inner.created, _slot: slot })
    }

    /// Renders, compresses and sends an accepted scrape: the CPU work, which async
    /// integrations run off the reactor.
    fn serve(&self, scrape: Scrape) -> Response<Bytes> {
        let inner = &*self.inner;
        let opts = match scrape.options() {
            Ok(o) => o,
            Err(e) => return Refusal::BadPrefix(e).response(),
        };
        let start = Instant::now();
        let mut body = Vec::with_capacity(inner.size_hint.load(Ordering::Relaxed));
        inner.registry.render_into(&opts, &mut body);
        inner.size_hint.store(body.len() + body.len() / 8, Ordering::Relaxed);
        inner.scrape_metrics.0.size.observe(body.len() as f64);
        if scrape.gzip {
            let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), Compression::fast());
            match enc.write_all(&body).and_then(|_| enc.finish()) {
                Ok(z) => body = z,
                Err(_) => return text(StatusCode::INTERNAL_SERVER_ERROR, "compression failed\n"),
            }
        }
        inner.scrape_metrics.0.duration.observe(start.elapsed().as_secs_f64());
        let mut r = Response::new(if scrape.head { Bytes::new() } else { Bytes::from(body) });
        let h = r.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static(opts.content_type()));
        h.insert(VARY, HeaderValue::from_static(if inner.gzip { "Accept, Accept-Encoding" } else { "Accept" }));
        if scrape.gzip {
            h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        r
    }
}
