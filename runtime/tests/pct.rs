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

const IMAGE: &str = "python-container-test/python:3.11";

#[test]
fn gc_removes_only_what_the_harness_made_in_its_scope() {
    use python_container_test::{ContainerSpec, PythonContainer};
    let scope = format!("pct-gc-{}", std::process::id());
    // pct (a child process) and the crate both read the scope from here.
    std::env::set_var("PYTHON_CONTAINER_TEST_SCOPE", &scope);
    // A user's own container of the project's image: it inherits the
    // image's labels, `python-container-test.managed=true` included.
    let own = docker(&[
        "create",
        "--name",
        &format!("{scope}-users-own"),
        IMAGE,
        "true",
    ]);
    assert!(!own.is_empty());
    // A fixture kept for debugging: it runs on, with no lease.
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).unwrap();
    let kept_name = py.keep().unwrap();
    let kept = py.id().to_owned();
    // While this process still holds its lease, gc leaves it alone.
    let (ok, text) = pct(&["gc"]);
    assert!(ok, "{text}");
    assert!(
        text.contains("in use by 1 test process") && text.contains("0 removed"),
        "{text}"
    );
    assert_eq!(
        docker(&["ps", "-q", "--filter", &format!("id={kept}")]).len(),
        12
    );
    drop(py);

    let (ok, listed) = pct(&["list"]);
    assert!(ok, "{listed}");
    assert!(
        listed.contains(&kept[..12]) && listed.contains("[kept]"),
        "{listed}"
    );
    assert!(
        !listed.contains(&own[..12]),
        "a user's container is listed: {listed}"
    );
    assert!(listed.contains(IMAGE), "images are listed: {listed}");

    let (ok, text) = pct(&["gc", "--scope", "some-other-scope"]);
    assert!(ok, "{text}");
    assert!(
        !text.contains(&kept_name),
        "another scope's gc removed it: {text}"
    );
    let (ok, text) = pct(&["gc"]);
    assert!(ok, "{text}");
    assert!(
        text.contains(&kept_name) && text.contains("1 removed"),
        "{text}"
    );
    assert_eq!(
        docker(&["ps", "-aq", "--filter", &format!("id={kept}")]),
        ""
    );
    assert_eq!(
        docker(&["ps", "-aq", "--filter", &format!("id={own}")]).len(),
        12
    );
    docker(&["rm", "-f", &own]);
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

#[test]
fn help_says_what_each_command_and_option_does() {
    for flag in ["--help", "-h", "help"] {
        let (ok, text) = pct(&[flag]);
        assert!(ok, "{text}");
        for said in [
            "pct list",
            "pct gc",
            "--all ",
            "--images",
            "--scope SCOPE",
            "--all-scopes",
        ] {
            assert!(text.contains(said), "{said} in {text}");
        }
    }
}
