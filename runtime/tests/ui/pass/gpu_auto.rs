use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim", gpu = "auto")]
fn gpu_auto(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
