//! Entry points of the code that `#[python_container_test]` generates.
//! Not a public API: it may change in any release.

use std::future::Future;

pub use crate::harness::run_test;
pub use crate::{AsyncPythonContainer, ContainerSpec, GpuMode, PythonContainer};

/// Turns the harness's handles into the type of the test's parameter
/// (`&PythonContainer`, `PythonContainer`, `&AsyncPythonContainer` or
/// `AsyncPythonContainer`).
#[diagnostic::on_unimplemented(
    message = "the handle parameter must be `&PythonContainer`, `PythonContainer`, `&AsyncPythonContainer` or `AsyncPythonContainer`, not `{Self}`",
    label = "change this type to `&PythonContainer` (or `&AsyncPythonContainer` in an async test)"
)]
pub trait FromHandle<'a> {
    /// Converts the handle.
    fn from_handle(handle: &'a PythonContainer, async_handle: &'a AsyncPythonContainer) -> Self;
}

impl<'a> FromHandle<'a> for &'a PythonContainer {
    fn from_handle(handle: &'a PythonContainer, _: &'a AsyncPythonContainer) -> Self {
        handle
    }
}

impl<'a> FromHandle<'a> for PythonContainer {
    fn from_handle(handle: &'a PythonContainer, _: &'a AsyncPythonContainer) -> Self {
        handle.clone()
    }
}

impl<'a> FromHandle<'a> for &'a AsyncPythonContainer {
    fn from_handle(_: &'a PythonContainer, async_handle: &'a AsyncPythonContainer) -> Self {
        async_handle
    }
}

impl<'a> FromHandle<'a> for AsyncPythonContainer {
    fn from_handle(_: &'a PythonContainer, async_handle: &'a AsyncPythonContainer) -> Self {
        async_handle.clone()
    }
}

/// Whether a test's return value means it failed.
#[diagnostic::on_unimplemented(
    message = "a #[python_container_test] returns `()` or `Result<T, E>`, not `{Self}`"
)]
pub trait TestOutcome {
    /// True when the test failed.
    fn failed(&self) -> bool;
}

impl TestOutcome for () {
    fn failed(&self) -> bool {
        false
    }
}

impl<T, E> TestOutcome for Result<T, E> {
    fn failed(&self) -> bool {
        self.is_err()
    }
}

/// Drives an `async` test body to completion on a fresh current-thread
/// runtime (as `#[tokio::test]` does by default).
pub fn run_async<F: Future>(future: F) -> F::Output {
    run_on(tokio::runtime::Builder::new_current_thread(), future)
}

/// Drives an `async` test body on a fresh multi-thread runtime
/// (`flavor = "multi_thread"`).
pub fn run_async_multi_thread<F: Future>(future: F) -> F::Output {
    run_on(tokio::runtime::Builder::new_multi_thread(), future)
}

fn run_on<F: Future>(mut builder: tokio::runtime::Builder, future: F) -> F::Output {
    match builder.enable_all().build() {
        Ok(rt) => rt.block_on(future),
        Err(e) => {
            panic!("python-container-test: cannot build a tokio runtime for the async test: {e}")
        }
    }
}
