//! The `tcstatic` suite: the tests of `ours` with testcontainers-rs, sharing
//! one container per test process through a `static`, the usual way to make
//! testcontainers-rs faster. A `static` is never dropped, so its container is
//! never removed: each test process leaks one (20 under `cargo nextest run`,
//! one per test binary under `cargo test`). The benchmark counts and removes
//! them.
//!
//! Every container carries `python-container-test.managed=true`,
//! `python-container-test.bench=tcstatic` and
//! `python-container-test.bench-run=$PCT_BENCH_RUN` (or `none`).

use std::sync::OnceLock;
use testcontainers::core::ExecCommand;
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, GenericImage, ImageExt};

/// This process's container, started by the first test that asks.
pub fn shared() -> &'static Container<GenericImage> {
    static CONTAINER: OnceLock<Container<GenericImage>> = OnceLock::new();
    CONTAINER.get_or_init(|| {
        let run = std::env::var("PCT_BENCH_RUN").unwrap_or_else(|_| "none".to_owned());
        GenericImage::new("python-container-test/python", "3.11")
            .with_cmd(["sleep", "infinity"])
            .with_label("python-container-test.managed", "true")
            .with_label("python-container-test.bench", "tcstatic")
            .with_label("python-container-test.bench-run", run)
            .start()
            .expect("start a container")
    })
}

/// Evaluates `expr` with `python3 -c 'print(expr)'` in the container.
pub fn eval_i64(container: &Container<GenericImage>, expr: &str) -> i64 {
    let code = format!("print({expr})");
    let mut result = container
        .exec(ExecCommand::new(["python3", "-c", code.as_str()]))
        .expect("exec python3");
    let stdout = result.stdout_to_vec().expect("read stdout");
    let stdout = String::from_utf8_lossy(&stdout);
    assert_eq!(result.exit_code().expect("exit code"), Some(0));
    stdout
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("`{expr}` printed {stdout:?}: {e}"))
}
