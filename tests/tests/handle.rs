//! Every method of the handle, against the real engine.

use python_container_test::{python_container_test, Error, ExecOptions, PythonContainer};
use python_container_test_e2e::{engine_is_podman, matrix_image, matrix_spec};
use std::time::Duration;

#[python_container_test(fixture = matrix_spec)]
fn code_runs_in_the_container_not_on_the_host(py: &PythonContainer) {
    // Docker names a container's host after the start of its id.
    let short_id = &py.id()[..12];
    let host: String = py.eval("__import__('socket').gethostname()").unwrap();
    assert_eq!(host, short_id);
    let file = py.read_file("/etc/hostname").unwrap();
    assert_eq!(String::from_utf8_lossy(&file).trim(), short_id);
    let out = py.exec(["cat", "/etc/hostname"]).unwrap();
    out.assert_success();
    assert_eq!(out.stdout_str().trim(), short_id);
}

#[python_container_test(fixture = matrix_spec)]
fn the_harness_files_are_on_a_tmpfs_and_pid_1_let_go_of_its_stdin(py: &PythonContainer) {
    // PID 1's short stub read the loader from its stdin, and the loader the
    // rest (fixtures/PROTOCOL.md, "The harness's files"), written read-only
    // whatever the user; the loader is run, not written, and the command
    // line (which every listing of the container carries) stays short.
    let facts: Vec<String> = py
        .eval(
            "[[m.split()[2] for m in open('/proc/mounts') \
                 if m.split()[1] == '/.python-container-test'][0], \
              oct(__import__('os').stat('/.python-container-test/agent.py').st_mode & 0o777), \
              __import__('os').readlink('/proc/1/fd/0'), \
              str('loader.py' in __import__('os').listdir('/.python-container-test')), \
              str(len(open('/proc/1/cmdline', 'rb').read()) < 2048)]",
        )
        .unwrap();
    assert_eq!(facts, ["tmpfs", "0o444", "/dev/null", "False", "True"]);
}

#[python_container_test(fixture = matrix_spec)]
fn exec_returns_exit_code_and_both_streams(py: &PythonContainer) {
    let out = py
        .exec(["sh", "-c", "echo out; echo err >&2; exit 3"])
        .unwrap();
    assert_eq!(out.exit_code, 3);
    assert!(!out.success());
    assert_eq!(out.stdout_str(), "out\n");
    assert_eq!(out.stderr_str(), "err\n");
}

#[python_container_test(fixture = matrix_spec)]
fn exec_with_env_workdir_user_and_stdin(py: &PythonContainer) {
    py.exec(["mkdir", "-p", "sub"]).unwrap().assert_success();
    let out = py
        .exec_with(
            ["sh", "-c", "echo $GREETING; pwd; id -u; cat"],
            ExecOptions {
                env: vec![("GREETING".into(), "hello".into())],
                workdir: Some("sub".into()),
                user: Some("0".into()),
                stdin: Some(b"from stdin".to_vec()),
                timeout: Some(Duration::from_secs(30)),
            },
        )
        .unwrap();
    out.assert_success();
    let expected = format!("hello\n{}/sub\n0\nfrom stdin", py.workdir());
    assert_eq!(out.stdout_str(), expected);
}

#[python_container_test(fixture = matrix_spec)]
fn exec_timeout_kills_the_program(py: &PythonContainer) {
    let options = ExecOptions {
        timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    };
    let err = py.exec_with(["sleep", "60"], options).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let left = py
        .exec(["sh", "-c", "ps -eo args | grep '^sleep 60' || true"])
        .unwrap();
    assert_eq!(
        left.stdout_str(),
        "",
        "the timed-out program is still running"
    );
}

#[python_container_test(fixture = matrix_spec)]
fn exec_of_a_missing_program_is_a_clear_error(py: &PythonContainer) {
    let err = py.exec(["no-such-program", "--flag"]).unwrap_err();
    assert!(matches!(err, Error::ProgramNotFound { .. }), "{err:?}");
    assert!(
        err.to_string().contains("`no-such-program` was not found"),
        "{err}"
    );
}

#[python_container_test(fixture = matrix_spec)]
fn python_runs_code(py: &PythonContainer) {
    let out = py.python("import sys; print('hi'); sys.exit(4)").unwrap();
    assert_eq!(out.exit_code, 4);
    assert_eq!(out.stdout_str(), "hi\n");
}

#[python_container_test(fixture = matrix_spec)]
fn python_that_raises_gives_exit_1_and_the_traceback(py: &PythonContainer) {
    let out = py.python("raise ValueError('boom')").unwrap();
    assert_eq!(out.exit_code, 1);
    assert!(
        out.stderr_str().contains("ValueError: boom"),
        "{}",
        out.stderr_str()
    );
}

#[python_container_test(fixture = matrix_spec)]
fn run_module_passes_arguments(py: &PythonContainer) {
    py.write_file("data.json", br#"{"b": 1, "a": [1, 2]}"#)
        .unwrap();
    let out = py
        .run_module("json.tool", ["--sort-keys", "--compact", "data.json"])
        .unwrap();
    out.assert_success();
    assert_eq!(out.stdout_str(), "{\"a\":[1,2],\"b\":1}\n");
}

#[python_container_test(fixture = matrix_spec)]
fn run_script_copies_a_host_script_and_runs_it(py: &PythonContainer) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("greet.py");
    std::fs::write(
        &script,
        "import sys\nprint('hello', *sys.argv[1:], __name__)\n",
    )
    .unwrap();
    let out = py.run_script(&script, ["a", "b"]).unwrap();
    out.assert_success();
    assert_eq!(out.stdout_str(), "hello a b __main__\n");
}

#[python_container_test(fixture = matrix_spec)]
fn run_script_of_a_missing_host_file_names_it(py: &PythonContainer) {
    let err = py
        .run_script("/no/such/script.py", &[] as &[&str])
        .unwrap_err();
    assert!(matches!(err, Error::HostPath { .. }), "{err:?}");
    assert!(err.to_string().contains("/no/such/script.py"), "{err}");
}

#[python_container_test(fixture = matrix_spec)]
fn eval_returns_serde_values(py: &PythonContainer) {
    let squares: Vec<i64> = py.eval("[i * i for i in range(4)]").unwrap();
    assert_eq!(squares, [0, 1, 4, 9]);
    let map: std::collections::BTreeMap<String, f64> = py.eval("{'pi': 3.5, 'e': 2.25}").unwrap();
    assert_eq!(map["pi"], 3.5);
    let v: serde_json::Value = py.eval("print('noise') or None").unwrap();
    assert!(v.is_null());
}

#[python_container_test(fixture = matrix_spec)]
fn eval_exception_carries_the_traceback(py: &PythonContainer) {
    for handle in [py.clone(), py.with_fast_path(false)] {
        let err = handle.eval::<i64>("1 / 0").unwrap_err();
        assert!(matches!(err, Error::Python { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("Traceback") && text.contains("ZeroDivisionError"),
            "{text}"
        );
        // From the expression's frame on: the wrapper's is not the user's.
        assert!(text.contains("File \"<eval>\", line 1"), "{text}");
        assert!(
            !text.contains("_value = eval(") && !text.contains("File \"<string>\""),
            "{text}"
        );
        let err = handle.eval::<i64>("1 +").unwrap_err().to_string();
        assert!(
            err.contains("SyntaxError") && err.contains("<eval>"),
            "{err}"
        );
        assert!(!err.contains("_value = eval("), "{err}");
    }
}

#[python_container_test(fixture = matrix_spec)]
fn eval_with_options(py: &PythonContainer) {
    py.write_file("sub/keep", b"").unwrap();
    let options = ExecOptions {
        env: vec![("GREETING".into(), "hi".into())],
        stdin: Some(b"from stdin".to_vec()),
        workdir: Some("sub".into()),
        ..Default::default()
    };
    let expr = "(__import__('os').environ['GREETING'], __import__('sys').stdin.read(), \
                __import__('os').getcwd())";
    let (greeting, input, cwd): (String, String, String) = py.eval_with(expr, options).unwrap();
    assert_eq!((greeting.as_str(), input.as_str()), ("hi", "from stdin"));
    assert_eq!(cwd, format!("{}/sub", py.workdir()));
    let quick = ExecOptions {
        timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    };
    let err = py
        .eval_with::<i64>("__import__('time').sleep(30) or 1", quick)
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(py.eval::<i64>("2").unwrap(), 2, "the handle stays usable");
}

#[python_container_test(fixture = matrix_spec)]
fn eval_of_an_integer_wider_than_64_bits(py: &PythonContainer) {
    assert_eq!(py.eval::<u128>("2**70").unwrap(), 1u128 << 70);
    assert_eq!(py.eval::<i128>("-2**100").unwrap(), -(1i128 << 100));
    let err = py.eval::<u64>("2**70").unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("1180591620717411303424"), "{err}");
}

#[python_container_test(fixture = matrix_spec)]
fn eval_of_a_value_json_cannot_hold_is_a_clear_error(py: &PythonContainer) {
    let err = py.eval::<serde_json::Value>("{1, 2}").unwrap_err();
    assert!(matches!(err, Error::NotJson { .. }), "{err:?}");
    assert!(err.to_string().contains("not JSON-serialisable"), "{err}");
}

#[python_container_test(fixture = matrix_spec)]
fn binary_files_round_trip(py: &PythonContainer) {
    let bytes: Vec<u8> = (0..=255u8).chain([0xff, 0xfe, 0x00, 0xc3]).collect();
    py.write_file("nested/dir/blob.bin", &bytes).unwrap();
    assert_eq!(py.read_file("nested/dir/blob.bin").unwrap(), bytes);
    let size: usize = py
        .eval("len(open('nested/dir/blob.bin', 'rb').read())")
        .unwrap();
    assert_eq!(size, bytes.len());
    // Files copied in belong to the container's user, who can change them.
    py.exec(["sh", "-c", "echo more >> nested/dir/blob.bin"])
        .unwrap()
        .assert_success();
}

#[python_container_test(fixture = matrix_spec)]
fn read_file_reads_through_links_and_what_the_user_cannot(py: &PythonContainer) {
    // Through a link, as `open` reads (the engine's archive alone would
    // hold the link on Docker, and follow it on Podman).
    py.write_file("target.bin", b"through\0a link").unwrap();
    py.exec(["ln", "-s", "target.bin", "link.bin"])
        .unwrap()
        .assert_success();
    assert_eq!(py.read_file("link.bin").unwrap(), b"through\0a link");
    // Root's file, mode 0600: on an image whose user is not root the fast
    // Python call cannot open it, and the engine (as root) reads it.
    let root = ExecOptions {
        user: Some("0".into()),
        ..Default::default()
    };
    let made = "printf 'secret\\0bytes' > /root-only.bin && chmod 600 /root-only.bin";
    py.exec_with(["sh", "-c", made], root)
        .unwrap()
        .assert_success();
    assert_eq!(py.read_file("/root-only.bin").unwrap(), b"secret\0bytes");
}

#[python_container_test(fixture = matrix_spec)]
fn reading_a_missing_container_path_names_it(py: &PythonContainer) {
    let err = py.read_file("no/such/file").unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("no/such/file"), "{err}");
    let err = py
        .copy_from(
            "/no/such/dir",
            tempfile::tempdir().unwrap().path().join("x"),
        )
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[python_container_test(fixture = matrix_spec)]
fn folders_round_trip(py: &PythonContainer) {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("a/b")).unwrap();
    std::fs::write(src.join("top.txt"), "top").unwrap();
    std::fs::write(src.join("a/b/deep.bin"), [0u8, 1, 2, 255]).unwrap();
    std::os::unix::fs::symlink("a/b/deep.bin", src.join("link")).unwrap();
    py.copy_to(&src, "copied").unwrap();
    let listing: Vec<String> = py
        .eval("sorted(__import__('os').path.relpath(os.path.join(d, f), 'copied') for d, _, fs in __import__('os').walk('copied') for f in fs) if (os := __import__('os')) else []")
        .unwrap();
    assert_eq!(listing, ["a/b/deep.bin", "link", "top.txt"]);
    let back = dir.path().join("back");
    py.copy_from("copied", &back).unwrap();
    assert_eq!(
        std::fs::read_to_string(back.join("top.txt")).unwrap(),
        "top"
    );
    assert_eq!(
        std::fs::read(back.join("a/b/deep.bin")).unwrap(),
        [0u8, 1, 2, 255]
    );
    assert_eq!(
        std::fs::read_link(back.join("link")).unwrap(),
        std::path::Path::new("a/b/deep.bin")
    );
}

/// Makes `tree` in the container: folders, files and a link of given modes
/// and times, and, `locked`, a file its user may not read (the fast path
/// then leaves the copy to the engine, which reads as root).
const MAKE_TREE: &str = r##"
import os, sys
top, locked = sys.argv[1], sys.argv[2] == "1"
os.makedirs(top + "/a/b")
os.mkdir(top + "/empty")
for path, body, mode in [("/top.txt", b"top", 0o640), ("/a/b/run.sh", b"#!/bin/sh\n", 0o755), ("/a/zero.bin", bytes(range(256)), 0o600)]:
    with open(top + path, "wb") as f:
        f.write(body)
    os.chmod(top + path, mode)
os.symlink("a/b/run.sh", top + "/link")
if locked:
    with open(top + "/locked", "w") as f:
        f.write("root reads this")
    os.chmod(top + "/locked", 0)
for n, path in enumerate(["/a/b/run.sh", "/a/zero.bin", "/top.txt", "/a/b", "/a", "/empty", ""]):
    os.utime(top + path, (1700000000 + n, 1700000000 + n))
os.chmod(top + "/a", 0o750)
"##;

/// What is below `dir` (links not followed): path, mode, and a file's time
/// and bytes, a folder, or a link's target. (Folders and links are dated
/// when they are made on the host.)
fn described(dir: &std::path::Path) -> Vec<String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        let meta = std::fs::symlink_metadata(&at).unwrap();
        let what = if meta.is_symlink() {
            format!("-> {}", std::fs::read_link(&at).unwrap().display())
        } else if meta.is_dir() {
            todo.extend(std::fs::read_dir(&at).unwrap().map(|e| e.unwrap().path()));
            "folder".to_owned()
        } else {
            format!("{} {:?}", meta.mtime(), std::fs::read(&at).unwrap())
        };
        let mode = meta.permissions().mode() & 0o7777;
        let path = at.strip_prefix(dir).unwrap().display().to_string();
        found.push(format!("{path} {mode:o} {what}"));
    }
    found.sort();
    found
}

#[python_container_test(fixture = matrix_spec)]
fn copy_from_gives_the_same_by_a_python_call_as_through_the_engine(py: &PythonContainer) {
    let engine = py.with_fast_path(false);
    let dir = tempfile::tempdir().unwrap();
    for (tree, locked) in [("tree", "0"), ("tree-locked", "1")] {
        let made = py.exec(["python3", "-c", MAKE_TREE, tree, locked]).unwrap();
        made.assert_success();
        let (fast, slow) = (
            dir.path().join(tree),
            dir.path().join(format!("{tree}-engine")),
        );
        py.copy_from(tree, &fast).unwrap();
        engine.copy_from(tree, &slow).unwrap();
        assert_eq!(described(&fast), described(&slow), "{tree}");
        assert_eq!(
            described(&fast).len(),
            8 + usize::from(locked == "1"),
            "{tree}"
        );
        // A single file alike too; a link (not followed) is refused, as
        // Docker's archive of it is (Podman's follows it).
        for inner in ["top.txt", "link"] {
            let (one, two) = (
                fast.join(format!("{inner}.1")),
                slow.join(format!("{inner}.2")),
            );
            let path = format!("{tree}/{inner}");
            let copied = |handle: &PythonContainer, to: &std::path::Path| {
                let done = handle.copy_from(&path, to);
                done.map(|()| described(to)).map_err(|e| e.to_string())
            };
            let fast = copied(py, &one);
            if inner == "link" {
                let refused = fast.as_ref().is_err_and(|e| e.contains("itself a symlink"));
                assert!(refused, "{path}: {fast:?}");
            }
            if inner != "link" || !engine_is_podman() {
                assert_eq!(fast, copied(&engine, &two), "{path}");
            }
        }
    }
}

/// The engine's archive API does not reach into a tmpfs mount (it reads and
/// writes the container's root file system under it): files in and out of
/// one go by Python calls, fast or (the fast path off) plain execs, large
/// or small.
#[test]
fn files_in_a_tmpfs_mount_go_in_and_out_by_python_calls() {
    let spec = matrix_spec()
        .tmpfs("/scratch", "size=16m")
        .env("E2E_HANDLE", "tmpfs");
    let py = PythonContainer::start(spec).unwrap();
    let made = py
        .exec(["python3", "-c", MAKE_TREE, "/scratch/t", "0"])
        .unwrap();
    made.assert_success();
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..WARM_WRITE_MAX + 1).map(|i| (i % 251) as u8).collect();
    for (way, handle) in [("fast", py.clone()), ("exec", py.with_fast_path(false))] {
        let out = dir.path().join(way);
        handle.copy_from("/scratch/t", &out).unwrap();
        assert_eq!(described(&out).len(), 8, "{way}");
        assert_eq!(
            std::fs::read(out.join("a/zero.bin")).unwrap(),
            (0..=255).collect::<Vec<u8>>()
        );
        assert_eq!(
            handle.read_file("/scratch/t/top.txt").unwrap(),
            b"top",
            "{way}"
        );
        for (name, bytes) in [("small", &b"small"[..]), ("big", &big[..])] {
            let path = format!("/scratch/{way}/{name}.bin");
            handle.write_file(&path, bytes).unwrap();
            let size: usize = py
                .eval(&format!("__import__('os').path.getsize({path:?})"))
                .unwrap();
            assert_eq!(size, bytes.len(), "{path}");
        }
        handle.copy_to(&out, "/scratch/back").unwrap();
        assert_eq!(
            handle.read_file("/scratch/back/top.txt").unwrap(),
            b"top",
            "{way}"
        );
        py.exec(["rm", "-r", "/scratch/back"])
            .unwrap()
            .assert_success();
    }
}

/// Above this, uploads go through the engine's archive API; up to it,
/// through a fast Python call (runtime/src/files.rs).
const WARM_WRITE_MAX: usize = 256 << 10;

#[python_container_test(fixture = matrix_spec)]
fn small_and_large_writes_merge_folders_and_replace_files_alike(py: &PythonContainer) {
    for (name, size) in [("small", 1000), ("large", WARM_WRITE_MAX + 1)] {
        let bytes: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("sub/data.bin"), &bytes).unwrap();
        std::os::unix::fs::symlink("sub/data.bin", src.join("link")).unwrap();
        // A folder merges with the one there; a file replaces a file.
        py.write_file(&format!("{name}/kept.txt"), "kept").unwrap();
        py.write_file(&format!("{name}/sub/data.bin"), "old")
            .unwrap();
        py.copy_to(&src, name).unwrap();
        let listing: Vec<String> = py
            .eval(&format!(
                "sorted(os.path.relpath(os.path.join(d, f), '{name}') \
                 for d, _, fs in os.walk('{name}') for f in fs) \
                 if (os := __import__('os')) else []"
            ))
            .unwrap();
        assert_eq!(listing, ["kept.txt", "link", "sub/data.bin"], "{name}");
        let link: String = py
            .eval(&format!("__import__('os').readlink('{name}/link')"))
            .unwrap();
        assert_eq!(link, "sub/data.bin", "{name}");
        assert_eq!(
            py.read_file(&format!("{name}/sub/data.bin")).unwrap(),
            bytes,
            "{name}"
        );
        // A folder is never replaced by a file.
        let err = py
            .write_file(&format!("{name}/sub"), &bytes)
            .expect_err(name);
        assert!(err.to_string().contains("sub"), "{name}: {err}");
        assert_eq!(
            py.read_file(&format!("{name}/sub/data.bin")).unwrap(),
            bytes,
            "{name}"
        );
    }
}

#[python_container_test(fixture = matrix_spec)]
fn copy_to_of_a_missing_host_path_names_it(py: &PythonContainer) {
    let err = py.copy_to("/no/such/host/dir", "x").unwrap_err();
    assert!(matches!(err, Error::HostPath { .. }), "{err:?}");
    assert!(err.to_string().contains("/no/such/host/dir"), "{err}");
}

#[python_container_test(fixture = matrix_spec)]
fn copy_from_refuses_a_symlink_pointing_out(py: &PythonContainer) {
    py.exec([
        "sh",
        "-c",
        "mkdir evil && ln -s /etc/passwd evil/passwd && ln -s ../../.. evil/up",
    ])
    .unwrap()
    .assert_success();
    let dir = tempfile::tempdir().unwrap();
    let err = py.copy_from("evil", dir.path().join("out")).unwrap_err();
    assert!(matches!(err, Error::UnsafeArchive { .. }), "{err:?}");
    assert!(!dir.path().join("out").exists(), "nothing may be written");
}

#[python_container_test(fixture = matrix_spec)]
fn each_test_has_a_private_workdir(py: &PythonContainer) {
    assert!(
        py.workdir().starts_with("/tmp/python-container-test/"),
        "{}",
        py.workdir()
    );
    assert!(py.workdir().contains("each_test_has_a_private_workdir"));
    let cwd: String = py.eval("__import__('os').getcwd()").unwrap();
    assert_eq!(cwd, py.workdir());
    let others: Vec<String> = py.eval("__import__('os').listdir('.')").unwrap();
    assert!(others.is_empty(), "a new workdir is empty: {others:?}");
}

#[python_container_test(fixture = matrix_spec)]
fn workdir_is_removed_when_the_handle_is_dropped(py: PythonContainer) {
    let second = python_container_test::PythonContainer::start(matrix_spec()).unwrap();
    assert_eq!(second.id(), py.id(), "same spec, same container");
    assert_ne!(second.workdir(), py.workdir());
    let path = second.workdir().to_owned();
    second.write_file("f", "x").unwrap();
    drop(second);
    let probe = format!("__import__('os').path.exists({path:?})");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while py.eval::<bool>(&probe).unwrap() {
        assert!(
            std::time::Instant::now() < deadline,
            "{path} was not removed"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[python_container_test(fixture = matrix_spec)]
fn identity_and_logs(py: &PythonContainer) {
    assert_eq!(py.image(), matrix_image());
    assert!(py.name().starts_with("pct-"));
    assert_eq!(py.id().len(), 64);
    assert_eq!(py.gpu(), None);
    let logs = py.logs().unwrap();
    assert!(logs.contains("agent: ready"), "{logs}");
}

#[python_container_test(fixture = matrix_spec)]
async fn async_tests_can_use_the_sync_methods(py: &PythonContainer) {
    tokio::time::sleep(Duration::from_millis(1)).await;
    let v: i64 = py.eval("40 + 2").unwrap();
    assert_eq!(v, 42);
}

#[python_container_test(fixture = matrix_spec)]
fn result_returning_tests(py: &PythonContainer) -> Result<(), Error> {
    let v: i64 = py.eval("2 ** 10")?;
    assert_eq!(v, 1024);
    Ok(())
}

#[python_container_test(fixture = matrix_spec)]
#[should_panic(expected = "command failed with exit code 5")]
fn assert_success_shows_the_failure(py: &PythonContainer) {
    py.python("import sys; sys.exit(5)")
        .unwrap()
        .assert_success();
}
