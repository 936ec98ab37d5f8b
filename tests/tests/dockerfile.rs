//! Images built from a Dockerfile on first use, tagged by a content hash.

use python_container_test::{python_container_test, ContainerSpec, PythonContainer};
use python_container_test_e2e::{containers_with, docker, probe, unique_scope, MANAGED};
use std::path::Path;
use std::time::Instant;

#[python_container_test(dockerfile = "images/hello/Dockerfile")]
fn a_dockerfile_image_is_built_and_used(py: &PythonContainer) {
    let greeting = py.read_file("/opt/hello/greeting.txt").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&greeting).trim(),
        "hello from a Dockerfile"
    );
    assert!(
        py.image().ends_with("images/hello/Dockerfile"),
        "{}",
        py.image()
    );
}

fn image_of(py: &PythonContainer) -> String {
    docker(&["inspect", "--format", "{{.Config.Image}}", py.id()])
}

fn context(dir: &Path, greeting: &str) {
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM python-container-test/python:3.11\nCOPY . /opt/ctx/\n",
    )
    .unwrap();
    std::fs::write(dir.join("greeting.txt"), greeting).unwrap();
    std::fs::write(dir.join(".dockerignore"), "*.log\n").unwrap();
}

#[test]
fn a_changed_context_rebuilds_and_an_unchanged_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    context(dir.path(), "one");
    let spec = || ContainerSpec::dockerfile(dir.path().join("Dockerfile")).shared(false);

    let started = Instant::now();
    let first = PythonContainer::start(spec()).unwrap();
    let first_took = started.elapsed();
    let first_image = image_of(&first);
    assert!(
        first_image.starts_with("python-container-test/built:"),
        "{first_image}"
    );
    drop(first);

    // Unchanged (an ignored file does not count): the same image, no build.
    std::fs::write(dir.path().join("noise.log"), "ignored").unwrap();
    let started = Instant::now();
    let again = PythonContainer::start(spec()).unwrap();
    let again_took = started.elapsed();
    assert_eq!(image_of(&again), first_image);
    println!("first start with build: {first_took:?}; unchanged: {again_took:?}");
    drop(again);

    // Changed: a new image with the new content.
    std::fs::write(dir.path().join("greeting.txt"), "two").unwrap();
    let changed = PythonContainer::start(spec()).unwrap();
    let changed_image = image_of(&changed);
    assert_ne!(changed_image, first_image);
    assert_eq!(changed.read_file("/opt/ctx/greeting.txt").unwrap(), b"two");
    assert!(!changed
        .exec(["test", "-e", "/opt/ctx/noise.log"])
        .unwrap()
        .success());
    drop(changed);
    docker(&["rmi", "-f", &first_image, &changed_image]);
}

#[test]
fn a_failed_build_shows_the_step_and_the_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM python-container-test/python:3.11\nRUN echo about to fail && exit 7\n",
    )
    .unwrap();
    let path = dir.path().join("Dockerfile");
    let err = PythonContainer::start(ContainerSpec::dockerfile(&path)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("building the image of"), "{text}");
    assert!(text.contains("exit 7"), "the failing step: {text}");
    assert!(
        text.contains("about to fail"),
        "the tail of its output: {text}"
    );
    assert!(text.contains("full build output: "), "{text}");
    let log = text.rsplit("full build output: ").next().unwrap().trim();
    assert!(std::fs::read_to_string(log)
        .unwrap()
        .contains("about to fail"));
    let left = containers_with(&[
        MANAGED,
        &format!("python-container-test.image={}", path.display()),
    ]);
    assert!(left.is_empty());
}

#[test]
fn processes_asking_at_once_build_once() {
    let dir = tempfile::tempdir().unwrap();
    context(dir.path(), &format!("{:?}", Instant::now()));
    let dockerfile = dir.path().join("Dockerfile");
    let scope = unique_scope("build-once");
    let children: Vec<_> = (0..4)
        .map(|_| {
            probe(env!("CARGO_BIN_EXE_probe"), &scope, 0.5)
                .args(["--dockerfile", &dockerfile.display().to_string()])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect::<Vec<_>>();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let built = docker(&[
        "images",
        "-q",
        "--filter",
        &format!(
            "label=python-container-test.dockerfile={}",
            dockerfile.display()
        ),
    ]);
    assert_eq!(built.lines().count(), 1, "one image: {built}");
    docker(&["rmi", "-f", built.trim()]);
}

/// An image whose working folder holds modules named like the standard
/// library's (an app's own `json.py`): the agent, PID 1 started with
/// `python -c` in that folder, still imports the standard library's.
#[test]
fn modules_in_the_image_s_workdir_do_not_shadow_the_agent_s() {
    let dir = tempfile::tempdir().unwrap();
    let dockerfile = "FROM python-container-test/python:3.11\nCOPY *.py /work/\n";
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    let modules = [
        "json",
        "socket",
        "selectors",
        "subprocess",
        "threading",
        "signal",
    ];
    for module in modules {
        let code = format!("raise SystemExit('{module}.py of the image was imported')\n");
        std::fs::write(dir.path().join(format!("{module}.py")), code).unwrap();
    }
    let spec = ContainerSpec::dockerfile(dir.path().join("Dockerfile")).shared(false);
    let py = PythonContainer::start(spec).unwrap();
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
    // They are there: the image's own code in /work would import them.
    let out = py.exec(["ls", "/work"]).unwrap();
    out.assert_success();
    assert!(out.stdout_str().contains("json.py"), "{out:?}");
    let image = image_of(&py);
    drop(py);
    docker(&["rmi", "-f", &image]);
}
