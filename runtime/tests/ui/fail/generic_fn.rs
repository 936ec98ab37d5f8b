use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim")]
fn generic_fn<T: Default>(py: &PythonContainer) {
    let _ = (py, T::default());
}

fn main() {}
