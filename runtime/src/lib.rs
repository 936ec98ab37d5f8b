//! Run Python inside real Docker containers from Rust tests.
//!
//! Annotate a test with [`python_container_test`] and take a
//! [`PythonContainer`] handle: the test runs against a container of the image
//! you name, shared with every other test (thread, process or test binary)
//! that asks for the same [`ContainerSpec`], and torn down when the last of
//! them is done, whatever way it ends.
//!
//! ```no_run
//! use python_container_test::{python_container_test, PythonContainer};
//!
//! #[python_container_test(image = "python-container-test/python:3.11")]
//! fn squares(py: &PythonContainer) {
//!     let v: Vec<i64> = py.eval("[i * i for i in range(4)]").unwrap();
//!     assert_eq!(v, [0, 1, 4, 9]);
//! }
//! ```
//!
//! See the README for configuration (environment variables) and troubleshooting.

mod async_handle;
mod copy;
mod error;
mod exec;
mod files;
mod handle;
mod harness;
mod ops;
mod python;
mod session;

#[doc(hidden)]
pub mod __private;

pub use async_handle::AsyncPythonContainer;
pub use error::{Error, Result};
pub use exec::{ExecOptions, ExecOutput};
pub use handle::PythonContainer;
pub use harness::KEEP_VAR;
pub use python_container_test_fixtures::{scope, ContainerSpec, Error as ContainerError, GpuMode};
pub use python_container_test_fixtures::{GpuAttachment, CDI_ALL_GPUS};
pub use python_container_test_fixtures::{Readiness, Service};
pub use python_container_test_macros::python_container_test;
pub use session::{AsyncSession, Session, SessionOutput};

/// The README's Rust examples, compiled as doc tests (`no_run`: they need an engine).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
