//! Sessions (issue 14) against the real engine: one long-lived interpreter
//! whose state persists across calls, private to its handle, killed with its
//! last clone, its timeout or its test process, however that ends.
//!
//! Most tests run on the matrix image (`PCT_TEST_IMAGE`, see
//! `tests/matrix.sh`); a few on the official-like image, which is not ours.

use python_container_test::{
    python_container_test, AsyncPythonContainer, ContainerSpec, Error, PythonContainer, Session,
};
use python_container_test_e2e::{matrix_spec, relays, unique_scope, IMAGE, OFFICIAL_IMAGE};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether the process `pid` of the container is still there (not even a
/// zombie: the fork server reaps its sessions).
fn alive(py: &PythonContainer, pid: u64) -> bool {
    py.eval(&format!("__import__('os').path.exists('/proc/{pid}')"))
        .unwrap()
}

/// Waits up to `within` for the process `pid` of the container to go.
fn gone_within(py: &PythonContainer, pid: u64, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while alive(py, pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    true
}

#[python_container_test(fixture = matrix_spec)]
fn state_persists_across_calls(py: &PythonContainer) {
    let s = py.session().unwrap();
    let out = s
        .exec("import json, os\nx = 41\nprint('one')\nos.write(2, b'err\\n')")
        .unwrap();
    assert_eq!(
        (out.stdout_str(), out.stderr_str()),
        ("one\n".into(), "err\n".into())
    );
    // Each call's output is its own.
    let out = s.exec("x += 1\nprint('two')").unwrap();
    assert_eq!(
        (out.stdout_str(), out.stderr_str()),
        ("two\n".into(), "".into())
    );
    // The value has its own channel: what the expression prints is not in it.
    let v: (i64, String) = s.eval("(print('noise'), x, os.getcwd())[1:]").unwrap();
    assert_eq!(v, (42, py.workdir().to_owned()));
    assert_eq!(s.eval::<u64>("os.getpid()").unwrap(), s.pid());
    s.set("data", &vec![1, 2, 3]).unwrap();
    s.exec("def total(scale=1): return sum(data) * scale")
        .unwrap();
    assert_eq!(s.call::<i64>("total", ()).unwrap(), 6);
    assert_eq!(s.call::<i64>("total", (10,)).unwrap(), 60);
    let by_name = std::collections::HashMap::from([("scale", 2)]);
    assert_eq!(s.call::<i64>("total", &by_name).unwrap(), 12);
    assert_eq!(s.call::<String>("json.dumps", ([1, 2],)).unwrap(), "[1, 2]");
    assert_eq!(s.call::<usize>("len", ("abc",)).unwrap(), 3);
    // A clone is the same session; plain calls are fresh interpreters.
    assert_eq!(s.clone().eval::<i64>("x").unwrap(), 42);
    assert!(!py.eval::<bool>("'x' in globals()").unwrap());
}

#[python_container_test(image = OFFICIAL_IMAGE)]
fn two_sessions_on_one_handle_are_isolated(py: &PythonContainer) {
    let (a, b) = (py.session().unwrap(), py.session().unwrap());
    assert_ne!(a.pid(), b.pid());
    a.exec("x = 'a'").unwrap();
    b.exec("x = 'b'").unwrap();
    assert_eq!(a.eval::<String>("x").unwrap(), "a");
    assert_eq!(b.eval::<String>("x").unwrap(), "b");
    b.exec("del x").unwrap();
    let err = b.eval::<String>("x").unwrap_err();
    assert!(
        matches!(&err, Error::Python { traceback, .. } if traceback.contains("NameError")),
        "{err}"
    );
    assert_eq!(a.eval::<String>("x").unwrap(), "a");
}

#[python_container_test(fixture = matrix_spec)]
fn an_exception_leaves_the_session_usable(py: &PythonContainer) {
    let s = py.session().unwrap();
    s.exec("x = 1").unwrap();
    let err = s.exec("print('before')\ny = 1 / 0").unwrap_err();
    let Error::Python { expr, traceback } = &err else {
        panic!("not a Python error: {err}");
    };
    assert_eq!(expr, "exec print('before')\ny = 1 / 0");
    // The traceback shows the source line, not the session's own frames,
    // and what the call printed follows it.
    for part in ["y = 1 / 0", "ZeroDivisionError", "stdout ---\nbefore"] {
        assert!(traceback.contains(part), "{part:?} not in {traceback}");
    }
    assert!(!traceback.contains("worker.py"), "{traceback}");
    let err = s.exec("raise SystemExit(3)").unwrap_err();
    assert!(err.to_string().contains("SystemExit: 3"), "{err}");
    let err = s.eval::<i64>("{1}").unwrap_err();
    assert!(matches!(err, Error::NotJson { .. }), "{err}");
    let err = s.eval::<i64>("'text'").unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    let err = s.eval::<i64>("1 +").unwrap_err();
    assert!(err.to_string().contains("SyntaxError"), "{err}");
    assert_eq!(s.eval::<i64>("x").unwrap(), 1);
}

#[python_container_test(fixture = matrix_spec)]
fn bad_input_is_a_clear_error_at_once(py: &PythonContainer) {
    let s = py.session().unwrap();
    let started = Instant::now();
    let keys = std::collections::HashMap::from([((1, 2), 3)]);
    let err = s.call::<i64>("f", (keys,)).unwrap_err();
    assert!(
        matches!(err, Error::Encode { .. }) && err.to_string().contains("arguments of `f`"),
        "{err}"
    );
    let err = s.set("not a name", &1).unwrap_err();
    assert!(err.to_string().contains("not a Python identifier"), "{err}");
    let err = s.call::<i64>("nothing_here", ()).unwrap_err();
    assert!(
        err.to_string()
            .contains("'nothing_here' is not defined in the session"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(s.eval::<i64>("2").unwrap(), 2);
}

#[python_container_test(image = OFFICIAL_IMAGE)]
fn a_crash_is_a_clear_error_and_the_next_call_says_the_session_is_gone(py: &PythonContainer) {
    for (code, words) in [
        ("import ctypes; ctypes.string_at(0)", "signal 11 (SIGSEGV)"),
        ("import os; os._exit(3)", "exited with code 3"),
    ] {
        let s = py.session().unwrap();
        s.exec("x = 1").unwrap();
        let started = Instant::now();
        let err = s.exec(code).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{err}");
        assert!(
            matches!(&err, Error::SessionGone { detail, pid, .. } if detail.contains(words) && *pid == s.pid()),
            "{err}"
        );
        let next = s.eval::<i64>("x").unwrap_err();
        assert!(
            matches!(&next, Error::SessionGone { .. }) && next.to_string().contains(words),
            "{next}"
        );
    }
    // The container and other calls are unharmed.
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
    assert_eq!(py.session().unwrap().eval::<i64>("1").unwrap(), 1);
}

#[python_container_test(fixture = matrix_spec)]
fn a_timeout_kills_the_session(py: &PythonContainer) {
    let s = py.session().unwrap();
    let pid = s.pid();
    let started = Instant::now();
    let err = s
        .with_timeout(Duration::from_millis(800))
        .exec("import time\nprint('started', flush=True)\ntime.sleep(60)")
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(4), "{err}");
    assert!(
        matches!(&err, Error::SessionTimeout { call, .. } if call.contains("time.sleep(60)")),
        "{err}"
    );
    assert!(err.to_string().contains("the session was killed"), "{err}");
    let next = s.eval::<i64>("1").unwrap_err();
    assert!(
        matches!(&next, Error::SessionGone { detail, .. } if detail.contains("timeout")),
        "{next}"
    );
    assert!(gone_within(py, pid, Duration::from_secs(5)));
}

#[python_container_test(fixture = matrix_spec)]
fn the_last_clone_dropped_or_a_panic_ends_the_session(py: &PythonContainer) {
    let s = py.session().unwrap();
    let (pid, clone) = (s.pid(), s.clone());
    drop(s);
    assert!(alive(py, pid), "a clone still holds it");
    drop(clone);
    assert!(gone_within(py, pid, Duration::from_secs(5)));
    // A test that panics while it holds a session: unwinding drops it.
    let (tx, rx) = std::sync::mpsc::channel();
    let held = py.clone();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let s = held.session().unwrap();
        tx.send(s.pid()).unwrap();
        s.exec("big = bytearray(10**7)").unwrap();
        panic!("the test's assertion fails");
    }));
    assert!(panicked.is_err());
    let pid = rx.recv().unwrap();
    assert!(gone_within(py, pid, Duration::from_secs(5)));
    // close() ends it at once, for every clone.
    let s = py.session().unwrap();
    let clone = s.clone();
    s.close().unwrap();
    assert!(matches!(
        clone.eval::<i64>("1"),
        Err(Error::SessionGone { .. })
    ));
    assert!(gone_within(py, s.pid(), Duration::from_secs(5)));
}

#[python_container_test(fixture = matrix_spec)]
fn eight_threads_use_their_own_sessions_at_once(py: &PythonContainer) {
    let sessions: Vec<Session> = (0..8).map(|_| py.session().unwrap()).collect();
    let started = Instant::now();
    let threads: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            std::thread::spawn(move || {
                s.set("tag", &format!("t{i}")).unwrap();
                s.exec("import time\nn = 0\ntime.sleep(0.5)").unwrap();
                for _ in 0..20 {
                    let out = s.exec("n += 1\nprint(tag * 1000)").unwrap();
                    // Only this call's output: nothing of the other threads'.
                    assert_eq!(
                        out.stdout_str(),
                        format!("{}\n", format!("t{i}").repeat(1000))
                    );
                }
                assert_eq!(s.eval::<i64>("n").unwrap(), 20);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Eight half-second sleeps ran side by side, not one after another (4 s).
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[python_container_test(fixture = matrix_spec)]
fn big_output_arrives_whole_and_apart_from_the_value(py: &PythonContainer) {
    let s = py.session().unwrap();
    let out = s
        .exec("import sys\nsys.stdout.write('x' * 5_000_000)\nsys.stderr.write('e' * 100_000)")
        .unwrap();
    assert_eq!((out.stdout.len(), out.stderr.len()), (5_000_000, 100_000));
    let big: String = s.eval("print('y' * 1000) or 'v' * 1_000_000").unwrap();
    assert_eq!(big.len(), 1_000_000);
}

fn preloaded() -> ContainerSpec {
    ContainerSpec::image(OFFICIAL_IMAGE).preload(["decimal"])
}

#[python_container_test(fixture = preloaded)]
fn a_session_starts_from_the_preloads_in_milliseconds(py: &PythonContainer) {
    py.session().unwrap(); // the fork server is warm from here on
    let mut opens: Vec<Duration> = (0..5)
        .map(|_| {
            let started = Instant::now();
            let s = py.session().unwrap();
            let opened = started.elapsed();
            assert!(s
                .eval::<bool>("'decimal' in __import__('sys').modules")
                .unwrap());
            opened
        })
        .collect();
    opens.sort();
    println!("opening a session on a warm fork server: {opens:?}");
    assert!(opens[2] < Duration::from_millis(500), "{opens:?}");
}

fn bad_preload() -> ContainerSpec {
    ContainerSpec::image(OFFICIAL_IMAGE).preload(["no_such_module_for_sessions"])
}

#[python_container_test(fixture = bad_preload)]
fn a_preload_that_fails_is_a_clear_error_at_open(py: &PythonContainer) {
    let started = Instant::now();
    let err = py.session().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("preloading")
            && text.contains("No module named 'no_such_module_for_sessions'"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{text}");
}

#[python_container_test(image = OFFICIAL_IMAGE)]
async fn the_async_twin_keeps_state_too(py: &AsyncPythonContainer) {
    let s = py.session().await.unwrap();
    s.exec("x = [1, 2]").await.unwrap();
    s.set("y", &3).await.unwrap();
    assert_eq!(s.eval::<i64>("sum(x) + y").await.unwrap(), 6);
    assert_eq!(s.call::<i64>("max", (4, 5)).await.unwrap(), 5);
    let blocking = s.blocking();
    assert_eq!(
        tokio::task::spawn_blocking(move || blocking.eval::<i64>("y").unwrap())
            .await
            .unwrap(),
        3
    );
    let err = s
        .with_timeout(Duration::from_millis(500))
        .exec("import time; time.sleep(30)")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SessionTimeout { .. }), "{err}");
    assert!(matches!(
        s.eval::<i64>("1").await,
        Err(Error::SessionGone { .. })
    ));
}

// The README's example ("Sessions"), as written, on the official-like image.
#[python_container_test(image = OFFICIAL_IMAGE)]
fn state_persists(py: &PythonContainer) {
    let s = py.session().unwrap();
    s.exec("import statistics\nseen = []").unwrap();
    s.set("batch", &[1.0, 2.0, 6.0]).unwrap();
    let out = s
        .exec("seen.append(statistics.mean(batch))\nprint('ok')")
        .unwrap();
    assert_eq!(out.stdout_str(), "ok\n");
    let mean: f64 = s.call("statistics.mean", ([3.0, 5.0],)).unwrap();
    assert_eq!(mean, 4.0);
    let seen: Vec<f64> = s.eval("seen").unwrap();
    assert_eq!(seen, [3.0]);
}

// -- a test process that is SIGKILLed -----------------------------------------

/// Set in the child this file's tests start: the value of [`OWN_VAR`].
const CHILD_VAR: &str = "E2E_SESSION_CHILD";
/// The variable that gives the SIGKILL tests' container a spec of its own.
const OWN_VAR: &str = "E2E_SESSION_OWN";

fn own_spec(value: &str) -> ContainerSpec {
    ContainerSpec::image(IMAGE).env(OWN_VAR, value)
}

/// The child: opens a session in the container of [`CHILD_VAR`]'s spec,
/// prints its pid and its lease's relays, then keeps the session busy until
/// it is killed.
#[test]
#[ignore = "a helper: a_sigkilled_test_process_leaves_no_session_process runs it"]
fn session_holder() {
    let Ok(value) = std::env::var(CHILD_VAR) else {
        return;
    };
    let py = PythonContainer::start(own_spec(&value)).unwrap();
    let s = py.session().unwrap();
    s.exec("x = 41").unwrap();
    assert_eq!(s.eval::<i64>("x + 1").unwrap(), 42);
    println!("session pid={} relays={}", s.pid(), relays(&py));
    s.exec("import time; time.sleep(600)").unwrap();
}

/// Starts [`session_holder`] with the lease mode `lease` (unset: the
/// default), SIGKILLs it once its session is busy, and checks that the
/// session process goes.
fn sigkill_leaves_no_session(lease: Option<&str>) {
    let value = unique_scope(&format!("session-kill-{}", lease.unwrap_or("default")));
    // This process holds the container too, and watches from it.
    let py = PythonContainer::start(own_spec(&value)).unwrap();
    let relays_before = relays(&py);
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe);
    match lease {
        Some(mode) => child.env("PYTHON_CONTAINER_TEST_LEASE", mode),
        None => child.env_remove("PYTHON_CONTAINER_TEST_LEASE"),
    };
    let mut child = child
        .args(["session_holder", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_VAR, &value)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(std::result::Result::ok)
        .find(|l| l.starts_with("session pid="));
    let line = line.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the child printed no session pid: {:?}", child.wait())
    });
    let pid: u64 = line["session pid=".len()..]
        .split(' ')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap();
    if lease == Some("exec") {
        // The child's lease is the one more relay in the container.
        let expected = relays_before + 1;
        assert!(line.ends_with(&format!("relays={expected}")), "{line}");
    }
    std::thread::sleep(Duration::from_millis(300)); // into its sleep
    assert!(alive(&py, pid));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        gone_within(&py, pid, Duration::from_secs(15)),
        "session {pid} outlived its SIGKILLed test process (lease {lease:?})"
    );
}

#[test]
fn a_sigkilled_test_process_leaves_no_session_process() {
    sigkill_leaves_no_session(None);
}

#[test]
fn sessions_work_over_the_exec_lease_and_die_with_it() {
    sigkill_leaves_no_session(Some("exec"));
}

/// The child of [`output_past_the_cap_kills_the_session`], run with
/// `PYTHON_CONTAINER_TEST_MAX_OUTPUT=100000` (a process-wide setting).
#[test]
#[ignore = "a helper: output_past_the_cap_kills_the_session runs it"]
fn output_cap_helper() {
    if std::env::var(CHILD_VAR).is_err() {
        return;
    }
    let py = PythonContainer::start(ContainerSpec::image(OFFICIAL_IMAGE)).unwrap();
    let s = py.session().unwrap();
    let small = s.exec("print('x' * 50_000)").unwrap();
    assert_eq!(small.stdout.len(), 50_001);
    let err = s
        .exec("import sys\nwhile True: sys.stdout.write('y' * 65536)")
        .unwrap_err();
    assert!(matches!(err, Error::OutputTooLarge { .. }), "{err}");
    let next = s.eval::<i64>("1").unwrap_err();
    assert!(
        matches!(&next, Error::SessionGone { detail, .. } if detail.contains("more output")),
        "{next}"
    );
    assert!(gone_within(&py, s.pid(), Duration::from_secs(5)));
    println!("output cap: ok");
}

#[test]
fn output_past_the_cap_kills_the_session() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["output_cap_helper", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_VAR, "1")
        .env("PYTHON_CONTAINER_TEST_MAX_OUTPUT", "100000")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("output cap: ok"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
