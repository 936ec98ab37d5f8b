//! Engine discovery against the real engine: a `probe` process reaches it
//! only through the configuration under test (a Docker context made by the
//! Docker CLI, testcontainers' properties, `DOCKER_HOST`), with its socket at
//! a path nothing else knows (a link to the engine's socket). Each case has a
//! control that points the same step at a dead socket and must fail naming
//! it, although the default socket answers: proof that the step, not the
//! fallback, chose the engine.
//!
//! The order itself (every step, the known sockets, nothing answering) is
//! unit-tested with fake homes in `fixtures/src/discovery.rs`.

use python_container_test_e2e::{docker, probe, unique_scope, IMAGE};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const PROBE: &str = env!("CARGO_BIN_EXE_probe");
/// The engine's own socket, which the links point at.
const ENGINE_SOCKET: &str = "/var/run/docker.sock";

/// A user with nothing configured: an empty home, Docker config folder and
/// runtime dir, and a link to the engine's socket at a path of its own.
struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "config", "xdg", "engine"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        std::os::unix::fs::symlink(ENGINE_SOCKET, dir.path().join("engine/docker.sock")).unwrap();
        Self { dir }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// `unix://` of the link to the engine.
    fn live(&self) -> String {
        format!("unix://{}", self.path("engine/docker.sock").display())
    }

    /// `unix://` of a socket nobody listens on.
    fn dead(&self) -> String {
        format!("unix://{}", self.path("engine/dead.sock").display())
    }

    /// The Docker CLI with this sandbox's configuration folder.
    fn docker_cli(&self, args: &[&str]) {
        let out = Command::new("docker")
            .env("DOCKER_CONFIG", self.path("config"))
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "docker {args:?}: {out:?}");
    }

    /// A Docker context made and stored by the Docker CLI itself.
    fn context(&self, name: &str, host: &str) {
        let endpoint = format!("host={host}");
        self.docker_cli(&["context", "create", name, "--docker", &endpoint]);
    }

    /// A probe that sees only this sandbox: no `DOCKER_*` variables, HOME,
    /// DOCKER_CONFIG and XDG_RUNTIME_DIR in the sandbox.
    fn probe(&self, test: &str) -> Command {
        let mut cmd = probe(PROBE, &unique_scope(test), 1.0);
        for var in [
            "DOCKER_HOST",
            "DOCKER_CONTEXT",
            "DOCKER_TLS_VERIFY",
            "DOCKER_CERT_PATH",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.path("home"))
            .env("DOCKER_CONFIG", self.path("config"))
            .env("XDG_RUNTIME_DIR", self.path("xdg"));
        cmd
    }
}

/// Runs the probe; its stdout, and how long it took.
fn run(mut cmd: Command) -> (Output, String, Duration) {
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout, started.elapsed())
}

/// The probe got a container, over a TCP lease (the chosen engine is a
/// local socket, so its published ports are on this loopback).
fn assert_got_a_container(out: &Output, stdout: &str) {
    assert!(out.status.success(), "{stdout}\n{out:?}");
    assert!(stdout.lines().any(|l| l.starts_with("id=")), "{stdout}");
    assert!(stdout.lines().any(|l| l == "relays=0"), "{stdout}");
    assert!(stdout.lines().any(|l| l == "ready"), "{stdout}");
}

/// The probe failed at once with "not reachable", naming `host` and `why`.
fn assert_unreachable(out: &Output, stdout: &str, took: Duration, host: &str, why: &str) {
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let error = stdout
        .lines()
        .find_map(|l| l.strip_prefix("error="))
        .unwrap_or_else(|| panic!("no error in {stdout}"));
    assert!(error.contains("Docker is not reachable"), "{error}");
    assert!(error.contains(host), "{host} in {error}");
    assert!(error.contains(why), "{why} in {error}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_docker_context_with_its_socket_elsewhere_reaches_the_engine() {
    let sandbox = Sandbox::new();
    sandbox.context("pct-live", &sandbox.live());
    sandbox.context("pct-dead", &sandbox.dead());
    // The current context, as `docker context use` records it in config.json.
    sandbox.docker_cli(&["context", "use", "pct-live"]);
    let (out, stdout, _) = run(sandbox.probe("context"));
    assert_got_a_container(&out, &stdout);

    // DOCKER_CONTEXT names another context, whose engine is not there.
    let mut dead = sandbox.probe("context-dead");
    dead.env("DOCKER_CONTEXT", "pct-dead");
    let (out, stdout, took) = run(dead);
    assert_unreachable(
        &out,
        &stdout,
        took,
        &sandbox.dead(),
        "Docker context `pct-dead`",
    );

    // A context that does not exist is an error naming it, not a fallback.
    let mut missing = sandbox.probe("context-missing");
    missing.env("DOCKER_CONTEXT", "pct-missing");
    let (out, stdout, took) = run(missing);
    assert_unreachable(
        &out,
        &stdout,
        took,
        "Docker context `pct-missing`",
        "DOCKER_CONTEXT",
    );
}

#[test]
fn testcontainers_properties_choose_the_engine_before_the_context() {
    let sandbox = Sandbox::new();
    sandbox.context("pct-dead", &sandbox.dead());
    sandbox.docker_cli(&["context", "use", "pct-dead"]);
    let properties = sandbox.path("home/.testcontainers.properties");
    let write = |text: String| std::fs::write(&properties, text).unwrap();
    write(format!(
        "# testcontainers\ndocker.host={}\n",
        sandbox.live()
    ));
    let (out, stdout, _) = run(sandbox.probe("properties"));
    assert_got_a_container(&out, &stdout);

    // tc.host comes before docker.host.
    write(format!(
        "docker.host={}\ntc.host={}\n",
        sandbox.live(),
        sandbox.dead()
    ));
    let (out, stdout, took) = run(sandbox.probe("properties-tc-host"));
    assert_unreachable(&out, &stdout, took, &sandbox.dead(), "tc.host in");
}

#[test]
fn docker_host_comes_first() {
    let sandbox = Sandbox::new();
    sandbox.context("pct-live", &sandbox.live());
    sandbox.docker_cli(&["context", "use", "pct-live"]);
    std::fs::write(
        sandbox.path("home/.testcontainers.properties"),
        format!("tc.host={}\n", sandbox.live()),
    )
    .unwrap();
    let mut live = sandbox.probe("docker-host");
    live.env("DOCKER_HOST", sandbox.live());
    let (out, stdout, _) = run(live);
    assert_got_a_container(&out, &stdout);

    for host in [sandbox.dead(), "unix:///nonexistent/docker.sock".to_owned()] {
        let mut dead = sandbox.probe("docker-host-dead");
        dead.env("DOCKER_HOST", &host);
        let (out, stdout, took) = run(dead);
        assert_unreachable(&out, &stdout, took, &host, "DOCKER_HOST is set");
    }
}

#[test]
fn with_nothing_configured_the_default_socket_answers() {
    let sandbox = Sandbox::new();
    assert!(Path::new(ENGINE_SOCKET).exists());
    let (out, stdout, _) = run(sandbox.probe("known-socket"));
    assert_got_a_container(&out, &stdout);
}

/// A TLS front for the engine, as `dockerd --tlsverify` would be: it wants
/// a client certificate signed by the CA and relays to the engine's socket.
/// Python's `ssl`, run in the project's image.
const TLS_PROXY: &str = r#"
import os, socket, ssl, sys, threading
port, certs = int(sys.argv[1]), sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server-key.pem"))
ctx.load_verify_locations(os.path.join(certs, "ca.pem"))
ctx.verify_mode = ssl.CERT_REQUIRED
server = socket.create_server(("0.0.0.0", port))
print("listening", flush=True)
def pipe(a, b):
    try:
        while data := a.recv(65536):
            b.sendall(data)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
def serve(conn):
    try:
        conn = ctx.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError) as e:
        print("refused:", e, flush=True)
        conn.close()
        return
    engine = socket.socket(socket.AF_UNIX)
    engine.connect("/var/run/docker.sock")
    threading.Thread(target=pipe, args=(engine, conn), daemon=True).start()
    pipe(conn, engine)
while True:
    threading.Thread(target=serve, args=(server.accept()[0],), daemon=True).start()
"#;

/// A CA, a server certificate for localhost and a client certificate
/// signed by it, made with the `openssl` CLI in `dir`.
fn make_certs(dir: &Path) {
    let openssl = |args: &str| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args.split_whitespace())
            .output()
            .expect("the openssl CLI runs (Debian: apt-get install openssl)");
        assert!(out.status.success(), "openssl {args}: {out:?}");
    };
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    openssl(
        "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pct-ca -keyout ca-key.pem -out ca.pem",
    );
    for (who, cn) in [("server", "localhost"), ("client", "pct-client")] {
        openssl(&format!(
            "req -newkey rsa:2048 -nodes -subj /CN={cn} -keyout {who}-key.pem -out {who}.csr"
        ));
        openssl(&format!(
            "x509 -req -in {who}.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile {who}.ext -out {who}.pem"
        ));
    }
}

/// A container this test started, removed (by id) when dropped.
struct OwnContainer(String);

impl Drop for OwnContainer {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

/// Starts the TLS front in a container of the project's image, with the
/// engine's socket and the certificates mounted; its port on the loopback.
fn start_tls_front(certs: &Path) -> (OwnContainer, u16) {
    std::fs::write(certs.join("proxy.py"), TLS_PROXY).unwrap();
    let mount = format!("{}:/certs:ro", certs.display());
    let out = Command::new("docker")
        .env_remove("DOCKER_HOST")
        .args([
            "run",
            "-d",
            "--rm",
            "--user",
            "root",
            "-p",
            "127.0.0.1::2376",
        ])
        .args([
            "-v",
            "/var/run/docker.sock:/var/run/docker.sock",
            "-v",
            &mount,
        ])
        .args([
            "--entrypoint",
            "python3",
            IMAGE,
            "/certs/proxy.py",
            "2376",
            "/certs",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "docker run: {out:?}");
    let front = OwnContainer(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    let port = docker(&["port", &front.0, "2376/tcp"]);
    let port: u16 = port
        .lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("the front's port: {port:?}"));
    // The engine's port proxy accepts before the front listens: wait for its word.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !docker(&["logs", &front.0]).contains("listening") {
        assert!(Instant::now() < deadline, "the TLS front did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    (front, port)
}

#[test]
fn a_docker_context_with_tls_material_reaches_the_engine_over_tls() {
    let sandbox = Sandbox::new();
    let certs = sandbox.path("certs");
    std::fs::create_dir(&certs).unwrap();
    make_certs(&certs);
    let (_front, port) = start_tls_front(&certs);
    let host = format!("tcp://localhost:{port}");
    let pem = |name: &str| certs.join(name).display().to_string();
    // The Docker CLI copies the files into the context's TLS folder.
    let tls = format!(
        "host={host},ca={},cert={},key={}",
        pem("ca.pem"),
        pem("client.pem"),
        pem("client-key.pem")
    );
    sandbox.docker_cli(&["context", "create", "pct-tls", "--docker", &tls]);
    sandbox.docker_cli(&[
        "context",
        "create",
        "pct-plain",
        "--docker",
        &format!("host={host}"),
    ]);
    sandbox.docker_cli(&["context", "use", "pct-tls"]);
    let (out, stdout, _) = run(sandbox.probe("tls-context"));
    assert!(out.status.success(), "{stdout}\n{out:?}");
    assert!(stdout.lines().any(|l| l == "ready"), "{stdout}");
    // A TCP engine is another machine, or may be: the lease is an exec.
    assert!(!stdout.lines().any(|l| l == "relays=0"), "{stdout}");

    // The same engine without the context's certificates: refused.
    let mut plain = sandbox.probe("tls-plain");
    plain.env("DOCKER_CONTEXT", "pct-plain");
    let (out, stdout, took) = run(plain);
    assert_unreachable(&out, &stdout, took, &host, "Docker context `pct-plain`");
}
