use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim")]
async fn async_fn(py: &PythonContainer) {
    let _ = py;
    std::future::ready(()).await;
}

fn main() {}
