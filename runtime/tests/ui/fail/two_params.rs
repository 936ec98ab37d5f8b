use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim")]
fn two_params(py: &PythonContainer, retries: u32) {
    let _ = (py, retries);
}

fn main() {}
