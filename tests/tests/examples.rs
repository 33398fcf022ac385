//! The examples serve what the seeds document: every metric name, type, help text and label
//! name of the seeds' examples appears as written (the `go_*` series excepted), `/metrics.json`
//! has the seed's shape, `prefix` works as KumoMTA describes, and Stalwart's exporter sits
//! behind basic auth and listens only when enabled.

use std::net::SocketAddr;
use std::time::Duration;

use metrics_tests::{dir, get, parse_text, request};

fn fixture(name: &str) -> String {
    let p = dir().join("fixtures/seeds").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Every family of `seed` (but those `skip` names) appears in `ours` with the same help, type
/// and sample/label names.
fn assert_covers(seed: &str, ours: &str, skip: impl Fn(&str) -> bool) {
    let seed = parse_text(seed);
    let ours = parse_text(ours);
    assert!(!seed.is_empty());
    for (name, want) in seed.iter().filter(|(n, _)| !skip(n)) {
        let Some(got) = ours.get(name) else {
            panic!("family `{name}` of the seed is missing; we have {:?}", ours.keys().collect::<Vec<_>>())
        };
        assert_eq!(got.help, want.help, "help of `{name}`");
        assert_eq!(got.kind, want.kind, "type of `{name}`");
        for sample in &want.samples {
            assert!(
                got.samples.contains(sample),
                "`{name}`: the seed's sample {sample:?} is missing; we have {:?}",
                got.samples
            );
        }
    }
}

#[test]
fn kumo_text_matches_the_seed() {
    let k = examples::kumo::start(local(), vec![], Duration::from_millis(20)).unwrap_or_else(|e| panic!("{e}"));
    let body = get(&format!("http://{}/metrics", k.local_addr())).body;
    assert_covers(&fixture("kumo_metrics.txt"), &body, |_| false);
    // The seed's families come first and in the seed's order.
    let seed_order: Vec<String> = parse_order(&fixture("kumo_metrics.txt"));
    let ours: Vec<String> = parse_order(&body).into_iter().take(seed_order.len()).collect();
    assert_eq!(ours, seed_order);
}

fn parse_order(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| l.split(' ').next().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn kumo_prefix_as_the_seed_describes() {
    let k = examples::kumo::start(local(), vec![], Duration::from_millis(20)).unwrap_or_else(|e| panic!("{e}"));
    let body = get(&format!("http://{}/metrics?prefix=kumomta_", k.local_addr())).body;
    let prefixed: String = fixture("kumo_metrics.txt")
        .lines()
        .map(|l| {
            if let Some(r) = l.strip_prefix("# HELP ") {
                format!("# HELP kumomta_{r}\n")
            } else if let Some(r) = l.strip_prefix("# TYPE ") {
                format!("# TYPE kumomta_{r}\n")
            } else {
                format!("kumomta_{l}\n")
            }
        })
        .collect();
    assert_covers(&prefixed, &body, |_| false);
    assert!(
        body.lines()
            .all(|l| l.starts_with("kumomta_") || l.starts_with("# HELP kumomta_") || l.starts_with("# TYPE kumomta_"))
    );
    // Any UTF-8 prefix, escaped with the name (`underscores` for KumoMTA's scrapers); one
    // starting with `__` would make reserved names.
    let dashed = get(&format!("http://{}/metrics?prefix=kumo-mta.", k.local_addr()));
    assert_eq!(dashed.status, 200);
    assert!(dashed.body.lines().all(|l| l.starts_with("kumo_mta_") || l.starts_with("# ")), "{}", dashed.body);
    assert_eq!(get(&format!("http://{}/metrics?prefix=__kumo", k.local_addr())).status, 400);
}

#[test]
fn kumo_json_has_the_seeds_shape() {
    let k = examples::kumo::start(local(), vec![], Duration::from_millis(20)).unwrap_or_else(|e| panic!("{e}"));
    let r = get(&format!("http://{}/metrics.json", k.local_addr()));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let ours: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}"));
    // The published example has a stray trailing comma: remove it to read the shape.
    let seed_text = fixture("kumo_metrics.json").replace("152.0,\n", "152.0\n");
    let seed: serde_json::Value = serde_json::from_str(&seed_text).unwrap_or_else(|e| panic!("{e}"));
    let seed = seed.as_object().unwrap_or_else(|| panic!("not an object"));
    for (name, want) in seed {
        let got = &ours[name];
        assert_eq!(got["help"], want["help"], "{name}");
        assert_eq!(got["type"], want["type"], "{name}");
        match &want["value"] {
            serde_json::Value::Number(_) => assert!(got["value"].is_number(), "{name}: {got}"),
            serde_json::Value::Object(o) => {
                let label = o.keys().next().unwrap_or_else(|| panic!("{name}"));
                let values = got["value"][label].as_object().unwrap_or_else(|| panic!("{name}: {got}"));
                for (v, n) in o[label].as_object().unwrap_or_else(|| panic!("{name}")) {
                    assert!(n.is_number());
                    assert!(values.get(v).is_some_and(|x| x.is_number()), "{name}: label value {v} missing in {got}");
                }
            }
            other => panic!("{name}: unexpected seed value {other}"),
        }
    }
    assert_eq!(get(&format!("http://{}/metrics.json", k.local_addr())).status, 200);
}

#[test]
fn kumo_is_trusted_ip_only() {
    let k = examples::kumo::start(
        local(),
        vec!["127.0.0.1/32".parse().unwrap_or_else(|e| panic!("{e}"))],
        Duration::from_millis(20),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(metrics_tests::raw_get(k.local_addr(), "127.0.0.1", "/metrics", "").0, 200);
    assert_eq!(metrics_tests::raw_get(k.local_addr(), "127.0.0.2", "/metrics", "").0, 403);
    assert_eq!(metrics_tests::raw_get(k.local_addr(), "127.0.0.2", "/metrics.json", "").0, 403);
}

#[test]
fn infra_matches_the_seed() {
    let i = examples::infra::start(local()).unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{}", i.local_addr());
    for _ in 0..3 {
        assert_eq!(get(&format!("{base}/v1/grants")).status, 200);
    }
    assert_eq!(get(&format!("{base}/v1/destinations")).status, 200);
    let put = request("PUT", &format!("{base}/v1/destinations/7"), &[("content-type", "application/json")]);
    // An empty body is a client error, recorded with its status.
    assert_eq!(put.status, 400);
    let body = get(&format!("{base}/metrics")).body;
    assert_covers(&fixture("infra_metrics.txt"), &body, |n| n.starts_with("go_"));
    let fams = parse_text(&body);
    let handlers: std::collections::BTreeSet<String> = fams["http_requests_total"]
        .series
        .iter()
        .flat_map(|(_, l)| l.iter().filter(|(k, _)| k == "handler").map(|(_, v)| v.clone()))
        .collect();
    assert!(
        handlers.contains("/v1/grants")
            && handlers.contains("/v1/destinations")
            && handlers.contains("/v1/destinations/:id"),
        "{handlers:?}"
    );
    assert!(!handlers.iter().any(|h| h.contains('7')), "route templates, never raw paths: {handlers:?}");
    assert!(body.contains("build_info{branch=\"main\""), "{body}");
    assert!(body.contains("\ndatabase_info{name=\"sqlite\"} 1\n"));
    assert!(body.contains("database_query_duration_seconds{quantile=\"0.5\"}"));
    i.stop().unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn stalwart_seed_config_basic_auth() {
    #[derive(serde::Deserialize)]
    struct Root {
        metrics: Section,
    }
    #[derive(serde::Deserialize)]
    struct Section {
        prometheus: metrics_http::ExporterConfig,
    }
    let seed: Root = toml::from_str(&fixture("stalwart.toml")).unwrap_or_else(|e| panic!("{e}"));
    let s = examples::stalwart::start(&seed.metrics.prometheus, Some(local()))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("enabled"));
    let u = format!("http://{}/metrics/prometheus", s.local_addr());
    let r = get(&u);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"metrics\""));
    use base64::Engine;
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("prometheus:password123"));
    let ok = request("GET", &u, &[("authorization", &auth)]);
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("delivery_attempts_total{protocol=\"smtp\",outcome=\"delivered\"}"), "{}", ok.body);
    assert_eq!(request("GET", &format!("http://{}/metrics", s.local_addr()), &[("authorization", &auth)]).status, 404);

    let mut off = seed.metrics.prometheus.clone();
    off.enable = false;
    assert!(
        examples::stalwart::start(&off, Some(local())).unwrap_or_else(|e| panic!("{e}")).is_none(),
        "disabled: nothing listens"
    );
    // The example's own file parses.
    let c = examples::stalwart::load(&dir().join("../examples/stalwart.toml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.metrics.prometheus.enable);
}

#[test]
fn metrics_docs_is_current() {
    let path = dir().join("../docs/METRICS.md");
    let want = examples::metrics_docs();
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/METRICS.md is stale: run `cargo run -p examples --bin metrics-docs > docs/METRICS.md`");
    assert!(
        want.contains(
            "| `total_messages_delivered` | counter |  | total number of messages ever delivered | `service`: `esmtp_listener`, `smtp_client`, `smtp_client:source->mx`, ... |"
        ),
        "{want}"
    );
    assert!(want.contains("`outcome` (`delivered`, `deferred`, `bounced`)"), "enum label values are listed");
}
