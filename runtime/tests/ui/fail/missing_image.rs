use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(gpu = false)]
fn missing_image(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
