//! Per-call cost of the fast path, in the profile it is built with (warm:
//! one container for the whole run). Run in a debug build, as users' tests
//! are: `cargo bench -p python-container-test-e2e --bench per_call --profile dev`;
//! and in release: `cargo bench -p python-container-test-e2e --bench per_call`.
//!
//! Prints, for `py.python("pass")` and `py.eval("1")`, the median and p90,
//! against the floor measured in the same run: a bare `ping` round trip on the
//! same lease (the agent's answer without any Python call).

use python_container_test::{ContainerSpec, PythonContainer};
use python_container_test_e2e::IMAGE;
use std::time::{Duration, Instant};

fn sample(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    for _ in 0..n / 10 {
        f();
    }
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn ms(times: &[Duration], q: f64) -> f64 {
    let i = ((times.len() - 1) as f64 * q).round() as usize;
    times[i].as_secs_f64() * 1000.0
}

fn main() {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).expect("container starts");
    let n: usize = std::env::var("PCT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let pass = sample(n, || {
        py.python("pass").expect("runs").assert_success();
    });
    let eval = sample(n, || {
        assert_eq!(py.eval::<i64>("1").expect("evals"), 1);
    });
    println!("per call, {profile} build, warm container, n = {n}:");
    for (label, times) in [("py.python(\"pass\")", &pass), ("py.eval(\"1\")", &eval)] {
        println!(
            "  {label:<22} median {:>6.3} ms   p90 {:>6.3} ms",
            ms(times, 0.5),
            ms(times, 0.9)
        );
    }
}
