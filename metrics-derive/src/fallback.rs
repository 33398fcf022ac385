//! What a failed derive emits beside its errors: an impl with the right shape and no content,
//! so that uses of the type elsewhere do not add a screen of follow-on errors to the real one.

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn metrics(krate: &TokenStream, ident: &syn::Ident) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl #krate::__private::Metrics for #ident {
            const INFO: &'static #krate::__private::MetricsInfo =
                &#krate::__private::MetricsInfo { type_name: "", items: &[] };
            fn encode<__E: #krate::__private::Encoder>(&self, _: &mut __E) {}
        }
        #[automatically_derived]
        impl ::core::default::Default for #ident {
            fn default() -> Self {
                ::core::unimplemented!()
            }
        }
    }
}

pub(crate) fn label_set(krate: &TokenStream, ident: &syn::Ident) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl #krate::__private::LabelSet for #ident {
            const LABELS: &'static [#krate::__private::LabelDescriptor] = &[];
            const CARDINALITY: ::core::option::Option<#krate::__private::usize> = ::core::option::Option::None;
            fn dense_index(&self) -> #krate::__private::usize { 0 }
            fn from_dense_index(_: #krate::__private::usize) -> ::core::option::Option<Self> { ::core::option::Option::None }
            fn encode_dense<__W: #krate::__private::LabelWriter>(_: #krate::__private::usize, _: &mut __W) {}
            fn encode<__W: #krate::__private::LabelWriter>(&self, _: &mut __W) {}
            fn labels_eq(&self, _: &Self) -> #krate::__private::bool { true }
            fn labels_hash<__H: #krate::__private::Hasher>(&self, _: &mut __H) {}
            fn labels_clone(&self) -> Self { ::core::unimplemented!() }
        }
    }
}

pub(crate) fn label_value(krate: &TokenStream, ident: &syn::Ident) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl #krate::__private::LabelValue for #ident {
            fn write_value<__S: #krate::__private::ValueSink + ?Sized>(&self, _: &mut __S) {}
            fn value_eq(&self, _: &Self) -> #krate::__private::bool { true }
            fn value_hash<__H: #krate::__private::Hasher>(&self, _: &mut __H) {}
            fn value_clone(&self) -> Self { ::core::unimplemented!() }
        }
    }
}
