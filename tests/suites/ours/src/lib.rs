//! Helpers of the `ours` suite: recording which container a test ran in.

use python_container_test::PythonContainer;
use std::path::PathBuf;
use std::time::Duration;

/// When `PCT_RECORD_DIR` is set, writes `py.id()` to
/// `$PCT_RECORD_DIR/<binary>-<test>` (atomically: a temp file, then a rename),
/// so the driver can check which container each test ran in.
pub fn record(py: &PythonContainer, binary: &str, test: &str) {
    let Some(dir) = std::env::var_os("PCT_RECORD_DIR") else {
        return;
    };
    let dir = PathBuf::from(dir);
    let path = dir.join(format!("{binary}-{test}"));
    let tmp = dir.join(format!(".{binary}-{test}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, py.id()).expect("write the record");
    std::fs::rename(&tmp, &path).expect("publish the record");
}

/// How long the `hold` test keeps its container: `PCT_HOLD_SECS`, default 600.
pub fn hold_time() -> Duration {
    std::env::var("PCT_HOLD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(600))
}
