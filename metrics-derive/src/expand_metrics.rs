//! Expands `#[derive(Metrics)]` from checked values: descriptors, the `const` checks of what the
//! derive could not see, `impl Metrics`, `impl Default`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Container, Field, Role};
use crate::check::{Checked, CheckedField};
use crate::name::MetricKind;

fn floats(v: &[f64]) -> TokenStream {
    let lits = v.iter().map(|&x| Literal::f64_suffixed(x));
    quote!(&[#(#lits),*])
}

/// Panics at compile time with `check`'s message, at `span`.
fn const_check(span: Span, check: TokenStream) -> TokenStream {
    quote_spanned! {span=>
        const _: () = {
            let msg = #check;
            if !msg.is_empty() {
                ::core::panic!("{}", msg.as_str());
            }
        };
    }
}

/// `<ty as Collect>`, spanned at the type: every use of a field's type goes through it, so that
/// a type that is not a metric is one error there, not one per use.
fn collect(ty: &syn::Type, m: &TokenStream) -> TokenStream {
    quote_spanned!(ty.span()=> <#ty as #m::Collect>)
}

fn kind_path(m: &TokenStream, kind: MetricKind) -> TokenStream {
    match kind {
        MetricKind::Counter => quote!(#m::MetricKind::Counter),
        MetricKind::Gauge => quote!(#m::MetricKind::Gauge),
        MetricKind::Histogram => quote!(#m::MetricKind::Histogram),
        MetricKind::Summary => quote!(#m::MetricKind::Summary),
        MetricKind::Info => quote!(#m::MetricKind::Info),
    }
}

pub(crate) fn expand(c: &Container<'_>, checked: &Checked, krate: &TokenStream) -> TokenStream {
    let m = quote!(#krate::__private);
    let ident = c.ident;
    let type_name = ident.to_string();
    let mut consts = Vec::new();
    let mut items = Vec::new();
    let mut encode = Vec::new();
    let mut init = Vec::new();
    // Items (positions in `INFO.items`) the derive could not check itself: flattened structs and
    // metrics of types it could not read, each with the span its error points at.
    let mut const_items: Vec<(usize, Span)> = Vec::new();
    let mut kinds = Vec::new();
    for (i, (f, cf)) in c.fields.iter().zip(&checked.fields).enumerate() {
        let fid = f.ident;
        let ty = f.ty;
        match f.role() {
            Role::Skip => init.push(quote!(#fid: ::core::default::Default::default())),
            Role::Flatten => {
                let span = ty.span();
                const_items.push((items.len(), fid.span()));
                items.push(quote_spanned!(span=> #m::MetricsItem::Flatten(<#ty as #m::Metrics>::INFO)));
                encode.push(quote_spanned!(span=> <#ty as #m::Metrics>::encode(&self.#fid, __encoder);));
                init.push(quote!(#fid: ::core::default::Default::default()));
            }
            Role::Metric => {
                let d = format_ident!("__D{}", i);
                consts.push(descriptor(c, f, cf, &d, &m));
                match cf.written {
                    None => const_items.push((items.len(), f.name_span())),
                    Some(w) => {
                        let (kind, family, field) = (kind_path(&m, w.kind), w.family, fid.to_string());
                        let collect = collect(ty, &m);
                        kinds.push(quote!((#field, #kind, #family, #collect::KIND, #collect::IS_FAMILY)));
                    }
                }
                items.push(quote!(#m::MetricsItem::Metric(#d)));
                // Every use of the type is the same qualified path spanned at the type, so that a
                // type that is not a metric is reported once, there.
                let collect = collect(ty, &m);
                encode.push(quote!(#collect::collect(&self.#fid, &#d, __encoder);));
                init.push(quote!(#fid: #collect::from_descriptor(&#d)));
            }
        }
    }
    let kinds =
        if kinds.is_empty() { quote!() } else { const_check(ident.span(), quote!(#m::check_kinds(&[#(#kinds),*]))) };
    let collisions = collision_checks(ident, checked, &const_items, &m);
    quote! {
        #[automatically_derived]
        #[allow(non_upper_case_globals, clippy::all)]
        const _: () = {
            #(#consts)*

            #[automatically_derived]
            impl #m::Metrics for #ident {
                const INFO: &'static #m::MetricsInfo = &#m::MetricsInfo {
                    type_name: #type_name,
                    items: &[#(#items),*],
                };

                fn encode<__E: #m::Encoder>(&self, __encoder: &mut __E) {
                    #(#encode)*
                }
            }

            #kinds
            #collisions

            #[automatically_derived]
            impl ::core::default::Default for #ident {
                fn default() -> Self {
                    Self { #(#init),* }
                }
            }
        };
    }
}

/// The `const` collision checks of the items the derive could not check itself: each item's
/// names are looked up in the sorted names of the other metrics and in a sorted table of the
/// items before it, one check per item, spanned at its field.
fn collision_checks(
    ident: &syn::Ident,
    checked: &Checked,
    const_items: &[(usize, Span)],
    m: &TokenStream,
) -> TokenStream {
    if const_items.is_empty() {
        return quote!();
    }
    let known = checked.known_names.iter().map(|(hash, name, who)| quote!((#hash, #name, #who)));
    let positions = const_items.iter().map(|(p, _)| p);
    let checks = const_items.iter().enumerate().map(|(k, (_, span))| {
        const_check(*span, quote!(#m::check_item_names(<#ident as #m::Metrics>::INFO, __ITEMS, #k, __KNOWN, &__TABLE)))
    });
    quote! {
        const __KNOWN: &[(#m::u64, &'static #m::str, &'static #m::str)] = &[#(#known),*];
        const __ITEMS: &[#m::usize] = &[#(#positions),*];
        const __NAMES: #m::usize = #m::count_names(<#ident as #m::Metrics>::INFO, __ITEMS);
        static __TABLE: [#m::NameEntry; __NAMES] = #m::name_table::<__NAMES>(<#ident as #m::Metrics>::INFO, __ITEMS);
        #(#checks)*
    }
}

/// The `const` descriptor of one metric field and, where the derive could not check them, the
/// `const` check of its type-dependent rules, spanned at the field so that a broken rule points
/// there.
fn descriptor(c: &Container<'_>, f: &Field<'_>, cf: &CheckedField, d: &syn::Ident, m: &TokenStream) -> TokenStream {
    let ty = f.ty;
    let name = &cf.name;
    let unit = f.attrs.unit.as_ref().map(|u| u.value.clone()).unwrap_or_default();
    let help = f.help().unwrap_or_default();
    let buckets = match &cf.buckets {
        Some(b) => floats(b),
        None => quote!(&[]),
    };
    let native = match &cf.native {
        Some((schema, max, zero)) => {
            let zero = Literal::f64_suffixed(*zero);
            quote!(#m::Option::Some(match #m::NativeBuckets::new(#schema, #max, #zero) {
                #m::Result::Ok(n) => n,
                #m::Result::Err(_) => ::core::panic!("invalid native bucket settings"),
            }))
        }
        None => quote!(#m::None),
    };
    let quantiles = match &f.attrs.quantiles {
        Some(q) => floats(&q.value.iter().map(|(v, _)| *v).collect::<Vec<_>>()),
        None => quote!(&[]),
    };
    let max_age = f.attrs.max_age.as_ref().map(|a| a.value).unwrap_or(0);
    let limit = f.attrs.limit.as_ref().map(|l| l.value as usize).unwrap_or(0);
    let legacy = f.attrs.legacy_name.is_some();
    let line = Literal::usize_unsuffixed(f.ident.span().start().line);
    let location = format!("{}.{}", c.ident, f.ident);
    // A type the derive read needs a check only for the labels of a histogram or summary family
    // (`le`, `quantile`); the derive checked the rest.
    let needs_check = match cf.written {
        None => true,
        Some(w) => w.family && matches!(w.kind, MetricKind::Histogram | MetricKind::Summary),
    };
    let check = if needs_check {
        let collect = collect(ty, m);
        const_check(f.ident.span(), quote!(#m::check_metric(&#d, #collect::IS_FAMILY)))
    } else {
        quote!()
    };
    let collect = collect(ty, m);
    quote! {
        const #d: #m::Descriptor = #m::Descriptor {
            name: #name,
            help: #help,
            kind: #collect::KIND,
            unit: #unit,
            labels: #collect::LABELS,
            buckets: #buckets,
            native: #native,
            quantiles: #quantiles,
            max_age_secs: #max_age,
            limit: #limit,
            legacy_name: #legacy,
            location: ::core::concat!(::core::module_path!(), "::", #location, " (", ::core::file!(), ":", #line, ")"),
        };
        #check
    }
}
