//! What to emit when the attribute or the function has errors: the errors, and
//! the user's function as a plain (non-test) fn so that the IDE keeps working
//! inside the body and the user sees our errors, not a cascade of others.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Attribute, ItemFn};

use crate::validate::is_test_attribute;

/// Collects spanned errors so that one run reports all of them.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds an error.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// The value of `result`, or `None` after recording its error.
    pub(crate) fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// `Err` with every error pushed, or `Ok` when there was none.
    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// The user's function, no longer a test, followed by `errors`.
///
/// Test-only attributes (`#[test]`-like ones, `#[ignore]`, `#[should_panic]`)
/// are dropped: on a plain fn they would only add errors or warnings.
pub(crate) fn function(mut item: ItemFn, errors: syn::Error) -> TokenStream {
    item.attrs.retain(|attr| !is_test_only(attr));
    let errors = errors.into_compile_error();
    quote! {
        #[allow(dead_code)]
        #item
        #errors
    }
}

/// The item unchanged, followed by an error saying where the attribute goes;
/// for an item that is not a function.
pub(crate) fn not_a_function(item: TokenStream) -> TokenStream {
    let error = syn::Error::new(
        Span::call_site(),
        "#[python_container_test] goes on a function: `fn name(py: &PythonContainer) { ... }`",
    )
    .into_compile_error();
    quote! {
        #item
        #error
    }
}

/// Whether `attr` only means something on a `#[test]` fn.
pub(crate) fn is_test_only(attr: &Attribute) -> bool {
    is_test_attribute(attr)
        || attr.path().is_ident("ignore")
        || attr.path().is_ident("should_panic")
}
