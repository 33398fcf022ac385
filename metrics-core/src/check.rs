//! Rules checked in `const` context, for what the derive cannot see: the type behind an alias
//! (its kind, its labels) and the names of flattened structs. The derive emits `const` items
//! calling these, spanned at the offending field, so a broken rule is a compile error there;
//! hand-written code can call them too.
//!
//! Every check is linear (or `n log n`) in the number of metrics: collisions are looked up in
//! sorted tables, never compared pairwise.

use crate::descriptor::{Descriptor, MetricKind, MetricsInfo, MetricsItem};
use crate::name::{
    Escaping, NameError, check_name, ends_with, is_legacy_pair, legacy_hash, retag, scheme_hash_of, spell_into,
    spelled_alike, spelled_as, spelled_len, str_eq, values_may_clash_of,
};

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

    /// Appends `base + suffix` as `scheme` spells it, or nothing if it does not fit whole.
    const fn push_spelled(mut self, base: &str, suffix: &str, scheme: Escaping) -> Self {
        if self.len + spelled_len(base, suffix, scheme) > self.buf.len() {
            return self;
        }
        self.len = spell_into(base, suffix, scheme, &mut self.buf, self.len);
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

/// One entry of the [`name_table`]: a name `base + suffix` as one lossy scheme spells it (the
/// scheme is in the hash's low bits, see [`scheme_hash`](crate::name::scheme_hash)), the item of the `MetricsInfo` it
/// comes from, and the metric that exposes it.
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

/// The schemes that spell some distinct names alike, in the order the checks try them.
/// Names equal as written are equal under `underscores` too.
const LOSSY: [Escaping; 3] = [Escaping::Underscores, Escaping::Dots, Escaping::Values];

/// Whether the tables hold an entry for a name (legacy or not) under `scheme`. Every name has
/// one under `underscores`. Under `dots` only names outside the legacy set have one: `dots`
/// never merges two legacy names, and the `dots` hash of a legacy name is its `underscores`
/// hash (see [`scheme_hash`](crate::name::scheme_hash)), so a name looks legacy names up there. Under `values` only the
/// names that can meet another there ([`values_may_clash_of`]).
const fn tabled(base: &str, suffix: &str, scheme: Escaping, legacy: bool) -> bool {
    match scheme {
        Escaping::Dots => !legacy,
        Escaping::Values => values_may_clash_of(base, suffix, legacy),
        _ => true,
    }
}

/// How many entries the names of one descriptor take in the tables.
const fn count_descriptor(d: &Descriptor) -> usize {
    let (names, n) = d.sample_names();
    let mut count = 0;
    let mut j = 0;
    while j < n {
        let (base, suffix) = names[j];
        let legacy = is_legacy_pair(base, suffix);
        let mut s = 0;
        while s < LOSSY.len() {
            if tabled(base, suffix, LOSSY[s], legacy) {
                count += 1;
            }
            s += 1;
        }
        j += 1;
    }
    count
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

/// How many table entries the descriptors of `info` (flattened structs included) take.
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
        MetricsItem::Metric(d) => count_descriptor(d),
        MetricsItem::Flatten(child) => count_info(child),
    }
}

/// How many table entries the names of the items `items` of `info` take: the length of their
/// [`name_table`].
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
                let (underscores, legacy) = legacy_hash(base, suffix);
                let mut s = 0;
                while s < LOSSY.len() {
                    let scheme = LOSSY[s];
                    if tabled(base, suffix, scheme, legacy) {
                        let hash = hash_under(names[j], scheme, underscores, legacy);
                        table[at] = NameEntry { hash, base, suffix, item: tag, metric: d.name, owner };
                        at += 1;
                    }
                    s += 1;
                }
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

/// Every name the items `items` of `info` take (flattened structs included) under each lossy
/// scheme, sorted by [`scheme_hash`](crate::name::scheme_hash), each tagged with its position in `items`. `N` is
/// [`count_names`] of the same arguments.
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

/// The first entry of the sorted `table` of hash `hash` that `scheme` spells like `name`,
/// tagged below `before`, if any.
const fn find_in_table(
    table: &[NameEntry],
    name: (&str, &str),
    scheme: Escaping,
    hash: u64,
    before: usize,
) -> Option<Taker> {
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
        if e.item < before && spelled_alike((e.base, e.suffix), name, scheme) {
            return Some(Taker::Metric { metric: e.metric, owner: e.owner });
        }
        lo += 1;
    }
    None
}

/// Who takes `name` in `known`, `(hash, spelling, who)` triples sorted by hash, if anyone: an
/// entry of hash `hash` whose spelling is the one `scheme` gives `name`.
const fn find_known(
    known: &[(u64, &'static str, &'static str)],
    name: (&str, &str),
    scheme: Escaping,
    hash: u64,
) -> Option<Taker> {
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
        if spelled_as(name.0, name.1, scheme, known[lo].1) {
            return Some(Taker::Known(known[lo].2));
        }
        lo += 1;
    }
    None
}

/// A name two metrics take: the name of the checked item, the scheme that spells it like the
/// other's, the metric of the checked item, the other taker.
type Collision = ((&'static str, &'static str), Escaping, Taker, Taker);

/// The [`scheme_hash`](crate::name::scheme_hash)(crate::name::scheme_hash) of `name` under `scheme`, given its
/// `underscores` hash and whether it is legacy ([`legacy_hash`]): no second pass over a legacy
/// name, whose `dots` hash is its `underscores` hash retagged.
const fn hash_under(name: (&str, &str), scheme: Escaping, underscores: u64, legacy: bool) -> u64 {
    match scheme {
        Escaping::Underscores => underscores,
        Escaping::Dots if legacy => retag(underscores, Escaping::Dots),
        _ => scheme_hash_of(name.0, name.1, scheme, legacy),
    }
}

/// Who else takes `name` (of item `k`) as `scheme` spells it, in `known` or in an earlier item
/// of `table`. `underscores` and `legacy` are its [`legacy_hash`].
const fn name_collision(
    name: (&'static str, &'static str),
    scheme: Escaping,
    (underscores, legacy): (u64, bool),
    k: usize,
    known: &[(u64, &'static str, &'static str)],
    table: &[NameEntry],
) -> Option<Taker> {
    if matches!(scheme, Escaping::Values) && !values_may_clash_of(name.0, name.1, legacy) {
        return None;
    }
    let hash = hash_under(name, scheme, underscores, legacy);
    if let Some(other) = find_known(known, name, scheme, hash) {
        return Some(other);
    }
    if let Some(other) = find_in_table(table, name, scheme, hash, k) {
        return Some(other);
    }
    // Legacy names have no `dots` entry: their `underscores` entry, of the same hash but for
    // the tag, stands for it. Two legacy names never meet under `dots`.
    if matches!(scheme, Escaping::Dots) && !legacy {
        return find_in_table(table, name, scheme, retag(hash, Escaping::Underscores), k);
    }
    None
}

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
            // Scheme by scheme, so that a name two metrics share as written is reported as
            // such (under `underscores`) before any other spelling.
            let mut hashes = [(0, false); 5];
            let mut j = 0;
            while j < n {
                hashes[j] = legacy_hash(names[j].0, names[j].1);
                j += 1;
            }
            let mut s = 0;
            while s < LOSSY.len() {
                let scheme = LOSSY[s];
                let mut j = 0;
                while j < n {
                    if let Some(other) = name_collision(names[j], scheme, hashes[j], k, known, table) {
                        return Some((names[j], scheme, this, other));
                    }
                    j += 1;
                }
                s += 1;
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
/// could not read) takes no name that `known` or an earlier item of `items` also takes, in any
/// format and under any escaping scheme: the generated `_total`, `_bucket`, `_sum`, `_count`,
/// `_created` and `_info` suffixes and the OpenMetrics family names included, as written and as
/// `underscores`, `dots` and `values` spell them (`a.b` and `a-dot-b` are both `a_dot_b` under
/// `dots`). `known` holds the names of the metrics the derive could read, as `(hash, spelling,
/// who takes it)` sorted by hash, the hash being [`spelling_hash`](crate::name::spelling_hash)
/// of the spelling under its scheme. `table` is the [`name_table`] of `items`. Returns the error
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
        Some(((base, suffix), Escaping::Underscores, this, other)) => ErrorMessage::new()
            .taker(this)
            .push(" takes the name `")
            .push(base)
            .push(suffix)
            .push("`, which ")
            .taker(other)
            .push(" takes too (the formats add `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info`, legacy scrapers see `_` for each character outside `[a-zA-Z0-9_:]`, and flattened structs share the names): rename one of them"),
        Some(((base, suffix), scheme, this, other)) => ErrorMessage::new()
            .taker(this)
            .push(" takes the name `")
            .push(base)
            .push(suffix)
            .push("`, which is `")
            .push_spelled(base, suffix, scheme)
            .push("` for scrapers that ask for `escaping=")
            .push(scheme.as_str())
            .push("`, as is a name ")
            .taker(other)
            .push(" takes (the formats add `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info`, and flattened structs share the names): rename one of them"),
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

    /// `known` as the derive gives it: each name under every lossy scheme that tables it.
    fn known_table(known: &[(&'static str, &'static str)]) -> Vec<(u64, &'static str, &'static str)> {
        let mut out = Vec::new();
        for &(n, who) in known {
            for scheme in LOSSY {
                // The derive lists every name under `dots`, legacy or not.
                if scheme == Escaping::Dots || tabled(n, "", scheme, is_legacy_pair(n, "")) {
                    let spelling: &'static str = crate::name::escape_metric_name(n, scheme).leak();
                    out.push((crate::name::spelling_hash(spelling, scheme), spelling, who));
                }
            }
        }
        out.sort_by_key(|k| k.0);
        out
    }

    fn check_in(
        info: &'static MetricsInfo,
        items: &[usize],
        k: usize,
        known: &[(&'static str, &'static str)],
    ) -> String {
        let known = known_table(known);
        let n = count_names(info, items);
        let mut table = vec![NameEntry::EMPTY; n];
        let mut at = 0;
        for (tag, &i) in items.iter().enumerate() {
            at = fill(&info.items[i], info.type_name, tag, &mut table, at);
        }
        assert_eq!(at, n, "count_names counts what fill writes");
        sort(&mut table);
        check_item_names(info, items, k, &known, &table).as_str().to_owned()
    }

    fn check(items: &[usize], k: usize, known: &[(&'static str, &'static str)]) -> String {
        check_in(&INFO, items, k, known)
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
        assert!(check_in(&PAIR, &[0, 1], 1, &[]).contains("`requests`"));
    }

    static ESCAPED: MetricsInfo = MetricsInfo {
        type_name: "E",
        items: &[
            MetricsItem::Metric(Descriptor::new("a.b", "h", MetricKind::Gauge)),
            MetricsItem::Metric(Descriptor::new("a-dot-b", "h", MetricKind::Gauge)),
            MetricsItem::Metric(Descriptor::new("U__a_2e_b", "h", MetricKind::Gauge)),
            MetricsItem::Metric(Descriptor::new("a.b", "h", MetricKind::Histogram)),
            MetricsItem::Metric(Descriptor::new("a-dot-b_count", "h", MetricKind::Gauge)),
            MetricsItem::Metric(Descriptor::new("a_b", "h", MetricKind::Gauge)),
            MetricsItem::Metric(Descriptor::new("a--b", "h", MetricKind::Gauge)),
        ],
    };

    #[test]
    fn const_items_clash_under_dots_and_values() {
        // Distinct as written and under `underscores` (`a_b`, `a_dot_b`, `U__a_2e_b`).
        assert_eq!(
            check_in(&ESCAPED, &[0, 1], 1, &[]),
            "metric `a-dot-b` of `E` takes the name `a-dot-b`, which is `a_dot_b` for scrapers that ask for `escaping=dots`, as is a name metric `a.b` of `E` takes (the formats add `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info`, and flattened structs share the names): rename one of them"
        );
        assert_eq!(
            check_in(&ESCAPED, &[0, 2], 1, &[]),
            "metric `U__a_2e_b` of `E` takes the name `U__a_2e_b`, which is `U__a_2e_b` for scrapers that ask for `escaping=values`, as is a name metric `a.b` of `E` takes (the formats add `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info`, and flattened structs share the names): rename one of them"
        );
        // The other way round, and against names the derive checked.
        assert!(check_in(&ESCAPED, &[2, 0], 1, &[]).contains("`escaping=values`"));
        assert!(check_in(&ESCAPED, &[1], 0, &[("a.b", "metric `a.b` (field `ab`)")]).contains(
            "which is `a_dot_b` for scrapers that ask for `escaping=dots`, as is a name metric `a.b` (field `ab`) takes"
        ));
        assert!(
            check_in(&ESCAPED, &[0], 0, &[("U__a_2e_b", "metric `U__a_2e_b` (field `u`)")])
                .contains("`escaping=values`")
        );
        // Sample names: the histogram's `a.b_count` is the gauge's `a-dot-b_count` under `dots`.
        assert!(check_in(&ESCAPED, &[3, 4], 1, &[]).contains("`a-dot-b_count`, which is `a_dot_b__count`"));
        // `underscores` first: `a.b` and `a_b` are reported as legacy scrapers see them.
        assert!(check_in(&ESCAPED, &[0, 5], 1, &[]).contains("legacy scrapers see `_`"));
        // A legacy name and another under `dots` (`a__b`), either first, either read by the
        // derive: legacy names have no `dots` entry of their own.
        for (items, k) in [(&[5, 6][..], 1), (&[6, 5][..], 1)] {
            assert!(
                check_in(&ESCAPED, items, k, &[]).contains("which is `a__b` for scrapers that ask for `escaping=dots`"),
                "{items:?}"
            );
        }
        assert!(check_in(&ESCAPED, &[6], 0, &[("a_b", "metric `a_b` (field `ab`)")]).contains("`escaping=dots`"));
        assert!(check_in(&ESCAPED, &[5], 0, &[("a--b", "metric `a--b` (field `ab`)")]).contains("`escaping=dots`"));
        // Names that no scheme merges.
        assert!(check_in(&ESCAPED, &[1, 2, 5], 2, &[]).is_empty());
        assert!(check_in(&ESCAPED, &[1, 2, 5], 1, &[]).is_empty());
    }

    #[test]
    fn tables_sort_by_hash_and_match_by_name() {
        let entry = |base: &'static str, suffix: &'static str, hash_of: (&str, &str), item, metric: &'static str| {
            let hash = crate::name::scheme_hash(hash_of.0, hash_of.1, Escaping::Underscores);
            NameEntry { hash, base, suffix, item, metric, owner: "T" }
        };
        let mut t = [
            entry("ab", "c", ("ab", "c"), 0, "m"),
            entry("a", "", ("a", ""), 1, ""),
            entry("a", "bb", ("a", "bb"), 2, ""),
            entry("", "abc", ("", "abc"), 3, ""),
            // A hash shared by another name must not make a match.
            entry("zz", "", ("ab", "c"), 0, "zz"),
        ];
        sort(&mut t);
        assert!(t.windows(2).all(|w| w[0].hash <= w[1].hash));
        let u = Escaping::Underscores;
        let h = crate::name::scheme_hash("ab", "c", u);
        assert_eq!(h, crate::name::scheme_hash("", "abc", u), "the hash is of the concatenation");
        assert!(matches!(find_in_table(&t, ("ab", "c"), u, h, 1), Some(Taker::Metric { metric: "m", owner: "T" })));
        assert!(find_in_table(&t, ("ab", "c"), u, h, 0).is_none());
        assert!(find_in_table(&t, ("zz", ""), u, h, 1).is_some(), "the entry whose hash was borrowed");
        assert!(find_in_table(&t, ("q", ""), u, h, 5).is_none(), "same hash, other name");
    }

    #[test]
    fn kinds_read_from_names_are_confirmed() {
        assert!(check_kinds(&[("a", MetricKind::Counter, false, MetricKind::Counter, false)]).is_empty());
        let e = check_kinds(&[("a", MetricKind::Counter, false, MetricKind::Gauge, false)]);
        assert!(e.as_str().contains("field `a` is named like a counter but is a gauge"), "{}", e.as_str());
    }
}
