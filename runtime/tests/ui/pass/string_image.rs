// trybuild builds this as a plain binary, where rustc drops `#[test]` fns: it
// checks that the macro accepts this use. `tests/macro_ui.rs` type-checks it.
#![allow(unused)]

use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim")]
fn string_image(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
