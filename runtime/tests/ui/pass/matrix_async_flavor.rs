// trybuild builds this as a plain binary, where rustc drops `#[test]` fns: it
// checks that the macro accepts this use. `tests/macro_ui.rs` type-checks it.
#![allow(unused)]

use python_container_test::{python_container_test, AsyncPythonContainer, PythonContainer};

#[python_container_test(image = ["python:3.9-slim", "python:3.13-slim"], flavor = "multi_thread")]
async fn owned_async(py: AsyncPythonContainer) {
    let _ = py.python("pass").await;
}

#[python_container_test(image = ["python:3.9-slim", "python:3.13-slim"])]
async fn borrowed_async(py: &AsyncPythonContainer) {
    let _ = py.eval::<i64>("1").await;
}

#[python_container_test(image = ["python:3.9-slim", "python:3.13-slim"], flavor = "current_thread")]
async fn blocking_handle(py: &PythonContainer) {
    let _ = py;
    std::future::ready(()).await;
}

fn main() {}
