//! Entry points of the code that `#[python_container_test]` generates.
//! Not a public API: it may change in any release.

use std::future::Future;

pub use crate::{ContainerSpec, GpuMode, PythonContainer};

/// Turns the harness's handle into the type of the test's parameter
/// (`&PythonContainer` or `PythonContainer`).
#[diagnostic::on_unimplemented(
    message = "the handle parameter must be `&PythonContainer` or `PythonContainer`, not `{Self}`",
    label = "change this type to `&PythonContainer`"
)]
pub trait FromHandle<'a> {
    /// Converts the handle.
    fn from_handle(handle: &'a PythonContainer) -> Self;
}

impl<'a> FromHandle<'a> for &'a PythonContainer {
    fn from_handle(handle: &'a PythonContainer) -> Self {
        handle
    }
}

impl<'a> FromHandle<'a> for PythonContainer {
    fn from_handle(handle: &'a PythonContainer) -> Self {
        handle.clone()
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

/// Acquires the container for `spec`, runs the test body with a handle to it,
/// and releases it. Panics, naming the image and the cause, when the container
/// cannot be had.
pub fn run_test<R: TestOutcome>(
    spec: ContainerSpec,
    test_name: &'static str,
    body: impl FnOnce(&PythonContainer) -> R,
) -> R {
    crate::harness::run_test(spec, test_name, body)
}

/// Drives an `async` test body to completion on a fresh current-thread runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(future),
        Err(e) => {
            panic!("python-container-test: cannot build a tokio runtime for the async test: {e}")
        }
    }
}
