use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim")]
fn owned_handle(py: PythonContainer) {
    drop(py);
}

fn main() {}
