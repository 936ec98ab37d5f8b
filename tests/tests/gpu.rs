//! GPUs through CDI or the NVIDIA driver (`gpu = true`, `gpu = "auto"`,
//! `py.gpu()`), against whatever engine `DOCKER_HOST` names. The engine's
//! kind comes from the environment, and each test asserts what that engine
//! must give:
//!
//! - unset: an engine with no GPU mechanism (the CI's Docker 20.10): `gpu =
//!   true` fails within seconds with an error naming each mechanism tried and
//!   how to enable one, and leaves no container; `"auto"` runs on CPU and
//!   `py.gpu()` is `None`.
//! - `PCT_FAKE_CDI=1` (`tests/cdi.sh`): Docker 26 with CDI on and a fake CDI
//!   device `nvidia.com/gpu=all` that injects `PCT_FAKE_GPU=1` and
//!   `/dev/pct-fake-gpu` (from `/dev/null`): both modes attach it through
//!   CDI, and a fast-path call sees both.
//! - `PCT_REAL_GPU=1`: a host with an NVIDIA GPU (see README, "GPUs"):
//!   `nvidia-smi -L` lists a GPU and `cuInit(0) == 0` in a fast-path call.
//!   `PCT_GPU_IMAGE` names the image (default: the project's);
//!   `PCT_GPU_EXPECT=cdi|nvidia` the mechanism the host must use
//!   (`tests/gpulab.sh run probe` runs it).

use python_container_test::{
    ContainerError, ContainerSpec, Error, GpuAttachment, GpuMode, PythonContainer,
};
use python_container_test_e2e::{containers_with, docker, MANAGED};
use std::time::{Duration, Instant};

/// The kind of engine under test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Engine {
    NoGpu,
    FakeCdi,
    RealGpu,
}

fn engine() -> Engine {
    let on = |var: &str| std::env::var(var).is_ok_and(|v| v == "1");
    match (on("PCT_FAKE_CDI"), on("PCT_REAL_GPU")) {
        (true, true) => panic!("set one of PCT_FAKE_CDI and PCT_REAL_GPU"),
        (true, false) => Engine::FakeCdi,
        (false, true) => Engine::RealGpu,
        (false, false) => Engine::NoGpu,
    }
}

fn image() -> String {
    std::env::var("PCT_GPU_IMAGE")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| python_container_test_e2e::IMAGE.to_owned())
}

fn spec(mode: GpuMode) -> ContainerSpec {
    ContainerSpec::image(image()).gpu(mode)
}

/// The device requests the engine recorded for a container, as JSON (read
/// with the docker CLI, independently of the crate).
fn recorded_requests(id: &str) -> String {
    docker(&[
        "inspect",
        "--format",
        "{{json .HostConfig.DeviceRequests}}",
        id,
    ])
}

/// What the fake CDI device must give: the env var and the device node, seen
/// by a fast-path call (its parent is the fork server, not an exec).
fn assert_fake_gpu(py: &PythonContainer) {
    assert_eq!(py.gpu(), Some(GpuAttachment::Cdi));
    let seen: (String, bool, bool, String) = py
        .eval(
            "(lambda os, stat: (os.environ.get('PCT_FAKE_GPU', ''), \
             os.path.exists('/dev/pct-fake-gpu'), \
             stat.S_ISCHR(os.stat('/dev/pct-fake-gpu').st_mode), \
             open(f'/proc/{os.getppid()}/cmdline').read()))\
             (__import__('os'), __import__('stat'))",
        )
        .unwrap();
    assert_eq!(seen.0, "1", "PCT_FAKE_GPU from the CDI spec: {seen:?}");
    assert!(
        seen.1 && seen.2,
        "/dev/pct-fake-gpu, a char device: {seen:?}"
    );
    assert!(
        seen.3.contains("worker.py"),
        "not a fast-path call: {seen:?}"
    );
    // A `docker exec` (py.exec) gets the device but not the spec's env:
    // Docker applies CDI's env edits to the container's first process (and
    // so to the agent and fast-path calls) only, not to execs.
    let exec = py
        .exec([
            "sh",
            "-c",
            "echo \"[$PCT_FAKE_GPU]\"; test -c /dev/pct-fake-gpu",
        ])
        .unwrap();
    exec.assert_success();
    assert_eq!(exec.stdout_str().trim(), "[]", "exec's env");
    let recorded = recorded_requests(py.id());
    assert!(
        recorded.contains(r#""Driver":"cdi""#) && recorded.contains("nvidia.com/gpu=all"),
        "{recorded}"
    );
}

/// What a real GPU must give: `nvidia-smi -L` lists one, and CUDA
/// initialises in a fast-path call.
fn assert_real_gpu(py: &PythonContainer) {
    let attached = py.gpu();
    assert!(attached.is_some(), "no GPU attached");
    eprintln!("GPUs attached through {attached:?}");
    // PCT_GPU_EXPECT=cdi|nvidia: the mechanism this host must use.
    if let Ok(expected) = std::env::var("PCT_GPU_EXPECT") {
        assert_eq!(attached.map(GpuAttachment::label), Some(expected.as_str()));
    }
    // From Python (the fast path), with the env the CDI spec gives the
    // container's processes (a CDI spec may put nvidia-smi on PATH).
    let gpus = py
        .python("import subprocess, sys; sys.exit(subprocess.run(['nvidia-smi', '-L']).returncode)")
        .unwrap();
    gpus.assert_success();
    assert!(gpus.stdout_str().contains("GPU 0"), "{}", gpus.stdout_str());
    eprintln!("nvidia-smi -L: {}", gpus.stdout_str().trim());
    // What a plain `docker exec` sees (informational: its env is the
    // container config's, without the spec's edits).
    match py.exec(["nvidia-smi", "-L"]) {
        Ok(out) => eprintln!("exec nvidia-smi -L: exit {}", out.exit_code),
        Err(e) => eprintln!("exec nvidia-smi -L: {e}"),
    }
    let (init, parent): (i64, String) = py
        .eval(
            "(__import__('ctypes').CDLL('libcuda.so.1').cuInit(0), \
             open(f'/proc/{__import__(\"os\").getppid()}/cmdline').read())",
        )
        .unwrap();
    assert_eq!(init, 0, "cuInit(0)");
    assert!(
        parent.contains("worker.py"),
        "not a fast-path call: {parent:?}"
    );
    eprintln!("cuInit(0) == 0 in a fast-path call");
}

#[test]
fn gpu_true() {
    let started = Instant::now();
    let result = PythonContainer::start(spec(GpuMode::Required));
    let took = started.elapsed();
    match engine() {
        Engine::NoGpu => {
            let err = result.expect_err("no GPU mechanism here, yet GPUs were attached");
            assert!(took < Duration::from_secs(15), "took {took:?}");
            eprintln!("gpu = true failed in {took:?}");
            assert_clear_gpu_error(&err);
            // The error is the same, and quicker, once the engine's refusals
            // are known to the process.
            let started = Instant::now();
            let again = PythonContainer::start(spec(GpuMode::Required).shared(false));
            let err = again.expect_err("still no GPUs");
            let took = started.elapsed();
            assert!(took < Duration::from_secs(10), "took {took:?}");
            eprintln!("again, with the refusals known: failed in {took:?}");
            assert_clear_gpu_error(&err);
            let scope = format!(
                "python-container-test.scope={}",
                python_container_test::scope()
            );
            let left = containers_with(&[MANAGED, "python-container-test.gpu=required", &scope]);
            assert!(left.is_empty(), "a GPU container was left behind: {left:?}");
        }
        Engine::FakeCdi => assert_fake_gpu(&result.unwrap()),
        Engine::RealGpu => assert_real_gpu(&result.unwrap()),
    }
}

fn assert_clear_gpu_error(err: &Error) {
    let text = err.to_string();
    eprintln!("the error: {text}");
    assert!(
        matches!(err, Error::Container(ContainerError::GpuUnavailable { .. })),
        "{text}"
    );
    for needle in [
        image().as_str(),
        "asked for GPUs",
        // Each mechanism tried, and what the engine said of it.
        "CDI (device nvidia.com/gpu=all): ",
        "the NVIDIA driver (device request driver nvidia): ",
        // How to enable one.
        r#""features": {"cdi": true}"#,
        "nvidia-ctk cdi generate",
        "nvidia-ctk runtime configure",
        r#"gpu = "auto""#,
    ] {
        assert!(text.contains(needle), "`{needle}` missing from: {text}");
    }
}

#[test]
fn gpu_auto() {
    let started = Instant::now();
    let py = PythonContainer::start(spec(GpuMode::Auto)).unwrap();
    match engine() {
        Engine::NoGpu => {
            assert!(started.elapsed() < Duration::from_secs(30));
            assert_eq!(py.gpu(), None);
            let recorded = recorded_requests(py.id());
            assert!(recorded == "null" || recorded == "[]", "{recorded}");
            let v: i64 = py.eval("6 * 7").unwrap();
            assert_eq!(v, 42);
        }
        Engine::FakeCdi => assert_fake_gpu(&py),
        Engine::RealGpu => assert_real_gpu(&py),
    }
}

/// The control: a CPU container on the same engine sees no GPU, so what
/// the GPU tests see comes from the device request.
#[test]
fn a_cpu_spec_gets_no_gpu() {
    let py = PythonContainer::start(spec(GpuMode::None)).unwrap();
    assert_eq!(py.gpu(), None);
    let seen: (Option<String>, bool) = py
        .eval("(__import__('os').environ.get('PCT_FAKE_GPU'), __import__('os').path.exists('/dev/pct-fake-gpu'))")
        .unwrap();
    assert_eq!(seen, (None, false));
}

/// Another process attaching to the GPU container learns how its GPUs were
/// attached from the container (its label), not from its own tries.
#[test]
fn another_process_attaching_sees_the_same_attachment() {
    let mode = match engine() {
        Engine::NoGpu => GpuMode::Auto,
        Engine::FakeCdi | Engine::RealGpu => GpuMode::Required,
    };
    let py = PythonContainer::start(spec(mode)).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_reports_its_attachment",
            "--ignored",
            "--nocapture",
        ])
        .env("PCT_GPU_CHILD_MODE", format!("{mode:?}"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("child: {} {:?}", py.id(), py.gpu())),
        "parent: {} {:?}; child's output: {stdout}",
        py.id(),
        py.gpu()
    );
}

/// Run by `another_process_attaching_sees_the_same_attachment` only.
#[test]
#[ignore = "run by another_process_attaching_sees_the_same_attachment"]
fn child_reports_its_attachment() {
    let mode = match std::env::var("PCT_GPU_CHILD_MODE").as_deref() {
        Ok("Required") => GpuMode::Required,
        Ok("Auto") => GpuMode::Auto,
        other => panic!("PCT_GPU_CHILD_MODE={other:?}"),
    };
    let py = PythonContainer::start(spec(mode)).unwrap();
    println!("child: {} {:?}", py.id(), py.gpu());
}
