//! Bad input: each a clear error naming the thing, and no container left.

use python_container_test::{ContainerError, ContainerSpec, Error, GpuMode, PythonContainer};
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
            // A GPU host: the request reached the engine and was granted.
            assert!(py.gpu());
            let gpus = py.exec(["nvidia-smi", "-L"]).unwrap();
            gpus.assert_success();
            assert!(gpus.stdout_str().contains("GPU 0"), "{}", gpus.stdout_str());
        }
        Err(err) => {
            let text = err.to_string();
            assert!(
                text.contains("GPU") && text.contains("NVIDIA Container Toolkit"),
                "{text}"
            );
            // The request reached the engine as asked (all NVIDIA GPUs), or
            // the engine dropped it (Podman), which the error says.
            assert!(
                text.contains(r#"requested: driver nvidia, count -1, capabilities [["gpu"]]"#)
                    || text.contains("did not record the GPU device request"),
                "{text}"
            );
            let left = containers_with(&[MANAGED, "python-container-test.gpu=required"]);
            assert!(left.is_empty(), "a GPU container was left behind: {left:?}");
        }
    }
}

#[test]
fn gpu_auto_falls_back_to_cpu() {
    let spec = ContainerSpec::image(python_container_test_e2e::IMAGE).gpu(GpuMode::Auto);
    let py = PythonContainer::start(spec).unwrap();
    let has_nvidia = docker(&["info", "--format", "{{json .Runtimes}}"]).contains("nvidia");
    assert_eq!(py.gpu(), has_nvidia);
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
