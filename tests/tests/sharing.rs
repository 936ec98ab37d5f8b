//! Ten tests with one spec in one binary use one container.
//!
//! Under `cargo test` they run on threads of one process: concurrent tests
//! share this process's lease, and a test that starts after the others ended
//! finds the container still lingering. Each test checks that it saw the
//! same container as the first one. (Under nextest every test is a process
//! of its own; the cross-process proofs are in `lifecycle.rs`.)

use python_container_test::{python_container_test, PythonContainer};
use python_container_test_e2e::IMAGE;
use std::sync::OnceLock;

static FIRST: OnceLock<String> = OnceLock::new();

fn check(py: &PythonContainer) {
    let first = FIRST.get_or_init(|| py.id().to_owned());
    assert_eq!(first, py.id(), "every test of this spec uses one container");
    let v: i64 = py.eval("sum(range(5))").unwrap();
    assert_eq!(v, 10);
}

#[python_container_test(image = IMAGE)]
fn shared_1(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_2(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_3(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_4(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_5(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_6(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_7(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_8(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_9(py: &PythonContainer) {
    check(py)
}
#[python_container_test(image = IMAGE)]
fn shared_10(py: &PythonContainer) {
    check(py)
}

#[python_container_test(image = IMAGE, shared = false)]
fn unshared_gets_its_own_container(py: &PythonContainer) {
    let shared =
        PythonContainer::start(python_container_test::ContainerSpec::image(IMAGE)).unwrap();
    assert_ne!(shared.id(), py.id());
}
