use std::sync::LazyLock;

use metrics_core::{Counter, Family, Format, Gauge, Histogram, LabelSet, LabelValue, Metrics, Registry};

#[derive(LabelSet)]
pub struct ServiceLabels {
    service: String,
}

#[derive(LabelSet)]
pub struct RouteLabels {
    route: String,
    method: Method,
    #[label(rename = "status")]
    code: u16,
}

#[derive(LabelValue)]
#[label(rename_all = "snake_case")]
pub enum Method {
    Get,
    Post,
}

#[derive(Metrics)]
pub struct LuaMetrics {
    /// Lua contexts alive.
    lua_count: Gauge,
}

#[derive(Metrics)]
#[metrics(prefix = "app")]
pub struct AppMetrics {
    /// Number of active connections.
    connection_count: Family<ServiceLabels, Gauge>,
    /// Time spent handling a request.
    #[metric(unit = "seconds", buckets = [0.005, 0.01, 0.1, 1.0])]
    request_duration: Family<RouteLabels, Histogram>,
    /// Messages delivered.
    #[metric(name = "messages_delivered")]
    delivered: Counter,
    #[metric(flatten)]
    lua: LuaMetrics,
    #[metric(skip)]
    _note: String,
}

static M: LazyLock<AppMetrics> = LazyLock::new(AppMetrics::default);

fn main() {
    let r = Registry::new();
    r.register(&M).unwrap();
    M.delivered.inc();
    M.request_duration.get_or_create(&RouteLabels { route: "/".into(), method: Method::Post, code: 200 }).observe(0.2);
    let text = r.render(Format::Prometheus);
    assert!(text.contains("app_messages_delivered_total 1\n"));
    assert!(text.contains("app_request_duration_seconds_bucket{route=\"/\",method=\"post\",status=\"200\",le=\"1\"} 1\n"));
    assert!(text.contains("\nlua_count 0\n"));
}
