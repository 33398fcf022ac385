//! Exemplars: a label set (typically a trace id) and a value, attached to a counter or to a
//! histogram bucket to link the metric to one event.

use std::sync::{Mutex, MutexGuard, PoisonError};

use once_cell::race::OnceBox;
use spin::mutex::{SpinMutex, SpinMutexGuard};

use crate::clock::coarse_seconds;

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
    ///
    /// Note: read from a coarse clock (on Linux `CLOCK_REALTIME_COARSE`, the time of the
    /// kernel's last tick), so that keeping an exemplar costs nanoseconds: the stamp is the
    /// real Unix time, up to one tick (1 to 10 ms, typically 4 ms) early.
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }

    /// A new exemplar, or `None` when its labels exceed [`MAX_EXEMPLAR_CHARS`].
    fn new<L: EncodeLabels + ?Sized>(labels: &L, value: f64) -> Option<Self> {
        let mut collected = Vec::new();
        collect(labels, &mut collected).then(|| Exemplar { labels: collected, value, timestamp: coarse_seconds() })
    }
}

/// Writes `labels` into `into`, reusing its strings, and returns whether they fit in
/// [`MAX_EXEMPLAR_CHARS`] (if not, `into` holds no labels).
#[inline]
fn collect<L: EncodeLabels + ?Sized>(labels: &L, into: &mut Vec<(&'static str, String)>) -> bool {
    let mut w = Collect { labels: into, used: 0, bytes: 0 };
    labels.encode_labels(&mut w);
    let (used, bytes) = (w.used, w.bytes);
    into.truncate(used);
    // A string has at most as many characters as bytes: characters need counting only when
    // the bytes are over the limit.
    if bytes > MAX_EXEMPLAR_CHARS {
        let chars: usize = into.iter().map(|(n, v)| n.chars().count() + v.chars().count()).sum();
        if chars > MAX_EXEMPLAR_CHARS {
            // Dropped rather than kept for reuse: they may be arbitrarily long.
            into.clear();
            return false;
        }
    }
    true
}

/// Collects labels into reused strings, counting their bytes.
struct Collect<'a> {
    labels: &'a mut Vec<(&'static str, String)>,
    used: usize,
    bytes: usize,
}

struct Text<'a>(&'a mut String);

impl ValueSink for Text<'_> {
    #[inline]
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
    #[inline]
    fn label<V: LabelValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        if self.used == self.labels.len() {
            self.labels.push((name, String::new()));
        }
        let slot = &mut self.labels[self.used];
        slot.0 = name;
        slot.1.clear();
        value.write_value(&mut Text(&mut slot.1));
        self.bytes += name.len() + slot.1.len();
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
    /// Note: this costs a few nanoseconds more than [`inc`](Self::inc) once warm (no
    /// allocation: the labels are copied into the previous exemplar's strings). The stamp is
    /// read from a coarse clock (see [`Exemplar::timestamp`]), and the exemplar is stored only
    /// if no other thread is storing or reading this counter's exemplar at that very moment:
    /// of two exemplars kept at the same instant, one is.
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

impl crate::FloatCounter {
    /// Adds one and keeps `labels` as the counter's exemplar, with value 1 (see
    /// [`inc_by_with_exemplar`](Self::inc_by_with_exemplar)).
    pub fn inc_with_exemplar<L: EncodeLabels + ?Sized>(&self, labels: &L) {
        self.inc_by_with_exemplar(1.0, labels);
    }

    /// Adds `v` as [`inc_by`](Self::inc_by) does (refusing a negative or NaN `v`: the counter
    /// and its exemplar are then left unchanged and `false` is returned), and keeps `labels`
    /// (any [`LabelSet`](crate::LabelSet), such as a struct with a `trace_id` field) as the
    /// counter's exemplar, with value `v` and the current time. As with
    /// [`Counter::inc_with_exemplar`](crate::Counter::inc_with_exemplar), an exemplar whose
    /// label names and values hold more than [`MAX_EXEMPLAR_CHARS`] characters together is not
    /// kept (the previous one stays), while the increment happens. Exemplars show in
    /// OpenMetrics and protobuf.
    ///
    /// ```
    /// use metrics_core::{FloatCounter, Format, LabelSet, Metrics, Registry, RenderOptions};
    /// #[derive(LabelSet)]
    /// struct Trace {
    ///     trace_id: String,
    /// }
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// CPU time used.
    ///     #[metric(unit = "seconds")]
    ///     cpu: FloatCounter,
    /// }
    /// let m = std::sync::Arc::new(M::default());
    /// assert!(m.cpu.inc_by_with_exemplar(0.25, &Trace { trace_id: "4bf92f35".into() }));
    /// assert!(!m.cpu.inc_by_with_exemplar(-1.0, &Trace { trace_id: "refused".into() }));
    /// let registry = Registry::new();
    /// registry.register_arc(m).unwrap();
    /// let mut out = Vec::new();
    /// registry.render_into(&RenderOptions::new(Format::OpenMetrics).with_created(false), &mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.contains("cpu_seconds_total 0.25 # {trace_id=\"4bf92f35\"} 0.25 "), "{text}");
    /// ```
    pub fn inc_by_with_exemplar<L: EncodeLabels + ?Sized>(&self, v: f64, labels: &L) -> bool {
        let added = self.inc_by(v);
        if added {
            self.exemplar.set(labels, v);
        }
        added
    }
}

/// A counter's exemplar: allocated on the first exemplar, so that a counter that never gets
/// one pays only for an empty pointer (`OnceBox`: one word, where `OnceLock<Box<_>>` takes
/// two and would make a counter 32 bytes instead of 24).
///
/// The slot is a spin lock that the hot path only tries (one compare-and-swap, released by a
/// plain store): when another thread holds it, that thread is storing an exemplar at this
/// very moment (or a scrape is reading it), and this one is skipped — the exemplar is a sample
/// of the latest events, and the increment itself always happens.
#[derive(Debug, Default)]
pub(crate) struct ExemplarSlot(OnceBox<SpinMutex<Slot>>);

#[derive(Debug, Default)]
struct Slot {
    current: Option<Exemplar>,
    /// The label strings of the exemplar before the current one: the next exemplar's labels
    /// are written into them and then swapped in, so that a warm slot allocates nothing and
    /// labels found too long leave the current exemplar as it was.
    spare: Vec<(&'static str, String)>,
}

impl ExemplarSlot {
    /// Keeps `labels` and `value` as the exemplar, unless the labels are too long (or another
    /// thread holds the slot).
    #[inline]
    pub(crate) fn set<L: EncodeLabels + ?Sized>(&self, labels: &L, value: f64) {
        let cell = self.0.get_or_init(Box::default);
        let Some(mut guard) = cell.try_lock() else { return };
        let slot = &mut *guard;
        if !collect(labels, &mut slot.spare) {
            return;
        }
        let timestamp = coarse_seconds();
        match &mut slot.current {
            Some(e) => {
                std::mem::swap(&mut e.labels, &mut slot.spare);
                e.value = value;
                e.timestamp = timestamp;
            }
            None => slot.current = Some(Exemplar { labels: std::mem::take(&mut slot.spare), value, timestamp }),
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
        match self.0.get().map(spin_lock) {
            Some(guard) if guard.current.is_some() => {
                let ex = Exemplars { one: guard.current.as_ref(), buckets: &[], native: &[] };
                e.sample_with_exemplars(desc, labels, value, &ex);
            }
            _ => e.sample(desc, labels, value),
        }
    }

    pub(crate) fn clear(&self) {
        if let Some(c) = self.0.get() {
            spin_lock(c).current = None;
        }
    }

    #[cfg(test)]
    fn get(&self) -> Option<Exemplar> {
        self.0.get().and_then(|c| spin_lock(c).current.clone())
    }
}

/// Takes a slot off the hot path (a scrape, a reset): a writer holds it for the few
/// nanoseconds of a copy, but may be preempted while it does, so this yields rather than spin.
fn spin_lock(m: &SpinMutex<Slot>) -> SpinMutexGuard<'_, Slot> {
    loop {
        if let Some(guard) = m.try_lock() {
            return guard;
        }
        std::thread::yield_now();
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
        let kept = slot.get();
        assert_eq!(kept.map(|e| (e.labels, e.value)), Some((vec![("trace_id", "ok".to_owned())], 1.0)));
    }

    struct Two(String, u64);

    impl EncodeLabels for Two {
        fn encode_labels<W: LabelWriter>(&self, w: &mut W) {
            w.label("trace_id", &self.0);
            w.label("span", &self.1);
        }
    }

    #[test]
    fn a_slot_reuses_its_strings_and_keeps_the_latest() {
        let slot = ExemplarSlot::default();
        let labels = |s: &ExemplarSlot| s.get().map(|e| (e.labels, e.value));
        slot.set(&Two("first".into(), 7), 1.0);
        assert_eq!(labels(&slot), Some((vec![("trace_id", "first".into()), ("span", "7".into())], 1.0)));
        slot.set(&Trace("trace_id", "second".into()), 2.0);
        assert_eq!(labels(&slot), Some((vec![("trace_id", "second".into())], 2.0)));
        // Written into the strings of the first exemplar: no leftovers of it.
        slot.set(&Two("3".into(), 12345), 3.0);
        assert_eq!(labels(&slot), Some((vec![("trace_id", "3".into()), ("span", "12345".into())], 3.0)));
        // Too long: the previous one stays, and the next good one is whole.
        slot.set(&Two("x".repeat(300), 1), 4.0);
        assert_eq!(labels(&slot).map(|l| l.1), Some(3.0));
        slot.set(&Trace("trace_id", "fifth".into()), 5.0);
        assert_eq!(labels(&slot), Some((vec![("trace_id", "fifth".into())], 5.0)));
        slot.clear();
        assert_eq!(slot.get(), None);
    }

    #[test]
    fn the_timestamp_is_the_unix_time() {
        let slot = ExemplarSlot::default();
        let before =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        slot.set(&Trace("trace_id", "t".into()), 1.0);
        let stamp = slot.get().map_or(0.0, |e| e.timestamp());
        // The coarse clock is at most one tick (<= 10 ms) behind the precise one.
        assert!((stamp - before).abs() < 0.5, "stamp {stamp}, now {before}");
    }

    #[test]
    fn a_held_slot_skips_the_exemplar_not_the_caller() {
        let slot = ExemplarSlot::default();
        slot.set(&Trace("trace_id", "kept".into()), 1.0);
        let cell = slot.0.get().map(spin_lock);
        slot.set(&Trace("trace_id", "skipped".into()), 2.0);
        drop(cell);
        assert_eq!(slot.get().map(|e| e.value), Some(1.0));
    }
}
