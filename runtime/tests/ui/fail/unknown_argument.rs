use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim", imgae = "python:3.11")]
fn unknown_argument(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
