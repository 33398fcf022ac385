//! The push engine: one background thread per destination, running a small tokio runtime with
//! one task that collects on a timer, queues the payloads (bounded, oldest dropped), sends them
//! in order with retries, and flushes the last state on shutdown.
//!
//! A thread of its own makes the engine the same from a tokio application and from a plain one:
//! it never runs on (or blocks) the application's runtime, and the application never waits on
//! a push.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use metrics_core::Registry;
use tokio::sync::{mpsc, oneshot};

use crate::PushError;
use crate::self_metrics::{DestinationLabels, FailureLabels, PUSH_METRICS, RequestLabels};
use crate::tls::Connector;

/// What differs between protocols: how a registry becomes request bodies and which answers
/// are retried.
pub(crate) trait Protocol: Send + 'static {
    /// The bodies carrying the registry's current state, collected at `now`.
    fn collect(&mut self, registry: &Registry, now: SystemTime) -> Result<Vec<Bytes>, String>;
    /// Whether an answer with this (non-2xx) status is worth another try.
    fn retryable(&self, status: StatusCode) -> bool {
        status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
    }
    /// A complaint found in a successful answer's body (OTLP's partial success), if any.
    fn check_success(&self, body: &[u8]) -> Option<String> {
        let _ = body;
        None
    }
}

/// Timing and sizing of one destination.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) name: String,
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    /// Protocol headers, authentication and custom headers.
    pub(crate) headers: HeaderMap,
    /// `None`: push only on [`Pusher::push_now`] and at shutdown.
    pub(crate) interval: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) queue_capacity: usize,
    pub(crate) shutdown_timeout: Duration,
    /// Extra CA certificates (PEM) for `https`.
    pub(crate) tls_ca: Vec<Vec<u8>>,
}

enum Command {
    PushNow,
    Shutdown(oneshot::Sender<Result<(), PushError>>),
}

/// A running destination: its background thread pushes the registry until [`shutdown`]
/// (or until it is dropped, which asks for the same final push without waiting for it).
///
/// [`shutdown`]: Pusher::shutdown
#[derive(Debug)]
pub struct Pusher {
    name: String,
    commands: mpsc::UnboundedSender<Command>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Pusher {
    pub(crate) fn spawn(
        settings: Settings,
        protocol: Box<dyn Protocol>,
        registry: Arc<Registry>,
    ) -> Result<Pusher, PushError> {
        let (commands, rx) = mpsc::unbounded_channel();
        let name = settings.name.clone();
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(settings.connect_timeout));
        http.set_nodelay(true);
        let connector = crate::tls::connector(http, &settings.tls_ca)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PushError::Start(format!("cannot start the push runtime: {e}")))?;
        let thread = std::thread::Builder::new()
            .name(format!("push {name}"))
            .spawn(move || {
                let worker = Worker::new(settings, protocol, registry, connector);
                rt.block_on(worker.run(rx));
            })
            .map_err(|e| PushError::Start(format!("cannot start the push thread: {e}")))?;
        Ok(Pusher { name, commands, thread: Some(thread) })
    }

    /// The destination's name, as the `destination` label of the push metrics shows it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Collects and queues the registry's state now, without waiting for it to be sent.
    pub fn push_now(&self) {
        let _ = self.commands.send(Command::PushNow);
    }

    /// Collects the last state, delivers what is queued (within the destination's shutdown
    /// timeout) and stops. Blocks the calling thread: call it from a plain thread (or tokio's
    /// `spawn_blocking`); from async code use [`shutdown_async`](Self::shutdown_async).
    ///
    /// The error, if any, says why the last state was not delivered.
    pub fn shutdown(mut self) -> Result<(), PushError> {
        let (tx, mut rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown(tx)).is_err() {
            return Err(PushError::Stopped);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        // The thread answered before it ended: no wait here, and no blocking call that would
        // panic inside a runtime.
        rx.try_recv().unwrap_or(Err(PushError::Stopped))
    }

    /// [`shutdown`](Self::shutdown) for async code: waits without blocking the runtime.
    pub async fn shutdown_async(mut self) -> Result<(), PushError> {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown(tx)).is_err() {
            return Err(PushError::Stopped);
        }
        // The thread ends right after answering; it is not joined, so nothing blocks here.
        drop(self.thread.take());
        rx.await.unwrap_or(Err(PushError::Stopped))
    }
}

impl Drop for Pusher {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let (tx, _) = oneshot::channel();
            let _ = self.commands.send(Command::Shutdown(tx));
        }
    }
}

/// How one attempt went.
enum Outcome {
    Delivered,
    /// Worth another try, after the receiver's `Retry-After` if it gave one.
    Retry(String, Option<Duration>),
    /// Not worth another try (a 4xx other than 429).
    Rejected(String),
}

struct Worker {
    s: Settings,
    protocol: Box<dyn Protocol>,
    registry: Arc<Registry>,
    client: Client<Connector, Full<Bytes>>,
    queue: VecDeque<Bytes>,
    /// Failed attempts at the queue's front.
    attempts: u32,
    next_try: tokio::time::Instant,
    /// Why the last payload given up was given up; cleared by a delivery.
    last_error: Option<PushError>,
}

impl Worker {
    fn new(s: Settings, protocol: Box<dyn Protocol>, registry: Arc<Registry>, connector: Connector) -> Worker {
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Worker {
            s,
            protocol,
            registry,
            client,
            queue: VecDeque::new(),
            attempts: 0,
            next_try: tokio::time::Instant::now(),
            last_error: None,
        }
    }

    fn dest(&self) -> DestinationLabels {
        DestinationLabels { destination: self.s.name.clone() }
    }

    fn fail(&mut self, reason: &'static str, why: String) {
        eprintln!("metrics-push: {}: {why}", self.s.name);
        PUSH_METRICS.failures.get_or_create(&FailureLabels { destination: self.s.name.clone(), reason }).inc();
        self.last_error = Some(PushError::Failed { destination: self.s.name.clone(), reason: why });
    }

    /// Collects the registry and queues the bodies, dropping the oldest beyond the capacity.
    fn collect(&mut self) {
        match self.protocol.collect(&self.registry, SystemTime::now()) {
            Ok(bodies) => {
                for b in bodies {
                    if self.queue.len() >= self.s.queue_capacity.max(1) {
                        self.queue.pop_front();
                        // The front's retries were for a payload that is gone.
                        self.attempts = 0;
                        PUSH_METRICS.dropped.get_or_create(&self.dest()).inc();
                    }
                    self.queue.push_back(b);
                }
            }
            Err(e) => self.fail("collect", e),
        }
    }

    /// The delay before retry number `attempt` (1-based): exponential, capped, with jitter
    /// (between half and all of it), so that many senders do not retry in step.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.s.initial_backoff.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let d = exp.min(self.s.max_backoff);
        d.mul_f64(0.5 + fastrand::f64() * 0.5)
    }

    async fn attempt(&mut self, body: Bytes, timeout: Duration) -> Outcome {
        let mut req = http::Request::new(Full::new(body));
        *req.method_mut() = self.s.method.clone();
        *req.uri_mut() = self.s.uri.clone();
        *req.headers_mut() = self.s.headers.clone();
        let start = Instant::now();
        let answer = tokio::time::timeout(timeout, async {
            let resp = self.client.request(req).await?;
            let status = resp.status();
            let retry_after =
                resp.headers().get(http::header::RETRY_AFTER).and_then(|v| parse_retry_after(v.to_str().ok()?));
            // The body is read (bounded) for the receiver's message.
            let body = http_body_util::Limited::new(resp.into_body(), 64 * 1024)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            Ok::<_, hyper_util::client::legacy::Error>((status, retry_after, body))
        })
        .await;
        PUSH_METRICS.duration.get_or_create(&self.dest()).observe(start.elapsed().as_secs_f64());
        let code = |c: String| RequestLabels { destination: self.s.name.clone(), code: c };
        match answer {
            Err(_) => {
                PUSH_METRICS.requests.get_or_create(&code("error".into())).inc();
                Outcome::Retry(format!("no answer within {timeout:?}"), None)
            }
            Ok(Err(e)) => {
                PUSH_METRICS.requests.get_or_create(&code("error".into())).inc();
                Outcome::Retry(format!("request failed: {}", error_chain(&e)), None)
            }
            Ok(Ok((status, retry_after, body))) => {
                PUSH_METRICS.requests.get_or_create(&code(status.as_u16().to_string())).inc();
                let message = String::from_utf8_lossy(&body[..body.len().min(512)]).trim().to_owned();
                if status.is_success() {
                    if let Some(complaint) = self.protocol.check_success(&body) {
                        eprintln!("metrics-push: {}: accepted with a warning: {complaint}", self.s.name);
                    }
                    Outcome::Delivered
                } else if self.protocol.retryable(status) {
                    Outcome::Retry(format!("the receiver answered {status}: {message}"), retry_after)
                } else {
                    Outcome::Rejected(format!("the receiver rejected the push with {status}: {message}"))
                }
            }
        }
    }

    /// Tries the queue's front once (within `limit`) and updates the queue. Returns whether to
    /// wait before the next try.
    async fn try_front(&mut self, limit: Option<tokio::time::Instant>) {
        let Some(body) = self.queue.front().cloned() else { return };
        let mut timeout = self.s.timeout;
        if let Some(limit) = limit {
            timeout = timeout.min(limit.saturating_duration_since(tokio::time::Instant::now()));
        }
        match self.attempt(body, timeout).await {
            Outcome::Delivered => {
                self.queue.pop_front();
                self.attempts = 0;
                self.last_error = None;
            }
            Outcome::Rejected(why) => {
                self.queue.pop_front();
                self.attempts = 0;
                self.fail("rejected", why);
            }
            Outcome::Retry(why, retry_after) => {
                self.attempts += 1;
                if self.attempts > self.s.max_retries {
                    self.queue.pop_front();
                    self.attempts = 0;
                    self.fail("retries", format!("gave up after {} retries: {why}", self.s.max_retries));
                } else {
                    let wait = retry_after.map_or_else(|| self.backoff(self.attempts), |d| d.min(MAX_RETRY_AFTER));
                    eprintln!("metrics-push: {}: {why}; retrying in {wait:?}", self.s.name);
                    self.next_try = tokio::time::Instant::now() + wait;
                }
            }
        }
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        let mut tick = self.s.interval.map(|i| {
            let mut t = tokio::time::interval(i);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        let reply = loop {
            if !self.queue.is_empty() && tokio::time::Instant::now() >= self.next_try {
                self.try_front(None).await;
                continue;
            }
            let wait_retry = !self.queue.is_empty();
            tokio::select! {
                () = next_tick(&mut tick) => {
                    self.collect();
                }
                cmd = rx.recv() => match cmd {
                    Some(Command::PushNow) => self.collect(),
                    Some(Command::Shutdown(reply)) => break Some(reply),
                    None => break None,
                },
                () = tokio::time::sleep_until(self.next_try), if wait_retry => {}
            }
        };
        // The last state, then everything queued, within the shutdown timeout.
        self.collect();
        let deadline = tokio::time::Instant::now() + self.s.shutdown_timeout;
        while !self.queue.is_empty() {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                let left = self.queue.len();
                self.queue.clear();
                self.fail("shutdown", format!("{left} payload(s) undelivered when the shutdown timeout ran out"));
                break;
            }
            if now < self.next_try {
                tokio::time::sleep_until(self.next_try.min(deadline)).await;
                continue;
            }
            self.try_front(Some(deadline)).await;
        }
        if let Some(reply) = reply {
            let _ = reply.send(self.last_error.take().map_or(Ok(()), Err));
        }
    }
}

/// The interval's next tick; never, for a destination without an interval.
async fn next_tick(tick: &mut Option<tokio::time::Interval>) {
    match tick {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The longest `Retry-After` honoured: a receiver asking for more gets a try after this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// An error with its sources, which say what actually went wrong (connection refused, ...).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::parse_retry_after;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(100));
        let d = parse_retry_after(&later).unwrap_or_default();
        assert!(d > Duration::from_secs(90) && d <= Duration::from_secs(100), "{d:?}");
        assert_eq!(parse_retry_after("soon"), None);
    }
}
