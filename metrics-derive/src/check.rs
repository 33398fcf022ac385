//! Every rule the derive checks on its own, one function per rule, and the values the checks
//! work out for expansion ([`Checked`]). Rules that need what the derive cannot see (the type
//! behind an alias, a family's labels, the names of a flattened struct) are checked by `const`
//! items the expansion emits, with `metrics_core::check`, so that aliases and hand-written code
//! obey them too.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use crate::ast::{Container, Field, LabelEnum, LabelStruct, Role, Written};
use crate::attr::BucketsSpec;
use crate::ctxt::Ctxt;
use crate::name::{
    Escaping, LABEL_NAME_PATTERN, METRIC_NAME_PATTERN, MetricKind, NameError, check_name, declared_name, ends_with,
    escape_label_name, escape_metric_name, is_valid_label_name, is_valid_metric_name, legacy_spelling, sample_names,
    spelling_hash, values_may_clash,
};

/// What the checks of a `Metrics` struct worked out, one entry per field (skipped and
/// flattened fields included, in field order).
pub(crate) struct Checked {
    pub(crate) fields: Vec<CheckedField>,
    /// Every name the metrics of written types take as `underscores`, `dots` and `values` spell
    /// it, with its hash (`name::spelling_hash`) and who takes it, sorted by hash: the `const`
    /// collision checks of flattened and aliased fields look names up in it.
    pub(crate) known_names: Vec<(u64, String, String)>,
}

/// One field, checked.
#[derive(Default)]
pub(crate) struct CheckedField {
    /// The declared name: prefix, name and unit.
    pub(crate) name: String,
    /// The bucket bounds, when `buckets` was given (and valid).
    pub(crate) buckets: Option<Vec<f64>>,
    /// The native bucket settings `(schema, max_buckets, zero_threshold)`, when `native` was
    /// given (and valid).
    pub(crate) native: Option<(i32, u32, f64)>,
    /// The type as read from its name, if it could be.
    pub(crate) written: Option<Written>,
}

pub(crate) fn metrics(cx: &Ctxt, c: &Container<'_>) -> Checked {
    prefix(cx, c);
    let prefix = c.attrs.prefix.as_ref().map_or("", |p| p.value.as_str());
    let mut fields = Vec::with_capacity(c.fields.len());
    for f in &c.fields {
        role_exclusive(cx, f);
        if f.role() != Role::Metric {
            fields.push(CheckedField::default());
            continue;
        }
        metric_name(cx, c, f);
        unit(cx, f);
        help(cx, f);
        let buckets = f.attrs.buckets.as_ref().and_then(|b| bucket_values(cx, &b.value, b.span));
        let native = f.attrs.native.as_ref().and_then(|n| native_settings(cx, &n.value));
        quantiles(cx, f);
        positive(cx, "max_age", f.attrs.max_age.as_ref());
        positive(cx, "limit", f.attrs.limit.as_ref());
        let unit = f.attrs.unit.as_ref().map_or("", |u| u.value.as_str());
        let name = declared_name(prefix, &f.base_name(), unit);
        let written = Written::of(f.ty);
        if let Some(w) = written {
            type_rules(cx, f, &name, w);
        }
        fields.push(CheckedField { name, buckets, native, written });
    }
    let known_names = collisions(cx, c, &fields);
    Checked { fields, known_names }
}

/// A prefix must be a non-empty, unreserved name (any UTF-8: formats escape what a scraper
/// cannot take).
fn prefix(cx: &Ctxt, c: &Container<'_>) {
    if let Some(p) = &c.attrs.prefix {
        match check_name(&p.value, false) {
            Ok(()) => {}
            Err(NameError::Empty) => {
                cx.error_at(p.span, "the metric name prefix is empty: remove `prefix`, or name one")
            }
            Err(NameError::Reserved) => {
                cx.error_at(p.span, format!("prefix `{}` starts with `__`, which Prometheus reserves", p.value))
            }
        }
    }
}

/// `skip` and `flatten` say what a field is; no other key makes sense beside them.
fn role_exclusive(cx: &Ctxt, f: &Field<'_>) {
    let a = &f.attrs;
    let role = match (&a.skip, &a.flatten) {
        (Some(s), Some(_)) => {
            cx.error_at(s.span, "`skip` and `flatten` cannot be combined");
            return;
        }
        (Some(_), None) => "skip",
        (None, Some(_)) => "flatten",
        (None, None) => return,
    };
    let others = [
        ("name", a.name.as_ref().map(|x| x.span)),
        ("help", a.help.as_ref().map(|x| x.span)),
        ("unit", a.unit.as_ref().map(|x| x.span)),
        ("buckets", a.buckets.as_ref().map(|x| x.span)),
        ("native", a.native.as_ref().map(|x| x.span)),
        ("quantiles", a.quantiles.as_ref().map(|x| x.span)),
        ("max_age", a.max_age.as_ref().map(|x| x.span)),
        ("limit", a.limit.as_ref().map(|x| x.span)),
        ("legacy_name", a.legacy_name.as_ref().map(|x| x.span)),
    ];
    for (key, s) in others {
        if let Some(s) = s {
            cx.error_at(s, format!("`{key}` cannot be combined with `{role}`"));
        }
    }
}

/// Native bucket settings: the schema an integer in -4..=8 (client_golang's range), at least one
/// bucket, a zero threshold finite and not negative. A missing key takes client_golang's usual
/// value (schema 3, 160 buckets, 2^-128).
fn native_settings(cx: &Ctxt, spec: &crate::attr::NativeSpec) -> Option<(i32, u32, f64)> {
    let mut ok = true;
    let schema = match spec.schema {
        None => 3,
        Some((v, _)) if v.fract() == 0.0 && (-4.0..=8.0).contains(&v) => v as i32,
        Some((v, span)) => {
            cx.error_at(span, format!("`schema = {v}` is not a native histogram schema: expected an integer in -4..=8 (3 gives buckets about 9% apart, 8 the finest)"));
            ok = false;
            0
        }
    };
    let max_buckets = match spec.max_buckets {
        None => 160,
        Some((v, _)) if v.fract() == 0.0 && v >= 1.0 && v <= f64::from(u32::MAX) => v as u32,
        Some((v, span)) => {
            cx.error_at(span, format!("`max_buckets = {v}` is not a bucket limit: expected an integer of at least 1, as in `max_buckets = 160`"));
            ok = false;
            0
        }
    };
    let zero = match spec.zero_threshold {
        None => 2f64.powi(-128),
        Some((v, _)) if v.is_finite() && v >= 0.0 => v,
        Some((v, span)) if !v.is_finite() => {
            cx.error_at(span, "`zero_threshold` overflows a 64-bit float: expected a finite number of at least 0, as in `zero_threshold = 1e-9`");
            ok = false;
            0.0
        }
        Some((v, span)) => {
            cx.error_at(span, format!("`zero_threshold = {v}` is not a zero threshold: expected a finite number of at least 0, as in `zero_threshold = 1e-9`"));
            ok = false;
            0.0
        }
    };
    ok.then_some((schema, max_buckets, zero))
}

/// The exposed name (prefix, name, unit) must be a non-empty, unreserved metric name. Any
/// UTF-8 string written with `name` is one (`http.server.requests`): formats escape what a
/// scraper cannot take. A name taken from the field stays legacy (Rust allows `größe`), so that
/// a UTF-8 name is always written on purpose.
fn metric_name(cx: &Ctxt, c: &Container<'_>, f: &Field<'_>) {
    let name = f.base_name();
    if f.attrs.name.is_none() && !is_valid_metric_name(&name) {
        cx.error_at(
            f.name_span(),
            format!("`{name}` is not a legacy metric name: a field's name must match `{METRIC_NAME_PATTERN}`; write any other name with `#[metric(name = \"...\")]`"),
        );
        return;
    }
    match check_name(&name, false) {
        Ok(()) => {}
        Err(NameError::Empty) => cx.error_at(f.name_span(), "the metric name is empty: name it, or remove `name`"),
        // Behind a prefix the name does not start the exposed name.
        Err(NameError::Reserved) if c.attrs.prefix.is_some() => {}
        Err(NameError::Reserved) => {
            cx.error_at(f.name_span(), format!("metric name `{name}` starts with `__`, which Prometheus reserves"))
        }
    }
}

/// The rules that depend on the metric's type, for a type the derive could read: reported at
/// the attribute (or name) that breaks them. `const` checks cover the other types.
fn type_rules(cx: &Ctxt, f: &Field<'_>, name: &str, w: Written) {
    let a = &f.attrs;
    let kind = w.kind.as_str();
    if w.kind == MetricKind::Counter && a.legacy_name.is_none() && ends_with(name, "_total") {
        cx.error_at(
            f.name_span(),
            format!("counter `{name}` already ends in `_total`, which the formats append: remove the suffix from the name, or add `legacy_name` to expose the name exactly as written in Prometheus text"),
        );
    }
    if let Some(b) = &a.buckets
        && w.kind != MetricKind::Histogram
    {
        cx.error_at(b.span, format!("`buckets` applies to histograms only, and `{name}` is a {kind}"));
    }
    if let Some(n) = &a.native
        && w.kind != MetricKind::Histogram
    {
        cx.error_at(n.span, format!("`native` applies to histograms only, and `{name}` is a {kind}"));
    }
    for span in [a.quantiles.as_ref().map(|q| q.span), a.max_age.as_ref().map(|m| m.span)].into_iter().flatten() {
        if w.kind != MetricKind::Summary {
            cx.error_at(span, format!("`quantiles` and `max_age` apply to summaries only, and `{name}` is a {kind}"));
        }
    }
    if let Some(l) = &a.limit
        && !w.family
    {
        cx.error_at(l.span, format!("`limit` applies to families only, and `{name}` is not a `Family`"));
    }
    if let Some(l) = &a.legacy_name
        && w.kind != MetricKind::Counter
    {
        cx.error_at(l.span, format!("`legacy_name` applies to counters only, and `{name}` is a {kind}"));
    }
}

/// No two metrics of written types may take one name in any format (the generated suffixes
/// and OpenMetrics family names included) under any escaping scheme: reported at the second,
/// in one pass over hash maps. Names are compared as written and as `underscores` spells them
/// (`http.requests` and `http_requests` are one series for legacy scrapers), then as `dots` and
/// `values` do, which merge a few more (`a.b` and `a-dot-b` are both `a_dot_b` under `dots`,
/// `a.b` and `U__a_2e_b` both `U__a_2e_b` under `values`; see `name::first_clash`): a scraper
/// asking for them would get two families of one name. Returns the names taken, sorted, for
/// the `const` checks of the other fields.
fn collisions(cx: &Ctxt, c: &Container<'_>, fields: &[CheckedField]) -> Vec<(u64, String, String)> {
    // Each name taken, by whom, and whether as a legacy spelling of a name that is not legacy.
    let mut taken: HashMap<String, (usize, bool)> = HashMap::new();
    // Each `dots` and `values` spelling taken, by whom, and the name it spells.
    let mut escaped: HashMap<(Escaping, String), (usize, String)> = HashMap::new();
    let who = |i: usize| format!("metric `{}` (field `{}`)", fields[i].name, c.fields[i].ident);
    for (i, (f, checked)) in c.fields.iter().zip(fields).enumerate() {
        let Some(w) = checked.written.filter(|_| f.role() == Role::Metric) else { continue };
        let (names, n) = sample_names(&checked.name, w.kind, f.attrs.legacy_name.is_some());
        let mut reported = false;
        // Each name as written and as legacy scrapers see it (`underscores`): `http.requests`
        // and `http_requests` are one series there.
        let spellings = names[..n].iter().flat_map(|(base, suffix)| {
            let name = format!("{base}{suffix}");
            let legacy = legacy_spelling(&name, false);
            let escaped = legacy != name;
            [Some((legacy, escaped)), escaped.then_some((name, false))]
        });
        for (name, escaped) in spellings.flatten() {
            match taken.get(&name) {
                Some(&(first, first_escaped)) if first != i => {
                    if !reported {
                        let legacy = if escaped || first_escaped {
                            ", and scrapers that take legacy names only see `_` for each character outside `[a-zA-Z0-9_:]`"
                        } else {
                            ""
                        };
                        cx.error_at(
                            f.name_span(),
                            format!(
                                "{} takes the name `{name}`, which {} takes too (the formats add `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info`{legacy}): rename one of them",
                                who(i),
                                who(first)
                            ),
                        );
                        reported = true;
                    }
                }
                Some(_) => {}
                None => {
                    taken.insert(name, (i, escaped));
                }
            }
        }
        if reported {
            continue;
        }
        'names: for (base, suffix) in &names[..n] {
            let name = format!("{base}{suffix}");
            for scheme in [Escaping::Dots, Escaping::Values] {
                if scheme == Escaping::Values && !values_may_clash(base, suffix) {
                    continue;
                }
                match escaped.entry((scheme, escape_metric_name(&name, scheme))) {
                    Entry::Occupied(e) if e.get().0 != i => {
                        let (first, first_name) = e.get();
                        cx.error_at(
                            f.name_span(),
                            format!(
                                "{} takes the name `{name}`, which is `{}` for scrapers that ask for `escaping={}`, as is the name `{first_name}` that {} takes (the formats add `_total`, `_bucket`, `_sum`, `_count`, `_created` and `_info`): rename one of them",
                                who(i),
                                e.key().1,
                                scheme.as_str(),
                                who(*first)
                            ),
                        );
                        break 'names;
                    }
                    Entry::Occupied(_) => {}
                    Entry::Vacant(e) => {
                        e.insert((i, name.clone()));
                    }
                }
            }
        }
    }
    // The `const` checks look names up as `underscores`, `dots` and `values` spell them: the
    // names as written that are not legacy are spelled differently there.
    let mut known: Vec<(u64, String, String)> = taken
        .into_iter()
        .filter(|(n, _)| is_valid_metric_name(n))
        .map(|(n, (i, _))| (spelling_hash(&n, Escaping::Underscores), n, who(i)))
        .chain(escaped.into_iter().map(|((scheme, n), (i, _))| (spelling_hash(&n, scheme), n, who(i))))
        .collect();
    known.sort();
    known
}

/// A unit is a lowercase word appended to the name, and must not be written twice.
fn unit(cx: &Ctxt, f: &Field<'_>) {
    let Some(u) = &f.attrs.unit else { return };
    let ok = !u.value.is_empty()
        && u.value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !u.value.starts_with('_');
    if !ok {
        cx.error_at(
            u.span,
            format!("`{}` is not a valid unit: use a lowercase base unit such as `seconds` or `bytes`", u.value),
        );
        return;
    }
    let name = f.base_name();
    if ends_with(&name, &format!("_{}", u.value)) || name == u.value {
        let stem = name.strip_suffix(&format!("_{}", u.value)).unwrap_or(&name);
        cx.error_at(
            f.name_span(),
            format!("the name `{name}` already ends in the unit `{}`, which `unit` appends: name it `{stem}`", u.value),
        );
    }
}

/// Every metric needs help text (Prometheus tools lint a missing HELP).
fn help(cx: &Ctxt, f: &Field<'_>) {
    match f.help() {
        Some(h) if !h.trim().is_empty() => {}
        _ => cx.error_spanned_by(
            f.ident,
            format!("metric `{}` has no help text: add a doc comment or `#[metric(help = \"...\")]`", f.ident),
        ),
    }
}

/// The bucket bounds a spec stands for, checked: finite, strictly increasing, not empty.
pub(crate) fn bucket_values(cx: &Ctxt, spec: &BucketsSpec, span: proc_macro2::Span) -> Option<Vec<f64>> {
    let values: Vec<(f64, proc_macro2::Span)> = match spec {
        BucketsSpec::List(v) => v.clone(),
        BucketsSpec::Generated { kind, start, step, count } => {
            if count.0 == 0 || count.0 > 1000 {
                cx.error_at(count.1, format!("`{kind}` needs a bucket count between 1 and 1000"));
                return None;
            }
            if kind == "exponential" && start.0 <= 0.0 {
                cx.error_at(start.1, "`exponential` needs a start greater than zero");
                return None;
            }
            if kind == "exponential" && step.0 <= 1.0 {
                cx.error_at(step.1, "`exponential` needs a factor greater than one");
                return None;
            }
            if kind == "linear" && step.0 <= 0.0 {
                cx.error_at(step.1, "`linear` needs a width greater than zero");
                return None;
            }
            let count = count.0 as usize;
            let bounds = if kind == "exponential" {
                crate::bounds::exponential(start.0, step.0, count)
            } else {
                crate::bounds::linear(start.0, step.0, count)
            };
            bounds.into_iter().map(|v| (v, span)).collect()
        }
    };
    if values.is_empty() {
        cx.error_at(span, "`buckets` is empty: a histogram needs at least one bucket bound (`+Inf` is implied)");
        return None;
    }
    for (i, &(v, s)) in values.iter().enumerate() {
        if !v.is_finite() {
            cx.error_at(s, "bucket bounds must be finite (`+Inf` is implied)");
            return None;
        }
        if i > 0 && values[i - 1].0 >= v {
            cx.error_at(s, format!("bucket bounds must be strictly increasing, but {v} follows {}", values[i - 1].0));
            return None;
        }
    }
    Some(values.into_iter().map(|(v, _)| v).collect())
}

/// Quantiles lie in [0, 1]; a list of none is a mistake.
fn quantiles(cx: &Ctxt, f: &Field<'_>) {
    let Some(q) = &f.attrs.quantiles else { return };
    if q.value.is_empty() {
        cx.error_at(q.span, "`quantiles` is empty: list the quantiles to report, as in `quantiles = [0.5, 0.9, 0.99]`");
    }
    for &(v, s) in &q.value {
        if !(0.0..=1.0).contains(&v) {
            cx.error_at(s, format!("quantile {v} is outside [0, 1]"));
        }
    }
}

fn positive(cx: &Ctxt, key: &str, v: Option<&crate::attr::Spanned<u64>>) {
    if let Some(v) = v
        && v.value == 0
    {
        cx.error_at(v.span, format!("`{key}` must be greater than zero"));
    }
}

/// Label names are non-empty, unreserved and distinct, as written and as legacy scrapers see
/// them (`underscores`-escaped: `http.method` and `http_method` would be one label there), and
/// under the `dots` and `values` schemes, which merge a few more (`a--b` and `a_b` are both
/// `a__b` under `dots`; see `name::first_clash`): a scraper asking for them would get a series
/// with a label given twice.
pub(crate) fn label_set(cx: &Ctxt, s: &LabelStruct<'_>) {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut legacy: HashMap<String, (String, String)> = HashMap::new();
    let mut other: HashMap<(Escaping, String), (String, String)> = HashMap::new();
    for f in &s.fields {
        if let (Some(_), Some(r)) = (&f.attrs.skip, &f.attrs.rename) {
            cx.error_at(r.span, "`rename` cannot be combined with `skip`");
        }
        if f.attrs.skip.is_some() {
            continue;
        }
        let name = f.name();
        if f.attrs.rename.is_none() && !is_valid_label_name(&name) {
            cx.error_at(
                f.name_span(),
                format!("`{name}` is not a legacy label name: a field's name must match `{LABEL_NAME_PATTERN}`; write any other name with `#[label(rename = \"...\")]`"),
            );
            continue;
        }
        match check_name(&name, true) {
            Ok(()) => {}
            Err(NameError::Empty) => cx.error_at(f.name_span(), "the label name is empty: name it, or remove `rename`"),
            Err(NameError::Reserved) => {
                cx.error_at(f.name_span(), format!("label name `{name}` starts with `__`, which Prometheus reserves"))
            }
        }
        if let Some(other) = seen.insert(name.clone(), f.ident.to_string()) {
            cx.error_at(
                f.name_span(),
                format!("label `{name}` is declared twice (fields `{other}` and `{}`)", f.ident),
            );
        } else if let Some((other_name, other)) =
            legacy.insert(legacy_spelling(&name, true), (name.clone(), f.ident.to_string()))
        {
            cx.error_at(
                f.name_span(),
                format!(
                    "labels `{other_name}` (field `{other}`) and `{name}` (field `{}`) are both `{}` for scrapers that take legacy names only: rename one of them",
                    f.ident,
                    legacy_spelling(&name, true)
                ),
            );
        } else {
            for scheme in [Escaping::Dots, Escaping::Values] {
                let spelling = escape_label_name(&name, scheme);
                if let Some((other_name, other)) =
                    other.insert((scheme, spelling.clone()), (name.clone(), f.ident.to_string()))
                {
                    cx.error_at(
                        f.name_span(),
                        format!(
                            "labels `{other_name}` (field `{other}`) and `{name}` (field `{}`) are both `{spelling}` for scrapers that ask for `escaping={}`: rename one of them",
                            f.ident,
                            scheme.as_str()
                        ),
                    );
                    break;
                }
            }
        }
    }
}

/// Two variants must not render to the same label value.
pub(crate) fn label_enum(cx: &Ctxt, e: &LabelEnum<'_>) {
    let mut seen: HashMap<&str, &syn::Ident> = HashMap::new();
    for (ident, value, span) in &e.variants {
        if let Some(other) = seen.insert(value.as_str(), ident) {
            cx.error_at(*span, format!("variants `{other}` and `{ident}` both render as the label value `{value}`: rename one with `#[label(rename = \"...\")]`"));
        }
    }
}
