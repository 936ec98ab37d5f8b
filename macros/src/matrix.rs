//! `image = [...]` and `fixture = [...]`: one test per entry.
//!
//! The user's fn stays where it is, as a plain fn, so its body resolves names
//! as before; a module of the same name (modules and fns live in different
//! namespaces) holds one single-entry test per entry, each calling `super::name`:
//!
//! ```text
//! #[allow(dead_code)]
//! fn squares(py: &PythonContainer) { body }
//! mod squares {
//!     #[allow(unused_imports)]
//!     use super::*;
//!     const _: Option<&str> = option_env!("PYTHON_CONTAINER_TEST_IMAGES");
//!     #[test]
//!     #[ignore = "filtered out by PYTHON_CONTAINER_TEST_IMAGES=3.13"]  // when set and not matching
//!     fn python_3_9_slim() { run_test(spec, name, |h| super::squares(h)) }
//!     #[test]
//!     fn python_3_13_slim() { ... }
//! }
//! ```
//!
//! Paths of entries (`image = [PY39]`, `fixture = [spec_a]`) are evaluated in
//! a block with `use super::*;`, which shadows the tests' own names (a fixture
//! `spec_a` makes a test `spec_a`); a leading `self::`/`super::` in them and in
//! the return type gets one more `super::`.

use proc_macro2::{Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::{Expr, Visibility};

use crate::attr::{entry_text, Args, Source};
use crate::expand::{self, Instance};
use crate::fallback::is_test_only;
use crate::validate::TestFn;

/// The variable that picks the matrix entries to run (comma-separated substrings).
pub(crate) const FILTER_VAR: &str = "PYTHON_CONTAINER_TEST_IMAGES";

/// The user's fn and the module of its tests, one per entry, filtered by
/// [`FILTER_VAR`].
pub(crate) fn expand(args: &Args, entries: &[Source], test: &TestFn) -> TokenStream {
    let filter = Filter::parse(std::env::var(FILTER_VAR).ok());
    with_filter(args, entries, test, filter.as_ref())
}

/// [`expand`] with the filter given.
fn with_filter(
    args: &Args,
    entries: &[Source],
    test: &TestFn,
    filter: Option<&Filter>,
) -> TokenStream {
    let names = unique(entries.iter().map(entry_name).collect());
    let tests = entries
        .iter()
        .zip(names)
        .map(|(entry, name)| entry_test(args, test, entry, &name, filter));
    let user_attrs = test.attrs.iter().filter(|a| !is_test_only(a));
    let cfgs = test.attrs.iter().filter(|a| a.path().is_ident("cfg"));
    let TestFn {
        vis, sig, block, ..
    } = test;
    let module = &sig.ident;
    quote! {
        #(#user_attrs)*
        #[allow(dead_code)]
        #vis #sig #block

        #(#cfgs)*
        mod #module {
            #[allow(unused_imports)]
            use super::*;
            // Makes cargo rebuild (and this attribute re-expand) when the variable changes.
            const _: ::core::option::Option<&str> = ::core::option_env!(#FILTER_VAR);
            #(#tests)*
        }
    }
}

/// The test of one entry, named `name`: the single-entry expansion, calling
/// the user's fn in the parent module, `#[ignore]`d when the filter leaves it out.
fn entry_test(
    args: &Args,
    test: &TestFn,
    entry: &Source,
    name: &str,
    filter: Option<&Filter>,
) -> TokenStream {
    let ignored_already = test.attrs.iter().any(|a| a.path().is_ident("ignore"));
    let ignore = match filter {
        Some(filter) if !ignored_already && !filter.keeps(&entry_label(entry), name) => {
            let reason = format!("filtered out by {FILTER_VAR}={}", filter.raw);
            quote!(#[ignore = #reason])
        }
        _ => TokenStream::new(),
    };
    let fn_name = &test.sig.ident;
    let output = &test.sig.output;
    let runtime = rebase(args.runtime());
    let instance = Instance {
        name: Ident::new(name, entry_span(entry)),
        vis: Visibility::Inherited,
        spec: expand::spec(entry, args, &runtime, in_parent),
        runtime,
        output: rebase(quote!(#output)),
        extra_attrs: ignore,
        items: TokenStream::new(),
        callee: quote!(super::#fn_name),
    };
    expand::test_fn(args, test, instance)
}

/// A path of an entry, evaluated from inside the module as if beside the fn.
fn in_parent(expr: &Expr) -> TokenStream {
    match expr {
        Expr::Lit(_) => expr.to_token_stream(),
        _ => {
            let expr = rebase(expr.to_token_stream());
            quote!({
                #[allow(unused_imports)]
                use super::*;
                #expr
            })
        }
    }
}

/// `tokens` as read one module further down: a leading `self::` becomes
/// `super::` and a leading `super::` becomes `super::super::`.
fn rebase(tokens: TokenStream) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tree) = iter.next() {
        let after_colon = matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == ':');
        let before_colon = matches!(iter.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ':');
        match tree {
            TokenTree::Ident(ident) if !after_colon && before_colon && ident == "self" => {
                out.push(Ident::new("super", ident.span()).into());
            }
            TokenTree::Ident(ident) if !after_colon && before_colon && ident == "super" => {
                out.push(Ident::new("super", ident.span()).into());
                out.push(Punct::new(':', Spacing::Joint).into());
                out.push(Punct::new(':', Spacing::Alone).into());
                out.push(ident.into());
            }
            TokenTree::Group(group) => {
                let mut rebased = Group::new(group.delimiter(), rebase(group.stream()));
                rebased.set_span(group.span());
                out.push(rebased.into());
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// Where an entry is written, for its test's name.
fn entry_span(entry: &Source) -> Span {
    match entry {
        Source::Image(expr) | Source::Fixture(expr) => syn::spanned::Spanned::span(expr),
        _ => Span::call_site(),
    }
}

/// What the filter matches an entry against: the image string, or the path
/// as written (a const's, a fixture fn's).
fn entry_label(entry: &Source) -> String {
    match entry {
        Source::Image(expr) | Source::Fixture(expr) => entry_text(expr),
        _ => String::new(),
    }
}

/// The test name an entry asks for (before making names unique).
fn entry_name(entry: &Source) -> String {
    let last_segment = |expr: &Expr| match expr {
        Expr::Path(path) => path
            .path
            .segments
            .last()
            .map(|s| s.ident.unraw().to_string()),
        _ => None,
    };
    match entry {
        Source::Image(expr @ Expr::Lit(_)) => image_name(&entry_text(expr)),
        Source::Image(expr) => valid_ident(&last_segment(expr).unwrap_or_default().to_lowercase()),
        Source::Fixture(expr) => valid_ident(&last_segment(expr).unwrap_or_default()),
        _ => valid_ident(""),
    }
}

/// An image's test name: without registry and namespace, lowercase, every run
/// of other characters than ASCII letters and digits one `_`.
fn image_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let mut name = String::new();
    for c in last.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    valid_ident(name.trim_matches('_'))
}

/// `name` made a valid fn name: `image` when empty, `image_` before a leading
/// digit, `_` after a keyword.
fn valid_ident(name: &str) -> String {
    let name = match name.chars().next() {
        None => return "image".to_owned(),
        Some(c) if c.is_ascii_digit() => format!("image_{name}"),
        Some(_) => name.to_owned(),
    };
    if syn::parse_str::<Ident>(&name).is_ok() {
        name
    } else {
        format!("{name}_")
    }
}

/// `names` with the second and later of equal names suffixed `_2`, `_3`, ...,
/// skipping suffixed names that another entry has.
fn unique(names: Vec<String>) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    for name in &names {
        let mut chosen = name.clone();
        let mut n = 2;
        while taken.contains(&chosen) || (chosen != *name && names.contains(&chosen)) {
            chosen = format!("{name}_{n}");
            n += 1;
        }
        taken.push(chosen);
    }
    taken
}

/// `PYTHON_CONTAINER_TEST_IMAGES`, when it names at least one substring.
struct Filter {
    /// The variable's value, for the reason of `#[ignore]`.
    raw: String,
    /// Its non-empty comma-separated parts, trimmed.
    needles: Vec<String>,
}

impl Filter {
    /// The filter of the variable's value; `None` when unset or blank.
    fn parse(raw: Option<String>) -> Option<Filter> {
        let raw = raw?;
        let needles: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
        (!needles.is_empty()).then_some(Filter { raw, needles })
    }

    /// Whether an entry runs: one of the substrings is in its label or its test name.
    fn keeps(&self, label: &str, name: &str) -> bool {
        self.needles
            .iter()
            .any(|n| label.contains(n.as_str()) || name.contains(n.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    fn expand_with(args: TokenStream, item: syn::ItemFn, filter: Option<&str>) -> String {
        let Ok(args) = Args::parse(args) else {
            panic!("rejected")
        };
        let Source::Matrix(entries) = &args.source else {
            panic!("not a matrix")
        };
        let Ok(test) = crate::validate::check(&item) else {
            panic!("rejected")
        };
        let filter = Filter::parse(filter.map(str::to_owned));
        with_filter(&args, entries, &test, filter.as_ref()).to_string()
    }

    #[test]
    fn image_names() {
        let cases = [
            ("python:3.9-slim", "python_3_9_slim"),
            ("python-container-test/official:3.13", "official_3_13"),
            ("ghcr.io/org/Py--Thing:3.15.0a1", "py_thing_3_15_0a1"),
            ("3.9", "image_3_9"),
            ("match", "match_"),
            ("self", "self_"),
            ("///", "image"),
            ("_x_", "x"),
        ];
        for (image, name) in cases {
            assert_eq!(image_name(image), name, "{image}");
        }
    }

    #[test]
    fn entry_names() {
        let Ok(args) = Args::parse(quote!(image = ["a/b:1", crate::images::PY_3_13, r#type]))
        else {
            panic!("rejected")
        };
        let Source::Matrix(entries) = args.source else {
            panic!("not a matrix")
        };
        let names: Vec<String> = entries.iter().map(entry_name).collect();
        assert_eq!(names, ["b_1", "py_3_13", "type_"]);
        let Ok(args) = Args::parse(quote!(fixture = [support::spec_a, spec_b])) else {
            panic!("rejected")
        };
        let Source::Matrix(entries) = args.source else {
            panic!("not a matrix")
        };
        let names: Vec<String> = entries.iter().map(entry_name).collect();
        assert_eq!(names, ["spec_a", "spec_b"]);
    }

    #[test]
    fn names_are_made_unique() {
        let names = |v: &[&str]| unique(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(names(&["a", "b"]), ["a", "b"]);
        assert_eq!(names(&["a", "a", "a"]), ["a", "a_2", "a_3"]);
        // `a_2` is another entry's own name: the duplicate of `a` skips it.
        assert_eq!(names(&["a", "a", "a_2"]), ["a", "a_3", "a_2"]);
    }

    #[test]
    fn filter() {
        assert!(Filter::parse(None).is_none());
        assert!(Filter::parse(Some(" , ".into())).is_none());
        let Some(filter) = Filter::parse(Some("3.13, official:3.9".into())) else {
            panic!("no filter")
        };
        assert!(filter.keeps("python:3.13-slim", "python_3_13_slim"));
        assert!(filter.keeps("x/official:3.9", "official_3_9"));
        assert!(!filter.keeps("python:3.9-slim", "python_3_9_slim"));
        let Some(filter) = Filter::parse(Some("python_3_13".into())) else {
            panic!("no filter")
        };
        assert!(filter.keeps("PY313", "python_3_13"), "the test name counts");
    }

    #[test]
    fn rebases_leading_self_and_super() {
        let rebased = rebase(quote!(self::A + super::B + a::self::C + Result<(), self::E>));
        let expected = quote!(super::A + super::super::B + a::self::C + Result<(), super::E>);
        assert_eq!(rebased.to_string(), expected.to_string());
    }

    #[test]
    fn expands_a_module_of_tests() {
        let item: syn::ItemFn = parse_quote! {
            /// Docs.
            #[ignore]
            pub fn squares(py: &PythonContainer) -> Result<(), E> { body() }
        };
        let actual = expand_with(quote!(image = ["python:3.9-slim", PY313]), item, None);
        let test = |name: &str, spec: TokenStream| {
            let name = Ident::new(name, Span::call_site());
            quote! {
                #[::core::prelude::v1::test]
                #[doc = r" Docs."]
                #[ignore]
                fn #name() -> Result<(), E> {
                    ::python_container_test::__private::run_test(
                        ::python_container_test::__private::ContainerSpec::image(#spec),
                        ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#name)),
                        |__pct_handle| {
                            let __pct_async = __pct_handle.to_async();
                            super::squares(::python_container_test::__private::FromHandle::from_handle(__pct_handle, &__pct_async))
                        },
                    )
                }
            }
        };
        let first = test("python_3_9_slim", quote!("python:3.9-slim"));
        let second = test(
            "py313",
            quote!({
                #[allow(unused_imports)]
                use super::*;
                PY313
            }),
        );
        let expected = quote! {
            #[doc = r" Docs."]
            #[allow(dead_code)]
            pub fn squares(py: &PythonContainer) -> Result<(), E> { body() }
            mod squares {
                #[allow(unused_imports)]
                use super::*;
                const _: ::core::option::Option<&str> = ::core::option_env!("PYTHON_CONTAINER_TEST_IMAGES");
                #first
                #second
            }
        };
        assert_eq!(actual, expected.to_string());
    }

    #[test]
    fn filtered_entries_are_ignored() {
        let item: syn::ItemFn = parse_quote!(
            fn t(py: &PythonContainer) {}
        );
        let actual = expand_with(
            quote!(image = ["python:3.9-slim", "python:3.13-slim"]),
            item.clone(),
            Some("3.13"),
        );
        let reason = "# [ignore = \"filtered out by PYTHON_CONTAINER_TEST_IMAGES=3.13\"]";
        assert_eq!(actual.matches(reason).count(), 1, "{actual}");
        let before = actual.find(reason).unwrap();
        assert!(actual[before..].starts_with(&format!("{reason} fn python_3_9_slim")));
        // A test the user ignores keeps only the user's `#[ignore]`.
        let item: syn::ItemFn = parse_quote!(
            #[ignore]
            fn t(py: &PythonContainer) {}
        );
        let actual = expand_with(quote!(image = ["a", "b"]), item, Some("a"));
        assert!(!actual.contains("filtered out"), "{actual}");
    }
}
