//! `image = [...]`: one test per image, against the real engine, and the
//! names under which both test runners list them.
//!
//! The images are those of `docker/matrix/images.txt` (`bash
//! docker/build-images.sh` builds them). `PYTHON_CONTAINER_TEST_IMAGES=3.13
//! cargo test -p python-container-test-e2e --test matrix_attr` runs only the
//! 3.13 entries and shows the others as ignored.

use python_container_test::{python_container_test, PythonContainer};
use std::process::Command;

/// The images of `docker/matrix/images.txt`, with the test names they get.
const MATRIX: &[(&str, &str)] = &[
    ("python-container-test/official:3.9", "official_3_9"),
    ("python-container-test/official:3.11", "official_3_11"),
    ("python-container-test/venv:3.11", "venv_3_11"),
    ("python-container-test/official:3.13", "official_3_13"),
    ("python-container-test/official:3.14", "official_3_14"),
    ("python-container-test/official:3.15", "official_3_15"),
];

/// Each instance runs on its own image: the interpreter's version is the
/// one in the image's tag.
#[python_container_test(image = [
    "python-container-test/official:3.9",
    "python-container-test/official:3.13",
    "python-container-test/official:3.15",
])]
fn versions(py: &PythonContainer) {
    let tag = py.image().rsplit(':').next().unwrap();
    let version: String = py
        .eval("'%d.%d' % __import__('sys').version_info[:2]")
        .unwrap();
    assert_eq!(version, tag, "{}", py.image());
}

/// A small fidelity check on every image of the matrix.
#[python_container_test(image = [
    "python-container-test/official:3.9",
    "python-container-test/official:3.11",
    "python-container-test/venv:3.11",
    "python-container-test/official:3.13",
    "python-container-test/official:3.14",
    "python-container-test/official:3.15",
])]
fn fidelity(py: &PythonContainer) {
    let value: serde_json::Value = py
        .eval("{'a': [1, 2.5, None, True], 'b': 'é', 'n': {'x': -3}}")
        .unwrap();
    let expected = serde_json::json!({"a": [1, 2.5, null, true], "b": "é", "n": {"x": -3}});
    assert_eq!(value, expected, "{}", py.image());
    let code = "import sys; print('out', 6 * 7); print('err', file=sys.stderr); sys.exit(3)";
    let fast = py.with_fast_path(true).python(code).unwrap();
    let exec = py.with_fast_path(false).python(code).unwrap();
    assert_eq!(fast.stdout_str(), "out 42\n", "{}", py.image());
    assert_eq!(
        (fast.exit_code, fast.stdout_str(), fast.stderr_str()),
        (exec.exit_code, exec.stdout_str(), exec.stderr_str()),
        "fast path and docker exec differ on {}",
        py.image()
    );
    assert_eq!(fast.exit_code, 3);
}

/// The entries of `versions`, the first, third and last of [`MATRIX`].
const VERSIONS: [usize; 3] = [0, 3, 5];

/// Every test of this file's matrices: its name and its image.
fn instances() -> Vec<(String, &'static str)> {
    let versions = VERSIONS.iter().map(|&i| MATRIX[i]);
    let versions = versions.map(|(image, name)| (format!("versions::{name}"), image));
    let fidelity = MATRIX
        .iter()
        .map(|(image, name)| (format!("fidelity::{name}"), *image));
    versions.chain(fidelity).collect()
}

/// Runs `cargo args...` in the workspace and returns its stdout. It shares the
/// target dir: the outer `cargo test` has released its lock once tests run.
fn cargo(args: &[&str]) -> String {
    let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut cmd = Command::new(env!("CARGO"));
    cmd.args(args).current_dir(workspace);
    for (key, _) in std::env::vars_os() {
        if set_by_cargo(&key.to_string_lossy()) {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().expect("cargo runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "cargo {args:?} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Whether cargo sets `key` for a test process (`CARGO_PKG_NAME`, `OUT_DIR`,
/// ...). Build scripts (ring's) rerun when these differ from a plain `cargo
/// test`, so a nested cargo that inherits them rebuilds half the tree (and
/// the next plain one rebuilds it back).
fn set_by_cargo(key: &str) -> bool {
    let prefixes = [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_BIN_",
        "CARGO_CRATE_",
    ];
    let names = ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"];
    prefixes.iter().any(|p| key.starts_with(p)) || names.contains(&key)
}

/// `cargo test -- --list` and `cargo nextest list` name every instance
/// `<fn>::<image>`, so `cargo test versions::official_3_13` picks one.
#[test]
fn both_runners_list_the_instances() {
    let package = ["-p", "python-container-test-e2e", "--test", "matrix_attr"];
    let listed = cargo(&[&["test"], &package[..], &["--", "--list"]].concat());
    for (name, _) in instances() {
        assert!(
            listed.lines().any(|l| l == format!("{name}: test")),
            "`cargo test -- --list` lacks {name}:\n{listed}"
        );
    }
    let nextest = Command::new(env!("CARGO"))
        .args(["nextest", "--version"])
        .output();
    if !nextest.is_ok_and(|o| o.status.success()) {
        eprintln!("cargo-nextest is not installed: not checking its listing");
        return;
    }
    // Ignored tests too: PYTHON_CONTAINER_TEST_IMAGES may have ignored some.
    let run_ignored = ["--run-ignored", "all"];
    let listed = cargo(&[&["nextest", "list"], &package[..], &run_ignored[..]].concat());
    for (name, _) in instances() {
        assert!(
            // `binary-id name` when piped, the name indented on a terminal.
            listed
                .lines()
                .any(|l| l.split_whitespace().last() == Some(&name)),
            "`cargo nextest list` lacks {name}:\n{listed}"
        );
    }
}

/// The instances that `PYTHON_CONTAINER_TEST_IMAGES`, as it was when this
/// file was compiled, leaves out: ignored, not passed or missing.
#[test]
fn the_filter_ignores_the_others() {
    let filter = option_env!("PYTHON_CONTAINER_TEST_IMAGES").unwrap_or("");
    let needles: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    // Kept: one of the substrings is in the image or in the test's name.
    let kept = |image: &str, name: &str| {
        let own = name.rsplit("::").next().unwrap_or(name);
        needles.is_empty() || needles.iter().any(|n| image.contains(n) || own.contains(n))
    };
    let mut expected: Vec<String> = instances()
        .into_iter()
        .filter(|(name, image)| !kept(image, name))
        .map(|(name, _)| name)
        .collect();
    expected.sort();
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--list", "--ignored"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut ignored: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_owned)
        .collect();
    ignored.sort();
    assert_eq!(ignored, expected, "PYTHON_CONTAINER_TEST_IMAGES={filter}");
}
