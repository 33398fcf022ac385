//! A tower middleware recording the request metrics of the Infra seed:
//! `http_requests_total{handler,method,status}`,
//! `http_requests_duration_seconds{handler,method,status}` and
//! `http_requests_in_progress{handler,method}`, with the route template (not the raw path) as
//! `handler`.

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
/// seed.
#[derive(Metrics)]
pub struct HttpMetrics {
    /// A histogram of the duration, in seconds, handling HTTP requests.
    #[metric(name = "http_requests_duration", unit = "seconds", buckets = exponential(0.001, 2.0, 15), limit = 10000)]
    pub duration: Family<RequestLabels, Histogram>,
    /// Number of HTTP requests currently in progress.
    #[metric(name = "http_requests_in_progress", limit = 10000)]
    pub in_progress: Family<ProgressLabels, Gauge>,
    /// Total number of HTTP requests served.
    #[metric(name = "http_requests", limit = 10000)]
    pub requests: Family<RequestLabels, Counter>,
}

type RouteFn = Arc<dyn Fn(&Extensions, &Uri) -> Option<String> + Send + Sync>;

/// The layer: wraps a service so that each request is counted, timed and tracked in progress.
#[derive(Clone)]
pub struct HttpMetricsLayer {
    metrics: Arc<HttpMetrics>,
    route: RouteFn,
}

fn default_route(ext: &Extensions, _: &Uri) -> Option<String> {
    #[cfg(feature = "axum")]
    if let Some(p) = ext.get::<::axum::extract::MatchedPath>() {
        // axum 0.8 writes parameters as `{id}`; the seed (and client_golang users) write `:id`.
        return Some(
            p.as_str()
                .split('/')
                .map(|s| {
                    if s.starts_with('{') && s.ends_with('}') {
                        format!(":{}", &s[1..s.len() - 1])
                    } else {
                        s.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/"),
        );
    }
    let _ = ext;
    None
}

impl HttpMetricsLayer {
    /// A layer recording into `metrics`. The route template is read from axum's `MatchedPath`
    /// (with the `axum` feature); requests without one are recorded as handler `unmatched`, so
    /// that raw paths never become label values.
    pub fn new(metrics: Arc<HttpMetrics>) -> Self {
        HttpMetricsLayer { metrics, route: Arc::new(default_route) }
    }

    /// Reads the route template with `f` instead.
    pub fn with_route(mut self, f: impl Fn(&Extensions, &Uri) -> Option<String> + Send + Sync + 'static) -> Self {
        self.route = Arc::new(f);
        self
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
        let handler = (self.layer.route)(req.extensions(), req.uri()).unwrap_or_else(|| "unmatched".to_owned());
        let method = method_label(req.method());
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
            progress.metrics.requests.with(&labels, |c| c.inc());
            progress.metrics.duration.with(&labels, |h| h.observe(start.elapsed().as_secs_f64()));
            drop(progress);
            res
        })
    }
}
