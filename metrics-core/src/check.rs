//! Rules checked in `const` context, for what the derive cannot see: the type behind an alias
//! (its kind, its labels) and the names of flattened structs. The derive emits `const` items
//! calling these, spanned at the offending field, so a broken rule is a compile error there;
//! hand-written code can call them too.
//!
//! Every check is linear (or `n log n`) in the number of metrics: collisions are looked up in
//! sorted tables, never compared pairwise.

use crate::descriptor::{Descriptor, MetricKind, MetricsInfo, MetricsItem};
use crate::name::{NameError, check_name, ends_with, legacy_cmp, name_hash, str_eq};

/// An error message assembled in `const` context (no allocation is possible there); empty when
/// the check passed.
#[derive(Debug, Clone, Copy)]
pub struct ErrorMessage {
    buf: [u8; 512],
    len: usize,
}

impl ErrorMessage {
    /// An empty message.
    pub const fn new() -> Self {
        ErrorMessage { buf: [0; 512], len: 0 }
    }

    /// Appends `s`, or nothing if it does not fit whole.
    pub const fn push(mut self, s: &str) -> Self {
        let b = s.as_bytes();
        if self.len + b.len() > self.buf.len() {
            return self;
        }
        let mut i = 0;
        while i < b.len() {
            self.buf[self.len + i] = b[i];
            i += 1;
        }
        self.len += b.len();
        self
    }

    /// Whether nothing was written.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The message.
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(s) => s,
            Err(_) => "",
        }
    }
}

impl Default for ErrorMessage {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks the rules of one metric that depend on its type (known only once types are resolved)
/// and its name: returns the error message, or an empty one.
pub const fn check_metric(d: &Descriptor, is_family: bool) -> ErrorMessage {
    let m = ErrorMessage::new();
    match check_name(d.name, false) {
        Ok(()) => {}
        Err(NameError::Empty) => {
            return m.push("the metric name is empty");
        }
        Err(NameError::Reserved) => {
            return m.push("metric name `").push(d.name).push("` starts with `__`, which Prometheus reserves");
        }
    }
    match d.kind {
        MetricKind::Counter if !d.legacy_name && ends_with(d.name, "_total") => {
            return m
                .push("counter `")
                .push(d.name)
                .push("` already ends in `_total`, which the formats append: remove the suffix from the name, or add `legacy_name` to expose the name exactly as written in Prometheus text");
        }
        _ => {}
    }
    if !d.buckets.is_empty() && !matches!(d.kind, MetricKind::Histogram) {
        return m
            .push("`buckets` applies to histograms only, and `")
            .push(d.name)
            .push("` is a ")
            .push(d.kind.as_str());
    }
    if d.native.is_some() && !matches!(d.kind, MetricKind::Histogram) {
        return m.push("`native` applies to histograms only, and `").push(d.name).push("` is a ").push(d.kind.as_str());
    }
    if (!d.quantiles.is_empty() || d.max_age_secs != 0) && !matches!(d.kind, MetricKind::Summary) {
        return m
            .push("`quantiles` and `max_age` apply to summaries only, and `")
            .push(d.name)
            .push("` is a ")
            .push(d.kind.as_str());
    }
    if d.limit != 0 && !is_family {
        return m.push("`limit` applies to families only, and `").push(d.name).push("` is not a `Family`");
    }
    if d.legacy_name && !matches!(d.kind, MetricKind::Counter) {
        return m
            .push("`legacy_name` applies to counters only, and `")
            .push(d.name)
            .push("` is a ")
            .push(d.kind.as_str());
    }
    let mut i = 0;
    while i < d.labels.len() {
        let l = d.labels[i].name;
        if matches!(d.kind, MetricKind::Histogram) && str_eq(l, "le") {
            return m
                .push("histogram `")
                .push(d.name)
                .push("` cannot have a label named `le`: the formats use it for bucket bounds");
        }
        if matches!(d.kind, MetricKind::Summary) && str_eq(l, "quantile") {
            return m
                .push("summary `")
                .push(d.name)
                .push("` cannot have a label named `quantile`: the formats use it for quantiles");
        }
        i += 1;
    }
    m
}

/// Every name `d` takes in any format: [`Descriptor::sample_names`], which the registry's
/// run-time duplicate check reaches through here.
pub(crate) const fn sample_names(d: &Descriptor) -> ([(&'static str, &'static str); 5], usize) {
    d.sample_names()
}

/// One name of the [`name_table`]: `base + suffix`, the item of the `MetricsInfo` it comes from,
/// and the metric that exposes it.
#[derive(Debug, Clone, Copy)]
pub struct NameEntry {
    hash: u64,
    base: &'static str,
    suffix: &'static str,
    item: usize,
    metric: &'static str,
    owner: &'static str,
}

impl NameEntry {
    const EMPTY: NameEntry = NameEntry { hash: 0, base: "", suffix: "", item: 0, metric: "", owner: "" };
}

/// Who takes a name, for the message: a metric of a type, or a description from the derive.
#[derive(Clone, Copy)]
enum Taker {
    Metric { metric: &'static str, owner: &'static str },
    Known(&'static str),
}

impl ErrorMessage {
    const fn taker(self, t: Taker) -> Self {
        match t {
            Taker::Metric { metric, owner } => self.push("metric `").push(metric).push("` of `").push(owner).push("`"),
            Taker::Known(who) => self.push(who),
        }
    }
}

/// Compares two names as legacy scrapers spell them ([`legacy_cmp`]): two names they would
/// see as one collide.
const fn cmp_concat(a: (&str, &str), b: (&str, &str)) -> i32 {
    legacy_cmp(a, b)
}

/// How many names the descriptors of `info` (flattened structs included) take.
const fn count_info(info: &MetricsInfo) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < info.items.len() {
        n += count_item(&info.items[i]);
        i += 1;
    }
    n
}

const fn count_item(item: &MetricsItem) -> usize {
    match item {
        MetricsItem::Metric(d) => d.sample_names().1,
        MetricsItem::Flatten(child) => count_info(child),
    }
}

/// How many names the items `items` of `info` take: the length of their [`name_table`].
pub const fn count_names(info: &'static MetricsInfo, items: &[usize]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < items.len() {
        n += count_item(&info.items[items[i]]);
        i += 1;
    }
    n
}

/// Writes the names of `item` into `table` from `at`, tagged `tag`; returns the next free slot.
const fn fill(
    item: &'static MetricsItem,
    owner: &'static str,
    tag: usize,
    table: &mut [NameEntry],
    mut at: usize,
) -> usize {
    match item {
        MetricsItem::Metric(d) => {
            let (names, n) = d.sample_names();
            let mut j = 0;
            while j < n {
                let (base, suffix) = names[j];
                let hash = name_hash(base, suffix);
                table[at] = NameEntry { hash, base, suffix, item: tag, metric: d.name, owner };
                at += 1;
                j += 1;
            }
        }
        MetricsItem::Flatten(child) => {
            let mut i = 0;
            while i < child.items.len() {
                at = fill(&child.items[i], child.type_name, tag, table, at);
                i += 1;
            }
        }
    }
    at
}

/// Entries are ordered by hash: one comparison per step, where strings would take one per byte.
const fn entry_cmp(a: &NameEntry, b: &NameEntry) -> i32 {
    if a.hash < b.hash {
        -1
    } else if a.hash > b.hash {
        1
    } else {
        0
    }
}

/// Heap sort: `n log n` in `const` context, where no allocation is possible.
const fn sort(t: &mut [NameEntry]) {
    let n = t.len();
    let mut start = n / 2;
    while start > 0 {
        start -= 1;
        sift_down(t, start, n);
    }
    let mut end = n;
    while end > 1 {
        end -= 1;
        let x = t[0];
        t[0] = t[end];
        t[end] = x;
        sift_down(t, 0, end);
    }
}

const fn sift_down(t: &mut [NameEntry], mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && entry_cmp(&t[child], &t[child + 1]) < 0 {
            child += 1;
        }
        if entry_cmp(&t[root], &t[child]) >= 0 {
            return;
        }
        let x = t[root];
        t[root] = t[child];
        t[child] = x;
        root = child;
    }
}

/// Every name the items `items` of `info` take (flattened structs included), sorted, each
/// tagged with its position in `items`. `N` is [`count_names`] of the same arguments.
pub const fn name_table<const N: usize>(info: &'static MetricsInfo, items: &[usize]) -> [NameEntry; N] {
    let mut table = [NameEntry::EMPTY; N];
    let mut at = 0;
    let mut k = 0;
    while k < items.len() {
        at = fill(&info.items[items[k]], info.type_name, k, &mut table, at);
        k += 1;
    }
    sort(&mut table);
    table
}

/// The first entry of the sorted `table` equal to `name` (of hash `hash`) and tagged below
/// `before`, if any.
const fn find_in_table(table: &[NameEntry], name: (&str, &str), hash: u64, before: usize) -> Option<Taker> {
    // The first entry of hash not less than `hash`, then the run of equal hashes.
    let (mut lo, mut hi) = (0, table.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if table[mid].hash < hash {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    while lo < table.len() && table[lo].hash == hash {
        let e = &table[lo];
        if e.item < before && cmp_concat((e.base, e.suffix), name) == 0 {
            return Some(Taker::Metric { metric: e.metric, owner: e.owner });
        }
        lo += 1;
    }
    None
}

/// Who takes `name` (of hash `hash`) in `known`, `(hash, name, who)` triples sorted by hash.
const fn find_known(known: &[(u64, &'static str, &'static str)], name: (&str, &str), hash: u64) -> Option<Taker> {
    let (mut lo, mut hi) = (0, known.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if known[mid].0 < hash {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    while lo < known.len() && known[lo].0 == hash {
        if cmp_concat((known[lo].1, ""), name) == 0 {
            return Some(Taker::Known(known[lo].2));
        }
        lo += 1;
    }
    None
}

/// A name two metrics take: the name, the metric of the checked item, the other taker.
type Collision = ((&'static str, &'static str), Taker, Taker);

/// The first name of `item` (declared in `owner`) that `known` or an earlier item of `table`
/// also takes.
const fn item_collision(
    item: &'static MetricsItem,
    owner: &'static str,
    k: usize,
    known: &[(u64, &'static str, &'static str)],
    table: &[NameEntry],
) -> Option<Collision> {
    match item {
        MetricsItem::Metric(d) => {
            let (names, n) = d.sample_names();
            let this = Taker::Metric { metric: d.name, owner };
            let mut j = 0;
            while j < n {
                let hash = name_hash(names[j].0, names[j].1);
                if let Some(other) = find_known(known, names[j], hash) {
                    return Some((names[j], this, other));
                }
                if let Some(other) = find_in_table(table, names[j], hash, k) {
                    return Some((names[j], this, other));
                }
                j += 1;
            }
            None
        }
        MetricsItem::Flatten(child) => {
            let mut i = 0;
            while i < child.items.len() {
                if let Some(c) = item_collision(&child.items[i], child.type_name, k, known, table) {
                    return Some(c);
                }
                i += 1;
            }
            None
        }
    }
}

/// Checks that item `items[k]` of `info` (a flattened struct, or a metric whose type the derive
/// could not read) takes no name that `known` (the names of the metrics the derive could read,
/// as `(hash, name, who takes it)` sorted by [`name_hash`]) or an earlier item of `items` also
/// takes, in any format: the
/// generated `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info` suffixes and the
/// OpenMetrics family names included. `table` is the [`name_table`] of `items`. Returns the error
/// message, or an empty one.
///
/// Each name is looked up by hash in the two sorted tables, so checking every item is
/// `n log n`, in steps of one number comparison.
pub const fn check_item_names(
    info: &'static MetricsInfo,
    items: &[usize],
    k: usize,
    known: &[(u64, &'static str, &'static str)],
    table: &[NameEntry],
) -> ErrorMessage {
    match item_collision(&info.items[items[k]], info.type_name, k, known, table) {
        None => ErrorMessage::new(),
        Some(((base, suffix), this, other)) => ErrorMessage::new()
            .taker(this)
            .push(" takes the name `")
            .push(base)
            .push(suffix)
            .push("`, which ")
            .taker(other)
            .push(" takes too (the formats add `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info`, legacy scrapers see `_` for each character outside `[a-zA-Z0-9_:]`, and flattened structs share the names): rename one of them"),
    }
}

/// Checks that each metric's type is the kind the derive read from the type's name, as
/// `(field, read kind, read as a family, actual kind, actual is-family)`: the derive checks the
/// rules of such fields itself, so a type named like a metric but of another kind must not pass.
pub const fn check_kinds(fields: &[(&'static str, MetricKind, bool, MetricKind, bool)]) -> ErrorMessage {
    let mut i = 0;
    while i < fields.len() {
        let (field, read, read_family, kind, family) = fields[i];
        if read as u8 != kind as u8 || read_family != family {
            return ErrorMessage::new()
                .push("the type of field `")
                .push(field)
                .push("` is named like a ")
                .push(if read_family { "family of " } else { "" })
                .push(read.as_str())
                .push(" but is a ")
                .push(if family { "family of " } else { "" })
                .push(kind.as_str())
                .push(": the derive reads metric types by name, so give other types other names than `Counter`, `Gauge`, `Histogram`, `Summary`, `Info` and `Family`");
        }
        i += 1;
    }
    ErrorMessage::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::LabelDescriptor;

    #[test]
    fn counter_total_suffix_is_rejected_unless_legacy() {
        let d = Descriptor::new("requests_total", "h", MetricKind::Counter);
        assert!(check_metric(&d, false).as_str().contains("already ends in `_total`"));
        let legacy = Descriptor { legacy_name: true, ..d };
        assert!(check_metric(&legacy, false).is_empty());
    }

    #[test]
    fn names_are_checked() {
        let d = Descriptor::new("", "h", MetricKind::Gauge);
        assert_eq!(check_metric(&d, false).as_str(), "the metric name is empty");
        // Any other UTF-8 string is a name: the formats escape it for legacy scrapers.
        for name in ["9lives", "http.server.requests", "größe"] {
            let d = Descriptor::new(name, "h", MetricKind::Gauge);
            assert!(check_metric(&d, false).is_empty(), "{name}");
        }
        let d = Descriptor::new("__x", "h", MetricKind::Gauge);
        assert!(check_metric(&d, false).as_str().contains("reserves"));
    }

    #[test]
    fn reserved_labels_are_rejected_by_type() {
        const LE: &[LabelDescriptor] = &[LabelDescriptor::new("le")];
        let h = Descriptor::new("x", "h", MetricKind::Histogram).with_labels(LE);
        assert!(check_metric(&h, true).as_str().contains("`le`"));
        let g = Descriptor::new("x", "h", MetricKind::Gauge).with_labels(LE);
        assert!(check_metric(&g, true).is_empty());
    }

    static CHILD: MetricsInfo = MetricsInfo {
        type_name: "Child",
        items: &[
            MetricsItem::Metric(Descriptor::new("x_count", "h", MetricKind::Gauge)),
            MetricsItem::Metric(Descriptor::new("build", "h", MetricKind::Info)),
        ],
    };

    static INFO: MetricsInfo = MetricsInfo {
        type_name: "T",
        items: &[
            MetricsItem::Metric(Descriptor::new("x", "h", MetricKind::Histogram)),
            MetricsItem::Metric(Descriptor::new("requests", "h", MetricKind::Gauge)),
            MetricsItem::Flatten(&CHILD),
            MetricsItem::Metric(Descriptor::new("build_info", "h", MetricKind::Gauge)),
        ],
    };

    fn check(items: &[usize], k: usize, known: &[(&'static str, &'static str)]) -> String {
        let mut known: Vec<(u64, &'static str, &'static str)> =
            known.iter().map(|&(n, who)| (name_hash(n, ""), n, who)).collect();
        known.sort_by_key(|k| k.0);
        const N: usize = 16;
        let n = count_names(&INFO, items);
        assert!(n <= N);
        let mut table = [NameEntry::EMPTY; N];
        let mut at = 0;
        for (tag, &i) in items.iter().enumerate() {
            at = fill(&INFO.items[i], "T", tag, &mut table, at);
        }
        let table = &mut table[..n];
        sort(table);
        check_item_names(&INFO, items, k, &known, table).as_str().to_owned()
    }

    #[test]
    fn const_items_are_checked_against_known_names_and_earlier_items() {
        // The histogram `x` (read by the derive) exposes `x_count`; the flattened gauge too.
        let known =
            [("x", "x"), ("x_bucket", "x"), ("x_count", "metric `x` (field `x`)"), ("x_created", "x"), ("x_sum", "x")];
        assert_eq!(
            check(&[2], 0, &known),
            "metric `x_count` of `Child` takes the name `x_count`, which metric `x` (field `x`) takes too (the formats add `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info`, legacy scrapers see `_` for each character outside `[a-zA-Z0-9_:]`, and flattened structs share the names): rename one of them"
        );
        assert!(check(&[2], 0, &[]).is_empty());
        // The info `build` of the flattened struct and the gauge `build_info` (not read).
        assert!(check(&[2, 3], 1, &[]).contains("`build_info`"));
        assert!(check(&[2, 3], 0, &[]).is_empty(), "only the later item reports");
        // A counter and a gauge of one name share the OpenMetrics family name.
        static PAIR: MetricsInfo = MetricsInfo {
            type_name: "T",
            items: &[
                MetricsItem::Metric(Descriptor::new("requests", "h", MetricKind::Counter)),
                MetricsItem::Metric(Descriptor::new("requests", "h", MetricKind::Gauge)),
            ],
        };
        let mut table = [NameEntry::EMPTY; 4];
        let _ = fill(&PAIR.items[0], "T", 0, &mut table, 0);
        let _ = fill(&PAIR.items[1], "T", 1, &mut table, 3);
        sort(&mut table);
        assert!(check_item_names(&PAIR, &[0, 1], 1, &[], &table).as_str().contains("`requests`"));
    }

    #[test]
    fn tables_sort_by_hash_and_match_by_name() {
        let mut t = [
            NameEntry { hash: name_hash("ab", "c"), base: "ab", suffix: "c", item: 0, metric: "m", owner: "T" },
            NameEntry { hash: name_hash("a", ""), base: "a", suffix: "", item: 1, metric: "", owner: "" },
            NameEntry { hash: name_hash("a", "bb"), base: "a", suffix: "bb", item: 2, metric: "", owner: "" },
            NameEntry { hash: name_hash("", "abc"), base: "", suffix: "abc", item: 3, metric: "", owner: "" },
            // A hash shared by another name must not make a match.
            NameEntry { hash: name_hash("ab", "c"), base: "zz", suffix: "", item: 0, metric: "zz", owner: "T" },
        ];
        sort(&mut t);
        assert!(t.windows(2).all(|w| w[0].hash <= w[1].hash));
        let h = name_hash("ab", "c");
        assert_eq!(h, name_hash("", "abc"), "the hash is of the concatenation");
        assert!(matches!(find_in_table(&t, ("ab", "c"), h, 1), Some(Taker::Metric { metric: "m", owner: "T" })));
        assert!(find_in_table(&t, ("ab", "c"), h, 0).is_none());
        assert!(find_in_table(&t, ("zz", ""), h, 1).is_some(), "the entry whose hash was borrowed");
        assert!(find_in_table(&t, ("q", ""), h, 5).is_none(), "same hash, other name");
    }

    #[test]
    fn kinds_read_from_names_are_confirmed() {
        assert!(check_kinds(&[("a", MetricKind::Counter, false, MetricKind::Counter, false)]).is_empty());
        let e = check_kinds(&[("a", MetricKind::Counter, false, MetricKind::Gauge, false)]);
        assert!(e.as_str().contains("field `a` is named like a counter but is a gauge"), "{}", e.as_str());
    }
}
