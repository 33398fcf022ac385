//! Families: one metric per label set.

mod cache;
mod dense;
mod dynamic;

use crate::sync::Ordering;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use std::time::{Duration, Instant};
use triomphe::Arc as NodeArc;

use crate::descriptor::{Descriptor, LabelDescriptor, MetricKind};
use crate::encoding::Encoder;
use crate::labels::{DenseLabels, LabelSet, OverflowLabels};
use crate::metric::histogram::Histogram;
use crate::metric::{Collect, Metric};

use dense::Dense;
use dynamic::{Dynamic, Lookup, Node};

type MakeFn<M> = Arc<dyn Fn() -> M + Send + Sync>;

/// A metric family: one metric `M` per label set `L`.
///
/// Storage is chosen from `L` at compile time:
/// - when every label is a fixed-cardinality enum (`L::CARDINALITY` is `Some`), every series is
///   preallocated in an array and found by arithmetic on the enum indices: no hashing, no lock.
///   Each series has its own 128-byte block (64 on targets other than x86-64 and aarch64), so
///   threads updating different series never share a cache line;
/// - otherwise series live in a sharded hash table (foldhash), and finding an existing series
///   takes one shard's read lock.
///
/// [`get_or_create`](Self::get_or_create) returns a [`SeriesRef`] that holds no lock, so a
/// scrape, a removal or nested use of the family can never deadlock with it. Series are
/// rendered in enum order (dense) or creation order (dynamic).
///
/// Note: a removed series' handle stays usable but is detached: updates through it are not
/// shown (a dense series is reset and shows again once re-created).
///
/// Note: each thread keeps the dynamic-family series it used last in a small cache (256
/// entries per thread, shared by all families). A series that is removed, expired as idle
/// ([`with_idle_expiry`](Self::with_idle_expiry)) or whose family is dropped is never
/// rendered or returned again, but its memory (labels and metric) is freed only once every
/// thread that used it recently has reused the cache slot for another series, or has exited.
///
/// Note: a dynamic family that has been rendered keeps the creation order of its series (4
/// bytes per series) so that the next rendering need not sort them again while no series was
/// added or removed.
///
/// ```
/// use metrics_core::{Counter, Family, LabelSet, LabelValue};
///
/// #[derive(LabelValue)]
/// enum Method { Get, Post }
/// #[derive(LabelSet)]
/// struct Labels { method: Method, path: String }
///
/// let requests: Family<Labels, Counter> = Family::new();
/// let labels = Labels { method: Method::Get, path: "/".into() };
/// requests.get_or_create(&labels).inc();
/// requests.get_or_create(&labels).inc();
/// assert_eq!(requests.get(&labels).map(|c| c.get()), Some(2));
/// assert!(requests.remove(&labels));
/// assert_eq!(requests.len(), 0);
/// ```
pub struct Family<L: LabelSet, M: Metric> {
    /// The series of an all-enum label set; empty (nothing allocated) for other label sets.
    dense: Dense<M>,
    /// The series of other label sets; empty (nothing allocated) for all-enum ones. Inline:
    /// boxing it would add a pointer chase to every increment of a family that is built once
    /// and never moved.
    dynamic: Dynamic<L, M>,
    make: MakeFn<M>,
    overflow: OnceLock<M>,
}

/// The storage a family uses, picked by [`Family::storage`] from `L::CARDINALITY`, a constant:
/// every `match` on it is decided at compile time, so a dense family's increment tests no
/// discriminant (an enum holding one storage or the other cost a compare and a branch each).
enum Storage<'a, L, M> {
    Dense(&'a Dense<M>),
    Dynamic(&'a Dynamic<L, M>),
}

/// A handle to one series' metric, returned by [`Family::get_or_create`]. It holds no lock.
pub struct SeriesRef<'a, L, M>(Ref<'a, L, M>);

enum Ref<'a, L, M> {
    /// A series of a dense family, or the family's overflow series.
    Borrowed(&'a M),
    /// A series of a dynamic family.
    Shared(NodeArc<Node<L, M>>),
}

impl<L, M> Deref for SeriesRef<'_, L, M> {
    type Target = M;

    #[inline]
    fn deref(&self) -> &M {
        match &self.0 {
            Ref::Borrowed(m) => m,
            Ref::Shared(n) => &n.metric,
        }
    }
}

impl<L, M> Clone for SeriesRef<'_, L, M> {
    /// Another handle to the same series (for a dynamic family, a reference count more).
    fn clone(&self) -> Self {
        SeriesRef(match &self.0 {
            Ref::Borrowed(m) => Ref::Borrowed(m),
            Ref::Shared(n) => Ref::Shared(n.clone()),
        })
    }
}

impl<'a, L> SeriesRef<'a, L, Histogram> {
    /// Starts a timer that observes the elapsed seconds into this series when dropped.
    ///
    /// The timer holds its own handle to the series, so it can be started from the handle
    /// [`Family::get_or_create`] returns without keeping that handle in a variable
    /// ([`Histogram::start_timer`] borrows the histogram, which that temporary handle would not
    /// outlive).
    ///
    /// ```
    /// use metrics_core::{Family, Histogram, LabelSet};
    ///
    /// #[derive(LabelSet)]
    /// struct Labels { route: String }
    ///
    /// let latency: Family<Labels, Histogram> = Family::new();
    /// let labels = Labels { route: "/".into() };
    /// {
    ///     let _timer = latency.get_or_create(&labels).start_timer();
    ///     // ... the work being timed ...
    /// }
    /// assert_eq!(latency.get(&labels).map(|h| h.count()), Some(1));
    /// ```
    pub fn start_timer(&self) -> SeriesTimer<'a, L> {
        SeriesTimer { series: self.clone(), start: Instant::now() }
    }
}

/// Observes the seconds elapsed since [`SeriesRef::start_timer`] into its series when dropped.
///
/// It keeps the series' handle, which stays usable beside it:
///
/// ```
/// use metrics_core::{Family, Histogram, LabelSet, LabelValue};
///
/// #[derive(LabelValue)]
/// enum Stage { Parse, Send }
/// #[derive(LabelSet)]
/// struct Labels { stage: Stage }
///
/// let latency: Family<Labels, Histogram> = Family::new();
/// let parse = latency.get_or_create(&Labels { stage: Stage::Parse });
/// let timer = parse.start_timer();
/// parse.observe(0.5);
/// timer.observe();
/// assert_eq!(parse.count(), 2);
/// latency.get_or_create(&Labels { stage: Stage::Send }).start_timer().observe();
/// assert_eq!(latency.get(&Labels { stage: Stage::Send }).map(|h| h.count()), Some(1));
/// ```
#[must_use = "the timer observes the elapsed time when dropped: dropped at once (or bound to `_`), it records about zero; bind it to a named variable such as `_timer`"]
pub struct SeriesTimer<'a, L> {
    series: SeriesRef<'a, L, Histogram>,
    start: Instant,
}

impl<L> SeriesTimer<'_, L> {
    /// Stops the timer now and observes.
    pub fn observe(self) {}
}

impl<L> Drop for SeriesTimer<'_, L> {
    fn drop(&mut self) {
        self.series.observe(self.start.elapsed());
    }
}

impl<L> fmt::Debug for SeriesTimer<'_, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesTimer").field("histogram", &*self.series).field("start", &self.start).finish()
    }
}

impl<L, M: fmt::Debug> fmt::Debug for SeriesRef<'_, L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<L: LabelSet, M: Metric + Default> Family<L, M> {
    /// A family whose series start as `M::default()`, with no series limit.
    pub fn new() -> Self {
        Self::with_constructor(M::default)
    }
}

impl<L: LabelSet, M: Metric + Default> Default for Family<L, M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<L: LabelSet, M: Metric> Family<L, M> {
    /// A family whose series are made by `make` (for histograms with their own buckets, ...).
    pub fn with_constructor(make: impl Fn() -> M + Send + Sync + 'static) -> Self {
        Self::build(Arc::new(make), 0, None)
    }

    fn build(make: MakeFn<M>, limit: usize, idle: Option<Duration>) -> Self {
        let (dense, dynamic) = match L::CARDINALITY {
            Some(n) => (Dense::new(n, &*make), Dynamic::new(0, None)),
            None => (Dense::new(0, &*make), Dynamic::new(limit, idle)),
        };
        Family { dense, dynamic, make, overflow: OnceLock::new() }
    }

    #[inline(always)]
    fn storage(&self) -> Storage<'_, L, M> {
        match L::CARDINALITY {
            Some(_) => Storage::Dense(&self.dense),
            None => Storage::Dynamic(&self.dynamic),
        }
    }

    /// Sets the most series the family holds (0: no limit). Past it, no series is created:
    /// updates go to one overflow series whose every label is
    /// [`OVERFLOW_VALUE`](crate::labels::OVERFLOW_VALUE), which is rendered like any other, and
    /// [`overflowed`](Self::overflowed) counts the refused label sets. Memory stays bounded and
    /// no update is lost. Dense families are bounded by their enums and ignore the limit.
    pub fn with_limit(self, limit: usize) -> Self {
        let idle = self.idle_after();
        Self::build(self.make, limit, idle)
    }

    /// Removes series of a dynamic family whose value has not changed for `after`, checked at
    /// each scrape (or [`expire_idle`](Self::expire_idle)) by comparing values, so updates pay
    /// nothing for it.
    pub fn with_idle_expiry(self, after: Duration) -> Self {
        let limit = match self.storage() {
            Storage::Dynamic(d) => d.limit,
            Storage::Dense(_) => 0,
        };
        Self::build(self.make, limit, Some(after))
    }

    fn idle_after(&self) -> Option<Duration> {
        match self.storage() {
            Storage::Dynamic(d) => d.idle.as_ref().map(|i| i.after),
            Storage::Dense(_) => None,
        }
    }

    /// The metric of the series `labels`, created if it does not exist yet.
    // Always inlined, so that at every call site the dense path is index arithmetic and one
    // load, and the handle needs no drop. Left to the inliner, a crate with several call sites
    // got an out-of-line call returning an enum: 8.0 -> 9.6 ns per increment of a dense family
    // in `benches`.
    #[inline(always)]
    pub fn get_or_create(&self, labels: &L) -> SeriesRef<'_, L, M> {
        match self.storage() {
            Storage::Dense(d) => match d.get_or_create(labels.dense_index()) {
                Some(m) => SeriesRef(Ref::Borrowed(m)),
                None => SeriesRef(Ref::Borrowed(self.overflow_metric())),
            },
            // Known at compile time: for a dense label set this arm is gone, so the handle is
            // known to borrow and the call site has no drop to check.
            Storage::Dynamic(d) => self.get_or_create_dynamic(d, labels),
        }
    }

    #[inline]
    fn get_or_create_dynamic(&self, d: &Dynamic<L, M>, labels: &L) -> SeriesRef<'_, L, M> {
        match d.get_or_create(labels, &*self.make) {
            Lookup::Found(n) => SeriesRef(Ref::Shared(n)),
            Lookup::Overflow => SeriesRef(Ref::Borrowed(self.overflow_metric())),
        }
    }

    /// Calls `f` with the metric of the series `labels` (created if it does not exist yet) and
    /// returns what `f` returns.
    ///
    /// The same as `f(&family.get_or_create(labels))`, but for a dynamic family whose series
    /// this thread used recently no handle is made: a [`SeriesRef`] holds a reference count,
    /// taken and given back with two atomic operations, which cost as much as the increment
    /// itself. Nothing is locked while `f` runs; `f` may use the family again.
    ///
    /// ```
    /// use metrics_core::{Counter, Family, LabelSet};
    ///
    /// #[derive(LabelSet)]
    /// struct Labels { path: String }
    ///
    /// let requests: Family<Labels, Counter> = Family::new();
    /// let labels = Labels { path: "/".into() };
    /// requests.with(&labels, |c| c.inc());
    /// requests.with(&labels, |c| c.inc());
    /// assert_eq!(requests.with(&labels, |c| c.get()), 2);
    /// ```
    #[inline(always)]
    pub fn with<R>(&self, labels: &L, f: impl FnOnce(&M) -> R) -> R {
        match self.storage() {
            Storage::Dense(d) => match d.get_or_create(labels.dense_index()) {
                Some(m) => f(m),
                None => f(self.overflow_metric()),
            },
            Storage::Dynamic(d) => match d.with(labels, &*self.make, f) {
                Ok(r) => r,
                Err(f) => f(self.overflow_metric()),
            },
        }
    }

    /// The metric of the series `labels`, if it exists.
    pub fn get(&self, labels: &L) -> Option<SeriesRef<'_, L, M>> {
        match self.storage() {
            Storage::Dense(d) => d.get(labels.dense_index()).map(|m| SeriesRef(Ref::Borrowed(m))),
            Storage::Dynamic(d) => d.get(labels).map(|n| SeriesRef(Ref::Shared(n))),
        }
    }

    /// Removes the series `labels`; returns whether it existed.
    pub fn remove(&self, labels: &L) -> bool {
        match self.storage() {
            Storage::Dense(d) => d.remove(labels.dense_index()),
            Storage::Dynamic(d) => d.remove(labels),
        }
    }

    /// Keeps only the series for which `keep` returns true.
    pub fn retain(&self, mut keep: impl FnMut(&L, &M) -> bool) {
        match self.storage() {
            Storage::Dense(d) => {
                let present: Vec<usize> = d.iter().map(|(i, _)| i).collect();
                for i in present {
                    if let (Some(labels), Some(m)) = (L::from_dense_index(i), d.get(i))
                        && !keep(&labels, m)
                    {
                        d.remove(i);
                    }
                }
            }
            Storage::Dynamic(d) => d.retain(&mut keep),
        }
    }

    /// Removes every series.
    pub fn clear(&self) {
        match self.storage() {
            Storage::Dense(d) => {
                let all: Vec<usize> = d.iter().map(|(i, _)| i).collect();
                for i in all {
                    d.remove(i);
                }
            }
            Storage::Dynamic(d) => d.retain(&mut |_, _| false),
        }
    }

    /// The number of series (the overflow series not counted).
    pub fn len(&self) -> usize {
        match self.storage() {
            Storage::Dense(d) => d.len(),
            Storage::Dynamic(d) => d.len(),
        }
    }

    /// Whether the family has no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many times a new label set was refused because the family was at its limit.
    pub fn overflowed(&self) -> u64 {
        match self.storage() {
            Storage::Dynamic(d) => d.overflowed.load(Ordering::Relaxed),
            Storage::Dense(_) => 0,
        }
    }

    /// Removes series idle for longer than the family's idle expiry (see
    /// [`with_idle_expiry`](Self::with_idle_expiry)); scrapes call it.
    pub fn expire_idle(&self) {
        if let Storage::Dynamic(d) = self.storage() {
            d.expire_idle(Instant::now());
        }
    }

    #[cold]
    fn overflow_metric(&self) -> &M {
        self.overflow.get_or_init(|| (self.make)())
    }

    /// Writes every series to `e` (the family's metadata excluded).
    pub fn encode_series<E: Encoder>(&self, desc: &Descriptor, e: &mut E) {
        match self.storage() {
            Storage::Dense(d) => {
                for (index, m) in d.iter() {
                    m.encode(desc, &DenseLabels::<L> { index, _l: PhantomData }, e);
                }
            }
            Storage::Dynamic(d) => {
                d.expire_idle(Instant::now());
                d.for_each_ordered(|l, m| m.encode(desc, l, e));
            }
        }
        if let Some(m) = self.overflow.get() {
            m.encode(desc, &OverflowLabels(L::LABELS), e);
        }
    }
}

impl<L: LabelSet, M: Metric> fmt::Debug for Family<L, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Family").field("series", &self.len()).field("overflowed", &self.overflowed()).finish()
    }
}

impl<L: LabelSet, M: Metric> Collect for Family<L, M> {
    const KIND: MetricKind = M::KIND;
    const LABELS: &'static [LabelDescriptor] = L::LABELS;
    const IS_FAMILY: bool = true;

    fn from_descriptor(desc: &'static Descriptor) -> Self {
        Self::build(Arc::new(move || M::from_descriptor(desc)), desc.limit, None)
    }

    fn collect<E: Encoder>(&self, desc: &'static Descriptor, e: &mut E) {
        e.begin_family(desc);
        self.encode_series(desc, e);
        e.end_family(desc);
    }
}
