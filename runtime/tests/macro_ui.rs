//! What `#[python_container_test]` accepts and how it reports what it does not.
//!
//! `tests/ui/fail/*.rs`: one mistake each, with the expected errors beside it
//! (`TRYBUILD=overwrite cargo test -p python-container-test --test macro_ui`
//! regenerates them; read the diff).
//!
//! `tests/ui/pass/*.rs`: accepted uses. trybuild builds them as plain binaries,
//! where rustc drops every `#[test]` fn, so they prove that the macro emits no
//! error but not that its output type-checks. `expansions` below does that:
//! this file is built with `--test`, so the same uses are type-checked against
//! the real runtime here, without ever running (they need Docker).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}

/// The accepted uses, type-checked but never run: a `#[test]` fn nested in a
/// fn body is compiled but not registered with the harness.
#[allow(dead_code, unnameable_test_items)]
fn expansions() {
    use python_container_test::{python_container_test, ContainerSpec, PythonContainer};

    const PYTHON: &str = "python:3.12-slim";

    fn spec() -> ContainerSpec {
        ContainerSpec::image(PYTHON).env("PYTHONHASHSEED", "0")
    }

    #[python_container_test(image = "python:3.12-slim")]
    fn string_image(py: &PythonContainer) {
        let _ = py;
    }

    #[python_container_test(image = PYTHON)]
    fn const_path_image(py: &PythonContainer) {
        let _ = py;
    }

    #[python_container_test(image = PYTHON)]
    async fn async_handle(py: &python_container_test::AsyncPythonContainer) {
        let _: i64 = py.eval("1").await.unwrap();
    }

    #[python_container_test(image = PYTHON, flavor = "multi_thread")]
    async fn owned_async_handle_multi_thread(py: python_container_test::AsyncPythonContainer) {
        let _ = py.python("pass").await;
    }

    #[python_container_test(dockerfile = "docker/Dockerfile")]
    fn dockerfile(py: &PythonContainer) {
        let _ = py;
    }

    #[python_container_test(fixture = spec, shared = false)]
    fn fixture_fn(py: &PythonContainer) {
        let _ = py;
    }

    #[python_container_test(image = PYTHON, gpu = "auto", preload = ["numpy", "json"])]
    fn gpu_auto_and_preload(py: &PythonContainer) {
        let _ = py;
    }

    #[python_container_test(image = PYTHON, gpu = true, preload = [])]
    fn gpu_required_and_empty_preload(py: &PythonContainer) {
        let _ = py;
    }

    #[python_container_test(image = PYTHON)]
    async fn async_fn(py: &PythonContainer) {
        let _ = py;
        std::future::ready(()).await;
    }

    #[python_container_test(image = PYTHON)]
    async fn async_result(py: PythonContainer) -> Result<(), String> {
        let _ = py;
        Ok(())
    }

    #[python_container_test(image = PYTHON)]
    fn result_return(py: &PythonContainer) -> Result<(), String> {
        let _ = py;
        Ok(())
    }

    #[python_container_test(image = PYTHON)]
    fn owned_handle(py: PythonContainer) {
        drop(py);
    }

    /// Doc comments, `#[ignore]` and `#[should_panic]` stay on the test.
    #[python_container_test(image = PYTHON)]
    #[ignore = "needs Docker"]
    #[should_panic(expected = "boom")]
    fn attributes_kept(_: &PythonContainer) {
        panic!("boom");
    }

    /// Lists: a module of tests, one per entry, beside the fn. A module in a
    /// fn body cannot see the body's items, so these live in a module of their own.
    mod matrix {
        use python_container_test::{
            python_container_test, AsyncPythonContainer, ContainerSpec, Error, PythonContainer,
        };

        const PY39: &str = "python:3.9-slim";
        const PY313: &str = "python:3.13-slim";

        fn spec_a() -> ContainerSpec {
            ContainerSpec::image(PY39)
        }

        fn spec_b() -> ContainerSpec {
            ContainerSpec::image(PY313)
        }

        fn helper() -> i64 {
            1
        }

        mod images {
            pub(crate) const PY311: &str = "python:3.11-slim";
        }

        #[python_container_test(image = ["python:3.9-slim", "python:3.13-slim"])]
        fn string_images(py: &PythonContainer) {
            let _: i64 = py.eval("1").unwrap_or_else(|_| helper());
        }

        #[python_container_test(image = [PY39, self::PY313, images::PY311, crate::IMAGE])]
        fn const_images(py: PythonContainer) {
            drop(py);
        }

        /// The tests are named `spec_a` and `spec_b`, like the fns they call.
        #[python_container_test(fixture = [spec_a, self::spec_b], gpu = "auto", shared = false, preload = ["json"])]
        fn fixtures(py: &PythonContainer) {
            let _ = py;
        }

        #[python_container_test(image = [PY39, PY313], flavor = "multi_thread")]
        async fn async_owned(py: AsyncPythonContainer) {
            let _ = py.python("pass").await;
        }

        #[python_container_test(image = [PY39, PY313])]
        async fn async_borrowed(py: &AsyncPythonContainer) -> Result<(), Error> {
            let _: i64 = py.eval("1").await?;
            Ok(())
        }

        #[python_container_test(image = [PY39, PY313])]
        async fn async_blocking_handle(py: &PythonContainer) {
            let _ = py;
            std::future::ready(()).await;
        }

        #[python_container_test(image = [PY39, PY313])]
        fn result_return(py: &PythonContainer) -> Result<(), Error> {
            let _: i64 = py.eval("1")?;
            Ok(())
        }

        #[python_container_test(image = [PY39, PY313])]
        fn result_self_path(py: &PythonContainer) -> self::Outcome {
            let _ = py;
            Ok(())
        }

        type Outcome = Result<(), String>;

        /// `#[ignore]` and `#[should_panic]` go on every test.
        #[python_container_test(image = ["python:3.9", "python-3.9", "python:3.9.x"])]
        #[ignore = "needs Docker"]
        #[should_panic(expected = "boom")]
        fn attributes_kept(_: &PythonContainer) {
            panic!("boom");
        }
    }
}

/// An image const named from the crate root (`crate::IMAGE` above).
#[allow(dead_code)]
const IMAGE: &str = "python:3.12-slim";
