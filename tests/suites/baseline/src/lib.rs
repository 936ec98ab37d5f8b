//! The `baseline` suite: what the tests of `ours` look like with
//! testcontainers-rs alone, one container per test.
//!
//! Every container carries `python-container-test.managed=true`,
//! `python-container-test.bench=baseline` and
//! `python-container-test.bench-run=$PCT_BENCH_RUN` (or `none`), so that a
//! benchmark can count what a run leaves behind.

use testcontainers::core::ExecCommand;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

/// Label of every container the project creates.
pub const MANAGED: (&str, &str) = ("python-container-test.managed", "true");
/// Label of the baseline suite's containers.
pub const BENCH: (&str, &str) = ("python-container-test.bench", "baseline");
/// Label key whose value is `PCT_BENCH_RUN`: one benchmark run.
pub const BENCH_RUN: &str = "python-container-test.bench-run";

/// Starts a fresh container of the project's Python image that sleeps.
pub async fn start() -> ContainerAsync<GenericImage> {
    let run = std::env::var("PCT_BENCH_RUN").unwrap_or_else(|_| "none".to_owned());
    GenericImage::new("python-container-test/python", "3.11")
        .with_cmd(["sleep", "infinity"])
        .with_label(MANAGED.0, MANAGED.1)
        .with_label(BENCH.0, BENCH.1)
        .with_label(BENCH_RUN, run)
        .start()
        .await
        .expect("start a container")
}

/// Evaluates `expr` with `python3 -c 'print(expr)'` in the container.
pub async fn eval_i64(container: &ContainerAsync<GenericImage>, expr: &str) -> i64 {
    let code = format!("print({expr})");
    let mut result = container
        .exec(ExecCommand::new(["python3", "-c", code.as_str()]))
        .await
        .expect("exec python3");
    let stdout = result.stdout_to_vec().await.expect("read stdout");
    let stdout = String::from_utf8_lossy(&stdout);
    assert_eq!(result.exit_code().await.expect("exit code"), Some(0));
    stdout
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("`{expr}` printed {stdout:?}: {e}"))
}
