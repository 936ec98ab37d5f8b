//! The arguments of `#[python_container_test(...)]`: parsed, each checked, and
//! every problem reported as an error spanned on the offending token.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprArray, ExprLit, Ident, Lit, LitBool, LitStr, Meta, Path, Token};

use crate::fallback::Errors;

/// Every argument the attribute accepts, with an example of its use.
const ARGUMENTS: &[(&str, &str)] = &[
    ("image", "image = \"python:3.12-slim\""),
    ("dockerfile", "dockerfile = \"docker/Dockerfile\""),
    ("fixture", "fixture = path::to::spec_fn"),
    ("gpu", "gpu = true"),
    ("shared", "shared = false"),
    ("preload", "preload = [\"numpy\"]"),
    ("flavor", "flavor = \"multi_thread\""),
    ("crate", "crate = my_crate::python_container_test"),
];

/// The arguments that say where the container comes from: exactly one is required.
const SOURCES: &[&str] = &["image", "dockerfile", "fixture"];

/// Where the test's container comes from.
pub(crate) enum Source {
    /// `image = "name:tag"` or `image = path::TO_CONST`: a string literal or a path.
    Image(Expr),
    /// `dockerfile = "path"`, relative to the user crate's manifest dir.
    Dockerfile(LitStr),
    /// `fixture = path::to::spec_fn`: a path to a fn returning a `ContainerSpec`.
    Fixture(Expr),
    /// `image = [...]` or `fixture = [...]`: one test per entry, each an
    /// `Image` or a `Fixture`; never empty, no entry twice.
    Matrix(Vec<Source>),
}

/// The value of `gpu = true | false | "auto"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gpu {
    /// `gpu = true`.
    Required,
    /// `gpu = false`.
    None,
    /// `gpu = "auto"`.
    Auto,
}

/// The runtime of an `async fn` test: `flavor = "current_thread" | "multi_thread"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// One thread, as `#[tokio::test]`'s default.
    CurrentThread,
    /// A multi-thread runtime.
    MultiThread,
}

/// An optional argument's value, with the name it was given under (for spans).
pub(crate) struct Arg<T> {
    /// The argument's name as the user wrote it.
    pub(crate) name: Ident,
    /// Its checked value.
    pub(crate) value: T,
}

impl<T> Arg<T> {
    /// Makes the argument `name` from its checked value.
    fn named(name: Ident) -> impl FnOnce(T) -> Arg<T> {
        move |value| Arg { name, value }
    }
}

/// The checked arguments of one `#[python_container_test(...)]`.
pub(crate) struct Args {
    /// Where the container comes from.
    pub(crate) source: Source,
    /// `gpu = ...`, when given.
    pub(crate) gpu: Option<Arg<Gpu>>,
    /// `shared = ...`, when given.
    pub(crate) shared: Option<Arg<LitBool>>,
    /// `preload = [...]`, when given.
    pub(crate) preload: Option<Arg<Vec<LitStr>>>,
    /// `flavor = "..."`, when given (async tests only).
    pub(crate) flavor: Option<Arg<Flavor>>,
    /// `crate = path`, when given: the runtime crate under another name.
    pub(crate) krate: Option<Arg<Path>>,
}

impl Args {
    /// Parses and checks the attribute's arguments, reporting every problem.
    pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
        let mut found = Found::default();
        for meta in metas {
            found.add(meta);
        }
        found.finish()
    }

    /// The path of the runtime crate in the generated code: `crate = ...`,
    /// or `::python_container_test`.
    pub(crate) fn runtime(&self) -> TokenStream {
        match &self.krate {
            Some(krate) => krate.value.to_token_stream(),
            None => quote!(::python_container_test),
        }
    }
}

/// The arguments found so far, and the problems.
#[derive(Default)]
struct Found {
    errors: Errors,
    seen: Vec<Ident>,
    source: Option<Source>,
    gpu: Option<Arg<Gpu>>,
    shared: Option<Arg<LitBool>>,
    preload: Option<Arg<Vec<LitStr>>>,
    flavor: Option<Arg<Flavor>>,
    krate: Option<Arg<Path>>,
}

impl Found {
    /// Checks one argument: a known name, given once, one source at most.
    fn add(&mut self, meta: Meta) {
        let Some(name) = self.errors.take(known_name(&meta)) else {
            return;
        };
        let key = name.to_string();
        if self.seen.contains(&name) {
            self.errors.push(syn::Error::new(
                name.span(),
                format!("duplicate argument `{key}`: give it once"),
            ));
            return;
        }
        let earlier_source = self.seen.iter().find(|n| is_source(n));
        if let (true, Some(first)) = (is_source(&name), earlier_source) {
            self.errors.push(syn::Error::new(
                name.span(),
                format!(
                    "`{key}` conflicts with `{first}`: give only one of `image`, `dockerfile` and `fixture`"
                ),
            ));
            return;
        }
        self.seen.push(name.clone());
        if let Some(value) = self.errors.take(value_of(&name, meta)) {
            self.set(name, value);
        }
    }

    /// Checks the value of the argument `name`.
    fn set(&mut self, name: Ident, value: Expr) {
        let errors = &mut self.errors;
        let key = name.to_string();
        match key.as_str() {
            "image" => self.source = errors.take(one_or_list(value, "image", Source::Image, image)),
            "dockerfile" => self.source = errors.take(dockerfile(value)).map(Source::Dockerfile),
            "fixture" => {
                self.source = errors.take(one_or_list(value, "fixture", Source::Fixture, fixture))
            }
            "gpu" => self.gpu = errors.take(gpu_mode(value)).map(Arg::named(name)),
            "shared" => self.shared = errors.take(shared_flag(value)).map(Arg::named(name)),
            "preload" => self.preload = errors.take(modules(value)).map(Arg::named(name)),
            "flavor" => self.flavor = errors.take(runtime_flavor(value)).map(Arg::named(name)),
            "crate" => self.krate = errors.take(crate_path(value)).map(Arg::named(name)),
            _ => {} // `known_name` admits no other
        }
    }

    /// The arguments, or every problem found.
    fn finish(mut self) -> syn::Result<Args> {
        if !self.seen.iter().any(is_source) {
            self.errors.push(missing_source());
        }
        self.errors.finish()?;
        match self.source {
            Some(source) => Ok(Args {
                source,
                gpu: self.gpu,
                shared: self.shared,
                preload: self.preload,
                flavor: self.flavor,
                krate: self.krate,
            }),
            None => Err(missing_source()),
        }
    }
}

/// Whether `name` is one of the arguments that say where the container comes from.
fn is_source(name: &Ident) -> bool {
    SOURCES.iter().any(|s| name == s)
}

/// The error for an attribute that names no container.
fn missing_source() -> syn::Error {
    syn::Error::new(
        Span::call_site(),
        "#[python_container_test] needs a container: add `image = \"...\"`, `dockerfile = \"...\"` or `fixture = path`",
    )
}

/// The name of `meta`, when it is an argument the attribute knows.
fn known_name(meta: &Meta) -> syn::Result<Ident> {
    match meta.path().get_ident() {
        Some(name) if ARGUMENTS.iter().any(|(known, _)| name == known) => Ok(name.clone()),
        Some(name) => Err(unknown(name)),
        None => Err(unknown(meta.path())),
    }
}

/// The value of `name = value`; an error for the other forms (`name`, `name(...)`).
fn value_of(name: &Ident, meta: Meta) -> syn::Result<Expr> {
    let example = ARGUMENTS
        .iter()
        .find(|(known, _)| name == known)
        .map_or("", |(_, example)| example);
    match meta {
        Meta::NameValue(nv) => Ok(nv.value),
        Meta::Path(path) => Err(syn::Error::new_spanned(
            path,
            format!("`{name}` needs a value: `{example}`"),
        )),
        Meta::List(list) => Err(syn::Error::new_spanned(
            list,
            format!("write `{name} = ...`, e.g. `{example}`"),
        )),
    }
}

/// The error for an argument name the attribute does not know.
fn unknown(name: impl quote::ToTokens) -> syn::Error {
    let accepted: Vec<String> = ARGUMENTS.iter().map(|(n, _)| format!("`{n}`")).collect();
    let shown = quote::ToTokens::to_token_stream(&name)
        .to_string()
        .replace(' ', "");
    syn::Error::new_spanned(
        name,
        format!(
            "unknown argument `{shown}`; the accepted ones are {}",
            accepted.join(", ")
        ),
    )
}

/// `expr` without the invisible groups that `macro_rules!` wraps around `$e`.
fn peel(expr: Expr) -> Expr {
    match expr {
        Expr::Group(group) => peel(*group.expr),
        other => other,
    }
}

/// A string literal, when `expr` is one.
fn string(expr: &Expr) -> Option<&LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit),
        _ => None,
    }
}

/// `value` checked by `entry`, or, for `[a, b, ...]`, a matrix of the entries:
/// an error for an empty list and for each entry given twice.
fn one_or_list(
    value: Expr,
    key: &str,
    kind: fn(Expr) -> Source,
    entry: fn(Expr) -> syn::Result<Expr>,
) -> syn::Result<Source> {
    let array = match peel(value) {
        Expr::Array(array) => array,
        value => return entry(value).map(kind),
    };
    if array.elems.is_empty() {
        return Err(empty_list(&array, key));
    }
    let mut errors = Errors::default();
    let mut seen: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    for elem in array.elems {
        let Some(value) = errors.take(entry(elem)) else {
            continue;
        };
        let shown = entry_text(&value);
        if seen.contains(&shown) {
            errors.push(syn::Error::new_spanned(
                &value,
                format!(
                    "`{shown}` is already in the list: each entry makes one test, give it once"
                ),
            ));
            continue;
        }
        seen.push(shown);
        entries.push(kind(value));
    }
    errors.finish()?;
    Ok(Source::Matrix(entries))
}

/// The error for `key = []`.
fn empty_list(array: &ExprArray, key: &str) -> syn::Error {
    let example = match key {
        "image" => "image = [\"python:3.9-slim\", \"python:3.13-slim\"]",
        _ => "fixture = [spec_a, spec_b]",
    };
    syn::Error::new_spanned(
        array,
        format!("the list is empty: give one or more entries, one test each (`{example}`)"),
    )
}

/// An entry as the user would name it: a string's value, or a path without spaces.
pub(crate) fn entry_text(entry: &Expr) -> String {
    match string(entry) {
        Some(lit) => lit.value(),
        None => quote::ToTokens::to_token_stream(entry)
            .to_string()
            .replace(' ', ""),
    }
}

/// `image = "name:tag"` or `image = path::TO_CONST`.
fn image(value: Expr) -> syn::Result<Expr> {
    let value = peel(value);
    if let Some(lit) = string(&value) {
        if lit.value().trim().is_empty() {
            return Err(syn::Error::new(lit.span(), "the image name is empty"));
        }
        return Ok(value);
    }
    match value {
        Expr::Path(_) => Ok(value),
        other => Err(syn::Error::new_spanned(
            other,
            "expected the image as a string literal (`image = \"python:3.12-slim\"`) or a path to a `&str` const",
        )),
    }
}

/// `dockerfile = "path"`, relative to the crate's manifest dir.
fn dockerfile(value: Expr) -> syn::Result<LitStr> {
    let value = peel(value);
    if let Expr::Array(array) = &value {
        return Err(syn::Error::new_spanned(
            array,
            "`dockerfile` takes one path: lists (one test per entry) are for `image` and `fixture`",
        ));
    }
    let Some(lit) = string(&value) else {
        return Err(syn::Error::new_spanned(
            value,
            "expected the Dockerfile's path as a string literal, relative to the crate's directory: `dockerfile = \"docker/Dockerfile\"`",
        ));
    };
    let path = lit.value();
    if path.trim().is_empty() {
        return Err(syn::Error::new(
            lit.span(),
            "the Dockerfile's path is empty",
        ));
    }
    if path.starts_with('/') {
        return Err(syn::Error::new(
            lit.span(),
            "the Dockerfile's path is relative to the crate's directory (CARGO_MANIFEST_DIR): drop the leading `/`",
        ));
    }
    Ok(lit.clone())
}

/// `fixture = path::to::spec_fn`.
fn fixture(value: Expr) -> syn::Result<Expr> {
    match peel(value) {
        value @ Expr::Path(_) => Ok(value),
        Expr::Call(call) if call.args.is_empty() && matches!(*call.func, Expr::Path(_)) => {
            let func = &call.func;
            let shown = quote::ToTokens::to_token_stream(func)
                .to_string()
                .replace(' ', "");
            Err(syn::Error::new_spanned(
                &call,
                format!("name the fn without calling it: `fixture = {shown}`"),
            ))
        }
        other => Err(syn::Error::new_spanned(
            other,
            "expected a path to a fn that returns a `ContainerSpec`: `fixture = path::to::spec_fn`",
        )),
    }
}

/// `gpu = true | false | "auto"`.
fn gpu_mode(value: Expr) -> syn::Result<Gpu> {
    let value = peel(value);
    match &value {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => return Ok(if b.value { Gpu::Required } else { Gpu::None }),
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) if s.value() == "auto" => return Ok(Gpu::Auto),
        _ => {}
    }
    Err(syn::Error::new_spanned(
        value,
        "expected `gpu = true` (GPUs required), `gpu = false` or `gpu = \"auto\"` (GPUs when the engine has them)",
    ))
}

/// `flavor = "current_thread" | "multi_thread"`.
fn runtime_flavor(value: Expr) -> syn::Result<Flavor> {
    let value = peel(value);
    if let Expr::Lit(ExprLit {
        lit: Lit::Str(s), ..
    }) = &value
    {
        match s.value().as_str() {
            "current_thread" => return Ok(Flavor::CurrentThread),
            "multi_thread" => return Ok(Flavor::MultiThread),
            _ => {}
        }
    }
    Err(syn::Error::new_spanned(
        value,
        "expected `flavor = \"current_thread\"` (the default) or `flavor = \"multi_thread\"`",
    ))
}

/// `shared = true | false`.
fn shared_flag(value: Expr) -> syn::Result<LitBool> {
    match peel(value) {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b),
        other => Err(syn::Error::new_spanned(
            other,
            "expected `shared = true` (one container for all tests of an equal spec, the default) or `shared = false` (a container of this test's own)",
        )),
    }
}

/// `preload = ["numpy", "json"]`.
fn modules(value: Expr) -> syn::Result<Vec<LitStr>> {
    let array = match peel(value) {
        Expr::Array(array) => array,
        other => {
            return Err(syn::Error::new_spanned(
                other,
                "expected an array of module names as string literals: `preload = [\"numpy\"]`",
            ))
        }
    };
    let mut errors = Errors::default();
    let mut names = Vec::new();
    for elem in array.elems {
        match string(&peel(elem.clone())) {
            Some(lit) => names.push(lit.clone()),
            None => errors.push(syn::Error::new_spanned(
                elem,
                "expected a module name as a string literal, e.g. \"numpy\"",
            )),
        }
    }
    errors.finish()?;
    Ok(names)
}

/// `crate = path` (or `crate = "path"`, as tokio's macros take it).
fn crate_path(value: Expr) -> syn::Result<Path> {
    let value = peel(value);
    if let Some(lit) = string(&value) {
        return lit.parse::<Path>().map_err(|_| {
            syn::Error::new(
                lit.span(),
                "expected a path to the runtime crate: `crate = my_crate::python_container_test`",
            )
        });
    }
    match value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => Ok(path.path),
        other => Err(syn::Error::new_spanned(
            other,
            "expected a path to the runtime crate: `crate = my_crate::python_container_test`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> Result<Args, Vec<String>> {
        Args::parse(tokens).map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
    }

    fn errors(tokens: TokenStream) -> Vec<String> {
        match parse(tokens) {
            Ok(_) => Vec::new(),
            Err(messages) => messages,
        }
    }

    fn tokens(expr: &Expr) -> String {
        quote!(#expr).to_string()
    }

    #[test]
    fn image_literal() {
        let args = parse(quote!(image = "python:3.12-slim")).unwrap();
        let Source::Image(image) = args.source else {
            panic!("not an image")
        };
        assert_eq!(tokens(&image), "\"python:3.12-slim\"");
        assert!(args.gpu.is_none() && args.shared.is_none() && args.preload.is_none());
    }

    #[test]
    fn image_const_path() {
        let args = parse(quote!(image = crate::images::PYTHON)).unwrap();
        let Source::Image(image) = args.source else {
            panic!("not an image")
        };
        assert_eq!(tokens(&image), "crate :: images :: PYTHON");
    }

    #[test]
    fn dockerfile_and_fixture() {
        let args = parse(quote!(dockerfile = "docker/Dockerfile")).unwrap();
        assert!(
            matches!(args.source, Source::Dockerfile(lit) if lit.value() == "docker/Dockerfile")
        );
        let args = parse(quote!(fixture = support::spec)).unwrap();
        assert!(matches!(&args.source, Source::Fixture(path) if tokens(path) == "support :: spec"));
    }

    #[test]
    fn optional_arguments() {
        let args = parse(quote!(
            image = "i",
            gpu = "auto",
            shared = false,
            preload = ["numpy", "json"],
        ))
        .unwrap();
        assert_eq!(args.gpu.map(|g| g.value), Some(Gpu::Auto));
        assert_eq!(args.shared.map(|s| s.value.value), Some(false));
        let preload: Vec<String> = args
            .preload
            .unwrap()
            .value
            .iter()
            .map(LitStr::value)
            .collect();
        assert_eq!(preload, ["numpy", "json"]);
        for (value, mode) in [(quote!(true), Gpu::Required), (quote!(false), Gpu::None)] {
            let args = parse(quote!(image = "i", gpu = #value)).unwrap();
            assert_eq!(args.gpu.map(|g| g.value), Some(mode));
        }
        let args = parse(quote!(fixture = f, preload = [])).unwrap();
        assert!(args.preload.unwrap().value.is_empty());
    }

    #[test]
    fn unknown_argument_lists_the_accepted_ones() {
        assert_eq!(
            errors(quote!(image = "i", imgae = "j")),
            ["unknown argument `imgae`; the accepted ones are `image`, `dockerfile`, `fixture`, `gpu`, `shared`, `preload`, `flavor`, `crate`"]
        );
        assert!(errors(quote!(image = "i", a::b = 1))[0].starts_with("unknown argument `a::b`"));
    }

    #[test]
    fn duplicate_argument() {
        assert_eq!(
            errors(quote!(image = "i", shared = true, shared = false)),
            ["duplicate argument `shared`: give it once"]
        );
        assert_eq!(
            errors(quote!(image = "i", image = "j")),
            ["duplicate argument `image`: give it once"]
        );
    }

    #[test]
    fn two_sources_conflict() {
        assert_eq!(
            errors(quote!(image = "i", dockerfile = "Dockerfile")),
            ["`dockerfile` conflicts with `image`: give only one of `image`, `dockerfile` and `fixture`"]
        );
        assert_eq!(errors(quote!(fixture = f, image = "i")).len(), 1);
    }

    #[test]
    fn missing_source() {
        let expected = "#[python_container_test] needs a container: add `image = \"...\"`, `dockerfile = \"...\"` or `fixture = path`";
        assert_eq!(errors(quote!()), [expected]);
        assert_eq!(errors(quote!(gpu = true)), [expected]);
    }

    #[test]
    fn a_bad_source_is_not_also_missing() {
        assert_eq!(errors(quote!(image = 42)).len(), 1);
    }

    #[test]
    fn wrong_kinds_of_value() {
        assert!(errors(quote!(image = 1))[0].starts_with("expected the image as a string literal"));
        assert_eq!(errors(quote!(image = "")), ["the image name is empty"]);
        assert!(errors(quote!(dockerfile = PATH))[0].starts_with("expected the Dockerfile's path"));
        assert!(errors(quote!(dockerfile = "/abs/Dockerfile"))[0].contains("drop the leading `/`"));
        assert_eq!(
            errors(quote!(fixture = spec())),
            ["name the fn without calling it: `fixture = spec`"]
        );
        assert!(errors(quote!(fixture = "spec"))[0].starts_with("expected a path to a fn"));
        assert!(errors(quote!(image = "i", gpu = "yes"))[0].starts_with("expected `gpu = true`"));
        assert!(errors(quote!(image = "i", gpu = 1))[0].starts_with("expected `gpu = true`"));
        assert!(
            errors(quote!(image = "i", shared = "no"))[0].starts_with("expected `shared = true`")
        );
        assert!(errors(quote!(image = "i", preload = "numpy"))[0]
            .starts_with("expected an array of module names"));
        assert_eq!(
            errors(quote!(image = "i", preload = ["numpy", 1, os])),
            [
                "expected a module name as a string literal, e.g. \"numpy\"",
                "expected a module name as a string literal, e.g. \"numpy\""
            ]
        );
    }

    #[test]
    fn argument_without_value() {
        assert_eq!(
            errors(quote!(image = "i", shared)),
            ["`shared` needs a value: `shared = false`"]
        );
        assert_eq!(
            errors(quote!(image("i"))),
            ["write `image = ...`, e.g. `image = \"python:3.12-slim\"`"]
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let messages = errors(quote!(imgae = "i", gpu = 2, gpu = true, shared = 1));
        assert_eq!(messages.len(), 5, "{messages:?}");
    }

    #[test]
    fn lists_make_a_matrix() {
        let args = parse(quote!(
            image = ["python:3.9-slim", images::PY313],
            gpu = true
        ))
        .unwrap();
        let Source::Matrix(entries) = args.source else {
            panic!("not a matrix")
        };
        assert!(matches!(&entries[0], Source::Image(e) if tokens(e) == "\"python:3.9-slim\""));
        assert!(matches!(&entries[1], Source::Image(e) if tokens(e) == "images :: PY313"));
        let args = parse(quote!(fixture = [spec_a, support::spec_b])).unwrap();
        let Source::Matrix(entries) = args.source else {
            panic!("not a matrix")
        };
        assert!(matches!(&entries[1], Source::Fixture(e) if tokens(e) == "support :: spec_b"));
    }

    #[test]
    fn bad_lists() {
        assert_eq!(
            errors(quote!(image = [])),
            ["the list is empty: give one or more entries, one test each (`image = [\"python:3.9-slim\", \"python:3.13-slim\"]`)"]
        );
        assert!(errors(quote!(fixture = []))[0].ends_with("(`fixture = [spec_a, spec_b]`)"));
        assert_eq!(
            errors(quote!(image = ["a", B, "a", B])),
            [
                "`a` is already in the list: each entry makes one test, give it once",
                "`B` is already in the list: each entry makes one test, give it once"
            ]
        );
        assert_eq!(
            errors(quote!(fixture = [spec, "spec", spec(), spec])).len(),
            3,
            "a string, a call and a duplicate"
        );
        assert!(errors(quote!(image = ["a", 1]))[0].starts_with("expected the image as a string"));
        assert_eq!(errors(quote!(image = [""])), ["the image name is empty"]);
        assert_eq!(
            errors(quote!(dockerfile = ["a", "b"])),
            ["`dockerfile` takes one path: lists (one test per entry) are for `image` and `fixture`"]
        );
        assert_eq!(
            errors(quote!(image = ["a", "b"], fixture = f)),
            ["`fixture` conflicts with `image`: give only one of `image`, `dockerfile` and `fixture`"]
        );
        assert_eq!(
            errors(quote!(image = ["a"], image = "b")),
            ["duplicate argument `image`: give it once"]
        );
    }

    #[test]
    fn syntax_error() {
        assert!(!errors(quote!(image "i")).is_empty());
    }

    #[test]
    fn crate_path_names_the_runtime() {
        let runtime = |tokens| parse(tokens).map(|args| args.runtime().to_string());
        assert_eq!(
            runtime(quote!(image = "i")),
            Ok(quote!(::python_container_test).to_string())
        );
        assert_eq!(runtime(quote!(image = "i", crate = pct)), Ok("pct".into()));
        assert_eq!(
            runtime(quote!(crate = "my::pct", image = "i")),
            Ok(quote!(my::pct).to_string())
        );
        let expected =
            "expected a path to the runtime crate: `crate = my_crate::python_container_test`";
        assert_eq!(errors(quote!(image = "i", crate = 1)), [expected]);
        assert_eq!(errors(quote!(image = "i", crate = "a b")), [expected]);
    }
}
