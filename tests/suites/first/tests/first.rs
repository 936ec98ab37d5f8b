//! One test that acquires a container (in the scope the caller sets: a fresh
//! one makes it a cold start) and makes two fast calls. With
//! `PCT_BENCH_SPANS=1` and `--nocapture` it prints the durations the
//! benchmark parses; with `RUST_LOG=python_container_test_fixtures=debug`,
//! the crate's spans and events.

use python_container_test::{ContainerSpec, PythonContainer};
use std::time::Instant;

#[test]
fn first_acquire() {
    first::show_spans();
    let start = Instant::now();
    let py =
        PythonContainer::start(ContainerSpec::image("python-container-test/python:3.11")).unwrap();
    let acquired = start.elapsed();
    // The first fast call starts the container's fork server.
    let call = Instant::now();
    py.python("pass").unwrap().assert_success();
    let first_call = call.elapsed();
    let call = Instant::now();
    py.python("pass").unwrap().assert_success();
    let second_call = call.elapsed();
    if std::env::var_os("PCT_BENCH_SPANS").is_some() {
        println!("PCT_TIME handle {}", acquired.as_micros());
        println!("PCT_TIME first_call {}", first_call.as_micros());
        println!("PCT_TIME second_call {}", second_call.as_micros());
    }
}
