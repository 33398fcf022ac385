#![allow(unreachable_pub, missing_docs)]
//! The encoding workload (10 counter, 10 gauge and 5 histogram families of 100 series): this
//! project in each of its formats, the peers in their text and protobuf formats, a hand-written ideal
//! encoder (the floor), and our scrape over HTTP on loopback. `benches/run.sh` turns the medians
//! into BENCHMARKS.md.

use std::time::Duration;

use benches::*;
use criterion::{Criterion, criterion_group, criterion_main};
use metrics_core::{Escaping, Format, RenderOptions};

fn encode(c: &mut Criterion) {
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let ideal = Ideal::new();
    c.bench_function("encode_text/ideal", |b| {
        b.iter(|| {
            buf.clear();
            ideal.encode(&mut buf);
            buf.len()
        })
    });
    let ours = ours_registry();
    for (name, format) in [
        ("encode_text/ours", Format::Prometheus),
        ("encode_openmetrics/ours", Format::OpenMetrics),
        ("encode_json/ours", Format::Json),
        ("encode_protobuf/ours", Format::Protobuf),
    ] {
        let opts = RenderOptions::new(format);
        c.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                ours.render_into(&opts, &mut buf);
                buf.len()
            })
        });
    }

    // UTF-8 names (issue 13): OpenTelemetry-style dotted names served quoted (text 1.0.0 and
    // OpenMetrics with `escaping=allow-utf-8`), beside their legacy-named twin (`app_c0`,
    // `http_route`: the same text but for the quotes).
    let dotted = dotted_registry();
    let twin = twin_registry();
    for (name, registry, format, escaping) in [
        ("encode_utf8/twin_text", &twin, Format::Prometheus, Escaping::Underscores),
        ("encode_utf8/dotted_text", &dotted, Format::Prometheus, Escaping::AllowUtf8),
        ("encode_utf8/twin_openmetrics", &twin, Format::OpenMetrics, Escaping::Underscores),
        ("encode_utf8/dotted_openmetrics", &dotted, Format::OpenMetrics, Escaping::AllowUtf8),
    ] {
        let opts = RenderOptions::new(format).with_escaping(escaping);
        c.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                registry.render_into(&opts, &mut buf);
                buf.len()
            })
        });
    }

    // prometheus-client (OpenMetrics text is its format)
    let preg = peers::pc::registry();
    let mut s = String::with_capacity(1 << 20);
    c.bench_function("encode_text/prometheus-client", |b| {
        b.iter(|| {
            s.clear();
            prometheus_client::encoding::text::encode(&mut s, &preg).unwrap_or_else(|e| panic!("{e}"));
            s.len()
        })
    });

    // prometheus (tikv): gathering is part of its encoding.
    let treg = peers::tikv::registry();
    c.bench_function("encode_text/prometheus", |b| {
        b.iter(|| {
            s.clear();
            prometheus::TextEncoder::new().encode_utf8(&treg.gather(), &mut s).unwrap_or_else(|e| panic!("{e}"));
            s.len()
        })
    });

    // vise
    let vbig = peers::vs::big();
    let mut vreg = vise::Registry::empty();
    vreg.register_metrics(&vbig);
    c.bench_function("encode_text/vise", |b| {
        b.iter(|| {
            s.clear();
            vreg.encode(&mut s, vise::Format::Prometheus).unwrap_or_else(|e| panic!("{e}"));
            s.len()
        })
    });

    // measured
    let mbig = peers::ms::big();
    let mut menc = measured::text::BufferedTextEncoder::new();
    c.bench_function("encode_text/measured", |b| {
        b.iter(|| {
            use measured::MetricGroup;
            mbig.collect_group_into(&mut menc).unwrap_or_else(|e| match e {});
            menc.finish().len()
        })
    });

    // metrics + metrics-exporter-prometheus (a local recorder of its own)
    let recorder = peers::mx::recorder();
    let handle = recorder.handle();
    c.bench_function("encode_text/metrics", |b| b.iter(|| handle.render().len()));
}

fn http(c: &mut Criterion) {
    let registry = ours_registry();
    let exporter = metrics_http::Exporter::builder(registry).build().unwrap_or_else(|e| panic!("{e}"));
    let server = metrics_http::Server::spawn_thread(
        metrics_http::Server::builder(exporter).listen("127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}"))),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for (name, gzip) in [("http_scrape/ours_plain", false), ("http_scrape/ours_gzip", true)] {
        let mut client = ScrapeClient::connect(server.local_addr(), "/metrics", gzip).unwrap_or_else(|e| panic!("{e}"));
        c.bench_function(name, |b| b.iter(|| client.scrape().unwrap_or_else(|e| panic!("{e}"))));
    }
    drop(server);
}

/// Building one push request for the same registry, next to our text encoding of it (issue 14's
/// bound: remote write and OTLP each <= 2x `encode_text/ours`): as the push engine does, one
/// encoder kept from one push to the next (remote write: in the steady state, the last
/// request's values rewritten; `_full`: after the series changed, every byte written); snappy
/// alone (its encoder and output kept too), and the sample walk alone, to show where the time
/// goes.
fn push(c: &mut Criterion) {
    let ours = ours_registry();
    let labels = [("job".to_owned(), "bench".to_owned())];
    let mut encoder = metrics_push::remote_write::Encoder::new(labels.to_vec(), usize::MAX);
    c.bench_function("push/remote_write", |b| {
        b.iter(|| encoder.encode(&ours, 1_700_000_000_000).map(|v| v.len()).unwrap_or(0))
    });
    // After a change of the registry's series: every byte written anew.
    c.bench_function("push/remote_write_full", |b| {
        b.iter(|| {
            encoder.reset();
            encoder.encode(&ours, 1_700_000_000_000).map(|v| v.len()).unwrap_or(0)
        })
    });
    let body = metrics_push::remote_write::encode_registry(&ours, &labels, 1_700_000_000_000, usize::MAX)
        .unwrap_or_default()
        .remove(0);
    let raw = snap::raw::Decoder::new().decompress_vec(&body).unwrap_or_default();
    let mut snappy = snap::raw::Encoder::new();
    let mut compressed = vec![0; snap::raw::max_compress_len(raw.len())];
    c.bench_function("push/snappy_only", |b| b.iter(|| snappy.compress(&raw, &mut compressed).unwrap_or(0)));
    struct Count(usize);
    impl metrics_core::encoding::SampleVisitor for Count {
        fn sample(
            &mut self,
            _: &metrics_core::Descriptor,
            l: &metrics_core::encoding::SampleLabels<'_>,
            _: metrics_core::SampleValue<'_>,
        ) {
            self.0 += l.len();
        }
    }
    c.bench_function("push/visit_only", |b| {
        b.iter(|| {
            let mut n = Count(0);
            ours.visit(&mut n);
            n.0
        })
    });
    let mut otlp = metrics_push::otlp::Encoder::new(&[("service.name".to_owned(), "bench".to_owned())]);
    c.bench_function("push/otlp", |b| b.iter(|| otlp.encode(&ours, std::time::SystemTime::now()).len()));
}

/// The peers' protobuf exposition encoders on the same registry, beside
/// `encode_protobuf/ours` (in `encode`), each writing into a buffer kept from one encoding to
/// the next as ours does: prometheus-client builds its `MetricFamily` messages
/// (`prometheus_protobuf::encode`) and prost writes them length-delimited;
/// metrics-exporter-prometheus renders its snapshot (`render_protobuf_to_write`).
fn protobuf(c: &mut Criterion) {
    use prost::Message;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let preg = peers::pc::registry();
    c.bench_function("encode_protobuf/prometheus-client", |b| {
        b.iter(|| {
            buf.clear();
            let families =
                prometheus_client::encoding::prometheus_protobuf::encode(&preg).unwrap_or_else(|e| panic!("{e}"));
            for f in &families {
                f.encode_length_delimited(&mut buf).unwrap_or_else(|e| panic!("{e}"));
            }
            buf.len()
        })
    });
    let recorder = peers::mx::recorder();
    let handle = recorder.handle();
    c.bench_function("encode_protobuf/metrics", |b| {
        b.iter(|| {
            buf.clear();
            handle.render_protobuf_to_write(&mut buf).unwrap_or_else(|e| panic!("{e}"));
            buf.len()
        })
    });
}

criterion_group! {
    name = encoding;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2)).sample_size(50);
    targets = encode, protobuf, push, http
}
criterion_main!(encoding);
