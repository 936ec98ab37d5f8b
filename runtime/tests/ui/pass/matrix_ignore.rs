// trybuild builds this as a plain binary, where rustc drops `#[test]` fns: it
// checks that the macro accepts this use. `tests/macro_ui.rs` type-checks it.
#![allow(unused)]

use python_container_test::{python_container_test, PythonContainer};

/// Every test of the list is ignored.
#[python_container_test(image = ["python:3.9-slim", "python:3.13-slim"])]
#[ignore = "needs Docker"]
fn ignored(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
