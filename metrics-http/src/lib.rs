//! Serves `metrics-core` registries over HTTP, as the seeds' servers do: KumoMTA's `/metrics`
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
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `axum` | [`axum::router`]: the exporter as an axum `Router` |
//! | `tower` | [`middleware::HttpMetricsLayer`]: `http_requests_*` metrics of a service |
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
pub use negotiate::{accepts_gzip, text_format};
pub use self_metrics::{CodeLabels, ScrapeMetrics};
pub use server::{Server, ServerBuilder, ServerHandle};
