// trybuild builds this as a plain binary, where rustc drops `#[test]` fns: it
// checks that the macro accepts this use. `tests/macro_ui.rs` type-checks it.
#![allow(unused)]

use python_container_test::{python_container_test, AsyncPythonContainer};

#[python_container_test(image = "python:3.12-slim")]
async fn borrowed(py: &AsyncPythonContainer) {
    let _ = py.eval::<i64>("1").await;
}

#[python_container_test(image = "python:3.12-slim", flavor = "multi_thread")]
async fn owned_multi_thread(py: AsyncPythonContainer) {
    let _ = py.python("pass").await;
}

fn main() {}
