//! A real Prometheus (2.42, with `--enable-feature=native-histograms,exemplar-storage`)
//! scraping the `infra` example over protobuf: the native histogram answers `histogram_count`
//! and `histogram_quantile`, and the trace ids sent in `traceparent` headers come back from
//! `/api/v1/query_exemplars`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use metrics_tests::{get, query, request, start_prometheus, value_of};

fn trace(i: u32) -> String {
    format!("4bf92f3577b34da6a3ce929d0e0e{i:04x}")
}

#[test]
fn prometheus_reads_native_histograms_and_exemplars_from_infra() {
    let infra = examples::infra::start(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap_or_else(|e| panic!("{e}"));
    let api = format!("http://{}/v1/grants", infra.local_addr());
    const REQUESTS: u32 = 5;
    for i in 0..REQUESTS {
        let tp = format!("00-{}-00f067aa0ba902b7-01", trace(i));
        assert_eq!(request("GET", &api, &[("traceparent", &tp)]).status, 200);
    }
    // A malformed header records no exemplar (the request is still counted).
    assert_eq!(request("GET", &api, &[("traceparent", "00-xyz-00f067aa0ba902b7-01")]).status, 200);
    let config = format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: infra\n    static_configs: [{{targets: [\"{}\"]}}]\n",
        infra.local_addr()
    );
    let (server, web, tmp) =
        start_prometheus("native", &config, &["--enable-feature=native-histograms,exemplar-storage"]);
    let selector = "http_requests_duration_seconds{job=\"infra\",handler=\"/v1/grants\"}";
    let count_q = format!("histogram_count({selector})");
    let start = Instant::now();
    let mut count = None;
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(500));
        count = value_of(&query(&web, &count_q));
        if count.is_some() {
            break;
        }
    }
    let log = std::fs::read_to_string(tmp.join("prometheus.log")).unwrap_or_default();
    let up = query(&web, "up");
    assert_eq!(count, Some(f64::from(REQUESTS + 1)), "{count_q}: up {up:?}\n{log}");
    let sum = value_of(&query(&web, &format!("histogram_sum({selector})")));
    assert!(sum.is_some_and(|s| s > 0.0), "histogram_sum: {sum:?}");
    let median = value_of(&query(&web, &format!("histogram_quantile(0.5, {selector})")));
    assert!(median.is_some_and(|m| m > 0.0 && m < 60.0), "histogram_quantile: {median:?}");
    // The same series, classic, as the text formats show it, is not what Prometheus stored:
    // a native histogram has no `_bucket` series.
    assert!(query(&web, "http_requests_duration_seconds_bucket{job=\"infra\"}").is_empty());

    // Exemplars: the trace ids sent, on the counter and on the latency histogram.
    for metric in ["http_requests_total", "http_requests_duration_seconds"] {
        exemplars_are_the_trace_ids_sent(&web, metric, REQUESTS);
    }
    drop(server);
    drop(infra);
    let _ = std::fs::remove_dir_all(&tmp);
}

fn exemplars_are_the_trace_ids_sent(web: &str, metric: &str, requests: u32) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let url = format!(
        "http://{web}/api/v1/query_exemplars?query={metric}%7Bjob%3D%22infra%22%7D&start={}&end={}",
        now - 600,
        now + 600
    );
    let body = get(&url).body;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    let mut ids: Vec<String> = v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|series| series["exemplars"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| e["labels"]["trace_id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids.dedup();
    // The counter keeps the latest exemplar, and a scrape sees it: at least the last trace id
    // is stored, and every stored one is one we sent.
    assert!(ids.contains(&trace(requests - 1)), "{metric}: {body}");
    assert!(ids.iter().all(|id| (0..requests).any(|i| trace(i) == *id)), "{metric}: {body}");
}
