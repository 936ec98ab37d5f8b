// trybuild builds this as a plain binary, where rustc drops `#[test]` fns: it
// checks that the macro accepts this use. `tests/macro_ui.rs` type-checks it.
#![allow(unused)]

use python_container_test::{python_container_test, ContainerSpec, PythonContainer};

fn spec_a() -> ContainerSpec {
    ContainerSpec::image("python:3.9-slim")
}

mod support {
    use python_container_test::ContainerSpec;

    pub fn spec_b() -> ContainerSpec {
        ContainerSpec::image("python:3.13-slim").env("PYTHONHASHSEED", "0")
    }
}

/// Tests `fixtures::spec_a` and `fixtures::spec_b`.
#[python_container_test(fixture = [spec_a, support::spec_b], shared = false)]
fn fixtures(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
