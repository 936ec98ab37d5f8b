use python_container_test::python_container_test;

#[python_container_test(image = "python:3.12-slim")]
fn zero_params() {}

fn main() {}
