//! Exemplars: a label set (typically a trace id) and a value, attached to a counter or to a
//! histogram bucket to link the metric to one event.
//!
//! Which exemplars are kept, and the clock thread that rate-limits them: see [`Exemplar`].

use std::sync::atomic::{AtomicU64, Ordering};

use once_cell::race::OnceBox;
use spin::mutex::{SpinMutex, SpinMutexGuard};

use crate::clock::{coarse_seconds, recent_millis};

use crate::descriptor::Descriptor;
use crate::encoding::{Encoder, SampleValue};
use crate::labels::{EncodeLabels, LabelValue, LabelWriter, ValueSink};

/// The most UTF-8 characters an exemplar's label names and values may hold together
/// (OpenMetrics' limit).
pub const MAX_EXEMPLAR_CHARS: usize = 128;

/// The most exemplars a series (a counter, a classic bucket of a histogram, or a histogram's
/// native exemplars) takes in within one millisecond: past that, the others of the same
/// millisecond are not kept (see [`Exemplar`] and
/// [`Counter::inc_with_exemplar`](crate::Counter::inc_with_exemplar)).
pub const MAX_EXEMPLARS_PER_MS: u32 = 16;

/// Native histogram exemplars kept, the most recent ones (client_golang's default).
const NATIVE_EXEMPLARS: usize = 10;

/// One exemplar: its labels, value and when it was recorded.
///
/// # Which exemplars are kept
///
/// A counter keeps the latest exemplar it was given, a histogram the latest of each classic
/// bucket and the ten latest of its native buckets, with one limit that makes exemplars nearly
/// free on a hot path: each of these takes in at most [`MAX_EXEMPLARS_PER_MS`] exemplars per
/// millisecond, and past that drops the other exemplars of the same millisecond (their
/// increments and observations always happen). So a series given fewer exemplars than that
/// within any millisecond (a sequence of requests, a test) keeps exactly the latest one; a
/// busier one keeps one of its last millisecond's (at most about a millisecond older than its
/// latest exemplar), whatever the rate. Copying the labels, the costly part, then happens at
/// most 16 times a millisecond per series; every other call costs a load of a recent clock
/// and of the series' count, and a comparison: in a loop, an increment with an exemplar takes
/// about as long as a plain [`inc`](crate::Counter::inc), whose atomic addition dominates
/// both (`exemplar_inc` in `benches`).
///
/// An exemplar whose label names and values hold more than [`MAX_EXEMPLAR_CHARS`] characters
/// together is never kept (the previous one stays), and counts for nothing. Of two exemplars
/// given to one series at the very same moment by two threads (or while a scrape reads it),
/// one is kept.
///
/// # Time
///
/// An exemplar's timestamp is read when it is kept, from a coarse real-time clock (see
/// [`timestamp`](Exemplar::timestamp)): real Unix time, up to one kernel tick (1 to 10 ms) early.
///
/// The millisecond of the limit comes from a cheaper clock: a recent time that a thread named
/// `metrics-exemplar-clock` stores about once a millisecond. It is started by the first
/// exemplar of the process (a program that records none never has it), and parks after one
/// second without exemplars, to be woken by the next one; no caller ever waits for it. While
/// it does not run (as it starts or wakes, or if it could not be spawned) the coarse clock is
/// read instead; if it is late (not scheduled for a while) the millisecond lasts longer, and
/// fewer exemplars are kept. [`Exemplar::set_clock_thread`] turns the thread off (the coarse
/// clock is then read at each call). The limit is per value of that clock, so when it moves from the
/// coarse clock to the thread's (a few milliseconds apart), or the system clock steps back, one
/// real millisecond may take up to twice the limit.
///
/// Note: a process that forks after its first exemplar leaves the thread behind: the child's
/// recent time stands still, and each of its series keeps at most 16 more exemplars. Fork
/// before recording exemplars (as pre-forking servers do), or exec.
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
    /// Note: read when the exemplar is kept, from a coarse clock (on Linux
    /// `CLOCK_REALTIME_COARSE`, the time of the kernel's last tick), so that keeping an
    /// exemplar costs nanoseconds: the stamp is the real Unix time, up to one tick (1 to
    /// 10 ms, typically 4 ms) early.
    pub fn timestamp(&self) -> f64 {
        self.timestamp
    }

    /// Lets the `metrics-exemplar-clock` thread keep the millisecond of the exemplar limit
    /// (`true`, the default: see [Time](Exemplar#time)), or not: with `false`, no such thread
    /// is started, one that runs parks within a millisecond, and each exemplar-carrying call
    /// reads the coarse clock instead (about 5 ns more). The same limit applies either way.
    ///
    /// ```
    /// use metrics_core::{Counter, Exemplar, LabelSet};
    /// # #[derive(LabelSet)]
    /// # struct Trace { trace_id: String }
    /// Exemplar::set_clock_thread(false);
    /// let c = Counter::new();
    /// c.inc_with_exemplar(&Trace { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into() });
    /// assert_eq!(c.get(), 1);
    /// # Exemplar::set_clock_thread(true);
    /// ```
    pub fn set_clock_thread(enabled: bool) {
        crate::clock::set_ticker(enabled);
    }

    /// A new exemplar, or `None` when its labels exceed [`MAX_EXEMPLAR_CHARS`].
    #[cfg(test)]
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

/// Copies labels into `into`, reusing its strings.
fn copy_labels(from: &[(&'static str, String)], into: &mut Vec<(&'static str, String)>) {
    into.truncate(from.len());
    for (i, (name, value)) in from.iter().enumerate() {
        match into.get_mut(i) {
            Some(slot) => {
                slot.0 = name;
                slot.1.clear();
                slot.1.push_str(value);
            }
            None => into.push((name, value.clone())),
        }
    }
}

impl crate::Counter {
    /// Adds one and keeps `labels` (any [`LabelSet`](crate::LabelSet), such as a struct with a
    /// `trace_id` field) as the counter's exemplar, with value 1 and the current time. The
    /// increment always happens; an exemplar whose label names and values hold more than
    /// [`MAX_EXEMPLAR_CHARS`] characters together is not kept (the previous one stays), so
    /// that no broken exemplar is ever written. Exemplars show in OpenMetrics and protobuf.
    ///
    /// Note: at most [`MAX_EXEMPLARS_PER_MS`] (16) exemplars a millisecond replace the
    /// counter's exemplar; the others of that millisecond are not kept (see the
    /// [`Exemplar`]). A counter given fewer than that keeps exactly
    /// the latest one; a busier one keeps one of its last millisecond's, and most of its calls
    /// then cost little more than [`inc`](Self::inc) (a copy of the labels costs about ten
    /// times an increment). The first exemplar of the process starts a thread,
    /// `metrics-exemplar-clock`, that keeps the millisecond (waking every millisecond, parked
    /// after a second without exemplars). The stamp is read from a coarse clock (see
    /// [`Exemplar::timestamp`]), and of two exemplars kept at the very same instant by two
    /// threads, one is.
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
    /// m.jobs.inc_with_exemplar(&Trace { trace_id: "0af7651916cd43dd8448eb211c80319c".into() });
    /// m.jobs.inc_with_exemplar(&Trace { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into() });
    /// let registry = Registry::new();
    /// registry.register_arc(m).unwrap();
    /// let mut out = Vec::new();
    /// registry.render_into(&RenderOptions::new(Format::OpenMetrics).with_created(false), &mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// // The latest: two exemplars are under the limit.
    /// assert!(text.contains("jobs_total 2 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1.0 "), "{text}");
    /// ```
    #[inline]
    pub fn inc_with_exemplar<L: EncodeLabels + ?Sized>(&self, labels: &L) {
        self.inc();
        self.exemplar.set(labels, 1.0);
    }

    /// Adds `n` and keeps `labels` as the exemplar, with value `n` (see
    /// [`inc_with_exemplar`](Self::inc_with_exemplar)).
    #[inline]
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
    /// kept (the previous one stays), while the increment happens, and at most
    /// [`MAX_EXEMPLARS_PER_MS`] exemplars a millisecond replace the kept one. Exemplars show in
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

/// How many exemplars a series (or a histogram bucket) kept in the current millisecond:
/// `millisecond << 8 | count`. Written only under the lock of the exemplars it counts, and
/// read without it: a caller that finds the millisecond's count reached does not take the
/// lock, and one that finds room checks again under the lock.
#[derive(Debug, Default)]
struct Gate(AtomicU64);

impl Gate {
    /// Whether an exemplar may be kept at millisecond `now`.
    #[inline]
    fn open(&self, now: u64) -> bool {
        let g = self.0.load(Ordering::Relaxed);
        g >> 8 != now || (g & 0xff) < u64::from(MAX_EXEMPLARS_PER_MS)
    }

    /// Counts an exemplar kept at millisecond `now` (under the lock).
    fn count(&self, now: u64) {
        let g = self.0.load(Ordering::Relaxed);
        let n = if g >> 8 == now { (g & 0xff) + 1 } else { 1 };
        self.0.store(now << 8 | n, Ordering::Relaxed);
    }

    /// Forgets the counts (under the lock), so that an emptied slot is filled again at once.
    fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

/// A counter's exemplar: allocated on the first exemplar, so that a counter that never gets
/// one pays only for an empty pointer (`OnceBox`: one word, where `OnceLock<Box<_>>` takes
/// two and would make a counter 32 bytes instead of 24).
///
/// The slot is a spin lock that the hot path only tries (one compare-and-swap, released by a
/// plain store), and only while its gate has room this millisecond: when another thread holds
/// it, that thread is storing an exemplar at this very moment (or a scrape is reading it), and
/// this one is skipped — the exemplar is a sample of the latest events, and the increment
/// itself always happens.
#[derive(Debug, Default)]
pub(crate) struct ExemplarSlot(OnceBox<Kept>);

#[derive(Debug, Default)]
struct Kept {
    gate: Gate,
    slot: SpinMutex<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    current: Option<Exemplar>,
    /// The label strings of the exemplar before the current one: the next exemplar's labels
    /// are written into them and then swapped in, so that a warm slot allocates nothing and
    /// labels found too long leave the current exemplar as it was.
    spare: Vec<(&'static str, String)>,
}

impl ExemplarSlot {
    /// Keeps `labels` and `value` as the exemplar, unless the labels are too long, this
    /// millisecond's exemplars are all taken, or another thread holds the slot.
    #[inline]
    pub(crate) fn set<L: EncodeLabels + ?Sized>(&self, labels: &L, value: f64) {
        self.set_at(recent_millis(), labels, value);
    }

    /// [`set`](Self::set) at millisecond `now`.
    #[inline]
    fn set_at<L: EncodeLabels + ?Sized>(&self, now: u64, labels: &L, value: f64) {
        let kept = self.0.get_or_init(Box::default);
        if kept.gate.open(now) {
            kept.keep(now, labels, value);
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
        match self.0.get().map(|k| spin_lock(&k.slot)) {
            Some(guard) if guard.current.is_some() => {
                let ex = Exemplars { one: guard.current.as_ref(), buckets: &[], native: &[] };
                e.sample_with_exemplars(desc, labels, value, &ex);
            }
            _ => e.sample(desc, labels, value),
        }
    }

    pub(crate) fn clear(&self) {
        if let Some(k) = self.0.get() {
            let mut slot = spin_lock(&k.slot);
            slot.current = None;
            k.gate.reset();
        }
    }

    #[cfg(test)]
    fn get(&self) -> Option<Exemplar> {
        self.0.get().and_then(|k| spin_lock(&k.slot).current.clone())
    }
}

impl Kept {
    /// Copies the exemplar in, if the slot is free and the millisecond still has room.
    #[cold]
    #[inline(never)]
    fn keep<L: EncodeLabels + ?Sized>(&self, now: u64, labels: &L, value: f64) {
        let Some(mut guard) = self.slot.try_lock() else { return };
        if !self.gate.open(now) {
            return;
        }
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
        self.gate.count(now);
    }
}

/// Takes a lock off the hot path (a scrape, a reset): a writer holds it for the few
/// nanoseconds of a copy, but may be preempted while it does, so this yields rather than spin.
fn spin_lock<T>(m: &SpinMutex<T>) -> SpinMutexGuard<'_, T> {
    loop {
        if let Some(guard) = m.try_lock() {
            return guard;
        }
        std::thread::yield_now();
    }
}

/// A histogram's exemplars: one per classic bucket (the last observation with an exemplar that
/// fell in it) and the most recent ones for the native buckets, each bucket and the native
/// exemplars with a gate of their own (so that a burst in one bucket never keeps a rare
/// observation in another from its exemplar). Kept as a counter's are: the lock only tried,
/// the labels copied into reused strings.
#[derive(Debug, Default)]
pub(crate) struct HistogramExemplars(OnceBox<HistogramKept>);

#[derive(Debug)]
struct HistogramKept {
    /// The classic buckets' gates, then the native exemplars'.
    gates: Box<[Gate]>,
    stored: SpinMutex<Stored>,
}

#[derive(Debug, Default)]
struct Stored {
    buckets: Vec<Option<Exemplar>>,
    native: Vec<Exemplar>,
    /// Where the next native exemplar goes in the ring.
    next: usize,
    /// Reused label strings, as in a counter's slot.
    spare: Vec<(&'static str, String)>,
}

impl HistogramExemplars {
    /// Keeps an exemplar for an observation `value` that fell in classic bucket `bucket` of
    /// `buckets` (and among the native exemplars if `native`), unless its labels are too long,
    /// the value is NaN, or that bucket's (the native exemplars') millisecond is full.
    #[inline]
    pub(crate) fn set<L: EncodeLabels + ?Sized>(
        &self,
        labels: &L,
        value: f64,
        bucket: usize,
        buckets: usize,
        native: bool,
    ) {
        self.set_at(recent_millis(), labels, value, bucket, buckets, native);
    }

    /// [`set`](Self::set) at millisecond `now`.
    #[inline]
    fn set_at<L: EncodeLabels + ?Sized>(
        &self,
        now: u64,
        labels: &L,
        value: f64,
        bucket: usize,
        buckets: usize,
        native: bool,
    ) {
        if value.is_nan() {
            return;
        }
        let kept = self.0.get_or_init(|| {
            Box::new(HistogramKept {
                gates: (0..=buckets).map(|_| Gate::default()).collect(),
                stored: SpinMutex::new(Stored { buckets: vec![None; buckets], ..Stored::default() }),
            })
        });
        let classic = bucket < buckets && kept.gates[bucket].open(now);
        let native = native && kept.native_gate().open(now);
        if classic || native {
            kept.keep(now, labels, value, bucket, classic, native);
        }
    }

    /// Calls `f` with the exemplars (empty when there are none).
    pub(crate) fn with<R>(&self, f: impl FnOnce(Option<&Exemplars<'_>>) -> R) -> R {
        match self.0.get().map(|k| spin_lock(&k.stored)) {
            Some(s) => {
                let ex = Exemplars { one: None, buckets: &s.buckets, native: &s.native };
                f(Some(&ex))
            }
            None => f(None),
        }
    }

    pub(crate) fn clear(&self) {
        if let Some(k) = self.0.get() {
            let mut s = spin_lock(&k.stored);
            s.buckets.iter_mut().for_each(|b| *b = None);
            s.native.clear();
            s.next = 0;
            k.gates.iter().for_each(Gate::reset);
        }
    }
}

impl HistogramKept {
    fn native_gate(&self) -> &Gate {
        &self.gates[self.gates.len() - 1]
    }

    /// Copies the exemplar into its bucket and/or the native ring, if the lock is free and
    /// their milliseconds still have room.
    #[cold]
    #[inline(never)]
    fn keep<L: EncodeLabels + ?Sized>(
        &self,
        now: u64,
        labels: &L,
        value: f64,
        bucket: usize,
        classic: bool,
        native: bool,
    ) {
        let Some(mut guard) = self.stored.try_lock() else { return };
        let classic = classic && self.gates[bucket].open(now);
        let native = native && self.native_gate().open(now);
        let s = &mut *guard;
        if !(classic || native) || !collect(labels, &mut s.spare) {
            return;
        }
        let timestamp = coarse_seconds();
        if native {
            if s.native.len() < NATIVE_EXEMPLARS {
                s.native.push(Exemplar::default());
            }
            let e = &mut s.native[s.next];
            copy_labels(&s.spare, &mut e.labels);
            e.value = value;
            e.timestamp = timestamp;
            s.next = (s.next + 1) % NATIVE_EXEMPLARS;
            self.native_gate().count(now);
        }
        if classic {
            match &mut s.buckets[bucket] {
                Some(e) => {
                    std::mem::swap(&mut e.labels, &mut s.spare);
                    e.value = value;
                    e.timestamp = timestamp;
                }
                None => s.buckets[bucket] = Some(Exemplar { labels: std::mem::take(&mut s.spare), value, timestamp }),
            }
            self.gates[bucket].count(now);
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
        let cell = slot.0.get().map(|k| spin_lock(&k.slot));
        slot.set(&Trace("trace_id", "skipped".into()), 2.0);
        drop(cell);
        assert_eq!(slot.get().map(|e| e.value), Some(1.0));
    }

    #[test]
    fn a_slot_takes_in_at_most_its_limit_a_millisecond() {
        let slot = ExemplarSlot::default();
        let id = |s: &ExemplarSlot| s.get().map(|e| e.labels[0].1.clone());
        let limit = MAX_EXEMPLARS_PER_MS as usize;
        // Too long ones do not count.
        slot.set_at(7, &Trace("trace_id", "x".repeat(200)), 1.0);
        for i in 0..limit {
            slot.set_at(7, &Trace("trace_id", format!("a{i}")), 1.0);
            assert_eq!(id(&slot), Some(format!("a{i}")), "under the limit, the latest");
        }
        slot.set_at(7, &Trace("trace_id", "over".into()), 1.0);
        assert_eq!(id(&slot), Some(format!("a{}", limit - 1)), "past the limit, dropped");
        // The next millisecond (or a clock stepped back) has room again.
        slot.set_at(8, &Trace("trace_id", "b".into()), 1.0);
        assert_eq!(id(&slot), Some("b".into()));
        slot.set_at(6, &Trace("trace_id", "c".into()), 1.0);
        assert_eq!(id(&slot), Some("c".into()));
        // A cleared slot is filled again at once, even in a full millisecond.
        for _ in 0..limit {
            slot.set_at(9, &Trace("trace_id", "d".into()), 1.0);
        }
        slot.clear();
        slot.set_at(9, &Trace("trace_id", "e".into()), 1.0);
        assert_eq!(id(&slot), Some("e".into()));
    }

    /// `(bucket exemplars' trace ids, native exemplars' trace ids)`.
    fn ids(h: &HistogramExemplars) -> (Vec<Option<String>>, Vec<String>) {
        h.with(|ex| {
            let ex = ex.copied().unwrap_or(Exemplars { one: None, buckets: &[], native: &[] });
            let id = |e: &Exemplar| e.labels[0].1.clone();
            ((0..ex.buckets.len()).map(|i| ex.bucket(i).map(id)).collect(), ex.native().iter().map(id).collect())
        })
    }

    #[test]
    fn histogram_buckets_have_limits_of_their_own() {
        let h = HistogramExemplars::default();
        let limit = MAX_EXEMPLARS_PER_MS as usize;
        // A burst in bucket 0 fills its millisecond and the native exemplars'.
        for i in 0..limit + 5 {
            h.set_at(3, &Trace("trace_id", format!("fast{i}")), 0.1, 0, 2, true);
        }
        // A rare observation in bucket 1 still keeps its exemplar there.
        h.set_at(3, &Trace("trace_id", "slow".into()), 5.0, 1, 2, true);
        let (buckets, native) = ids(&h);
        assert_eq!(buckets, [Some(format!("fast{}", limit - 1)), Some("slow".into())]);
        // The ring holds the last ten taken in, in ring order.
        let mut want: Vec<String> = (limit - NATIVE_EXEMPLARS..limit).map(|i| format!("fast{i}")).collect();
        want.rotate_left(NATIVE_EXEMPLARS - limit % NATIVE_EXEMPLARS);
        assert_eq!(native, want);
        // NaN and too long labels keep nothing.
        h.set_at(4, &Trace("trace_id", "nan".into()), f64::NAN, 1, 2, true);
        h.set_at(4, &Trace("trace_id", "y".repeat(200)), 1.0, 1, 2, true);
        assert_eq!(ids(&h).0[1], Some("slow".into()));
        // The next millisecond takes them in again; a clear empties everything.
        h.set_at(4, &Trace("trace_id", "next".into()), 0.2, 0, 2, false);
        assert_eq!(ids(&h).0[0], Some("next".into()));
        assert_eq!(ids(&h).1.len(), NATIVE_EXEMPLARS, "not native: the ring is unchanged");
        h.clear();
        assert_eq!(ids(&h), (vec![None, None], vec![]));
        h.set_at(3, &Trace("trace_id", "again".into()), 0.1, 0, 2, true);
        assert_eq!(ids(&h), (vec![Some("again".into()), None], vec!["again".into()]));
    }
}
