//! A real Prometheus server scraping the examples.

use std::time::{Duration, Instant};

use metrics_tests::{query, start_prometheus, value_of};

use crate::local;

#[test]
fn a_real_prometheus_scrapes_the_examples() {
    // Values stay put during the test: one workload step, then an hour's sleep.
    let kumo = examples::kumo::start(local(), vec![], Duration::from_secs(3600)).unwrap_or_else(|e| panic!("{e}"));
    let cfg = metrics_http::ExporterConfig {
        enable: true,
        auth: Some(metrics_http::AuthConfig { username: "prometheus".into(), secret: "password123".into() }),
        ..Default::default()
    };
    let stalwart = examples::stalwart::start(&cfg, Some(local()))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("enabled"));
    let config = format!(
        r#"global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: kumo
    static_configs: [{{targets: ["{kumo}"]}}]
  - job_name: kumo_prefixed
    params: {{prefix: ["kumomta_"]}}
    static_configs: [{{targets: ["{kumo}"]}}]
  - job_name: stalwart
    metrics_path: /metrics/prometheus
    basic_auth: {{username: prometheus, password: password123}}
    static_configs: [{{targets: ["{stalwart}"]}}]
  - job_name: stalwart_wrong_password
    metrics_path: /metrics/prometheus
    basic_auth: {{username: prometheus, password: wrong}}
    static_configs: [{{targets: ["{stalwart}"]}}]
"#,
        kumo = kumo.local_addr(),
        stalwart = stalwart.local_addr()
    );
    let (_server, web, tmp) = start_prometheus("e2e", &config, &[]);
    let start = Instant::now();
    let mut ups = Vec::new();
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
        ups = query(&web, "up");
        let up = |job: &str| {
            ups.iter().find(|r| r["metric"]["job"] == job).and_then(|r| r["value"][1].as_str()).map(str::to_owned)
        };
        if ["kumo", "kumo_prefixed", "stalwart"].iter().all(|j| up(j).as_deref() == Some("1"))
            && up("stalwart_wrong_password").is_some()
        {
            break;
        }
    }
    let log = std::fs::read_to_string(tmp.join("prometheus.log")).unwrap_or_default();
    let up = |job: &str| {
        ups.iter().find(|r| r["metric"]["job"] == job).and_then(|r| r["value"][1].as_str()).map(str::to_owned)
    };
    for job in ["kumo", "kumo_prefixed", "stalwart"] {
        assert_eq!(up(job).as_deref(), Some("1"), "up{{job={job}}}: {ups:?}\n{log}");
    }
    assert_eq!(up("stalwart_wrong_password").as_deref(), Some("0"), "a wrong password must fail the scrape: {ups:?}");

    let m = &*examples::kumo::METRICS;
    let svc = |s: &str| examples::kumo::ServiceLabels { service: s.into() };
    let cases = [
        (
            "connection_count{job=\"kumo\",service=\"smtp_client\"}",
            m.connection_count.get_or_create(&svc("smtp_client")).get() as f64,
        ),
        (
            "total_messages_delivered{job=\"kumo\",service=\"smtp_client\"}",
            m.total_messages_delivered.get_or_create(&svc("smtp_client")).get() as f64,
        ),
        ("memory_limit{job=\"kumo\"}", 101_234_377_728.0),
        ("kumomta_lua_count{job=\"kumo_prefixed\"}", 1.0),
        (
            "kumomta_total_messages_delivered{job=\"kumo_prefixed\",service=\"smtp_client\"}",
            m.total_messages_delivered.get_or_create(&svc("smtp_client")).get() as f64,
        ),
        ("smtp_session_duration_seconds_bucket{job=\"stalwart\",le=\"0.5\"}", 1.0),
        ("smtp_session_duration_seconds_count{job=\"stalwart\"}", 1.0),
        ("delivery_attempts_total{job=\"stalwart\",protocol=\"smtp\",outcome=\"delivered\"}", 3.0),
    ];
    for (q, want) in cases {
        assert_eq!(value_of(&query(&web, q)), Some(want), "{q}");
    }
    drop(_server);
    let _ = std::fs::remove_dir_all(&tmp);
}
