//! The exporter as an axum `Router`.

use std::net::SocketAddr;

use ::axum::Router;
use ::axum::body::Body;
use ::axum::extract::{ConnectInfo, Request, State};
use ::axum::response::Response;
use ::axum::routing::any;

use crate::handler::Exporter;

/// A router serving the exporter's paths, to merge into an application's router.
///
/// The peer address comes from [`ConnectInfo`], so serve the application with
/// `into_make_service_with_connect_info::<SocketAddr>()`. Access, negotiation and compression
/// are the exporter's, exactly as in the standalone [`Server`](crate::Server).
///
/// Note: served without `ConnectInfo` (a plain `axum::serve(listener, app)`), the router
/// cannot know who is asking, and an unknown peer is never trusted by address: with the
/// default `trusted-ip` access every scrape gets a 403 that says how to fix it, while
/// `basic-auth` and [`AccessMode::Anyone`](crate::AccessMode::Anyone) need no address and
/// work either way. Forwarding headers are not believed from an unknown peer either, since
/// nothing shows it is a trusted proxy.
///
/// ```no_run
/// # async fn run(exporter: metrics_http::Exporter) -> std::io::Result<()> {
/// use std::net::SocketAddr;
/// let app = axum::Router::new()
///     .route("/", axum::routing::get(|| async { "hello" }))
///     .merge(metrics_http::axum::router(exporter));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
/// # }
/// ```
pub fn router<S: Clone + Send + Sync + 'static>(exporter: Exporter) -> Router<S> {
    let (text, json) = exporter.paths();
    let (text, json) = (text.to_owned(), json.map(str::to_owned));
    let mut r = Router::new().route(&text, any(serve).with_state(exporter.clone()));
    if let Some(j) = json {
        r = r.route(&j, any(serve).with_state(exporter));
    }
    r
}

async fn serve(State(exporter): State<Exporter>, req: Request) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| a.ip());
    let (parts, _) = req.into_parts();
    exporter.respond_async(&parts.method, &parts.uri, &parts.headers, peer).await.map(Body::from)
}
