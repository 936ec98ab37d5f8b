//! What a `#[python_container_test]` does around the test body: acquire the
//! container, run the body, and on failure say how to get into the container
//! (and keep it, when asked to).

use crate::__private::TestOutcome;
use crate::{ContainerSpec, PythonContainer};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// How much of the container's log a failed test prints.
const LOG_TAIL_LINES: usize = 20;

/// Set to `1` to keep a failed test's container for debugging.
pub const KEEP_VAR: &str = "PYTHON_CONTAINER_TEST_KEEP";

/// Acquires the container, runs `body`, and reports on failure. Panics,
/// naming the image and the cause, when the container cannot be had.
pub fn run_test<R: TestOutcome>(
    spec: ContainerSpec,
    test_name: &'static str,
    body: impl FnOnce(&PythonContainer) -> R,
) -> R {
    let image = spec.image_name();
    let handle = match PythonContainer::for_test(spec, test_name) {
        Ok(handle) => handle,
        Err(e) => panic!(
            "python-container-test: no container of image `{image}` for test `{test_name}`: {}",
            python_container_test_fixtures::with_causes(&e)
        ),
    };
    match catch_unwind(AssertUnwindSafe(|| body(&handle))) {
        Ok(outcome) => {
            if outcome.failed() {
                report_failure(&handle, test_name);
            }
            outcome
        }
        Err(panic) => {
            report_failure(&handle, test_name);
            resume_unwind(panic)
        }
    }
}

/// Tells where the failed test ran; keeps the container when [`KEEP_VAR`] is set.
fn report_failure(handle: &PythonContainer, test_name: &str) {
    let tail: crate::Result<String> =
        python_container_test_fixtures::block_on(handle.handle.logs(Some(LOG_TAIL_LINES)));
    if let Ok(tail) = tail {
        eprintln!(
            "python-container-test: last {} lines of the log of container {}:\n{}",
            tail.lines().count(),
            handle.name(),
            tail.trim_end()
        );
    }
    let keep = std::env::var(KEEP_VAR).is_ok_and(|v| v == "1" || v == "true");
    if !keep {
        eprintln!(
            "python-container-test: `{test_name}` failed in container {} (image {}, workdir {}). \
             Set {KEEP_VAR}=1 to keep the container after a failure and get into it.",
            handle.name(),
            handle.image(),
            handle.workdir()
        );
        return;
    }
    match handle.keep() {
        Ok(kept) => eprintln!(
            "python-container-test: `{test_name}` failed; its container is kept as `{kept}` \
             (image {}). Get into it with:\n    docker exec -it -w {} {kept} sh\n\
             and remove it with:\n    docker rm -f {kept}",
            handle.image(),
            handle.workdir()
        ),
        Err(e) => eprintln!(
            "python-container-test: `{test_name}` failed in container {}; keeping it failed: {e}",
            handle.name()
        ),
    }
}
