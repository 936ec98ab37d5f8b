//! A session against plain fast-path calls, measured in one run:
//! `cargo bench -p python-container-test-e2e --bench session`.
//!
//! CPU (image `python-container-test/numpy:3.11`, numpy preloaded for both):
//! 200 calls of a numpy function on a 1000x1000 array that a session built
//! once, against 200 plain fast-path calls that build it each time; and the
//! bare cost of a call both ways, and of opening a session.
//!
//! GPU (instead of the CPU part, with `PCT_BENCH_GPU_IMAGE=<an image with
//! torch and CUDA>`, on an engine that gives the container a GPU): a torch
//! CUDA matmul in a session (the CUDA context made once, by the first call)
//! against plain calls, each of which forks a fresh child that makes its own
//! context. Target: a session call after the first in <= 5 ms, against
//! ~550 ms a fork. How to run it on the GPU lab: README, "Sessions".

use python_container_test::{ContainerSpec, GpuMode, PythonContainer, Session};
use python_container_test_e2e::NUMPY_IMAGE;
use std::time::{Duration, Instant};

/// The GPU image variable: unset, the GPU part is skipped.
const GPU_IMAGE_VAR: &str = "PCT_BENCH_GPU_IMAGE";

/// Latencies of `n` runs of `f` (after `warm` unmeasured ones), sorted.
fn sample(n: usize, warm: usize, mut f: impl FnMut()) -> Vec<Duration> {
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
    times
}

fn median(times: &[Duration]) -> Duration {
    times[times.len() / 2]
}

fn total(times: &[Duration]) -> Duration {
    times.iter().sum()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn show(label: &str, times: &[Duration]) {
    println!(
        "  {label:<46} median {:>8.2} ms   total {:>9.1} ms   (n = {})",
        ms(median(times)),
        ms(total(times)),
        times.len()
    );
}

/// The array and the function: built once in the session, per call in the
/// plain calls.
const BUILD: &str = "import numpy as np\n\
    m = np.random.default_rng(0).random((1000, 1000))\n\
    v = np.random.default_rng(1).random(1000)\n\
    def f():\n    return float(np.linalg.norm(m @ v))\n";

/// The same value as one expression that builds everything (a plain `eval`).
const REBUILD: &str = "(lambda np: float(np.linalg.norm(\
    np.random.default_rng(0).random((1000, 1000)) @ np.random.default_rng(1).random(1000))))\
    (__import__('numpy'))";

fn cpu() {
    let spec = ContainerSpec::image(NUMPY_IMAGE).preload(["numpy"]);
    let py =
        PythonContainer::start(spec).expect("the numpy image runs (bash docker/build-images.sh)");
    let first = py.session().expect("a session opens"); // warms the fork server
    drop(first);
    let opens = sample(20, 2, || drop(py.session().unwrap()));
    let s = py.session().unwrap();
    let built = Instant::now();
    s.exec(BUILD).unwrap();
    let built = built.elapsed();
    let in_session: f64 = s.call("f", ()).unwrap();
    let plain: f64 = py.eval(REBUILD).unwrap();
    assert_eq!(in_session, plain, "both ways compute the same value");

    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!("CPU: 200 calls of a numpy function on a 1000x1000 array ({profile} build)");
    let session_calls = sample(200, 5, || {
        let _: f64 = s.call("f", ()).unwrap();
    });
    let plain_calls = sample(200, 5, || {
        let _: f64 = py.eval(REBUILD).unwrap();
    });
    let bare_session = sample(200, 5, || {
        let _: i64 = s.eval("1").unwrap();
    });
    let bare_plain = sample(200, 5, || {
        let _: i64 = py.eval("1").unwrap();
    });
    show("open a session (warm fork server)", &opens);
    println!("  build the array in the session once: {:.2} ms", ms(built));
    show("session.call(f): array built once", &session_calls);
    show("py.eval: array rebuilt each call (fast path)", &plain_calls);
    show("session.eval(\"1\")", &bare_session);
    show("py.eval(\"1\") (fast path)", &bare_plain);
    let ratio = |slow: &[Duration], fast: &[Duration]| {
        median(slow).as_secs_f64() / median(fast).as_secs_f64()
    };
    println!(
        "  ratios (medians): numpy calls {:.1}x faster in the session (totals: {:.1}x); bare call {:.1}x",
        ratio(&plain_calls, &session_calls),
        total(&plain_calls).as_secs_f64() / total(&session_calls).as_secs_f64(),
        ratio(&bare_plain, &bare_session),
    );
}

/// A torch CUDA matmul: set up once (in the session) or per call (plain);
/// `f()` is one call.
const TORCH: &str = "import torch\n\
    a = torch.randn(1024, 1024, device='cuda')\n\
    def f():\n    return float((a @ a).sum().item())\n";

/// Without torch in the image: the CUDA driver API through ctypes (the
/// context is what a fork cannot share); `f()` allocates 4 MiB, sets it,
/// synchronises and frees it.
const DRIVER: &str = "import ctypes\n\
    cuda = ctypes.CDLL('libcuda.so.1')\n\
    def check(r, what):\n    \
        if r != 0:\n        raise RuntimeError('%s: CUresult %d' % (what, r))\n\
    check(cuda.cuInit(0), 'cuInit')\n\
    dev, ctx = ctypes.c_int(), ctypes.c_void_p()\n\
    check(cuda.cuDeviceGet(ctypes.byref(dev), 0), 'cuDeviceGet')\n\
    check(cuda.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), 'cuDevicePrimaryCtxRetain')\n\
    check(cuda.cuCtxSetCurrent(ctx), 'cuCtxSetCurrent')\n\
    def f():\n    \
        p, n = ctypes.c_uint64(), ctypes.c_size_t(1 << 22)\n    \
        check(cuda.cuMemAlloc_v2(ctypes.byref(p), n), 'cuMemAlloc')\n    \
        check(cuda.cuMemsetD8_v2(p, ctypes.c_ubyte(1), n), 'cuMemsetD8')\n    \
        check(cuda.cuCtxSynchronize(), 'cuCtxSynchronize')\n    \
        check(cuda.cuMemFree_v2(p), 'cuMemFree')\n    \
        return 1.0\n";

fn gpu(image: &str) {
    let spec = ContainerSpec::image(image).gpu(GpuMode::Required);
    let py = PythonContainer::start(spec.clone()).expect("the GPU image runs with a GPU");
    let torch: bool = py
        .eval("__import__('importlib.util').util.find_spec('torch') is not None")
        .unwrap();
    // With torch, both ways start from it preloaded (the fork server does
    // not touch CUDA: every forked call makes its own context).
    let (py, setup, what) = if torch {
        let py = PythonContainer::start(spec.preload(["torch"])).unwrap();
        (py, TORCH, "torch CUDA 1024x1024 matmul")
    } else {
        let what = "CUDA driver API via ctypes (no torch in the image): 4 MiB alloc, memset, sync";
        (py, DRIVER, what)
    };
    let s: Session = py.session().unwrap();
    let first = Instant::now();
    s.exec(setup).unwrap();
    let _: f64 = s.call("f", ()).unwrap();
    let first = first.elapsed();
    let session_calls = sample(50, 2, || {
        let _: f64 = s.call("f", ()).unwrap();
    });
    let per_fork = format!("{setup}f()\n");
    let fork_calls = sample(10, 1, || {
        py.python(&per_fork).unwrap().assert_success();
    });
    println!("GPU ({image}): {what}");
    println!(
        "  session: setup and first call (CUDA context made): {:.1} ms",
        ms(first)
    );
    show("session.call(f): context kept", &session_calls);
    show("py.python: a fresh context per forked call", &fork_calls);
    let ratio = median(&fork_calls).as_secs_f64() / median(&session_calls).as_secs_f64();
    let target = median(&session_calls) <= Duration::from_millis(5);
    println!(
        "  ratio {ratio:.0}x; session call <= 5 ms: {}",
        if target { "yes" } else { "NO" }
    );
}

fn main() {
    // On a GPU machine the CPU images are not there: the GPU part alone.
    match std::env::var(GPU_IMAGE_VAR) {
        Ok(image) if !image.trim().is_empty() => gpu(image.trim()),
        _ => {
            cpu();
            println!(
                "GPU: skipped ({GPU_IMAGE_VAR} is not set; see the top of benches/session.rs)"
            );
        }
    }
}
