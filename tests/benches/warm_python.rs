//! The fast path against a fresh interpreter per call, measured in one run:
//! `cargo bench -p python-container-test-e2e --bench warm_python`.
//!
//! 1. Latency of `pass`: `py.python` (fast path), the same handle with the
//!    fast path off (bollard exec), the `docker exec` CLI, testcontainers-rs
//!    `exec` on a container of the same image.
//! 2. The same with numpy: preloaded on the fast path, imported per call
//!    everywhere else.
//! 3. 1000 fast calls from 8 threads: throughput and the host's peak memory.
//! 4. 100 MB of stdout: time and the host's peak memory growth.

use python_container_test::{ContainerSpec, PythonContainer};
use python_container_test_e2e::{IMAGE, MANAGED, NUMPY_IMAGE};
use std::process::Command;
use std::time::{Duration, Instant};
use testcontainers::core::ExecCommand;
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

/// Latencies of `n` runs of `f` (after `warm` unmeasured ones).
fn sample(n: usize, warm: usize, mut f: impl FnMut()) -> Stats {
    for _ in 0..warm {
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
    Stats { times }
}

struct Stats {
    times: Vec<Duration>,
}

impl Stats {
    fn quantile(&self, q: f64) -> Duration {
        let i = ((self.times.len() - 1) as f64 * q).round() as usize;
        self.times[i]
    }

    fn median(&self) -> Duration {
        self.quantile(0.5)
    }

    fn show(&self, label: &str) {
        println!(
            "  {label:<34} median {:>9.2} ms   p90 {:>9.2} ms   (n = {})",
            ms(self.median()),
            ms(self.quantile(0.9)),
            self.times.len()
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ratio(slow: &Stats, fast: &Stats) -> f64 {
    slow.median().as_secs_f64() / fast.median().as_secs_f64()
}

/// The host process's peak resident memory (VmHWM), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn docker_cli(id: &str, code: &str) {
    let out = Command::new("docker")
        .args(["exec", id, "python3", "-c", code])
        .output()
        .expect("the docker CLI runs");
    assert!(out.status.success(), "{out:?}");
}

/// A sleeping container of `image` started by testcontainers-rs.
async fn testcontainer(image: &str) -> ContainerAsync<GenericImage> {
    let (name, tag) = image.split_once(':').expect("image:tag");
    let (label, value) = MANAGED.split_once('=').expect("label=value");
    GenericImage::new(name, tag)
        .with_entrypoint("sleep")
        .with_cmd(["infinity"])
        .with_label(label, value)
        .start()
        .await
        .expect("testcontainers starts the image")
}

async fn testcontainers_exec(container: &ContainerAsync<GenericImage>, code: &str) {
    let mut result = container
        .exec(ExecCommand::new(["python3", "-c", code]))
        .await
        .expect("exec starts");
    result.stdout_to_vec().await.expect("stdout");
    result.stderr_to_vec().await.expect("stderr");
    assert_eq!(result.exit_code().await.expect("exit code"), Some(0));
}

/// Part 1 or 2: one `code` every way.
fn latency(
    title: &str,
    py: &PythonContainer,
    tc: &ContainerAsync<GenericImage>,
    rt: &tokio::runtime::Runtime,
    code: &str,
    slow_n: usize,
) -> Stats {
    println!("{title}");
    let fast = sample(500, 20, || {
        py.python(code).unwrap().assert_success();
    });
    fast.show("fast path (py.python)");
    let exec_py = py.with_fast_path(false);
    let exec = sample(slow_n, 2, || {
        exec_py.python(code).unwrap().assert_success();
    });
    exec.show("fast path off (bollard exec)");
    let cli = sample(slow_n, 2, || docker_cli(py.id(), code));
    cli.show("docker exec CLI");
    let tce = sample(slow_n, 2, || rt.block_on(testcontainers_exec(tc, code)));
    tce.show("testcontainers-rs exec");
    println!(
        "  ratios (median): exec/fast {:.1}x, CLI/fast {:.1}x, testcontainers/fast {:.1}x",
        ratio(&exec, &fast),
        ratio(&cli, &fast),
        ratio(&tce, &fast)
    );
    fast
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let start_rss = peak_rss_mib();

    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).expect("the python image runs");
    let tc = rt.block_on(testcontainer(IMAGE));
    let fast = latency("1. `pass`, image python:3.11", &py, &tc, &rt, "pass", 40);
    rt.block_on(async { tc.rm().await.expect("testcontainers removes its container") });

    let np = PythonContainer::start(ContainerSpec::image(NUMPY_IMAGE).preload(["numpy"]))
        .expect("the numpy image runs");
    let tc_np = rt.block_on(testcontainer(NUMPY_IMAGE));
    let code = "import numpy; numpy.zeros(3).sum()";
    latency(
        "2. numpy (preloaded on the fast path)",
        &np,
        &tc_np,
        &rt,
        code,
        20,
    );
    rt.block_on(async {
        tc_np
            .rm()
            .await
            .expect("testcontainers removes its container")
    });
    drop(np);

    println!("3. 1000 fast calls from 8 threads");
    let before = peak_rss_mib();
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let py = &py;
            s.spawn(move || {
                for _ in 0..125 {
                    py.python("pass").unwrap().assert_success();
                }
            });
        }
    });
    let took = started.elapsed();
    println!(
        "  {:.0} calls/s ({:.2} s for 1000; {:.2} ms per call per thread; single-thread median {:.2} ms)",
        1000.0 / took.as_secs_f64(),
        took.as_secs_f64(),
        ms(took) * 8.0 / 1000.0,
        ms(fast.median())
    );
    println!(
        "  host peak RSS (VmHWM): {start_rss:.1} MiB at start, {before:.1} MiB before, {:.1} MiB after",
        peak_rss_mib()
    );

    println!("4. 100 MB of stdout");
    let before = peak_rss_mib();
    let started = Instant::now();
    let out = py
        .python("import sys\nchunk = b'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.buffer.write(chunk)")
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.stdout.len(), 100 << 20);
    println!(
        "  fast path: {:.2} s; host peak RSS {before:.1} MiB -> {:.1} MiB (the output itself: 100 MiB)",
        took.as_secs_f64(),
        peak_rss_mib()
    );
}
