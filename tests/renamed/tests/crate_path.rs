//! `#[python_container_test(crate = path)]`: the attribute works where the
//! runtime is a renamed dependency (`pct`) or a re-export. This crate has no
//! `python_container_test` in scope, so an expansion that ignored `crate = ...`
//! would not compile here.
//!
//! `expansions` is type-checked against the real runtime (this file is built
//! with `--test`, where the generated `#[test]` fns exist) but never run: it
//! needs Docker. trybuild builds a user of the re-export as a binary.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
}

/// Every form of the attribute with the runtime under another name: a
/// `#[test]` fn nested in a fn body is compiled but not registered.
#[allow(dead_code, unnameable_test_items)]
fn expansions() {
    use pct::{python_container_test, AsyncPythonContainer, ContainerSpec, PythonContainer};

    fn spec() -> ContainerSpec {
        ContainerSpec::image("python:3.12-slim")
    }

    #[python_container_test(crate = pct, image = "python:3.12-slim", gpu = "auto")]
    fn image(py: &PythonContainer) {
        let _ = py;
    }

    #[python_container_test(crate = "pct", fixture = spec, preload = ["json"])]
    fn fixture_as_string_path(py: PythonContainer) -> Result<(), String> {
        let _ = py;
        Ok(())
    }

    #[python_container_test(crate = ::pct, image = "python:3.12-slim", flavor = "multi_thread")]
    async fn async_test(py: &AsyncPythonContainer) {
        let _ = py;
    }

    mod matrix {
        use pct::{python_container_test, PythonContainer};

        #[python_container_test(crate = pct, image = ["python:3.9-slim", "python:3.13-slim"])]
        fn matrix(py: &PythonContainer) {
            let _ = py;
        }

        #[python_container_test(crate = python_container_test_renamed::pct, image = ["a", "b"])]
        async fn through_the_reexport(py: pct::AsyncPythonContainer) {
            let _ = py;
        }
    }
}
