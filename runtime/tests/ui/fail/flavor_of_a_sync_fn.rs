use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim", flavor = "multi_thread")]
fn not_async(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
