//! Pushes a [`metrics_core::Registry`] to the engines built for scale: Prometheus remote-write
//! receivers (Prometheus, Mimir, Thanos, Cortex, VictoriaMetrics), OTLP/HTTP collectors, and the
//! Pushgateway for batch jobs.
//!
//! A crate of its own rather than a feature of metrics-http: pushing needs an HTTP *client*,
//! protobuf and snappy, none of which a scraped exporter wants, and an application may push
//! without serving anything.
//!
//! Each [`Destination`] runs on a background thread of its own (so the same code works from a
//! tokio application and from a plain one, and the application never waits on a push):
//! collect every interval, queue (bounded; the oldest is dropped and counted), send in order,
//! retry connection errors, timeouts, 5xx and 429 with exponential backoff and jitter
//! (honouring `Retry-After`), give up at once on other 4xx (counted, and logged with the
//! receiver's message). [`Pusher::shutdown`] collects the last state and delivers it within a
//! bounded time. The engine's own metrics ([`PushMetrics`]) go in the pushed registry.
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use metrics_push::Destination;
//!
//! let registry = Arc::new(metrics_core::Registry::new());
//! // ... register the application's metrics ...
//! let pusher = Destination::remote_write("http://127.0.0.1:9090/api/v1/write")
//!     .interval(Some(Duration::from_secs(15)))
//!     .external_label("job", "app")
//!     .start(registry.clone())?;
//! // ... run ...
//! pusher.shutdown()?; // the last state, delivered
//!
//! // A batch job: one push at the end, retries included.
//! Destination::pushgateway("http://127.0.0.1:9091", "nightly").push_once(registry)?;
//! # Ok::<(), metrics_push::PushError>(())
//! ```
//!
//! The modules [`remote_write`], [`otlp`] and [`pushgateway`] also expose the message builders,
//! for code that sends on its own.
//!
//! | feature | what it adds |
//! |---|---|
//! | `rustls` | `https` receivers: TLS by rustls, trusting the system's roots and [`Destination::tls_ca_pem`]'s |

#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod destination;
mod engine;
pub mod otlp;
pub mod pushgateway;
pub mod remote_write;
mod self_metrics;
mod tls;

pub use config::{OtlpConfig, PushConfig, PushTarget, PushgatewayConfig, RemoteWriteConfig};
pub use destination::{DEFAULT_INTERVAL, Destination, PushFormat, PushMethod};
pub use engine::Pusher;
pub use self_metrics::{DestinationLabels, FailureLabels, PushMetrics, RequestLabels};

/// Why a destination could not start, or why its last push failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The destination is misconfigured (URL, header, label, ...): the message names what.
    Config(String),
    /// The background thread could not be started.
    Start(String),
    /// A payload was given up: the receiver rejected it, every retry failed, or the shutdown's
    /// time ran out.
    Failed {
        /// The destination's name.
        destination: String,
        /// What went wrong, with the receiver's message when it gave one.
        reason: String,
    },
    /// The destination's thread is gone.
    Stopped,
}

impl std::fmt::Display for PushError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushError::Config(m) | PushError::Start(m) => f.write_str(m),
            PushError::Failed { destination, reason } => write!(f, "push to {destination} failed: {reason}"),
            PushError::Stopped => f.write_str("the push thread has stopped"),
        }
    }
}

impl std::error::Error for PushError {}
