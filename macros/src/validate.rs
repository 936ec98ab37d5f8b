//! Checks on the annotated function: one handle parameter, no `self`, no type
//! parameters, no second test attribute. Every problem is a spanned error.

use quote::{quote, ToTokens};
use syn::{Attribute, Block, FnArg, GenericParam, ItemFn, PatType, Signature, Visibility};

use crate::fallback::Errors;

/// A function that can become a `#[python_container_test]`.
pub(crate) struct TestFn {
    /// Its attributes, all kept on the generated test.
    pub(crate) attrs: Vec<Attribute>,
    /// Its visibility, kept on the generated test.
    pub(crate) vis: Visibility,
    /// Its signature, which the inner fn keeps (renamed).
    pub(crate) sig: Signature,
    /// Its body.
    pub(crate) block: Box<Block>,
    /// Its one parameter, the container handle.
    pub(crate) handle: PatType,
}

/// Checks `item`, returning what expansion needs or every problem found.
pub(crate) fn check(item: &ItemFn) -> syn::Result<TestFn> {
    let mut errors = Errors::default();
    for attr in item.attrs.iter().filter(|attr| is_test_attribute(attr)) {
        errors.push(second_test_attribute(attr));
    }
    let sig = &item.sig;
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            "a test function cannot be `unsafe`: use an `unsafe { ... }` block in its body",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "a test function cannot have an `extern` ABI",
        ));
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            GenericParam::Type(_) | GenericParam::Const(_) => {
                errors.push(syn::Error::new_spanned(
                    param,
                    "a test function cannot be generic: the test harness has nothing to fill this parameter with",
                ));
            }
        }
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "a test function cannot be variadic",
        ));
    }
    let handle = errors.take(handle(sig));
    errors.finish()?;
    match handle {
        Some(handle) => Ok(TestFn {
            attrs: item.attrs.clone(),
            vis: item.vis.clone(),
            sig: item.sig.clone(),
            block: item.block.clone(),
            handle,
        }),
        None => Err(no_parameter(sig)),
    }
}

/// Whether `attr` makes a fn a test by itself: `#[test]`, `#[tokio::test]`, any
/// attribute whose path ends in `test`.
pub(crate) fn is_test_attribute(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "test")
}

/// The error for a `#[test]`-like attribute next to ours.
fn second_test_attribute(attr: &Attribute) -> syn::Error {
    let path = attr.path().to_token_stream().to_string().replace(' ', "");
    let hint = if path == "test" {
        ""
    } else {
        " (write `async fn` for an async test: it drives the future itself)"
    };
    syn::Error::new_spanned(
        attr,
        format!("remove `#[{path}]`: #[python_container_test] already makes this a test{hint}"),
    )
}

/// The one parameter of `sig`, the container handle.
fn handle(sig: &Signature) -> syn::Result<PatType> {
    let mut errors = Errors::default();
    let mut typed = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.push(syn::Error::new_spanned(
                receiver,
                "a test function cannot take `self`: take the container handle instead, `py: &PythonContainer`",
            )),
            FnArg::Typed(param) => typed.push(param),
        }
    }
    if typed.len() > 1 {
        let extra = &typed[1..];
        let these = if extra.len() == 1 {
            "this one"
        } else {
            "these"
        };
        errors.push(syn::Error::new_spanned(
            quote!(#(#extra),*),
            format!(
                "a #[python_container_test] function takes one parameter, the container handle: remove {these}"
            ),
        ));
    }
    errors.finish()?;
    match typed.first() {
        Some(param) => Ok((*param).clone()),
        None => Err(no_parameter(sig)),
    }
}

/// The error for a function without the handle parameter.
fn no_parameter(sig: &Signature) -> syn::Error {
    syn::Error::new(
        sig.paren_token.span.join(),
        "a #[python_container_test] function takes the container handle as its parameter: `py: &PythonContainer`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn errors(item: ItemFn) -> Vec<String> {
        match check(&item) {
            Ok(_) => Vec::new(),
            Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn accepted_functions() {
        let items: [ItemFn; 6] = [
            parse_quote!(
                fn t(py: &PythonContainer) {}
            ),
            parse_quote!(
                pub fn t(py: PythonContainer) -> Result<(), String> {
                    Ok(())
                }
            ),
            parse_quote!(
                async fn t(py: &PythonContainer) {}
            ),
            parse_quote!(
                fn t<'a>(py: &'a PythonContainer) {}
            ),
            parse_quote!(
                fn t(_: &PythonContainer) {}
            ),
            parse_quote! {
                /// Docs.
                #[ignore]
                #[should_panic(expected = "boom")]
                fn t(py: &PythonContainer) {}
            },
        ];
        for item in items {
            assert_eq!(errors(item), Vec::<String>::new());
        }
    }

    #[test]
    fn keeps_attributes_and_finds_the_handle() {
        let item: ItemFn = parse_quote! {
            #[ignore]
            #[cfg(unix)]
            fn t(handle: &PythonContainer) {}
        };
        let Ok(test) = check(&item) else {
            panic!("rejected")
        };
        assert_eq!(test.attrs.len(), 2);
        let handle = &test.handle;
        assert_eq!(quote!(#handle).to_string(), "handle : & PythonContainer");
    }

    #[test]
    fn zero_parameters() {
        assert_eq!(
            errors(parse_quote!(fn t() {})),
            ["a #[python_container_test] function takes the container handle as its parameter: `py: &PythonContainer`"]
        );
    }

    #[test]
    fn more_parameters() {
        assert_eq!(
            errors(parse_quote!(fn t(py: &PythonContainer, n: u32) {})),
            ["a #[python_container_test] function takes one parameter, the container handle: remove this one"]
        );
        assert!(errors(parse_quote!(
            fn t(py: &PythonContainer, n: u32, m: u32) {}
        ))[0]
            .ends_with("remove these"));
    }

    #[test]
    fn self_parameter() {
        assert_eq!(
            errors(parse_quote!(fn t(&self) {})),
            ["a test function cannot take `self`: take the container handle instead, `py: &PythonContainer`"]
        );
        assert_eq!(
            errors(parse_quote!(
                fn t(self, py: &PythonContainer) {}
            ))
            .len(),
            1
        );
    }

    #[test]
    fn generic_function() {
        let message = "a test function cannot be generic: the test harness has nothing to fill this parameter with";
        assert_eq!(
            errors(parse_quote!(
                fn t<T: Default>(py: &PythonContainer) {}
            )),
            [message]
        );
        assert_eq!(
            errors(parse_quote!(
                fn t<'a, T, const N: usize>(py: &PythonContainer) {}
            )),
            [message, message]
        );
    }

    #[test]
    fn second_test_attribute() {
        assert_eq!(
            errors(parse_quote! { #[test] fn t(py: &PythonContainer) {} }),
            ["remove `#[test]`: #[python_container_test] already makes this a test"]
        );
        assert_eq!(
            errors(parse_quote! { #[tokio::test(flavor = "multi_thread")] async fn t(py: &PythonContainer) {} }),
            ["remove `#[tokio::test]`: #[python_container_test] already makes this a test (write `async fn` for an async test: it drives the future itself)"]
        );
        assert_eq!(
            errors(parse_quote! { #[test_case(1)] fn t(py: &PythonContainer) {} }),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unsafe_and_extern() {
        assert_eq!(
            errors(parse_quote!(
                unsafe fn t(py: &PythonContainer) {}
            ))
            .len(),
            1
        );
        assert_eq!(
            errors(parse_quote!(
                extern "C" fn t(py: &PythonContainer) {}
            ))
            .len(),
            1
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let item: ItemFn = parse_quote! {
            #[test]
            fn t<T>(a: u8, b: u8) {}
        };
        assert_eq!(errors(item).len(), 3);
    }
}
