//! The container's life across processes: created once, shared, and gone
//! within linger + 3 s of the last process ending, however it ends.
//!
//! Leases are TCP by default; the crash tests that matter most (SIGKILL,
//! sixteen processes at once) run with each transport forced
//! (`PYTHON_CONTAINER_TEST_LEASE=tcp|exec`), so neither can hide behind the
//! other.

use python_container_test::{ContainerSpec, PythonContainer};
use python_container_test_e2e::{
    containers_in_scope, docker, probe, unique_scope, wait_until_empty, IMAGE, OFFICIAL_IMAGE,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");
const LINGER: f64 = 1.0;
/// The promise: gone at most linger + 3 s after the last holder ends.
fn teardown_budget() -> Duration {
    Duration::from_secs_f64(LINGER + 3.0)
}

/// How a probe's lease reaches the agent.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    /// Unset: TCP, falling back to exec.
    Default,
    /// Forced TCP: acquiring fails rather than fall back.
    Tcp,
    /// Forced exec (the relay).
    Exec,
}

/// A probe process with the lease mode set.
fn probe_in(mode: Mode, scope: &str) -> Command {
    let mut cmd = probe(PROBE, scope, LINGER);
    match mode {
        Mode::Default => cmd.env_remove("PYTHON_CONTAINER_TEST_LEASE"),
        Mode::Tcp => cmd.env("PYTHON_CONTAINER_TEST_LEASE", "tcp"),
        Mode::Exec => cmd.env("PYTHON_CONTAINER_TEST_LEASE", "exec"),
    };
    cmd
}

/// Starts a probe holding its handle, and waits until it has the container.
fn holder(scope: &str, extra: &[&str]) -> (Child, String) {
    holder_in(Mode::Default, scope, extra)
}

fn holder_in(mode: Mode, scope: &str, extra: &[&str]) -> (Child, String) {
    let mut child = probe_in(mode, scope)
        .args(["--hold", "600"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let id = read_id(&mut child, mode);
    (child, id)
}

/// Reads the probe's container id up to its `ready`; checks that its lease
/// went the way `mode` forces (no relay in the container for TCP, its own
/// relay at least for exec).
fn read_id(child: &mut Child, mode: Mode) -> String {
    let stdout = child.stdout.take().unwrap();
    let mut id = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("id=") {
            id = Some(rest.to_owned());
        }
        if let Some(relays) = line.strip_prefix("relays=") {
            let relays: usize = relays.parse().unwrap();
            match mode {
                Mode::Tcp => assert_eq!(relays, 0, "a TCP lease runs no relay"),
                Mode::Exec => assert!(relays >= 1, "an exec lease runs a relay"),
                Mode::Default => {}
            }
        }
        assert!(!line.starts_with("error="), "{line}");
        if line == "ready" {
            break;
        }
    }
    id.expect("the probe printed its container id")
}

fn assert_gone_after_last_holder(scope: &str) {
    let left = wait_until_empty(teardown_budget(), || containers_in_scope(scope));
    assert!(
        left.is_empty(),
        "left behind after {:?}: {left:?}",
        teardown_budget()
    );
}

fn signal(child: &Child, sig: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_process_that_exits_normally_releases_the_container() {
    let scope = unique_scope("exit");
    let out = probe(PROBE, &scope, LINGER).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_gone_after_last_holder(&scope);
}

#[test]
fn a_panicking_process_releases_the_container() {
    let scope = unique_scope("panic");
    let out = probe(PROBE, &scope, LINGER)
        .args(["--end", "panic"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_gone_after_last_holder(&scope);
}

#[test]
fn an_aborted_process_releases_the_container() {
    let scope = unique_scope("abort");
    let out = probe(PROBE, &scope, LINGER)
        .args(["--end", "abort"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_gone_after_last_holder(&scope);
}

#[test]
fn the_workdir_of_a_process_that_ends_without_dropping_its_handle_is_removed() {
    // Under nextest a test process exits right after its test: the
    // handle's removal of its workdir may never be sent. The lease's end
    // removes it, while the container lives on for others.
    let scope = unique_scope("workdir-of-an-ended-process");
    let (mut holder, id) = holder(&scope, &["--end", "hang"]);
    let mut ended = probe(PROBE, &scope, LINGER)
        .args(["--hold", "600", "--end", "hang"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(ended.stdout.take().unwrap()).lines();
    let printed: Vec<String> = lines
        .by_ref()
        .map_while(Result::ok)
        .take_while(|l| l != "ready")
        .collect();
    let workdir = printed
        .iter()
        .find_map(|l| l.strip_prefix("workdir="))
        .unwrap_or_else(|| panic!("the probe printed its workdir: {printed:?}"));
    let exists = || {
        let test = format!("test -e '{workdir}' && echo yes");
        docker(&["exec", &id, "sh", "-c", &test]) == "yes"
    };
    assert!(exists(), "{workdir} is there while its process lives");
    signal(&ended, "KILL");
    ended.wait().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !exists(),
        "{workdir} is still there 10 s after its process was killed"
    );
    signal(&holder, "KILL");
    holder.wait().unwrap();
    assert_gone_after_last_holder(&scope);
}

fn sigkill_releases_the_container(mode: Mode) {
    let scope = unique_scope(&format!("sigkill-{mode:?}"));
    let (mut child, _) = holder_in(mode, &scope, &["--end", "hang"]);
    assert_eq!(containers_in_scope(&scope).len(), 1);
    signal(&child, "KILL");
    child.wait().unwrap();
    assert_gone_after_last_holder(&scope);
}

#[test]
fn sigkill_while_holding_the_lease_releases_the_container() {
    sigkill_releases_the_container(Mode::Default);
}

#[test]
fn sigkill_while_holding_a_tcp_lease_releases_the_container() {
    sigkill_releases_the_container(Mode::Tcp);
}

#[test]
fn sigkill_while_holding_an_exec_lease_releases_the_container() {
    sigkill_releases_the_container(Mode::Exec);
}

#[test]
fn sigterm_and_sigint_release_the_container() {
    for sig in ["TERM", "INT"] {
        let scope = unique_scope(&format!("sig{sig}"));
        let (mut child, _) = holder(&scope, &["--end", "hang"]);
        signal(&child, sig);
        child.wait().unwrap();
        assert_gone_after_last_holder(&scope);
    }
}

#[test]
fn the_container_stays_while_any_holder_lives() {
    let scope = unique_scope("last-holder");
    let (mut first, id1) = holder(&scope, &["--end", "hang"]);
    let (mut second, id2) = holder(&scope, &["--end", "hang"]);
    assert_eq!(id1, id2);
    signal(&first, "KILL");
    first.wait().unwrap();
    std::thread::sleep(teardown_budget());
    assert_eq!(
        containers_in_scope(&scope),
        [id1],
        "the second holder still needs it"
    );
    signal(&second, "KILL");
    second.wait().unwrap();
    assert_gone_after_last_holder(&scope);
}

/// Sixteen probes started together, `rounds` times: one container each
/// round, gone after they are all killed.
fn sixteen_at_once(mode: Mode, rounds: usize) {
    for round in 0..rounds {
        let scope = unique_scope(&format!("sixteen-{mode:?}-{round}"));
        let mut children: Vec<Child> = (0..16)
            .map(|_| {
                probe_in(mode, &scope)
                    .args(["--hold", "600", "--end", "hang"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let ids: Vec<String> = children.iter_mut().map(|c| read_id(c, mode)).collect();
        let live = containers_in_scope(&scope);
        assert_eq!(live.len(), 1, "round {round}: {live:?}");
        assert!(
            ids.iter().all(|id| *id == live[0]),
            "round {round}: {ids:?}"
        );
        for child in &mut children {
            signal(child, "KILL");
            child.wait().unwrap();
        }
        assert_gone_after_last_holder(&scope);
    }
}

#[test]
fn sixteen_processes_at_once_create_exactly_one_container() {
    sixteen_at_once(Mode::Tcp, 20);
}

#[test]
fn sixteen_processes_at_once_with_exec_leases_create_exactly_one_container() {
    sixteen_at_once(Mode::Exec, 5);
}

#[test]
fn tcp_and_exec_leases_share_one_container() {
    let scope = unique_scope("mixed");
    let (mut tcp, id1) = holder_in(Mode::Tcp, &scope, &["--end", "hang"]);
    let (mut exec, id2) = holder_in(Mode::Exec, &scope, &["--end", "hang"]);
    assert_eq!(id1, id2);
    // The TCP holder goes first: the exec holder keeps the container.
    signal(&tcp, "KILL");
    tcp.wait().unwrap();
    std::thread::sleep(teardown_budget());
    assert_eq!(containers_in_scope(&scope), [id1]);
    signal(&exec, "KILL");
    exec.wait().unwrap();
    assert_gone_after_last_holder(&scope);
}

/// A raw TCP connection to the agent's lease port.
struct Raw {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Raw {
    fn connect(at: std::net::SocketAddr) -> Raw {
        let stream = TcpStream::connect(at).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let reader = BufReader::new(stream.try_clone().unwrap());
        Raw { stream, reader }
    }

    fn send(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
    }

    fn line(&mut self) -> serde_json::Value {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
    }

    /// The agent's lease count.
    fn leases(&mut self) -> u64 {
        self.send(r#"{"id": 1, "op": "ping"}"#);
        let answer = self.line();
        answer["leases"]
            .as_u64()
            .unwrap_or_else(|| panic!("{answer}"))
    }

    /// Whether the agent closed the connection (EOF or reset) without a word.
    fn closed_silently(mut self) -> bool {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => rest.is_empty(),
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

#[test]
fn a_tcp_connection_without_the_secret_is_closed_and_not_counted() {
    let py = PythonContainer::start(
        ContainerSpec::image(python_container_test_e2e::IMAGE).env("E2E_LIFECYCLE", "secret"),
    )
    .unwrap();
    let port = python_container_test_e2e::lease_address(&py);
    let secret = docker(&[
        "inspect",
        "--format",
        r#"{{index .Config.Labels "python-container-test.lease-secret"}}"#,
        py.id(),
    ]);
    assert_eq!(secret.len(), 64, "{secret:?}");

    // With the secret: a lease, counted beside this process's own.
    let mut good = Raw::connect(port);
    good.send(&serde_json::json!({ "secret": secret }).to_string());
    assert_eq!(good.line()["hello"], true);
    let leases = good.leases();
    assert!(leases >= 2, "{leases}");

    // A connection that has not sent its first line yet is not a lease.
    let silent = Raw::connect(port);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(good.leases(), leases);

    let wrong_secret = format!(r#"{{"secret": "{}"}}"#, "0".repeat(64));
    for first_line in [
        wrong_secret.as_str(),
        r#"{"secret": ""}"#,
        r#"{"id": 1, "op": "ping"}"#,
        "GET / HTTP/1.0",
    ] {
        let mut bad = Raw::connect(port);
        bad.send(first_line);
        assert!(bad.closed_silently(), "{first_line} was answered");
        assert_eq!(good.leases(), leases, "after {first_line}");
    }
    drop(silent);
    assert!(py.logs().unwrap().contains("did not send the lease secret"));
    // The real leases go on working.
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
    drop(good);
}

#[test]
fn two_scopes_give_two_containers() {
    let (a, b) = (unique_scope("scope-a"), unique_scope("scope-b"));
    let (mut ca, ida) = holder(&a, &["--end", "hang"]);
    let (mut cb, idb) = holder(&b, &["--end", "hang"]);
    assert_ne!(ida, idb);
    for child in [&mut ca, &mut cb] {
        signal(child, "KILL");
        child.wait().unwrap();
    }
    assert_gone_after_last_holder(&a);
    assert_gone_after_last_holder(&b);
}

#[test]
fn two_specs_give_two_containers() {
    let scope = unique_scope("specs");
    let (mut ca, ida) = holder(&scope, &["--end", "hang"]);
    let (mut cb, idb) = holder(
        &scope,
        &[
            "--end",
            "hang",
            "--image",
            python_container_test_e2e::NUMPY_IMAGE,
        ],
    );
    assert_ne!(ida, idb);
    assert_eq!(containers_in_scope(&scope).len(), 2);
    for child in [&mut ca, &mut cb] {
        signal(child, "KILL");
        child.wait().unwrap();
    }
    assert_gone_after_last_holder(&scope);
}

/// A tag moved to another image gets a container of the image it names
/// now, never the one it named before. A second process while the first
/// container lingers shares it, and on Docker reads the image's id off the
/// engine's listing, with no inspect of the image: Docker lists a
/// container by its tag only while the tag still names its image. Podman
/// lists it by the tag whatever it names, so there the image is inspected;
/// so it is over a TCP `DOCKER_HOST` (the engine's ping is read over a Unix
/// socket only).
#[test]
fn a_moved_tag_gets_a_container_of_the_image_it_names_now() {
    let tag = format!("python-container-test/moved:{}", std::process::id());
    let scope = unique_scope("moved-tag");
    let image_id = |image: &str| docker(&["image", "inspect", "--format", "{{.Id}}", image]);
    docker(&["tag", IMAGE, &tag]);
    assert_eq!(image_id(&tag), image_id(IMAGE), "docker tag {IMAGE} {tag}");
    let run = || {
        let out = probe(PROBE, &scope, 10.0)
            .args(["--image", &tag])
            .env("RUST_LOG", "python_container_test_fixtures=debug")
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "probe failed: {printed}{log}");
        let id = printed
            .lines()
            .find_map(|l| l.strip_prefix("id="))
            .map(str::to_owned);
        let from_listing = log.contains("as the engine's listing shows it");
        (id.expect("the probe prints id="), from_listing, log)
    };
    let on_podman = python_container_test_e2e::engine_is_podman();
    let over_tcp =
        std::env::var("DOCKER_HOST").is_ok_and(|h| !h.is_empty() && !h.starts_with("unix://"));
    let listing_read = !on_podman && !over_tcp;
    let (first, _, _) = run();
    let (again, from_listing, log) = run();
    assert_eq!(
        first, again,
        "a second process shares the lingering container"
    );
    assert_eq!(
        from_listing, listing_read,
        "podman: {on_podman}, over TCP: {over_tcp}; {log}"
    );
    docker(&["tag", OFFICIAL_IMAGE, &tag]);
    assert_eq!(
        image_id(&tag),
        image_id(OFFICIAL_IMAGE),
        "docker tag {OFFICIAL_IMAGE} {tag}"
    );
    let (moved, from_listing, log) = run();
    let moved_image = docker(&["inspect", "--format", "{{.Image}}", &moved]);
    for id in [&first, &moved] {
        docker(&["rm", "-f", id]);
    }
    docker(&["rmi", &tag]);
    assert_ne!(
        first, moved,
        "the container of the image the tag named before served it"
    );
    assert_eq!(moved_image, image_id(OFFICIAL_IMAGE));
    assert!(!from_listing, "{log}");
}
