//! The text formats under each escaping scheme: quoted names in text 1.0.0 and OpenMetrics,
//! escaped names otherwise, the prefix escaped with the name.

use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind};
use crate::encoding::{Encoder, Escaping, Format, RenderOptions};
use crate::labels::{EncodeLabels, LabelWriter};
use crate::{Buckets, Counter, Gauge, Histogram, Metric, Registry};

struct Pairs(&'static [(&'static str, &'static str)]);

impl EncodeLabels for Pairs {
    fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
        for (name, value) in self.0 {
            w.label(name, value);
        }
    }
}

const REQ_LABELS: &[LabelDescriptor] = &[LabelDescriptor::new("http.request.method"), LabelDescriptor::new("code")];
const RPC_LABELS: &[LabelDescriptor] = &[LabelDescriptor::new("rpc.method")];
const UP_LABELS: &[LabelDescriptor] = &[LabelDescriptor::new("job"), LabelDescriptor::new("zone.id")];
const JOB: &[LabelDescriptor] = &[LabelDescriptor::new("job")];
static REQ: Descriptor =
    Descriptor::new("http.server.requests", "Requests.", MetricKind::Counter).with_labels(REQ_LABELS);
static RPC: Descriptor = Descriptor::new("rpc.duration", "Durations.", MetricKind::Histogram).with_labels(RPC_LABELS);
static UP: Descriptor = Descriptor::new("up", "Up.", MetricKind::Gauge).with_labels(UP_LABELS);
static QUOTE: Descriptor = Descriptor::new("a\"b\\c\nd", "Odd.", MetricKind::Gauge);

struct Utf8 {
    req: Counter,
    rpc: Histogram,
    up: Gauge,
    quote: Gauge,
}

impl crate::encoding::Collector for Utf8 {
    fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
        [&REQ, &RPC, &UP, &QUOTE].into_iter().for_each(f);
    }

    fn collect<E: Encoder>(&self, e: &mut E) {
        e.begin_family(&REQ);
        self.req.encode(&REQ, &Pairs(&[("http.request.method", "get"), ("code", "200")]), e);
        e.end_family(&REQ);
        e.begin_family(&RPC);
        self.rpc.encode(&RPC, &Pairs(&[("rpc.method", "x")]), e);
        self.rpc.encode(&RPC, &(), e);
        e.end_family(&RPC);
        e.begin_family(&UP);
        self.up.encode(&UP, &Pairs(&[("job", "a"), ("zone.id", "z")]), e);
        e.end_family(&UP);
        e.begin_family(&QUOTE);
        self.quote.encode(&QUOTE, &(), e);
        e.end_family(&QUOTE);
    }
}

fn registry() -> Registry {
    let m = Utf8 {
        req: Counter::new(),
        rpc: Histogram::new(Buckets::new(vec![1.0]).unwrap_or_default()),
        up: Gauge::new(),
        quote: Gauge::new(),
    };
    m.req.inc();
    m.rpc.observe(2.0);
    m.up.set(1);
    let r = Registry::new();
    assert_eq!(r.register_arc(std::sync::Arc::new(m)), Ok(()));
    r
}

fn render(r: &Registry, opts: RenderOptions<'_>) -> String {
    let mut out = Vec::new();
    r.render_into(&opts, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[test]
fn text_1_0_0_quotes_names_outside_the_legacy_set() {
    let opts = RenderOptions::new(Format::Prometheus).with_escaping(Escaping::AllowUtf8);
    assert_eq!(
        render(&registry(), opts),
        r#"# HELP "http.server.requests_total" Requests.
# TYPE "http.server.requests_total" counter
{"http.server.requests_total","http.request.method"="get",code="200"} 1
# HELP "rpc.duration" Durations.
# TYPE "rpc.duration" histogram
{"rpc.duration_bucket","rpc.method"="x",le="1"} 0
{"rpc.duration_bucket","rpc.method"="x",le="+Inf"} 1
{"rpc.duration_sum","rpc.method"="x"} 2
{"rpc.duration_count","rpc.method"="x"} 1
{"rpc.duration_bucket",le="1"} 0
{"rpc.duration_bucket",le="+Inf"} 1
{"rpc.duration_sum"} 2
{"rpc.duration_count"} 1
# HELP up Up.
# TYPE up gauge
up{job="a","zone.id"="z"} 1
# HELP "a\"b\\c\nd" Odd.
# TYPE "a\"b\\c\nd" gauge
{"a\"b\\c\nd"} 0
"#
    );
}

#[test]
fn openmetrics_quotes_names_outside_the_legacy_set() {
    let opts = RenderOptions::new(Format::OpenMetrics).with_escaping(Escaping::AllowUtf8).with_created(false);
    let text = render(&registry(), opts);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..6],
        [
            r#"# TYPE "http.server.requests" counter"#,
            r#"# HELP "http.server.requests" Requests."#,
            r#"{"http.server.requests_total","http.request.method"="get",code="200"} 1"#,
            r#"# TYPE "rpc.duration" histogram"#,
            r#"# HELP "rpc.duration" Durations."#,
            r#"{"rpc.duration_bucket","rpc.method"="x",le="1.0"} 0"#,
        ]
    );
    assert_eq!(lines.last(), Some(&"# EOF"));
    // `_created` lines reuse the quoted block of the `_total` line.
    let created = render(&registry(), RenderOptions::new(Format::OpenMetrics).with_escaping(Escaping::AllowUtf8));
    assert!(
        created.contains("\n{\"http.server.requests_created\",\"http.request.method\"=\"get\",code=\"200\"} "),
        "{created}"
    );
}

#[test]
fn underscores_is_the_default_and_escapes_prefix_and_name_together() {
    let r = registry();
    let text = render(
        &r,
        RenderOptions::new(Format::Prometheus).with_prefix("app:").unwrap_or(RenderOptions::new(Format::Prometheus)),
    );
    assert!(text.contains("# TYPE app:http_server_requests_total counter\n"), "{text}");
    assert!(text.contains("\napp:http_server_requests_total{http_request_method=\"get\",code=\"200\"} 1\n"), "{text}");
    assert!(text.contains("\napp:rpc_duration_bucket{rpc_method=\"x\",le=\"+Inf\"} 1\n"), "{text}");
    assert!(text.contains("\napp:up{job=\"a\",zone_id=\"z\"} 1\n"), "{text}");
    assert!(text.contains("\napp:a_b_c_d 0\n"), "{text}");
    assert!(!text.contains('"') || !text.contains("{\""), "{text}");
    let om = render(&r, RenderOptions::new(Format::OpenMetrics).with_created(false));
    assert!(om.contains("# TYPE http_server_requests counter\n"), "{om}");
    assert!(om.contains("\nhttp_server_requests_total{http_request_method=\"get\",code=\"200\"} 1\n"), "{om}");
}

#[test]
fn dots_and_values_escape_the_full_exposed_name() {
    let r = registry();
    let dots = render(&r, RenderOptions::new(Format::Prometheus).with_escaping(Escaping::Dots));
    assert!(
        dots.contains("\nhttp_dot_server_dot_requests__total{http_dot_request_dot_method=\"get\",code=\"200\"} 1\n"),
        "{dots}"
    );
    assert!(dots.contains("\nrpc_dot_duration__bucket{rpc_dot_method=\"x\",le=\"1\"} 0\n"), "{dots}");
    assert!(dots.contains("\nup{job=\"a\",zone_dot_id=\"z\"} 1\n"), "{dots}");
    let values = render(&r, RenderOptions::new(Format::Prometheus).with_escaping(Escaping::Values));
    assert!(
        values
            .contains("\nU__http_2e_server_2e_requests__total{U__http_2e_request_2e_method=\"get\",code=\"200\"} 1\n"),
        "{values}"
    );
    assert!(values.contains("# TYPE U__rpc_2e_duration histogram\n"), "{values}");
    assert!(values.contains("\nU__rpc_2e_duration__sum{U__rpc_2e_method=\"x\"} 2\n"), "{values}");
    assert!(values.contains("\nup{job=\"a\",U__zone_2e_id=\"z\"} 1\n"), "{values}");
}

#[test]
fn json_keeps_names_as_declared() {
    let opts = RenderOptions::new(Format::Json).with_escaping(Escaping::Underscores);
    let text = render(&registry(), opts);
    assert!(text.starts_with("{\"http.server.requests_total\":"), "{text}");
    assert!(text.contains("\"http.request.method\""), "{text}");
}

#[test]
fn a_legacy_registry_is_unchanged_by_every_scheme_but_dots() {
    let r = Registry::new();
    let c = Counter::new();
    static D: Descriptor = Descriptor::new("jobs", "Jobs.", MetricKind::Counter).with_labels(JOB);
    struct One(Counter);
    impl crate::encoding::Collector for One {
        fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
            f(&D)
        }
        fn collect<E: Encoder>(&self, e: &mut E) {
            e.begin_family(&D);
            self.0.encode(&D, &Pairs(&[("job", "a")]), e);
            e.end_family(&D);
        }
    }
    assert_eq!(r.register_arc(std::sync::Arc::new(One(c))), Ok(()));
    let want = "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total{job=\"a\"} 0\n";
    for e in [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Values] {
        assert_eq!(render(&r, RenderOptions::new(Format::Prometheus).with_escaping(e)), want, "{e:?}");
    }
    assert_eq!(
        render(&r, RenderOptions::new(Format::Prometheus).with_escaping(Escaping::Dots)),
        "# HELP jobs__total Jobs.\n# TYPE jobs__total counter\njobs__total{job=\"a\"} 0\n"
    );
}

#[test]
fn label_names_are_spelled_once_per_family_and_unlisted_ones_when_written() {
    use crate::encoding::text::LabelNames;
    let mut names = LabelNames::default();
    names.set(REQ_LABELS, Escaping::AllowUtf8, true);
    let mut out = Vec::new();
    names.write(&mut out, "http.request.method");
    out.push(b' ');
    names.write(&mut out, "code");
    out.push(b' ');
    // Not listed, in a family whose listed names are not all legacy: spelled when written.
    names.write(&mut out, "net.peer");
    names.set(REQ_LABELS, Escaping::Values, false);
    out.push(b' ');
    names.write(&mut out, "http.request.method");
    assert_eq!(
        String::from_utf8(out).unwrap_or_default(),
        "\"http.request.method\" code \"net.peer\" U__http_2e_request_2e_method"
    );
}

#[test]
fn registration_compares_names_as_legacy_scrapers_spell_them() {
    static DOTTED: Descriptor = Descriptor::new("queue.depth", "Depth.", MetricKind::Gauge).with_location("dotted");
    static PLAIN: Descriptor = Descriptor::new("queue_depth", "Depth.", MetricKind::Gauge).with_location("plain");
    struct Only(&'static Descriptor);
    impl crate::encoding::Collector for Only {
        fn describe(&self, f: &mut dyn FnMut(&Descriptor)) {
            f(self.0)
        }
        fn collect<E: Encoder>(&self, _: &mut E) {}
    }
    let r = Registry::new();
    assert_eq!(r.register_arc(std::sync::Arc::new(Only(&DOTTED))), Ok(()));
    let err = r.register_arc(std::sync::Arc::new(Only(&PLAIN))).err();
    assert_eq!(err.map(|e| (e.name, e.first, e.second)), Some(("queue_depth".to_owned(), "dotted", "plain")));
}
