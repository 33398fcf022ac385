//! The one driver of the three derives: read the container's `#[metrics(...)]` (the crate path
//! the stub needs too), parse and check into plain values, expand those; on any error, emit the
//! errors next to a stub impl.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::attr::{self, ContainerAttrs, Place};
use crate::ctxt::Ctxt;

/// Runs one derive. `place` is where the input's own attributes stand; `derive` parses and
/// checks with the collector, and expands from the checked values (`None` when parsing could not
/// go on); `stub` is the impl emitted beside errors, so that uses of the type elsewhere do not add
/// follow-on errors to the real ones.
pub(crate) fn run(
    input: &DeriveInput,
    place: Place,
    stub: fn(&TokenStream, &syn::Ident) -> TokenStream,
    derive: impl FnOnce(&Ctxt, ContainerAttrs, &TokenStream) -> Option<TokenStream>,
) -> TokenStream {
    let cx = Ctxt::new();
    attr::misplaced(&cx, &input.attrs, place);
    let attrs = attr::container(&cx, &input.attrs, place);
    let krate = match &attrs.krate {
        Some(p) => quote!(#p),
        None => quote!(::metrics_core),
    };
    let expanded = derive(&cx, attrs, &krate);
    match cx.check() {
        Ok(()) => expanded.unwrap_or_default(),
        Err(e) => {
            let mut out = e.to_compile_error();
            // A generic type would get follow-on errors from a non-generic stub: none then.
            if input.generics.params.is_empty() {
                out.extend(stub(&krate, &input.ident));
            }
            out
        }
    }
}
