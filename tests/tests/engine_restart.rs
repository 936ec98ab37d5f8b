//! An engine restart while a test holds a container: that test gets a clear
//! error, not a hang, and the next acquire creates a fresh container.
//!
//! It restarts the Docker daemon, so it is `#[ignore]`d and run on its own by
//! `.ci/run` (as root) after the other suites:
//! `cargo test -p python-container-test-e2e --test engine_restart -- --ignored`.

use python_container_test::{ContainerError, ContainerSpec, Error, PythonContainer};
use python_container_test_e2e::{container_exists, wait_until_empty, IMAGE};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn docker_answers() -> bool {
    Command::new("docker")
        .arg("info")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Restarts the daemon the way it runs here: systemd's unit, or a plain
/// `dockerd` process (stopped with SIGTERM, started again detached).
fn restart_docker() {
    let systemd = Command::new("systemctl")
        .args(["is-active", "--quiet", "docker"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if systemd {
        assert!(Command::new("systemctl")
            .args(["restart", "docker"])
            .status()
            .unwrap()
            .success());
    } else {
        let pid = Command::new("pidof").arg("dockerd").output().unwrap();
        let pid = String::from_utf8_lossy(&pid.stdout).trim().to_owned();
        assert!(!pid.is_empty(), "no dockerd process to restart");
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(60);
        while Command::new("kill")
            .args(["-0", &pid])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
        {
            assert!(Instant::now() < deadline, "dockerd did not stop");
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open("/var/log/dockerd.log")
            .unwrap();
        // `setsid -f` forks the daemon off and returns at once.
        let started = Command::new("setsid")
            .args(["-f", "/usr/sbin/dockerd"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .status()
            .unwrap();
        assert!(started.success());
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !docker_answers() {
        assert!(Instant::now() < deadline, "dockerd did not come back");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[ignore = "restarts the Docker daemon; run alone by .ci/run"]
fn an_engine_restart_is_a_clear_error_then_a_fresh_container() {
    let spec = ContainerSpec::image(IMAGE).env("E2E", "engine-restart");
    let py = PythonContainer::start(spec.clone()).unwrap();
    let old = py.id().to_owned();
    assert_eq!(py.eval::<i64>("1 + 1").unwrap(), 2);

    restart_docker();

    let started = Instant::now();
    let err = py.python("print('still there?')").unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no hang: {:?}",
        started.elapsed()
    );
    assert!(
        matches!(err, Error::Container(ContainerError::ContainerGone { .. })),
        "{err:?}"
    );
    let err = py.exec(["true"]).unwrap_err();
    assert!(
        err.to_string().contains(py.name()),
        "names the container: {err}"
    );
    drop(py);

    let fresh = PythonContainer::start(spec).unwrap();
    assert_ne!(fresh.id(), old);
    assert_eq!(fresh.eval::<i64>("2 + 2").unwrap(), 4);
    let id = fresh.id().to_owned();
    drop(fresh);
    let left = wait_until_empty(Duration::from_secs(8), || {
        [&id, &old]
            .into_iter()
            .filter(|c| container_exists(c))
            .cloned()
            .collect()
    });
    assert!(left.is_empty(), "{left:?}");
}
