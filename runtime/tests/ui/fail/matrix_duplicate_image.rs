use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = ["python:3.9-slim", "python:3.13-slim", "python:3.9-slim"])]
fn matrix_duplicate_image(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
