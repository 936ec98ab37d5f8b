//! The real runners on a real workspace: `cargo test` and `cargo nextest run`
//! of `tests/suites/ours` (20 tests in 3 binaries). All tests of a run share
//! ONE container, and no container of the run's scope is left linger + 3 s
//! after the run ends, however it ends (passes, nextest's slow-timeout kills a
//! test, Ctrl-C).
//!
//! The first run builds the suites into `target/suites` (minutes, once).

#[path = "../suites/driver.rs"]
mod driver;

use driver::{build_once, cargo, run, Finished, Running};
use python_container_test_e2e::{containers_in_scope, unique_scope, wait_until_empty};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const LINGER: f64 = 2.0;
/// Limit of one run of the suite (after the build).
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// The promise: gone at most linger + 3 s after the run ends.
fn teardown_budget() -> Duration {
    Duration::from_secs_f64(LINGER + 3.0)
}

/// One scenario at a time within a process (`cargo test` runs tests on
/// threads): they measure teardown times and share 2 cores with the build.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// `cargo <args>` on the suites with this scope, the linger and, when given,
/// the record folder.
fn suite_cmd(args: &[&str], scope: &str, records: Option<&Path>) -> Command {
    let mut cmd = cargo(args);
    cmd.env("PYTHON_CONTAINER_TEST_SCOPE", scope)
        .env("PYTHON_CONTAINER_TEST_LINGER", LINGER.to_string());
    if let Some(dir) = records {
        cmd.env("PCT_RECORD_DIR", dir);
    }
    cmd
}

/// `<binary>-<test>` → container id, from the record folder.
fn records(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let id = std::fs::read_to_string(e.path()).unwrap();
            (e.file_name().to_string_lossy().into_owned(), id)
        })
        .collect()
}

/// The 20 tests of the suite, as their records are named.
fn expected_records() -> Vec<String> {
    let bins = [("a", 1..=7), ("b", 8..=14), ("c", 15..=20)];
    let mut names: Vec<String> = bins
        .into_iter()
        .flat_map(|(bin, range)| range.map(move |n| format!("{bin}-t{n}")))
        .collect();
    names.sort();
    names
}

fn assert_one_container_for_all(dir: &Path, out: &Finished) {
    let records = records(dir);
    let names: Vec<String> = records.keys().cloned().collect();
    assert_eq!(names, expected_records(), "records of {out:?}");
    let ids: std::collections::BTreeSet<&String> = records.values().collect();
    assert_eq!(
        ids.len(),
        1,
        "the 20 tests ran in {} containers: {records:#?}",
        ids.len()
    );
    let id = ids.into_iter().next().unwrap();
    assert_eq!(id.len(), 64, "a full container id: {id:?}");
}

fn assert_gone_after_run(scope: &str, what: &str) {
    let left = wait_until_empty(teardown_budget(), || containers_in_scope(scope));
    assert!(
        left.is_empty(),
        "{what}: left behind {:?} after the run: {left:?}",
        teardown_budget()
    );
}

/// Waits until the `hold` test has its container (its record is written),
/// up to 2 minutes.
fn wait_for_hold(running: &Running, records: &Path, scope: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    let record = records.join("c-hold");
    loop {
        if let Ok(id) = std::fs::read_to_string(&record) {
            let live = containers_in_scope(scope);
            assert_eq!(
                live,
                std::slice::from_ref(&id),
                "the hold test's container is the scope's only one"
            );
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "`{}`: the hold test got no container within 2 minutes",
            running.what
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn cargo_test_runs_the_three_binaries_in_one_container() {
    let _serial = serial();
    build_once();
    let scope = unique_scope("ws-cargo-test");
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        suite_cmd(&["test", "-p", "ours"], &scope, Some(dir.path())),
        RUN_TIMEOUT,
    );
    assert!(out.status.success(), "{out:?}");
    for bin in ["a", "b", "c"] {
        assert!(
            out.stderr.contains(&format!("tests/{bin}.rs")),
            "binary {bin} ran: {out:?}"
        );
    }
    assert_one_container_for_all(dir.path(), &out);
    assert_gone_after_run(&scope, "cargo test");
}

#[test]
fn nextest_runs_the_twenty_processes_in_one_container() {
    let _serial = serial();
    build_once();
    let scope = unique_scope("ws-nextest");
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        suite_cmd(
            &["nextest", "run", "-p", "ours", "--no-fail-fast"],
            &scope,
            Some(dir.path()),
        ),
        RUN_TIMEOUT,
    );
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.contains("20 tests run: 20 passed"), "{out:?}");
    assert_one_container_for_all(dir.path(), &out);
    assert_gone_after_run(&scope, "cargo nextest run");
}

#[test]
fn a_test_killed_by_nextest_slow_timeout_leaves_nothing() {
    let _serial = serial();
    build_once();
    let scope = unique_scope("ws-slow-timeout");
    let dir = tempfile::tempdir().unwrap();
    // The `slow-kill` profile (tests/suites/.config/nextest.toml) terminates a
    // test after 2 × 2 s; `hold` would hold its container for 10 minutes.
    let out = run(
        suite_cmd(
            &[
                "nextest",
                "run",
                "-p",
                "ours",
                "--profile",
                "slow-kill",
                "--run-ignored",
                "only",
                "-E",
                "test(=hold)",
            ],
            &scope,
            Some(dir.path()),
        ),
        RUN_TIMEOUT,
    );
    assert!(
        !out.status.success(),
        "the hold test must be killed: {out:?}"
    );
    assert!(
        out.stderr.contains("TIMEOUT"),
        "killed by slow-timeout: {out:?}"
    );
    assert!(
        dir.path().join("c-hold").exists(),
        "the test had its container when it was killed: {out:?}"
    );
    assert_gone_after_run(&scope, "nextest slow-timeout");
}

/// Starts `args` on the `hold` test, waits until it holds its container, sends
/// SIGINT to the whole process group (Ctrl-C in a terminal), and checks that
/// nothing is left.
fn ctrl_c(args: &[&str], name: &str) {
    let _serial = serial();
    build_once();
    let scope = unique_scope(name);
    let dir = tempfile::tempdir().unwrap();
    let running = Running::spawn(suite_cmd(args, &scope, Some(dir.path())));
    wait_for_hold(&running, dir.path(), &scope);
    running.signal_group("INT");
    let out = running.finish(Duration::from_secs(60));
    assert!(!out.status.success(), "interrupted: {out:?}");
    assert_gone_after_run(&scope, &out.what);
}

#[test]
fn ctrl_c_on_cargo_nextest_leaves_nothing() {
    ctrl_c(
        &[
            "nextest",
            "run",
            "-p",
            "ours",
            "--run-ignored",
            "only",
            "-E",
            "test(=hold)",
        ],
        "ws-ctrl-c-nextest",
    );
}

#[test]
fn ctrl_c_on_cargo_test_leaves_nothing() {
    ctrl_c(
        &[
            "test",
            "-p",
            "ours",
            "--test",
            "c",
            "--",
            "--ignored",
            "--exact",
            "hold",
        ],
        "ws-ctrl-c-cargo-test",
    );
}
