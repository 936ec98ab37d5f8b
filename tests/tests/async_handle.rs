//! The async handle: futures that never block the test's runtime, so a test
//! can serve a Rust server and call it from Python in the container.

use python_container_test::{
    python_container_test, AsyncPythonContainer, Error, ExecOptions, PythonContainer,
};
use python_container_test_e2e::{matrix_spec, OFFICIAL_IMAGE};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves one HTTP/1.0 answer per connection on this test's runtime, on all
/// interfaces (the container comes in through its network's gateway).
async fn serve(body: &'static str) -> u16 {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = conn.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

/// Python in the container GETs `http://<host>:<port>/` and returns the body.
async fn fetch_from_python(py: &AsyncPythonContainer, port: u16) -> String {
    let host = py.host_address().await.unwrap();
    let url = format!("http://{host}:{port}/");
    py.eval(&format!(
        "__import__('urllib.request').request.urlopen({url:?}, timeout=10).read().decode()"
    ))
    .await
    .unwrap()
}

#[python_container_test(fixture = matrix_spec)]
async fn eval_with_a_timeout(py: &AsyncPythonContainer) {
    let quick = || ExecOptions {
        timeout: Some(Duration::from_millis(500)),
        ..Default::default()
    };
    let slow = py.eval_with::<i64>("__import__('time').sleep(30) or 1", quick());
    let err = slow.await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(py.eval_with::<i64>("6 * 7", quick()).await.unwrap(), 42);
}

#[python_container_test(image = OFFICIAL_IMAGE)]
async fn python_calls_a_server_on_the_tests_current_thread_runtime(py: &AsyncPythonContainer) {
    let started = Instant::now();
    let port = serve("from the rust server").await;
    assert_eq!(fetch_from_python(py, port).await, "from the rust server");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[python_container_test(image = OFFICIAL_IMAGE, flavor = "multi_thread")]
async fn the_same_on_a_multi_thread_runtime(py: AsyncPythonContainer) {
    let port = serve("multi").await;
    assert_eq!(fetch_from_python(&py, port).await, "multi");
    // The blocking handle works inside a multi-thread runtime too (it
    // blocks one of its workers; the server runs on the others).
    let blocking: PythonContainer = py.blocking();
    let host = blocking.host_address().unwrap();
    let body: String = tokio::task::block_in_place(|| {
        blocking
            .eval(&format!(
                "__import__('urllib.request').request.urlopen('http://{host}:{port}/', timeout=10).read().decode()"
            ))
            .unwrap()
    });
    assert_eq!(body, "multi");
}

#[python_container_test(fixture = matrix_spec)]
async fn many_calls_in_flight_on_one_lease(py: &AsyncPythonContainer) {
    let exprs: Vec<String> = (0..32).map(|i| format!("{i} * {i}")).collect();
    let calls = exprs.iter().map(|e| py.eval::<i64>(e));
    let values = futures_util::future::join_all(calls).await;
    let values: Vec<i64> = values.into_iter().map(Result::unwrap).collect();
    assert_eq!(values, (0..32).map(|i| i * i).collect::<Vec<_>>());
}

#[python_container_test(fixture = matrix_spec)]
async fn a_hanging_call_times_out_and_the_next_one_works(py: &AsyncPythonContainer) {
    for fast in [true, false] {
        let handle = py.with_fast_path(fast);
        let options = ExecOptions {
            timeout: Some(Duration::from_secs(2)),
            ..Default::default()
        };
        let started = Instant::now();
        let err = handle
            .python_with("import time; time.sleep(1000)", options)
            .await
            .unwrap_err();
        let took = started.elapsed();
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(err.to_string().contains("time.sleep(1000)"), "{err}");
        assert!(took < Duration::from_secs(4), "fast {fast}: {took:?}");
        assert_eq!(handle.eval::<i64>("6 * 7").await.unwrap(), 42);
    }
}

#[python_container_test(fixture = matrix_spec)]
async fn files_and_conversions(py: AsyncPythonContainer) {
    py.write_file("a/b.txt", "async bytes").await.unwrap();
    assert_eq!(py.read_file("a/b.txt").await.unwrap(), b"async bytes");
    let dir = tempfile::tempdir().unwrap();
    py.copy_from("a", dir.path().join("a")).await.unwrap();
    py.copy_to(dir.path().join("a"), "c").await.unwrap();
    let blocking = py.blocking();
    assert_eq!(blocking.read_file("c/b.txt").unwrap(), b"async bytes");
    assert_eq!(blocking.to_async().workdir(), py.workdir());
    let out = py.run_module("json.tool", ["--help"]).await.unwrap();
    out.assert_success();
    assert!(py.logs().await.unwrap().contains("agent: ready"));
}
