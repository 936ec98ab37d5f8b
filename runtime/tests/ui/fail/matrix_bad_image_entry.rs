use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = ["python:3.9-slim", 3.13])]
fn matrix_bad_image_entry(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
