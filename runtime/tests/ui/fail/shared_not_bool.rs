use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim", shared = "no")]
fn shared_not_bool(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
