//! The protobuf exposition format, decoded by an independent decoder (prost, with the message
//! types of client_model's `metrics.proto` written out below) and compared series by series
//! with the 0.0.4 text of the same registry; native bucket indexes checked against exact
//! arithmetic; negotiation of protobuf over HTTP.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use metrics_core::{
    Counter, CounterFn, Family, FloatCounter, FloatGauge, Format, Gauge, GaugeFn, Histogram, Info, LabelSet,
    LabelValue, Metrics, NativeBuckets, Registry, RenderOptions, Summary,
};
use metrics_http::{Exporter, Server};
use metrics_tests::pb::{self, decode};
use metrics_tests::{parse_sample, request};

#[derive(LabelValue, Clone, Copy)]
enum Method {
    Get,
    Post,
}

#[derive(LabelSet)]
struct Route {
    method: Method,
    path: String,
}

#[derive(LabelSet)]
struct Version {
    version: String,
}

#[derive(LabelSet)]
struct Code {
    code: u16,
    delta: i32,
}

#[derive(Metrics)]
#[metrics(prefix = "app")]
struct All {
    /// Requests "served",
    /// with a \ backslash.
    requests: Family<Route, Counter>,
    /// Queue length.
    queue: Gauge,
    /// Temperature.
    #[metric(unit = "celsius")]
    temperature: FloatGauge,
    /// Codes seen.
    codes: Family<Code, Gauge>,
    /// Classic latency.
    #[metric(unit = "seconds", buckets = [0.005, 0.5, 1.0, 1e6])]
    classic: Family<Route, Histogram>,
    /// Latency, classic and native.
    #[metric(unit = "seconds", buckets = [0.1, 1.0], native)]
    both: Histogram,
    /// Sizes, native only.
    #[metric(unit = "bytes", native(schema = 0, max_buckets = 40, zero_threshold = 0.5))]
    native_only: Family<Route, Histogram>,
    /// A native histogram nobody observed.
    #[metric(native(schema = -4))]
    empty_native: Histogram,
    /// Pauses.
    #[metric(unit = "seconds", quantiles = [0.5, 0.99])]
    pauses: Summary,
    /// Build.
    build: Info<Version>,
    /// Ticks read at scrape time.
    ticks: CounterFn,
    /// Memory read at scrape time.
    #[metric(unit = "bytes")]
    memory: GaugeFn,
    /// A family with no series.
    unused: Family<Route, Counter>,
}

fn registry() -> (Registry, Arc<All>) {
    let m = Arc::new(All::default());
    for (i, (method, path)) in
        [(Method::Get, "/"), (Method::Post, "/a\"b\\c\nd"), (Method::Get, "/ünïcödé")].into_iter().enumerate()
    {
        let route = Route { method, path: path.into() };
        m.requests.get_or_create(&route).inc_by(i as u64 * 1000 + 3);
        m.classic.get_or_create(&route).observe(0.3 * i as f64);
        m.classic.get_or_create(&route).observe(2e6);
        for v in [0.0, 0.25, 0.75, 1.0, 3.0, -7.5, 1e300, f64::INFINITY, f64::NAN] {
            m.native_only.get_or_create(&route).observe(v * (i + 1) as f64);
        }
    }
    m.queue.set(-12);
    m.temperature.set(21.5);
    m.codes.get_or_create(&Code { code: 503, delta: -4 }).set(7);
    for v in [0.05, 0.5, 5.0, -1.0, 0.0, 1e-40, 2.0] {
        m.both.observe(v);
    }
    for v in [1.0, 2.0, 3.0] {
        m.pauses.observe(v);
    }
    let _ = m.build.set(Version { version: "1.2.3".into() });
    m.ticks.set(|| 99u64);
    m.memory.set(|| 1.5e9);
    let r = Registry::new();
    r.register_arc(m.clone()).unwrap_or_else(|e| panic!("{e}"));
    (r, m)
}

/// A number as the 0.0.4 text writes it, parsed back.
fn num(s: &str) -> f64 {
    match s {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        s => s.parse().unwrap_or_else(|e| panic!("{s}: {e}")),
    }
}

/// `(family, sample name, sorted labels)` -> value, from the 0.0.4 text.
type Series = BTreeMap<(String, String, Vec<(String, String)>), u64>;

fn text_series(text: &str) -> (Series, BTreeMap<String, (String, String)>) {
    let mut series = Series::new();
    let mut meta = BTreeMap::new();
    let mut family = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            family = name.to_owned();
            meta.entry(family.clone()).or_insert((String::new(), String::new())).0 =
                help.replace("\\n", "\n").replace("\\\\", "\\");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            family = name.to_owned();
            meta.entry(family.clone()).or_insert((String::new(), String::new())).1 = kind.to_owned();
        } else {
            let (name, mut labels) = parse_sample(line);
            labels.sort();
            let value = line.rsplit(' ').next().unwrap_or_default();
            series.insert((family.clone(), name, labels), num(value).to_bits());
        }
    }
    (series, meta)
}

/// The same series from the decoded protobuf, spelled as the text spells them (`_bucket` with
/// `le`, `_sum`, `_count`, quantiles), with the `+Inf` bucket from the count.
fn proto_series(families: &[pb::MetricFamily]) -> (Series, BTreeMap<String, (String, String)>) {
    let mut series = Series::new();
    let mut meta = BTreeMap::new();
    for f in families {
        let kind = match f.r#type {
            0 => "counter",
            1 => "gauge",
            2 => "summary",
            4 => "histogram",
            t => panic!("type {t}"),
        };
        meta.insert(f.name.clone(), (f.help.clone(), kind.to_owned()));
        for m in &f.metric {
            let labels: Vec<(String, String)> = m.label.iter().map(|l| (l.name.clone(), l.value.clone())).collect();
            let mut put = |suffix: &str, extra: Option<(&str, String)>, v: f64| {
                let mut l = labels.clone();
                l.extend(extra.map(|(k, v)| (k.to_owned(), v)));
                l.sort();
                series.insert((f.name.clone(), format!("{}{suffix}", f.name), l), v.to_bits());
            };
            match kind {
                "counter" => put("", None, m.counter.as_ref().map_or(f64::NAN, |c| c.value)),
                "gauge" => put("", None, m.gauge.as_ref().map_or(f64::NAN, |g| g.value)),
                "summary" => {
                    let s = m.summary.clone().unwrap_or_default();
                    for q in &s.quantile {
                        put("", Some(("quantile", go_float(q.quantile))), q.value);
                    }
                    put("_sum", None, s.sample_sum);
                    put("_count", None, s.sample_count as f64);
                }
                _ => {
                    let h = m.histogram.clone().unwrap_or_default();
                    for b in &h.bucket {
                        put("_bucket", Some(("le", go_float(b.upper_bound))), b.cumulative_count as f64);
                    }
                    put("_bucket", Some(("le", "+Inf".into())), h.sample_count as f64);
                    put("_sum", None, h.sample_sum);
                    put("_count", None, h.sample_count as f64);
                }
            }
        }
    }
    (series, meta)
}

/// A bound as the 0.0.4 text labels it: Go's `%g`-like shortest form (what the text encoder
/// writes), read from the text encoder of a one-bucket histogram so as not to re-implement it.
fn go_float(v: f64) -> String {
    if v == f64::INFINITY {
        return "+Inf".into();
    }
    let r = Registry::new();
    #[derive(Metrics)]
    struct One {
        /// H.
        h: Histogram,
    }
    let bounds = metrics_core::Buckets::new(vec![v]).unwrap_or_else(|e| panic!("{e}"));
    let one = One { h: Histogram::new(bounds) };
    r.register_arc(Arc::new(one)).unwrap_or_else(|e| panic!("{e}"));
    let text = r.render(Format::Prometheus);
    let line = text.lines().find(|l| l.starts_with("h_bucket")).unwrap_or_default();
    let (_, labels) = parse_sample(line);
    labels[0].1.clone()
}

#[test]
fn protobuf_decodes_to_the_text_series_by_series() {
    let (r, _m) = registry();
    for prefix in ["", "kumo_"] {
        let mut bytes = Vec::new();
        r.render_into(
            &RenderOptions::new(Format::Protobuf).with_prefix(prefix).unwrap_or_else(|e| panic!("{e}")),
            &mut bytes,
        );
        let mut text = Vec::new();
        r.render_into(
            &RenderOptions::new(Format::Prometheus).with_prefix(prefix).unwrap_or_else(|e| panic!("{e}")),
            &mut text,
        );
        let text = String::from_utf8(text).unwrap_or_default();
        let families = decode(&bytes);
        let (want, mut want_meta) = text_series(&text);
        let (got, got_meta) = proto_series(&families);
        assert_eq!(got, want, "{text}");
        // A family without series is in the text (HELP, TYPE) but not in protobuf.
        let unused = format!("{prefix}app_unused_total");
        assert!(want_meta.remove(&unused).is_some());
        assert_eq!(got_meta, want_meta);
        assert!(families.iter().all(|f| f.name.starts_with(&format!("{prefix}app_"))));
    }
}

#[test]
fn protobuf_carries_native_buckets_and_created_timestamps() {
    let (r, m) = registry();
    let mut bytes = Vec::new();
    r.render_into(&RenderOptions::new(Format::Protobuf), &mut bytes);
    let families = decode(&bytes);
    let find = |name: &str| families.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name}"));
    // Counters carry their creation time.
    let req = find("app_requests_total");
    assert!(req.metric.iter().all(|m| {
        m.counter.as_ref().and_then(|c| c.created_timestamp.as_ref()).is_some_and(|t| t.seconds > 1_600_000_000)
    }));
    assert_eq!(find("app_temperature_celsius").unit, "celsius");
    // Classic and native together.
    let both = find("app_both_seconds").metric[0].histogram.clone().unwrap_or_default();
    assert_eq!(both.sample_count, 7);
    assert_eq!(both.schema, 3);
    assert_eq!(both.zero_threshold, 2f64.powi(-128));
    // 0.0 and 1e-40 are within the threshold.
    assert_eq!(both.zero_count, 2);
    assert_eq!(
        both.bucket.iter().map(|b| (b.upper_bound, b.cumulative_count)).collect::<Vec<_>>(),
        [(0.1, 4), (1.0, 5)]
    );
    let expand = |spans: &[pb::BucketSpan], deltas: &[i64]| {
        let mut out = Vec::new();
        let (mut index, mut count, mut d) = (0i32, 0i64, deltas.iter());
        for s in spans {
            // The first offset is an index, later ones count the empty buckets between spans.
            index += s.offset;
            for k in 0..s.length {
                count += d.next().copied().unwrap_or_default();
                out.push((index + k as i32, count as u64));
            }
            index += s.length as i32;
        }
        assert!(d.next().is_none(), "as many deltas as buckets");
        out
    };
    let positive = expand(&both.positive_span, &both.positive_delta);
    let negative = expand(&both.negative_span, &both.negative_delta);
    let idx = |v: f64| NativeBuckets::bucket_index(v, 3);
    let mut want: Vec<(i32, u64)> = [0.05, 0.5, 5.0, 2.0].iter().map(|&v| (idx(v), 1)).collect();
    want.sort();
    assert_eq!(positive, want);
    assert_eq!(negative, [(idx(1.0), 1)]);
    // Native only: the text has a single `+Inf` bucket, protobuf no classic bucket.
    let native = find("app_native_only_bytes");
    for (metric, factor) in native.metric.iter().zip([1.0, 2.0, 3.0]) {
        let h = metric.histogram.clone().unwrap_or_default();
        assert!(h.bucket.is_empty());
        assert_eq!(h.schema, 0);
        assert_eq!(h.zero_threshold, 0.5);
        assert_eq!(h.sample_count, 9);
        assert!(h.sample_sum.is_nan());
        // 0 and 0.25 (times the factor, while at most 0.5) are in the zero bucket; NaN in none.
        let zero = [0.0, 0.25].iter().filter(|&&v| v * factor <= 0.5).count() as u64;
        assert_eq!(h.zero_count, zero);
        let pos = expand(&h.positive_span, &h.positive_delta);
        let neg = expand(&h.negative_span, &h.negative_delta);
        let total: u64 = pos.iter().chain(&neg).map(|b| b.1).sum();
        assert_eq!(total + h.zero_count + 1, h.sample_count, "NaN is counted, in no bucket");
        assert_eq!(neg, [(NativeBuckets::bucket_index(7.5 * factor, 0), 1)]);
        // +Inf lands one past the bucket of f64::MAX.
        assert_eq!(pos.last().map(|b| b.0), Some(NativeBuckets::bucket_index(f64::MAX, 0) + 1));
    }
    // Never observed: still native, with one empty span.
    let empty = find("app_empty_native").metric[0].histogram.clone().unwrap_or_default();
    assert_eq!(empty.schema, -4);
    assert_eq!(empty.positive_span, [pb::BucketSpan { offset: 0, length: 0 }]);
    assert_eq!(m.both.count(), 7);
}

#[test]
fn protobuf_carries_counter_and_float_counter_exemplars() {
    #[derive(LabelSet)]
    struct Trace {
        trace_id: String,
    }
    #[derive(Metrics)]
    struct E {
        /// Jobs.
        jobs: Counter,
        /// CPU time.
        #[metric(unit = "seconds")]
        cpu: FloatCounter,
        /// Never given an exemplar.
        plain: FloatCounter,
    }
    let e = Arc::new(E { jobs: Counter::new(), cpu: FloatCounter::new(), plain: FloatCounter::new() });
    e.jobs.inc_by_with_exemplar(3, &Trace { trace_id: "j".into() });
    assert!(e.cpu.inc_by_with_exemplar(0.75, &Trace { trace_id: "c".into() }));
    e.plain.inc();
    let r = Registry::new();
    r.register_arc(e).unwrap_or_else(|err| panic!("{err}"));
    let mut bytes = Vec::new();
    r.render_into(&RenderOptions::new(Format::Protobuf), &mut bytes);
    let families = decode(&bytes);
    let counter = |name: &str| {
        let f = families.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name}"));
        f.metric[0].counter.clone().unwrap_or_default()
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    for (name, value, id) in [("jobs_total", 3.0, "j"), ("cpu_seconds_total", 0.75, "c")] {
        let c = counter(name);
        assert_eq!(c.value, value);
        let x = c.exemplar.unwrap_or_else(|| panic!("{name} has no exemplar"));
        assert_eq!(
            (x.value, &x.label[..]),
            (value, &[pb::LabelPair { name: "trace_id".into(), value: id.into() }][..])
        );
        // A real Unix time (the coarse clock is a few milliseconds behind at most).
        let t = x.timestamp.unwrap_or_default();
        assert!((now - t.seconds).abs() <= 2 && (0..1_000_000_000).contains(&t.nanos), "{t:?}");
    }
    assert_eq!(counter("plain_total").exemplar, None);
}

/// Exactly which bucket `v` (finite, > 0) belongs in at `schema`: the least `k` with
/// `v <= 2^(k / 2^schema)`, i.e. `v^(2^schema) <= 2^k` for schema >= 0, or for negative
/// schemas the least `k` with `v <= 2^(k * 2^-schema)`, computed with big integers from the
/// float's exact mantissa and exponent.
fn exact_index(v: f64, schema: i8) -> i32 {
    let bits = v.to_bits();
    let (mant, exp) = if (bits >> 52) & 0x7ff == 0 {
        (bits & ((1 << 52) - 1), -1074i64)
    } else {
        ((bits & ((1 << 52) - 1)) | (1 << 52), ((bits >> 52) & 0x7ff) as i64 - 1075)
    };
    // v = mant * 2^exp; log2 ceiling of mant^(2^s) * 2^(exp * 2^s) for s >= 0.
    let s = schema.max(0) as u32;
    let power = 1u64 << s;
    let mut big = vec![mant];
    for _ in 0..s {
        big = square(&big);
    }
    let bit_len = big_bits(&big) as i64;
    let is_pow2 = big.iter().map(|w| w.count_ones()).sum::<u32>() == 1;
    let log2_ceil = if is_pow2 { bit_len - 1 } else { bit_len } + exp * power as i64;
    if schema >= 0 {
        log2_ceil as i32
    } else {
        // Least k with log2(v) <= k * 2^-schema: ceil(ceil(log2 v) / 2^-schema).
        let width = 1i64 << (-schema);
        log2_ceil.div_euclid(width) as i32 + i32::from(log2_ceil.rem_euclid(width) != 0)
    }
}

fn square(a: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; a.len() * 2];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &y) in a.iter().enumerate() {
            let t = out[i + j] as u128 + x as u128 * y as u128 + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        out[i + a.len()] = carry as u64;
    }
    while out.len() > 1 && out.last() == Some(&0) {
        out.pop();
    }
    out
}

fn big_bits(a: &[u64]) -> u32 {
    let top = a.last().copied().unwrap_or(0);
    (a.len() as u32 - 1) * 64 + (64 - top.leading_zeros())
}

#[test]
fn native_bucket_indexes_match_exact_arithmetic() {
    let mut values =
        vec![f64::MIN_POSITIVE, 5e-324, 1e-310, 2.5e-300, 1e-12, 0.1, 0.3, 1.0, 1.1, 1.5, 3.0, 1e12, 1e300, f64::MAX];
    // Powers of two (exact bucket edges at every schema) and their neighbours.
    for e in [-1074, -1022, -100, -3, -1, 0, 1, 2, 7, 100, 1023] {
        let p = 2f64.powi(e.max(-1022)) * if e < -1022 { 2f64.powi(e + 1022) } else { 1.0 };
        values.push(p);
        values.push(f64::from_bits(p.to_bits() + 1));
        if p.to_bits() > 1 {
            values.push(f64::from_bits(p.to_bits() - 1));
        }
    }
    // Near irrational edges: a relative step of 1e-9 either side of base^k.
    for schema in [3i8, 8] {
        for k in [-700, -9, -1, 1, 5, 77, 2000] {
            let edge = (f64::from(k) / f64::from(1 << schema)).exp2();
            values.extend([edge * (1.0 + 1e-9), edge * (1.0 - 1e-9)]);
        }
    }
    for schema in [-4i8, -1, 0, 3, 8] {
        for &v in &values {
            assert_eq!(NativeBuckets::bucket_index(v, schema), exact_index(v, schema), "v = {v:e} schema {schema}");
        }
    }
    // Negative values use the bucket of their magnitude (checked through a histogram).
    let h = Histogram::native(NativeBuckets::new(0, 100, 0.0).unwrap_or_default());
    h.observe(-3.0);
    h.observe(3.0);
    let r = Registry::new();
    #[derive(Metrics)]
    struct H {
        /// H.
        h: Histogram,
    }
    r.register_arc(Arc::new(H { h })).unwrap_or_else(|e| panic!("{e}"));
    let mut bytes = Vec::new();
    r.render_into(&RenderOptions::new(Format::Protobuf), &mut bytes);
    let hist = decode(&bytes)[0].metric[0].histogram.clone().unwrap_or_default();
    assert_eq!(hist.negative_span, [pb::BucketSpan { offset: 2, length: 1 }]);
    assert_eq!(hist.positive_span, [pb::BucketSpan { offset: 2, length: 1 }]);
}

#[test]
fn http_negotiates_protobuf() {
    let serve = |b: fn(metrics_http::ExporterBuilder) -> metrics_http::ExporterBuilder| {
        let (registry, _) = registry();
        let exporter = b(Exporter::builder(Arc::new(registry))).build().unwrap_or_else(|e| panic!("{e}"));
        Server::spawn_thread(Server::builder(exporter).listen(SocketAddr::from(([127, 0, 0, 1], 0))))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    const PROM_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const PROTO: &str = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores";
    let s = serve(|b| b);
    let url = format!("http://{}/metrics", s.local_addr());
    let p = request("GET", &url, &[("accept", PROM_NATIVE)]);
    assert_eq!(p.status, 200);
    assert_eq!(p.header("content-type"), Some(PROTO));
    assert!(decode(&p.raw).iter().any(|f| f.name == "app_native_only_bytes"));
    // gzip applies to protobuf too (a raw client: the shared one reads gzip bodies as text).
    let agent = ureq::Agent::config_builder().build().new_agent();
    let req = http::Request::get(&url)
        .header("accept", PROM_NATIVE)
        .header("accept-encoding", "gzip")
        .body(())
        .unwrap_or_else(|e| panic!("{e}"));
    let z = agent.run(req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(z.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    assert_eq!(z.headers().get("content-type").and_then(|v| v.to_str().ok()), Some(PROTO));
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut z.into_body().into_reader(), &mut raw).unwrap_or_else(|e| panic!("{e}"));
    let mut plain = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut plain)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(decode(&plain).iter().any(|f| f.name == "app_native_only_bytes"));
    // Scrapers that do not ask for protobuf get text.
    assert_eq!(
        request("GET", &url, &[("accept", "text/plain;version=0.0.4")]).header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
    );
    // Switched off, text only (as the kumo example serves).
    let off = serve(|b| b.protobuf(false).openmetrics(false));
    let url = format!("http://{}/metrics", off.local_addr());
    assert_eq!(
        request("GET", &url, &[("accept", PROM_NATIVE)]).header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8; escaping=underscores")
    );
}

#[test]
fn json_shows_native_buckets() {
    let (r, _m) = registry();
    let v: serde_json::Value = serde_json::from_str(&r.render(Format::Json)).unwrap_or_else(|e| panic!("{e}"));
    let both = &v["app_both_seconds"]["value"];
    assert_eq!(both["count"], 7.0);
    let native = &both["native"];
    assert_eq!(native["schema"], 3.0);
    assert_eq!(native["zero_count"], 2.0);
    // Positive buckets by increasing upper bound, each value within its bucket.
    let positive: Vec<(f64, f64)> = native["positive"]
        .as_array()
        .map(|a| a.iter().map(|b| (b[0].as_f64().unwrap_or(f64::NAN), b[1].as_f64().unwrap_or(f64::NAN))).collect())
        .unwrap_or_default();
    let base = 2f64.powf(1.0 / 8.0);
    for (v, (bound, count)) in [0.05, 0.5, 2.0, 5.0].iter().zip(&positive) {
        assert!(*v <= bound * (1.0 + 1e-12) && *v > bound / base * (1.0 + 1e-12), "{v} in ({}, {bound}]", bound / base);
        assert_eq!(*count, 1.0);
    }
    assert_eq!(positive.len(), 4);
    let negative = &native["negative"][0];
    assert!(negative[0].as_f64().is_some_and(|b| b <= -1.0 && b > -base), "{negative}");
    // Classic-only histograms have no `native` key.
    assert!(v["app_classic_seconds"]["value"].as_array().is_some_and(|a| a.iter().all(|s| s.get("native").is_none())));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Whatever the settings and values, the decoded native buckets are exactly those the
    /// values fall in at the schema the histogram ended at (resolution halving moves every
    /// count to the bucket that holds its value), they add up to the count with the zero
    /// bucket and the NaNs, and the limit holds above schema -4.
    #[test]
    fn native_buckets_hold_exactly_their_values(
        schema in -4i8..=8,
        max_buckets in 1u32..40,
        zero in proptest::sample::select(vec![0.0, 1e-3, 1.0]),
        values in proptest::collection::vec(proptest::num::f64::ANY, 0..150),
        scrape_every in 1usize..50,
    ) {
        let settings = NativeBuckets::new(i32::from(schema), max_buckets, zero).unwrap_or_default();
        #[derive(Metrics)]
        struct H {
            /// H.
            h: Histogram,
        }
        let m = Arc::new(H { h: Histogram::native(settings) });
        let r = Registry::new();
        r.register_arc(m.clone()).unwrap_or_else(|e| panic!("{e}"));
        let mut bytes = Vec::new();
        for (i, &v) in values.iter().enumerate() {
            m.h.observe(v);
            if i % scrape_every == 0 {
                bytes.clear();
                r.render_into(&RenderOptions::new(Format::Protobuf), &mut bytes);
            }
        }
        bytes.clear();
        r.render_into(&RenderOptions::new(Format::Protobuf), &mut bytes);
        let h = decode(&bytes)[0].metric[0].histogram.clone().unwrap_or_default();
        let s = h.schema as i8;
        proptest::prop_assert!((-4..=schema).contains(&s));
        let expand = |spans: &[pb::BucketSpan], deltas: &[i64]| {
            let mut out = BTreeMap::new();
            let (mut index, mut count, mut d) = (0i32, 0i64, deltas.iter());
            for sp in spans {
                index += sp.offset;
                for k in 0..sp.length {
                    count += d.next().copied().unwrap_or_default();
                    out.insert(index + k as i32, count as u64);
                }
                index += sp.length as i32;
            }
            out
        };
        let pos = expand(&h.positive_span, &h.positive_delta);
        let neg = expand(&h.negative_span, &h.negative_delta);
        let (mut want_pos, mut want_neg, mut want_zero) = (BTreeMap::new(), BTreeMap::new(), 0u64);
        for &v in values.iter().filter(|v| !v.is_nan()) {
            if v.abs() <= zero {
                want_zero += 1;
            } else {
                let side = if v < 0.0 { &mut want_neg } else { &mut want_pos };
                *side.entry(NativeBuckets::bucket_index(v.abs(), s)).or_insert(0u64) += 1;
            }
        }
        proptest::prop_assert_eq!(&pos, &want_pos);
        proptest::prop_assert_eq!(&neg, &want_neg);
        proptest::prop_assert_eq!(h.zero_count, want_zero);
        proptest::prop_assert_eq!(h.sample_count, values.len() as u64);
        if s > -4 {
            proptest::prop_assert!(pos.len() + neg.len() <= max_buckets as usize);
        }
    }
}

#[test]
fn scrapes_during_concurrent_observes_are_never_torn() {
    #[derive(Metrics)]
    struct H {
        /// H.
        #[metric(buckets = [0.5, 2.0], native(schema = 2, max_buckets = 12))]
        h: Histogram,
    }
    let m = Arc::new(H::default());
    let r = Registry::new();
    r.register_arc(m.clone()).unwrap_or_else(|e| panic!("{e}"));
    const PER_THREAD: u64 = 100_000;
    let writers: Vec<_> = (0..3u64)
        .map(|t| {
            let m = m.clone();
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    // Spread over many buckets so that the resolution halves while scraped.
                    let v = ((i * 7 + t) % 1000) as f64 * 0.01 - 3.0;
                    m.h.observe(v * 10f64.powi((i % 5) as i32));
                }
            })
        })
        .collect();
    let mut bytes = Vec::new();
    loop {
        let done = writers.iter().all(|w| w.is_finished());
        bytes.clear();
        r.render_into(&RenderOptions::new(Format::Protobuf), &mut bytes);
        let h = decode(&bytes)[0].metric[0].histogram.clone().unwrap_or_default();
        let native: i64 = [&h.positive_delta, &h.negative_delta]
            .iter()
            .map(|d| {
                d.iter()
                    .scan(0i64, |c, x| {
                        *c += x;
                        Some(*c)
                    })
                    .sum::<i64>()
            })
            .sum();
        assert_eq!(native as u64 + h.zero_count, h.sample_count, "native buckets vs count");
        let classic: Vec<u64> = h.bucket.iter().map(|b| b.cumulative_count).collect();
        assert!(
            classic.windows(2).all(|w| w[0] <= w[1]) && classic.last().is_some_and(|&c| c <= h.sample_count),
            "{classic:?} {}",
            h.sample_count
        );
        if done {
            assert_eq!(h.sample_count, 3 * PER_THREAD);
            break;
        }
    }
    for w in writers {
        w.join().unwrap_or_else(|_| panic!("writer panicked"));
    }
}
