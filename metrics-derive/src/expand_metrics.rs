//! Expands `#[derive(Metrics)]`: descriptors, checks, `impl Metrics`, `impl Default`.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::DeriveInput;
use syn::spanned::Spanned;

use crate::ast::{Container, Field, Role};
use crate::ctxt::Ctxt;
use crate::{check, fallback};

pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::new();
    let container = Container::from_syn(&cx, input, "Metrics");
    let krate = krate(container.as_ref().and_then(|c| c.attrs.krate.as_ref()));
    if let Some(c) = &container {
        check::metrics(&cx, c);
    }
    let expanded = container.as_ref().map(|c| expand(&cx, c, &krate));
    match cx.check() {
        Ok(()) => expanded.unwrap_or_default(),
        Err(e) => {
            let mut out = e.to_compile_error();
            // A generic type would get follow-on errors from a non-generic stub: none then.
            if input.generics.params.is_empty() {
                out.extend(fallback::metrics(&krate, &input.ident));
            }
            out
        }
    }
}

pub(crate) fn krate(path: Option<&syn::Path>) -> TokenStream {
    match path {
        Some(p) => quote!(#p),
        None => quote!(::metrics_core),
    }
}

fn floats(v: &[f64]) -> TokenStream {
    let lits = v.iter().map(|&x| Literal::f64_suffixed(x));
    quote!(&[#(#lits),*])
}

fn expand(cx: &Ctxt, c: &Container<'_>, krate: &TokenStream) -> TokenStream {
    let m = quote!(#krate::__private);
    let ident = c.ident;
    let type_name = ident.to_string();
    let mut consts = Vec::new();
    let mut items = Vec::new();
    let mut encode = Vec::new();
    let mut init = Vec::new();
    for (i, f) in c.fields.iter().enumerate() {
        let fid = f.ident;
        let ty = f.ty;
        match f.role() {
            Role::Skip => init.push(quote!(#fid: ::core::default::Default::default())),
            Role::Flatten => {
                let span = ty.span();
                items.push(quote_spanned!(span=> #m::MetricsItem::Flatten(<#ty as #m::Metrics>::INFO)));
                encode.push(quote_spanned!(span=> #m::Metrics::encode(&self.#fid, __encoder);));
                init.push(quote!(#fid: ::core::default::Default::default()));
            }
            Role::Metric => {
                let d = format_ident!("__D{}", i);
                consts.push(descriptor(cx, c, f, &d, &m));
                items.push(quote!(#m::MetricsItem::Metric(#d)));
                // Spanned at the type, so that a type that is not a metric is reported once, there.
                let span = ty.span();
                encode.push(quote_spanned!(span=> #m::Collect::collect(&self.#fid, &#d, __encoder);));
                init.push(quote_spanned!(span=> #fid: <#ty as #m::Collect>::from_descriptor(&#d)));
            }
        }
    }
    let collisions = quote_spanned! {ident.span()=>
        const _: () = {
            let msg = #m::check_collisions(<#ident as #m::Metrics>::INFO);
            if !msg.is_empty() {
                ::core::panic!("{}", msg.as_str());
            }
        };
    };
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

/// The `const` descriptor of one metric field, and the `const` check of its type-dependent
/// rules, spanned at the field so that a broken rule points there.
fn descriptor(cx: &Ctxt, c: &Container<'_>, f: &Field<'_>, d: &syn::Ident, m: &TokenStream) -> TokenStream {
    let ty = f.ty;
    let prefix = c.attrs.prefix.as_ref().map_or("", |p| p.value.as_str());
    let unit = f.attrs.unit.as_ref().map(|u| u.value.clone()).unwrap_or_default();
    let name = crate::name::declared_name(prefix, &f.base_name(), &unit);
    let help = f.help().unwrap_or_default();
    let buckets = match &f.attrs.buckets {
        Some(b) => floats(&check::bucket_values(cx, &b.value, b.span).unwrap_or_default()),
        None => quote!(&[]),
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
    let span: Span = f.ident.span();
    let check = quote_spanned! {span=>
        const _: () = {
            let msg = #m::check_metric(&#d, <#ty as #m::Collect>::IS_FAMILY);
            if !msg.is_empty() {
                ::core::panic!("{}", msg.as_str());
            }
        };
    };
    let kind = quote_spanned!(ty.span()=> <#ty as #m::Collect>::KIND);
    quote! {
        const #d: #m::Descriptor = #m::Descriptor {
            name: #name,
            help: #help,
            kind: #kind,
            unit: #unit,
            labels: <#ty as #m::Collect>::LABELS,
            buckets: #buckets,
            quantiles: #quantiles,
            max_age_secs: #max_age,
            limit: #limit,
            legacy_name: #legacy,
            location: ::core::concat!(::core::module_path!(), "::", #location, " (", ::core::file!(), ":", #line, ")"),
        };
        #check
    }
}
