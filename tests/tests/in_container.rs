//! Tests that run inside a container (the GitLab, devcontainer and
//! CI-runner pattern): `tests/in_container.sh` runs this binary in a
//! container of the project's image with the engine's socket mounted and
//! `PCT_IN_CONTAINER=1`, which adds the checks that only hold there. On the
//! host they run as ordinary tests.
//!
//! In a container, this process's loopback is not the engine's: leases are
//! exec leases from the start, a service is reached at the container's
//! address on the network both share (or at `TESTCONTAINERS_HOST_OVERRIDE`
//! with the published port, when that is set), and the container reaches
//! this process at this container's address on that network.

use python_container_test::{ContainerSpec, PythonContainer, Service};
use python_container_test_e2e::{assert_container_reaches_this_process, http_get, relays, IMAGE};
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Set by `tests/in_container.sh` in the container that runs this binary.
const IN_CONTAINER_VAR: &str = "PCT_IN_CONTAINER";
/// Set by `tests/in_container.sh` for its crash check: the holder test
/// holds its container this many seconds (until the script kills it).
const HOLD_VAR: &str = "PCT_HOLD_SECS";
const OVERRIDE_VAR: &str = "TESTCONTAINERS_HOST_OVERRIDE";

/// Whether the script runs this binary in a container; then it must be one.
fn in_container() -> bool {
    let asked = std::env::var(IN_CONTAINER_VAR).as_deref() == Ok("1");
    if asked {
        assert!(
            std::path::Path::new("/.dockerenv").exists(),
            "{IN_CONTAINER_VAR}=1, but this process does not run in a Docker container"
        );
    }
    asked
}

fn host_override() -> Option<String> {
    std::env::var(OVERRIDE_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

#[test]
fn a_lease_is_taken_and_python_runs() {
    let started = Instant::now();
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    let acquired = started.elapsed();
    let v: Vec<i64> = py.eval("[i * i for i in range(4)]").unwrap();
    assert_eq!(v, [0, 1, 4, 9]);
    let relays = relays(&py);
    println!(
        "in container: {}, acquire {acquired:?}, relays {relays}",
        in_container()
    );
    if in_container() {
        // The exec lease, chosen at once: no TCP attempt to wait out.
        assert!(relays >= 1, "a lease from a container is an exec lease");
    }
}

/// A stdlib web server as the container's service.
fn web_spec() -> ContainerSpec {
    ContainerSpec::image(IMAGE).service(
        Service::new()
            .command([
                "python3",
                "-m",
                "http.server",
                "8080",
                "--directory",
                "/tmp",
            ])
            .port(8080)
            .ready_http(8080, "/")
            .startup_timeout(Duration::from_secs(30)),
    )
}

#[test]
fn a_service_is_reached_at_service_addr() {
    let py = PythonContainer::start(web_spec()).unwrap();
    let addr = py.service_addr(8080).unwrap();
    let published = py.host_port(8080).unwrap();
    println!("service_addr(8080) = {addr} (published on {published})");
    assert_eq!(http_get(addr, "/").0, 200, "GET / at {addr}");
    // The async handle gives the same address.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(
        runtime.block_on(py.to_async().service_addr(8080)).unwrap(),
        addr
    );
    if let Some(host) = host_override() {
        // The override wins: its host, the published port.
        let want = (host.as_str(), published)
            .to_socket_addrs()
            .unwrap()
            .find(SocketAddr::is_ipv4)
            .unwrap();
        assert_eq!(addr, want, "{OVERRIDE_VAR}={host}");
    } else if in_container() {
        // The documented address: the container's own, on the network both
        // share, with the container's port.
        let ip: String = py
            .eval("__import__('socket').gethostbyname(__import__('socket').gethostname())")
            .unwrap();
        assert_eq!(addr, SocketAddr::new(ip.parse().unwrap(), 8080));
    } else {
        assert_eq!(addr, SocketAddr::from(([127, 0, 0, 1], published)));
    }
}

#[test]
fn the_container_reaches_this_process_at_host_address() {
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    assert_container_reaches_this_process(&py);
}

/// For the script's crash check: holds a container until killed.
#[test]
fn holds_a_container_until_killed() {
    let Some(secs) = std::env::var(HOLD_VAR).ok().and_then(|v| v.parse().ok()) else {
        eprintln!("skipped: only tests/in_container.sh's crash check runs it ({HOLD_VAR})");
        return;
    };
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    let one: i64 = py.eval("1").unwrap();
    println!("holding {} ({one})", py.id());
    std::thread::sleep(Duration::from_secs(secs));
}
