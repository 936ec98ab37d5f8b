// trybuild builds this as a plain binary, where rustc drops `#[test]` fns: it
// checks that the macro accepts this use. `tests/macro_ui.rs` type-checks it.
#![allow(unused)]

use python_container_test::{python_container_test, PythonContainer};

const PY313: &str = "python:3.13-slim";

mod images {
    pub const PY315: &str = "python:3.15-slim";
}

/// One test per image: `squares::python_3_9_slim`, `squares::py313`, `squares::py315`.
#[python_container_test(image = ["python:3.9-slim", PY313, images::PY315], gpu = "auto", preload = ["json"])]
fn squares(py: &PythonContainer) {
    let v: Vec<i64> = py.eval("[i * i for i in range(4)]").unwrap();
    assert_eq!(v, [0, 1, 4, 9]);
}

/// Entries that name alike: `python_3_9` and `python_3_9_2`.
#[python_container_test(image = ["python:3.9", "python-3.9"])]
fn alike(py: PythonContainer) {
    drop(py);
}

fn main() {}
