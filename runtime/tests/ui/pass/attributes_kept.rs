use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim")]
#[ignore = "needs Docker"]
fn ignored(py: &PythonContainer) {
    let _ = py;
}

#[python_container_test(image = "python:3.12-slim")]
#[should_panic(expected = "boom")]
fn should_panic(py: &PythonContainer) {
    let _ = py;
    panic!("boom");
}

fn main() {}
