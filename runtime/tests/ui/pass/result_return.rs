use python_container_test::{python_container_test, PythonContainer};

#[python_container_test(image = "python:3.12-slim")]
fn result_return(py: &PythonContainer) -> Result<(), String> {
    let _ = py;
    Ok(())
}

fn main() {}
