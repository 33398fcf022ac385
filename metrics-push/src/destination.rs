//! Where to push, how often and how: the builder of one destination.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use http::{HeaderMap, Method, Uri};
use metrics_core::{Format, Registry};

use crate::engine::{Protocol, Pusher, Settings};
use crate::self_metrics::PUSH_METRICS;
use crate::{PushError, otlp, pushgateway, remote_write};

/// The method of a Pushgateway push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PushMethod {
    /// `PUT`: the pushed metrics replace the whole group (the default).
    #[default]
    Put,
    /// `POST`: the pushed metrics replace only the same-named metrics of the group.
    Post,
    /// `DELETE`: removes the group.
    Delete,
}

/// The body of a Pushgateway push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PushFormat {
    /// Prometheus text 0.0.4 (the default).
    #[default]
    Text,
    /// The protobuf exposition format (delimited `io.prometheus.client.MetricFamily`
    /// messages), which also carries what text cannot: exemplars and native histogram buckets
    /// (what the gateway keeps of them depends on its version).
    Protobuf,
}

#[derive(Debug, Clone)]
enum Kind {
    RemoteWrite { external_labels: Vec<(String, String)>, max_series: usize },
    Otlp { resource: Vec<(String, String)>, gzip: bool },
    Pushgateway { job: String, grouping: Vec<(String, String)>, method: PushMethod, format: PushFormat },
}

/// One push destination: a remote-write receiver, an OTLP collector or a Pushgateway group.
///
/// Built with [`remote_write`](Self::remote_write), [`otlp`](Self::otlp) or
/// [`pushgateway`](Self::pushgateway), adjusted with the other methods, then
/// [`start`](Self::start)ed on a registry: a background thread then collects every
/// [`interval`](Self::interval), queues (at most [`queue_capacity`](Self::queue_capacity)
/// payloads, the oldest dropped first), and sends with retries. Nothing here blocks the
/// application. [`push_once`](Self::push_once) does a single push and waits for it, for batch
/// jobs.
///
/// Defaults: interval 15 s (remote write, OTLP; a Pushgateway pushes at shutdown only), connect
/// timeout 5 s, request timeout 10 s, 5 retries from 500 ms doubling up to 30 s (with jitter),
/// queue of 64 payloads (1 for OTLP and the Pushgateway, whose payloads each carry the whole
/// state), 10 s for the shutdown's last push, 2000 series per remote-write request.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use metrics_push::Destination;
///
/// let d = Destination::remote_write("ftp://example.com/write");
/// assert_eq!(
///     d.start(Arc::new(metrics_core::Registry::new())).unwrap_err().to_string(),
///     "bad push URL `ftp://example.com/write`: the scheme must be http or https"
/// );
/// ```
#[derive(Debug, Clone)]
pub struct Destination {
    kind: Kind,
    url: String,
    name: Option<String>,
    interval: Option<Duration>,
    connect_timeout: Duration,
    timeout: Duration,
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    queue_capacity: Option<usize>,
    shutdown_timeout: Duration,
    headers: Vec<(String, String)>,
    tls_ca: Vec<Vec<u8>>,
}

impl Destination {
    fn new(kind: Kind, url: &str, interval: Option<Duration>) -> Self {
        Destination {
            kind,
            url: url.to_owned(),
            name: None,
            interval,
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_retries: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            queue_capacity: None,
            shutdown_timeout: Duration::from_secs(10),
            headers: Vec::new(),
            tls_ca: Vec::new(),
        }
    }

    /// A Prometheus remote-write 1.0 receiver: `url` is the full write URL
    /// (`http://prometheus:9090/api/v1/write`).
    pub fn remote_write(url: &str) -> Self {
        Self::new(Kind::RemoteWrite { external_labels: Vec::new(), max_series: 2000 }, url, Some(DEFAULT_INTERVAL))
    }

    /// An OTLP/HTTP collector: `endpoint` is its base URL (`http://collector:4318`), to which
    /// `/v1/metrics` is appended unless it already ends so. `service.name` defaults to the
    /// executable's name.
    pub fn otlp(endpoint: &str) -> Self {
        let service = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "unknown_service".into());
        Self::new(
            Kind::Otlp { resource: vec![("service.name".into(), service)], gzip: false },
            endpoint,
            Some(DEFAULT_INTERVAL),
        )
    }

    /// A Pushgateway group: `url` is the gateway's base URL (`http://pushgateway:9091`), `job`
    /// the group's job. Pushes at shutdown only unless an [`interval`](Self::interval) is set.
    pub fn pushgateway(url: &str, job: &str) -> Self {
        Self::new(
            Kind::Pushgateway {
                job: job.to_owned(),
                grouping: Vec::new(),
                method: PushMethod::Put,
                format: PushFormat::Text,
            },
            url,
            None,
        )
    }

    /// The `destination` label of the push metrics (default: the protocol and the host).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Collects and pushes every `interval`; `None` pushes only on
    /// [`Pusher::push_now`] and at shutdown.
    pub fn interval(mut self, interval: Option<Duration>) -> Self {
        self.interval = interval;
        self
    }

    /// The longest wait for a connection.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest wait for one request's answer, connection included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries of one payload (after connection errors, timeouts, 5xx and 429) before it is
    /// given up.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first retry's delay (doubled at each retry, with jitter) and the largest.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Payloads kept while the receiver is down or slow; beyond it the oldest is dropped (and
    /// counted in `metrics_push_dropped_total`).
    pub fn queue_capacity(mut self, payloads: usize) -> Self {
        self.queue_capacity = Some(payloads.max(1));
        self
    }

    /// How long the shutdown may take to deliver the last state and what is queued.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Basic authentication.
    pub fn basic_auth(self, username: &str, password: &str) -> Self {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.header("authorization", &format!("Basic {token}"))
    }

    /// A bearer token.
    pub fn bearer_token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// A header sent with every request (`X-Scope-OrgID` for Mimir, ...); checked at start.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Trusts the CA certificate(s) in `pem` for `https` receivers, besides the system's roots
    /// (a private CA, a self-signed receiver). Checked at start.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls_ca_pem(mut self, pem: &[u8]) -> Self {
        self.tls_ca.push(pem.to_vec());
        self
    }

    /// Remote write: a label added to every series that does not have it (`job`, `instance`,
    /// `cluster`); ignored by other protocols. OTLP: use [`resource`](Self::resource).
    pub fn external_label(mut self, name: &str, value: &str) -> Self {
        if let Kind::RemoteWrite { external_labels, .. } = &mut self.kind {
            external_labels.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Remote write: the most series in one request; more are split into several requests.
    pub fn max_series_per_request(mut self, series: usize) -> Self {
        if let Kind::RemoteWrite { max_series, .. } = &mut self.kind {
            *max_series = series.max(1);
        }
        self
    }

    /// OTLP: a resource attribute (`service.name`, `service.instance.id`, `deployment.environment`,
    /// ...), replacing one of the same key.
    pub fn resource(mut self, key: &str, value: &str) -> Self {
        if let Kind::Otlp { resource, .. } = &mut self.kind {
            resource.retain(|(k, _)| k != key);
            resource.push((key.to_owned(), value.to_owned()));
        }
        self
    }

    /// OTLP: gzip request bodies.
    pub fn gzip(mut self, gzip: bool) -> Self {
        if let Kind::Otlp { gzip: g, .. } = &mut self.kind {
            *g = gzip;
        }
        self
    }

    /// Pushgateway: a grouping label (after `job` in the group's path).
    pub fn grouping(mut self, name: &str, value: &str) -> Self {
        if let Kind::Pushgateway { grouping, .. } = &mut self.kind {
            grouping.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Pushgateway: PUT (default), POST or DELETE.
    pub fn method(mut self, method: PushMethod) -> Self {
        if let Kind::Pushgateway { method: m, .. } = &mut self.kind {
            *m = method;
        }
        self
    }

    /// Pushgateway: the body's format, text (default) or protobuf.
    ///
    /// ```
    /// use metrics_push::{Destination, PushFormat};
    ///
    /// let d = Destination::pushgateway("http://127.0.0.1:9091", "nightly").format(PushFormat::Protobuf);
    /// assert!(d.check().is_ok());
    /// ```
    pub fn format(mut self, format: PushFormat) -> Self {
        if let Kind::Pushgateway { format: f, .. } = &mut self.kind {
            *f = format;
        }
        self
    }

    /// Checks the destination (URL, headers, label names) without starting it: the error
    /// [`start`](Self::start) would give for them.
    pub fn check(&self) -> Result<(), PushError> {
        self.prepare().map(|_| ())
    }

    /// Checks the destination, registers the push metrics in `registry` (once per registry),
    /// and starts its background thread.
    ///
    /// Fails at once, naming what is wrong, on a bad URL, header or label name, or (for a
    /// Pushgateway) when the registry's series carry `job` or a grouping label.
    pub fn start(self, registry: Arc<Registry>) -> Result<Pusher, PushError> {
        let (settings, mut protocol) = self.prepare()?;
        if let Err(e) = registry.register(&PUSH_METRICS) {
            // Already there from another destination on the same registry: fine.
            if e.first != e.second {
                return Err(PushError::Config(format!("cannot register the push metrics: {e}")));
            }
        }
        if let Kind::Pushgateway { .. } = self.kind {
            // The clash of labels is a configuration error: report it now, not at the push.
            protocol.collect(&registry, std::time::SystemTime::now()).map_err(PushError::Config)?;
        }
        Pusher::spawn(settings, protocol, registry)
    }

    /// Pushes the registry's state once and waits for the outcome, retries included (for a
    /// batch job at its end). The error says why the push failed.
    pub fn push_once(self, registry: Arc<Registry>) -> Result<(), PushError> {
        self.interval(None).start(registry)?.shutdown()
    }

    fn prepare(&self) -> Result<(Settings, Box<dyn Protocol>), PushError> {
        let bad = |why: &str| PushError::Config(format!("bad push URL `{}`: {why}", self.url));
        let base: Uri = self.url.parse().map_err(|e| bad(&format!("{e}")))?;
        match base.scheme_str() {
            Some("http") => {}
            Some("https") if cfg!(feature = "rustls") => {}
            Some("https") => {
                return Err(bad("https needs TLS: build metrics-push with its `rustls` feature"));
            }
            _ => return Err(bad("the scheme must be http or https")),
        }
        let authority = base.authority().ok_or_else(|| bad("no host"))?.clone();
        let path = base.path().trim_end_matches('/');
        let mut headers = HeaderMap::new();
        headers.insert(USER_AGENT, HeaderValue::from_static(concat!("metrics-push/", env!("CARGO_PKG_VERSION"))));
        let (kind_name, method, path, protocol, capacity): (_, _, String, Box<dyn Protocol>, _) = match &self.kind {
            Kind::RemoteWrite { external_labels, max_series } => {
                check_label_names(external_labels, "external label")?;
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"));
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("snappy"));
                headers.insert("x-prometheus-remote-write-version", HeaderValue::from_static("0.1.0"));
                let p = remote_write::RemoteWrite {
                    encoder: remote_write::Encoder::new(external_labels.clone(), *max_series),
                };
                ("remote-write", Method::POST, base.path().to_owned(), Box::new(p) as Box<dyn Protocol>, 64)
            }
            Kind::Otlp { resource, gzip } => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"));
                if *gzip {
                    headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                }
                let path = if path.ends_with("/v1/metrics") { path.to_owned() } else { format!("{path}/v1/metrics") };
                let p = otlp::Otlp { encoder: otlp::Encoder::new(resource), gzip: *gzip };
                ("otlp", Method::POST, path, Box::new(p) as Box<dyn Protocol>, 1)
            }
            Kind::Pushgateway { job, grouping, method, format } => {
                if job.is_empty() {
                    return Err(PushError::Config("the Pushgateway job name is empty".into()));
                }
                check_label_names(grouping, "grouping label")?;
                let body = match format {
                    PushFormat::Text => Format::Prometheus,
                    PushFormat::Protobuf => Format::Protobuf,
                };
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(body.content_type()));
                let m = match method {
                    PushMethod::Put => Method::PUT,
                    PushMethod::Post => Method::POST,
                    PushMethod::Delete => Method::DELETE,
                };
                let mut reserved = vec!["job".to_owned()];
                reserved.extend(grouping.iter().map(|(n, _)| n.clone()));
                let path = format!("{path}{}", pushgateway::group_path(job, grouping));
                let p = pushgateway::Pushgateway { method: m.clone(), reserved, format: body };
                ("pushgateway", m, path, Box::new(p) as Box<dyn Protocol>, 1)
            }
        };
        for (name, value) in &self.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| PushError::Config(format!("bad header name `{name}`")))?;
            let v = HeaderValue::from_str(value)
                .map_err(|_| PushError::Config(format!("bad value for header `{name}`: not visible ASCII")))?;
            if n == AUTHORIZATION {
                headers.insert(n, v);
            } else {
                headers.append(n, v);
            }
        }
        let uri = Uri::builder()
            .scheme(base.scheme_str().unwrap_or("http"))
            .authority(authority.clone())
            .path_and_query(path)
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        let settings = Settings {
            name: self.name.clone().unwrap_or_else(|| format!("{kind_name} {authority}")),
            method,
            uri,
            headers,
            interval: self.interval.filter(|i| !i.is_zero()),
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_retries: self.max_retries,
            initial_backoff: self.initial_backoff,
            max_backoff: self.max_backoff,
            queue_capacity: self.queue_capacity.unwrap_or(capacity),
            shutdown_timeout: self.shutdown_timeout,
            tls_ca: self.tls_ca.clone(),
        };
        Ok((settings, protocol))
    }
}

/// The default push interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

fn check_label_names(labels: &[(String, String)], what: &str) -> Result<(), PushError> {
    for (name, _) in labels {
        let mut chars = name.chars();
        let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok || name.starts_with("__") {
            return Err(PushError::Config(format!(
                "bad {what} name `{name}`: it must match [a-zA-Z_][a-zA-Z0-9_]* and not start with `__`"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use metrics_core::Registry;

    use super::Destination;

    fn err(d: Destination) -> String {
        d.start(Arc::new(Registry::new())).map(|_| ()).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn bad_destinations_are_refused_at_start_naming_the_problem() {
        assert_eq!(err(Destination::remote_write("not a url")), "bad push URL `not a url`: invalid uri character");
        assert_eq!(
            err(Destination::remote_write("/api/v1/write")),
            "bad push URL `/api/v1/write`: the scheme must be http or https"
        );
        assert_eq!(
            err(Destination::remote_write("http://h:1/w").header("bad header", "x")),
            "bad header name `bad header`"
        );
        assert_eq!(
            err(Destination::remote_write("http://h:1/w").external_label("0x", "y")),
            "bad external label name `0x`: it must match [a-zA-Z_][a-zA-Z0-9_]* and not start with `__`"
        );
        assert_eq!(err(Destination::pushgateway("http://h:1", "")), "the Pushgateway job name is empty");
    }

    #[test]
    fn uris_and_headers_follow_the_protocol() {
        let (s, _) = Destination::otlp("http://c:4318/").prepare().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.uri.to_string(), "http://c:4318/v1/metrics");
        assert_eq!(s.name, "otlp c:4318");
        let (s, _) = Destination::pushgateway("http://g:9091/base/", "j")
            .grouping("dir", "/tmp")
            .bearer_token("t")
            .prepare()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.uri.to_string(), "http://g:9091/base/metrics/job/j/dir@base64/L3RtcA==");
        assert_eq!(s.method, http::Method::PUT);
        assert_eq!(s.headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer t"));
        let ct = |d: Destination| {
            let (s, _) = d.prepare().unwrap_or_else(|e| panic!("{e}"));
            s.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
        };
        assert_eq!(ct(Destination::pushgateway("http://g", "j")), "text/plain; version=0.0.4; charset=utf-8");
        assert_eq!(
            ct(Destination::pushgateway("http://g", "j").format(super::PushFormat::Protobuf)),
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        );
        let (s, _) = Destination::remote_write("http://p:9090/api/v1/write")
            .basic_auth("u", "p")
            .prepare()
            .unwrap_or_else(|e| panic!("{e}"));
        let h = |n: &str| s.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert_eq!(
            [h("content-encoding"), h("content-type"), h("x-prometheus-remote-write-version"), h("authorization")],
            ["snappy", "application/x-protobuf", "0.1.0", "Basic dTpw"]
        );
    }
}
