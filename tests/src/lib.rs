//! Helpers shared by the end-to-end tests: image names, the probe process,
//! and looking at the engine with the `docker` CLI (independent of the crate
//! under test).

use std::process::Command;
use std::time::{Duration, Instant};

/// The project's default Python image (built by `docker/build-images.sh`).
pub const IMAGE: &str = "python-container-test/python:3.11";
/// The example image with numpy installed offline.
pub const NUMPY_IMAGE: &str = "python-container-test/numpy:3.11";
/// An image set up like the official `python:*` images (root, workdir `/`,
/// no `PYTHON*` settings): the stand-in for `python:3.x-slim` where nothing
/// can be pulled. Built by `docker/build-images.sh`.
pub const OFFICIAL_IMAGE: &str = "python-container-test/official:3.11";
/// An image without Python.
pub const NO_PYTHON_IMAGE: &str = "python-container-test/no-python:bookworm";

/// The variable naming the image the matrix suites (`fidelity`, `handle`)
/// run on; `tests/matrix.sh` sets it to each image of the matrix.
pub const MATRIX_IMAGE_VAR: &str = "PCT_TEST_IMAGE";

/// The image of this run of the matrix suites: [`MATRIX_IMAGE_VAR`], or the
/// project's image.
pub fn matrix_image() -> String {
    std::env::var(MATRIX_IMAGE_VAR)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| IMAGE.to_owned())
}

/// The spec of the matrix suites' tests (`fixture = matrix_spec`).
pub fn matrix_spec() -> python_container_test::ContainerSpec {
    python_container_test::ContainerSpec::image(matrix_image())
}

/// Label of every container the crate creates.
pub const MANAGED: &str = "python-container-test.managed=true";

/// A scope no other test uses, so its containers are its own.
pub fn unique_scope(test: &str) -> String {
    format!("e2e-{test}-{}-{}", std::process::id(), now_nanos())
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

/// Runs the `docker` CLI with `args` and returns its stdout, trimmed (empty
/// if the command failed; its stderr is dropped). Panics if the CLI cannot
/// be started.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The agent's TCP lease port in a container.
pub const LEASE_PORT: u16 = 47600;

/// Where this host reaches the agent's TCP lease port of `py`: the port
/// published on the loopback, else (a container made by a process that
/// shares `dockerd`'s network publishes none) its address on the bridge.
pub fn lease_address(py: &python_container_test::PythonContainer) -> std::net::SocketAddr {
    if let Ok(port) = py.host_port(LEASE_PORT) {
        return (std::net::Ipv4Addr::LOCALHOST, port).into();
    }
    let ip = docker(&[
        "inspect",
        "--format",
        "{{.NetworkSettings.Networks.bridge.IPAddress}}",
        py.id(),
    ]);
    let ip: std::net::Ipv4Addr = ip
        .parse()
        .unwrap_or_else(|e| panic!("no lease port published, no bridge address {ip:?}: {e}"));
    (ip, LEASE_PORT).into()
}

/// Python that prints how many processes in its container run the exec
/// lease's relay. Processes come and go while it looks (other tests' calls
/// in a shared container among them): one gone before its command line is
/// read is not counted.
pub const COUNT_RELAYS: &str = r#"
import os
n = 0
for pid in os.listdir("/proc"):
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            n += b"python-container-test relay:" in f.read()
    except OSError:
        pass
print(n)
"#;

/// How many processes in the container of `py` run the exec lease's relay
/// ([`COUNT_RELAYS`]).
pub fn relays(py: &python_container_test::PythonContainer) -> usize {
    let out = py.python(COUNT_RELAYS).expect("the relays are counted");
    out.assert_success();
    let text = out.stdout_str();
    text.trim()
        .parse()
        .unwrap_or_else(|e| panic!("a count of relays, not {text:?}: {e}"))
}

/// Whether the engine `docker` talks to (`DOCKER_HOST`) is Podman.
pub fn engine_is_podman() -> bool {
    docker(&[
        "version",
        "--format",
        "{{range .Server.Components}}{{.Name}},{{end}}",
    ])
    .contains("Podman")
}

/// Ids of the containers (any state) with all these labels.
pub fn containers_with(labels: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("docker");
    cmd.args(["ps", "-aq", "--no-trunc"]);
    for label in labels {
        cmd.args(["--filter", &format!("label={label}")]);
    }
    let out = cmd.output().expect("docker CLI runs");
    assert!(out.status.success(), "docker ps failed: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The containers of a scope.
pub fn containers_in_scope(scope: &str) -> Vec<String> {
    containers_with(&[MANAGED, &format!("python-container-test.scope={scope}")])
}

/// Waits until `f` returns an empty list, up to `timeout`; returns what is left.
pub fn wait_until_empty(timeout: Duration, f: impl Fn() -> Vec<String>) -> Vec<String> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = f();
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Whether a container exists (any state).
pub fn container_exists(id: &str) -> bool {
    Command::new("docker")
        .args(["inspect", "--format", "{{.Id}}", id])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A `probe` process (a stand-in for one test process): see `src/bin/probe.rs`.
/// `exe` is `env!("CARGO_BIN_EXE_probe")`, known to integration tests only.
pub fn probe(exe: &str, scope: &str, linger_secs: f64) -> Command {
    let mut cmd = Command::new(exe);
    cmd.env("PYTHON_CONTAINER_TEST_SCOPE", scope)
        .env("PYTHON_CONTAINER_TEST_LINGER", linger_secs.to_string());
    cmd
}

/// `GET path` from `addr` with a hand-written HTTP/1.0 request: (status,
/// body). Panics, naming `addr`, when it cannot be reached within 10 s.
pub fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let timeout = Duration::from_secs(10);
    let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout)
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream.set_read_timeout(Some(timeout)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response from {addr}: {response:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, body.to_owned())
}

/// Asserts that code in `py`'s container connects to a listener of this
/// process at `py.host_address()` (on all interfaces, any port).
pub fn assert_container_reaches_this_process(py: &python_container_test::PythonContainer) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(b"hello from the test process").unwrap();
        let mut rest = Vec::new();
        let _ = conn.read_to_end(&mut rest);
    });
    let host = py.host_address().unwrap();
    println!("host_address() = {host}");
    let code = format!(
        "__import__('socket').create_connection(({host:?}, {port}), timeout=10).recv(100).decode()"
    );
    let got: String = py.eval(&code).unwrap();
    assert_eq!(got, "hello from the test process");
    server.join().unwrap();
}
