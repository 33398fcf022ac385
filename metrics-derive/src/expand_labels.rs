//! Expands `#[derive(LabelSet)]` and `#[derive(LabelValue)]`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{LabelEnum, LabelStruct};

pub(crate) fn expand_label_set(s: &LabelStruct<'_>, krate: &TokenStream) -> TokenStream {
    let m = quote!(#krate::__private);
    let ident = s.ident;
    let labels: Vec<_> = s.fields.iter().filter(|f| f.attrs.skip.is_none()).collect();
    let skipped: Vec<_> = s.fields.iter().filter(|f| f.attrs.skip.is_some()).map(|f| f.ident).collect();
    let names: Vec<String> = labels.iter().map(|f| f.name()).collect();
    let helps: Vec<String> = labels.iter().map(|f| f.doc.clone().unwrap_or_default()).collect();
    let idents: Vec<_> = labels.iter().map(|f| f.ident).collect();
    // Each field's type, spanned at the field so that a type that is not a label value is
    // reported there.
    let tys: Vec<TokenStream> = labels
        .iter()
        .map(|f| {
            let ty = f.ty;
            quote_spanned!(ty.span()=> <#ty as #m::LabelValue>)
        })
        .collect();
    let label_calls: Vec<TokenStream> = tys
        .iter()
        .zip(&names)
        .zip(&idents)
        .map(|((t, name), id)| quote!(#t::write_label(&self.#id, #name, writer);))
        .collect();
    let card: Vec<TokenStream> =
        tys.iter().map(|t| quote!(match #t::VALUES { #m::Some(v) => v.len(), #m::None => 1 })).collect();
    let rev_idents: Vec<_> = idents.iter().rev().collect();
    let rev_tys: Vec<_> = tys.iter().rev().collect();
    let rev_card: Vec<_> = card.iter().rev().collect();
    quote! {
        #[automatically_derived]
        #[allow(clippy::all, unused_variables, unused_mut)]
        impl #m::LabelSet for #ident {
            const LABELS: &'static [#m::LabelDescriptor] = &[
                #(#m::LabelDescriptor { name: #names, values: #m::values_or_empty(#tys::VALUES), help: #helps }),*
            ];
            const CARDINALITY: #m::Option<#m::usize> = #m::cardinality_product(&[#(#tys::VALUES),*]);

            #[inline]
            fn dense_index(&self) -> #m::usize {
                let mut index = 0usize;
                #( index = index * (#card) + #tys::value_index(&self.#idents); )*
                index
            }

            fn from_dense_index(index: #m::usize) -> #m::Option<Self> {
                if <Self as #m::LabelSet>::CARDINALITY.is_none() {
                    return #m::None;
                }
                let mut rest = index;
                #(
                    let #rev_idents = match #rev_tys::from_value_index(rest % (#rev_card)) {
                        #m::Some(v) => v,
                        #m::None => return #m::None,
                    };
                    rest /= #rev_card;
                )*
                #m::Some(Self { #(#idents,)* #(#skipped: ::core::default::Default::default(),)* })
            }

            fn encode_dense<__W: #m::LabelWriter>(index: #m::usize, writer: &mut __W) {
                let mut rest = index;
                let mut at: [#m::usize; { [#(#names),*].len() }] = [0usize; { [#(#names),*].len() }];
                let mut i = at.len();
                #(
                    i -= 1;
                    at[i] = rest % (#rev_card);
                    rest /= #rev_card;
                )*
                let mut i = 0usize;
                #(
                    if let #m::Some(values) = #tys::VALUES {
                        if let #m::Some(v) = values.get(at[i]) {
                            writer.label(#names, v);
                        }
                    }
                    i += 1;
                )*
            }

            #[inline]
            fn encode<__W: #m::LabelWriter>(&self, writer: &mut __W) {
                #( #label_calls )*
            }

            #[inline]
            fn labels_eq(&self, other: &Self) -> #m::bool {
                true #( && #tys::value_eq(&self.#idents, &other.#idents) )*
            }

            #[inline]
            fn labels_hash<__H: #m::Hasher>(&self, state: &mut __H) {
                #( #tys::value_hash(&self.#idents, state); )*
            }

            fn labels_clone(&self) -> Self {
                Self {
                    #( #idents: #tys::value_clone(&self.#idents), )*
                    #( #skipped: ::core::default::Default::default(), )*
                }
            }
        }
    }
}

pub(crate) fn expand_label_value(e: &LabelEnum<'_>, krate: &TokenStream) -> TokenStream {
    let m = quote!(#krate::__private);
    let ident = e.ident;
    let variants: Vec<_> = e.variants.iter().map(|(v, _, _)| *v).collect();
    let values: Vec<_> = e.variants.iter().map(|(_, s, _)| s.as_str()).collect();
    let indices: Vec<_> = (0..variants.len()).collect();
    quote! {
        #[automatically_derived]
        #[allow(clippy::all)]
        impl #m::LabelValue for #ident {
            const VALUES: #m::Option<&'static [&'static #m::str]> = #m::Some(&[#(#values),*]);

            #[inline]
            fn value_index(&self) -> #m::usize {
                match self { #(Self::#variants => #indices,)* }
            }

            fn from_value_index(index: #m::usize) -> #m::Option<Self> {
                match index {
                    #(#indices => #m::Some(Self::#variants),)*
                    _ => #m::None,
                }
            }

            #[inline]
            fn write_value<__S: #m::ValueSink + ?Sized>(&self, sink: &mut __S) {
                sink.write_str(match self { #(Self::#variants => #values,)* })
            }

            #[inline]
            fn value_eq(&self, other: &Self) -> #m::bool {
                #m::LabelValue::value_index(self) == #m::LabelValue::value_index(other)
            }

            #[inline]
            fn value_hash<__H: #m::Hasher>(&self, state: &mut __H) {
                state.write_usize(#m::LabelValue::value_index(self))
            }

            fn value_clone(&self) -> Self {
                match self { #(Self::#variants => Self::#variants,)* }
            }
        }
    }
}
