//! The `[metrics.push.*]` tables of an application's TOML configuration, in the style of the
//! exporter's `[metrics.prometheus]`: kebab-case keys, unknown keys refused.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use metrics_core::Registry;
use serde::Deserialize;

use crate::{Destination, PushError, PushFormat, PushMethod, Pusher};

/// The `[metrics.push]` table: one optional sub-table per protocol.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct App { metrics: Metrics }
/// #[derive(serde::Deserialize)]
/// struct Metrics { push: metrics_push::PushConfig }
///
/// let app: App = toml::from_str(r#"
///     [metrics.push.remote-write]
///     url = "http://127.0.0.1:9090/api/v1/write"
///     interval = 30
///     external-labels = { job = "app" }
///     [metrics.push.otlp]
///     url = "http://127.0.0.1:4318"
///     resource = { "service.name" = "app" }
/// "#).unwrap();
/// let rw = app.metrics.push.remote_write.unwrap();
/// assert_eq!((rw.url.as_str(), rw.interval), ("http://127.0.0.1:9090/api/v1/write", 30));
///
/// let err = toml::from_str::<App>("[metrics.push.otlp]\nurl = \"http://c\"\nintervall = 3\n").err().unwrap();
/// assert!(err.to_string().contains("unknown field `intervall`"), "{err}");
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct PushConfig {
    /// `[metrics.push.remote-write]`.
    pub remote_write: Option<RemoteWriteConfig>,
    /// `[metrics.push.otlp]`.
    pub otlp: Option<OtlpConfig>,
    /// `[metrics.push.pushgateway]`.
    pub pushgateway: Option<PushgatewayConfig>,
}

/// The keys every destination has (each table repeats them: `serde(flatten)` would lose the
/// key's name from error messages).
#[derive(Debug, Clone)]
pub struct PushTarget {
    /// The receiver's URL (required).
    pub url: String,
    /// Seconds between pushes (`15`; `0`: at shutdown only).
    pub interval: u64,
    /// Seconds to wait for a connection (`5`).
    pub connect_timeout: u64,
    /// Seconds to wait for an answer (`10`).
    pub timeout: u64,
    /// Retries of one payload (`5`).
    pub max_retries: u32,
    /// Payloads kept while the receiver is down (protocol default when absent).
    pub queue_capacity: Option<usize>,
    /// Basic-auth user name (with `password`).
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
    /// A bearer token.
    pub bearer_token: Option<String>,
    /// Headers sent with every request.
    pub headers: BTreeMap<String, String>,
}

fn default_interval() -> u64 {
    15
}
fn default_connect_timeout() -> u64 {
    5
}
fn default_timeout() -> u64 {
    10
}
fn default_retries() -> u32 {
    5
}

/// Declares a destination table: the keys of [`PushTarget`], then the protocol's own.
macro_rules! push_table {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* pub $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        pub struct $name {
            /// The receiver's URL (required).
            pub url: String,
            /// Seconds between pushes (`15`; `0`: at shutdown only).
            #[serde(default = "default_interval")]
            pub interval: u64,
            /// Seconds to wait for a connection (`5`).
            #[serde(default = "default_connect_timeout")]
            pub connect_timeout: u64,
            /// Seconds to wait for an answer (`10`).
            #[serde(default = "default_timeout")]
            pub timeout: u64,
            /// Retries of one payload (`5`).
            #[serde(default = "default_retries")]
            pub max_retries: u32,
            /// Payloads kept while the receiver is down (protocol default when absent).
            #[serde(default)]
            pub queue_capacity: Option<usize>,
            /// Basic-auth user name (with `password`).
            #[serde(default)]
            pub username: Option<String>,
            /// Basic-auth password.
            #[serde(default)]
            pub password: Option<String>,
            /// A bearer token.
            #[serde(default)]
            pub bearer_token: Option<String>,
            /// Headers sent with every request.
            #[serde(default)]
            pub headers: BTreeMap<String, String>,
            $($(#[$fdoc])* pub $field: $ty,)*
        }

        impl $name {
            /// The keys every destination has.
            pub fn target(&self) -> PushTarget {
                PushTarget {
                    url: self.url.clone(),
                    interval: self.interval,
                    connect_timeout: self.connect_timeout,
                    timeout: self.timeout,
                    max_retries: self.max_retries,
                    queue_capacity: self.queue_capacity,
                    username: self.username.clone(),
                    password: self.password.clone(),
                    bearer_token: self.bearer_token.clone(),
                    headers: self.headers.clone(),
                }
            }
        }
    };
}

push_table! {
    /// `[metrics.push.remote-write]`: the common keys, `external-labels` and
    /// `max-series-per-request` (`2000`).
    RemoteWriteConfig {
        /// Labels added to every series.
        #[serde(default)]
        pub external_labels: BTreeMap<String, String>,
        /// The most series in one request.
        #[serde(default)]
        pub max_series_per_request: Option<usize>,
    }
}

push_table! {
    /// `[metrics.push.otlp]`: the common keys, `resource` attributes and `gzip` (`false`).
    OtlpConfig {
        /// Resource attributes (`service.name`, ...).
        #[serde(default)]
        pub resource: BTreeMap<String, String>,
        /// Whether request bodies are gzip-compressed.
        #[serde(default)]
        pub gzip: bool,
    }
}

push_table! {
    /// `[metrics.push.pushgateway]`: the common keys, `job` (required), `grouping` labels,
    /// `method` (`put`, `post` or `delete`) and `format` (`text` or `protobuf`).
    PushgatewayConfig {
        /// The group's job.
        pub job: String,
        /// Grouping labels.
        #[serde(default)]
        pub grouping: BTreeMap<String, String>,
        /// The method.
        #[serde(default)]
        pub method: PushMethod,
        /// The body's format.
        #[serde(default)]
        pub format: PushFormat,
    }
}

impl PushTarget {
    fn apply(&self, mut d: Destination) -> Result<Destination, PushError> {
        d = d
            .interval(Some(Duration::from_secs(self.interval)))
            .connect_timeout(Duration::from_secs(self.connect_timeout))
            .timeout(Duration::from_secs(self.timeout))
            .max_retries(self.max_retries);
        if let Some(c) = self.queue_capacity {
            d = d.queue_capacity(c);
        }
        match (&self.username, &self.password) {
            (Some(u), Some(p)) => d = d.basic_auth(u, p),
            (None, None) => {}
            _ => return Err(PushError::Config(format!("`{}`: `username` and `password` go together", self.url))),
        }
        if let Some(t) = &self.bearer_token {
            if self.username.is_some() {
                return Err(PushError::Config(format!(
                    "`{}`: `bearer-token` and `username`/`password` exclude each other",
                    self.url
                )));
            }
            d = d.bearer_token(t);
        }
        for (k, v) in &self.headers {
            d = d.header(k, v);
        }
        Ok(d)
    }
}

impl PushConfig {
    /// The configured destinations, checked but not started.
    pub fn destinations(&self) -> Result<Vec<Destination>, PushError> {
        let mut out = Vec::new();
        if let Some(c) = &self.remote_write {
            let mut d = c.target().apply(Destination::remote_write(&c.url))?;
            for (k, v) in &c.external_labels {
                d = d.external_label(k, v);
            }
            if let Some(m) = c.max_series_per_request {
                d = d.max_series_per_request(m);
            }
            out.push(d);
        }
        if let Some(c) = &self.otlp {
            let mut d = c.target().apply(Destination::otlp(&c.url))?.gzip(c.gzip);
            for (k, v) in &c.resource {
                d = d.resource(k, v);
            }
            out.push(d);
        }
        if let Some(c) = &self.pushgateway {
            let mut d = Destination::pushgateway(&c.url, &c.job).method(c.method).format(c.format);
            d = c.target().apply(d)?;
            if c.interval == 0 {
                d = d.interval(None);
            }
            for (k, v) in &c.grouping {
                d = d.grouping(k, v);
            }
            out.push(d);
        }
        Ok(out)
    }

    /// Starts every configured destination on `registry`; the first error stops those already
    /// started and is returned.
    pub fn start(&self, registry: &Arc<Registry>) -> Result<Vec<Pusher>, PushError> {
        let mut started = Vec::new();
        for d in self.destinations()? {
            match d.start(registry.clone()) {
                Ok(p) => started.push(p),
                Err(e) => return Err(e),
            }
        }
        Ok(started)
    }
}
