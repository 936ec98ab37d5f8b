//! A stand-in for one test process, driven by the lifecycle tests.
//!
//! `probe [--image IMAGE | --dockerfile PATH] [--env KEY=VALUE]... [--hold SECS] [--end exit|panic|abort|hang|fail-test]`
//!
//! Acquires a container of IMAGE (default: the project image), prints
//! `id=<container id>`, `workdir=<its test workdir>`, `relays=<n>` (exec leases' relay processes in the
//! container: 0 when every lease is TCP) and `ready`, runs one Python call,
//! holds the handle for
//! SECS, then ends the way `--end` says (`hang` waits to be killed;
//! `fail-test` runs a failing test body through the macro's harness instead).
//! On failure it prints `error=<message>` and exits 2. With `RUST_LOG`
//! set, the crate's log goes to stderr (`tracing_subscriber`'s filter).

use python_container_test::{ContainerSpec, PythonContainer};
use std::io::Write;
use std::time::Duration;

/// What the command line asks for.
struct Args {
    spec: ContainerSpec,
    hold: f64,
    end: String,
}

fn parse_args() -> Args {
    let mut parsed = Args {
        spec: ContainerSpec::image(python_container_test_e2e::IMAGE),
        hold: 0.0,
        end: "exit".to_owned(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--image" => parsed.spec = ContainerSpec::image(value),
            "--dockerfile" => parsed.spec = ContainerSpec::dockerfile(value),
            "--env" => {
                let (key, value) = value.split_once('=').unwrap_or((&value, ""));
                parsed.spec = parsed.spec.env(key, value);
            }
            "--hold" => parsed.hold = value.parse().unwrap_or(0.0),
            "--end" => parsed.end = value,
            other => {
                eprintln!("probe: unknown argument {other}");
                std::process::exit(64);
            }
        }
    }
    parsed
}

/// A test body that fails, run by the harness the macro uses.
fn failing_test(spec: ContainerSpec) {
    python_container_test::__private::run_test(spec, "probe::failing_test", |py| {
        assert_eq!(
            py.eval::<i64>("6 * 7").ok(),
            Some(41),
            "the test's own assertion"
        );
    });
}

/// Acquires the container and reports it; exits 2 on failure.
fn acquire(spec: ContainerSpec) -> PythonContainer {
    let py = match PythonContainer::start(spec) {
        Ok(py) => py,
        Err(e) => {
            println!("error={e}");
            std::process::exit(2);
        }
    };
    println!("id={}", py.id());
    println!("workdir={}", py.workdir());
    match py.python(python_container_test_e2e::COUNT_RELAYS) {
        Ok(out) => println!("relays={}", out.stdout_str().trim()),
        Err(e) => println!("error=counting relays: {e}"),
    }
    match py.eval::<i64>("6 * 7") {
        Ok(42) => println!("ready"),
        other => {
            println!("error=eval gave {other:?}");
            std::process::exit(2);
        }
    }
    let _ = std::io::stdout().flush();
    py
}

fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let Args { spec, hold, end } = parse_args();
    if end == "fail-test" {
        return failing_test(spec);
    }
    let py = acquire(spec);
    std::thread::sleep(Duration::from_secs_f64(hold));
    match end.as_str() {
        "panic" => panic!("probe panics while holding the handle"),
        "abort" => std::process::abort(),
        "hang" => loop {
            std::thread::sleep(Duration::from_secs(3600));
        },
        _ => drop(py),
    }
}
