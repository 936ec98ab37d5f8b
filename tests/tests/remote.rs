//! A remote engine: one this machine reaches over TCP only, at another
//! address, whose published ports are on that address and not on this
//! loopback. `tests/remote.sh` makes one (a dockerd in a network namespace
//! at 10.231.0.2) and runs this suite with `DOCKER_HOST=tcp://10.231.0.2:2375`
//! and `PCT_REMOTE_ENGINE=1`; without them every test says it is skipped.
//!
//! The `docker` CLI of the helpers follows `DOCKER_HOST`, so they look at
//! the remote engine.

use python_container_test::{ContainerSpec, PythonContainer, Service};
use python_container_test_e2e::{
    assert_container_reaches_this_process, containers_in_scope, docker, http_get, probe,
    unique_scope, wait_until_empty, IMAGE,
};
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const PROBE: &str = env!("CARGO_BIN_EXE_probe");
const LINGER: f64 = 1.0;
/// The variable `tests/remote.sh` sets once the remote engine is up.
const REMOTE_VAR: &str = "PCT_REMOTE_ENGINE";
/// What a TCP lease that finds no agent may wait before it falls back to
/// exec (the route's retry window and hello timeout are 5 s each): an
/// acquire under this did not wait for TCP.
const NO_TCP_WAIT: Duration = Duration::from_secs(2);
/// How much longer than with exec forced creating a container may take
/// (the engine is busy with the suite's other tests): under the 5 s a TCP
/// wait would add.
const CREATE_MARGIN: Duration = Duration::from_secs(3);

/// The remote engine's address, or `None` (the test is skipped, and says
/// so) when `tests/remote.sh` did not set it up.
fn remote_engine() -> Option<IpAddr> {
    if std::env::var(REMOTE_VAR).as_deref() != Ok("1") {
        eprintln!(
            "skipped: needs the remote engine of tests/remote.sh \
             ({REMOTE_VAR}=1 and DOCKER_HOST=tcp://...); run `bash tests/remote.sh`"
        );
        return None;
    }
    let host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let ip = host
        .strip_prefix("tcp://")
        .and_then(|rest| rest.split(':').next())
        .and_then(|ip| ip.parse().ok());
    assert!(
        ip.is_some(),
        "{REMOTE_VAR}=1 needs DOCKER_HOST=tcp://<ip>:<port>, not {host:?}"
    );
    ip
}

/// A probe holding its container until killed, with the time from its
/// start to its first Python call's answer and its container's number of
/// exec-lease relays.
struct Holder {
    child: Child,
    id: String,
    relays: usize,
    ready_after: Duration,
}

fn hold(scope: &str, lease: Option<&str>) -> Holder {
    let mut cmd = probe(PROBE, scope, LINGER);
    match lease {
        Some(mode) => cmd.env("PYTHON_CONTAINER_TEST_LEASE", mode),
        None => cmd.env_remove("PYTHON_CONTAINER_TEST_LEASE"),
    };
    let started = Instant::now();
    let mut child = cmd
        .args(["--hold", "600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (mut id, mut relays) = (String::new(), 0);
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        assert!(!line.starts_with("error="), "{line}");
        if let Some(rest) = line.strip_prefix("id=") {
            id = rest.to_owned();
        }
        if let Some(n) = line.strip_prefix("relays=") {
            relays = n.parse().unwrap();
        }
        if line == "ready" {
            break;
        }
    }
    assert!(!id.is_empty(), "the probe printed no container id");
    let ready_after = started.elapsed();
    Holder {
        child,
        id,
        relays,
        ready_after,
    }
}

#[test]
fn leases_are_exec_at_once_and_a_sigkilled_holder_releases_the_container() {
    if remote_engine().is_none() {
        return;
    }
    // The baseline first (created first, so not the warmer one): a creator
    // with exec forced, in a scope of its own.
    let baseline_scope = unique_scope("remote-lease-exec");
    let mut baseline = hold(&baseline_scope, Some("exec"));
    baseline.child.kill().unwrap();
    baseline.child.wait().unwrap();
    // Creates the container with the default route: its first acquire may
    // not wait for TCP either (that would add 5 s).
    let scope = unique_scope("remote-lease");
    let mut first = hold(&scope, None);
    // Attaches to the running container, by turns with the default route
    // and with exec forced (the baseline, in the same run).
    let (mut default, mut forced) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        for (lease, times) in [(None, &mut default), (Some("exec"), &mut forced)] {
            let mut attach = hold(&scope, lease);
            assert_eq!(attach.id, first.id, "one container for the scope");
            assert!(
                attach.relays >= 2,
                "a remote engine's leases are exec leases"
            );
            times.push(attach.ready_after);
            attach.child.kill().unwrap();
            attach.child.wait().unwrap();
        }
    }
    println!(
        "remote engine: first acquire (create) {:?}, exec forced {:?}; \
         attach, default {default:?}, exec forced {forced:?}",
        first.ready_after, baseline.ready_after
    );
    assert!(first.relays >= 1, "the creator's lease is an exec lease");
    assert!(
        first.ready_after < baseline.ready_after + CREATE_MARGIN,
        "the first acquire took {:?} against {:?} with exec forced: it waited for a TCP lease",
        first.ready_after,
        baseline.ready_after
    );
    let slowest = default.iter().max().copied().unwrap_or_default();
    assert!(
        slowest < NO_TCP_WAIT,
        "attaching took {slowest:?}: it waited for a TCP lease"
    );
    // Crash teardown: the last holder SIGKILLed, the container goes.
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let budget = Duration::from_secs_f64(LINGER + 3.0);
    let left = wait_until_empty(budget, || {
        let mut left = containers_in_scope(&scope);
        left.extend(containers_in_scope(&baseline_scope));
        left
    });
    assert!(
        left.is_empty(),
        "left on the remote engine after {budget:?}: {left:?}"
    );
}

#[test]
fn files_copy_in_and_out() {
    if remote_engine().is_none() {
        return;
    }
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    let bytes: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    py.write_file("blob.bin", bytes.clone()).unwrap();
    assert_eq!(py.read_file("blob.bin").unwrap(), bytes);

    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(host.path().join("in/sub")).unwrap();
    std::fs::write(host.path().join("in/sub/a.txt"), "from the host").unwrap();
    py.copy_to(host.path().join("in"), "tree").unwrap();
    let seen: String = py.eval("open('tree/sub/a.txt').read()").unwrap();
    assert_eq!(seen, "from the host");
    py.python("open('tree/sub/b.txt', 'w').write('from the container')")
        .unwrap()
        .assert_success();
    py.copy_from("tree", host.path().join("out")).unwrap();
    let back = std::fs::read_to_string(host.path().join("out/sub/b.txt")).unwrap();
    assert_eq!(back, "from the container");
}

#[test]
fn a_dockerfile_builds_on_the_remote_engine() {
    if remote_engine().is_none() {
        return;
    }
    let dockerfile = concat!(env!("CARGO_MANIFEST_DIR"), "/images/hello/Dockerfile");
    let py = PythonContainer::start(ContainerSpec::dockerfile(dockerfile)).unwrap();
    let greeting = py.read_file("/opt/hello/greeting.txt").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&greeting).trim(),
        "hello from a Dockerfile"
    );
    // The image is on the remote engine (the CLI follows DOCKER_HOST).
    let image = docker(&["inspect", "--format", "{{.Config.Image}}", py.id()]);
    assert!(image.starts_with("python-container-test/built:"), "{image}");
    assert!(!docker(&["image", "inspect", "--format", "{{.Id}}", &image]).is_empty());
}

#[test]
fn a_service_is_reached_at_the_engine_host() {
    let Some(engine) = remote_engine() else {
        return;
    };
    let web = concat!(env!("CARGO_MANIFEST_DIR"), "/images/webservice/Dockerfile");
    let spec = ContainerSpec::dockerfile(web).service(
        Service::new()
            .port(8080)
            .ready_http(8080, "/ready")
            .startup_timeout(Duration::from_secs(60)),
    );
    let py = PythonContainer::start(spec).unwrap();
    let addr = py.service_addr(8080).unwrap();
    let port = py.host_port(8080).unwrap();
    assert_eq!(
        addr,
        SocketAddr::new(engine, port),
        "the engine's host, the published port"
    );
    assert_eq!(http_get(addr, "/health"), (200, "ok\n".to_owned()));
    // The loopback, which host_port alone suggests, is not where it is.
    assert!(
        std::net::TcpStream::connect_timeout(
            &([127, 0, 0, 1], port).into(),
            Duration::from_secs(1)
        )
        .is_err(),
        "something answers on this host's 127.0.0.1:{port}"
    );
    // The async handle gives the same address.
    let async_addr = async_service_addr(py.to_async(), 8080);
    assert_eq!(async_addr, addr);
}

/// `AsyncPythonContainer::service_addr(port)`, awaited on a runtime of the test's own.
fn async_service_addr(py: python_container_test::AsyncPythonContainer, port: u16) -> SocketAddr {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(py.service_addr(port)).unwrap()
}

#[test]
fn the_container_reaches_this_process_at_host_address() {
    if remote_engine().is_none() {
        return;
    }
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    assert_container_reaches_this_process(&py);
}
