//! Summaries: quantiles over a sliding time window, with an all-time sum and count.

use crate::sync::{AtomicU64, Ordering};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sketches_ddsketch::{Config, DDSketch};

use crate::clock::{seconds, unique_nanos};
use crate::descriptor::{Descriptor, MetricKind};
use crate::encoding::{Encoder, SampleValue, SummaryData};
use crate::labels::EncodeLabels;
use crate::metric::{FloatValue, Metric};

/// The quantiles a summary reports when none are given.
pub const DEFAULT_QUANTILES: &[f64] = &[0.5, 0.9, 0.99];
/// How long an observation counts towards the quantiles when no window is given (as
/// client_golang: ten minutes).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
/// The window is split into this many slices; the oldest is dropped as time passes.
const AGE_BUCKETS: usize = 5;
/// Relative accuracy of the quantile estimates.
const RELATIVE_ACCURACY: f64 = 0.01;

/// A summary: `quantile` samples over the last `max_age` of observations, plus `_sum` and
/// `_count` over all of them, as client_golang's summary (Infra's
/// `go_gc_duration_seconds`).
///
/// Quantile φ of the `n` observations in the window is the observation of rank `⌈φ·n⌉` (the
/// smallest value with at least φ of the observations at or below it, as Prometheus users
/// expect: over `{11, 12, 9325}` the 0.9 quantile is 9325), estimated with a DDSketch (the
/// `sketches-ddsketch` crate) within 1 % of that observation; the smallest and the largest
/// observation are exact. The window is
/// kept as five slices of `max_age / 5`: an observation stops counting between `4/5 max_age`
/// and `max_age` after it was made. A quantile of an empty window is NaN.
///
/// ```
/// use metrics_core::Summary;
/// let s = Summary::default();
/// for v in 1..=100 {
///     s.observe(v as f64);
/// }
/// let q = s.quantile(0.5).unwrap();
/// assert!((q - 50.0).abs() <= 0.5, "{q}");
/// assert_eq!(s.quantile(1.0), Some(100.0));
/// assert_eq!(s.count(), 100);
///
/// let few = Summary::default();
/// for v in [11.0, 12.0, 9325.0] {
///     few.observe(v);
/// }
/// assert_eq!(few.quantile(0.9), Some(9325.0));
/// assert_eq!(few.quantile(0.99), Some(9325.0));
/// assert_eq!(few.quantile(0.3), Some(11.0));
/// let median = few.quantile(0.5).unwrap();
/// assert!((median - 12.0).abs() <= 0.12, "{median}");
/// ```
pub struct Summary {
    quantiles: Arc<[f64]>,
    slice: Duration,
    state: Mutex<State>,
    created: AtomicU64,
}

struct State {
    slices: Vec<DDSketch>,
    head: usize,
    head_start: Instant,
    sum: f64,
    count: u64,
}

fn sketch() -> DDSketch {
    DDSketch::new(Config::new(RELATIVE_ACCURACY, 2048, 1.0e-9))
}

/// Why a summary configuration was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum SummaryError {
    /// A quantile outside `[0, 1]` (or NaN).
    Quantile(f64),
    /// A window of zero length.
    MaxAge,
}

impl fmt::Display for SummaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SummaryError::Quantile(q) => write!(f, "quantile {q} is outside [0, 1]"),
            SummaryError::MaxAge => f.write_str("a summary's max_age must be longer than zero"),
        }
    }
}

impl std::error::Error for SummaryError {}

impl Summary {
    /// A summary reporting `quantiles` over the last `max_age`.
    pub fn new(quantiles: &[f64], max_age: Duration) -> Result<Self, SummaryError> {
        if let Some(&q) = quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return Err(SummaryError::Quantile(q));
        }
        if max_age.is_zero() {
            return Err(SummaryError::MaxAge);
        }
        Ok(Self::build(quantiles, max_age))
    }

    /// A summary from a configuration already checked.
    fn build(quantiles: &[f64], max_age: Duration) -> Self {
        Summary {
            quantiles: quantiles.into(),
            slice: max_age / AGE_BUCKETS as u32,
            state: Mutex::new(State {
                slices: (0..AGE_BUCKETS).map(|_| sketch()).collect(),
                head: 0,
                head_start: Instant::now(),
                sum: 0.0,
                count: 0,
            }),
            created: AtomicU64::new(unique_nanos()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.rotate(self.slice, Instant::now());
        s
    }

    /// Records one observation: any number, or a [`Duration`] in seconds (see [`FloatValue`]).
    /// NaN counts towards `_count` and makes `_sum` NaN, but is left out of the quantiles.
    pub fn observe(&self, v: impl FloatValue) {
        let v = v.to_f64();
        let mut s = self.lock();
        if !v.is_nan() {
            let head = s.head;
            s.slices[head].add(v);
        }
        s.sum += v;
        s.count += 1;
    }

    /// The estimate of quantile `q` over the window, `None` if the window is empty or `q` is
    /// outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        rank_quantile(&self.lock().window(), q)
    }

    /// The number of observations ever made.
    pub fn count(&self) -> u64 {
        self.lock().count
    }

    /// The sum of observations ever made.
    pub fn sum(&self) -> f64 {
        self.lock().sum
    }
}

/// Quantile `q` of the observations in `sketch`: the estimate of the observation of rank
/// `⌈q·n⌉` (1-based), `None` if the sketch is empty or `q` is outside `[0, 1]`.
///
/// The sketch's own rank is `⌊q·(n - 1)⌋` (0-based), which on few observations falls a whole
/// observation short (`{11, 12, 9325}` gave 12 for the 0.9 quantile); it is asked for a
/// quantile that lands on the wanted rank instead. The first and last ranks are the sketch's
/// exact minimum and maximum.
fn rank_quantile(sketch: &DDSketch, q: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&q) {
        return None;
    }
    let n = sketch.count();
    if n == 0 {
        return None;
    }
    let r = q * n as f64;
    // `q·n` can land a rounding error above an integer (0.29 · 100): that must not move it up a
    // rank.
    let k = ((r - r * 1e-12).ceil() as usize).clamp(1, n) - 1;
    if k == 0 {
        return sketch.min();
    }
    if k == n - 1 {
        return sketch.max();
    }
    // The sketch takes rank `⌊q'·(n - 1)⌋`: half a rank above `k` is safe from rounding.
    sketch.quantile((k as f64 + 0.5) / (n - 1) as f64).ok().flatten()
}

impl State {
    fn rotate(&mut self, slice: Duration, now: Instant) {
        let mut elapsed = now.saturating_duration_since(self.head_start);
        if elapsed < slice {
            return;
        }
        if elapsed >= slice * AGE_BUCKETS as u32 {
            for s in &mut self.slices {
                *s = sketch();
            }
            self.head_start = now;
            return;
        }
        while elapsed >= slice {
            self.head = (self.head + 1) % AGE_BUCKETS;
            self.slices[self.head] = sketch();
            self.head_start += slice;
            elapsed -= slice;
        }
    }

    fn window(&self) -> DDSketch {
        let mut all = sketch();
        for s in &self.slices {
            // Merging sketches of one configuration cannot fail.
            let _ = all.merge(s);
        }
        all
    }
}

impl Default for Summary {
    /// [`DEFAULT_QUANTILES`] over [`DEFAULT_MAX_AGE`].
    fn default() -> Self {
        Self::build(DEFAULT_QUANTILES, DEFAULT_MAX_AGE)
    }
}

impl fmt::Debug for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Summary")
            .field("quantiles", &self.quantiles)
            .field("max_age", &(self.slice * AGE_BUCKETS as u32))
            .finish()
    }
}

impl Metric for Summary {
    const KIND: MetricKind = MetricKind::Summary;

    fn from_descriptor(desc: &Descriptor) -> Self {
        let q = if desc.quantiles.is_empty() { DEFAULT_QUANTILES } else { desc.quantiles };
        let age = if desc.max_age_secs == 0 { DEFAULT_MAX_AGE } else { Duration::from_secs(desc.max_age_secs) };
        Summary::new(q, age).unwrap_or_default()
    }

    fn reset(&self) {
        let mut s = self.lock();
        for sk in &mut s.slices {
            *sk = sketch();
        }
        s.sum = 0.0;
        s.count = 0;
        self.created.store(unique_nanos(), Ordering::Relaxed);
    }

    fn encode<E: Encoder, L: EncodeLabels + ?Sized>(&self, desc: &Descriptor, labels: &L, e: &mut E) {
        let (window, sum, count) = {
            let s = self.lock();
            (s.window(), s.sum, s.count)
        };
        let quantiles: Vec<(f64, f64)> =
            self.quantiles.iter().map(|&q| (q, rank_quantile(&window, q).unwrap_or(f64::NAN))).collect();
        let created = seconds(self.created.load(Ordering::Relaxed));
        e.sample(desc, labels, SampleValue::Summary(SummaryData { quantiles: &quantiles, sum, count, created }));
    }

    fn fingerprint(&self) -> u64 {
        self.count()
    }

    fn order(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_forgets_old_observations() {
        let mut st = State {
            slices: (0..AGE_BUCKETS).map(|_| sketch()).collect(),
            head: 0,
            head_start: Instant::now(),
            sum: 0.0,
            count: 0,
        };
        st.slices[0].add(1000.0);
        let start = st.head_start;
        let slice = Duration::from_secs(1);
        st.rotate(slice, start + Duration::from_millis(4500));
        assert_eq!(st.window().max(), Some(1000.0), "still inside the window");
        st.slices[st.head].add(1.0);
        st.rotate(slice, start + Duration::from_millis(5100));
        assert_eq!(st.window().max(), Some(1.0), "the first slice has aged out");
    }

    /// The observation of rank ⌈q·n⌉ (1-based).
    fn exact(sorted: &[f64], q: f64) -> f64 {
        let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[k - 1]
    }

    fn check(values: &[f64], q: f64) {
        let mut sk = sketch();
        values.iter().for_each(|&v| sk.add(v));
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let want = exact(&sorted, q);
        let got = rank_quantile(&sk, q).unwrap_or(f64::NAN);
        assert!(
            (got - want).abs() <= RELATIVE_ACCURACY * want.abs() * (1.0 + 1e-9),
            "quantile {q} of {} values: got {got}, exact {want}",
            values.len()
        );
    }

    const QUANTILES: [f64; 10] = [0.0, 0.01, 0.1, 0.25, 0.29, 0.5, 0.75, 0.9, 0.99, 1.0];

    #[test]
    fn quantiles_are_the_ceil_rank_on_tiny_inputs() {
        let tiny: [&[f64]; 6] =
            [&[11.0, 12.0, 9325.0], &[5.0], &[1.0, 1000.0], &[3.0, 1.0, 2.0, 4.0], &[-7.0, 0.0, 7.0], &[0.5; 3]];
        for values in tiny {
            for q in QUANTILES {
                check(values, q);
            }
        }
        let mut sk = sketch();
        [11.0, 12.0, 9325.0].iter().for_each(|&v| sk.add(v));
        assert_eq!(rank_quantile(&sk, 0.9), Some(9325.0));
        assert_eq!(rank_quantile(&sk, 0.99), Some(9325.0));
        assert_eq!(rank_quantile(&sk, 1.5), None);
        assert_eq!(rank_quantile(&sketch(), 0.5), None);
    }

    #[test]
    fn quantiles_are_the_ceil_rank_on_random_inputs() {
        // xorshift64*: deterministic, spread over six decades, some negative.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            x.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        for n in (1..=40).chain([99, 100, 101, 1000, 4321]) {
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    let r = next();
                    let v = (r >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi((r % 6) as i32);
                    if r % 7 == 0 { -v } else { v }
                })
                .collect();
            for q in QUANTILES {
                check(&values, q);
            }
        }
    }

    #[test]
    fn bad_config_is_refused() {
        assert_eq!(Summary::new(&[1.5], DEFAULT_MAX_AGE).err(), Some(SummaryError::Quantile(1.5)));
        assert_eq!(Summary::new(&[0.5], Duration::ZERO).err(), Some(SummaryError::MaxAge));
    }
}
