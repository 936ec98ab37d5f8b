//! The container's life across processes: created once, shared, and gone
//! within linger + 3 s of the last process ending, however it ends.

use python_container_test_e2e::{containers_in_scope, probe, unique_scope, wait_until_empty};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

const PROBE: &str = env!("CARGO_BIN_EXE_probe");
const LINGER: f64 = 1.0;
/// The promise: gone at most linger + 3 s after the last holder ends.
fn teardown_budget() -> Duration {
    Duration::from_secs_f64(LINGER + 3.0)
}

/// Starts a probe holding its handle, and waits until it has the container.
fn holder(scope: &str, extra: &[&str]) -> (Child, String) {
    let mut child = probe(PROBE, scope, LINGER)
        .args(["--hold", "600"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let id = read_id(&mut child);
    (child, id)
}

fn read_id(child: &mut Child) -> String {
    let stdout = child.stdout.take().unwrap();
    let mut id = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("id=") {
            id = Some(rest.to_owned());
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
fn sigkill_while_holding_the_lease_releases_the_container() {
    let scope = unique_scope("sigkill");
    let (mut child, _) = holder(&scope, &["--end", "hang"]);
    assert_eq!(containers_in_scope(&scope).len(), 1);
    signal(&child, "KILL");
    child.wait().unwrap();
    assert_gone_after_last_holder(&scope);
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

#[test]
fn sixteen_processes_at_once_create_exactly_one_container() {
    for round in 0..20 {
        let scope = unique_scope(&format!("sixteen-{round}"));
        let mut children: Vec<Child> = (0..16)
            .map(|_| {
                probe(PROBE, &scope, LINGER)
                    .args(["--hold", "600", "--end", "hang"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let ids: Vec<String> = children.iter_mut().map(read_id).collect();
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
