//! The `pct` housekeeping binary, against the real engine.

use std::process::Command;

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn pct(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pct"))
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn list_shows_and_gc_removes_kept_containers_of_a_scope() {
    let scope = format!("pct-gc-{}", std::process::id());
    // A container kept for debugging (running, so the sweep of concurrent
    // tests leaves it alone).
    let id = docker(&[
        "run",
        "-d",
        "--name",
        &format!("{scope}-kept-1"),
        "--label",
        "python-container-test.managed=true",
        "--label",
        "python-container-test.kind=fixture",
        "--label",
        &format!("python-container-test.scope={scope}"),
        "python-container-test/python:3.11",
        "sleep",
        "60",
    ]);
    let (ok, listed) = pct(&["list"]);
    assert!(ok, "{listed}");
    assert!(
        listed.contains(&id[..12]) && listed.contains("[kept]"),
        "{listed}"
    );
    assert!(
        listed.contains("python-container-test/python:3.11"),
        "images are listed: {listed}"
    );

    let (ok, text) = pct(&["gc", "--scope", &scope]);
    assert!(ok, "{text}");
    assert!(text.contains("1 removed"), "{text}");
    assert_eq!(docker(&["ps", "-aq", "--filter", &format!("id={id}")]), "");
}

#[test]
fn bad_usage_is_explained() {
    let (ok, text) = pct(&["gc", "--bogus"]);
    assert!(!ok);
    assert!(
        text.contains("unknown option `--bogus`") && text.contains("usage: pct"),
        "{text}"
    );
}
