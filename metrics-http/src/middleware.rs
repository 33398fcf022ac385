//! A tower middleware recording the request metrics of Infra's `/metrics` page:
//! `http_requests_total{handler,method,status}`,
//! `http_requests_duration_seconds{handler,method,status}` and
//! `http_requests_in_progress{handler,method}`, with the route template (not the raw path) as
//! `handler`. The duration histogram has native buckets besides its classic ones, and a
//! request carrying a W3C `traceparent` header leaves its trace id as the exemplar of its
//! count and of its duration (`trace_id="<32 hex digits>"`).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Extensions, Method, Request, Response, Uri};
use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet, Metrics};
use tower::{Layer, Service};

/// The labels of a finished request.
#[derive(LabelSet)]
pub struct RequestLabels {
    /// The route template, such as `/v1/destinations/:id`.
    pub handler: String,
    /// The request method (`OTHER` for methods outside the standard set).
    pub method: Cow<'static, str>,
    /// The response status code.
    pub status: u16,
}

/// The labels of a request in progress.
#[derive(LabelSet)]
pub struct ProgressLabels {
    /// The route template.
    pub handler: String,
    /// The request method.
    pub method: Cow<'static, str>,
}

/// HTTP request metrics, named as client_golang's promhttp middleware names them in the Infra
/// page.
#[derive(Metrics)]
pub struct HttpMetrics {
    /// A histogram of the duration, in seconds, handling HTTP requests.
    #[metric(
        name = "http_requests_duration",
        unit = "seconds",
        buckets = exponential(0.001, 2.0, 15),
        native,
        limit = 10000
    )]
    pub duration: Family<RequestLabels, Histogram>,
    /// Number of HTTP requests currently in progress.
    #[metric(name = "http_requests_in_progress", limit = 10000)]
    pub in_progress: Family<ProgressLabels, Gauge>,
    /// Total number of HTTP requests served.
    #[metric(name = "http_requests", limit = 10000)]
    pub requests: Family<RequestLabels, Counter>,
}

/// The exemplar labels of a traced request.
#[derive(LabelSet)]
pub struct TraceLabels {
    /// The trace id of the request's W3C `traceparent` header: 32 lowercase hex digits.
    pub trace_id: String,
}

/// The trace id of a W3C `traceparent` header value (`00-<trace id>-<parent id>-<flags>`), if
/// it is well formed: version two hex digits other than `ff`, a trace id of 32 lowercase hex
/// digits not all zero, a parent id of 16 not all zero, flags two. Later versions may append
/// fields after the flags, which are ignored, as the W3C specification says.
///
/// ```
/// use metrics_http::middleware::trace_id;
/// assert_eq!(trace_id("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
/// assert_eq!(trace_id("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), None);
/// assert_eq!(trace_id("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), None);
/// assert_eq!(trace_id("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), None);
/// ```
pub fn trace_id(traceparent: &str) -> Option<&str> {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let mut parts = traceparent.trim().split('-');
    let (version, trace, parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let ok = hex(version, 2)
        && version != "ff"
        && (version != "00" || parts.next().is_none())
        && hex(trace, 32)
        && trace.bytes().any(|b| b != b'0')
        && hex(parent, 16)
        && parent.bytes().any(|b| b != b'0')
        && hex(flags, 2);
    ok.then_some(trace)
}

mod routes;

pub use routes::{InvalidRoute, Routes};

/// What `handler` is when the route is unknown.
pub const UNMATCHED: &str = "unmatched";

type RouteFn = Arc<dyn Fn(&Extensions, &Uri) -> Option<String> + Send + Sync>;

/// The layer: wraps a service so that each request is counted, timed and tracked in progress.
///
/// The `handler` label is the route template, never the raw path (which would make a series
/// per URL a client cares to send). Where the template comes from is the constructor's choice:
///
/// | constructor | `handler` | for |
/// |---|---|---|
/// | [`new`](Self::new) (feature `axum`) | axum's `MatchedPath` | a layer inside an axum `Router` |
/// | [`with_routes`](Self::with_routes) | the matching template of a [`Routes`] | plain tower or hyper services, or a layer outside the router |
/// | [`with_route_fn`](Self::with_route_fn) | what a function says | another router that records its match in the request extensions |
///
/// A request without a template is recorded as `handler="unmatched"`.
///
/// Note: without the `axum` feature there is no [`new`](Self::new), on purpose: without a
/// router to ask, it could only label every request `unmatched`. A plain tower service lists
/// its routes:
///
/// ```
/// use std::sync::Arc;
/// use metrics_http::middleware::{HttpMetrics, HttpMetricsLayer, Routes};
///
/// let metrics = Arc::new(HttpMetrics::default());
/// let routes = Routes::new(["/v1/grants", "/v1/destinations/:id"])?;
/// let layer = HttpMetricsLayer::with_routes(metrics, routes);
/// # Ok::<(), metrics_http::middleware::InvalidRoute>(())
/// ```
#[derive(Clone)]
pub struct HttpMetricsLayer {
    metrics: Arc<HttpMetrics>,
    route: RouteFn,
}

/// axum 0.8 writes parameters as `{id}` and `{*rest}`; Infra's page (and client_golang users)
/// write `:id` and `*rest`.
#[cfg(feature = "axum")]
fn axum_route(ext: &Extensions, _: &Uri) -> Option<String> {
    let p = ext.get::<::axum::extract::MatchedPath>()?;
    let segments = p.as_str().split('/').map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        Some(name) if name.starts_with('*') => name.to_owned(),
        Some(name) => format!(":{name}"),
        None => s.to_owned(),
    });
    Some(segments.collect::<Vec<_>>().join("/"))
}

impl HttpMetricsLayer {
    /// A layer recording into `metrics`, with the route template axum matched
    /// (`MatchedPath`): add it with `Router::layer`, so that it runs after routing. Requests
    /// no route matched, or seen outside the router, are `unmatched`.
    ///
    /// Note: axum's `{id}` and `{*rest}` parameters are written `:id` and `*rest`, as
    /// client_golang users write them (`/v1/items/{id}` gives `handler="/v1/items/:id"`).
    /// `Router::layer` wraps the routes and fallback added before it: add the layer last (after
    /// `merge`-ing the exporter's router, whose scrapes are then counted too) so that requests
    /// no route matched are counted as `unmatched`.
    #[cfg(feature = "axum")]
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn new(metrics: Arc<HttpMetrics>) -> Self {
        Self::with_route_fn(metrics, axum_route)
    }

    /// A layer recording into `metrics`, with the template of `routes` each request path
    /// matches (the query is ignored), for services without a router that reports one.
    pub fn with_routes(metrics: Arc<HttpMetrics>, routes: Routes) -> Self {
        Self::with_route_fn(metrics, move |_, uri| routes.find(uri.path()).map(str::to_owned))
    }

    /// A layer recording into `metrics`, with the route template `f` reads from a request.
    ///
    /// Note: whatever `f` returns becomes a label value. Return templates, never raw paths:
    /// each family stops at 10 000 series, and past that updates go to its overflow series.
    pub fn with_route_fn(
        metrics: Arc<HttpMetrics>,
        f: impl Fn(&Extensions, &Uri) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        HttpMetricsLayer { metrics, route: Arc::new(f) }
    }
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetricsService { inner, layer: self.clone() }
    }
}

/// The service [`HttpMetricsLayer`] makes.
#[derive(Clone)]
pub struct HttpMetricsService<S> {
    inner: S,
    layer: HttpMetricsLayer,
}

fn method_label(m: &Method) -> Cow<'static, str> {
    Cow::Borrowed(match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    })
}

/// Decrements the in-progress gauge however the request ends (completion, error, or the
/// future being dropped).
struct Progress {
    metrics: Arc<HttpMetrics>,
    labels: ProgressLabels,
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.metrics.in_progress.with(&self.labels, |g| g.dec());
    }
}

impl<S, B, RB> Service<Request<B>> for HttpMetricsService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let handler = (self.layer.route)(req.extensions(), req.uri()).unwrap_or_else(|| UNMATCHED.to_owned());
        let method = method_label(req.method());
        let trace = req
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(trace_id)
            .map(|t| TraceLabels { trace_id: t.to_owned() });
        let metrics = self.layer.metrics.clone();
        let labels = ProgressLabels { handler, method };
        metrics.in_progress.with(&labels, |g| g.inc());
        let progress = Progress { metrics, labels };
        let start = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let res = fut.await;
            let status = match &res {
                Ok(r) => r.status().as_u16(),
                Err(_) => 500,
            };
            let labels = RequestLabels {
                handler: progress.labels.handler.clone(),
                method: progress.labels.method.clone(),
                status,
            };
            let elapsed = start.elapsed().as_secs_f64();
            match &trace {
                Some(t) => {
                    progress.metrics.requests.with(&labels, |c| c.inc_with_exemplar(t));
                    progress.metrics.duration.with(&labels, |h| h.observe_with_exemplar(elapsed, t));
                }
                None => {
                    progress.metrics.requests.with(&labels, |c| c.inc());
                    progress.metrics.duration.with(&labels, |h| h.observe(elapsed));
                }
            }
            drop(progress);
            res
        })
    }
}
