//! Exemplars: a label set (typically a trace id) and a value, attached to a counter or to a
//! histogram bucket to link the metric to one event.

use std::sync::{Mutex, MutexGuard, PoisonError};

use once_cell::race::OnceBox;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::descriptor::Descriptor;
use crate::encoding::{Encoder, SampleValue};
use crate::labels::{EncodeLabels, LabelValue, LabelWriter, ValueSink};

/// The most UTF-8 characters an exemplar's label names and values may hold together
/// (OpenMetrics' limit).
pub const MAX_EXEMPLAR_CHARS: usize = 128;

/// Native histogram exemplars kept, the most recent ones (client_golang's default).
const NATIVE_EXEMPLARS: usize = 10;

/// One exemplar: its labels, value and when it was recorded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Exemplar {
    labels: Vec<(&'static str, String)>,
    value: f64,
    timestamp: f64,
}

impl Exemplar {
    /// The labels, in the label set's order.
    pub fn labels(&self) -> &[(&'static str, String)] {
        &self.labels
    }

    /// The value (a counter's increment, or the observation).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// When it was recorded, seconds since the Unix epoch.
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }

    /// Overwrites `self` with `labels` and `value`, reusing its strings, when the labels fit
    /// in [`MAX_EXEMPLAR_CHARS`]; returns whether they did (if not, `self` is unchanged).
    fn set<L: EncodeLabels + ?Sized>(&mut self, labels: &L, value: f64) -> bool {
        // Bytes first: a string has at most as many characters as bytes, so characters need
        // counting only when the bytes are over the limit.
        let mut count = Count { n: 0, chars: false };
        labels.encode_labels(&mut count);
        if count.n > MAX_EXEMPLAR_CHARS {
            let mut count = Count { n: 0, chars: true };
            labels.encode_labels(&mut count);
            if count.n > MAX_EXEMPLAR_CHARS {
                return false;
            }
        }
        let mut w = Collect { labels: &mut self.labels, used: 0 };
        labels.encode_labels(&mut w);
        let used = w.used;
        self.labels.truncate(used);
        self.value = value;
        self.timestamp = now();
        true
    }

    /// A new exemplar, or `None` when its labels exceed [`MAX_EXEMPLAR_CHARS`].
    fn new<L: EncodeLabels + ?Sized>(labels: &L, value: f64) -> Option<Self> {
        let mut e = Exemplar::default();
        e.set(labels, value).then_some(e)
    }
}

fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Collects labels into reused strings.
struct Collect<'a> {
    labels: &'a mut Vec<(&'static str, String)>,
    used: usize,
}

/// Counts the bytes, or the characters, of label names and values.
struct Count {
    n: usize,
    chars: bool,
}

impl ValueSink for Count {
    fn write_str(&mut self, s: &str) {
        self.n += if self.chars { s.chars().count() } else { s.len() };
    }
    fn write_u64(&mut self, v: u64) {
        self.n += itoa::Buffer::new().format(v).len();
    }
    fn write_i64(&mut self, v: i64) {
        self.n += itoa::Buffer::new().format(v).len();
    }
}

impl LabelWriter for Count {
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        self.write_str(name);
        value.write_value(self);
    }
}

struct Text<'a>(&'a mut String);

impl ValueSink for Text<'_> {
    fn write_str(&mut self, s: &str) {
        self.0.push_str(s);
    }
    fn write_u64(&mut self, v: u64) {
        self.0.push_str(itoa::Buffer::new().format(v));
    }
    fn write_i64(&mut self, v: i64) {
        self.0.push_str(itoa::Buffer::new().format(v));
    }
}

impl LabelWriter for Collect<'_> {
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        if self.used == self.labels.len() {
            self.labels.push((name, String::new()));
        }
        let slot = &mut self.labels[self.used];
        slot.0 = name;
        slot.1.clear();
        value.write_value(&mut Text(&mut slot.1));
        self.used += 1;
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl crate::Counter {
    /// Adds one and keeps `labels` (any [`LabelSet`](crate::LabelSet), such as a struct with a
    /// `trace_id` field) as the counter's exemplar, with value 1 and the current time. The
    /// increment always happens; an exemplar whose label names and values hold more than
    /// [`MAX_EXEMPLAR_CHARS`] characters together is not kept (the previous one stays), so
    /// that no broken exemplar is ever written. Exemplars show in OpenMetrics and protobuf.
    ///
    /// ```
    /// use metrics_core::{Counter, Format, LabelSet, Metrics, Registry, RenderOptions};
    /// #[derive(LabelSet)]
    /// struct Trace {
    ///     trace_id: String,
    /// }
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Jobs run.
    ///     jobs: Counter,
    /// }
    /// let m = std::sync::Arc::new(M::default());
    /// m.jobs.inc_with_exemplar(&Trace { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into() });
    /// let registry = Registry::new();
    /// registry.register_arc(m).unwrap();
    /// let mut out = Vec::new();
    /// registry.render_into(&RenderOptions::new(Format::OpenMetrics).with_created(false), &mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.contains("jobs_total 1 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1.0 "), "{text}");
    /// ```
    pub fn inc_with_exemplar<L: EncodeLabels + ?Sized>(&self, labels: &L) {
        self.inc_by_with_exemplar(1, labels)
    }

    /// Adds `n` and keeps `labels` as the exemplar, with value `n` (see
    /// [`inc_with_exemplar`](Self::inc_with_exemplar)).
    pub fn inc_by_with_exemplar<L: EncodeLabels + ?Sized>(&self, n: u64, labels: &L) {
        self.inc_by(n);
        self.exemplar.set(labels, n as f64);
    }
}

/// A counter's exemplar: allocated on the first exemplar, so that a counter that never gets
/// one pays only for an empty pointer (`OnceBox`: one word, where `OnceLock<Box<_>>` takes
/// two and would make a counter 32 bytes instead of 24).
#[derive(Debug, Default)]
pub(crate) struct ExemplarSlot(OnceBox<Mutex<Option<Exemplar>>>);

impl ExemplarSlot {
    /// Keeps `labels` and `value` as the exemplar, unless the labels are too long.
    pub(crate) fn set<L: EncodeLabels + ?Sized>(&self, labels: &L, value: f64) {
        let cell = self.0.get_or_init(Box::default);
        let mut guard = lock(cell);
        match &mut *guard {
            // Overwritten in place, reusing the strings: no allocation once warm. Labels too
            // long leave the previous exemplar in place.
            Some(e) => {
                e.set(labels, value);
            }
            None => *guard = Exemplar::new(labels, value),
        }
    }

    /// Writes the series, with its exemplar if it has one.
    pub(crate) fn encode<E: Encoder, L: EncodeLabels + ?Sized>(
        &self,
        desc: &Descriptor,
        labels: &L,
        value: SampleValue<'_>,
        e: &mut E,
    ) {
        match self.0.get().map(|c| lock(c)) {
            Some(guard) if guard.is_some() => {
                let ex = Exemplars { one: guard.as_ref(), buckets: &[], native: &[] };
                e.sample_with_exemplars(desc, labels, value, &ex);
            }
            _ => e.sample(desc, labels, value),
        }
    }

    pub(crate) fn clear(&self) {
        if let Some(c) = self.0.get() {
            *lock(c) = None;
        }
    }
}

/// A histogram's exemplars: one per classic bucket (the last observation with an exemplar that
/// fell in it) and the most recent ones for the native buckets.
#[derive(Debug, Default)]
pub(crate) struct HistogramExemplars(OnceBox<Mutex<Stored>>);

#[derive(Debug, Default)]
struct Stored {
    buckets: Vec<Option<Exemplar>>,
    native: Vec<Exemplar>,
    /// Where the next native exemplar goes in the ring.
    next: usize,
}

impl HistogramExemplars {
    /// Keeps an exemplar for an observation `value` that fell in classic bucket `bucket` of
    /// `buckets`, unless its labels are too long or the value is NaN.
    pub(crate) fn set<L: EncodeLabels + ?Sized>(
        &self,
        labels: &L,
        value: f64,
        bucket: usize,
        buckets: usize,
        native: bool,
    ) {
        if value.is_nan() {
            return;
        }
        let Some(ex) = Exemplar::new(labels, value) else { return };
        let cell = self.0.get_or_init(Box::default);
        let mut s = lock(cell);
        if s.buckets.len() != buckets {
            s.buckets.resize(buckets, None);
        }
        if native {
            if s.native.len() < NATIVE_EXEMPLARS {
                s.native.push(ex.clone());
            } else {
                let i = s.next;
                s.native[i] = ex.clone();
            }
            s.next = (s.next + 1) % NATIVE_EXEMPLARS;
        }
        if let Some(slot) = s.buckets.get_mut(bucket) {
            *slot = Some(ex);
        }
    }

    /// Calls `f` with the exemplars (empty when there are none).
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&Exemplars<'_>>) -> R) -> R {
        match self.0.get().map(|c| lock(c)) {
            Some(s) => {
                let ex = Exemplars { one: None, buckets: &s.buckets, native: &s.native };
                f(Some(&ex))
            }
            None => f(None),
        }
    }

    pub(crate) fn clear(&self) {
        if let Some(c) = self.0.get() {
            *lock(c) = Stored::default();
        }
    }
}

/// The exemplars of one series, handed to [`Encoder::sample_with_exemplars`].
#[derive(Debug, Clone, Copy)]
pub struct Exemplars<'a> {
    pub(crate) one: Option<&'a Exemplar>,
    pub(crate) buckets: &'a [Option<Exemplar>],
    pub(crate) native: &'a [Exemplar],
}

impl<'a> Exemplars<'a> {
    /// A counter's exemplar.
    pub fn counter(&self) -> Option<&'a Exemplar> {
        self.one
    }

    /// The exemplar of classic bucket `i` of a histogram (`+Inf` last).
    pub fn bucket(&self, i: usize) -> Option<&'a Exemplar> {
        self.buckets.get(i).and_then(Option::as_ref)
    }

    /// The exemplars of a histogram's native buckets, the most recent ones (at most ten).
    pub fn native(&self) -> &'a [Exemplar] {
        self.native
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Trace(&'static str, String);

    impl EncodeLabels for Trace {
        fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
            w.label(self.0, &self.1);
        }
    }

    #[test]
    fn the_limit_counts_characters_of_names_and_values() {
        // "trace_id" is 8 characters: 120 more fit, 121 do not.
        assert!(Exemplar::new(&Trace("trace_id", "a".repeat(120)), 1.0).is_some());
        assert!(Exemplar::new(&Trace("trace_id", "a".repeat(121)), 1.0).is_none());
        // Characters, not bytes: 120 two-byte characters still fit, 121 do not.
        assert!(Exemplar::new(&Trace("trace_id", "é".repeat(120)), 1.0).is_some());
        assert!(Exemplar::new(&Trace("trace_id", "é".repeat(121)), 1.0).is_none());
        assert!(Exemplar::new(&Trace("trace_ïd", "é".repeat(120)), 1.0).is_some());
        let slot = ExemplarSlot::default();
        slot.set(&Trace("trace_id", "ok".into()), 1.0);
        slot.set(&Trace("trace_id", "a".repeat(200)), 2.0);
        let kept = slot.0.get().and_then(|c| lock(c).clone());
        assert_eq!(kept.map(|e| (e.labels, e.value)), Some((vec![("trace_id", "ok".to_owned())], 1.0)));
    }
}
