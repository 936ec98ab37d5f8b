//! Lifecycle hardening (the audit's findings 3, 4, 11 and 13), each against
//! the real engine: ownership is never taken from an inherited label, a
//! stopped container on the fixture's name does not block the spec, ages are
//! measured on the engine's clock, and a rebuilt tag gets a new container.

use python_container_test_e2e::{container_exists, docker, probe, unique_scope, IMAGE};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

/// Runs a probe (a fresh process: its sweep runs) in `scope`; its output.
fn run_probe(scope: &str, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = probe(PROBE, scope, 0.5);
    cmd.args(args).envs(envs.iter().copied());
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "probe failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn probe_id(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("id=").map(str::to_owned))
        .expect("the probe prints id=")
}

#[test]
fn a_users_container_of_the_projects_image_is_never_swept() {
    // Images pass their labels on: this container carries
    // `python-container-test.managed=true` without the harness making it.
    let own = docker(&[
        "create",
        "--name",
        &format!("users-own-{}", std::process::id()),
        IMAGE,
        "true",
    ]);
    assert!(!own.is_empty());
    docker(&["start", "-a", &own]);
    let labels = docker(&["inspect", "--format", "{{json .Config.Labels}}", &own]);
    assert!(
        labels.contains("\"python-container-test.managed\":\"true\""),
        "{labels}"
    );

    let scope = unique_scope("own-container");
    run_probe(&scope, &[], &[]);
    assert!(
        container_exists(&own),
        "the sweep removed a user's container"
    );
    docker(&["rm", "-f", &own]);
}

/// Waits until the container `id` is gone (its linger is short).
fn wait_gone(id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while container_exists(id) {
        assert!(Instant::now() < deadline, "{id} did not end");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The container name and labels the harness would give a fixture of
/// `IMAGE` in `scope` (read back from a real one, which then ends).
fn fixture_identity(scope: &str) -> (String, Vec<String>) {
    let out = run_probe(scope, &[], &[("PYTHON_CONTAINER_TEST_LINGER", "0.2")]);
    let id = probe_id(&out);
    let name = docker(&["inspect", "--format", "{{.Name}}", &id]);
    let labels = docker(&[
        "inspect",
        "--format",
        "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}\n{{end}}",
        &id,
    ]);
    wait_gone(&id);
    let labels = labels
        .lines()
        .filter(|l| l.starts_with("python-container-test."))
        .map(str::to_owned)
        .collect();
    (name.trim_start_matches('/').to_owned(), labels)
}

#[test]
fn a_stopped_container_left_on_the_fixtures_name_is_cleared_within_seconds() {
    let scope = unique_scope("stopped-holder");
    let (name, labels) = fixture_identity(&scope);
    for state in ["created", "exited"] {
        // What a creator killed between create and start leaves (or an
        // exited container never removed): ours, on the fixture's name.
        let mut args = vec!["create".to_owned(), "--name".into(), name.clone()];
        for label in &labels {
            args.extend(["--label".into(), label.clone()]);
        }
        // Old enough to be past the creator's start-up.
        args.extend([IMAGE.into(), "true".into()]);
        let made = Command::new("docker").args(&args).output().unwrap();
        assert!(
            made.status.success(),
            "could not create the holder: {made:?}"
        );
        let holder = String::from_utf8_lossy(&made.stdout).trim().to_owned();
        if state == "exited" {
            docker(&["start", "-a", &holder]);
        } else {
            std::thread::sleep(Duration::from_secs(11));
        }
        let started = Instant::now();
        let out = run_probe(&scope, &[], &[("PYTHON_CONTAINER_TEST_LINGER", "0.2")]);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{state}: {:?}",
            started.elapsed()
        );
        let fresh = probe_id(&out);
        assert_ne!(fresh, holder, "{state}");
        assert!(
            !container_exists(&holder),
            "{state}: the holder was not removed"
        );
        wait_gone(&fresh);
    }
}

#[test]
fn a_foreign_container_on_the_fixtures_name_is_a_clear_error() {
    let scope = unique_scope("foreign-holder");
    let (name, _) = fixture_identity(&scope);
    let foreign = docker(&["create", "--name", &name, IMAGE, "true"]);
    assert!(!foreign.is_empty());
    let started = Instant::now();
    let out = probe(PROBE, &scope, 0.5).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!("`{name}` is taken")) && text.contains("docker rm"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        container_exists(&foreign),
        "a foreign container is never removed"
    );
    docker(&["rm", "-f", &foreign]);
}

#[test]
fn a_rebuilt_tag_gets_a_fresh_container() {
    let tag = format!("python-container-test/rebuilt:{}", std::process::id());
    let scope = unique_scope("rebuilt-tag");
    let build = |content: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Dockerfile"),
            format!("FROM {IMAGE}\nRUN echo {content} > /tmp/content\n"),
        )
        .unwrap();
        let ok = Command::new("docker")
            .args([
                "build",
                "-q",
                "--label",
                "python-container-test.managed=true",
                "-t",
                &tag,
            ])
            .arg(dir.path())
            .env("DOCKER_BUILDKIT", "0")
            .output()
            .unwrap();
        assert!(ok.status.success(), "{ok:?}");
    };
    build("old");
    // A long linger: the first container is still there for the second run.
    let linger = [("PYTHON_CONTAINER_TEST_LINGER", "60")];
    let first = probe_id(&run_probe(&scope, &["--image", &tag], &linger));
    build("new");
    let second = probe_id(&run_probe(&scope, &["--image", &tag], &linger));
    assert_ne!(
        first, second,
        "the old image's container served the new tag"
    );
    for id in [first, second] {
        docker(&["rm", "-f", &id]);
    }
    docker(&["rmi", "-f", &tag]);
}

#[test]
fn ages_are_measured_on_the_engines_clock() {
    // A process whose clock runs 15 minutes ahead: faked for the crate by
    // libfaketime where it is installed, else by the engine-time unit test.
    let faketime = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists());
    let Some(lib) = faketime else {
        // CI installs it (.ci/run): there, a missing library is a failure.
        assert!(std::env::var_os("CI").is_none(), "libfaketime is missing");
        eprintln!("libfaketime is not installed: skipped (apt-get install faketime)");
        return;
    };
    let scope = unique_scope("clock-ahead");
    let (name, labels) = fixture_identity(&scope);
    // A holder created 0 s ago, as if by a creator still starting it.
    let mut args = vec!["create".to_owned(), "--name".into(), name];
    for label in &labels {
        args.extend(["--label".into(), label.clone()]);
    }
    args.extend([IMAGE.into(), "sleep".into(), "30".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let holder = docker(&args);
    let mut cmd = probe(PROBE, &scope, 0.5);
    cmd.env("LD_PRELOAD", lib).env("FAKETIME", "+15m");
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        container_exists(&holder),
        "a process with its clock 15 min ahead removed a container created 3 s ago"
    );
    let _ = child.kill();
    let _ = child.wait();
    docker(&["rm", "-f", &holder]);
}

#[test]
fn build_files_are_private_and_cleaned_up() {
    use python_container_test::{ContainerSpec, PythonContainer};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = dir.path().join("Dockerfile");
    let fail = format!("RUN echo failing build {} && exit 3", std::process::id());
    std::fs::write(&dockerfile, format!("FROM {IMAGE}\n{fail}\n")).unwrap();
    let err = PythonContainer::start(ContainerSpec::dockerfile(&dockerfile)).unwrap_err();
    let text = err.to_string();
    let log = text.rsplit("full build output: ").next().unwrap().trim();
    let log = std::path::Path::new(log);
    // Not in the shared temporary folder: in a folder of this user only.
    let folder = log.parent().unwrap();
    assert_ne!(folder, std::env::temp_dir(), "{text}");
    let meta = std::fs::metadata(folder).unwrap();
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o700,
        "{}",
        folder.display()
    );
    assert_eq!(
        std::fs::metadata(log).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(meta.uid(), std::fs::metadata(dir.path()).unwrap().uid());
    // No lock is left behind, in that folder or in the shared one.
    let name = log.file_name().unwrap().to_string_lossy();
    let hash = name.trim_start_matches("build-").trim_end_matches(".log");
    assert!(!folder.join(format!("build-{hash}.lock")).exists());
    let shared = std::env::temp_dir().join(format!("python-container-test-build-{hash}.lock"));
    assert!(!shared.exists(), "{}", shared.display());
    // A build that succeeds leaves no log either.
    std::fs::write(
        &dockerfile,
        format!("FROM {IMAGE}\nRUN true {}\n", std::process::id()),
    )
    .unwrap();
    let py = PythonContainer::start(ContainerSpec::dockerfile(&dockerfile)).unwrap();
    let tag = py.image().to_owned();
    drop(py);
    let hash = tag.rsplit(':').next().unwrap();
    assert!(!folder.join(format!("build-{hash}.log")).exists());
    docker(&["rmi", "-f", &tag]);
}

#[test]
fn an_exec_timeout_kills_the_command_whatever_its_user() {
    use python_container_test::{ContainerSpec, Error, ExecOptions, PythonContainer};
    // The project's image runs as `pytest` (uid 1000); the command as root.
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    let options = ExecOptions {
        user: Some("0".into()),
        timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    };
    let err = py.exec_with(["sleep", "77"], options).unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    let running = || {
        py.exec(["sh", "-c", "ps -eo args | grep -c '^sleep 77' || true"])
            .unwrap()
            .stdout_str()
            .trim()
            .to_owned()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while running() != "0" {
        assert!(Instant::now() < deadline, "`sleep 77` (as root) still runs");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn output_past_the_limit_is_a_clear_error_and_the_writer_is_killed() {
    use python_container_test::{ContainerSpec, Error, PythonContainer};
    // 4 MB for this process's calls (the default is 1 GiB).
    std::env::set_var("PYTHON_CONTAINER_TEST_MAX_OUTPUT", "4000000");
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    for fast in [true, false] {
        let handle = py.with_fast_path(fast);
        let pid_file = format!("writer-{fast}");
        let endless = format!(
            "import os, sys\nopen('{pid_file}', 'w').write(str(os.getpid()))\nwhile True:\n    sys.stdout.write('x' * 65536)"
        );
        let started = Instant::now();
        let err = handle.python(&endless).unwrap_err();
        assert!(
            matches!(
                err,
                Error::OutputTooLarge {
                    limit: 4_000_000,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("PYTHON_CONTAINER_TEST_MAX_OUTPUT"),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(20), "fast: {fast}");
        let pid = String::from_utf8(py.read_file(&pid_file).unwrap()).unwrap();
        let alive = format!("__import__('os').path.exists('/proc/{pid}')");
        let deadline = Instant::now() + Duration::from_secs(5);
        while py.eval::<bool>(&alive).unwrap() {
            assert!(
                Instant::now() < deadline,
                "the writer {pid} (fast: {fast}) still runs"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    // Under the limit, output is whole.
    let out = py.python("print('y' * 3_000_000)").unwrap();
    assert_eq!(out.stdout.len(), 3_000_001);
}

#[test]
fn a_call_without_a_timeout_gets_the_default_one() {
    use python_container_test::{ContainerSpec, Error, PythonContainer};
    // Every call of this process that gives no timeout: 3 s (default 600).
    std::env::set_var("PYTHON_CONTAINER_TEST_TIMEOUT", "3");
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    for fast in [true, false] {
        let started = Instant::now();
        let err = py
            .with_fast_path(fast)
            .python("import time; time.sleep(1000)")
            .unwrap_err();
        assert!(
            matches!(err, Error::Timeout { timeout, .. } if timeout == Duration::from_secs(3)),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(8), "fast: {fast}");
        assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
    }
}
