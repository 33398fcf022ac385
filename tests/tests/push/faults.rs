//! The engine against a receiver that fails: 5xx, 429 with `Retry-After`, 400, slow answers,
//! closed connections, a receiver down at start; the queue's bound; the shutdown's flush.

use std::net::TcpListener;
use std::time::Duration;

use metrics_push::Destination;

use crate::fake::{Answer, Fake};
use crate::{registry, sample, value_in};

fn dest(addr: std::net::SocketAddr, name: &str) -> Destination {
    Destination::remote_write(&format!("http://{addr}/api/v1/write"))
        .name(name)
        .interval(None)
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
        .timeout(Duration::from_secs(5))
}

fn status(code: u16, body: &str) -> Answer {
    Answer::Status(code, vec![], body.into())
}

#[test]
fn server_errors_are_retried_until_delivered() {
    let fake = Fake::start(vec![status(500, "boom"), status(503, "busy")]);
    let (r, jobs) = registry();
    jobs.jobs.inc_by(5);
    assert_eq!(dest(fake.addr, "t-5xx").push_once(r.clone()), Ok(()));
    let got = fake.received();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|g| value_in(&g.body, "jobs_total") == Some(5.0)));
    assert_eq!(sample(&r, "metrics_push_requests_total{destination=\"t-5xx\",code=\"500\"}"), Some(1.0));
    assert_eq!(sample(&r, "metrics_push_requests_total{destination=\"t-5xx\",code=\"503\"}"), Some(1.0));
    assert_eq!(sample(&r, "metrics_push_requests_total{destination=\"t-5xx\",code=\"204\"}"), Some(1.0));
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    // The backoff alone would wait a minute: only the receiver's `Retry-After: 1` brings the
    // retry within the shutdown's 10 s.
    let fake = Fake::start(vec![Answer::Status(429, vec![("retry-after", "1".into())], "slow down".into())]);
    let (r, _) = registry();
    let d = dest(fake.addr, "t-429").backoff(Duration::from_secs(60), Duration::from_secs(60));
    assert_eq!(d.push_once(r.clone()), Ok(()));
    assert_eq!(fake.received().len(), 2);
    assert_eq!(sample(&r, "metrics_push_requests_total{destination=\"t-429\",code=\"429\"}"), Some(1.0));
}

#[test]
fn other_client_errors_are_final_and_say_why() {
    let fake = Fake::start(vec![status(400, "out of order sample")]);
    let (r, _) = registry();
    let err = dest(fake.addr, "t-400").push_once(r.clone()).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(err, "push to t-400 failed: the receiver rejected the push with 400 Bad Request: out of order sample");
    assert_eq!(fake.received().len(), 1, "a 400 is not retried");
    assert_eq!(sample(&r, "metrics_push_failures_total{destination=\"t-400\",reason=\"rejected\"}"), Some(1.0));
}

#[test]
fn a_slow_receiver_times_out_and_is_retried() {
    let fake = Fake::start(vec![Answer::Slow(Duration::from_secs(3))]);
    let (r, jobs) = registry();
    jobs.jobs.inc();
    assert_eq!(dest(fake.addr, "t-slow").timeout(Duration::from_millis(300)).push_once(r.clone()), Ok(()));
    let got = fake.received();
    assert!(got.len() >= 2, "{}", got.len());
    assert_eq!(got.last().and_then(|g| value_in(&g.body, "jobs_total")), Some(1.0));
    assert!(sample(&r, "metrics_push_requests_total{destination=\"t-slow\",code=\"error\"}").unwrap_or(0.0) >= 1.0);
}

#[test]
fn a_connection_closed_mid_request_is_retried() {
    let fake = Fake::start(vec![Answer::Close]);
    let (r, _) = registry();
    assert_eq!(dest(fake.addr, "t-close").push_once(r.clone()), Ok(()));
    assert_eq!(fake.received().len(), 2);
    assert_eq!(sample(&r, "metrics_push_requests_total{destination=\"t-close\",code=\"error\"}"), Some(1.0));
}

#[test]
fn a_receiver_down_at_start_gets_the_data_once_it_is_up() {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap_or_else(|e| panic!("{e}"));
    let (r, jobs) = registry();
    let pusher = dest(port, "t-down")
        .interval(Some(Duration::from_millis(100)))
        .max_retries(10_000)
        .start(r.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    // The application goes on while nothing listens.
    jobs.jobs.inc_by(3);
    pusher.push_now();
    std::thread::sleep(Duration::from_millis(400));
    let fake = Fake::on(TcpListener::bind(port).unwrap_or_else(|e| panic!("{e}")), vec![]);
    let first = fake.wait_for(1);
    assert!(!first.is_empty(), "nothing arrived once the receiver was up");
    jobs.jobs.inc_by(4);
    assert_eq!(pusher.shutdown(), Ok(()));
    assert_eq!(fake.received().last().and_then(|g| value_in(&g.body, "jobs_total")), Some(7.0));
}

#[test]
fn shutdown_with_a_push_in_flight_delivers_the_last_state_once() {
    let fake = Fake::start(vec![Answer::Slow(Duration::from_millis(800))]);
    let (r, jobs) = registry();
    let pusher = dest(fake.addr, "t-inflight").start(r).unwrap_or_else(|e| panic!("{e}"));
    pusher.push_now();
    assert_eq!(fake.wait_for(1).len(), 1);
    jobs.jobs.inc_by(9);
    assert_eq!(pusher.shutdown(), Ok(()));
    let values: Vec<Option<f64>> = fake.received().iter().map(|g| value_in(&g.body, "jobs_total")).collect();
    assert_eq!(values, [Some(0.0), Some(9.0)]);
}

#[test]
fn shutdown_is_bounded_when_the_receiver_stays_down() {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap_or_else(|e| panic!("{e}"));
    let (r, _) = registry();
    let d = dest(port, "t-gone").max_retries(10_000).shutdown_timeout(Duration::from_millis(500));
    let err = d.push_once(r.clone()).err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(err, "push to t-gone failed: 1 payload(s) undelivered when the shutdown timeout ran out");
    assert_eq!(sample(&r, "metrics_push_failures_total{destination=\"t-gone\",reason=\"shutdown\"}"), Some(1.0));
}

#[test]
fn the_queue_is_bounded_and_drops_the_oldest() {
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap_or_else(|e| panic!("{e}"));
    let (r, _) = registry();
    let pusher = dest(port, "t-queue")
        .max_retries(10_000)
        .queue_capacity(2)
        .shutdown_timeout(Duration::from_millis(200))
        .start(r.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..5 {
        pusher.push_now();
    }
    assert!(pusher.shutdown().is_err());
    // Five collections and the shutdown's last one, two kept: four dropped.
    assert_eq!(sample(&r, "metrics_push_dropped_total{destination=\"t-queue\"}"), Some(4.0));
}

#[test]
fn requests_carry_the_protocol_and_authentication_headers() {
    let fake = Fake::start(vec![]);
    let (r, _) = registry();
    let d = dest(fake.addr, "t-headers").basic_auth("app", "s3cret").header("X-Scope-OrgID", "tenant-1");
    assert_eq!(d.push_once(r), Ok(()));
    let got = fake.received();
    let g = &got[0];
    assert_eq!((g.method.as_str(), g.path.as_str()), ("POST", "/api/v1/write"));
    assert_eq!(g.header("content-encoding"), Some("snappy"));
    assert_eq!(g.header("content-type"), Some("application/x-protobuf"));
    assert_eq!(g.header("x-prometheus-remote-write-version"), Some("0.1.0"));
    assert!(g.header("user-agent").is_some_and(|u| u.starts_with("metrics-push/")));
    assert_eq!(g.header("authorization"), Some("Basic YXBwOnMzY3JldA=="));
    assert_eq!(g.header("x-scope-orgid"), Some("tenant-1"));
    let bearer = Fake::start(vec![]);
    let (r, _) = registry();
    assert_eq!(dest(bearer.addr, "t-bearer").bearer_token("tok").push_once(r), Ok(()));
    assert_eq!(bearer.received()[0].header("authorization"), Some("Bearer tok"));
}

#[test]
fn pushgateway_labels_that_clash_with_the_group_are_refused_at_start() {
    #[derive(metrics_core::LabelSet)]
    struct JobLabel {
        job: String,
    }
    #[derive(metrics_core::Metrics)]
    struct M {
        /// Runs.
        runs: metrics_core::Family<JobLabel, metrics_core::Counter>,
    }
    let m = std::sync::Arc::new(M::default());
    m.runs.get_or_create(&JobLabel { job: "x".into() }).inc();
    let r = std::sync::Arc::new(metrics_core::Registry::new());
    assert_eq!(r.register_arc(m), Ok(()));
    let err = Destination::pushgateway("http://127.0.0.1:9", "nightly").start(r).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some(
            "the metric `runs` has a label `job` (value `x`), which the Pushgateway group already sets: rename the label or drop it from the grouping"
        )
    );
}

#[test]
fn push_config_starts_destinations_and_refuses_bad_ones() {
    #[derive(serde::Deserialize)]
    struct App {
        metrics: Metrics,
    }
    #[derive(serde::Deserialize)]
    struct Metrics {
        push: metrics_push::PushConfig,
    }
    let fake = Fake::start(vec![]);
    let app: App = toml::from_str(&format!(
        "[metrics.push.remote-write]\nurl = \"http://{}/api/v1/write\"\ninterval = 0\nusername = \"u\"\npassword = \"p\"\nexternal-labels = {{ job = \"app\" }}\n",
        fake.addr
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let (r, _) = registry();
    let pushers = app.metrics.push.start(&r).unwrap_or_else(|e| panic!("{e}"));
    for p in pushers {
        assert_eq!(p.shutdown(), Ok(()));
    }
    let got = fake.received();
    assert_eq!(got[0].header("authorization"), Some("Basic dTpw"));
    let req = crate::decode_remote_write(&got[0].body);
    assert!(req.timeseries.iter().all(|s| s.labels.iter().any(|l| l.name == "job" && l.value == "app")));

    let bad = |text: &str| match toml::from_str::<App>(text) {
        Err(e) => e.to_string(),
        Ok(app) => app.metrics.push.start(&r).err().map(|e| e.to_string()).unwrap_or_default(),
    };
    assert!(bad("[metrics.push.otlp]\nurl = \"http://c\"\ngzipp = true\n").contains("unknown field `gzipp`"));
    let e = bad("[metrics.push.pushgateway]\nurl = \"http://g\"\njob = \"j\"\nformat = \"json\"\n");
    assert!(e.contains("format") && e.contains("unknown variant `json`, expected `text` or `protobuf`"), "{e}");
    let e = bad("[metrics.push.remote-write]\nurl = \"http://c/w\"\ninterval = \"soon\"\n");
    assert!(e.contains("interval") && e.contains("soon"), "{e}");
    assert_eq!(
        bad("[metrics.push.remote-write]\nurl = \"htp://c/w\"\n"),
        "bad push URL `htp://c/w`: the scheme must be http or https"
    );
    assert_eq!(
        bad("[metrics.push.pushgateway]\nurl = \"http://g\"\njob = \"j\"\nusername = \"u\"\n"),
        "`http://g`: `username` and `password` go together"
    );
}

#[test]
fn a_tokio_application_shuts_down_without_blocking_its_runtime() {
    let fake = Fake::start(vec![]);
    let (r, jobs) = registry();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let result = rt.block_on(async {
        let pusher = dest(fake.addr, "t-tokio").start(r).unwrap_or_else(|e| panic!("{e}"));
        jobs.jobs.inc_by(2);
        pusher.push_now();
        // The runtime's only thread stays free while the push thread works.
        tokio::task::yield_now().await;
        jobs.jobs.inc();
        pusher.shutdown_async().await
    });
    assert_eq!(result, Ok(()));
    assert_eq!(fake.received().last().and_then(|g| value_in(&g.body, "jobs_total")), Some(3.0));
}
