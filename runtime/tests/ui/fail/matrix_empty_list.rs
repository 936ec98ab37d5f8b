use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = [])]
fn matrix_empty_list(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
