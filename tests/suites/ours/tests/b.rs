//! Tests of the `ours` suite (see the workspace manifest).

use ours::record;
use python_container_test::{python_container_test, PythonContainer};

const BIN: &str = env!("CARGO_CRATE_NAME");

#[python_container_test(image = "python-container-test/python:3.11")]
fn t8(py: &PythonContainer) {
    record(py, BIN, "t8");
    assert_eq!(py.eval::<i64>("8 * 8").unwrap(), 64);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t9(py: &PythonContainer) {
    record(py, BIN, "t9");
    assert_eq!(py.eval::<i64>("9 * 9").unwrap(), 81);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t10(py: &PythonContainer) {
    record(py, BIN, "t10");
    assert_eq!(py.eval::<i64>("10 * 10").unwrap(), 100);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t11(py: &PythonContainer) {
    record(py, BIN, "t11");
    assert_eq!(py.eval::<i64>("11 * 11").unwrap(), 121);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t12(py: &PythonContainer) {
    record(py, BIN, "t12");
    assert_eq!(py.eval::<i64>("12 * 12").unwrap(), 144);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t13(py: &PythonContainer) {
    record(py, BIN, "t13");
    assert_eq!(py.eval::<i64>("13 * 13").unwrap(), 169);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t14(py: &PythonContainer) {
    record(py, BIN, "t14");
    assert_eq!(py.eval::<i64>("14 * 14").unwrap(), 196);
}
