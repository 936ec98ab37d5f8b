use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim", crate = 1)]
fn bad_crate(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
