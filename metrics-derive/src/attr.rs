//! Parses `#[metrics(...)]`, `#[metric(...)]` and `#[label(...)]` into plain structs.
//!
//! Every mistake is recorded in the [`Ctxt`] and parsing goes on with the next key, so that all
//! of a struct's attribute errors are reported together.

use proc_macro2::{Span, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{LitInt, LitStr, Token};

use crate::ctxt::Ctxt;

/// An attribute value with the span of the value as written.
#[derive(Clone)]
pub(crate) struct Spanned<T> {
    pub(crate) value: T,
    pub(crate) span: Span,
}

/// A key that may appear once.
struct Slot<'c, T> {
    cx: &'c Ctxt,
    attr: &'static str,
    key: &'static str,
    value: Option<Spanned<T>>,
}

impl<'c, T> Slot<'c, T> {
    fn new(cx: &'c Ctxt, attr: &'static str, key: &'static str) -> Self {
        Slot { cx, attr, key, value: None }
    }

    fn set(&mut self, span: Span, value: T) {
        if self.value.is_some() {
            self.cx.error_at(span, format!("duplicate `{}` attribute `{}`", self.attr, self.key));
        } else {
            self.value = Some(Spanned { value, span });
        }
    }

    fn get(self) -> Option<Spanned<T>> {
        self.value
    }
}

/// Skips the rest of a key's value (up to the next top-level comma) after an error, so that the
/// following keys are still parsed.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    meta.input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if let TokenTree::Punct(p) = &tt
                && p.as_char() == ','
            {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

fn lit_str(cx: &Ctxt, meta: &ParseNestedMeta<'_>, attr: &str, key: &str, example: &str) -> syn::Result<Option<LitStr>> {
    let v = meta.value()?;
    let lit: syn::Lit = v.parse()?;
    match lit {
        syn::Lit::Str(s) => Ok(Some(s)),
        other => {
            cx.error_spanned_by(
                other,
                format!("`{attr}({key} = ...)` expects a string literal, as in `{key} = \"{example}\"`"),
            );
            Ok(None)
        }
    }
}

fn lit_int(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: &str, example: &str) -> syn::Result<Option<(u64, Span)>> {
    let v = meta.value()?;
    let lit: syn::Lit = v.parse()?;
    match &lit {
        syn::Lit::Int(i) => match i.base10_parse::<u64>() {
            Ok(n) => Ok(Some((n, i.span()))),
            Err(e) => {
                cx.syn_error(e);
                Ok(None)
            }
        },
        other => {
            cx.error_spanned_by(other, format!("`{key}` expects an integer literal, as in `{key} = {example}`"));
            Ok(None)
        }
    }
}

/// A number literal, possibly negative: `0.5`, `1`, `-2.5e3`.
fn number(input: syn::parse::ParseStream<'_>) -> syn::Result<(f64, Span)> {
    let neg: Option<Token![-]> = input.parse()?;
    let lit: syn::Lit = input.parse()?;
    let span = lit.span();
    let v = match &lit {
        syn::Lit::Float(f) => f.base10_parse::<f64>()?,
        syn::Lit::Int(i) => i.base10_parse::<f64>()?,
        other => return Err(syn::Error::new_spanned(other, "expected a number")),
    };
    Ok((if neg.is_some() { -v } else { v }, span))
}

fn number_list(input: syn::parse::ParseStream<'_>) -> syn::Result<Vec<(f64, Span)>> {
    let content;
    syn::bracketed!(content in input);
    let mut out = Vec::new();
    while !content.is_empty() {
        out.push(number(&content)?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(out)
}

/// How the buckets of a histogram are written.
#[derive(Clone)]
pub(crate) enum BucketsSpec {
    /// `buckets = [0.1, 1.0]`
    List(Vec<(f64, Span)>),
    /// `buckets = exponential(start, factor, count)` or `linear(start, width, count)`
    Generated { kind: String, start: (f64, Span), step: (f64, Span), count: (u64, Span) },
}

fn buckets(input: syn::parse::ParseStream<'_>) -> syn::Result<BucketsSpec> {
    if input.peek(syn::token::Bracket) {
        return Ok(BucketsSpec::List(number_list(input)?));
    }
    let ident: syn::Ident = input.parse()?;
    let kind = ident.to_string();
    if kind != "exponential" && kind != "linear" {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "unknown bucket generator `{kind}`: expected a list `[0.1, 1.0]`, `exponential(start, factor, count)` or `linear(start, width, count)`"
            ),
        ));
    }
    let args;
    let paren = syn::parenthesized!(args in input);
    let args = syn::punctuated::Punctuated::<GeneratorArg, Token![,]>::parse_terminated(&args)?;
    let what = if kind == "exponential" { "(start, factor, count)" } else { "(start, width, count)" };
    let [start, step, count] = <[GeneratorArg; 3]>::try_from(args.into_iter().collect::<Vec<_>>()).map_err(|v| {
        syn::Error::new(
            paren.span.join(),
            format!("`{kind}` takes three arguments {what}, not {}, as in `{kind}{}`", v.len(), example(&kind)),
        )
    })?;
    let count = match count.int {
        Some(n) => (n, count.span),
        None => {
            return Err(syn::Error::new(
                count.span,
                format!("the count of `{kind}` is an integer literal, as in `{kind}{}`", example(&kind)),
            ));
        }
    };
    Ok(BucketsSpec::Generated { kind, start: (start.value, start.span), step: (step.value, step.span), count })
}

fn example(kind: &str) -> &'static str {
    if kind == "exponential" { "(0.001, 2.0, 15)" } else { "(0.1, 0.1, 10)" }
}

/// One argument of a bucket generator: a number, and whether it is an integer literal.
struct GeneratorArg {
    value: f64,
    int: Option<u64>,
    span: Span,
}

impl syn::parse::Parse for GeneratorArg {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let int = match input.fork().parse::<LitInt>() {
            Ok(i) => i.base10_parse::<u64>().ok(),
            Err(_) => None,
        };
        let (value, span) = number(input)?;
        Ok(GeneratorArg { value, int, span })
    }
}

/// `native` or `native(schema = N, max_buckets = N, zero_threshold = F)` on a histogram: each
/// key optional, a missing one taking client_golang's usual value.
#[derive(Clone, Default)]
pub(crate) struct NativeSpec {
    pub(crate) schema: Option<(f64, Span)>,
    pub(crate) max_buckets: Option<(f64, Span)>,
    pub(crate) zero_threshold: Option<(f64, Span)>,
}

/// The keys of `native(...)`.
const NATIVE_KEYS: &[&str] = &["schema", "max_buckets", "zero_threshold"];

fn native(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<NativeSpec> {
    let mut spec = NativeSpec::default();
    if meta.input.peek(Token![=]) {
        cx.error_at(
            meta.path.span(),
            "`native` takes no value: write `native` or `native(schema = 3, max_buckets = 160, zero_threshold = 1e-10)`",
        );
        skip_value(meta)?;
        return Ok(spec);
    }
    if !meta.input.peek(syn::token::Paren) {
        return Ok(spec);
    }
    meta.parse_nested_meta(|inner| {
        let key = path_str(&inner.path);
        let slot = match key.as_str() {
            "schema" => &mut spec.schema,
            "max_buckets" => &mut spec.max_buckets,
            "zero_threshold" => &mut spec.zero_threshold,
            _ => {
                cx.error_at(
                    inner.path.span(),
                    format!("unknown `native` setting `{key}`: expected one of {}", list(NATIVE_KEYS)),
                );
                skip_value(&inner)?;
                return Ok(());
            }
        };
        let value = number(inner.value()?)?;
        if slot.is_some() {
            cx.error_at(inner.path.span(), format!("duplicate `native` setting `{key}`"));
        }
        *slot = Some(value);
        Ok(())
    })?;
    Ok(spec)
}

/// `#[metrics(...)]` on a struct (`prefix`, `crate`) or on a label type (`crate` only).
#[derive(Default)]
pub(crate) struct ContainerAttrs {
    pub(crate) prefix: Option<Spanned<String>>,
    pub(crate) krate: Option<syn::Path>,
}

pub(crate) fn container(cx: &Ctxt, attrs: &[syn::Attribute], place: Place) -> ContainerAttrs {
    let mut prefix = Slot::new(cx, "metrics", "prefix");
    let mut krate = Slot::new(cx, "metrics", "crate");
    let expected = if place == Place::MetricsStruct { "one of `prefix`, `crate`" } else { "`crate`" };
    for attr in attrs.iter().filter(|a| a.path().is_ident("metrics") && place.accepts("metrics")) {
        let res = attr.parse_nested_meta(|meta| {
            let key = path_str(&meta.path);
            if key == "prefix" && place == Place::MetricsStruct {
                if let Some(s) = lit_str(cx, &meta, "metrics", "prefix", "app")? {
                    prefix.set(s.span(), s.value());
                }
            } else if key == "crate" {
                if let Some(s) = lit_str(cx, &meta, "metrics", "crate", "my_crate::metrics_core")? {
                    match s.parse::<syn::Path>() {
                        Ok(p) => krate.set(s.span(), p),
                        Err(_) => cx.error_spanned_by(
                            &s,
                            format!("`crate = \"{}\"` is not a path: write it as in `crate = \"my_crate::metrics_core\"`", s.value()),
                        ),
                    }
                }
            } else if key == "prefix" {
                cx.error_spanned_by(
                    &meta.path,
                    "`prefix` applies to `#[derive(Metrics)]` structs: a label type takes only `#[metrics(crate = \"...\")]`",
                );
                skip_value(&meta)?;
            } else if place != Place::MetricsStruct && ["rename", "rename_all", "skip"].contains(&key.as_str()) {
                cx.error_spanned_by(
                    &meta.path,
                    format!("`{key}` is a label attribute: put it in `#[label(...)]`, not in `#[metrics(...)]`"),
                );
                skip_value(&meta)?;
            } else if place != Place::MetricsStruct && key == "label" {
                cx.error_spanned_by(
                    &meta.path,
                    "`#[metrics(label = \"...\")]` names a one-label newtype in vise: here a `#[derive(LabelSet)]` struct has one named field per label, named after the field or `#[label(rename = \"...\")]`",
                );
                skip_value(&meta)?;
            } else if place == Place::MetricsStruct && FIELD_KEYS.contains(&key.as_str()) {
                cx.error_spanned_by(
                    &meta.path,
                    format!("`{key}` is a field attribute: put it in `#[metric(...)]` on the field, not in `#[metrics(...)]` on the struct"),
                );
                skip_value(&meta)?;
            } else {
                cx.error_spanned_by(&meta.path, format!("unknown `metrics` attribute `{key}`: expected {}", expected));
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.syn_error(e);
        }
    }
    ContainerAttrs { prefix: prefix.get(), krate: krate.get().map(|s| s.value) }
}

/// `#[metric(...)]` on a field.
#[derive(Default)]
pub(crate) struct FieldAttrs {
    pub(crate) name: Option<Spanned<String>>,
    pub(crate) help: Option<Spanned<String>>,
    pub(crate) unit: Option<Spanned<String>>,
    pub(crate) buckets: Option<Spanned<BucketsSpec>>,
    pub(crate) native: Option<Spanned<NativeSpec>>,
    pub(crate) quantiles: Option<Spanned<Vec<(f64, Span)>>>,
    pub(crate) max_age: Option<Spanned<u64>>,
    pub(crate) limit: Option<Spanned<u64>>,
    pub(crate) flatten: Option<Spanned<()>>,
    pub(crate) skip: Option<Spanned<()>>,
    pub(crate) legacy_name: Option<Spanned<()>>,
}

/// The keys of `#[metric(...)]`.
pub(crate) const FIELD_KEYS: &[&str] =
    &["name", "help", "unit", "buckets", "native", "quantiles", "max_age", "limit", "legacy_name", "flatten", "skip"];

/// The keys of `#[metrics(...)]` on a `Metrics` struct.
const CONTAINER_KEYS: &[&str] = &["prefix", "crate"];

/// `a`, `b` as a message lists them: "`a`, `b`".
fn list(keys: &[&str]) -> String {
    keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
}

/// Parses `max_age`: seconds as an integer, or a string such as `"30s"`, `"10m"`, `"1h"`.
fn max_age(cx: &Ctxt, meta: &ParseNestedMeta<'_>) -> syn::Result<Option<(u64, Span)>> {
    let v = meta.value()?;
    let lit: syn::Lit = v.parse()?;
    let bad = "`max_age` expects seconds or a duration string, as in `max_age = 600` or `max_age = \"10m\"`";
    match &lit {
        syn::Lit::Int(i) => Ok(i.base10_parse::<u64>().ok().map(|n| (n, i.span()))),
        syn::Lit::Str(s) => {
            let text = s.value();
            let (num, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
            let mult = match unit {
                "" | "s" => Some(1),
                "m" => Some(60),
                "h" => Some(3600),
                _ => None,
            };
            match (num.parse::<u64>().ok(), mult) {
                (Some(n), Some(m)) => Ok(Some((n * m, s.span()))),
                _ => {
                    cx.error_spanned_by(s, bad);
                    Ok(None)
                }
            }
        }
        other => {
            cx.error_spanned_by(other, bad);
            Ok(None)
        }
    }
}

pub(crate) fn field(cx: &Ctxt, attrs: &[syn::Attribute]) -> FieldAttrs {
    let mut name = Slot::new(cx, "metric", "name");
    let mut help = Slot::new(cx, "metric", "help");
    let mut unit = Slot::new(cx, "metric", "unit");
    let mut bk = Slot::new(cx, "metric", "buckets");
    let mut nat = Slot::new(cx, "metric", "native");
    let mut quantiles = Slot::new(cx, "metric", "quantiles");
    let mut age = Slot::new(cx, "metric", "max_age");
    let mut limit = Slot::new(cx, "metric", "limit");
    let mut flatten = Slot::new(cx, "metric", "flatten");
    let mut skip = Slot::new(cx, "metric", "skip");
    let mut legacy = Slot::new(cx, "metric", "legacy_name");
    for attr in attrs.iter().filter(|a| a.path().is_ident("metric")) {
        let res = attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let key = path_str(&meta.path);
            match key.as_str() {
                "name" | "help" | "unit" => {
                    let example = match key.as_str() {
                        "name" => "requests",
                        "help" => "Requests served.",
                        _ => "seconds",
                    };
                    if let Some(s) = lit_str(cx, &meta, "metric", &key, example)? {
                        let slot = match key.as_str() {
                            "name" => &mut name,
                            "help" => &mut help,
                            _ => &mut unit,
                        };
                        slot.set(s.span(), s.value());
                    }
                }
                "buckets" => match buckets(meta.value()?) {
                    Ok(b) => bk.set(span, b),
                    Err(e) => {
                        cx.syn_error(e);
                        skip_value(&meta)?;
                    }
                },
                "native" => match native(cx, &meta) {
                    Ok(n) => nat.set(span, n),
                    Err(e) => cx.syn_error(e),
                },
                "quantiles" => match number_list(meta.value()?) {
                    Ok(q) => quantiles.set(span, q),
                    Err(e) => {
                        cx.syn_error(e);
                        skip_value(&meta)?;
                    }
                },
                "max_age" => {
                    if let Some((n, s)) = max_age(cx, &meta)? {
                        age.set(s, n);
                    }
                }
                "limit" => {
                    if let Some((n, s)) = lit_int(cx, &meta, "limit", "1000")? {
                        limit.set(s, n);
                    }
                }
                "flatten" | "skip" | "legacy_name" => {
                    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
                        cx.error_at(span, format!("`{key}` takes no value: write `#[metric({key})]`"));
                        skip_value(&meta)?;
                    }
                    let slot = match key.as_str() {
                        "flatten" => &mut flatten,
                        "skip" => &mut skip,
                        _ => &mut legacy,
                    };
                    slot.set(span, ());
                }
                _ if CONTAINER_KEYS.contains(&key.as_str()) => {
                    cx.error_at(
                        span,
                        format!("`{key}` is a struct attribute: put it in `#[metrics(...)]` on the struct, not in `#[metric(...)]` on a field"),
                    );
                    skip_value(&meta)?;
                }
                _ => {
                    cx.error_at(span, format!("unknown `metric` attribute `{key}`: expected one of {}", list(FIELD_KEYS)));
                    skip_value(&meta)?;
                }
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.syn_error(e);
        }
    }
    FieldAttrs {
        name: name.get(),
        help: help.get(),
        unit: unit.get(),
        buckets: bk.get(),
        native: nat.get(),
        quantiles: quantiles.get(),
        max_age: age.get(),
        limit: limit.get(),
        flatten: flatten.get(),
        skip: skip.get(),
        legacy_name: legacy.get(),
    }
}

/// `#[label(...)]` on a label field, an enum or an enum variant.
#[derive(Default)]
pub(crate) struct LabelAttrs {
    pub(crate) rename: Option<Spanned<String>>,
    pub(crate) rename_all: Option<Spanned<String>>,
    pub(crate) skip: Option<Spanned<()>>,
}

/// Where an attribute stands, which decides the attributes and keys it accepts.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Place {
    /// A struct deriving `Metrics`: `#[metrics(prefix, crate)]`.
    MetricsStruct,
    /// A field of a `Metrics` struct: `#[metric(...)]`.
    MetricsField,
    /// A struct deriving `LabelSet`: `#[metrics(crate)]`.
    LabelStruct,
    /// A field of a `LabelSet` struct: `#[label(rename, skip)]`.
    LabelField,
    /// An enum deriving `LabelValue`: `#[label(rename_all)]`, `#[metrics(crate)]`.
    LabelEnum,
    /// A variant of a `LabelValue` enum: `#[label(rename)]`.
    LabelVariant,
}

/// The attributes the derives read; any of them elsewhere than [`Place::accepts`] says is an
/// error rather than ignored.
const ATTRIBUTES: &[&str] = &["metrics", "metric", "label"];

impl Place {
    /// Whether `#[attr(...)]` belongs here.
    pub(crate) fn accepts(self, attr: &str) -> bool {
        matches!(
            (self, attr),
            (Place::MetricsStruct | Place::LabelStruct | Place::LabelEnum, "metrics")
                | (Place::MetricsField, "metric")
                | (Place::LabelField | Place::LabelEnum | Place::LabelVariant, "label")
        )
    }

    /// The keys of `#[label(...)]` here.
    fn label_keys(self) -> &'static [&'static str] {
        match self {
            Place::LabelField => &["rename", "skip"],
            Place::LabelEnum => &["rename_all"],
            Place::LabelVariant => &["rename"],
            _ => &[],
        }
    }

    /// What this place is, and what it takes, for messages.
    fn takes(self) -> &'static str {
        match self {
            Place::MetricsStruct => {
                "a `#[derive(Metrics)]` struct takes `#[metrics(prefix = \"...\", crate = \"...\")]`"
            }
            Place::MetricsField => "a field of a `#[derive(Metrics)]` struct takes `#[metric(...)]`",
            Place::LabelStruct => {
                "a `#[derive(LabelSet)]` struct takes only `#[metrics(crate = \"...\")]`, and its fields `#[label(...)]`"
            }
            Place::LabelField => {
                "a field of a `#[derive(LabelSet)]` struct takes `#[label(rename = \"...\")]` or `#[label(skip)]`"
            }
            Place::LabelEnum => {
                "a `#[derive(LabelValue)]` enum takes `#[label(rename_all = \"...\")]` and `#[metrics(crate = \"...\")]`"
            }
            Place::LabelVariant => "a variant of a `#[derive(LabelValue)]` enum takes `#[label(rename = \"...\")]`",
        }
    }
}

/// Reports every `#[metrics]`, `#[metric]` or `#[label]` attribute that does not belong at
/// `place`, at its name, saying which spelling belongs there: an attribute in the wrong place
/// would otherwise be ignored and the metric silently lose its unit or buckets.
pub(crate) fn misplaced(cx: &Ctxt, attrs: &[syn::Attribute], place: Place) {
    for attr in attrs {
        let Some(name) = ATTRIBUTES.iter().find(|n| attr.path().is_ident(n)) else { continue };
        if place.accepts(name) {
            continue;
        }
        let msg = match (place, *name) {
            (Place::MetricsField, "metrics") => {
                "`#[metrics(...)]` goes on the struct: a field's attributes are spelled `#[metric(...)]` (singular), as in `#[metric(unit = \"seconds\", buckets = [0.1, 1.0])]`".to_owned()
            }
            (Place::MetricsStruct, "metric") => {
                "`#[metric(...)]` goes on fields: the struct's attributes are spelled `#[metrics(...)]` (plural), as in `#[metrics(prefix = \"app\")]`".to_owned()
            }
            _ => format!("`#[{name}(...)]` does not belong here: {}", place.takes()),
        };
        cx.error_spanned_by(attr.path(), msg);
    }
}

pub(crate) fn label(cx: &Ctxt, attrs: &[syn::Attribute], place: Place) -> LabelAttrs {
    let allowed = place.label_keys();
    let mut rename = Slot::new(cx, "label", "rename");
    let mut rename_all = Slot::new(cx, "label", "rename_all");
    let mut skip = Slot::new(cx, "label", "skip");
    for attr in attrs.iter().filter(|a| a.path().is_ident("label") && place.accepts("label")) {
        let res = attr.parse_nested_meta(|meta| {
            let key = path_str(&meta.path);
            if !allowed.contains(&key.as_str()) {
                let belongs = match key.as_str() {
                    "rename" if place == Place::LabelEnum => {
                        "`rename` names one variant: put it on the variant; the enum takes `rename_all`".to_owned()
                    }
                    "rename_all" => {
                        format!("`rename_all` goes on a `#[derive(LabelValue)]` enum, not here: {}", place.takes())
                    }
                    "skip" => format!(
                        "`skip` applies to fields of a `#[derive(LabelSet)]` struct, not here: {}",
                        place.takes()
                    ),
                    _ => format!("unknown `label` attribute `{key}` here: expected {}", list(allowed)),
                };
                cx.error_spanned_by(&meta.path, belongs);
                return skip_value(&meta);
            }
            match key.as_str() {
                "rename" => {
                    if let Some(s) = lit_str(cx, &meta, "label", "rename", "status")? {
                        rename.set(s.span(), s.value());
                    }
                }
                "rename_all" => {
                    if let Some(s) = lit_str(cx, &meta, "label", "rename_all", "snake_case")? {
                        rename_all.set(s.span(), s.value());
                    }
                }
                _ => skip.set(meta.path.span(), ()),
            }
            Ok(())
        });
        if let Err(e) = res {
            cx.syn_error(e);
        }
    }
    LabelAttrs { rename: rename.get(), rename_all: rename_all.get(), skip: skip.get() }
}

/// The doc comment of an item, lines trimmed and joined with spaces (the help text).
pub(crate) fn doc(attrs: &[syn::Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) = &nv.value
        {
            let line = s.value();
            let line = line.trim();
            if !line.is_empty() {
                lines.push(line.to_owned());
            }
        }
    }
    if lines.is_empty() { None } else { Some(lines.join(" ")) }
}

pub(crate) fn path_str(p: &syn::Path) -> String {
    p.segments.iter().map(|s| s.ident.to_string()).collect::<Vec<_>>().join("::")
}
