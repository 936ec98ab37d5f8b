//! After a failure: the message says where the test ran, and with
//! `PYTHON_CONTAINER_TEST_KEEP=1` the container stays for debugging.
//! A container that dies mid-test gives a clear error, and the next test gets
//! a fresh one.

use python_container_test::__private::run_test;
use python_container_test::{ContainerError, ContainerSpec, Error, PythonContainer, KEEP_VAR};
use python_container_test_e2e::{container_exists, docker, IMAGE};
use std::time::Duration;

#[test]
fn a_failed_test_keeps_its_container_when_asked() {
    // The only test of this binary that sets the variable.
    std::env::set_var(KEEP_VAR, "1");
    std::env::set_var("PYTHON_CONTAINER_TEST_LINGER", "0.5");
    let spec = ContainerSpec::image(IMAGE).env("E2E", "keep");
    let mut seen = None;
    let failed = std::panic::catch_unwind::<_, ()>(std::panic::AssertUnwindSafe(|| {
        run_test(spec.clone(), "debugging::kept", |py| {
            py.write_file("evidence.txt", "look here").unwrap();
            seen = Some((py.id().to_owned(), py.workdir().to_owned()));
            panic!("the test fails");
        })
    }));
    std::env::remove_var(KEEP_VAR);
    assert!(failed.is_err());
    let (id, workdir) = seen.unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let name = docker(&["inspect", "--format", "{{.Name}}", &id]);
    assert!(name.contains("-kept-"), "renamed for debugging: {name}");
    let evidence = docker(&["exec", &id, "cat", &format!("{workdir}/evidence.txt")]);
    assert_eq!(evidence, "look here", "the workdir is kept too");
    // A new test of the same spec gets a fresh container.
    let fresh = PythonContainer::start(spec).unwrap();
    assert_ne!(fresh.id(), id);
    docker(&["rm", "-f", &id]);
    assert!(!container_exists(&id));
}

#[test]
fn a_container_that_dies_mid_test_is_a_clear_error_then_a_fresh_one() {
    let spec = ContainerSpec::image(IMAGE).env("E2E", "dies");
    let py = PythonContainer::start(spec.clone()).unwrap();
    let id = py.id().to_owned();
    docker(&["kill", &id]);
    let started = std::time::Instant::now();
    let err = py.python("print(1)").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "no hang");
    assert!(
        matches!(err, Error::Container(ContainerError::ContainerGone { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("is gone"), "{err}");
    drop(py);
    let fresh = PythonContainer::start(spec).unwrap();
    assert_ne!(fresh.id(), id);
    let v: i64 = fresh.eval("1 + 1").unwrap();
    assert_eq!(v, 2);
}

#[test]
fn a_failed_test_prints_the_log_tail_and_how_to_keep_the_container() {
    let scope = python_container_test_e2e::unique_scope("fail-report");
    let out = python_container_test_e2e::probe(env!("CARGO_BIN_EXE_probe"), &scope, 0.5)
        .args(["--end", "fail-test"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the test's own assertion"), "{stderr}");
    assert!(
        stderr.contains("lines of the log of container pct-"),
        "{stderr}"
    );
    assert!(stderr.contains("agent: ready"), "the log itself: {stderr}");
    assert!(
        stderr.contains("`probe::failing_test` failed in container pct-"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Set PYTHON_CONTAINER_TEST_KEEP=1"),
        "{stderr}"
    );
}
