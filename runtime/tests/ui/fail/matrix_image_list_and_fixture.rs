use python_container_test::{python_container_test, ContainerSpec, PythonContainer};

fn spec() -> ContainerSpec {
    ContainerSpec::image("python:3.13-slim")
}

#[python_container_test(image = ["python:3.9-slim", "python:3.13-slim"], fixture = spec)]
fn matrix_image_list_and_fixture(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
