use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim", shared = true, shared = false)]
fn duplicate_argument(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
