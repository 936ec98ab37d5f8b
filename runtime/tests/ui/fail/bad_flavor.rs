use python_container_test::{python_container_test, AsyncPythonContainer};

#[python_container_test(image = "python:3.12-slim", flavor = "many_threads")]
async fn bad_flavor(py: &AsyncPythonContainer) {
    let _ = py;
}

fn main() {}
