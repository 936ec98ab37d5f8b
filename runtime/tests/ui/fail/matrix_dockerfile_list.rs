use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(dockerfile = ["a/Dockerfile", "b/Dockerfile"])]
fn matrix_dockerfile_list(py: &PythonContainer) {
    let _ = py;
}

fn main() {}
