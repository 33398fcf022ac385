//! The exporter as an axum `Router`.

use std::net::SocketAddr;

use ::axum::Router;
use ::axum::body::Body;
use ::axum::extract::{ConnectInfo, Request};
use ::axum::response::Response;
use ::axum::routing::any;

use crate::handler::Exporter;

/// A router serving the exporter's paths, to merge into an application's router.
///
/// The peer address comes from [`ConnectInfo`], so serve the application with
/// `into_make_service_with_connect_info::<SocketAddr>()`; without it every scrape gets a 500
/// that says so. Access, negotiation and compression are the exporter's, exactly as in the
/// standalone [`Server`](crate::Server).
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

async fn serve(::axum::extract::State(exporter): ::axum::extract::State<Exporter>, req: Request) -> Response {
    let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() else {
        let mut r = Response::new(Body::from(
            "the metrics router needs the peer address: serve it with into_make_service_with_connect_info::<SocketAddr>()\n",
        ));
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        return r;
    };
    let (parts, _) = req.into_parts();
    let resp =
        tokio::task::spawn_blocking(move || exporter.respond(&parts.method, &parts.uri, &parts.headers, peer.ip()))
            .await;
    match resp {
        Ok(r) => r.map(Body::from),
        Err(_) => {
            let mut r = Response::new(Body::from("internal error\n"));
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}
