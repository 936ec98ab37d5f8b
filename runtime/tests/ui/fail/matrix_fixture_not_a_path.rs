use python_container_test::{python_container_test, ContainerSpec, PythonContainer};

fn spec() -> ContainerSpec {
    ContainerSpec::image("python:3.13-slim")
}

#[python_container_test(fixture = [spec, "python:3.9-slim", spec()])]
fn matrix_fixture_not_a_path(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
