use python_container_test::{python_container_test, ContainerSpec, PythonContainer};

fn spec() -> ContainerSpec {
    ContainerSpec::image("python:3.13-slim")
}

#[python_container_test(fixture = [spec, self::spec, spec])]
fn matrix_duplicate_fixture(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
