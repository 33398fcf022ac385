//! Prometheus remote write 1.0: a registry as a snappy-compressed `prometheus.WriteRequest`.
//!
//! The messages are written from the remote-write 1.0 schema (prometheus/prompb's
//! `remote.proto` and `types.proto`, the fields 1.0 uses) with prost's derive, so no protoc is
//! needed to build. Exemplars go in `TimeSeries.exemplars`: a counter's with its series, a
//! histogram bucket's with the `_bucket` series of its bound (Prometheus keeps them when run
//! with `--enable-feature=exemplar-storage`). A histogram goes as its classic series only:
//! remote write 1.0 has no native histograms.

use bytes::Bytes;
use metrics_core::encoding::{
    Exemplar, Exemplars, HistogramData, SampleLabels, SampleValue, SampleVisitor, write_prometheus_float,
};
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
/// is written to the request's bytes as the registry hands it over, and a request is cut every
/// `max_series` series; a family's metadata goes with the request that holds its first series.
/// What the engine sends; the same messages as the two-step path, which the tests check.
///
/// Why bytes and not the prost structs: a series of the 25 x 100 benchmark registry is a
/// handful of labels most of which repeat from series to series (`__name__`, the external
/// labels, a histogram's `le` bounds); building a `TimeSeries` with owned `String`s per label
/// and letting prost walk it again made a push 6x the registry's text encoding (issue 14 holds
/// it to 2x). So each repeated `Label` is encoded once (the external labels at construction,
/// `__name__` once per family, each `le` once per family, a sample's own labels once for all
/// the series of a histogram), the sorted order of a label set is worked out once per family,
/// and a series is those pieces copied in order plus its sample. The pieces are kept padded
/// and copied in fixed blocks into a buffer with room past its end, the bytes past a piece
/// written over by the next: a label costs a few moves, not a call to `memcpy` (the full
/// encoding of the benchmark registry went from 3.4x to 2.9x its text encoding in
/// instructions, most of the rest being snappy). The bytes are the fields of the checked-in
/// [`proto`] messages; the tests decode them with prost. The buffers and the snappy encoder
/// are kept from one push to the next.
///
/// Between two pushes a registry's series rarely change, their values do: the encoder keeps
/// the last push's uncompressed requests and where each value went, and when the registry
/// walks the same families and series (same descriptors, same labels in the same order, the
/// timestamp as long, no exemplar then or now) it rewrites only the values and timestamps in
/// place. Anything else (a series added or removed, an exemplar) and every byte is written
/// anew. Even then the snappy compression of the whole request remains, about as long as the
/// text encoding of the registry.
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
    /// The current request, not yet compressed: its bytes up to `pos`, then room to write in
    /// (see [`copy`]).
    buf: Vec<u8>,
    pos: usize,
    /// The requests of the last push, uncompressed, and spare buffers.
    raw: Vec<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    /// What the last full encoding wrote, and the state of a patching pass.
    layout: Layout,
    patch: Patch,
    /// Whether the last push was patched (for the tests).
    patched: bool,
    external: Vec<(String, String)>,
    /// The external labels as encoded `TimeSeries.labels` fields (padded for [`copy`]), and
    /// where each is.
    external_fields: Vec<u8>,
    external_at: Vec<(usize, usize)>,
    ts: i64,
    /// The end of every `Sample` after its value: the timestamp's field.
    sample_tail: Vec<u8>,
    /// `sample_tail`'s length, then `sample_tail`: what follows each value.
    value_tail: [u8; 32],
    /// What precedes each value: the key and length of the `samples` field, the value's key.
    head: [u8; 3],
    max_series: usize,
    in_request: usize,
    /// The `__name__` label fields of the current family: its name, `_sum` and `_count`
    /// (histograms: `_bucket`, `_sum`, `_count`), where each is in `names` (padded for
    /// [`copy`]).
    names: Vec<u8>,
    name_at: [(usize, usize); 3],
    /// The current sample's own labels, as encoded label fields, and where each ends.
    own: Vec<u8>,
    own_ends: Vec<usize>,
    /// The label names the plans were made for, and the plans: the sorted order of a series'
    /// labels without and with an extra label (`le`, `quantile`).
    plan_names: Vec<&'static str>,
    plain: Plan,
    extra: Plan,
    /// The labels of the current sample's series with an extra label (`le`, `quantile`) laid
    /// out in sorted order (padded for [`copy`]): the segments before and after the extra
    /// label (`split_at`), the second ending with the head of the `Sample`. Such a series is
    /// its segments with its extra label between them, then its value. (A series without one
    /// is written straight from its pieces: see [`Encoder::plain_series`].)
    segments: Vec<u8>,
    split_at: [(usize, usize); 2],
    /// The extra label fields (`le` or `quantile`, as `extra_name` says) of each bound of the
    /// current family, by index: the bound's bits and where the field is in `extra_fields`
    /// (padded for [`copy`]). Formatted once per family.
    extra_name: &'static str,
    extras: Vec<(u64, usize, usize)>,
    extra_fields: Vec<u8>,
    /// Scratch: a `quantile` label field, a number's spelling, the exemplars of a series.
    scratch: Vec<u8>,
    num: Vec<u8>,
    exemplars: Vec<u8>,
    snappy: snap::raw::Encoder,
    compressed: Vec<u8>,
}

/// Where the last full encoding put each family, sample and value, so that the next push can
/// rewrite the values in place when its families and series are the same.
#[derive(Debug, Default)]
struct Layout {
    valid: bool,
    /// The timestamp's length as a varint.
    ts_len: usize,
    /// Each family's descriptor (name, help, unit, kind) as bytes: where it ends in
    /// `family_sig`, and the family's first sample.
    families: Vec<(usize, usize)>,
    family_sig: Vec<u8>,
    /// Each sample: where its labels end in `sig`, where its series end in `values`, and
    /// whether it carried exemplars.
    samples: Vec<(usize, usize, bool)>,
    sig: Vec<u8>,
    /// Each series: its request and the offset of its value there.
    values: Vec<(usize, usize)>,
}

/// A pass that rewrites the values of the last push's requests.
#[derive(Debug, Default)]
struct Patch {
    active: bool,
    /// Still the same families and series, so far.
    ok: bool,
    family: usize,
    sample: usize,
    value: usize,
    /// Whether the current sample (full encoding) wrote an exemplar.
    exemplars: bool,
}

/// Where each label of a series comes from, in sorted order.
#[derive(Debug, Default)]
struct Plan {
    /// The extra label's name, for the plan with one.
    extra: Option<&'static str>,
    parts: Vec<Part>,
    /// The bytes of the external labels kept.
    external_len: usize,
    valid: bool,
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Name,
    Own(usize),
    Extra,
    External(usize),
}

/// The key of a length-delimited field numbered below 16: one byte.
const fn key(tag: u8) -> u8 {
    (tag << 3) | prost::encoding::WireType::LengthDelimited as u8
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

fn field_len(len: usize) -> usize {
    // One-byte keys throughout.
    1 + prost::encoding::encoded_len_varint(len as u64) + len
}

/// Appends `name="value"` as one `labels` field (tag 1) of a `TimeSeries` or `Exemplar`.
#[inline]
fn label_field(buf: &mut Vec<u8>, name: &str, value: &str) {
    let len = field_len(name.len()) + field_len(value.len());
    if len < 0x80 {
        // Every length below 0x80: one byte each.
        buf.reserve(len + 2);
        buf.extend_from_slice(&[key(1), len as u8, key(1), name.len() as u8]);
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(&[key(2), value.len() as u8]);
        buf.extend_from_slice(value.as_bytes());
        return;
    }
    buf.push(key(1));
    varint(len, buf);
    for (tag, text) in [(1, name), (2, value)] {
        buf.push(key(tag));
        varint(text.len(), buf);
        buf.extend_from_slice(text.as_bytes());
    }
}

/// The padding after the pieces that [`copy`] reads.
const PAD: [u8; 64] = [0; 64];

impl Encoder {
    /// An encoder adding `external_labels` to every series (a series' own label wins), cutting
    /// a request every `max_series` series.
    pub fn new(external_labels: Vec<(String, String)>, max_series: usize) -> Self {
        let mut external_fields = Vec::new();
        let mut external_at = Vec::new();
        for (n, v) in &external_labels {
            let start = external_fields.len();
            label_field(&mut external_fields, n, v);
            external_at.push((start, external_fields.len() - start));
        }
        external_fields.extend_from_slice(&PAD);
        Encoder {
            buf: Vec::new(),
            pos: 0,
            raw: Vec::new(),
            spare: Vec::new(),
            layout: Layout::default(),
            patch: Patch::default(),
            patched: false,
            external: external_labels,
            external_fields,
            external_at,
            ts: 0,
            sample_tail: Vec::new(),
            value_tail: [0; 32],
            head: [0; 3],
            max_series: max_series.max(1),
            in_request: 0,
            names: Vec::new(),
            name_at: [(0, 0); 3],
            own: Vec::new(),
            own_ends: Vec::new(),
            plan_names: Vec::new(),
            plain: Plan::default(),
            extra: Plan::default(),
            segments: Vec::new(),
            split_at: [(0, 0); 2],
            extra_name: "",
            extras: Vec::new(),
            extra_fields: Vec::new(),
            scratch: Vec::new(),
            num: Vec::new(),
            exemplars: Vec::new(),
            snappy: snap::raw::Encoder::new(),
            compressed: Vec::new(),
        }
    }

    /// The snappy-compressed request bodies of the registry's current state, every sample
    /// stamped with `timestamp_ms`.
    ///
    /// When the registry holds the same families and series as at the last push (same labels,
    /// in the same order, no exemplar then or now), the last push's requests are kept and only
    /// their values and timestamps rewritten; otherwise every byte is written anew.
    pub fn encode(&mut self, registry: &Registry, timestamp_ms: i64) -> Result<Vec<Bytes>, snap::Error> {
        self.ts = timestamp_ms;
        self.sample_tail.clear();
        prost::encoding::int64::encode(2, &timestamp_ms, &mut self.sample_tail);
        let ts_len = self.sample_tail.len() - 1;
        let tail = self.sample_tail.len();
        self.value_tail[0] = tail as u8;
        self.head = [key(2), (9 + tail) as u8, (1 << 3) | prost::encoding::WireType::SixtyFourBit as u8];
        self.value_tail[1..1 + tail].copy_from_slice(&self.sample_tail);
        if self.layout.valid && self.layout.ts_len == ts_len {
            self.patch = Patch { active: true, ok: true, ..Patch::default() };
            registry.visit(self);
            let p = std::mem::take(&mut self.patch);
            if p.ok && p.family == self.layout.families.len() && p.sample == self.layout.samples.len() {
                self.patched = true;
                return self.compress();
            }
        }
        self.patched = false;
        self.reset();
        self.layout.ts_len = ts_len;
        // The last push's buffers are reused, the current one from the largest: no growing.
        // Their old bytes stay, as room to write over (see `room`): not zeroed again.
        let current = std::mem::take(&mut self.buf);
        self.spare.push(current);
        self.spare.append(&mut self.raw);
        self.spare.sort_by_key(Vec::len);
        self.buf = self.spare.pop().unwrap_or_default();
        self.pos = 0;
        self.in_request = 0;
        self.plain.valid = false;
        self.extra.valid = false;
        registry.visit(self);
        self.cut();
        self.layout.valid = true;
        self.compress()
    }

    /// Forgets the last push's layout: the next [`encode`](Self::encode) writes every byte, as
    /// after a change of the registry's series. (What the benchmarks use to measure that case.)
    pub fn reset(&mut self) {
        let l = &mut self.layout;
        l.valid = false;
        l.families.clear();
        l.family_sig.clear();
        l.samples.clear();
        l.sig.clear();
        l.values.clear();
    }

    /// The current request is complete: it joins the push's requests.
    fn cut(&mut self) {
        if self.pos == 0 {
            return;
        }
        self.buf.truncate(self.pos);
        let next = self.spare.pop().unwrap_or_default();
        self.raw.push(std::mem::replace(&mut self.buf, next));
        self.pos = 0;
        self.in_request = 0;
    }

    /// Makes sure `buf` has `n` bytes of room past `pos`.
    #[inline]
    fn room(&mut self, n: usize) {
        if self.pos + n > self.buf.len() {
            grow(&mut self.buf, self.pos + n);
        }
    }

    /// The push's requests, compressed.
    fn compress(&mut self) -> Result<Vec<Bytes>, snap::Error> {
        let mut bodies = Vec::with_capacity(self.raw.len());
        for raw in &self.raw {
            let max = snap::raw::max_compress_len(raw.len());
            if self.compressed.len() < max {
                self.compressed.resize(max, 0);
            }
            let n = self.snappy.compress(raw, &mut self.compressed)?;
            bodies.push(Bytes::copy_from_slice(&self.compressed[..n]));
        }
        Ok(bodies)
    }

    /// Appends what a sample's value puts in its series' labels beyond the sample's own: a
    /// summary's quantiles (0xFE, which UTF-8 never holds either, then each quantile's bits). A
    /// histogram's bounds need no place here: they are fixed for a family.
    fn value_signature(sig: &mut Vec<u8>, value: &SampleValue<'_>) {
        if let SampleValue::Summary(s) = value {
            sig.push(0xFE);
            for &(q, _) in s.quantiles {
                sig.extend_from_slice(&q.to_bits().to_le_bytes());
            }
        }
    }

    /// Appends the signature of what `desc` makes of the family's metadata and series names to
    /// `sig`.
    fn family_signature(sig: &mut Vec<u8>, desc: &Descriptor) {
        let (base, suffix) = desc.prometheus_name();
        for text in [base, suffix, desc.help, desc.unit] {
            sig.extend_from_slice(text.as_bytes());
            sig.push(0xFF);
        }
        sig.push(metric_type(desc.kind) as u8);
    }

    /// Patching: the next family must be the one the last push had at this point.
    fn patch_family(&mut self, desc: &Descriptor) {
        let l = &self.layout;
        let f = self.patch.family;
        self.patch.family += 1;
        let same = l.families.get(f).is_some_and(|&(end, first)| {
            let start = if f == 0 { 0 } else { l.families[f - 1].0 };
            let mut sig = std::mem::take(&mut self.scratch);
            sig.clear();
            Self::family_signature(&mut sig, desc);
            let same = first == self.patch.sample && l.family_sig.get(start..end) == Some(sig.as_slice());
            self.scratch = sig;
            same
        });
        self.patch.ok &= same;
    }

    /// Patching: the next sample must be the one the last push had at this point; its values
    /// (and the timestamp) are written over the old ones.
    fn patch_sample(&mut self, labels: &SampleLabels<'_>, value: SampleValue<'_>, ex: Option<&Exemplars<'_>>) {
        if !self.patch.ok {
            return;
        }
        let k = self.patch.sample;
        self.patch.sample += 1;
        let l = &self.layout;
        let Some(&(sig_end, values_end, had_exemplars)) = l.samples.get(k) else {
            self.patch.ok = false;
            return;
        };
        let (sig_start, values_start) = if k == 0 { (0, 0) } else { (l.samples[k - 1].0, l.samples[k - 1].1) };
        // The same labels: compared piece by piece, without copying them.
        let mut old = l.sig.get(sig_start..sig_end).unwrap_or_default();
        let mut same = true;
        for (n, v) in labels.iter() {
            for text in [n, v] {
                match old.strip_prefix(text.as_bytes()).and_then(|r| r.strip_prefix(&[0xFF])) {
                    Some(rest) => old = rest,
                    None => same = false,
                }
            }
        }
        // The same quantiles (a collector may change them while keeping their number).
        if let SampleValue::Summary(s) = &value {
            match old.strip_prefix(&[0xFE]) {
                Some(rest) => old = rest,
                None => same = false,
            }
            for &(q, _) in s.quantiles {
                match old.strip_prefix(&q.to_bits().to_le_bytes()) {
                    Some(rest) => old = rest,
                    None => same = false,
                }
            }
        }
        let has_exemplars = ex.is_some_and(|e| match value {
            SampleValue::Counter { .. } => e.counter().is_some(),
            SampleValue::Histogram(h) => (0..=h.bounds().len()).any(|i| e.bucket(i).is_some()),
            _ => false,
        });
        if !same || !old.is_empty() || had_exemplars || has_exemplars {
            self.patch.ok = false;
            return;
        }
        self.patch.value = values_start;
        match value {
            SampleValue::Counter { value, .. } | SampleValue::Gauge(value) => self.put(value.as_f64(), values_end),
            SampleValue::Info => self.put(1.0, values_end),
            SampleValue::Histogram(h) => {
                let count = h.for_each_bucket(|_, _, c| self.put(c as f64, values_end));
                self.put(h.sum, values_end);
                self.put(count as f64, values_end);
            }
            SampleValue::Summary(s) => {
                for &(_, v) in s.quantiles {
                    self.put(v, values_end);
                }
                self.put(s.sum, values_end);
                self.put(s.count as f64, values_end);
            }
        }
        self.patch.ok &= self.patch.value == values_end;
    }

    /// Patching: writes the next series' value and timestamp over the old ones.
    #[inline]
    fn put(&mut self, value: f64, end: usize) {
        let i = self.patch.value;
        self.patch.value += 1;
        let slot = if i < end { self.layout.values.get(i) } else { None };
        let ts = self.sample_tail.get(1..).unwrap_or_default();
        let written = slot.and_then(|&(r, at)| {
            let raw = self.raw.get_mut(r)?;
            raw.get_mut(at..at + 8)?.copy_from_slice(&value.to_le_bytes());
            // The sample: the value's 8 bytes, the timestamp's key, the timestamp (6 bytes for
            // every time in milliseconds from 1971 to 2109: copied as a constant length).
            let dst = raw.get_mut(at + 9..at + 9 + ts.len())?;
            match (<&mut [u8; 6]>::try_from(&mut *dst), <&[u8; 6]>::try_from(ts)) {
                (Ok(d), Ok(t)) => *d = *t,
                _ => dst.copy_from_slice(ts),
            }
            Some(())
        });
        self.patch.ok &= written.is_some();
    }

    /// Encodes the sample's own labels (and their signature, for the next push), remakes the
    /// plans if its label names differ from the last sample's, and lays out its segments:
    /// the plain ones, and with `extra` the ones split around that label too.
    fn start_sample(&mut self, labels: &SampleLabels<'_>, extra: Option<&'static str>) {
        self.own.clear();
        self.own_ends.clear();
        let sig = &mut self.layout.sig;
        let mut same = labels.len() == self.plan_names.len();
        for (i, (n, v)) in labels.iter().enumerate() {
            label_field(&mut self.own, n, v);
            self.own_ends.push(self.own.len());
            same = same && self.plan_names.get(i).is_some_and(|p| std::ptr::eq(*p, n) || *p == n);
            // The signature: names and values, each followed by 0xFF, which UTF-8 never holds.
            sig.extend_from_slice(n.as_bytes());
            sig.push(0xFF);
            sig.extend_from_slice(v.as_bytes());
            sig.push(0xFF);
        }
        if !same {
            self.plan_names.clear();
            self.plan_names.extend(labels.iter().map(|(n, _)| n));
            self.plain.valid = false;
            self.extra.valid = false;
        }
        self.own.extend_from_slice(&PAD);
        self.make_plan(None, false);
        if extra.is_none() {
            return;
        }
        self.make_plan(extra, true);
        // Every label and `__name__`, with the copies' slack.
        let room = self.own.len() + self.external_fields.len() + self.names.len() + 3 + 64;
        if self.segments.len() < room {
            self.segments.resize(room, 0);
        }
        let pieces = Pieces {
            own: &self.own,
            own_ends: &self.own_ends,
            external: &self.external_fields,
            external_at: &self.external_at,
            head: self.head,
        };
        let name = (&self.names[..], self.name_at[0]);
        pieces.lay_out(&mut self.segments, 0, &self.extra, name, &mut self.split_at);
    }

    /// Makes `plan` for the current label names with `extra`: `__name__`, the own labels,
    /// `extra`, and the external labels neither has, sorted by name.
    fn make_plan(&mut self, extra: Option<&'static str>, with_extra: bool) {
        let names = &self.plan_names;
        let external = &self.external;
        let plan = if with_extra { &mut self.extra } else { &mut self.plain };
        if plan.valid && plan.extra == extra {
            return;
        }
        let mut parts: Vec<(&str, Part)> = vec![("__name__", Part::Name)];
        parts.extend(names.iter().enumerate().map(|(i, n)| (*n, Part::Own(i))));
        parts.extend(extra.map(|e| (e, Part::Extra)));
        plan.external_len = 0;
        for (j, (n, _)) in external.iter().enumerate() {
            if !parts.iter().any(|(p, _)| p == n) {
                parts.push((n, Part::External(j)));
                plan.external_len += self.external_at[j].1;
            }
        }
        parts.sort_by(|a, b| a.0.cmp(b.0));
        plan.parts.clear();
        plan.parts.extend(parts.into_iter().map(|(_, p)| p));
        plan.extra = extra;
        plan.valid = true;
    }

    /// Cuts the request if it is full, and counts one more series in it.
    #[inline]
    fn next_series(&mut self) {
        if self.in_request == self.max_series {
            self.cut();
        }
        self.in_request += 1;
    }

    /// Appends one `timeseries` field to the request without an extra label, straight from
    /// its pieces in the plan's order: the `__name__` field `self.names[name]`, the sample's
    /// own label fields, the external ones; then the value and `self.exemplars`.
    #[inline(always)]
    fn plain_series(&mut self, name: usize, value: f64) {
        self.next_series();
        let name = self.name_at[name];
        let own = self.own_ends.last().copied().unwrap_or(0);
        let tail = self.sample_tail.len();
        let exemplars = self.exemplars.len();
        let len = name.1 + own + self.plain.external_len + 3 + 8 + tail + exemplars;
        // The key, the length, the slack of the block copies.
        self.room(len + 16 + 64);
        let out = &mut self.buf[..];
        let mut at = header(out, self.pos, len);
        for part in &self.plain.parts {
            at = match *part {
                Part::Name => copy(out, at, &self.names, name),
                Part::Own(i) => {
                    let from = if i == 0 { 0 } else { self.own_ends[i - 1] };
                    copy(out, at, &self.own, (from, self.own_ends[i] - from))
                }
                Part::External(j) => copy(out, at, &self.external_fields, self.external_at[j]),
                Part::Extra => at,
            };
        }
        out[at..][..3].copy_from_slice(&self.head);
        at += 3;
        self.layout.values.push((self.raw.len(), at));
        at = put_value(out, at, &self.value_tail, value);
        if exemplars > 0 {
            out[at..at + exemplars].copy_from_slice(&self.exemplars);
            at += exemplars;
        }
        self.pos = at;
    }

    /// Appends one `timeseries` field to the request with an extra label: the current
    /// sample's split segments with the extra label field at `extra` of `extra_fields` between
    /// them.
    #[inline(always)]
    fn split_series(&mut self, extra: (usize, usize), value: f64) {
        self.next_series();
        let [before, after] = self.split_at;
        let pieces = [(&self.segments[..], before), (&self.extra_fields[..], extra), (&self.segments[..], after)];
        self.pos = put_series(
            &mut self.buf,
            self.pos,
            pieces,
            &self.value_tail,
            value,
            &self.exemplars,
            &mut self.layout.values,
            self.raw.len(),
        );
    }

    /// Sets `self.names` to the `__name__` fields of `base` + each suffix.
    fn set_names(&mut self, base: &str, suffixes: [&str; 3]) {
        let f = &mut self.names;
        f.clear();
        for (i, suffix) in suffixes.into_iter().enumerate() {
            let start = f.len();
            let len = base.len() + suffix.len();
            f.push(key(1));
            varint(field_len("__name__".len()) + field_len(len), f);
            f.push(key(1));
            varint("__name__".len(), f);
            f.extend_from_slice(b"__name__");
            f.push(key(2));
            varint(len, f);
            f.extend_from_slice(base.as_bytes());
            f.extend_from_slice(suffix.as_bytes());
            self.name_at[i] = (start, f.len() - start);
        }
        f.extend_from_slice(&PAD);
    }

    /// Where the `name` label field of bound `i`, `bound`, is in `extra_fields`: formatted once
    /// per family.
    #[inline]
    fn extra_field(&mut self, i: usize, name: &'static str, bound: f64) -> (usize, usize) {
        match self.extras.get(i) {
            Some(&(bits, at, len))
                if bits == bound.to_bits() && (std::ptr::eq(self.extra_name, name) || self.extra_name == name) =>
            {
                (at, len)
            }
            _ => self.new_extra_field(i, name, bound),
        }
    }

    #[cold]
    fn new_extra_field(&mut self, i: usize, name: &'static str, bound: f64) -> (usize, usize) {
        if self.extra_name != name {
            self.extras.clear();
            self.extra_name = name;
        }
        self.extras.truncate(i);
        let start = self.extras.last().map_or(0, |&(_, at, len)| at + len);
        self.extra_fields.truncate(start);
        self.num.clear();
        write_prometheus_float(&mut self.num, bound);
        label_field(&mut self.extra_fields, name, std::str::from_utf8(&self.num).unwrap_or(""));
        let field = (start, self.extra_fields.len() - start);
        self.extra_fields.extend_from_slice(&PAD);
        self.extras.push((bound.to_bits(), field.0, field.1));
        field
    }

    /// Writes the `_bucket` series of the current sample, `h`, without exemplars, all in the
    /// current request: every piece is at hand before the first, so the loop is only copies.
    /// Returns the count.
    fn buckets(&mut self, h: &HistogramData<'_>) -> u64 {
        let bounds = h.bounds();
        let n = bounds.len() + 1;
        // The family's `le` fields, as the last sample left them if its bounds were the same.
        let same = self.extra_name == "le"
            && self.extras.len() == n
            && self.extras.iter().zip(bounds.iter().chain([&f64::INFINITY])).all(|(e, b)| e.0 == b.to_bits());
        if !same {
            for i in 0..n {
                self.extra_field(i, "le", bounds.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        let widest = self.extras[..n].iter().map(|e| e.2).max().unwrap_or(0);
        let [before, after] = self.split_at;
        let tail = self.sample_tail.len();
        let fixed = before.1 + after.1 + 8 + tail;
        // Each series: its key and length, its bytes, and the slack of the copies.
        self.room(n * (fixed + widest + 16) + 64);
        self.in_request += n;
        self.exemplars.clear();
        let out = &mut self.buf[..];
        let (segments, fields, extras) = (&self.segments[..], &self.extra_fields[..], &self.extras[..n]);
        let values = &mut self.layout.values;
        values.reserve(n);
        let request = self.raw.len();
        let value_tail = &self.value_tail;
        let mut at = self.pos;
        let count = h.for_each_bucket(|i, _, c| {
            let (_, from, len) = extras[i];
            at = header(out, at, fixed + len);
            at = copy(out, at, segments, before);
            at = copy(out, at, fields, (from, len));
            at = copy(out, at, segments, after);
            values.push((request, at));
            at = put_value(out, at, value_tail, c as f64);
        });
        self.pos = at;
        count
    }

    /// Sets `self.exemplars` to the `exemplars` field of `ex` (empty for none).
    fn set_exemplar(&mut self, ex: Option<&Exemplar>) {
        use prost::encoding::encoded_len_varint;
        self.exemplars.clear();
        let Some(ex) = ex else { return };
        self.patch.exemplars = true;
        self.scratch.clear();
        for (n, v) in ex.labels() {
            label_field(&mut self.scratch, n, v);
        }
        let ms = exemplar_ms(ex);
        let len = self.scratch.len() + 9 + 1 + encoded_len_varint(ms as u64);
        let e = &mut self.exemplars;
        e.push(key(3));
        varint(len, e);
        e.extend_from_slice(&self.scratch);
        prost::encoding::double::encode(2, &ex.value(), e);
        prost::encoding::int64::encode(3, &ms, e);
    }

    fn histogram(&mut self, labels: &SampleLabels<'_>, h: &HistogramData<'_>, ex: Option<&Exemplars<'_>>) {
        self.start_sample(labels, Some("le"));
        let bounds = h.bounds();
        let n = bounds.len() + 1;
        let exemplars = ex.is_some_and(|e| (0..n).any(|i| e.bucket(i).is_some()));
        if !exemplars && self.in_request + n <= self.max_series {
            let count = self.buckets(h);
            self.plain_series(1, h.sum);
            self.plain_series(2, count as f64);
            return;
        }
        let count = h.for_each_bucket(|i, le, c| {
            let field = self.extra_field(i, "le", le);
            match ex {
                Some(e) => self.set_exemplar(e.bucket(i)),
                None => self.exemplars.clear(),
            }
            self.split_series(field, c as f64);
        });
        self.exemplars.clear();
        self.plain_series(1, h.sum);
        self.plain_series(2, count as f64);
    }
}

/// What a series' labels are made of: the sample's own label fields (each ending at its
/// `own_ends`), the external label fields, and the head of the `Sample`; the fields are padded
/// for [`copy`].
struct Pieces<'a> {
    own: &'a [u8],
    own_ends: &'a [usize],
    external: &'a [u8],
    external_at: &'a [(usize, usize)],
    head: [u8; 3],
}

impl Pieces<'_> {
    /// Writes at `out[pos..]` the labels of `plan` (one with an extra label) in its order,
    /// `__name__` from `name` (the field in its padded buffer), and the head; sets `at` to the
    /// two segments they make, before and after the extra label. Returns where they end; `out`
    /// has room for them and 64 bytes more.
    fn lay_out(
        &self,
        out: &mut [u8],
        pos: usize,
        plan: &Plan,
        (names, name): (&[u8], (usize, usize)),
        at: &mut [(usize, usize); 2],
    ) -> usize {
        let mut start = pos;
        let mut end = pos;
        for part in &plan.parts {
            match *part {
                Part::Name => end = copy(out, end, names, name),
                Part::Extra => {
                    at[0] = (start, end - start);
                    start = end;
                }
                Part::Own(i) => {
                    let from = if i == 0 { 0 } else { self.own_ends[i - 1] };
                    end = copy(out, end, self.own, (from, self.own_ends[i] - from));
                }
                Part::External(j) => end = copy(out, end, self.external, self.external_at[j]),
            }
        }
        out[end..end + 3].copy_from_slice(&self.head);
        end += 3;
        at[1] = (start, end - start);
        end
    }
}

/// Appends one `timeseries` field at `buf[at..]`: the `pieces` (label fields, the last ending
/// with the head of the `Sample`), the value and the timestamp (`value_tail`), and
/// `exemplars`; records where the value went in `values` (request `request`) and returns
/// where the series ends. `buf` has room for it and 64 bytes more (see [`Encoder::room`]).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn put_series(
    buf: &mut Vec<u8>,
    at: usize,
    pieces: [(&[u8], (usize, usize)); 3],
    value_tail: &[u8; 32],
    value: f64,
    exemplars: &[u8],
    values: &mut Vec<(usize, usize)>,
    request: usize,
) -> usize {
    let tail = value_tail[0] as usize;
    let len = pieces[0].1.1 + pieces[1].1.1 + pieces[2].1.1 + 8 + tail + exemplars.len();
    // The key, the length, the slack of the block copies.
    if at + len + 16 + 64 > buf.len() {
        grow(buf, at + len + 16 + 64);
    }
    // A local slice: its pointer and length stay in registers across the writes.
    let out = &mut buf[..];
    let mut at = header(out, at, len);
    for (src, piece) in pieces {
        at = copy(out, at, src, piece);
    }
    values.push((request, at));
    at = put_value(out, at, value_tail, value);
    if !exemplars.is_empty() {
        out[at..at + exemplars.len()].copy_from_slice(exemplars);
        at += exemplars.len();
    }
    at
}

/// Writes the key and length of a `timeseries` field of `len` bytes at `out[at..]`; returns
/// where its bytes go.
#[inline(always)]
fn header(out: &mut [u8], at: usize, len: usize) -> usize {
    if len < 0x80 {
        out[at..][..2].copy_from_slice(&[key(1), len as u8]);
        return at + 2;
    }
    out[at] = key(1);
    // prost's encoder, as in `varint`, on the rest of the slice (which it advances).
    let mut rest = &mut out[at + 1..];
    let room = rest.len();
    prost::encoding::encode_varint(len as u64, &mut rest);
    at + 1 + room - rest.len()
}

/// Writes `value` and the timestamp field that follows it (`value_tail`: its length, then its
/// bytes) at `out[at..]`, which has 32 bytes of room; returns where they end.
#[inline(always)]
fn put_value(out: &mut [u8], at: usize, value_tail: &[u8; 32], value: f64) -> usize {
    let mut block = [0u8; 32];
    block[..8].copy_from_slice(&value.to_le_bytes());
    block[8..].copy_from_slice(&value_tail[1..25]);
    out[at..][..32].copy_from_slice(&block);
    at + 8 + value_tail[0] as usize
}

/// Makes `buf` at least `len` long: a few KiB more than asked, since a reused buffer has about
/// the room it needs already, and a new one grows its capacity by doubling.
#[cold]
fn grow(buf: &mut Vec<u8>, len: usize) {
    buf.resize(len + 4096, 0);
}

/// Copies `src[from..from + len]` to `buf[at..]` and returns where it ends, in blocks of 64
/// bytes, which compile to a few moves where a call to `memcpy` would cost more than the copy
/// of a label: so `src` holds 63 bytes past the piece (the pieces are kept padded) and `buf`
/// has 64 bytes of room past it (the bytes past the end are written over by what follows, or
/// cut off with [`Encoder::cut`]).
#[inline(always)]
fn copy(buf: &mut [u8], at: usize, src: &[u8], (from, len): (usize, usize)) -> usize {
    if len <= 64 {
        buf[at..][..64].copy_from_slice(&src[from..][..64]);
    } else {
        let mut i = 0;
        while i < len {
            buf[at + i..][..64].copy_from_slice(&src[from + i..][..64]);
            i += 64;
        }
    }
    at + len
}

/// An exemplar's time in milliseconds since the Unix epoch.
fn exemplar_ms(ex: &Exemplar) -> i64 {
    (ex.timestamp() * 1000.0).round() as i64
}

impl SampleVisitor for Encoder {
    fn begin_family(&mut self, desc: &Descriptor) {
        use prost::encoding::{WireType, encode_key, encode_varint};
        if self.patch.active {
            self.patch_family(desc);
            return;
        }
        let first = self.layout.samples.len();
        Self::family_signature(&mut self.layout.family_sig, desc);
        self.layout.families.push((self.layout.family_sig.len(), first));
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
        let field = &mut self.scratch;
        field.clear();
        encode_key(3, WireType::LengthDelimited, field);
        encode_varint(prost::Message::encoded_len(&m) as u64, field);
        // Writing into a Vec cannot run out of room.
        let _ = prost::Message::encode(&m, field);
        let len = field.len();
        self.room(len);
        self.buf[self.pos..self.pos + len].copy_from_slice(&self.scratch);
        self.pos += len;
        let name = match desc.kind {
            MetricKind::Histogram => "_bucket",
            MetricKind::Summary => "",
            _ => suffix,
        };
        self.set_names(base, [name, "_sum", "_count"]);
    }

    fn sample(&mut self, desc: &Descriptor, labels: &SampleLabels<'_>, value: SampleValue<'_>) {
        let _ = desc;
        if self.patch.active {
            self.patch_sample(labels, value, None);
        } else {
            self.visit_sample(labels, value, None);
        }
    }

    fn sample_with_exemplars(
        &mut self,
        desc: &Descriptor,
        labels: &SampleLabels<'_>,
        value: SampleValue<'_>,
        exemplars: &Exemplars<'_>,
    ) {
        let _ = desc;
        if self.patch.active {
            self.patch_sample(labels, value, Some(exemplars));
        } else {
            self.visit_sample(labels, value, Some(exemplars));
        }
    }
}

impl Encoder {
    /// Writes a sample's series, and records where they went.
    fn visit_sample(&mut self, labels: &SampleLabels<'_>, value: SampleValue<'_>, ex: Option<&Exemplars<'_>>) {
        self.patch.exemplars = false;
        // Writes the labels' signature.
        self.write_sample(labels, value, ex);
        Self::value_signature(&mut self.layout.sig, &value);
        let l = &mut self.layout;
        l.samples.push((l.sig.len(), l.values.len(), self.patch.exemplars));
    }

    fn write_sample(&mut self, labels: &SampleLabels<'_>, value: SampleValue<'_>, ex: Option<&Exemplars<'_>>) {
        match value {
            SampleValue::Counter { value, .. } => {
                self.start_sample(labels, None);
                self.set_exemplar(ex.and_then(|e| e.counter()));
                self.plain_series(0, value.as_f64());
            }
            SampleValue::Gauge(value) => {
                self.start_sample(labels, None);
                self.exemplars.clear();
                self.plain_series(0, value.as_f64());
            }
            SampleValue::Info => {
                self.start_sample(labels, None);
                self.exemplars.clear();
                self.plain_series(0, 1.0);
            }
            SampleValue::Histogram(h) => self.histogram(labels, &h, ex),
            SampleValue::Summary(s) => {
                self.start_sample(labels, Some("quantile"));
                self.exemplars.clear();
                for (i, &(q, v)) in s.quantiles.iter().enumerate() {
                    let field = self.extra_field(i, "quantile", q);
                    self.split_series(field, v);
                }
                self.plain_series(1, s.sum);
                self.plain_series(2, s.count as f64);
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

    fn push(
        &mut self,
        name: String,
        labels: &SampleLabels<'_>,
        extra: Option<(&str, String)>,
        value: f64,
        exemplar: Option<&Exemplar>,
    ) {
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
        let exemplars = exemplar
            .map(|e| proto::Exemplar {
                labels: e.labels().iter().map(|(n, v)| Label { name: (*n).into(), value: v.clone() }).collect(),
                value: e.value(),
                timestamp: exemplar_ms(e),
            })
            .into_iter()
            .collect();
        self.req.timeseries.push(TimeSeries {
            labels: l,
            samples: vec![Sample { value, timestamp: self.ts }],
            exemplars,
        });
    }

    fn add(
        &mut self,
        desc: &Descriptor,
        labels: &SampleLabels<'_>,
        value: SampleValue<'_>,
        ex: Option<&Exemplars<'_>>,
    ) {
        let (base, suffix) = desc.prometheus_name();
        match value {
            SampleValue::Counter { value, .. } => {
                self.push(format!("{base}{suffix}"), labels, None, value.as_f64(), ex.and_then(|e| e.counter()))
            }
            SampleValue::Gauge(value) => self.push(format!("{base}{suffix}"), labels, None, value.as_f64(), None),
            SampleValue::Info => self.push(format!("{base}{suffix}"), labels, None, 1.0, None),
            SampleValue::Histogram(h) => {
                let mut buckets = Vec::new();
                let count = h.for_each_bucket(|i, le, c| buckets.push((i, le, c)));
                for (i, le, c) in buckets {
                    let le = self.float_label(le);
                    let e = ex.and_then(|e| e.bucket(i));
                    self.push(format!("{base}_bucket"), labels, Some(("le", le)), c as f64, e);
                }
                self.push(format!("{base}_sum"), labels, None, h.sum, None);
                self.push(format!("{base}_count"), labels, None, count as f64, None);
            }
            SampleValue::Summary(s) => {
                for &(q, v) in s.quantiles {
                    let q = self.float_label(q);
                    self.push(base.into(), labels, Some(("quantile", q)), v, None);
                }
                self.push(format!("{base}_sum"), labels, None, s.sum, None);
                self.push(format!("{base}_count"), labels, None, s.count as f64, None);
            }
        }
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
        self.add(desc, labels, value, None);
    }

    fn sample_with_exemplars(
        &mut self,
        desc: &Descriptor,
        labels: &SampleLabels<'_>,
        value: SampleValue<'_>,
        exemplars: &Exemplars<'_>,
    ) {
        self.add(desc, labels, value, Some(exemplars));
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

    #[derive(LabelSet)]
    struct Trace {
        trace_id: String,
    }

    #[derive(LabelSet)]
    struct Two {
        zone: String,
        code: u16,
    }

    #[derive(Metrics)]
    struct Varied {
        /// Requests.
        requests: Family<Two, Counter>,
        /// Jobs.
        jobs: Counter,
        /// Latency.
        #[metric(buckets = [0.5, 1.0])]
        latency: Family<L, Histogram>,
        /// Pause.
        #[metric(quantiles = [0.5, 0.9])]
        pause: Summary,
    }

    /// Exemplars go with their series: a counter's with it, a histogram bucket's with the
    /// `_bucket` series of that bound; timestamps in milliseconds.
    #[test]
    fn exemplars_go_with_their_series() {
        let ms = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or_default()
        };
        let before = ms();
        let m = Arc::new(Varied::default());
        m.jobs.inc_by_with_exemplar(2, &Trace { trace_id: "abc".into() });
        let h = m.latency.get_or_create(&L { zone: "a".into() });
        h.observe_with_exemplar(0.7, &Trace { trace_id: "def".into() });
        h.observe(0.2);
        m.pause.observe(1.0);
        let r = Registry::new();
        assert_eq!(r.register_arc(m), Ok(()));
        let req = super::write_request(&r, &[], 7);
        let with: Vec<(String, String, f64)> = req
            .timeseries
            .iter()
            .flat_map(|s| {
                let name: Vec<String> = s.labels.iter().filter(|l| l.name != "zone").map(|l| l.value.clone()).collect();
                s.exemplars.iter().map(move |e| {
                    let labels: Vec<String> = e.labels.iter().map(|l| format!("{}={}", l.name, l.value)).collect();
                    (name.join(" "), labels.join(","), e.value)
                })
            })
            .collect();
        assert_eq!(
            with,
            [
                ("jobs_total".into(), "trace_id=abc".into(), 2.0),
                ("latency_bucket 1".into(), "trace_id=def".into(), 0.7)
            ]
        );
        // Rounded to the nearest millisecond, from a clock that may lag one kernel tick (at most
        // 10 ms; see `Exemplar::timestamp`).
        let during = before - 11..=ms() + 1;
        let ts: Vec<i64> = req.timeseries.iter().flat_map(|s| &s.exemplars).map(|e| e.timestamp).collect();
        assert!(ts.iter().all(|t| during.contains(t)), "{ts:?} not in {during:?}");
        // The one-pass encoder writes the same.
        let bodies = super::encode_registry(&r, &[], 7, usize::MAX).unwrap_or_default();
        assert_eq!(decode_all(&bodies), [req]);
    }

    /// The encoder keeps its buffers and label layouts from one push to the next, and patches
    /// the last push's values when the series are the same: each push still writes exactly
    /// that state's messages, as series, label sets, exemplars and timestamps come and go.
    #[test]
    fn the_encoder_writes_each_push_as_its_messages() {
        let m = Arc::new(Varied::default());
        let r = Registry::new();
        assert_eq!(r.register_arc(m.clone()), Ok(()));
        let ext = vec![("code".to_owned(), "x".to_owned()), ("a".to_owned(), "first".to_owned())];
        let mut encoder = super::Encoder::new(ext.clone(), 5);
        // An empty summary's quantiles are NaN, which no `==` would match.
        m.pause.observe(3.0);
        let two = |zone: &str, code| Two { zone: zone.into(), code };
        // (timestamp, whether the push may patch the last one's bytes)
        let rounds: [(i64, bool); 10] = [
            (1000, false),
            (1001, false),
            (1002, true),
            (1003, true),
            (100_000, false),
            (100_001, false),
            (100_002, true),
            (100_003, false),
            (100_004, false),
            (100_005, false),
        ];
        for (round, (ts, patched)) in rounds.into_iter().enumerate() {
            match round {
                // The first push.
                0 => {}
                1 => {
                    m.requests.get_or_create(&two("b", 200)).inc();
                    m.requests.get_or_create(&two("a-much-longer-zone-name", 503)).inc_by(9);
                    m.latency.get_or_create(&L { zone: "q".into() }).observe(0.9);
                }
                // Values only.
                2 => {
                    m.requests.get_or_create(&two("b", 200)).inc_by(200);
                    m.latency.get_or_create(&L { zone: "q".into() }).observe(0.1);
                    m.pause.observe(1e9);
                }
                3 => m.jobs.inc(),
                // Values only, but the timestamp is longer.
                4 => m.jobs.inc(),
                5 => {
                    m.requests.remove(&two("b", 200));
                }
                6 => m.requests.get_or_create(&two("a-much-longer-zone-name", 503)).inc(),
                7 => m.jobs.inc_with_exemplar(&Trace { trace_id: "t1".into() }),
                8 => m
                    .latency
                    .get_or_create(&L { zone: "r".into() })
                    .observe_with_exemplar(5.0, &Trace { trace_id: "t2".into() }),
                _ => m.requests.clear(),
            }
            let want = super::write_request(&r, &ext, ts);
            let parts = decode_all(&encoder.encode(&r, ts).unwrap_or_default());
            assert_eq!(encoder.patched, patched, "round {round}");
            assert!(parts.iter().all(|p| p.timeseries.len() <= 5));
            let series: Vec<_> = parts.iter().flat_map(|p| p.timeseries.clone()).collect();
            let meta: Vec<_> = parts.iter().flat_map(|p| p.metadata.clone()).collect();
            assert_eq!((series, meta), (want.timeseries, want.metadata), "round {round}");
        }
    }

    /// A collector whose families change under the same series count is not patched.
    #[test]
    fn the_same_series_under_other_families_are_written_anew() {
        struct Swap(std::sync::atomic::AtomicBool);
        static A: metrics_core::Descriptor = metrics_core::Descriptor::new("a", "A.", metrics_core::MetricKind::Gauge);
        static B: metrics_core::Descriptor = metrics_core::Descriptor::new("b", "B.", metrics_core::MetricKind::Gauge);
        impl metrics_core::Collector for Swap {
            fn describe(&self, f: &mut dyn FnMut(&metrics_core::Descriptor)) {
                f(&A);
                f(&B);
            }
            fn collect<E: metrics_core::Encoder>(&self, e: &mut E) {
                let swapped = self.0.load(std::sync::atomic::Ordering::Relaxed);
                // Two series in `a` and none in `b`, or one in each.
                e.begin_family(&A);
                e.sample(&A, &(), metrics_core::SampleValue::Gauge(1.into()));
                if !swapped {
                    e.sample(&A, &(), metrics_core::SampleValue::Gauge(2.into()));
                }
                e.end_family(&A);
                e.begin_family(&B);
                if swapped {
                    e.sample(&B, &(), metrics_core::SampleValue::Gauge(2.into()));
                }
                e.end_family(&B);
            }
        }
        let swap = Arc::new(Swap(false.into()));
        let r = Registry::new();
        assert_eq!(r.register_arc(swap.clone()), Ok(()));
        let mut encoder = super::Encoder::new(vec![], 100);
        for swapped in [false, true] {
            swap.0.store(swapped, std::sync::atomic::Ordering::Relaxed);
            let got = decode_all(&encoder.encode(&r, 1).unwrap_or_default());
            assert_eq!(got, [super::write_request(&r, &[], 1)]);
            assert!(!encoder.patched);
        }
    }

    /// A collector's summary whose quantiles change while their number stays is written anew,
    /// never patched under the old `quantile` labels.
    #[test]
    fn changed_quantiles_are_written_anew() {
        struct Quantiles(std::sync::atomic::AtomicBool);
        static S: metrics_core::Descriptor =
            metrics_core::Descriptor::new("s", "S.", metrics_core::MetricKind::Summary);
        impl metrics_core::Collector for Quantiles {
            fn describe(&self, f: &mut dyn FnMut(&metrics_core::Descriptor)) {
                f(&S);
            }
            fn collect<E: metrics_core::Encoder>(&self, e: &mut E) {
                let q = if self.0.load(std::sync::atomic::Ordering::Relaxed) { 0.99 } else { 0.9 };
                let quantiles = [(0.5, 1.0), (q, 2.0)];
                let data =
                    metrics_core::encoding::SummaryData { quantiles: &quantiles, sum: 3.0, count: 2, created: 0.0 };
                e.begin_family(&S);
                e.sample(&S, &(), metrics_core::SampleValue::Summary(data));
                e.end_family(&S);
            }
        }
        let q = Arc::new(Quantiles(false.into()));
        let r = Registry::new();
        assert_eq!(r.register_arc(q.clone()), Ok(()));
        let mut encoder = super::Encoder::new(vec![], 100);
        for (changed, patched) in [(false, false), (false, true), (true, false), (true, true)] {
            q.0.store(changed, std::sync::atomic::Ordering::Relaxed);
            let got = decode_all(&encoder.encode(&r, 1).unwrap_or_default());
            assert_eq!(got, [super::write_request(&r, &[], 1)], "changed {changed}");
            assert_eq!(encoder.patched, patched, "changed {changed}");
        }
    }

    /// Label values whose fields take two-byte lengths: written with them, patched when the
    /// same, written anew when one changes (long or short).
    #[test]
    fn long_label_values_are_compared_as_written() {
        let m = Arc::new(Varied::default());
        let r = Registry::new();
        assert_eq!(r.register_arc(m.clone()), Ok(()));
        m.pause.observe(1.0);
        let long = "z".repeat(200);
        let mut other = long.clone();
        other.replace_range(199.., "y");
        m.requests.get_or_create(&Two { zone: long.clone(), code: 200 }).inc();
        m.latency.get_or_create(&L { zone: long.clone() }).observe(0.7);
        let mut encoder = super::Encoder::new(vec![("instance".to_owned(), "i".repeat(150))], 1000);
        for (round, patched) in [false, true, false, true].into_iter().enumerate() {
            if round == 2 {
                m.requests.remove(&Two { zone: long.clone(), code: 200 });
                m.requests.get_or_create(&Two { zone: other.clone(), code: 200 }).inc();
            }
            m.jobs.inc();
            let got = decode_all(&encoder.encode(&r, 5).unwrap_or_default());
            let want = super::write_request(&r, &[("instance".to_owned(), "i".repeat(150))], 5);
            assert_eq!(got, [want], "round {round}");
            assert_eq!(encoder.patched, patched, "round {round}");
        }
    }
}
