//! Tests of the `ours` suite (see the workspace manifest).

use ours::record;
use python_container_test::{python_container_test, PythonContainer};

const BIN: &str = env!("CARGO_CRATE_NAME");

#[python_container_test(image = "python-container-test/python:3.11")]
fn t1(py: &PythonContainer) {
    record(py, BIN, "t1");
    assert_eq!(py.eval::<i64>("1 * 1").unwrap(), 1);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t2(py: &PythonContainer) {
    record(py, BIN, "t2");
    assert_eq!(py.eval::<i64>("2 * 2").unwrap(), 4);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t3(py: &PythonContainer) {
    record(py, BIN, "t3");
    assert_eq!(py.eval::<i64>("3 * 3").unwrap(), 9);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t4(py: &PythonContainer) {
    record(py, BIN, "t4");
    assert_eq!(py.eval::<i64>("4 * 4").unwrap(), 16);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t5(py: &PythonContainer) {
    record(py, BIN, "t5");
    assert_eq!(py.eval::<i64>("5 * 5").unwrap(), 25);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t6(py: &PythonContainer) {
    record(py, BIN, "t6");
    assert_eq!(py.eval::<i64>("6 * 6").unwrap(), 36);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t7(py: &PythonContainer) {
    record(py, BIN, "t7");
    assert_eq!(py.eval::<i64>("7 * 7").unwrap(), 49);
}
