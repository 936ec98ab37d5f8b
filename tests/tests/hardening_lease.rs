//! Lease hardening (the audit's findings 1, 5, 7 and 8), each against the
//! real engine: the exec leases' socket is out of reach of the host's other
//! users even with `network("host")` and never collides with a kept
//! container's; exec leases that arrive as the agent exits find a fresh
//! container; a connection without the secret costs the agent little and
//! for a bounded time; TCP leases survive a failed accept; a bad call
//! timeout is a clear error.

use python_container_test::{ContainerSpec, PythonContainer};
use python_container_test_e2e::{
    container_exists, containers_in_scope, docker, lease_address, probe, unique_scope,
    wait_until_empty, IMAGE, LEASE_PORT,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROBE: &str = env!("CARGO_BIN_EXE_probe");
/// How long the agent gives a TCP client to send its whole first line.
const SECRET_DEADLINE: Duration = Duration::from_secs(10);
/// How many TCP connections may wait to send their secret at a time.
const AUTH_WAITING_MAX: usize = 64;

/// The variable that gives each test's container a spec of its own.
const OWN_VAR: &str = "E2E_HARDENING_LEASE";

/// A spec of its own for one test of one run (no other test shares it), and
/// the `--env` argument that gives a probe the same spec.
fn own_spec(test: &str) -> (ContainerSpec, String) {
    let value = unique_scope(test);
    let spec = ContainerSpec::image(IMAGE).env(OWN_VAR, &value);
    (spec, format!("{OWN_VAR}={value}"))
}

/// Removes the containers it names (by id) when dropped, however the test ends.
struct Cleanup(Vec<String>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for id in &self.0 {
            docker(&["rm", "-f", id]);
        }
    }
}

/// The host pid of the container's PID 1 (its agent).
fn agent_pid(id: &str) -> u32 {
    let pid = docker(&["inspect", "--format", "{{.State.Pid}}", id]);
    pid.parse()
        .unwrap_or_else(|e| panic!("pid of {id}: {pid:?}: {e}"))
}

/// The value of the agent's `--socket` argument, from its command line.
fn agent_socket_arg(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let args: Vec<String> = cmdline
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let at = args.iter().position(|a| a == "--socket").expect("--socket");
    args[at + 1].clone()
}

/// Tries every way to the agent's exec-lease socket that a host process
/// has, and sends a lease's request without any secret: the outcome of each.
const TRY_SOCKETS: &str = r#"
import json, socket, sys
pid, arg, name = sys.argv[1:4]
targets = ["\0" + arg, "\0" + name, "/proc/%s/root%s" % (pid, arg), arg]
with open("/proc/net/unix") as f:
    for line in f.read().splitlines()[1:]:
        parts = line.split()
        if len(parts) > 7 and parts[7].startswith("@") and (name in parts[7] or arg in parts[7]):
            targets.append("\0" + parts[7][1:])
outcomes = {}
for target in targets:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(target)
        s.sendall(b'{"id": 1, "op": "run", "argv": ["id"]}\n')
        data = s.recv(4096)
        outcome = ("answered: " + data.decode("utf-8", "replace")) if data else "closed"
    except OSError as e:
        outcome = type(e).__name__
    outcomes[repr(target)] = outcome
    s.close()
print(json.dumps(outcomes))
"#;

/// Runs [`TRY_SOCKETS`] as `user` (`None`: as this process's user).
fn try_sockets(user: Option<u32>, pid: u32, arg: &str, name: &str) -> serde_json::Value {
    let script = tempfile::Builder::new().suffix(".py").tempfile().unwrap();
    std::fs::write(script.path(), TRY_SOCKETS).unwrap();
    let readable = std::os::unix::fs::PermissionsExt::from_mode(0o644);
    std::fs::set_permissions(script.path(), readable).unwrap();
    let path = script.path().to_str().unwrap();
    let mut cmd = match user {
        Some(uid) => {
            let mut cmd = Command::new("setpriv");
            cmd.args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                "/usr/bin/python3",
            ]);
            cmd
        }
        None => Command::new("/usr/bin/python3"),
    };
    let out = cmd
        .args([path, &pid.to_string(), arg, name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"))
}

/// Whether this process can act as another user (root, with setpriv and
/// the system's python3); the tests that need it say so and pass otherwise.
fn can_switch_users() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let tools = Command::new("setpriv").arg("--version").output().is_ok()
        && std::path::Path::new("/usr/bin/python3").exists();
    if !(root && tools) {
        eprintln!("skipped: needs root, setpriv and /usr/bin/python3");
    }
    root && tools
}

#[test]
fn with_the_host_network_no_other_host_user_reaches_the_agent() {
    if !can_switch_users() {
        return;
    }
    let py = PythonContainer::start(own_spec("host-net").0.network("host")).unwrap();
    let pid = agent_pid(py.id());
    let arg = agent_socket_arg(pid);

    // A host user without Docker access: no way in, with or without a secret.
    let nobody = try_sockets(Some(65534), pid, &arg, py.name());
    let reached: Vec<_> = nobody
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, outcome)| outcome.as_str().is_some_and(|o| o.starts_with("answered")))
        .collect();
    assert!(reached.is_empty(), "uid 65534 reached the agent: {nobody}");

    // The socket is there for whoever is in the container (or root on the
    // host, as good as the engine's user): the same script gets an answer.
    let root = try_sockets(None, pid, &arg, py.name());
    eprintln!("as uid 65534: {nobody}\nas root: {root}");
    let inside = format!("'/proc/{pid}/root{arg}'");
    assert!(
        root[&inside]
            .as_str()
            .is_some_and(|o| o.starts_with("answered: {\"hello\": true")),
        "{root}"
    );
    // And the test's own lease (an exec lease: no port of its own) works.
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
}

#[test]
fn a_kept_host_network_container_leaves_room_for_a_new_one() {
    let spec = own_spec("host-net-keep").0.network("host");
    let py = PythonContainer::start(spec.clone()).unwrap();
    let kept = py.id().to_owned();
    let mut cleanup = Cleanup(vec![kept.clone()]);
    py.keep().unwrap();

    let fresh = PythonContainer::start(spec).unwrap();
    cleanup.0.push(fresh.id().to_owned());
    assert_ne!(fresh.id(), kept);
    // Its lease leads to its own container: what an exec (by id) writes,
    // a call over the lease reads ...
    let mark = fresh.exec(["sh", "-c", "echo fresh > /tmp/which"]).unwrap();
    mark.assert_success();
    let which: String = fresh.eval("open('/tmp/which').read().strip()").unwrap();
    assert_eq!(which, "fresh");
    // ... and both containers run.
    std::thread::sleep(Duration::from_secs(1));
    assert!(container_exists(&kept) && container_exists(fresh.id()));
    assert_eq!(py.eval::<i64>("1 + 1").unwrap(), 2);
}

/// A probe process with an exec lease.
fn exec_probe(scope: &str, linger: Duration) -> Command {
    let mut cmd = probe(PROBE, scope, linger.as_secs_f64());
    cmd.env("PYTHON_CONTAINER_TEST_LEASE", "exec")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    cmd
}

#[test]
fn exec_leases_arriving_as_the_agent_exits_get_a_fresh_container() {
    let scope = unique_scope("exec-dying");
    let linger = Duration::from_millis(500);
    let (mut probes, mut failures) = (0, Vec::new());
    for _round in 0..8 {
        // One probe makes the container and leaves: its agent exits a linger
        // (and up to one 0.1 s tick) later. A burst arrives around then.
        let first = exec_probe(&scope, linger).output().unwrap();
        assert!(first.status.success(), "{first:?}");
        std::thread::sleep(linger - Duration::from_millis(50));
        let mut burst = Vec::new();
        for _ in 0..6 {
            burst.push(exec_probe(&scope, linger).spawn().unwrap());
            std::thread::sleep(Duration::from_millis(20));
        }
        for child in burst {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            probes += 1;
            if !out.status.success() || !text.contains("ready") {
                failures.push(text);
            }
        }
        std::thread::sleep(linger + Duration::from_secs(1));
    }
    assert!(
        failures.is_empty(),
        "{} of {probes} failed: {failures:#?}",
        failures.len()
    );
    let left = wait_until_empty(Duration::from_secs(5), || containers_in_scope(&scope));
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A raw TCP connection to the agent's lease port.
fn connect(at: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(at).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    stream
}

/// Whether the agent closed `stream` (EOF or reset) within `within`,
/// without a word.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let until = Instant::now() + within;
    let mut byte = [0u8; 1];
    while Instant::now() < until {
        match stream.read(&mut byte) {
            Ok(0) => return true,
            Ok(_) => panic!("the agent answered a connection without the secret"),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => {} // the read timed out: still open
        }
    }
    false
}

/// Where this host reaches the container's TCP lease port, and its secret.
fn lease_port(py: &PythonContainer) -> (SocketAddr, String) {
    let secret = docker(&[
        "inspect",
        "--format",
        r#"{{index .Config.Labels "python-container-test.lease-secret"}}"#,
        py.id(),
    ]);
    (lease_address(py), secret)
}

#[test]
fn a_slow_drip_without_the_secret_is_closed_at_the_deadline() {
    let py = PythonContainer::start(own_spec("drip").0).unwrap();
    let (port, _) = lease_port(&py);
    let mut drip = connect(port);
    let started = Instant::now();
    let mut closed = false;
    // A byte a second, never a whole line: each read is quick, the line is not.
    for byte in br#"{"secret": "0123456789abcdef0123456789abcdef"#.iter().cycle() {
        if drip.write_all(&[*byte]).is_err() || closed_within(&mut drip, Duration::from_secs(1)) {
            closed = true;
            break;
        }
        if started.elapsed() > SECRET_DEADLINE + Duration::from_secs(6) {
            break;
        }
    }
    let after = started.elapsed();
    assert!(closed, "still open after {after:?} of dripping");
    assert!(
        after < SECRET_DEADLINE + Duration::from_secs(3),
        "{after:?}"
    );
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
}

#[test]
fn connections_beyond_the_cap_are_closed_at_once_and_tests_still_get_in() {
    let (spec, env) = own_spec("cap");
    let py = PythonContainer::start(spec).unwrap();
    let (port, _) = lease_port(&py);
    let waiting: Vec<TcpStream> = (0..AUTH_WAITING_MAX).map(|_| connect(port)).collect();
    // Through the engine's proxy each reaches the agent a moment later.
    std::thread::sleep(Duration::from_millis(1500));
    let mut extra = connect(port);
    assert!(
        closed_within(&mut extra, Duration::from_secs(3)),
        "a connection beyond the {AUTH_WAITING_MAX} waiting ones was kept open"
    );
    // Another process gets the container meanwhile (over exec, if need be),
    // and this one's lease goes on working.
    let scope = python_container_test::scope();
    let started = Instant::now();
    let out = probe(PROBE, &scope, 3.0)
        .args(["--env", &env])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let id = format!("id={}", py.id());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&id),
        "{out:?}"
    );
    assert!(
        started.elapsed() < SECRET_DEADLINE,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
    drop(waiting);
}

#[test]
fn many_connections_without_the_secret_add_one_log_line() {
    let py = PythonContainer::start(own_spec("log").0).unwrap();
    let (port, _) = lease_port(&py);
    for _ in 0..200 {
        let mut bad = connect(port);
        bad.write_all(b"{\"secret\": \"wrong\"}\n").unwrap();
        assert!(closed_within(&mut bad, Duration::from_secs(5)));
    }
    let logs = py.logs().unwrap();
    let lines = logs
        .lines()
        .filter(|l| l.contains("did not send the lease secret"))
        .count();
    assert_eq!(lines, 1, "{logs}");
}

/// The lowest file descriptor number process `pid` has not open, and its
/// soft limit of open files; `None` if they cannot be read.
fn open_files(pid: u32) -> Option<(u32, String)> {
    let used: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    let lowest_free = (0..).find(|fd| !used.contains(fd))?;
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    let soft = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .to_owned();
    Some((lowest_free, soft))
}

/// Sets process `pid`'s soft limit of open files, as its own user (root
/// may lack CAP_SYS_RESOURCE, in a container); whether that worked.
fn limit_open_files(pid: u32, soft: &str) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    let id_of = |field: &str| {
        let line = status.lines().find_map(|l| l.strip_prefix(field))?;
        line.split_whitespace().next().map(str::to_owned)
    };
    let (Some(uid), Some(gid)) = (id_of("Uid:"), id_of("Gid:")) else {
        return false;
    };
    Command::new("setpriv")
        .args([&format!("--reuid={uid}"), &format!("--regid={gid}")])
        .args(["--clear-groups", "prlimit", "--pid", &pid.to_string()])
        .arg(format!("--nofile={soft}:"))
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn tcp_leases_survive_the_agent_running_out_of_file_descriptors() {
    let py = PythonContainer::start(own_spec("emfile").0).unwrap();
    let (port, secret) = lease_port(&py);
    let pid = agent_pid(py.id());
    let Some((lowest_free, before)) = open_files(pid) else {
        eprintln!("skipped: cannot read the agent's file descriptors");
        return;
    };
    if !limit_open_files(pid, &lowest_free.to_string()) {
        eprintln!("skipped: prlimit on the agent failed (needs root and setpriv)");
        return;
    }
    // The next accept fails with EMFILE; the agent says so and retries.
    let mut lease = TcpStream::connect(port).unwrap();
    let first = format!("{}\n", serde_json::json!({ "secret": secret }));
    lease.write_all(first.as_bytes()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !py.logs().unwrap().contains("accepting a lease failed") {
        assert!(Instant::now() < deadline, "{}", py.logs().unwrap());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(limit_open_files(pid, &before), "restoring it to {before}");
    lease
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut hello = String::new();
    BufReader::new(lease).read_line(&mut hello).unwrap();
    assert!(hello.contains("\"hello\": true"), "{hello:?}");
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
}

/// Sends `sig` (a name, e.g. `STOP`) to `child`.
fn signal(child: &std::process::Child, sig: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

#[test]
fn a_stopped_holder_keeps_its_tcp_lease_past_the_keepalive_window() {
    let scope = unique_scope("sigstop");
    let mut holder = probe(PROBE, &scope, 1.0)
        .env("PYTHON_CONTAINER_TEST_LEASE", "tcp")
        .args(["--hold", "600", "--end", "hang"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = holder.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == "ready");
    assert!(ready, "the holder did not get its container");
    signal(&holder, "STOP");
    // Keepalive probes (after 5 s idle, 3 every 2 s) are answered by the
    // stopped process's kernel: the lease holds.
    std::thread::sleep(Duration::from_secs(16));
    let live = containers_in_scope(&scope);
    signal(&holder, "CONT");
    signal(&holder, "KILL");
    holder.wait().unwrap();
    assert_eq!(live.len(), 1, "the stopped holder lost its container");
    let left = wait_until_empty(Duration::from_secs(5), || containers_in_scope(&scope));
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_bad_call_timeout_is_a_clear_error() {
    let scope = unique_scope("call-timeout");
    let out = probe(PROBE, &scope, 0.5)
        .env("PYTHON_CONTAINER_TEST_CALL_TIMEOUT", "soon")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("PYTHON_CONTAINER_TEST_CALL_TIMEOUT=\"soon\"")
            && text.contains("number of seconds"),
        "{text}"
    );
}

/// Whether `dockerd` runs in this process's network namespace (the engine's
/// host, not a container nor another engine).
fn dockerd_here() -> bool {
    let Ok(pid) = Command::new("pidof").arg("dockerd").output() else {
        return false;
    };
    let pids = String::from_utf8_lossy(&pid.stdout).into_owned();
    let netns = |dir: &str| std::fs::read_link(format!("{dir}/ns/net")).ok();
    let ours = netns("/proc/self");
    pids.split_whitespace()
        .any(|pid| ours.is_some() && netns(&format!("/proc/{pid}")) == ours)
}

/// The peers (address, port) of the established IPv4 TCP connections that
/// the process `pid` (`self` for this one) holds.
fn tcp_peers(pid: &str) -> Vec<(std::net::Ipv4Addr, u16)> {
    let sockets: std::collections::HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter_map(|link| {
            let link = link.to_string_lossy().into_owned();
            Some(link.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
        })
        .collect();
    let table = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).unwrap();
    let mut peers = Vec::new();
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // remote address, state (01: established), inode
        let (remote, state, inode) = (fields[2], fields[3], fields[9]);
        if state != "01" || !sockets.contains(inode) {
            continue;
        }
        let (ip, port) = remote.split_once(':').unwrap();
        let ip = u32::from_str_radix(ip, 16).unwrap().to_ne_bytes();
        peers.push((ip.into(), u16::from_str_radix(port, 16).unwrap()));
    }
    peers
}

/// On the engine's host (`dockerd` in this network namespace), a container
/// publishes no lease port (no port proxy, no firewall rules to set up at
/// its start), and every TCP lease, the creator's included (refused while
/// the agent is not listening yet, then tried again), goes straight to the
/// container's address on the default bridge.
#[test]
fn on_the_engine_s_host_a_tcp_lease_goes_straight_and_no_port_is_published() {
    if !dockerd_here() || std::env::var_os("PYTHON_CONTAINER_TEST_LEASE").is_some() {
        eprintln!("skipped: no dockerd in this network namespace, or the lease mode is set");
        return;
    }
    let (spec, env) = own_spec("direct");
    let py = PythonContainer::start(spec).unwrap();
    let published = py.host_port(LEASE_PORT);
    assert!(published.is_err(), "published: {published:?}");
    let ports = docker(&[
        "inspect",
        "--format",
        "{{json .NetworkSettings.Ports}}",
        py.id(),
    ]);
    assert!(!ports.contains("HostPort"), "{ports}");
    let straight = match lease_address(&py) {
        SocketAddr::V4(at) => (*at.ip(), at.port()),
        at => panic!("not IPv4: {at}"),
    };
    assert_eq!(straight.1, LEASE_PORT);
    assert!(
        tcp_peers("self").contains(&straight),
        "not straight: {:?}",
        tcp_peers("self")
    );
    let mut other = Command::new(PROBE)
        .args(["--env", &env, "--hold", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(other.stdout.take().unwrap()).lines();
    let said: Vec<String> = lines
        .by_ref()
        .map_while(Result::ok)
        .take_while(|line| line != "ready")
        .collect();
    let peers = tcp_peers(&other.id().to_string());
    let _ = other.kill();
    let _ = other.wait();
    assert!(
        said.iter().any(|l| l == &format!("id={}", py.id())),
        "{said:?}"
    );
    assert!(peers.contains(&straight), "{peers:?}");
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
}
