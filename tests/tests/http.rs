//! The exporter through a real HTTP client against servers on 127.0.0.1 port 0: every route,
//! method, negotiation case, gzip, prefix, access case and configuration case.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use base64::Engine;
use metrics_core::{Counter, Family, GaugeFn, LabelSet, Metrics, Registry};
use metrics_http::{AccessMode, AccessPolicy, AuthConfig, Exporter, ExporterConfig, Server, ServerHandle};
use metrics_tests::{get, raw_get, request};

#[derive(LabelSet)]
struct Svc {
    service: String,
}

#[derive(Metrics)]
struct M {
    /// total number of messages ever delivered
    delivered: Family<Svc, Counter>,
}

static METRICS: LazyLock<M> = LazyLock::new(|| {
    let m = M::default();
    m.delivered.get_or_create(&Svc { service: "smtp_client".into() }).inc_by(5);
    m
});

const PROM2_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

fn serve_with(b: impl FnOnce(metrics_http::ExporterBuilder) -> metrics_http::ExporterBuilder) -> ServerHandle {
    let registry = Arc::new(Registry::new());
    registry.register(&METRICS).unwrap_or_else(|e| panic!("{e}"));
    let exporter = b(Exporter::builder(registry)).build().unwrap_or_else(|e| panic!("{e}"));
    Server::spawn_thread(Server::builder(exporter).listen(SocketAddr::from(([127, 0, 0, 1], 0))))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn url(s: &ServerHandle, path: &str) -> String {
    format!("http://{}{}", s.local_addr(), path)
}

#[test]
fn routes_and_methods() {
    let s = serve_with(|b| b);
    let r = get(&url(&s, "/metrics"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8; escaping=underscores"));
    assert!(r.body.contains("delivered_total{service=\"smtp_client\"} 5\n"), "{}", r.body);
    let j = get(&url(&s, "/metrics.json"));
    assert_eq!(j.status, 200);
    assert_eq!(j.header("content-type"), Some("application/json"));
    let v: serde_json::Value = serde_json::from_str(&j.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["delivered_total"]["value"]["service"]["smtp_client"], 5.0);
    for path in ["/", "/metric", "/metrics/", "/metrics.txt", "/METRICS"] {
        assert_eq!(get(&url(&s, path)).status, 404, "{path}");
    }
    // Paths a client library would normalise, sent raw: never matched, never a crash.
    for path in ["//metrics", "/metrics/../x", "/x/../metrics", "/%6Detrics", "/metrics%2Ejson", "/metrics%00"] {
        assert_eq!(raw_get(s.local_addr(), "127.0.0.1", path, "").0, 404, "{path}");
    }
    for m in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = request(m, &url(&s, "/metrics"), &[]);
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
    }
    let h = request("HEAD", &url(&s, "/metrics"), &[]);
    assert_eq!(h.status, 200);
    assert_eq!(h.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8; escaping=underscores"));
    assert!(h.raw.is_empty());
}

#[test]
fn negotiation() {
    let s = serve_with(|b| b);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"),
        (&[("accept", "*/*")], "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"),
        (&[("accept", "text/plain;version=0.0.4")], "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"),
        (
            &[("accept", PROM2_ACCEPT)],
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores",
        ),
        (
            &[(
                "accept",
                "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;q=0.2,*/*;q=0.1",
            )],
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8",
        ),
        (
            &[("accept", "text/plain;q=1,application/openmetrics-text;q=0.3")],
            "text/plain; version=0.0.4; charset=utf-8; escaping=underscores",
        ),
    ];
    for (headers, want) in cases {
        let r = request("GET", &url(&s, "/metrics"), headers);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some(*want), "{headers:?}");
        assert_eq!(r.body.ends_with("# EOF\n"), want.starts_with("application/openmetrics-text"), "{headers:?}");
    }
    // JSON is JSON whatever the Accept header says.
    let j = request("GET", &url(&s, "/metrics.json"), &[("accept", PROM2_ACCEPT)]);
    assert_eq!(j.header("content-type"), Some("application/json"));
}

#[test]
fn gzip() {
    let s = serve_with(|b| b);
    let z = request("GET", &url(&s, "/metrics"), &[("accept-encoding", "gzip")]);
    assert_eq!(z.header("content-encoding"), Some("gzip"));
    assert_eq!(z.header("vary"), Some("Accept, Accept-Encoding"));
    assert!(z.raw.starts_with(&[0x1f, 0x8b]), "a gzip stream");
    let plain = request("GET", &url(&s, "/metrics"), &[]);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(z.body.lines().filter(|l| l.starts_with("delivered")).count(), 1);
    assert!(plain.body.contains("delivered_total"));
    let refused = request("GET", &url(&s, "/metrics"), &[("accept-encoding", "gzip;q=0")]);
    assert_eq!(refused.header("content-encoding"), None);
    let off = serve_with(|b| b.gzip(false));
    assert_eq!(request("GET", &url(&off, "/metrics"), &[("accept-encoding", "gzip")]).header("content-encoding"), None);
}

#[test]
fn prefix() {
    let s = serve_with(|b| b);
    let r = get(&url(&s, "/metrics?prefix=kumomta_"));
    assert_eq!(r.status, 200);
    for line in r.body.lines() {
        let name = line.trim_start_matches("# HELP ").trim_start_matches("# TYPE ");
        assert!(name.starts_with("kumomta_"), "{line}");
    }
    let om = request("GET", &url(&s, "/metrics?prefix=kumomta_"), &[("accept", PROM2_ACCEPT)]);
    assert!(om.body.contains("kumomta_delivered_created{"), "{}", om.body);
    assert!(get(&url(&s, "/metrics?prefix=kumo%5Fmta_&unknown=1")).body.contains("\nkumo_mta_delivered_total{"));
    assert!(get(&url(&s, "/metrics?prefix=")).body.contains("\ndelivered_total{"));
    // Any UTF-8 prefix goes before the name, then the whole name is escaped (`underscores`
    // here); one starting with `__` would make every name reserved.
    for (prefix, spelled) in [("9lives_", "_lives_"), ("bad-prefix", "bad_prefix"), ("a%20b", "a_b"), ("%C3%A9", "_")] {
        let r = get(&url(&s, &format!("/metrics?prefix={prefix}")));
        assert_eq!(r.status, 200, "{prefix}");
        assert!(r.body.contains(&format!("\n{spelled}delivered_total{{")), "{prefix}: {}", r.body);
    }
    for bad in ["__", "__x", "%5F%5Fx"] {
        let r = get(&url(&s, &format!("/metrics?prefix={bad}")));
        assert_eq!(r.status, 400, "{bad}");
        assert!(
            r.body.contains("would make invalid metric names: names starting with `__` are reserved"),
            "{}",
            r.body
        );
    }
    // Invalid UTF-8 and control characters are no prefix.
    for bad in ["%FF%FE", "a%00b", "%0A", "x%7F"] {
        let r = get(&url(&s, &format!("/metrics?prefix={bad}")));
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.body.contains("prefix is not valid UTF-8 text"), "{}", r.body);
    }
    let long = "a".repeat(metrics_http::MAX_PREFIX_LEN + 1);
    let r = get(&url(&s, &format!("/metrics?prefix={long}")));
    assert_eq!(r.status, 400);
    assert!(r.body.contains("longer than"), "{}", r.body);
}

fn basic(user: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
}

#[test]
fn trusted_ip_access() {
    let policy = AccessPolicy {
        trusted: vec!["127.0.0.1/32".parse().unwrap_or_else(|e| panic!("{e}"))],
        ..AccessPolicy::default()
    };
    let s = serve_with(|b| b.access(policy));
    let addr = s.local_addr();
    assert_eq!(raw_get(addr, "127.0.0.1", "/metrics", "").0, 200);
    let (status, text) = raw_get(addr, "127.0.0.2", "/metrics", "");
    assert_eq!(status, 403, "{text}");
    // Spoofed forwarding headers from an untrusted peer change nothing.
    assert_eq!(raw_get(addr, "127.0.0.2", "/metrics", "x-forwarded-for: 127.0.0.1\r\nx-real-ip: 127.0.0.1\r\n").0, 403);
    // Credentials are no substitute for a trusted address (KumoMTA).
    let auth = format!("authorization: {}\r\n", basic("prometheus", "password123"));
    assert_eq!(raw_get(addr, "127.0.0.2", "/metrics", &auth).0, 403);
    assert_eq!(raw_get(addr, "127.0.0.2", "/metrics.json", "").0, 403);
}

#[test]
fn trusted_proxy_forwarding() {
    let policy = AccessPolicy {
        trusted: vec!["127.0.0.1/32".parse().unwrap_or_else(|e| panic!("{e}"))],
        proxies: vec!["127.0.0.3".parse().unwrap_or_else(|e| panic!("{e}"))],
        ..AccessPolicy::default()
    };
    let s = serve_with(|b| b.access(policy));
    let addr = s.local_addr();
    assert_eq!(raw_get(addr, "127.0.0.3", "/metrics", "x-forwarded-for: 127.0.0.1\r\n").0, 200);
    assert_eq!(raw_get(addr, "127.0.0.3", "/metrics", "x-forwarded-for: 192.0.2.1\r\n").0, 403);
    assert_eq!(raw_get(addr, "127.0.0.3", "/metrics", "x-forwarded-for: garbage\r\n").0, 403);
}

#[test]
fn basic_auth_access() {
    let policy = AccessPolicy {
        mode: AccessMode::BasicAuth,
        auth: Some(AuthConfig { username: "prometheus".into(), secret: "password123".into() }),
        ..AccessPolicy::default()
    };
    let s = serve_with(|b| b.access(policy).path("/metrics/prometheus"));
    let addr = s.local_addr();
    let good = format!("authorization: {}\r\n", basic("prometheus", "password123"));
    assert_eq!(raw_get(addr, "127.0.0.2", "/metrics/prometheus", &good).0, 200);
    let cases = [
        String::new(),
        format!("authorization: {}\r\n", basic("prometheus", "wrong")),
        format!("authorization: {}\r\n", basic("someone", "password123")),
        "authorization: Basic !!!notbase64\r\n".to_owned(),
        format!("authorization: Basic {}\r\n", base64::engine::general_purpose::STANDARD.encode("no-colon")),
        format!(
            "authorization: Basic {}\r\n",
            base64::engine::general_purpose::STANDARD.encode([0xc3, 0x28, b':', b'x'])
        ),
        "authorization: Bearer token\r\n".to_owned(),
        "authorization: \r\n".to_owned(),
    ];
    for h in &cases {
        let (status, text) = raw_get(addr, "127.0.0.1", "/metrics/prometheus", h);
        assert_eq!(status, 401, "{h:?}");
        assert!(text.contains("www-authenticate: Basic realm=\"metrics\""), "{text}");
        assert!(
            text.contains("valid credentials are required"),
            "the response never says which part was wrong: {text}"
        );
    }
    assert_eq!(raw_get(addr, "127.0.0.1", "/metrics", &good).0, 404);
}

#[test]
fn concurrent_scrape_limit() {
    #[derive(Metrics)]
    struct Slow {
        /// Sleeps while read.
        slow: GaugeFn,
    }
    let slow = Arc::new(Slow::default());
    slow.slow.set(|| {
        std::thread::sleep(Duration::from_millis(700));
        1
    });
    let registry = Arc::new(Registry::new());
    registry.register_arc(slow).unwrap_or_else(|e| panic!("{e}"));
    let exporter = Exporter::builder(registry).max_concurrent_scrapes(1).build().unwrap_or_else(|e| panic!("{e}"));
    let s = Server::spawn_thread(Server::builder(exporter).listen(SocketAddr::from(([127, 0, 0, 1], 0))))
        .unwrap_or_else(|e| panic!("{e}"));
    let u = url(&s, "/metrics");
    let first = std::thread::spawn({
        let u = u.clone();
        move || get(&u).status
    });
    std::thread::sleep(Duration::from_millis(200));
    let second = get(&u);
    assert_eq!(second.status, 503);
    assert_eq!(second.header("retry-after"), Some("1"));
    assert_eq!(first.join().unwrap_or(0), 200);
    // Counted by status code in the exporter's own metrics.
    let again = get(&u);
    assert!(again.body.contains("promhttp_metric_handler_requests_total{code=\"503\"} 1\n"), "{}", again.body);
    assert!(again.body.contains("promhttp_metric_handler_requests_in_flight 1\n"), "{}", again.body);
}

#[test]
fn openmetrics_created_can_be_turned_off() {
    let on = serve_with(|b| b);
    let body = request("GET", &url(&on, "/metrics"), &[("accept", PROM2_ACCEPT)]).body;
    assert!(body.contains("delivered_created{service=\"smtp_client\"}"), "{body}");
    let c: ExporterConfig = toml::from_str("openmetrics-created = false\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(!c.openmetrics_created);
    let off = serve_with(|b| b.config(&c));
    let r = request("GET", &url(&off, "/metrics"), &[("accept", PROM2_ACCEPT)]);
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores")
    );
    assert!(
        !r.body.contains("_created") && r.body.contains("delivered_total{service=\"smtp_client\"} 5\n"),
        "{}",
        r.body
    );
    assert!(r.body.ends_with("# EOF\n"));
}

#[test]
fn config_cases() {
    #[derive(serde::Deserialize)]
    struct Root {
        metrics: Section,
    }
    #[derive(serde::Deserialize)]
    struct Section {
        prometheus: ExporterConfig,
    }
    let parse = |t: &str| toml::from_str::<Root>(t).map(|r| r.metrics.prometheus).map_err(|e| e.to_string());
    // Stalwart's table as its documentation writes it.
    let c = parse("[metrics.prometheus]\nenable = true\n\n[metrics.prometheus.auth]\nusername = \"prometheus\"\nsecret = \"password123\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(c.enable);
    assert_eq!(c.access_mode(), AccessMode::BasicAuth);
    assert!(c.gzip);
    assert_eq!(c.path, "/metrics");
    // Defaults: disabled, loopback only.
    let d = parse("[metrics.prometheus]\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(!d.enable);
    assert_eq!(d.access_mode(), AccessMode::TrustedIp);
    assert_eq!(d.trusted_hosts, metrics_http::loopback());
    let full = parse(
        "[metrics.prometheus]\nenable = true\nlisten = \"127.0.0.1:0\"\npath = \"/m\"\njson-path = \"\"\ntrusted-hosts = [\"10.0.0.0/8\", \"192.0.2.7\", \"::1\", \"127.0.0.1\"]\naccess = \"either\"\ngzip = false\nmax-concurrent-scrapes = 2\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(full.trusted_hosts.len(), 4);
    assert_eq!(full.access_mode(), AccessMode::Either);
    // Bad values name the key and the value.
    let e = parse("[metrics.prometheus]\ntrusted-hosts = [\"10.0.0.300/8\"]\n").err().unwrap_or_default();
    assert!(e.contains("10.0.0.300/8") && e.contains("trusted-hosts"), "{e}");
    let e = parse("[metrics.prometheus]\nlisten = \"localhost\"\n").err().unwrap_or_default();
    assert!(e.contains("listen"), "{e}");
    let e = parse("[metrics.prometheus]\naccess = \"sometimes\"\n").err().unwrap_or_default();
    assert!(e.contains("sometimes") && e.contains("access"), "{e}");
    let e = parse("[metrics.prometheus]\nenabled = true\n").err().unwrap_or_default();
    assert!(e.contains("enabled"), "unknown keys are errors: {e}");
    let e = parse("[metrics.prometheus.auth]\nusername = \"x\"\n").err().unwrap_or_default();
    assert!(e.contains("secret"), "{e}");

    // A configured exporter serves what the configuration says.
    let registry = Arc::new(Registry::new());
    registry.register(&METRICS).unwrap_or_else(|e| panic!("{e}"));
    let exporter = Exporter::builder(registry).config(&full).build().unwrap_or_else(|e| panic!("{e}"));
    let s = Server::spawn_thread(Server::builder(exporter).config(&full)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(get(&url(&s, "/m")).status, 200);
    assert_eq!(get(&url(&s, "/metrics.json")).status, 404, "json-path = \"\" serves no JSON");
    assert_eq!(request("GET", &url(&s, "/m"), &[("accept-encoding", "gzip")]).header("content-encoding"), None);
}

#[test]
fn axum_integration() {
    let registry = Arc::new(Registry::new());
    registry.register(&METRICS).unwrap_or_else(|e| panic!("{e}"));
    let exporter = Exporter::builder(registry).build().unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let (with, without) = rt.block_on(async {
        let app = axum::Router::new().merge(metrics_http::axum::router(exporter));
        let l1 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let l2 = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let (a1, a2) =
            (l1.local_addr().unwrap_or_else(|e| panic!("{e}")), l2.local_addr().unwrap_or_else(|e| panic!("{e}")));
        tokio::spawn(axum::serve(l1, app.clone().into_make_service_with_connect_info::<SocketAddr>()).into_future());
        tokio::spawn(axum::serve(l2, app).into_future());
        (a1, a2)
    });
    let r = get(&format!("http://{with}/metrics"));
    assert_eq!(r.status, 200);
    assert!(r.body.contains("delivered_total"));
    assert_eq!(raw_get(with, "127.0.0.2", "/metrics", "").0, 200, "loopback is trusted");
    // Without ConnectInfo the peer is unknown, and an unknown peer is never trusted by address:
    // a 403 that says how to fix it, not a 500, and never a scrape served to anyone.
    let r = get(&format!("http://{without}/metrics"));
    assert_eq!(r.status, 403);
    assert!(r.body.contains("peer address is unknown"), "{}", r.body);
    assert!(r.body.contains("into_make_service_with_connect_info"), "{}", r.body);
    drop(rt);
}

/// Serves the axum router with a plain `axum::serve` (no `ConnectInfo`) under `policy`.
fn axum_without_connect_info(policy: AccessPolicy) -> (tokio::runtime::Runtime, SocketAddr) {
    let registry = Arc::new(Registry::new());
    registry.register(&METRICS).unwrap_or_else(|e| panic!("{e}"));
    let exporter = Exporter::builder(registry).access(policy).build().unwrap_or_else(|e| panic!("{e}"));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let addr = rt.block_on(async {
        let app: axum::Router = metrics_http::axum::router(exporter);
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let a = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(axum::serve(l, app).into_future());
        a
    });
    (rt, addr)
}

#[test]
fn axum_without_connect_info_serves_where_the_address_does_not_matter() {
    let (rt, addr) = axum_without_connect_info(AccessPolicy::anyone());
    let r = get(&format!("http://{addr}/metrics"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("delivered_total"));
    drop(rt);

    let auth = AccessPolicy {
        mode: AccessMode::BasicAuth,
        auth: Some(AuthConfig { username: "prometheus".into(), secret: "password123".into() }),
        ..AccessPolicy::default()
    };
    let (rt, addr) = axum_without_connect_info(auth);
    let good = format!("authorization: {}\r\n", basic("prometheus", "password123"));
    assert_eq!(raw_get(addr, "127.0.0.1", "/metrics", &good).0, 200);
    assert_eq!(raw_get(addr, "127.0.0.1", "/metrics", "").0, 401);
    drop(rt);

    // Every address trusted is still no trust for an unknown one, and a forwarding header from
    // it is not believed.
    let every = AccessPolicy {
        trusted: vec!["0.0.0.0/0".parse().unwrap_or_else(|e| panic!("{e}"))],
        proxies: metrics_http::loopback(),
        ..AccessPolicy::default()
    };
    let (rt, addr) = axum_without_connect_info(every);
    assert_eq!(raw_get(addr, "127.0.0.1", "/metrics", "x-forwarded-for: 127.0.0.1\r\n").0, 403);
    drop(rt);
}

#[test]
fn every_peer_access() {
    #[derive(serde::Deserialize)]
    struct Root {
        metrics: ExporterConfig,
    }
    let serve = |toml_text: &str| {
        let c = toml::from_str::<Root>(toml_text).map(|r| r.metrics).unwrap_or_else(|e| panic!("{e}"));
        let registry = Arc::new(Registry::new());
        registry.register(&METRICS).unwrap_or_else(|e| panic!("{e}"));
        let exporter = Exporter::builder(registry).config(&c).build().unwrap_or_else(|e| panic!("{e}"));
        Server::spawn_thread(Server::builder(exporter).config(&c)).unwrap_or_else(|e| panic!("{e}"))
    };
    // 127.0.0.2 stands for a peer outside the trusted hosts.
    let narrow = serve("[metrics]\nlisten = \"127.0.0.1:0\"\ntrusted-hosts = [\"10.0.0.0/8\"]\n");
    assert_eq!(raw_get(narrow.local_addr(), "127.0.0.2", "/metrics", "").0, 403);
    let anyone = serve("[metrics]\nlisten = \"127.0.0.1:0\"\naccess = \"anyone\"\ntrusted-hosts = [\"10.0.0.0/8\"]\n");
    assert_eq!(raw_get(anyone.local_addr(), "127.0.0.2", "/metrics", "").0, 200);
    assert_eq!(raw_get(anyone.local_addr(), "127.0.0.3", "/metrics.json", "").0, 200);
    let every = serve("[metrics]\nlisten = \"127.0.0.1:0\"\ntrusted-hosts = [\"0.0.0.0/0\", \"::/0\"]\n");
    assert_eq!(raw_get(every.local_addr(), "127.0.0.2", "/metrics", "").0, 200);
}

#[test]
fn process_collector_default_reads_proc() {
    let registry = Registry::new();
    registry.register_arc(Arc::new(metrics_http::process::ProcessMetrics::default())).unwrap_or_else(|e| panic!("{e}"));
    let text = registry.render(metrics_core::Format::Prometheus);
    for name in ["process_cpu_seconds_total", "process_open_fds", "process_resident_memory_bytes", "process_threads"] {
        let value = text.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' '));
        let value: f64 = value.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no sample of {name}:\n{text}"));
        assert!(value.is_finite() && value >= 0.0, "{name} {value}");
    }
}

#[test]
fn thread_server_shuts_down() {
    let s = serve_with(|b| b);
    let addr = s.local_addr();
    assert_eq!(get(&format!("http://{addr}/metrics")).status, 200);
    s.shutdown().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
        "nothing listens after shutdown"
    );
}

/// A plain tower service (no router): 200 for `/v1/destinations/<id>`, 404 otherwise.
#[derive(Clone)]
struct Plain;

impl<B> tower::Service<http::Request<B>> for Plain {
    type Response = http::Response<http_body_util::Full<&'static [u8]>>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let status = if req.uri().path().starts_with("/v1/destinations/") { 200 } else { 404 };
        let mut r = http::Response::new(http_body_util::Full::new(&b"ok\n"[..]));
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
        std::future::ready(Ok(r))
    }
}

#[test]
fn tower_layer_on_plain_hyper_labels_route_templates() {
    use metrics_http::middleware::{HttpMetrics, HttpMetricsLayer, Routes};
    use tower::{Layer, Service};

    let metrics = Arc::new(HttpMetrics::default());
    let routes = Routes::new(["/v1/grants", "/v1/destinations/:id"]).unwrap_or_else(|e| panic!("{e}"));
    let svc = HttpMetricsLayer::with_routes(metrics.clone(), routes).layer(Plain);
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let addr = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(async move {
            while let Ok((stream, _)) = l.accept().await {
                let svc = svc.clone();
                let hyper_svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let mut svc = svc.clone();
                    async move {
                        std::future::poll_fn(|cx| {
                            Service::<http::Request<hyper::body::Incoming>>::poll_ready(&mut svc, cx)
                        })
                        .await?;
                        svc.call(req).await
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), hyper_svc),
                );
            }
        });
        addr
    });
    for path in ["/v1/destinations/1", "/v1/destinations/2?x=y", "/v1/destinations/3", "/wp-login.php", "/v1/grants"] {
        let want = if path.starts_with("/v1/destinations/") { 200 } else { 404 };
        assert_eq!(get(&format!("http://{addr}{path}")).status, want, "{path}");
    }
    let registry = Registry::new();
    registry.register_arc(metrics).unwrap_or_else(|e| panic!("{e}"));
    let text = registry.render(metrics_core::Format::Prometheus);
    for line in [
        "http_requests_total{handler=\"/v1/destinations/:id\",method=\"GET\",status=\"200\"} 3\n",
        "http_requests_total{handler=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
        "http_requests_total{handler=\"/v1/grants\",method=\"GET\",status=\"404\"} 1\n",
    ] {
        assert!(text.contains(line), "{line}in\n{text}");
    }
    assert!(!text.contains("wp-login") && !text.contains("/v1/destinations/1"), "raw paths are never labels:\n{text}");
    drop(rt);
}
