//! Service containers: the image's own command running beside the agent,
//! waited for until ready, reached from the test over a published port.

use python_container_test::{
    python_container_test, scope, ContainerError, ContainerSpec, Error, PythonContainer, Service,
};
use python_container_test_e2e::{
    container_exists, containers_with, http_get, wait_until_empty, MANAGED,
};
use std::time::{Duration, Instant};

/// A stdlib web service: `/health`, `/ready` (503 for its first second), `/info`.
const WEB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/images/webservice/Dockerfile");

fn web_spec() -> ContainerSpec {
    ContainerSpec::dockerfile(WEB).service(
        Service::new()
            .port(8080)
            .ready_http(8080, "/ready")
            .startup_timeout(Duration::from_secs(30)),
    )
}

/// `GET path` on the host's loopback: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
    http_get((std::net::Ipv4Addr::LOCALHOST, port).into(), path)
}

fn error_text(err: &Error) -> String {
    err.to_string()
}

#[python_container_test(fixture = web_spec)]
fn the_service_is_reached_from_the_test_over_its_host_port(py: &PythonContainer) {
    let port = py.host_port(8080).unwrap();
    assert_eq!(get(port, "/health"), (200, "ok\n".to_owned()));
    // Acquiring waited until /ready said 200: the test never sees the 503.
    assert_eq!(get(port, "/ready"), (200, "ready\n".to_owned()));
    let (status, body) = get(port, "/info");
    assert_eq!(status, 200);
    let info: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["service"], "webservice");
    // It runs beside the agent (PID 1), as the container's user.
    assert_ne!(info["pid"], 1);
    let uid: u64 = py.eval("__import__('os').getuid()").unwrap();
    assert_eq!(info["uid"], uid);

    // A port that is not published: the error names it and lists the others.
    let err = py.host_port(9999).unwrap_err();
    let text = error_text(&err);
    assert!(
        text.contains("9999/tcp") && text.contains(&format!("8080/tcp -> 127.0.0.1:{port}")),
        "{text}"
    );
}

#[python_container_test(fixture = web_spec)]
fn python_still_works_and_the_service_shows_in_the_logs(py: &PythonContainer) {
    let out = py.python("print(6 * 7)").unwrap();
    assert_eq!(out.stdout_str().trim(), "42");
    let status: u16 = py
        .eval("__import__('urllib.request').request.urlopen('http://127.0.0.1:8080/health').status")
        .unwrap();
    assert_eq!(status, 200);
    let logs = py.logs().unwrap();
    assert!(
        logs.contains("agent: started service ['python3', '/opt/service/server.py']"),
        "{logs}"
    );
    assert!(
        logs.contains("webservice: listening on port 8080"),
        "{logs}"
    );
    // The readiness checks, from the service's own request log.
    assert!(logs.contains("\"GET /ready HTTP/1.1\" 200"), "{logs}");
}

#[test]
fn a_command_override_with_a_command_check() {
    let check = "import urllib.request as u; u.urlopen('http://127.0.0.1:9000/ready')";
    let spec = ContainerSpec::dockerfile(WEB).shared(false).service(
        Service::new()
            .command(["python3", "/opt/service/server.py", "9000"])
            .port(9000)
            .ready_command(["python3", "-c", check]),
    );
    let py = PythonContainer::start(spec).unwrap();
    let port = py.host_port(9000).unwrap();
    assert_eq!(get(port, "/ready"), (200, "ready\n".to_owned()));
    // The image's EXPOSE 8080 is not published by itself.
    let text = error_text(&py.host_port(8080).unwrap_err());
    assert!(
        text.contains("8080/tcp") && text.contains("9000/tcp -> 127.0.0.1:"),
        "{text}"
    );
    assert!(py.logs().unwrap().contains("listening on port 9000"));
}

/// The linger the containers of this process use (the default unless set).
fn linger() -> Duration {
    std::env::var("PYTHON_CONTAINER_TEST_LINGER")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(3))
}

#[test]
fn a_service_never_ready_fails_within_its_timeout_with_its_logs_and_leaves_nothing() {
    // Build the image first, so that the timing below is the wait alone.
    drop(PythonContainer::start(ContainerSpec::dockerfile(WEB).shared(false)).unwrap());
    let timeout = Duration::from_secs(3);
    let spec = ContainerSpec::dockerfile(WEB)
        .env("TEST_RUN", format!("{}", std::process::id()))
        .service(
            Service::new()
                .port(8080)
                .ready_http(8080, "/never")
                .startup_timeout(timeout),
        );
    let key = spec.key(&scope());

    let started = Instant::now();
    let err = PythonContainer::start(spec).unwrap_err();
    let took = started.elapsed();
    let text = error_text(&err);
    println!("after {took:?}:\n{text}");
    assert!(
        matches!(
            err,
            Error::Container(ContainerError::ServiceNotReady { .. })
        ),
        "{text}"
    );
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(8),
        "failed after {took:?}"
    );
    assert!(
        text.contains("GET http://127.0.0.1:8080/never answered 404"),
        "{text}"
    );
    // The tail of its logs: the service's own lines.
    assert!(
        text.contains("webservice: listening on port 8080"),
        "{text}"
    );
    assert!(text.contains("\"GET /never HTTP/1.1\" 404"), "{text}");

    // This process's lease is gone: the container leaves after its linger.
    let label = format!("python-container-test.key={}", key.as_str());
    let left = wait_until_empty(linger() + Duration::from_secs(10), || {
        containers_with(&[MANAGED, &label])
    });
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn a_service_that_exits_fails_at_once_and_leaves_nothing() {
    let spec = ContainerSpec::image(python_container_test_e2e::IMAGE)
        .shared(false)
        .service(
            Service::new()
                .command([
                    "python3",
                    "-c",
                    "print('cannot bind: boom'); raise SystemExit(3)",
                ])
                .port(8080)
                .ready_http(8080, "/ready")
                .startup_timeout(Duration::from_secs(60)),
        );
    let started = Instant::now();
    let err = PythonContainer::start(spec).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    let Error::Container(ContainerError::ServiceNotReady { container, .. }) = &err else {
        panic!("{err}");
    };
    let text = error_text(&err);
    assert!(text.contains("exited with code 3"), "{text}");
    assert!(text.contains("cannot bind: boom"), "{text}");
    // Unshared (no linger): gone as soon as the lease is.
    let left = wait_until_empty(Duration::from_secs(10), || {
        Some(container.clone())
            .filter(|c| container_exists(c))
            .into_iter()
            .collect()
    });
    assert!(left.is_empty(), "left behind: {left:?}");
}
