//! Prometheus remote write 1.0: a registry as a snappy-compressed `prometheus.WriteRequest`.
//!
//! The messages are written from the remote-write 1.0 schema (prometheus/prompb's
//! `remote.proto` and `types.proto`, the fields 1.0 uses) with prost's derive, so no protoc is
//! needed to build.

use bytes::Bytes;
use metrics_core::encoding::{SampleLabels, SampleValue, SampleVisitor, write_prometheus_float};
use metrics_core::{Descriptor, MetricKind, Registry};

/// The remote-write 1.0 messages.
pub mod proto {
    /// `prometheus.WriteRequest`: the body of one remote-write request (before snappy).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct WriteRequest {
        /// The series, each with its samples.
        #[prost(message, repeated, tag = "1")]
        pub timeseries: Vec<TimeSeries>,
        /// Type, help and unit of the metric families.
        #[prost(message, repeated, tag = "3")]
        pub metadata: Vec<MetricMetadata>,
    }

    /// `prometheus.TimeSeries`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct TimeSeries {
        /// The labels, sorted by name, `__name__` included.
        #[prost(message, repeated, tag = "1")]
        pub labels: Vec<Label>,
        /// The samples, in time order.
        #[prost(message, repeated, tag = "2")]
        pub samples: Vec<Sample>,
        /// Exemplars of the series.
        #[prost(message, repeated, tag = "3")]
        pub exemplars: Vec<Exemplar>,
    }

    /// `prometheus.Label`.
    #[derive(Clone, PartialEq, Eq, prost::Message)]
    pub struct Label {
        /// The label name.
        #[prost(string, tag = "1")]
        pub name: String,
        /// The label value.
        #[prost(string, tag = "2")]
        pub value: String,
    }

    /// `prometheus.Sample`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Sample {
        /// The value.
        #[prost(double, tag = "1")]
        pub value: f64,
        /// Milliseconds since the Unix epoch.
        #[prost(int64, tag = "2")]
        pub timestamp: i64,
    }

    /// `prometheus.Exemplar`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Exemplar {
        /// The exemplar's labels (a trace id, ...).
        #[prost(message, repeated, tag = "1")]
        pub labels: Vec<Label>,
        /// The observed value.
        #[prost(double, tag = "2")]
        pub value: f64,
        /// Milliseconds since the Unix epoch.
        #[prost(int64, tag = "3")]
        pub timestamp: i64,
    }

    /// `prometheus.MetricMetadata`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct MetricMetadata {
        /// The type: see [`MetricType`].
        #[prost(enumeration = "MetricType", tag = "1")]
        pub r#type: i32,
        /// The family name, as Prometheus text spells it.
        #[prost(string, tag = "2")]
        pub metric_family_name: String,
        /// The help text.
        #[prost(string, tag = "4")]
        pub help: String,
        /// The unit.
        #[prost(string, tag = "5")]
        pub unit: String,
    }

    /// `prometheus.MetricMetadata.MetricType`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum MetricType {
        /// Unknown.
        Unknown = 0,
        /// Counter.
        Counter = 1,
        /// Gauge.
        Gauge = 2,
        /// Histogram.
        Histogram = 3,
        /// Gauge histogram.
        Gaugehistogram = 4,
        /// Summary.
        Summary = 5,
        /// Info.
        Info = 6,
        /// State set.
        Stateset = 7,
    }
}

use proto::{Label, MetricMetadata, MetricType, Sample, TimeSeries, WriteRequest};

/// Builds the `WriteRequest` of the registry's current state: every sample stamped with
/// `timestamp_ms`, each series' labels sorted with `__name__` and `external_labels` added
/// (a series' own label wins over an external one of the same name).
///
/// ```
/// use std::sync::LazyLock;
/// use metrics_core::{Counter, Metrics, Registry};
///
/// #[derive(Metrics)]
/// struct M {
///     /// Jobs run.
///     jobs: Counter,
/// }
/// static METRICS: LazyLock<M> = LazyLock::new(M::default);
/// let registry = Registry::new();
/// registry.register(&METRICS).unwrap();
/// METRICS.jobs.inc();
/// let req = metrics_push::remote_write::write_request(&registry, &[("job".into(), "app".into())], 1000);
/// let s = &req.timeseries[0];
/// let labels: Vec<(&str, &str)> = s.labels.iter().map(|l| (l.name.as_str(), l.value.as_str())).collect();
/// assert_eq!(labels, [("__name__", "jobs_total"), ("job", "app")]);
/// assert_eq!((s.samples[0].value, s.samples[0].timestamp), (1.0, 1000));
/// assert_eq!(req.metadata[0].metric_family_name, "jobs_total");
/// ```
pub fn write_request(registry: &Registry, external_labels: &[(String, String)], timestamp_ms: i64) -> WriteRequest {
    let mut b = Builder { req: WriteRequest::default(), external: external_labels, ts: timestamp_ms, num: Vec::new() };
    registry.visit(&mut b);
    b.req
}

/// Splits `req` into requests of at most `max_series` series each (metadata goes with the
/// first), and encodes and snappy-compresses each: the bodies to send.
pub fn encode(req: WriteRequest, max_series: usize) -> Result<Vec<Bytes>, snap::Error> {
    use prost::Message;
    let max = max_series.max(1);
    let mut out = Vec::new();
    let mut enc = snap::raw::Encoder::new();
    let mut metadata = req.metadata;
    let mut series = req.timeseries;
    let mut buf = Vec::new();
    loop {
        let rest = if series.len() > max { series.split_off(max) } else { Vec::new() };
        let part = WriteRequest { timeseries: series, metadata: std::mem::take(&mut metadata) };
        buf.clear();
        // Encoding into a Vec cannot run out of room.
        let _ = part.encode(&mut buf);
        out.push(Bytes::from(enc.compress_vec(&buf)?));
        if rest.is_empty() {
            return Ok(out);
        }
        series = rest;
    }
}

pub(crate) struct RemoteWrite {
    pub(crate) encoder: Encoder,
}

impl crate::engine::Protocol for RemoteWrite {
    fn collect(&mut self, registry: &Registry, now: std::time::SystemTime) -> Result<Vec<Bytes>, String> {
        let ms = now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        self.encoder.encode(registry, ms).map_err(|e| e.to_string())
    }
}

/// [`write_request`] then [`encode`] in one pass (see [`Encoder`]), with a fresh encoder.
pub fn encode_registry(
    registry: &Registry,
    external_labels: &[(String, String)],
    timestamp_ms: i64,
    max_series: usize,
) -> Result<Vec<Bytes>, snap::Error> {
    Encoder::new(external_labels.to_vec(), max_series).encode(registry, timestamp_ms)
}

/// [`write_request`] then [`encode`] in one pass, without building the messages: each series
/// is written to the request's bytes as the registry hands it over (with prost's encoding
/// functions), and a request is cut every `max_series` series; a family's metadata goes with
/// the request that holds its first series. Its buffers are kept from one push to the next.
/// What the engine sends; the same messages as the two-step path, which the tests check.
///
/// ```
/// use std::sync::LazyLock;
/// use metrics_core::{Gauge, Metrics, Registry};
/// use prost::Message;
///
/// #[derive(Metrics)]
/// struct M {
///     /// Depth.
///     depth: Gauge,
/// }
/// static METRICS: LazyLock<M> = LazyLock::new(M::default);
/// let registry = Registry::new();
/// registry.register(&METRICS).unwrap();
/// let mut encoder = metrics_push::remote_write::Encoder::new(vec![], 2000);
/// let bodies = encoder.encode(&registry, 5).unwrap();
/// let raw = snap::raw::Decoder::new().decompress_vec(&bodies[0]).unwrap();
/// let req = metrics_push::remote_write::proto::WriteRequest::decode(raw.as_slice()).unwrap();
/// assert_eq!(req, metrics_push::remote_write::write_request(&registry, &[], 5));
/// ```
#[derive(Debug)]
pub struct Encoder {
    /// The current request, not yet compressed.
    buf: Vec<u8>,
    bodies: Vec<Bytes>,
    external: Vec<(String, String)>,
    ts: i64,
    max_series: usize,
    in_request: usize,
    num: Vec<u8>,
    name: String,
    snappy: snap::raw::Encoder,
    compressed: Vec<u8>,
    /// The spelling of each `le` bound of the last histogram, by index: a family's series share
    /// their bounds, so each is formatted once per family.
    le: Vec<(u64, Vec<u8>)>,
    error: Option<snap::Error>,
}

impl Encoder {
    /// An encoder adding `external_labels` to every series (a series' own label wins), cutting
    /// a request every `max_series` series.
    pub fn new(external_labels: Vec<(String, String)>, max_series: usize) -> Self {
        Encoder {
            buf: Vec::new(),
            bodies: Vec::new(),
            external: external_labels,
            ts: 0,
            max_series: max_series.max(1),
            in_request: 0,
            num: Vec::new(),
            name: String::new(),
            snappy: snap::raw::Encoder::new(),
            compressed: Vec::new(),
            le: Vec::new(),
            error: None,
        }
    }

    /// The snappy-compressed request bodies of the registry's current state, every sample
    /// stamped with `timestamp_ms`.
    pub fn encode(&mut self, registry: &Registry, timestamp_ms: i64) -> Result<Vec<Bytes>, snap::Error> {
        self.ts = timestamp_ms;
        self.in_request = 0;
        self.buf.clear();
        self.error = None;
        registry.visit(self);
        self.cut();
        let bodies = std::mem::take(&mut self.bodies);
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(bodies),
        }
    }
}

/// A length as a varint: one byte for the short lengths of labels, prost's encoder otherwise.
#[inline]
fn varint(len: usize, buf: &mut Vec<u8>) {
    if len < 0x80 {
        buf.push(len as u8);
    } else {
        prost::encoding::encode_varint(len as u64, buf);
    }
}

fn field_len(tag_len: usize, len: usize) -> usize {
    tag_len + prost::encoding::encoded_len_varint(len as u64) + len
}

fn label_len(name: &str, value: &str) -> usize {
    // One-byte keys: tags 1 and 2.
    field_len(1, name.len()) + field_len(1, value.len())
}

impl Encoder {
    /// Compresses the current request (if it holds anything) and starts the next.
    fn cut(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        self.compressed.resize(snap::raw::max_compress_len(self.buf.len()), 0);
        match self.snappy.compress(&self.buf, &mut self.compressed) {
            Ok(n) => self.bodies.push(Bytes::copy_from_slice(&self.compressed[..n])),
            Err(e) => self.error = Some(e),
        }
        self.buf.clear();
        self.in_request = 0;
    }

    /// Writes one series: `self.name`, the sample's labels, `extra` (`le`/`quantile` with its
    /// value in `self.num`), the external labels it lacks; sorted by name.
    fn series<'s>(&'s mut self, labels: &'s SampleLabels<'_>, extra: Option<&'static str>, value: f64) {
        use prost::encoding::WireType;
        if self.in_request == self.max_series {
            self.cut();
        }
        self.in_request += 1;
        let extra_value = std::str::from_utf8(&self.num).unwrap_or("");
        let extra = extra.map(|n| (n, extra_value));
        let count = 1 + labels.len() + usize::from(extra.is_some()) + self.external.len();
        let name: &str = &self.name;
        let external: &[(String, String)] = &self.external;
        let all = std::iter::once::<(&str, &str)>(("__name__", name))
            .chain(labels.iter().map(|(n, v)| -> (&str, &str) { (n, v) }))
            .chain(extra)
            .chain(
                external
                    .iter()
                    .filter(|(n, _)| labels.get(n).is_none() && extra.is_none_or(|(e, _)| e != n))
                    .map(|(n, v)| (n.as_str(), v.as_str())),
            );
        // A series has a handful of labels: sorted on the stack, unless there are many.
        let mut small = [("", ""); 8];
        let mut large = Vec::new();
        let pairs: &mut [(&str, &str)] = if count <= small.len() {
            let mut n = 0;
            for (slot, pair) in small.iter_mut().zip(all) {
                *slot = pair;
                n += 1;
            }
            &mut small[..n]
        } else {
            large.extend(all);
            &mut large
        };
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let labels_len: usize = pairs.iter().map(|(n, v)| field_len(1, label_len(n, v))).sum();
        let sample_len = 9 + 1 + prost::encoding::encoded_len_varint(self.ts as u64);
        let series_len = labels_len + field_len(1, sample_len);
        let buf = &mut self.buf;
        buf.reserve(series_len + 4);
        // Every key here is one byte: field number below 16.
        let key = |tag: u8| (tag << 3) | WireType::LengthDelimited as u8;
        buf.push(key(1));
        varint(series_len, buf);
        for (n, v) in pairs.iter() {
            buf.push(key(1));
            varint(label_len(n, v), buf);
            for (tag, text) in [(1, n), (2, v)] {
                buf.push(key(tag));
                varint(text.len(), buf);
                buf.extend_from_slice(text.as_bytes());
            }
        }
        buf.push(key(2));
        varint(sample_len, buf);
        prost::encoding::double::encode(1, &value, buf);
        prost::encoding::int64::encode(2, &self.ts, buf);
    }

    fn set_name(&mut self, base: &str, suffix: &str) {
        self.name.clear();
        self.name.push_str(base);
        self.name.push_str(suffix);
    }

    /// `self.num` = the spelling of bound `i`, `le`, formatted once per family.
    fn set_le(&mut self, i: usize, le: f64) {
        if self.le.get(i).is_none_or(|(bits, _)| *bits != le.to_bits()) {
            self.le.truncate(i);
            self.set_num(le);
            self.le.push((le.to_bits(), self.num.clone()));
        }
        self.num.clear();
        if let Some((_, text)) = self.le.get(i) {
            self.num.extend_from_slice(text);
        }
    }

    fn set_num(&mut self, f: f64) {
        self.num.clear();
        write_prometheus_float(&mut self.num, f);
    }
}

impl SampleVisitor for Encoder {
    fn begin_family(&mut self, desc: &Descriptor) {
        use prost::encoding::{WireType, encode_key, encode_varint};
        let (base, suffix) = desc.prometheus_name();
        let m = MetricMetadata {
            r#type: metric_type(desc.kind) as i32,
            metric_family_name: format!("{base}{suffix}"),
            help: desc.help.into(),
            unit: desc.unit.into(),
        };
        if self.in_request == self.max_series {
            self.cut();
        }
        encode_key(3, WireType::LengthDelimited, &mut self.buf);
        encode_varint(prost::Message::encoded_len(&m) as u64, &mut self.buf);
        // Writing into a Vec cannot run out of room.
        let _ = prost::Message::encode(&m, &mut self.buf);
    }

    fn sample(&mut self, desc: &Descriptor, labels: &SampleLabels<'_>, value: SampleValue<'_>) {
        let (base, suffix) = desc.prometheus_name();
        match value {
            SampleValue::Counter { value, .. } | SampleValue::Gauge(value) => {
                self.set_name(base, suffix);
                self.series(labels, None, value.as_f64());
            }
            SampleValue::Info => {
                self.set_name(base, suffix);
                self.series(labels, None, 1.0);
            }
            SampleValue::Histogram(h) => {
                self.set_name(base, "_bucket");
                let count = h.for_each_bucket(|i, le, c| {
                    self.set_le(i, le);
                    self.series(labels, Some("le"), c as f64);
                });
                self.set_name(base, "_sum");
                self.series(labels, None, h.sum);
                self.set_name(base, "_count");
                self.series(labels, None, count as f64);
            }
            SampleValue::Summary(s) => {
                self.set_name(base, "");
                for &(q, v) in s.quantiles {
                    self.set_num(q);
                    self.series(labels, Some("quantile"), v);
                }
                self.set_name(base, "_sum");
                self.series(labels, None, s.sum);
                self.set_name(base, "_count");
                self.series(labels, None, s.count as f64);
            }
        }
    }
}

fn metric_type(kind: MetricKind) -> MetricType {
    match kind {
        MetricKind::Counter => MetricType::Counter,
        MetricKind::Gauge => MetricType::Gauge,
        MetricKind::Histogram => MetricType::Histogram,
        MetricKind::Summary => MetricType::Summary,
        MetricKind::Info => MetricType::Info,
    }
}

struct Builder<'a> {
    req: WriteRequest,
    external: &'a [(String, String)],
    ts: i64,
    num: Vec<u8>,
}

impl Builder<'_> {
    fn float_label(&mut self, f: f64) -> String {
        self.num.clear();
        write_prometheus_float(&mut self.num, f);
        String::from_utf8_lossy(&self.num).into_owned()
    }

    fn push(&mut self, name: String, labels: &SampleLabels<'_>, extra: Option<(&str, String)>, value: f64) {
        let mut l = Vec::with_capacity(labels.len() + self.external.len() + 2);
        l.push(Label { name: "__name__".into(), value: name });
        l.extend(labels.iter().map(|(n, v)| Label { name: n.into(), value: v.into() }));
        if let Some((n, v)) = extra {
            l.push(Label { name: n.into(), value: v });
        }
        for (n, v) in self.external {
            if !l.iter().any(|x| x.name == *n) {
                l.push(Label { name: n.clone(), value: v.clone() });
            }
        }
        l.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        self.req.timeseries.push(TimeSeries {
            labels: l,
            samples: vec![Sample { value, timestamp: self.ts }],
            exemplars: Vec::new(),
        });
    }
}

impl SampleVisitor for Builder<'_> {
    fn begin_family(&mut self, desc: &Descriptor) {
        let (base, suffix) = desc.prometheus_name();
        self.req.metadata.push(MetricMetadata {
            r#type: metric_type(desc.kind) as i32,
            metric_family_name: format!("{base}{suffix}"),
            help: desc.help.into(),
            unit: desc.unit.into(),
        });
    }

    fn sample(&mut self, desc: &Descriptor, labels: &SampleLabels<'_>, value: SampleValue<'_>) {
        let (base, suffix) = desc.prometheus_name();
        match value {
            SampleValue::Counter { value, .. } | SampleValue::Gauge(value) => {
                self.push(format!("{base}{suffix}"), labels, None, value.as_f64())
            }
            SampleValue::Info => self.push(format!("{base}{suffix}"), labels, None, 1.0),
            SampleValue::Histogram(h) => {
                let mut buckets = Vec::new();
                let count = h.for_each_bucket(|_, le, c| buckets.push((le, c)));
                for (le, c) in buckets {
                    let le = self.float_label(le);
                    self.push(format!("{base}_bucket"), labels, Some(("le", le)), c as f64);
                }
                self.push(format!("{base}_sum"), labels, None, h.sum);
                self.push(format!("{base}_count"), labels, None, count as f64);
            }
            SampleValue::Summary(s) => {
                for &(q, v) in s.quantiles {
                    let q = self.float_label(q);
                    self.push(base.into(), labels, Some(("quantile", q)), v);
                }
                self.push(format!("{base}_sum"), labels, None, s.sum);
                self.push(format!("{base}_count"), labels, None, s.count as f64);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use metrics_core::{Counter, Family, Gauge, Histogram, LabelSet, Metrics, Registry, Summary};
    use prost::Message;

    use super::proto::WriteRequest;

    #[derive(LabelSet)]
    struct L {
        zone: String,
    }

    #[derive(Metrics)]
    struct M {
        /// Requests.
        requests: Family<L, Counter>,
        /// Depth.
        depth: Gauge,
        /// Latency.
        #[metric(unit = "seconds", buckets = [0.5, 1.0])]
        latency: Histogram,
        /// Pause.
        #[metric(unit = "seconds", quantiles = [0.5])]
        pause: Summary,
    }

    fn series(req: &WriteRequest) -> Vec<String> {
        req.timeseries
            .iter()
            .map(|s| {
                let l: Vec<String> = s.labels.iter().map(|l| format!("{}={}", l.name, l.value)).collect();
                format!("{} {} @{}", l.join(","), s.samples[0].value, s.samples[0].timestamp)
            })
            .collect()
    }

    #[test]
    fn every_kind_becomes_its_series_with_sorted_labels() {
        let m = Arc::new(M::default());
        m.requests.get_or_create(&L { zone: "b".into() }).inc_by(2);
        m.depth.set(3);
        m.latency.observe(0.7);
        m.pause.observe(2.0);
        let r = Registry::new();
        assert_eq!(r.register_arc(m), Ok(()));
        let ext = [("instance".to_owned(), "h:1".to_owned()), ("zone".to_owned(), "ignored".to_owned())];
        let req = super::write_request(&r, &ext, 42);
        assert_eq!(
            series(&req),
            [
                "__name__=requests_total,instance=h:1,zone=b 2 @42",
                "__name__=depth,instance=h:1,zone=ignored 3 @42",
                "__name__=latency_seconds_bucket,instance=h:1,le=0.5,zone=ignored 0 @42",
                "__name__=latency_seconds_bucket,instance=h:1,le=1,zone=ignored 1 @42",
                "__name__=latency_seconds_bucket,instance=h:1,le=+Inf,zone=ignored 1 @42",
                "__name__=latency_seconds_sum,instance=h:1,zone=ignored 0.7 @42",
                "__name__=latency_seconds_count,instance=h:1,zone=ignored 1 @42",
                "__name__=pause_seconds,instance=h:1,quantile=0.5,zone=ignored 2 @42",
                "__name__=pause_seconds_sum,instance=h:1,zone=ignored 2 @42",
                "__name__=pause_seconds_count,instance=h:1,zone=ignored 1 @42",
            ]
        );
        let meta: Vec<(i32, &str, &str)> =
            req.metadata.iter().map(|m| (m.r#type, m.metric_family_name.as_str(), m.unit.as_str())).collect();
        assert_eq!(
            meta,
            [
                (1, "requests_total", ""),
                (2, "depth", ""),
                (3, "latency_seconds", "seconds"),
                (5, "pause_seconds", "seconds")
            ]
        );
    }

    fn decode_all(bodies: &[bytes::Bytes]) -> Vec<WriteRequest> {
        bodies
            .iter()
            .map(|b| {
                let raw = snap::raw::Decoder::new().decompress_vec(b).unwrap_or_default();
                WriteRequest::decode(raw.as_slice()).unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn the_one_pass_encoder_writes_the_same_messages() {
        let m = Arc::new(M::default());
        m.requests.get_or_create(&L { zone: "b".into() }).inc_by(2);
        m.requests.get_or_create(&L { zone: "a".into() }).inc();
        m.depth.set(-3);
        m.latency.observe(0.7);
        m.pause.observe(2.0);
        let r = Registry::new();
        assert_eq!(r.register_arc(m), Ok(()));
        let ext = [("instance".to_owned(), "h:1".to_owned()), ("zone".to_owned(), "z".to_owned())];
        let want = super::write_request(&r, &ext, 1_700_000_000_123);
        let one = super::encode_registry(&r, &ext, 1_700_000_000_123, usize::MAX).unwrap_or_default();
        assert_eq!(decode_all(&one), std::slice::from_ref(&want));
        // Split: the same series in order, each family's metadata once.
        let parts = decode_all(&super::encode_registry(&r, &ext, 1_700_000_000_123, 3).unwrap_or_default());
        assert_eq!(parts.len(), want.timeseries.len().div_ceil(3));
        assert!(parts.iter().all(|p| p.timeseries.len() <= 3));
        let series: Vec<_> = parts.iter().flat_map(|p| p.timeseries.clone()).collect();
        let meta: Vec<_> = parts.iter().flat_map(|p| p.metadata.clone()).collect();
        assert_eq!((series, meta), (want.timeseries, want.metadata));
    }

    #[test]
    fn requests_split_above_the_series_limit_and_decompress_to_the_messages() {
        let m = Arc::new(M::default());
        // An empty summary's quantiles are NaN, which no `==` would match.
        m.pause.observe(1.0);
        let r = Registry::new();
        assert_eq!(r.register_arc(m), Ok(()));
        let req = super::write_request(&r, &[], 1);
        let total = req.timeseries.len();
        let bodies = super::encode(req.clone(), 4).unwrap_or_default();
        assert_eq!(bodies.len(), total.div_ceil(4));
        let mut back = WriteRequest::default();
        for (i, b) in bodies.iter().enumerate() {
            let raw = snap::raw::Decoder::new().decompress_vec(b).unwrap_or_default();
            let part = WriteRequest::decode(raw.as_slice()).unwrap_or_default();
            assert!(part.timeseries.len() <= 4);
            assert_eq!(part.metadata.is_empty(), i > 0, "metadata goes with the first request only");
            back.timeseries.extend(part.timeseries);
            back.metadata.extend(part.metadata);
        }
        assert_eq!(back, req);
    }
}
