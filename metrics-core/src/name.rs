//! Naming rules of the exposition formats, as `const fn`s.
//!
//! This file is compiled twice: into `metrics-core` (for hand-written metrics and runtime checks)
//! and, through `#[path]`, into `metrics-derive`, so the derive and the library share one set of
//! rules.

/// Whether `name` is a valid metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub const fn is_valid_metric_name(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let ok = c.is_ascii_alphabetic() || c == b'_' || c == b':' || (i > 0 && c.is_ascii_digit());
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `prefix` may stand before a valid metric name (empty, or a valid metric name).
pub const fn is_valid_prefix(prefix: &str) -> bool {
    prefix.is_empty() || is_valid_metric_name(prefix)
}

/// Whether `name` is a valid label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub const fn is_valid_label_name(name: &str) -> bool {
    let b = name.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let ok = c.is_ascii_alphabetic() || c == b'_' || (i > 0 && c.is_ascii_digit());
        if !ok {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `name` starts with `__`, which Prometheus reserves for its own use.
pub const fn is_reserved(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2 && b[0] == b'_' && b[1] == b'_'
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
