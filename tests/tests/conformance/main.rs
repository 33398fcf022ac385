//! Every output judged by independent, real clients: `promtool check metrics`, the Python
//! reference client's parsers (with a property test of hostile inputs), a strict JSON parser,
//! and a real Prometheus server scraping the examples. A missing tool fails the test with the
//! command that installs it (`.ci/run` installs them all).
//!
//! One test binary, a module per tool: `promtool`, `python` (the reference parsers and the
//! property test), `openmetrics` (the rules a strict parser enforces) and `prometheus` (a real
//! server scraping the examples).

mod openmetrics;
mod prometheus;
mod promtool;
mod python;

use std::net::SocketAddr;
use std::time::Duration;

use metrics_core::Format;
use metrics_tests::{get, request};

pub(crate) const OM_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

pub(crate) fn local() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Each example's outputs: (name, Prometheus text, OpenMetrics text, JSON).
pub(crate) fn example_outputs() -> Vec<(&'static str, String, String, Option<String>)> {
    let mut out = Vec::new();
    let k = examples::kumo::start(local(), vec![], Duration::from_millis(10)).unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(50));
    let ku = format!("http://{}", k.local_addr());
    // The kumo example serves Prometheus text only (as KumoMTA); its registry still renders
    // OpenMetrics, which is checked through the same registry.
    let om = metrics_core::Registry::new();
    om.register(&examples::kumo::METRICS).unwrap_or_else(|e| panic!("{e}"));
    out.push((
        "kumo",
        get(&format!("{ku}/metrics")).body,
        om.render(Format::OpenMetrics),
        Some(get(&format!("{ku}/metrics.json")).body),
    ));

    let i = examples::infra::start(local()).unwrap_or_else(|e| panic!("{e}"));
    let iu = format!("http://{}", i.local_addr());
    for p in ["/v1/grants", "/v1/destinations"] {
        get(&format!("{iu}{p}"));
    }
    request("PUT", &format!("{iu}/v1/destinations/4"), &[("content-type", "application/json")]);
    out.push((
        "infra",
        get(&format!("{iu}/metrics")).body,
        request("GET", &format!("{iu}/metrics"), &[("accept", OM_ACCEPT)]).body,
        None,
    ));

    let mut cfg = metrics_http::ExporterConfig { enable: true, ..Default::default() };
    cfg.auth = Some(metrics_http::AuthConfig { username: "u".into(), secret: "p".into() });
    let s = examples::stalwart::start(&cfg, Some(local()))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("enabled"));
    let su = format!("http://{}/metrics/prometheus", s.local_addr());
    let auth = "Basic dTpw";
    out.push((
        "stalwart",
        request("GET", &su, &[("authorization", auth)]).body,
        request("GET", &su, &[("authorization", auth), ("accept", OM_ACCEPT)]).body,
        None,
    ));
    out
}
