// A user of a crate that re-exports the runtime: only that crate is named.
#![allow(unused)]

use python_container_test_renamed::pct::PythonContainer;

#[python_container_test_renamed::pct::python_container_test(
    crate = python_container_test_renamed::pct,
    image = ["python:3.9-slim", "python:3.13-slim"]
)]
fn through_a_reexport(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
