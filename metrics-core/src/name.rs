//! Naming: the rules a name must follow, and the one place where a declared name becomes the
//! names the formats expose.
//!
//! A metric is declared with a name (prefix, field name and unit joined by [`declared_name`]).
//! From it and its type come every name a reader sees:
//! - [`exposed_name`]: the family name of Prometheus text 0.0.4, JSON, protobuf and the catalog
//!   (`requests_total` for a counter `requests`, `build_info` for an info `build`);
//! - [`openmetrics_family`]: the family name of OpenMetrics `# TYPE` lines (`requests`, `build`);
//! - [`sample_names`]: every name it takes in any format, which two families of one exposition
//!   may not share.
//!
//! This file is compiled twice: into `metrics-core` (for hand-written metrics, the encoders and
//! runtime checks) and, through `#[path]`, into `metrics-derive`, so that the derive, the
//! encoders and the checks share one set of rules.

/// The pattern of a legacy metric name (what Prometheus text 0.0.4 takes unquoted), as error
/// messages quote it.
pub const METRIC_NAME_PATTERN: &str = "[a-zA-Z_:][a-zA-Z0-9_:]*";

/// The pattern of a legacy label name, as error messages quote it.
pub const LABEL_NAME_PATTERN: &str = "[a-zA-Z_][a-zA-Z0-9_]*";

/// The type of a metric family, as the exposition formats name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// A monotonically increasing value (`counter`).
    Counter,
    /// A value that goes up and down (`gauge`).
    Gauge,
    /// Observations counted into buckets (`histogram`).
    Histogram,
    /// Observations summarised by quantiles over a sliding window (`summary`).
    Summary,
    /// A constant series of value 1 carrying information in its labels (`info` in OpenMetrics,
    /// a `gauge` in Prometheus text). Its samples are named `<name>_info` in every format.
    Info,
}

impl MetricKind {
    /// The lowercase name used in `# TYPE` lines of OpenMetrics and in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
            MetricKind::Summary => "summary",
            MetricKind::Info => "info",
        }
    }
}

/// What is wrong with a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    /// It is empty. Any other UTF-8 string is a name: formats that cannot carry it escape it
    /// (see [`Escaping`]).
    Empty,
    /// It starts with `__`, which Prometheus reserves for its own use.
    Reserved,
}

/// Checks a metric or label name: not empty and not reserved. The one check every metric name,
/// prefix and label name goes through. Any other UTF-8 string is a name (`http.server.requests`,
/// `größe`): a scraper that cannot take it gets it escaped. `label` is kept for the callers'
/// symmetry: both kinds of names follow the same rule.
pub const fn check_name(name: &str, label: bool) -> Result<(), NameError> {
    let _ = label;
    if name.is_empty() {
        Err(NameError::Empty)
    } else if is_reserved(name) {
        Err(NameError::Reserved)
    } else {
        Ok(())
    }
}

/// Whether `name` is a legacy metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`, written unquoted and
/// unescaped by every format and scheme (except `dots`, which doubles underscores).
pub const fn is_valid_metric_name(name: &str) -> bool {
    is_valid(name, true)
}

/// Whether `name` is a legacy label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub const fn is_valid_label_name(name: &str) -> bool {
    is_valid(name, false)
}

const fn is_valid(name: &str, colon: bool) -> bool {
    let b = name.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let ok = c.is_ascii_alphabetic() || c == b'_' || (colon && c == b':') || (i > 0 && c.is_ascii_digit());
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// How names outside the legacy character set are spelled for a scraper: the `escaping=`
/// parameter of `Accept` and `Content-Type` (see prometheus.io, "UTF-8 metric and label name
/// escaping schemes"). Escaping applies to the full exposed name, prefix and suffixes (`_total`,
/// `_bucket`, ...) included: `http.server.requests_total` is `http.server.requests_total`
/// (quoted), `http_server_requests_total`, `http_dot_server_dot_requests__total` and
/// `U__http_2e_server_2e_requests__total` under the four schemes, as the example of
/// `RenderOptions::with_escaping` asserts. (This file is also compiled into the derive, so its
/// examples live in `metrics-core`'s other modules.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Escaping {
    /// `allow-utf-8`: names as they are; names outside the legacy set are quoted (text 1.0.0,
    /// OpenMetrics).
    AllowUtf8,
    /// `underscores` (the default when a scraper names none): every character outside the
    /// legacy set becomes `_`, as does a leading digit.
    #[default]
    Underscores,
    /// `dots`: `.` becomes `_dot_`, `_` becomes `__`, every other character outside the legacy
    /// set `_`. Legacy names are escaped too (their underscores doubled).
    Dots,
    /// `values`: a legacy name is unchanged; any other is `U__` followed by the name with each
    /// `_` doubled and each character outside the legacy set written `_<hex code point>_`.
    Values,
}

impl Escaping {
    /// The value of the `escaping=` parameter.
    pub const fn as_str(self) -> &'static str {
        match self {
            Escaping::AllowUtf8 => "allow-utf-8",
            Escaping::Underscores => "underscores",
            Escaping::Dots => "dots",
            Escaping::Values => "values",
        }
    }

    /// The scheme an `escaping=` parameter names (case-insensitive), if any.
    pub fn parse(s: &str) -> Option<Self> {
        [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Dots, Escaping::Values]
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(s))
    }
}

/// Whether `c` belongs to the legacy character set at this place: letters, `_`, `:` (metric
/// names only), and digits except first.
const fn legacy_char(c: char, first: bool, label: bool) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!label && c == ':') || (!first && c.is_ascii_digit())
}

/// Appends `name` spelled for `scheme` (unquoted: quoting is the format's business) to `out`.
/// `label` selects the label character set, which has no `:` (a `:` in a label name is escaped,
/// so that an escaped label name is always a legacy label name).
pub fn escape_into(out: &mut String, name: &str, scheme: Escaping, label: bool) {
    let legacy = if label { is_valid_label_name(name) } else { is_valid_metric_name(name) };
    match scheme {
        Escaping::AllowUtf8 => out.push_str(name),
        Escaping::Underscores | Escaping::Values if legacy => out.push_str(name),
        Escaping::Underscores => {
            for (i, c) in name.chars().enumerate() {
                out.push(if legacy_char(c, i == 0, label) { c } else { '_' });
            }
        }
        Escaping::Dots => {
            for (i, c) in name.chars().enumerate() {
                match c {
                    '_' => out.push_str("__"),
                    '.' => out.push_str("_dot_"),
                    c if legacy_char(c, i == 0, label) => out.push(c),
                    _ => out.push('_'),
                }
            }
        }
        Escaping::Values => {
            out.push_str("U__");
            for (i, c) in name.chars().enumerate() {
                match c {
                    '_' => out.push_str("__"),
                    c if legacy_char(c, i == 0, label) => out.push(c),
                    c => {
                        use std::fmt::Write;
                        let _ = write!(out, "_{:x}_", c as u32);
                    }
                }
            }
        }
    }
}

/// A metric name spelled for `scheme` (see [`Escaping`]).
pub fn escape_metric_name(name: &str, scheme: Escaping) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    escape_into(&mut out, name, scheme, false);
    out
}

/// A label name spelled for `scheme` (see [`Escaping`] and [`escape_into`]).
pub fn escape_label_name(name: &str, scheme: Escaping) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    escape_into(&mut out, name, scheme, true);
    out
}

/// The spelling of a name for legacy scrapers (`underscores`): what Prometheus 2, Mimir and
/// promtool see, and what the collision checks compare besides the names as written.
pub fn legacy_spelling(name: &str, label: bool) -> String {
    let mut out = String::with_capacity(name.len());
    escape_into(&mut out, name, Escaping::Underscores, label);
    out
}

/// Appends `"name"` to `out`, with `\`, `"` and newline escaped by a backslash: how text 1.0.0
/// and OpenMetrics write a name outside the legacy set.
pub fn write_quoted(out: &mut Vec<u8>, name: &str) {
    out.push(b'"');
    for &b in name.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b => out.push(b),
        }
    }
    out.push(b'"');
}

/// Whether `prefix` may stand before every metric name: empty (no prefix), or any UTF-8 string
/// not starting with `__` (which would make every name reserved). Like a declared name, a
/// prefix outside the legacy set is escaped (or quoted) with the name it stands before: prefix
/// first, then escaping.
pub const fn is_valid_prefix(prefix: &str) -> bool {
    prefix.is_empty() || !is_reserved(prefix)
}

/// Whether `name` starts with `__`, which Prometheus reserves for its own use.
pub const fn is_reserved(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0] == b'_' && b[1] == b'_'
}

/// A name prefix that would make invalid metric names: one starting with `__`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPrefix(pub String);

impl std::fmt::Display for InvalidPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "prefix `{}` would make invalid metric names: names starting with `__` are reserved for Prometheus",
            self.0.escape_debug()
        )
    }
}

impl std::error::Error for InvalidPrefix {}

/// Checks a prefix written before every name at rendering time (see [`is_valid_prefix`]).
pub fn check_prefix(prefix: &str) -> Result<(), InvalidPrefix> {
    if is_valid_prefix(prefix) { Ok(()) } else { Err(InvalidPrefix(prefix.to_owned())) }
}

/// Two distinct names of one set that an escaping scheme spells alike (see [`first_clash`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash<'a> {
    /// The name seen first.
    pub first: &'a str,
    /// The name seen later, spelled like `first`.
    pub second: &'a str,
    /// The scheme that spells them alike.
    pub scheme: Escaping,
    /// Their common spelling.
    pub spelling: String,
}

impl std::fmt::Display for Clash<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` and `{}` are both `{}` for scrapers that ask for `escaping={}`",
            self.first.escape_debug(),
            self.second.escape_debug(),
            self.spelling,
            self.scheme.as_str()
        )
    }
}

/// The first two distinct names of `names` (label names if `label`) that one of the escaping
/// schemes spells alike, checked in the order `underscores`, `dots`, `values`; names equal as
/// written are no clash (the caller tells duplicates apart). A scraper would see such names as
/// one: two label names of one family would make a series with a label given twice, which
/// every parser rejects.
///
/// Each scheme is lossy for some names, `dots` and `values` included:
/// - `underscores`: any two names that differ only in characters outside the legacy set
///   (`http.method`, `http/method`, `http_method`), or in a leading digit (`1x`, `_x`);
/// - `dots` writes `_` as `__`, `.` as `_dot_` and every other character outside the set as
///   `_`, so a name with such characters can meet a name without: `a--b` and `a_b` (both
///   `a__b`), `a-dot-b` and `a.b` (both `a_dot_b`), `a-_b` and `a_-b` (both `a___b`). Names made
///   of legacy characters and dots alone never clash: `__`, `_dot_` and the other legacy
///   characters form a prefix code;
/// - `values` keeps a legacy name as it is and writes any other as `U__` and an injective
///   encoding, so only a legacy name that looks encoded meets another: `U__a_2e_b` and `a.b`.
pub fn first_clash<'a>(names: impl IntoIterator<Item = &'a str>, label: bool) -> Option<Clash<'a>> {
    use std::collections::hash_map::{Entry, HashMap};
    let mut seen: HashMap<(Escaping, String), &'a str> = HashMap::new();
    for name in names {
        for scheme in [Escaping::Underscores, Escaping::Dots, Escaping::Values] {
            let mut spelling = String::with_capacity(name.len() + 8);
            escape_into(&mut spelling, name, scheme, label);
            match seen.entry((scheme, spelling)) {
                Entry::Occupied(e) if *e.get() != name => {
                    return Some(Clash { first: e.get(), second: name, scheme, spelling: e.key().1.clone() });
                }
                Entry::Occupied(_) => {}
                Entry::Vacant(e) => {
                    e.insert(name);
                }
            }
        }
    }
    None
}

/// The name a metric is declared with: `prefix`, the field's name and the unit joined with `_`
/// (an empty prefix or unit is left out).
pub fn declared_name(prefix: &str, name: &str, unit: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + name.len() + unit.len() + 2);
    for part in [prefix, name, unit] {
        if part.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(part);
    }
    out
}

/// The family name in Prometheus text 0.0.4 (`# HELP`, `# TYPE` and samples), JSON, protobuf and
/// the catalog, as `(base, suffix)` so that no string is built: counters carry `_total` (unless
/// `legacy`), as client_golang does, and info metrics `_info`, as OpenMetrics requires of their
/// samples, so that one name is seen in every format.
pub const fn exposed_name(name: &str, kind: MetricKind, legacy: bool) -> (&str, &'static str) {
    match kind {
        MetricKind::Counter if !legacy => (name, "_total"),
        MetricKind::Info if !ends_with(name, "_info") => (name, "_info"),
        _ => (name, ""),
    }
}

/// The family name of OpenMetrics `# TYPE`, `# UNIT` and `# HELP` lines: an info metric
/// `build_info` is the family `build` (its samples are `build_info`); every other name is the
/// declared one.
pub const fn openmetrics_family(name: &str, kind: MetricKind) -> &str {
    match kind {
        MetricKind::Info => strip_info(name),
        _ => name,
    }
}

/// `name` without a trailing `_info`.
pub const fn strip_info(name: &str) -> &str {
    if !ends_with(name, "_info") {
        return name;
    }
    let (head, _) = name.as_bytes().split_at(name.len() - "_info".len());
    match core::str::from_utf8(head) {
        Ok(s) => s,
        Err(_) => name,
    }
}

/// Every name a family takes in any format, as `(base, suffix)` pairs, and how many of the five
/// slots are used: its sample names and its family names. Two families of one exposition may
/// share none: a counter `x` and a gauge `x` have distinct samples (`x_total`, `x`) but would both
/// be the OpenMetrics family `x`.
pub const fn sample_names(name: &str, kind: MetricKind, legacy: bool) -> ([(&str, &'static str); 5], usize) {
    let n = name;
    let none = ("", "");
    match kind {
        MetricKind::Counter if legacy => ([(n, ""), (n, "_total"), (n, "_created"), none, none], 3),
        MetricKind::Counter => ([(n, "_total"), (n, "_created"), (n, ""), none, none], 3),
        MetricKind::Gauge => ([(n, ""), none, none, none, none], 1),
        MetricKind::Histogram => ([(n, "_bucket"), (n, "_sum"), (n, "_count"), (n, "_created"), (n, "")], 5),
        MetricKind::Summary => ([(n, ""), (n, "_sum"), (n, "_count"), (n, "_created"), none], 4),
        MetricKind::Info => ([exposed_name(n, kind, false), (strip_info(n), ""), none, none, none], 2),
    }
}

/// The bytes of `a + b` (a metric name, UTF-8) spelled for a scheme, read one at a time, so
/// that `const` code hashes and compares spellings without building them (no allocation is
/// possible there). Each character is spelled into `chunk` when the previous one is used up.
#[derive(Clone, Copy)]
struct Spelled<'a> {
    a: &'a [u8],
    b: &'a [u8],
    scheme: Escaping,
    /// Whether `a + b` is a legacy name, which `values` leaves as it is (only read by `values`:
    /// `underscores` replaces no character of a legacy name anyway).
    legacy: bool,
    /// The next input byte.
    i: usize,
    /// The spelling of the last character read: `U__` and `_10ffff_` at most.
    chunk: [u8; 12],
    len: usize,
    at: usize,
}

impl<'a> Spelled<'a> {
    const fn new(a: &'a str, b: &'a str, scheme: Escaping) -> Self {
        let legacy = matches!(scheme, Escaping::Values) && is_legacy_concat(a.as_bytes(), b.as_bytes());
        Self::with_legacy(a, b, scheme, legacy)
    }

    /// As [`Spelled::new`], with `legacy` (whether `a + b` is a legacy name) already known.
    const fn with_legacy(a: &'a str, b: &'a str, scheme: Escaping, legacy: bool) -> Self {
        Spelled { a: a.as_bytes(), b: b.as_bytes(), scheme, legacy, i: 0, chunk: [0; 12], len: 0, at: 0 }
    }

    /// The next byte of the spelling, if any.
    const fn next(&mut self) -> Option<u8> {
        if self.at < self.len {
            let c = self.chunk[self.at];
            self.at += 1;
            return Some(c);
        }
        let i = self.i;
        if i >= self.a.len() + self.b.len() {
            return None;
        }
        // The common case, a character every scheme keeps, without the chunk: `const`
        // evaluation pays for every step.
        let c = byte_at(self.a, self.b, i);
        let keep = match self.scheme {
            Escaping::AllowUtf8 => true,
            Escaping::Values if self.legacy => true,
            // `values` writes `U__` first.
            Escaping::Values if i == 0 => false,
            Escaping::Underscores if c == b'_' => true,
            _ => c.is_ascii_alphabetic() || c == b':' || (i > 0 && c.is_ascii_digit()),
        };
        if keep {
            self.i = i + 1;
            return Some(c);
        }
        self.refill();
        self.at = 1;
        Some(self.chunk[0])
    }

    /// Spells the character at `i` into `chunk` and moves past it, as [`escape_into`] does.
    const fn refill(&mut self) {
        let (a, b, i) = (self.a, self.b, self.i);
        let c0 = byte_at(a, b, i);
        let (len, cp) = decode_at(a, b, i);
        self.len = 0;
        self.at = 0;
        self.i = i + len;
        let legacy_char =
            len == 1 && (c0.is_ascii_alphabetic() || c0 == b'_' || c0 == b':' || (i > 0 && c0.is_ascii_digit()));
        match self.scheme {
            Escaping::AllowUtf8 => self.copy(i, len),
            Escaping::Underscores | Escaping::Values if self.legacy => self.copy(i, len),
            Escaping::Underscores => self.push(if legacy_char { c0 } else { b'_' }),
            Escaping::Dots => match c0 {
                b'_' => self.push_str(b"__"),
                b'.' => self.push_str(b"_dot_"),
                _ => self.push(if legacy_char { c0 } else { b'_' }),
            },
            Escaping::Values => {
                if i == 0 {
                    self.push_str(b"U__");
                }
                if c0 == b'_' {
                    self.push_str(b"__");
                } else if legacy_char {
                    self.push(c0);
                } else {
                    // `_<hex code point>_`, lowercase, no leading zeros.
                    self.push(b'_');
                    let mut shift = 20;
                    while shift > 0 && (cp >> shift) == 0 {
                        shift -= 4;
                    }
                    loop {
                        let d = ((cp >> shift) & 0xf) as u8;
                        self.push(if d < 10 { b'0' + d } else { b'a' + d - 10 });
                        if shift == 0 {
                            break;
                        }
                        shift -= 4;
                    }
                    self.push(b'_');
                }
            }
        }
    }

    const fn push(&mut self, c: u8) {
        self.chunk[self.len] = c;
        self.len += 1;
    }

    const fn push_str(&mut self, s: &[u8]) {
        let mut k = 0;
        while k < s.len() {
            self.push(s[k]);
            k += 1;
        }
    }

    /// Copies the `len` bytes of the character at `i` as they are.
    const fn copy(&mut self, i: usize, len: usize) {
        let mut k = 0;
        while k < len {
            self.push(byte_at(self.a, self.b, i + k));
            k += 1;
        }
    }
}

/// Whether `a + b` is a legacy metric name.
const fn is_legacy_concat(a: &[u8], b: &[u8]) -> bool {
    let n = a.len() + b.len();
    if n == 0 {
        return false;
    }
    let mut i = 0;
    while i < n {
        let c = byte_at(a, b, i);
        if !(c.is_ascii_alphabetic() || c == b'_' || c == b':' || (i > 0 && c.is_ascii_digit())) {
            return false;
        }
        i += 1;
    }
    true
}

/// The length in bytes and the code point of the UTF-8 character starting at byte `i` of
/// `a + b`.
const fn decode_at(a: &[u8], b: &[u8], i: usize) -> (usize, u32) {
    let c = byte_at(a, b, i);
    let (len, mut cp) = if c < 0x80 {
        (1, c as u32)
    } else if c >= 0xF0 {
        (4, (c & 0x07) as u32)
    } else if c >= 0xE0 {
        (3, (c & 0x0F) as u32)
    } else {
        (2, (c & 0x1F) as u32)
    };
    let mut k = 1;
    while k < len {
        cp = (cp << 6) | (byte_at(a, b, i + k) & 0x3F) as u32;
        k += 1;
    }
    (len, cp)
}

/// Whether the `values` spelling of `base + suffix` can be another name's: `values` writes a
/// name outside the legacy set as `U__` and an injective encoding, and a legacy name as it is,
/// so two names meet there only if one is not legacy and the other is a legacy name starting
/// with `U__` (`a.b` and `U__a_2e_b`). The collision checks leave every other name out of
/// their `values` tables.
pub const fn values_may_clash(base: &str, suffix: &str) -> bool {
    values_may_clash_of(base, suffix, is_legacy_pair(base, suffix))
}

/// [`values_may_clash`], with `legacy` ([`is_legacy_pair`] of the name) already known.
pub const fn values_may_clash_of(base: &str, suffix: &str, legacy: bool) -> bool {
    let (a, b) = (base.as_bytes(), suffix.as_bytes());
    !legacy
        || (a.len() + b.len() >= 3 && byte_at(a, b, 0) == b'U' && byte_at(a, b, 1) == b'_' && byte_at(a, b, 2) == b'_')
}

/// The number of a scheme, kept in the low bits of [`scheme_hash`].
const fn scheme_tag(scheme: Escaping) -> u64 {
    match scheme {
        Escaping::AllowUtf8 => 0,
        Escaping::Underscores => 1,
        Escaping::Dots => 2,
        Escaping::Values => 3,
    }
}

/// `hash` with its low two bits set to the number of `scheme`.
pub const fn retag(hash: u64, scheme: Escaping) -> u64 {
    (hash & !3) | scheme_tag(scheme)
}

/// Whether `base + suffix` is a legacy metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
pub const fn is_legacy_pair(base: &str, suffix: &str) -> bool {
    is_legacy_concat(base.as_bytes(), suffix.as_bytes())
}

/// Whether every run of `_` in the bytes `s` gives is of even length.
const fn runs_even(mut s: Spelled<'_>) -> bool {
    let mut odd = false;
    loop {
        match s.next() {
            Some(b'_') => odd = !odd,
            Some(_) if odd => return false,
            Some(_) => {}
            None => return !odd,
        }
    }
}

/// The hash of `base + suffix` as `scheme` spells it, tagged with the scheme (the low two bits
/// tell the schemes apart, so that equal hashes mean one scheme): the `const` collision checks
/// of `metrics_core::check` sort and search their tables of names under `underscores`, `dots`
/// and `values` by it, and the derive hashes the spellings it checked with [`spelling_hash`].
/// `const` evaluation is slow, and comparing strings there costs a step per byte.
///
/// Under `dots` the spelling is hashed with each `__` counted as one `_` when every run of `_`
/// in it is even: the `dots` spelling of a legacy name is the name with its underscores
/// doubled, so its `dots` hash is its `underscores` hash, [`retag`]ged. The checks need no
/// `dots` entry for legacy names, which `dots` never merges with one another.
pub const fn scheme_hash(base: &str, suffix: &str, scheme: Escaping) -> u64 {
    scheme_hash_of(base, suffix, scheme, is_legacy_pair(base, suffix))
}

/// [`scheme_hash`], with `legacy` ([`is_legacy_pair`] of the name) already known.
pub const fn scheme_hash_of(base: &str, suffix: &str, scheme: Escaping, legacy: bool) -> u64 {
    let h = match scheme {
        Escaping::Dots if legacy => fnv(Spelled::with_legacy(base, suffix, Escaping::AllowUtf8, true), false),
        Escaping::Dots => {
            let s = Spelled::with_legacy(base, suffix, Escaping::Dots, false);
            fnv(s, runs_even(s))
        }
        _ => fnv(Spelled::with_legacy(base, suffix, scheme, legacy), false),
    };
    retag(h, scheme)
}

/// The [`scheme_hash`] of a name that `scheme` spells `spelling`.
pub const fn spelling_hash(spelling: &str, scheme: Escaping) -> u64 {
    let s = Spelled::with_legacy(spelling, "", Escaping::AllowUtf8, false);
    let collapse = matches!(scheme, Escaping::Dots) && runs_even(s);
    retag(fnv(s, collapse), scheme)
}

/// Whether `scheme` spells `base + suffix` as `spelling` (without building the spelling).
pub const fn spelled_as(base: &str, suffix: &str, scheme: Escaping, spelling: &str) -> bool {
    spelled_eq(Spelled::new(base, suffix, scheme), Spelled::new(spelling, "", Escaping::AllowUtf8))
}

/// Whether `scheme` spells `a.0 + a.1` and `b.0 + b.1` alike.
pub const fn spelled_alike(a: (&str, &str), b: (&str, &str), scheme: Escaping) -> bool {
    spelled_eq(Spelled::new(a.0, a.1, scheme), Spelled::new(b.0, b.1, scheme))
}

const fn spelled_eq(mut x: Spelled<'_>, mut y: Spelled<'_>) -> bool {
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q => {}
            _ => return false,
        }
    }
}

/// The length in bytes of `base + suffix` as `scheme` spells it.
pub const fn spelled_len(base: &str, suffix: &str, scheme: Escaping) -> usize {
    let mut s = Spelled::new(base, suffix, scheme);
    let mut n = 0;
    while s.next().is_some() {
        n += 1;
    }
    n
}

/// Writes `base + suffix` as `scheme` spells it into `out` from `at`, as far as it fits, and
/// returns where it stopped: for messages built in `const` context.
pub const fn spell_into(base: &str, suffix: &str, scheme: Escaping, out: &mut [u8], mut at: usize) -> usize {
    let mut s = Spelled::new(base, suffix, scheme);
    while at < out.len() {
        match s.next() {
            Some(c) => {
                out[at] = c;
                at += 1;
            }
            None => break,
        }
    }
    at
}

/// The 64-bit FNV-1a hash of `base + suffix` as legacy scrapers spell it (`underscores`: see
/// [`legacy_cmp`]). A legacy name hashes as its bytes. The `const` collision checks of
/// `metrics_core::check` use [`scheme_hash`], which covers every lossy scheme.
pub const fn name_hash(base: &str, suffix: &str) -> u64 {
    underscores_pass(base.as_bytes(), suffix.as_bytes()).0
}

/// The FNV-1a hash of the `underscores` spelling of `a + b` and whether `a + b` is a legacy
/// name, in one pass over its bytes: what the `const` checks compute for every name.
const fn underscores_pass(a: &[u8], b: &[u8]) -> (u64, bool) {
    let n = a.len() + b.len();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut legacy = n > 0;
    let mut i = 0;
    while i < n {
        let c = byte_at(a, b, i);
        let (out, next) = if c < 0x80 {
            if c.is_ascii_alphabetic() || c == b'_' || c == b':' || (i > 0 && c.is_ascii_digit()) {
                (c, i + 1)
            } else {
                legacy = false;
                (b'_', i + 1)
            }
        } else {
            legacy = false;
            (b'_', i + decode_at(a, b, i).0)
        };
        h = (h ^ out as u64).wrapping_mul(0x0100_0000_01b3);
        i = next;
    }
    (h, legacy)
}

/// The `underscores` [`scheme_hash`] of `base + suffix` and whether it is a legacy name
/// ([`is_legacy_pair`]), in one pass.
pub const fn legacy_hash(base: &str, suffix: &str) -> (u64, bool) {
    let (h, legacy) = underscores_pass(base.as_bytes(), suffix.as_bytes());
    (retag(h, Escaping::Underscores), legacy)
}

/// 64-bit FNV-1a of the bytes `s` gives; with `collapse`, each `__` counts as one `_`.
const fn fnv(mut s: Spelled<'_>, collapse: bool) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    while let Some(c) = s.next() {
        if collapse && c == b'_' {
            let _ = s.next();
        }
        h = (h ^ c as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The byte at `k` of `a + b`.
const fn byte_at(a: &[u8], b: &[u8], k: usize) -> u8 {
    if k < a.len() { a[k] } else { b[k - a.len()] }
}

/// Compares `a.0 + a.1` with `b.0 + b.1` as legacy scrapers spell them (`underscores`: each
/// character outside `[a-zA-Z0-9_:]`, and a leading digit, is `_`), without building either
/// string: -1, 0 or 1. `http.requests` and `http_requests` are equal: one series there.
pub const fn legacy_cmp(a: (&str, &str), b: (&str, &str)) -> i32 {
    let mut x = Spelled::new(a.0, a.1, Escaping::Underscores);
    let mut y = Spelled::new(b.0, b.1, Escaping::Underscores);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return 0,
            (None, Some(_)) => return -1,
            (Some(_), None) => return 1,
            (Some(p), Some(q)) if p != q => return if p < q { -1 } else { 1 },
            _ => {}
        }
    }
}

/// Whether `s` ends with `suffix`.
pub const fn ends_with(s: &str, suffix: &str) -> bool {
    let (s, x) = (s.as_bytes(), suffix.as_bytes());
    if x.len() > s.len() {
        return false;
    }
    let off = s.len() - x.len();
    let mut i = 0;
    while i < x.len() {
        if s[off + i] != x[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether two strings are equal (usable in `const` context).
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_exposed_name_per_kind() {
        assert_eq!(exposed_name("requests", MetricKind::Counter, false), ("requests", "_total"));
        assert_eq!(exposed_name("requests", MetricKind::Counter, true), ("requests", ""));
        assert_eq!(exposed_name("build", MetricKind::Info, false), ("build", "_info"));
        assert_eq!(exposed_name("build_info", MetricKind::Info, false), ("build_info", ""));
        assert_eq!(exposed_name("up", MetricKind::Gauge, false), ("up", ""));
        assert_eq!(openmetrics_family("build_info", MetricKind::Info), "build");
        assert_eq!(openmetrics_family("build", MetricKind::Info), "build");
        assert_eq!(openmetrics_family("requests", MetricKind::Counter), "requests");
    }

    #[test]
    fn info_samples_are_the_same_with_or_without_the_suffix() {
        let (a, n) = sample_names("build", MetricKind::Info, false);
        let (b, m) = sample_names("build_info", MetricKind::Info, false);
        let join = |v: &[(&str, &str)]| v.iter().map(|(x, y)| format!("{x}{y}")).collect::<Vec<_>>();
        assert_eq!(join(&a[..n]), ["build_info", "build"]);
        assert_eq!(join(&a[..n]), join(&b[..m]));
    }

    #[test]
    fn names_are_checked_once() {
        assert_eq!(check_name("http_requests", false), Ok(()));
        assert_eq!(check_name("a:b", true), Ok(()));
        assert_eq!(check_name("http.server.requests", false), Ok(()));
        assert_eq!(check_name("1x", false), Ok(()));
        assert_eq!(check_name("", true), Err(NameError::Empty));
        assert_eq!(check_name("__x", false), Err(NameError::Reserved));
        assert_eq!(check_name("a__x", false), Ok(()));
        assert!(check_prefix("").is_ok());
        // Any UTF-8 prefix: escaped (or quoted) with the name it stands before.
        for ok in ["app_", "otel.", "a b", "9lives_", "größe_", "_x", "a__"] {
            assert_eq!(check_prefix(ok), Ok(()), "{ok:?}");
        }
        assert_eq!(
            check_prefix("__x").map_err(|e| e.to_string()),
            Err("prefix `__x` would make invalid metric names: names starting with `__` are reserved for Prometheus"
                .to_owned())
        );
    }

    #[test]
    fn clashes_under_every_lossy_scheme() {
        let clash = |names: &[&'static str], label| first_clash(names.iter().copied(), label);
        // `underscores`.
        let c = clash(&["http.method", "code", "http/method"], true).unwrap_or_else(|| panic!("no clash"));
        assert_eq!(
            (c.first, c.second, c.scheme, c.spelling.as_str()),
            ("http.method", "http/method", Escaping::Underscores, "http_method")
        );
        assert_eq!(
            c.to_string(),
            "`http.method` and `http/method` are both `http_method` for scrapers that ask for `escaping=underscores`"
        );
        // `dots` only: distinct under `underscores` (`a__b`, `a_b`) and `values`.
        for (a, b, spelling) in
            [("a--b", "a_b", "a__b"), ("a-dot-b", "a.b", "a_dot_b"), ("x.-y", "x-dot_y", "x_dot__y")]
        {
            assert_ne!(escape_label_name(a, Escaping::Underscores), escape_label_name(b, Escaping::Underscores));
            for label in [true, false] {
                let c = clash(&[a, b], label).unwrap_or_else(|| panic!("{a} {b}"));
                assert_eq!((c.first, c.second, c.scheme, c.spelling.as_str()), (a, b, Escaping::Dots, spelling));
                assert_eq!(escape_into_string(a, Escaping::Dots, label), escape_into_string(b, Escaping::Dots, label));
            }
        }
        // `values` only: a legacy name that reads as an encoded one.
        let c = clash(&["U__a_2e_b", "a.b"], true).unwrap_or_else(|| panic!("no clash"));
        assert_eq!((c.scheme, c.spelling.as_str()), (Escaping::Values, "U__a_2e_b"));
        // Label names escape `:`, metric names keep it: `a:b` and `a_b` clash as labels only.
        assert_eq!(clash(&["a:b", "a_b"], true).map(|c| c.scheme), Some(Escaping::Underscores));
        assert_eq!(clash(&["a:b", "a_b"], false), None);
        // Under `dots`, legacy characters and dots alone never clash (`underscores` merges
        // `a.b` and `a_b`); duplicates are not clashes.
        let dotted = ["a.b", "a_b", "a_dot_b", "a__b", "a._b", "a_.b", "a..b", "ab", "_a", "a_"];
        let spellings: std::collections::HashSet<String> =
            dotted.iter().map(|n| escape_into_string(n, Escaping::Dots, true)).collect();
        assert_eq!(spellings.len(), dotted.len(), "{spellings:?}");
        assert_eq!(clash(&["a", "b.c", "a", "b.c"], true), None);
        assert_eq!(clash(&["http.server.requests", "http_server_requests_total", "U__x"], false), None);
    }

    fn escape_into_string(name: &str, scheme: Escaping, label: bool) -> String {
        let mut out = String::new();
        escape_into(&mut out, name, scheme, label);
        out
    }

    /// `(name, allow-utf-8, underscores, dots, values)` for metric names.
    const METRIC_CASES: &[(&str, &str, &str, &str, &str)] = &[
        // The examples of the prometheus.io page.
        (
            "metric.name/with/slashes",
            "metric.name/with/slashes",
            "metric_name_with_slashes",
            "metric_dot_name_with_slashes",
            "U__metric_2e_name_2f_with_2f_slashes",
        ),
        (
            "metric.name.with.dots",
            "metric.name.with.dots",
            "metric_name_with_dots",
            "metric_dot_name_dot_with_dot_dots",
            "U__metric_2e_name_2e_with_2e_dots",
        ),
        // Legacy names: unchanged but by `dots`, which doubles underscores.
        (
            "http_requests_total",
            "http_requests_total",
            "http_requests_total",
            "http__requests__total",
            "http_requests_total",
        ),
        ("a:b", "a:b", "a:b", "a:b", "a:b"),
        ("a__b", "a__b", "a__b", "a____b", "a__b"),
        // A leading digit is outside the set; later ones are in it.
        ("1st.try9", "1st.try9", "_st_try9", "_st_dot_try9", "U___31_st_2e_try9"),
        ("__x.y", "__x.y", "__x_y", "____x_dot_y", "U______x_2e_y"),
        // Non-ASCII: one replacement per character, not per byte.
        ("größe", "größe", "gr__e", "gr__e", "U__gr_f6__df_e"),
        // Outside the BMP.
        ("a\u{1F600}b", "a\u{1F600}b", "a_b", "a_b", "U__a_1f600_b"),
        // Characters that need quoting.
        ("a\"b\\c\nd", "a\"b\\c\nd", "a_b_c_d", "a_b_c_d", "U__a_22_b_5c_c_a_d"),
    ];

    #[test]
    fn every_scheme_on_metric_names() {
        for &(name, utf8, underscores, dots, values) in METRIC_CASES {
            for (scheme, want) in [
                (Escaping::AllowUtf8, utf8),
                (Escaping::Underscores, underscores),
                (Escaping::Dots, dots),
                (Escaping::Values, values),
            ] {
                let got = escape_metric_name(name, scheme);
                assert_eq!(got, want, "{name:?} {scheme:?}");
                if scheme != Escaping::AllowUtf8 {
                    assert!(is_valid_metric_name(&got), "{got:?} is not a legacy name");
                }
            }
        }
    }

    /// The `const` spellings of the collision checks agree with [`escape_into`] on every case,
    /// however the name is split into base and suffix.
    #[test]
    fn const_spellings_match_the_escaper() {
        let mut names: Vec<&str> = METRIC_CASES.iter().map(|c| c.0).collect();
        names.extend(["a.b", "a-dot-b", "U__a_2e_b", "a.b__total", "\u{10FFFF}x", "_", "9", "a\u{7f}b"]);
        for name in names {
            for scheme in [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Dots, Escaping::Values] {
                let want = escape_metric_name(name, scheme);
                for (k, _) in name.char_indices().chain([(name.len(), ' ')]) {
                    let (base, suffix) = name.split_at(k);
                    assert!(spelled_as(base, suffix, scheme, &want), "{name:?} at {k} {scheme:?}");
                    assert_eq!(spelled_len(base, suffix, scheme), want.len(), "{name:?} {scheme:?}");
                    assert_eq!(scheme_hash(base, suffix, scheme), spelling_hash(&want, scheme), "{name:?} {scheme:?}");
                    let legacy = is_valid_metric_name(name);
                    assert_eq!(legacy_hash(base, suffix), (scheme_hash(base, suffix, Escaping::Underscores), legacy));
                    assert_eq!(name_hash(base, suffix), fnv(Spelled::new(name, "", Escaping::Underscores), false));
                    let mut buf = [0u8; 64];
                    let n = spell_into(base, suffix, scheme, &mut buf, 0);
                    assert_eq!(&buf[..n], want.as_bytes());
                }
                assert!(!spelled_as(name, "", scheme, &format!("{want}x")));
            }
        }
        // The `dots` hash of a legacy name is its `underscores` hash, retagged.
        for legacy in ["a_b", "a__b", "x:y_total", "U__a_2e_b"] {
            let u = scheme_hash(legacy, "", Escaping::Underscores);
            assert_eq!(scheme_hash(legacy, "", Escaping::Dots), retag(u, Escaping::Dots), "{legacy}");
        }
        assert_eq!(scheme_hash("a--b", "", Escaping::Dots), scheme_hash("a_b", "", Escaping::Dots));
        // Spellings of one scheme, never of another: the hash carries the scheme.
        assert_ne!(scheme_hash("a_b", "", Escaping::Underscores), scheme_hash("a--b", "", Escaping::Dots));
        assert!(spelled_alike(("a--b", ""), ("a_b", ""), Escaping::Dots));
        assert!(!spelled_alike(("a--b", ""), ("a_b", ""), Escaping::Underscores));
        assert!(spelled_alike(("a.", "b"), ("U__a_2e_", "b"), Escaping::Values));
        // `values` merges a name only with a legacy name starting with `U__`.
        assert!(values_may_clash("a.b", "") && values_may_clash("U__a", "_total") && values_may_clash("9x", ""));
        assert!(!values_may_clash("a_b", "_total") && !values_may_clash("U_a", ""));
        assert!(values_may_clash("U", "__x"), "the concatenation counts");
    }

    #[test]
    fn label_names_escape_colons() {
        assert_eq!(escape_label_name("a:b", Escaping::Underscores), "a_b");
        assert_eq!(escape_label_name("a:b", Escaping::Values), "U__a_3a_b");
        assert_eq!(escape_label_name("http.request.method", Escaping::Underscores), "http_request_method");
        assert_eq!(escape_label_name("method", Escaping::Values), "method");
        for &(name, ..) in METRIC_CASES {
            for scheme in [Escaping::Underscores, Escaping::Dots, Escaping::Values] {
                let got = escape_label_name(name, scheme);
                assert!(is_valid_label_name(&got), "{name:?} {scheme:?} gave {got:?}");
            }
        }
        assert_eq!(legacy_spelling("http.server.requests", false), "http_server_requests");
    }

    #[test]
    fn quoting_escapes_backslash_quote_and_newline() {
        let mut out = Vec::new();
        write_quoted(&mut out, "a\"b\\c\nd\u{1F600}");
        assert_eq!(String::from_utf8(out).unwrap_or_default(), "\"a\\\"b\\\\c\\nd\u{1F600}\"");
    }

    #[test]
    fn schemes_parse_from_headers() {
        for e in [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Dots, Escaping::Values] {
            assert_eq!(Escaping::parse(e.as_str()), Some(e));
        }
        assert_eq!(Escaping::parse("Allow-UTF-8"), Some(Escaping::AllowUtf8));
        assert_eq!(Escaping::parse("utf8"), None);
        assert_eq!(Escaping::default(), Escaping::Underscores);
    }

    #[test]
    fn hashes_and_comparisons_see_legacy_spellings() {
        assert_eq!(name_hash("http.requests", "_total"), name_hash("http_requests_total", ""));
        assert_eq!(name_hash("größe", ""), name_hash("gr__e", ""));
        assert_eq!(name_hash("a\u{1F600}", ""), name_hash("a_", ""));
        assert_ne!(name_hash("1x", ""), name_hash("x1", ""));
        assert_eq!(legacy_cmp(("http.requests", "_total"), ("http_requests_total", "")), 0);
        assert_eq!(legacy_cmp(("9lives", ""), ("_lives", "")), 0);
        assert_eq!(legacy_cmp(("a", ""), ("a.", "")), -1);
        assert_eq!(legacy_cmp(("b", ""), ("a\u{e9}", "")), 1);
        for (x, y) in [("größe", "x"), ("a.b", "a_c"), ("q", "q")] {
            let want = legacy_spelling(x, false).cmp(&legacy_spelling(y, false)) as i32;
            assert_eq!(legacy_cmp((x, ""), (y, "")), want, "{x} {y}");
        }
    }

    #[test]
    fn declared_names_join_with_underscores() {
        assert_eq!(declared_name("app", "latency", "seconds"), "app_latency_seconds");
        assert_eq!(declared_name("", "latency", ""), "latency");
    }
}
