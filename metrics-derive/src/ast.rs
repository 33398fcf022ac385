//! A small intermediate form of the derive input, borrowing from syn.

use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::attr::{self, ContainerAttrs, FieldAttrs, LabelAttrs, Place};
use crate::ctxt::Ctxt;
use crate::name::MetricKind;

/// A struct deriving `Metrics`.
pub(crate) struct Container<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) attrs: ContainerAttrs,
    pub(crate) fields: Vec<Field<'a>>,
}

/// One field of a `Metrics` struct.
pub(crate) struct Field<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: FieldAttrs,
    pub(crate) doc: Option<String>,
}

/// A metric type as the derive reads it from the type's written name: its kind, and whether it
/// is a `Family`. Through an alias the derive cannot see the type: then there is none, and the
/// rules that need it are left to `const` checks.
#[derive(Clone, Copy, PartialEq)]
pub(crate) struct Written {
    pub(crate) kind: MetricKind,
    pub(crate) family: bool,
}

impl Written {
    /// Reads `Counter`, `metrics_core::Gauge`, `Family<L, Histogram>`, `Info<L>`, ...
    pub(crate) fn of(ty: &Type) -> Option<Written> {
        let Type::Path(p) = ty else { return None };
        // `Counter` or `metrics_core::Counter`; another path is some other crate's type.
        let first = p.path.segments.first()?;
        if p.qself.is_some() || (p.path.segments.len() > 1 && first.ident != "metrics_core") {
            return None;
        }
        let last = p.path.segments.last()?;
        let kind = match last.ident.to_string().as_str() {
            "Counter" | "FloatCounter" | "CounterFn" => MetricKind::Counter,
            "Gauge" | "FloatGauge" | "GaugeFn" => MetricKind::Gauge,
            "Histogram" => MetricKind::Histogram,
            "Summary" => MetricKind::Summary,
            "Info" => MetricKind::Info,
            "Family" => {
                let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
                let metric = args.args.iter().nth(1)?;
                let syn::GenericArgument::Type(inner) = metric else { return None };
                let inner = Written::of(inner)?;
                return (!inner.family && inner.kind != MetricKind::Info)
                    .then_some(Written { kind: inner.kind, family: true });
            }
            _ => return None,
        };
        Some(Written { kind, family: false })
    }
}

/// What a field is.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Role {
    Metric,
    Flatten,
    Skip,
}

impl Field<'_> {
    pub(crate) fn role(&self) -> Role {
        if self.attrs.skip.is_some() {
            Role::Skip
        } else if self.attrs.flatten.is_some() {
            Role::Flatten
        } else {
            Role::Metric
        }
    }

    /// The name before prefix and unit: `name = ".."` or the field's identifier.
    pub(crate) fn base_name(&self) -> String {
        match &self.attrs.name {
            Some(n) => n.value.clone(),
            None => self.ident.to_string().trim_start_matches("r#").to_owned(),
        }
    }

    /// Where a name error points: at `name = ".."` if given, else at the field.
    pub(crate) fn name_span(&self) -> proc_macro2::Span {
        match &self.attrs.name {
            Some(n) => n.span,
            None => self.ident.span(),
        }
    }

    /// The help text: `help = ".."` or the doc comment.
    pub(crate) fn help(&self) -> Option<String> {
        self.attrs.help.as_ref().map(|h| h.value.clone()).or_else(|| self.doc.clone())
    }
}

impl<'a> Container<'a> {
    /// The named fields of a non-generic struct, or `None` with an error recorded.
    /// `attrs` are the struct's `#[metrics(...)]`, read by the driver.
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput, attrs: ContainerAttrs) -> Option<Self> {
        let fields = named_fields(cx, input, "Metrics")?;
        let fields = fields
            .named
            .iter()
            .filter_map(|f| {
                attr::misplaced(cx, &f.attrs, Place::MetricsField);
                Some(Field {
                    ident: f.ident.as_ref()?,
                    ty: &f.ty,
                    attrs: attr::field(cx, &f.attrs),
                    doc: attr::doc(&f.attrs),
                })
            })
            .collect();
        Some(Container { ident: &input.ident, attrs, fields })
    }
}

/// A struct deriving `LabelSet`.
pub(crate) struct LabelStruct<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) fields: Vec<LabelField<'a>>,
}

/// One field of a `LabelSet` struct.
pub(crate) struct LabelField<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) ty: &'a Type,
    pub(crate) attrs: LabelAttrs,
    /// The doc comment: what the label means, for the catalog.
    pub(crate) doc: Option<String>,
}

impl LabelField<'_> {
    /// The label name: `rename = ".."` or the field's identifier.
    pub(crate) fn name(&self) -> String {
        match &self.attrs.rename {
            Some(r) => r.value.clone(),
            None => self.ident.to_string().trim_start_matches("r#").to_owned(),
        }
    }

    pub(crate) fn name_span(&self) -> proc_macro2::Span {
        match &self.attrs.rename {
            Some(r) => r.span,
            None => self.ident.span(),
        }
    }
}

impl<'a> LabelStruct<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let fields = named_fields(cx, input, "LabelSet")?;
        let fields = fields
            .named
            .iter()
            .filter_map(|f| {
                attr::misplaced(cx, &f.attrs, Place::LabelField);
                Some(LabelField {
                    ident: f.ident.as_ref()?,
                    ty: &f.ty,
                    attrs: attr::label(cx, &f.attrs, Place::LabelField),
                    doc: attr::doc(&f.attrs),
                })
            })
            .collect();
        Some(LabelStruct { ident: &input.ident, fields })
    }
}

/// An enum deriving `LabelValue`.
pub(crate) struct LabelEnum<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) variants: Vec<(&'a Ident, String, proc_macro2::Span)>,
}

impl<'a> LabelEnum<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let data = match &input.data {
            Data::Enum(e) => e,
            Data::Struct(s) => {
                cx.error_spanned_by(s.struct_token, "`#[derive(LabelValue)]` supports enums of unit variants only; a struct of labels derives `LabelSet`");
                return None;
            }
            Data::Union(u) => {
                cx.error_spanned_by(
                    u.union_token,
                    "`#[derive(LabelValue)]` supports enums of unit variants only, not unions",
                );
                return None;
            }
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(&input.generics, "`#[derive(LabelValue)]` does not support generic enums");
            return None;
        }
        if data.variants.is_empty() {
            cx.error_spanned_by(&input.ident, "`#[derive(LabelValue)]` needs at least one variant");
            return None;
        }
        let container = attr::label(cx, &input.attrs, Place::LabelEnum);
        let convention = match &container.rename_all {
            Some(r) if crate::case::apply(&r.value, "X").is_none() => {
                let list = crate::case::CONVENTIONS.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
                cx.error_at(r.span, format!("unknown `rename_all` convention `{}`: expected one of {list}", r.value));
                "snake_case".to_owned()
            }
            Some(r) => r.value.clone(),
            None => "snake_case".to_owned(),
        };
        let mut variants = Vec::new();
        for v in &data.variants {
            if !matches!(v.fields, Fields::Unit) {
                cx.error_spanned_by(
                    &v.fields,
                    format!("variant `{}` has fields: `#[derive(LabelValue)]` supports unit variants only", v.ident),
                );
            }
            attr::misplaced(cx, &v.attrs, Place::LabelVariant);
            let a = attr::label(cx, &v.attrs, Place::LabelVariant);
            let (value, span) = match a.rename {
                Some(r) => (r.value, r.span),
                None => (crate::case::apply(&convention, &v.ident.to_string()).unwrap_or_default(), v.ident.span()),
            };
            variants.push((&v.ident, value, span));
        }
        Some(LabelEnum { ident: &input.ident, variants })
    }
}

fn named_fields<'a>(cx: &Ctxt, input: &'a DeriveInput, derive: &str) -> Option<&'a syn::FieldsNamed> {
    let what = if derive == "Metrics" { "metrics" } else { "labels" };
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => Some(n),
            Fields::Unnamed(u) => {
                cx.error_spanned_by(
                    u,
                    format!("`#[derive({derive})]` supports structs with named fields only: name each of the {what}"),
                );
                None
            }
            Fields::Unit => {
                cx.error_spanned_by(
                    &input.ident,
                    format!("`#[derive({derive})]` supports structs with named fields only, not unit structs"),
                );
                None
            }
        },
        Data::Enum(e) => {
            let hint = if derive == "LabelSet" { "; an enum of label values derives `LabelValue`" } else { "" };
            cx.error_spanned_by(
                e.enum_token,
                format!("`#[derive({derive})]` supports structs with named fields only, not enums{hint}"),
            );
            None
        }
        Data::Union(u) => {
            cx.error_spanned_by(
                u.union_token,
                format!("`#[derive({derive})]` supports structs with named fields only, not unions"),
            );
            None
        }
    };
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, format!("`#[derive({derive})]` does not support generic structs"));
        return None;
    }
    fields
}
