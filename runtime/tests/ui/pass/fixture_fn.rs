// trybuild builds this as a plain binary, where rustc drops `#[test]` fns: it
// checks that the macro accepts this use. `tests/macro_ui.rs` type-checks it.
#![allow(unused)]

use python_container_test::{python_container_test, PythonContainer};

mod support {
    use python_container_test::ContainerSpec;

    pub fn spec() -> ContainerSpec {
        ContainerSpec::image("python:3.12-slim").env("PYTHONHASHSEED", "0")
    }
}

#[python_container_test(fixture = support::spec, shared = false)]
fn fixture_fn(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
