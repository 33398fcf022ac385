//! Serves `metrics-core` registries over HTTP, as the servers it was built against do: KumoMTA's `/metrics`
//! and `/metrics.json` behind trusted IPs, Stalwart's `/metrics/prometheus` behind basic auth,
//! Infra's client_golang-style endpoint with its own scrape metrics.
//!
//! - [`Exporter`] is the framework-agnostic handler: routing, [`access`] (one pure function),
//!   content negotiation on `Accept` with q-values, `?prefix=`, gzip, a limit on concurrent
//!   scrapes, and its own `promhttp_metric_handler_*` metrics.
//! - [`Server`] serves it on hyper and tokio, with limits on header size, header time and
//!   connections, graceful shutdown, and a thread of its own for applications without a
//!   runtime.
//! - [`ExporterConfig`] deserialises from an application's TOML.
//!
//! ```no_run
//! use std::sync::{Arc, LazyLock};
//! use metrics_core::{Counter, Metrics, Registry};
//! use metrics_http::{Exporter, Server};
//!
//! #[derive(Metrics)]
//! struct M {
//!     /// Messages delivered.
//!     delivered: Counter,
//! }
//! static METRICS: LazyLock<M> = LazyLock::new(M::default);
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = Arc::new(Registry::new());
//! registry.register(&METRICS)?;
//! let exporter = Exporter::builder(registry).build()?;
//! let server = Server::spawn_thread(Server::builder(exporter).listen("127.0.0.1:9090".parse()?))?;
//! println!("http://{}/metrics", server.local_addr());
//! # Ok(()) }
//! ```
//!
//! # Details
//!
//! - **Keep the handle.** Dropping a [`ServerHandle`] stops its server, so
//!   `Server::spawn_thread(...)?;` alone would start a server and stop it at once. The handle,
//!   the bound [`Server`] and the builders are `#[must_use]`, with a message saying what the drop
//!   does: bind the handle to a variable that lives as long as the server should.
//! - **One access decision.** [`decide`] is a pure function of the peer address, the headers and
//!   the [`AccessPolicy`]; the standalone server and the axum router both call it. A peer whose
//!   address the integration cannot tell (the axum router served without `ConnectInfo`) is never
//!   trusted by address and its forwarding headers are ignored: it gets a 403 saying how to fix
//!   the setup, unless the address does not matter (`basic-auth`, `anyone`).
//! - **Every peer, in one line.** For a scraper inside a cluster network, whose pod addresses
//!   are not known in advance and where the network keeps everyone else out,
//!   `access = "anyone"` ([`AccessMode::Anyone`], [`AccessPolicy::anyone`]) serves every peer.
//!   `trusted-hosts = ["0.0.0.0/0", "::/0"]` trusts every known address alike. Neither belongs
//!   on a port the internet can reach.
//!
//!   ```
//!   use metrics_http::{AccessMode, AccessPolicy, Decision, ExporterConfig, decide};
//!
//!   let c: ExporterConfig = toml::from_str("listen = \"0.0.0.0:9090\"\naccess = \"anyone\"\n").unwrap();
//!   assert_eq!(c.access_mode(), AccessMode::Anyone);
//!   let policy = AccessPolicy::from_config(&c);
//!   let headers = http::HeaderMap::new();
//!   assert_eq!(decide(Some("10.42.7.19".parse().unwrap()), &headers, &policy), Decision::Allow);
//!   ```
//! - **Route templates, never raw paths.** The `tower` feature's
//!   [`HttpMetricsLayer`](middleware::HttpMetricsLayer) labels requests with their route
//!   template. Inside an axum `Router` it reads axum's `MatchedPath`
//!   ([`HttpMetricsLayer::new`](middleware::HttpMetricsLayer::new), `axum` feature); a plain
//!   tower or hyper service lists its templates in a [`Routes`](middleware::Routes)
//!   ([`HttpMetricsLayer::with_routes`](middleware::HttpMetricsLayer::with_routes)). Without the
//!   `axum` feature there is no `new`, so that a layer cannot silently label every request
//!   `unmatched`.
//! - **No empty collectors.** [`process::ProcessMetrics::default`] is the working collector,
//!   as `new` is. [`ScrapeMetrics`] has no constructor at all: each exporter makes and registers
//!   its own, and the type is public only for [`Catalog`](metrics_core::Catalog)s.
//! - **UTF-8 names, spelled for each scraper.** A metric or label may be named with any UTF-8
//!   string (`#[metric(name = "http.server.requests")]`). Each scrape gets the names its
//!   `Accept` header's `escaping=` asks for ([`negotiate`]): Prometheus 3's default header gets
//!   OpenMetrics with quoted names (`{"http.server.requests_total"} 1`), `text/plain;
//!   version=1.0.0;escaping=allow-utf-8` gets text 1.0.0, `dots` and `values` their spellings,
//!   and everyone else, Prometheus 2 included, `underscores` (`http_server_requests_total`).
//!   Protobuf is negotiated alike ([`protobuf_escaping`]; `allow-utf-8` writes names as they
//!   are). The `Content-Type` names the version and the scheme. `?prefix=` may be any UTF-8
//!   string not starting with `__` (others get 400 with the reason); it is written first and
//!   escaped with the name. [`ExporterBuilder::legacy_names`] (`legacy-names = true`) sends
//!   `underscores` to every scraper, for backends that take legacy names only; JSON keeps names
//!   as declared.
//! - **Rendering off the reactor.** Access, routing, negotiation and the scrape limit are
//!   decided first, and their refusals answered at once; only an accepted scrape is rendered
//!   and compressed, on tokio's blocking pool in both the server and the axum router.
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `axum` | [`axum::router`]: the exporter as an axum `Router`; `HttpMetricsLayer::new` reading `MatchedPath` (with `tower`) |
//! | `tower` | [`middleware::HttpMetricsLayer`]: `http_requests_*` metrics of a service, with route templates from [`middleware::Routes`] |
//! | `process` | [`process::ProcessMetrics`]: `process_*` metrics from `/proc` (Linux) |
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod access;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
mod build_info;
mod config;
mod handler;
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod middleware;
mod negotiate;
#[cfg(feature = "process")]
#[cfg_attr(docsrs, doc(cfg(feature = "process")))]
pub mod process;
mod self_metrics;
mod server;

pub use access::{AccessPolicy, Decision, decide};
pub use build_info::BuildLabels;
pub use config::{AccessMode, AuthConfig, ExporterConfig, InvalidHost, TrustedHost, loopback};
pub use handler::{Exporter, ExporterBuilder, MAX_PREFIX_LEN, MAX_URI_LEN};
pub use negotiate::{accepts_gzip, negotiate, prefers_protobuf, protobuf_escaping, text_format};
pub use self_metrics::{CodeLabels, ScrapeMetrics};
pub use server::{Server, ServerBuilder, ServerHandle};
