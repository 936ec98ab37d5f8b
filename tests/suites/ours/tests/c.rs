//! Tests of the `ours` suite (see the workspace manifest).

use ours::record;
use python_container_test::{python_container_test, PythonContainer};

const BIN: &str = env!("CARGO_CRATE_NAME");

#[python_container_test(image = "python-container-test/python:3.11")]
fn t15(py: &PythonContainer) {
    record(py, BIN, "t15");
    assert_eq!(py.eval::<i64>("15 * 15").unwrap(), 225);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t16(py: &PythonContainer) {
    record(py, BIN, "t16");
    assert_eq!(py.eval::<i64>("16 * 16").unwrap(), 256);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t17(py: &PythonContainer) {
    record(py, BIN, "t17");
    assert_eq!(py.eval::<i64>("17 * 17").unwrap(), 289);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t18(py: &PythonContainer) {
    record(py, BIN, "t18");
    assert_eq!(py.eval::<i64>("18 * 18").unwrap(), 324);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t19(py: &PythonContainer) {
    record(py, BIN, "t19");
    assert_eq!(py.eval::<i64>("19 * 19").unwrap(), 361);
}

#[python_container_test(image = "python-container-test/python:3.11")]
fn t20(py: &PythonContainer) {
    record(py, BIN, "t20");
    assert_eq!(py.eval::<i64>("20 * 20").unwrap(), 400);
}

/// Holds its container for `PCT_HOLD_SECS` (default 600 s): the driver uses it
/// to kill a run mid-test (nextest's slow-timeout, Ctrl-C).
#[python_container_test(image = "python-container-test/python:3.11")]
#[ignore = "holds the container for a long time; run by tests/tests/workspace_runs.rs"]
fn hold(py: &PythonContainer) {
    record(py, BIN, "hold");
    assert_eq!(py.eval::<i64>("1 + 1").unwrap(), 2);
    std::thread::sleep(ours::hold_time());
}
