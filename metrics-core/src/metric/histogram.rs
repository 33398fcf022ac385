//! Histograms: observations counted into buckets fixed at construction.

use crate::sync::{AtomicU64, Ordering};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock::{seconds, unique_nanos};
use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::{Encoder, HistogramData, SampleValue};
use crate::labels::EncodeLabels;
use crate::metric::exemplar::HistogramExemplars;
use crate::metric::native::{NativeBuckets, NativeCounts};
use crate::metric::{FloatValue, Metric, add_f64};

/// The default buckets of the Prometheus client libraries (seconds, from 5 ms to 10 s).
pub const DEFAULT_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The upper bounds of a histogram's buckets, strictly increasing and finite (`+Inf` is
/// implied).
#[derive(Clone, PartialEq)]
pub struct Buckets(Repr);

#[derive(Clone, PartialEq)]
enum Repr {
    Static(&'static [f64]),
    Shared(Arc<[f64]>),
}

/// Why a list of bucket bounds was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum BucketsError {
    /// No bound at all.
    Empty,
    /// A bound is NaN or infinite.
    NotFinite(f64),
    /// A bound is not greater than the one before it.
    NotIncreasing(f64, f64),
}

impl fmt::Display for BucketsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BucketsError::Empty => f.write_str("a histogram needs at least one bucket"),
            BucketsError::NotFinite(v) => {
                write!(f, "bucket bound {v} is not finite (`+Inf` is implied)")
            }
            BucketsError::NotIncreasing(a, b) => {
                write!(f, "bucket bounds must be strictly increasing, but {b} follows {a}")
            }
        }
    }
}

impl std::error::Error for BucketsError {}

fn validate(bounds: &[f64]) -> Result<(), BucketsError> {
    if bounds.is_empty() {
        return Err(BucketsError::Empty);
    }
    for (i, &b) in bounds.iter().enumerate() {
        if !b.is_finite() {
            return Err(BucketsError::NotFinite(b));
        }
        if i > 0 && bounds[i - 1] >= b {
            return Err(BucketsError::NotIncreasing(bounds[i - 1], b));
        }
    }
    Ok(())
}

impl Buckets {
    /// Bounds from a static slice (what the derive uses).
    pub fn from_static(bounds: &'static [f64]) -> Result<Self, BucketsError> {
        validate(bounds)?;
        Ok(Buckets(Repr::Static(bounds)))
    }

    /// Bounds from a vector.
    pub fn new(bounds: Vec<f64>) -> Result<Self, BucketsError> {
        validate(&bounds)?;
        Ok(Buckets(Repr::Shared(bounds.into())))
    }

    /// `count` bounds `start, start + width, ...`, computed in decimal: decimal inputs give the
    /// decimal bounds they spell (each bound is the float nearest to the exact decimal sum, as
    /// if written out by hand). The derive's `buckets = linear(..)` gives the same bounds.
    ///
    /// ```
    /// use metrics_core::{Buckets, Catalog, Histogram, Metrics};
    ///
    /// let b = Buckets::linear(0.001, 0.002, 6).unwrap();
    /// assert_eq!(b.as_slice(), [0.001, 0.003, 0.005, 0.007, 0.009, 0.011]);
    ///
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Wait time.
    ///     #[metric(unit = "seconds", buckets = linear(0.001, 0.002, 6))]
    ///     wait: Histogram,
    /// }
    /// assert_eq!(Catalog::of::<M>().metrics[0].buckets, b.as_slice());
    /// ```
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, BucketsError> {
        Self::new(super::bounds::linear(start, width, count))
    }

    /// `count` bounds `start, start * factor, ...` (Infra's `/metrics` page uses
    /// `exponential(0.001, 2.0, 15)`), computed in decimal as [`linear`](Self::linear) is, so
    /// that `exponential(0.1, 10.0, 4)` is `0.1, 1, 10, 100` and
    /// `exponential(0.3, 1.5, 3)` ends in `0.675`. The derive's `buckets = exponential(..)`
    /// gives the same bounds.
    ///
    /// ```
    /// use metrics_core::{Buckets, Catalog, Histogram, Metrics};
    ///
    /// let b = Buckets::exponential(0.3, 1.5, 3).unwrap();
    /// assert_eq!(b.as_slice(), [0.3, 0.45, 0.675]);
    ///
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Message size.
    ///     #[metric(unit = "bytes", buckets = exponential(0.3, 1.5, 3))]
    ///     size: Histogram,
    /// }
    /// assert_eq!(Catalog::of::<M>().metrics[0].buckets, b.as_slice());
    /// ```
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, BucketsError> {
        Self::new(super::bounds::exponential(start, factor, count))
    }

    /// The bounds.
    pub fn as_slice(&self) -> &[f64] {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }
}

impl Default for Buckets {
    /// [`DEFAULT_BUCKETS`].
    fn default() -> Self {
        Buckets(Repr::Static(DEFAULT_BUCKETS))
    }
}

impl fmt::Debug for Buckets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// A histogram.
///
/// Counts are kept per bucket and cumulated only when encoded, reading each once: the `+Inf`
/// bucket is the total, so `_count` always equals it and buckets are always cumulative, even
/// while other threads observe.
///
/// ```
/// use metrics_core::{Buckets, Histogram};
/// let h = Histogram::new(Buckets::new(vec![0.1, 1.0]).unwrap());
/// h.observe(0.05);
/// h.observe(0.5);
/// h.observe(7.0);
/// assert_eq!(h.count(), 3);
/// assert_eq!(h.sum(), 7.55);
/// ```
pub struct Histogram {
    buckets: Buckets,
    /// Classic counts, when there are no native buckets (the native storage keeps its own).
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
    created: AtomicU64,
    native: Option<Box<NativeCounts>>,
    exemplars: HistogramExemplars,
}

/// The classic bucket of `v` among `bounds`: the first whose bound is at least `v`, or the
/// `+Inf` bucket (`bounds.len()`), where NaN goes too.
#[inline]
fn bucket_of(bounds: &[f64], v: f64) -> usize {
    if v.is_nan() {
        return bounds.len();
    }
    if bounds.len() > 16 {
        return bounds.partition_point(|&b| b < v);
    }
    // A scan beats a binary search on short lists, and one inlined into the caller (this
    // path is small for that) keeps up with a scan of constant bounds. Four bounds at a time
    // first (one length check and one branch per four below `v`), then one at a time.
    let mut i = 0;
    while i + 4 <= bounds.len() && v > bounds[i + 3] {
        i += 4;
    }
    while i < bounds.len() && v > bounds[i] {
        i += 1;
    }
    i
}

/// The classic bounds of a native-only histogram: none, so that the text formats show a single
/// `le="+Inf"` bucket.
static NO_BOUNDS: &[f64] = &[];

impl Histogram {
    /// A histogram with the given buckets.
    pub fn new(buckets: Buckets) -> Self {
        let counts = (0..=buckets.as_slice().len()).map(|_| AtomicU64::new(0)).collect();
        Histogram {
            buckets,
            counts,
            sum: AtomicU64::new(0f64.to_bits()),
            created: AtomicU64::new(unique_nanos()),
            native: None,
            exemplars: HistogramExemplars::default(),
        }
    }

    /// A histogram with native buckets only: the text formats show its `_count`, `_sum` and a
    /// single `le="+Inf"` bucket; the protobuf format carries its native buckets. A family of
    /// them without the derive: `Family::with_constructor(move || Histogram::native(settings))`.
    ///
    /// ```
    /// use metrics_core::{Family, Histogram, LabelSet, NativeBuckets};
    /// #[derive(LabelSet)]
    /// struct Route {
    ///     route: String,
    /// }
    /// let settings = NativeBuckets::DEFAULT.with_max_buckets(40).unwrap();
    /// let latency: Family<Route, Histogram> = Family::with_constructor(move || Histogram::native(settings));
    /// latency.get_or_create(&Route { route: "/".into() }).observe(0.25);
    /// assert_eq!(latency.get_or_create(&Route { route: "/".into() }).native_buckets(), Some(&settings));
    /// ```
    pub fn native(settings: NativeBuckets) -> Self {
        Histogram {
            buckets: Buckets(Repr::Static(NO_BOUNDS)),
            counts: Box::new([]),
            sum: AtomicU64::new(0f64.to_bits()),
            created: AtomicU64::new(unique_nanos()),
            native: Some(Box::new(NativeCounts::new(settings, 1))),
            exemplars: HistogramExemplars::default(),
        }
    }

    /// This histogram with native buckets as well as its classic ones (the text formats show
    /// the classic buckets, protobuf both). Observations made before are dropped.
    ///
    /// ```
    /// use metrics_core::{Buckets, Histogram, NativeBuckets};
    /// let h = Histogram::new(Buckets::new(vec![0.1, 1.0]).unwrap()).with_native(NativeBuckets::DEFAULT);
    /// h.observe(0.5);
    /// assert_eq!(h.count(), 1);
    /// assert_eq!(h.native_buckets(), Some(&NativeBuckets::DEFAULT));
    /// ```
    pub fn with_native(self, settings: NativeBuckets) -> Self {
        let classic = self.buckets.as_slice().len() + 1;
        Histogram {
            counts: Box::new([]),
            native: Some(Box::new(NativeCounts::new(settings, classic))),
            sum: AtomicU64::new(0f64.to_bits()),
            ..self
        }
    }

    /// The native bucket settings, if the histogram has native buckets.
    pub fn native_buckets(&self) -> Option<&NativeBuckets> {
        self.native.as_deref().map(NativeCounts::settings)
    }

    /// Records one observation: any number, or a [`Duration`] in seconds (see [`FloatValue`]).
    /// NaN is counted in the `+Inf` bucket and makes the sum NaN, as in client_golang.
    #[inline]
    pub fn observe(&self, v: impl FloatValue) {
        self.record(v.to_f64());
    }

    /// Records one observation and keeps `labels` (any [`LabelSet`](crate::LabelSet), such as
    /// a struct with a `trace_id` field) as the exemplar of the classic bucket the value falls
    /// in (so an exemplar always lies in its bucket) and, with native buckets, among the ten
    /// most recent native exemplars, with the current time. The observation always happens;
    /// the exemplar is not kept when its label names and values hold more than
    /// [`MAX_EXEMPLAR_CHARS`](crate::MAX_EXEMPLAR_CHARS) characters together, or when the
    /// value is NaN. Exemplars show in OpenMetrics and protobuf.
    ///
    /// Note: each classic bucket, and the native exemplars, take in at most
    /// [`MAX_EXEMPLARS_PER_MS`](crate::MAX_EXEMPLARS_PER_MS) (16) exemplars a millisecond;
    /// the others of that millisecond are not kept, so that a busy histogram copies few labels
    /// (see [`Exemplar`](crate::Exemplar), which also tells of the clock thread this starts).
    ///
    /// ```
    /// use metrics_core::{Buckets, Format, Histogram, LabelSet, Metrics, Registry, RenderOptions};
    /// #[derive(LabelSet)]
    /// struct Trace {
    ///     trace_id: String,
    /// }
    /// #[derive(Metrics)]
    /// struct M {
    ///     /// Latency.
    ///     #[metric(unit = "seconds", buckets = [0.1, 1.0])]
    ///     latency: Histogram,
    /// }
    /// let m = std::sync::Arc::new(M::default());
    /// m.latency.observe_with_exemplar(0.25, &Trace { trace_id: "abc".into() });
    /// let registry = Registry::new();
    /// registry.register_arc(m).unwrap();
    /// let mut out = Vec::new();
    /// registry.render_into(&RenderOptions::new(Format::OpenMetrics).with_created(false), &mut out);
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.contains("latency_seconds_bucket{le=\"1.0\"} 1 # {trace_id=\"abc\"} 0.25 "), "{text}");
    /// ```
    pub fn observe_with_exemplar<L: EncodeLabels + ?Sized>(&self, v: impl FloatValue, labels: &L) {
        let v = v.to_f64();
        let bucket = self.record(v);
        self.exemplars.set(labels, v, bucket, self.buckets.as_slice().len() + 1, self.native.is_some());
    }

    /// Records `v`; returns the classic bucket it fell in.
    #[inline]
    fn record(&self, v: f64) -> usize {
        if let Some(n) = &self.native {
            return self.record_native(n, v);
        }
        let i = bucket_of(self.buckets.as_slice(), v);
        if let Some(c) = self.counts.get(i) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        add_f64(&self.sum, v);
        i
    }

    /// [`record`](Self::record) with native buckets, out of line so that the classic path
    /// stays small enough to inline.
    #[inline(never)]
    fn record_native(&self, n: &NativeCounts, v: f64) -> usize {
        let bounds = self.buckets.as_slice();
        // Native only: no classic bucket to find.
        let i = if bounds.is_empty() { 0 } else { bucket_of(bounds, v) };
        n.observe(v, i);
        i
    }

    /// Records a duration in seconds (the same as `observe(d)`).
    pub fn observe_duration(&self, d: Duration) {
        self.record(d.as_secs_f64());
    }

    /// Starts a timer that observes the elapsed seconds when dropped.
    ///
    /// ```
    /// use metrics_core::Histogram;
    /// let h = Histogram::default();
    /// {
    ///     let _t = h.start_timer();
    /// }
    /// assert_eq!(h.count(), 1);
    /// ```
    pub fn start_timer(&self) -> HistogramTimer<'_> {
        HistogramTimer { histogram: self, start: Instant::now() }
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        if let Some(n) = &self.native {
            return n.count();
        }
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        if let Some(n) = &self.native {
            return n.sum();
        }
        f64::from_bits(self.sum.load(Ordering::Relaxed))
    }

    /// The bucket bounds.
    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }
}

impl Default for Histogram {
    /// A histogram with [`DEFAULT_BUCKETS`].
    fn default() -> Self {
        Self::new(Buckets::default())
    }
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("buckets", &self.buckets)
            .field("count", &self.count())
            .field("sum", &self.sum())
            .finish()
    }
}

impl Metric for Histogram {
    const KIND: MetricKind = MetricKind::Histogram;

    fn from_descriptor(desc: &Descriptor) -> Self {
        match (Buckets::from_static(desc.buckets), desc.native) {
            (Ok(b), None) => Self::new(b),
            (Err(_), None) => Self::default(),
            (Ok(b), Some(n)) => Self::new(b).with_native(n),
            (Err(_), Some(n)) => Self::native(n),
        }
    }

    fn reset(&self) {
        self.exemplars.clear();
        if let Some(n) = &self.native {
            n.reset();
            self.created.store(unique_nanos(), Ordering::Relaxed);
            return;
        }
        for c in self.counts.iter() {
            c.store(0, Ordering::Relaxed);
        }
        self.sum.store(0f64.to_bits(), Ordering::Relaxed);
        self.created.store(unique_nanos(), Ordering::Relaxed);
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        let created = seconds(self.created.load(Ordering::Relaxed));
        let bounds = self.buckets.as_slice();
        if let Some(n) = &self.native {
            n.snapshot(|s| {
                let data = HistogramData { bounds, counts: s.classic, sum: s.sum, created, native: Some(&s.native) };
                self.exemplars.with(|ex| match ex {
                    Some(ex) => e.sample_with_exemplars(desc, labels, SampleValue::Histogram(data), ex),
                    None => e.sample(desc, labels, SampleValue::Histogram(data)),
                });
            });
            return;
        }
        let data = HistogramData { bounds, counts: &self.counts, sum: self.sum(), created, native: None };
        self.exemplars.with(|ex| match ex {
            Some(ex) => e.sample_with_exemplars(desc, labels, SampleValue::Histogram(data), ex),
            None => e.sample(desc, labels, SampleValue::Histogram(data)),
        });
    }

    fn fingerprint(&self) -> u64 {
        match &self.native {
            // No snapshot (it takes the histogram's mutex) just to see whether it changed.
            Some(n) => n.observations(),
            None => self.count(),
        }
    }

    fn order(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}

/// Observes the seconds elapsed since [`Histogram::start_timer`] when dropped.
#[derive(Debug)]
#[must_use = "the timer observes the elapsed time when dropped: dropped at once (or bound to `_`), it records about zero; bind it to a named variable such as `_timer`"]
pub struct HistogramTimer<'a> {
    histogram: &'a Histogram,
    start: Instant,
}

impl HistogramTimer<'_> {
    /// Stops the timer now and observes.
    pub fn observe(self) {}
}

impl Drop for HistogramTimer<'_> {
    fn drop(&mut self) {
        self.histogram.observe(self.start.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_helpers() {
        let e = Buckets::exponential(0.001, 2.0, 15).map(|b| b.as_slice().to_vec());
        assert_eq!(e.as_ref().map(|v| v.len()), Ok(15));
        assert_eq!(e.as_ref().map(|v| v[14]), Ok(16.384));
        assert_eq!(Buckets::linear(1.0, 1.0, 3).map(|b| b.as_slice().to_vec()), Ok(vec![1.0, 2.0, 3.0]));
        assert_eq!(Buckets::new(vec![]), Err(BucketsError::Empty));
        assert_eq!(Buckets::new(vec![1.0, 1.0]), Err(BucketsError::NotIncreasing(1.0, 1.0)));
        assert!(matches!(Buckets::new(vec![f64::NAN]), Err(BucketsError::NotFinite(_))));
    }

    /// How a bound prints in Prometheus text.
    fn text(v: f64) -> String {
        let mut out = Vec::new();
        crate::encoding::number::write_float(&mut out, v, crate::encoding::number::FloatStyle::Go);
        String::from_utf8(out).unwrap_or_default()
    }

    fn bounds(b: Result<Buckets, BucketsError>) -> Vec<String> {
        b.map(|b| b.as_slice().iter().map(|&v| text(v)).collect()).unwrap_or_default()
    }

    #[test]
    fn decimal_inputs_give_decimal_bounds() {
        assert_eq!(bounds(Buckets::linear(0.001, 0.002, 6)), ["0.001", "0.003", "0.005", "0.007", "0.009", "0.011"]);
        assert_eq!(bounds(Buckets::linear(0.1, 0.1, 3)), ["0.1", "0.2", "0.3"]);
        assert_eq!(bounds(Buckets::linear(-0.3, 0.1, 4)), ["-0.3", "-0.2", "-0.1", "0"]);
        assert_eq!(bounds(Buckets::linear(1e-7, 1e-7, 3)), ["1e-07", "2e-07", "3e-07"]);
        assert_eq!(bounds(Buckets::linear(1e20, 1e20, 2)), ["1e+20", "2e+20"]);
        assert_eq!(bounds(Buckets::exponential(0.1, 10.0, 5)), ["0.1", "1", "10", "100", "1000"]);
        assert_eq!(bounds(Buckets::exponential(0.3, 1.5, 4)), ["0.3", "0.45", "0.675", "1.0125"]);
        assert_eq!(bounds(Buckets::exponential(0.001, 2.0, 15)).last().map(String::as_str), Some("16.384"));
        // Every decimal start and width with up to three decimals and every count up to 40: each
        // bound is the decimal written out (`0.001 * k` for integers `k`, printed shortest).
        for s in 0..=200u32 {
            for w in 1..=60u32 {
                let (start, width) = (f64::from(s) / 1000.0, f64::from(w) / 1000.0);
                let got = Buckets::linear(start, width, 40).map(|b| b.as_slice().to_vec()).unwrap_or_default();
                for (i, v) in got.iter().enumerate() {
                    let want: f64 = format!("{}e-3", s + w * i as u32).parse().unwrap_or(f64::NAN);
                    assert_eq!(v.to_bits(), want.to_bits(), "linear({start}, {width}, ..)[{i}] = {v}");
                }
            }
        }
        for s in 1..=50u32 {
            for f in 2..=10u32 {
                let start = f64::from(s) / 100.0;
                let got =
                    Buckets::exponential(start, f64::from(f), 12).map(|b| b.as_slice().to_vec()).unwrap_or_default();
                for (i, v) in got.iter().enumerate() {
                    let want: f64 =
                        format!("{}e-2", u64::from(s) * u64::from(f).pow(i as u32)).parse().unwrap_or(f64::NAN);
                    assert_eq!(v.to_bits(), want.to_bits(), "exponential({start}, {f}, ..)[{i}] = {v}");
                }
            }
        }
    }

    #[test]
    fn bounds_past_128_bits_fall_back_to_floats() {
        // 11^i overflows 128 bits from i = 37: later bounds are computed in floats, and the
        // series stays increasing across the change.
        let b = Buckets::exponential(0.001, 1.1, 1000).map(|b| b.as_slice().to_vec()).unwrap_or_default();
        assert_eq!(b.len(), 1000);
        assert!(b.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(text(b[2]), "0.00121");
        let last = 0.001 * 1.1f64.powi(999);
        assert!((b[999] - last).abs() <= last * 1e-12, "{} {last}", b[999]);
    }

    #[test]
    fn a_native_histogram_fingerprint_moves_with_each_observation() {
        let h = Histogram::native(NativeBuckets::DEFAULT);
        let before = h.fingerprint();
        h.observe(1.0);
        let after = h.fingerprint();
        assert_ne!(before, after);
        assert_eq!(after, h.fingerprint(), "reading it changes nothing");
        h.observe(f64::NAN);
        assert_ne!(after, h.fingerprint(), "a NaN observation counts too");
    }

    #[test]
    fn observations_land_in_le_buckets() {
        let h = Histogram::new(Buckets::new(vec![1.0, 2.0]).unwrap_or_default());
        for v in [0.5, 1.0, 1.5, 2.0, 3.0, f64::INFINITY] {
            h.observe(v);
        }
        let got: Vec<u64> = h.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
        assert_eq!(got, vec![2, 2, 2]);
    }

    #[test]
    fn the_scan_finds_the_first_bound_at_or_above() {
        for len in 1..=20 {
            let bounds: Vec<f64> = (1..=len).map(f64::from).collect();
            for tenths in -5..=(len * 10 + 5) {
                let v = f64::from(tenths) / 10.0;
                let want = bounds.iter().position(|&b| v <= b).unwrap_or(bounds.len());
                assert_eq!(bucket_of(&bounds, v), want, "{v} among {len} bounds");
            }
            assert_eq!(bucket_of(&bounds, f64::INFINITY), bounds.len());
            assert_eq!(bucket_of(&bounds, f64::NEG_INFINITY), 0);
        }
    }

    #[test]
    fn nan_lands_in_the_inf_bucket() {
        for bounds in [vec![1.0, 2.0], (1..=40).map(f64::from).collect()] {
            let h = Histogram::new(Buckets::new(bounds).unwrap_or_default());
            h.observe(f64::NAN);
            let got: Vec<u64> = h.counts.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            assert_eq!(got.last(), Some(&1), "{got:?}");
            assert_eq!(got.iter().sum::<u64>(), 1);
            assert!(h.sum().is_nan());
        }
    }
}
