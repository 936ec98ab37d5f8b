//! Bad input: each a clear error naming the thing, and no container left.

use python_container_test::{
    ContainerError, ContainerSpec, Error, GpuAttachment, GpuMode, PythonContainer,
};
use python_container_test_e2e::{containers_with, docker, probe, MANAGED, NO_PYTHON_IMAGE};
use std::time::{Duration, Instant};

fn containers_of_image(image: &str) -> Vec<String> {
    containers_with(&[MANAGED, &format!("python-container-test.image={image}")])
}

#[test]
fn unknown_image_names_the_image_and_the_bootstrap() {
    let image = "python-container-test/no-such-image:42";
    let err = PythonContainer::start(ContainerSpec::image(image)).unwrap_err();
    let text = err.to_string();
    assert!(text.contains(image), "{text}");
    assert!(text.contains("could not be pulled"), "{text}");
    assert!(text.contains("docker/build-images.sh"), "{text}");
    assert!(containers_of_image(image).is_empty());
}

#[test]
fn a_users_missing_image_is_told_how_to_get_it_within_seconds() {
    let image = "registry.invalid/team/no-such-image:1";
    let started = Instant::now();
    let err = PythonContainer::start(ContainerSpec::image(image)).unwrap_err();
    let text = err.to_string();
    assert!(started.elapsed() < Duration::from_secs(20), "{text}");
    assert!(
        text.contains(image) && text.contains("could not be pulled"),
        "{text}"
    );
    assert!(text.contains(&format!("docker pull {image}")), "{text}");
    assert!(
        !text.contains("build-images.sh"),
        "not this project's image: {text}"
    );
    assert!(containers_of_image(image).is_empty());
}

#[test]
fn image_without_python_is_a_clear_error_and_leaves_nothing() {
    let err = PythonContainer::start(ContainerSpec::image(NO_PYTHON_IMAGE)).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, Error::Container(ContainerError::NoPython { .. })),
        "{text}"
    );
    assert!(
        text.contains(NO_PYTHON_IMAGE) && text.contains("has no Python"),
        "{text}"
    );
    assert!(
        containers_of_image(NO_PYTHON_IMAGE).is_empty(),
        "a container was left behind"
    );
}

#[test]
fn gpu_on_an_engine_without_gpus_is_a_clear_error_and_leaves_nothing() {
    let image = python_container_test_e2e::IMAGE;
    let spec = ContainerSpec::image(image)
        .gpu(GpuMode::Required)
        .shared(false);
    match PythonContainer::start(spec) {
        Ok(py) => {
            // A GPU host: the engine accepted a mechanism and attached GPUs.
            assert!(py.gpu().is_some());
            // From Python: the env a CDI spec gives reaches the agent's
            // processes, not `docker exec`.
            let gpus = py
                .python("import subprocess, sys; sys.exit(subprocess.run(['nvidia-smi', '-L']).returncode)")
                .unwrap();
            gpus.assert_success();
            assert!(gpus.stdout_str().contains("GPU 0"), "{}", gpus.stdout_str());
        }
        Err(err) => {
            let text = err.to_string();
            assert!(
                matches!(err, Error::Container(ContainerError::GpuUnavailable { .. })),
                "{text}"
            );
            // Each mechanism, with the engine's answer (Docker's refusal, or
            // Podman 4 dropping the request), and how to enable one.
            assert!(
                text.contains("CDI (device nvidia.com/gpu=all): ")
                    && text.contains("the NVIDIA driver (device request driver nvidia): "),
                "{text}"
            );
            assert!(
                text.contains("could not select device driver")
                    || text.contains("did not record the device request"),
                "{text}"
            );
            assert!(
                text.contains("NVIDIA Container Toolkit") && text.contains("\"cdi\": true"),
                "{text}"
            );
            let scope = format!(
                "python-container-test.scope={}",
                python_container_test::scope()
            );
            let left = containers_with(&[MANAGED, "python-container-test.gpu=required", &scope]);
            assert!(left.is_empty(), "a GPU container was left behind: {left:?}");
        }
    }
}

#[test]
fn gpu_auto_falls_back_to_cpu() {
    let spec = ContainerSpec::image(python_container_test_e2e::IMAGE).gpu(GpuMode::Auto);
    let py = PythonContainer::start(spec).unwrap();
    // What the handle says matches what the engine recorded.
    let recorded = docker(&[
        "inspect",
        "--format",
        "{{json .HostConfig.DeviceRequests}}",
        py.id(),
    ]);
    match py.gpu() {
        None => assert!(!recorded.contains("Driver"), "{recorded}"),
        Some(GpuAttachment::Cdi) => assert!(recorded.contains(r#""Driver":"cdi""#), "{recorded}"),
        Some(other) => assert!(
            recorded.contains(r#""Driver":"nvidia""#),
            "{other:?}: {recorded}"
        ),
    }
    let v: i64 = py.eval("1 + 1").unwrap();
    assert_eq!(v, 2);
}

#[test]
fn unreachable_docker_fails_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("closed.sock");
    // A socket file that nobody listens on.
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    drop(listener);
    let started = Instant::now();
    let out = probe(env!("CARGO_BIN_EXE_probe"), "unreachable", 1.0)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .output()
        .unwrap();
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("Docker is not reachable"), "{stdout}");
    assert!(stdout.contains(&socket.display().to_string()), "{stdout}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn an_engine_address_that_refuses_says_so() {
    // A port nobody listens on: the client's own error ("client error
    // (Connect)") is not enough; its cause is said too.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = probe(env!("CARGO_BIN_EXE_probe"), "refused", 1.0)
        .env("DOCKER_HOST", format!("tcp://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("Docker is not reachable"), "{stdout}");
    assert!(stdout.contains("Connection refused"), "{stdout}");
}

/// A PID 1 that stops at once (here the spec's `python` is `false`): a
/// clear error after a few tries, within seconds, and no container left
/// (each one auto-removed), not two minutes of containers made anew.
#[test]
fn a_python_that_stops_at_once_is_a_clear_error_within_seconds() {
    let image = python_container_test_e2e::IMAGE;
    let spec = ContainerSpec::image(image).python("false").shared(false);
    let started = Instant::now();
    let err = PythonContainer::start(spec).unwrap_err();
    let took = started.elapsed();
    let text = err.to_string();
    assert!(
        text.contains("stopped right after they started") && text.contains(image),
        "{text}"
    );
    assert!(text.contains("--entrypoint false"), "{text}");
    assert!(
        text.contains("print(sys.version)") && text.contains("CPython 3.9 or later"),
        "{text}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}: {text}");
    let ours = || {
        let commands = docker(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            &format!("label=python-container-test.image={image}"),
            "--format",
            "{{.Command}}",
        ]);
        commands
            .lines()
            .filter(|c| c.contains("false -u -S -c"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let left = python_container_test_e2e::wait_until_empty(Duration::from_secs(10), ours);
    assert!(left.is_empty(), "left behind: {left:?}");
}
