//! The generated code: a `#[test]` fn without parameters that hands the user's
//! function, renamed and nested inside it, to `__private::run_test`.
//!
//! ```text
//! #[::core::prelude::v1::test]
//! #[ignore]                          // the user's other attributes
//! fn my_test() -> R {
//!     fn __pct_inner(py: &PythonContainer) -> R { body }
//!     ::python_container_test::__private::run_test(
//!         SPEC,
//!         ::core::concat!(::core::module_path!(), "::", ::core::stringify!(my_test)),
//!         |__pct_handle| {
//!             let __pct_async = __pct_handle.to_async();
//!             __pct_inner(FromHandle::from_handle(__pct_handle, &__pct_async))
//!         },
//!     )
//! }
//! ```
//!
//! A list (`image = [...]`, `fixture = [...]`) makes one such test per entry
//! (`test_fn`), calling the user's fn beside them instead: see `matrix.rs`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, ItemFn, ReturnType, Visibility};

use crate::attr::{Args, Flavor, Gpu, Source};
use crate::validate::{self, TestFn};
use crate::{fallback, matrix};

/// The whole attribute: parse → validate → expand, or the fallback on errors.
pub(crate) fn python_container_test(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_fn: ItemFn = match syn::parse2(item.clone()) {
        Ok(item_fn) => item_fn,
        Err(_) => return fallback::not_a_function(item),
    };
    match (Args::parse(args), validate::check(&item_fn)) {
        (Ok(args), Ok(_)) if args.flavor.is_some() && item_fn.sig.asyncness.is_none() => {
            let name = args
                .flavor
                .map(|f| f.name.span())
                .unwrap_or_else(Span::call_site);
            let error = syn::Error::new(
                name,
                "`flavor` chooses the runtime of an `async fn` test: make the test `async fn`, or remove `flavor`",
            );
            fallback::function(item_fn, error)
        }
        (Ok(args), Ok(test)) => match &args.source {
            Source::Matrix(entries) => matrix::expand(&args, entries, &test),
            _ => single(&args, &test),
        },
        (Err(errors), Ok(_)) | (Ok(_), Err(errors)) => fallback::function(item_fn, errors),
        (Err(mut errors), Err(more)) => {
            errors.combine(more);
            fallback::function(item_fn, errors)
        }
    }
}

/// The one test of a single-entry attribute: the user's fn, renamed
/// `__pct_inner`, nested in a `#[test]` fn of its name.
fn single(args: &Args, test: &TestFn) -> TokenStream {
    let mut sig = test.sig.clone();
    sig.ident = Ident::new("__pct_inner", Span::call_site());
    let block = &test.block;
    let output = &test.sig.output;
    let runtime = args.runtime();
    test_fn(
        args,
        test,
        Instance {
            name: test.sig.ident.clone(),
            vis: test.vis.clone(),
            spec: spec(&args.source, args, &runtime, |expr| quote!(#expr)),
            runtime,
            output: quote!(#output),
            extra_attrs: TokenStream::new(),
            items: quote!(#sig #block),
            callee: quote!(__pct_inner),
        },
    )
}

/// What one generated `#[test]` fn is made of besides the user's fn.
pub(crate) struct Instance {
    /// The test's name.
    pub(crate) name: Ident,
    /// The test's visibility.
    pub(crate) vis: Visibility,
    /// The `ContainerSpec` expression.
    pub(crate) spec: TokenStream,
    /// The runtime crate's path, as it reads where the test fn is.
    pub(crate) runtime: TokenStream,
    /// The return type, as it reads where the test fn is.
    pub(crate) output: TokenStream,
    /// Attributes after the user's (a filtered matrix entry's `#[ignore]`).
    pub(crate) extra_attrs: TokenStream,
    /// Items in the test fn before the call (the nested user fn).
    pub(crate) items: TokenStream,
    /// The fn the test calls with the handle.
    pub(crate) callee: TokenStream,
}

/// A `#[test]` fn that runs `instance.callee` with the handle of its spec's
/// container; it keeps all of the user's attributes.
pub(crate) fn test_fn(args: &Args, test: &TestFn, instance: Instance) -> TokenStream {
    let Instance {
        name,
        vis,
        spec,
        runtime,
        output,
        extra_attrs,
        items,
        callee,
    } = instance;
    let attrs = &test.attrs;
    let private = quote!(#runtime::__private);
    let handle_var = Ident::new("__pct_handle", Span::call_site());
    let async_var = Ident::new("__pct_async", Span::call_site());
    // Every token of the path spanned at the parameter's type, so that a type
    // that is not a handle is reported there.
    let from_handle = quote_spanned! {test.handle.ty.span()=>
        #private::FromHandle::from_handle(#handle_var, &#async_var)
    };
    let run_async = match args.flavor.as_ref().map(|f| f.value) {
        Some(Flavor::MultiThread) => quote!(run_async_multi_thread),
        Some(Flavor::CurrentThread) | None => quote!(run_async),
    };
    let call = match test.sig.asyncness {
        Some(_) => quote!(#private::#run_async(#callee(#from_handle))),
        None => quote!(#callee(#from_handle)),
    };
    // The whole call spanned at the return type, so that a type that is not a
    // test outcome is reported there.
    let outcome_span = match &test.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => Span::call_site(),
    };
    let run_test = quote_spanned! {outcome_span=>
        #private::run_test(
            #spec,
            ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
            |#handle_var| {
                let #async_var = #handle_var.to_async();
                #call
            },
        )
    };

    quote! {
        #[::core::prelude::v1::test]
        #(#attrs)*
        #extra_attrs
        #vis fn #name() #output {
            #items
            #run_test
        }
    }
}

/// The `ContainerSpec` expression of `source` (not a matrix) with the
/// arguments' options; `runtime` is the runtime crate's path and `resolve`
/// writes a path of the user's so that it resolves in the generated fn.
pub(crate) fn spec(
    source: &Source,
    args: &Args,
    runtime: &TokenStream,
    resolve: fn(&Expr) -> TokenStream,
) -> TokenStream {
    let private = quote!(#runtime::__private);
    let mut spec = match source {
        Source::Image(image) => {
            let resolved = resolve(image);
            quote_spanned! {image.span()=> #private::ContainerSpec::image(#resolved)}
        }
        Source::Dockerfile(path) => quote_spanned! {path.span()=>
            #private::ContainerSpec::dockerfile(
                ::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", #path)
            )
        },
        Source::Fixture(spec_fn) => {
            let resolved = resolve(spec_fn);
            quote_spanned!(spec_fn.span()=> #resolved())
        }
        Source::Matrix(_) => unreachable!("a matrix is expanded entry by entry"),
    };
    if let Some(gpu) = &args.gpu {
        let mode = match gpu.value {
            Gpu::Required => quote!(Required),
            Gpu::None => quote!(None),
            Gpu::Auto => quote!(Auto),
        };
        spec = quote_spanned!(gpu.name.span()=> #spec.gpu(#private::GpuMode::#mode));
    }
    if let Some(shared) = &args.shared {
        let value = &shared.value;
        spec = quote_spanned!(shared.name.span()=> #spec.shared(#value));
    }
    if let Some(preload) = &args.preload {
        let modules = &preload.value;
        // `[]` alone would leave the element type to infer.
        let modules = if modules.is_empty() {
            quote!(::core::iter::empty::<&'static str>())
        } else {
            quote!([#(#modules),*])
        };
        spec = quote_spanned!(preload.name.span()=> #spec.preload(#modules));
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(args: TokenStream, item: TokenStream) -> String {
        python_container_test(args, item).to_string()
    }

    #[test]
    fn expands_a_plain_test() {
        let actual = expand(
            quote!(image = "img"),
            quote! {
                #[ignore]
                pub fn my_test(py: &PythonContainer) -> R { body() }
            },
        );
        let expected = quote! {
            #[::core::prelude::v1::test]
            #[ignore]
            pub fn my_test() -> R {
                fn __pct_inner(py: &PythonContainer) -> R { body() }
                ::python_container_test::__private::run_test(
                    ::python_container_test::__private::ContainerSpec::image("img"),
                    ::core::concat!(::core::module_path!(), "::", ::core::stringify!(my_test)),
                    |__pct_handle| {
                        let __pct_async = __pct_handle.to_async();
                        __pct_inner(::python_container_test::__private::FromHandle::from_handle(__pct_handle, &__pct_async))
                    },
                )
            }
        };
        assert_eq!(actual, expected.to_string());
    }

    #[test]
    fn expands_an_async_test_without_return_type() {
        let actual = expand(
            quote!(fixture = support::spec),
            quote!(
                async fn t(py: PythonContainer) {}
            ),
        );
        let expected = quote! {
            #[::core::prelude::v1::test]
            fn t() {
                async fn __pct_inner(py: PythonContainer) {}
                ::python_container_test::__private::run_test(
                    support::spec(),
                    ::core::concat!(::core::module_path!(), "::", ::core::stringify!(t)),
                    |__pct_handle| {
                        let __pct_async = __pct_handle.to_async();
                        ::python_container_test::__private::run_async(
                            __pct_inner(::python_container_test::__private::FromHandle::from_handle(__pct_handle, &__pct_async))
                        )
                    },
                )
            }
        };
        assert_eq!(actual, expected.to_string());
    }

    #[test]
    fn builds_the_spec() {
        let args = Args::parse(quote!(
            dockerfile = "docker/Dockerfile",
            gpu = "auto",
            shared = false,
            preload = ["numpy", "json"]
        ));
        let Ok(args) = args else { panic!("rejected") };
        let expected = quote! {
            ::python_container_test::__private::ContainerSpec::dockerfile(
                ::core::concat!(::core::env!("CARGO_MANIFEST_DIR"), "/", "docker/Dockerfile")
            )
            .gpu(::python_container_test::__private::GpuMode::Auto)
            .shared(false)
            .preload(["numpy", "json"])
        };
        assert_eq!(
            spec(&args.source, &args, &args.runtime(), |e| quote!(#e)).to_string(),
            expected.to_string()
        );
    }

    #[test]
    fn empty_preload_has_a_type() {
        let Ok(args) = Args::parse(quote!(image = "i", gpu = true, preload = [])) else {
            panic!("rejected")
        };
        let expected = quote! {
            ::python_container_test::__private::ContainerSpec::image("i")
            .gpu(::python_container_test::__private::GpuMode::Required)
            .preload(::core::iter::empty::<&'static str>())
        };
        assert_eq!(
            spec(&args.source, &args, &args.runtime(), |e| quote!(#e)).to_string(),
            expected.to_string()
        );
    }

    #[test]
    fn errors_keep_the_function_but_not_as_a_test() {
        let actual = expand(
            quote!(imgae = "i"),
            quote! {
                #[test]
                #[ignore]
                #[should_panic]
                /// Docs.
                fn t(a: u8, b: u8) {}
            },
        );
        assert!(
            actual.starts_with(
                "# [allow (dead_code)] # [doc = r\" Docs.\"] fn t (a : u8 , b : u8) { }"
            ),
            "{actual}"
        );
        assert_eq!(actual.matches("compile_error").count(), 4, "{actual}");
        assert!(!actual.contains("v1 :: test"));
    }

    #[test]
    fn not_a_function() {
        let actual = expand(
            quote!(image = "i"),
            quote!(
                struct S;
            ),
        );
        assert!(actual.starts_with("struct S ;"), "{actual}");
        assert!(actual.contains("goes on a function"));
    }
}
