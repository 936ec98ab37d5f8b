//! The `#[python_container_test]` attribute of `python-container-test`.
//!
//! Use it through the `python_container_test` crate, which re-exports it; the
//! generated code calls that crate's `__private` module.
//!
//! The pipeline reads from the file names:
//! - `attr.rs`: the attribute's arguments → `attr::Args`;
//! - `validate.rs`: the annotated function → `validate::TestFn`, or spanned errors;
//! - `expand.rs`: the `#[test]` function that hands the body to the runtime;
//! - `matrix.rs`: `image = [...]` / `fixture = [...]`, a module of such tests, one per entry;
//! - `fallback.rs`: what to emit instead when there are errors.

mod attr;
mod expand;
mod fallback;
mod matrix;
mod validate;

use proc_macro::TokenStream;

#[doc = include_str!("python_container_test.md")]
#[proc_macro_attribute]
pub fn python_container_test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::python_container_test(args.into(), item.into()).into()
}
