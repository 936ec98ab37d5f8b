//! Per-call cost of the fast path, in the profile it is built with (warm:
//! one container for the whole run). Run in a debug build, as users' tests
//! are: `cargo bench -p python-container-test-e2e --bench per_call --profile dev`;
//! and in release: `cargo bench -p python-container-test-e2e --bench per_call`.
//!
//! Prints, for `py.python("pass")` and `py.eval("1")`, the median and p90,
//! against a baseline measured in the same run, interleaved with them (so
//! the machine's load weighs on all alike): `eval("1")` in a session on the
//! same container, a round trip on the same lease to an interpreter that is
//! already running (no fork). `PCT_BENCH_N` calls of each (default 1000),
//! after a tenth as many unmeasured. `PCT_BENCH_ONLY=0|1|2` makes only
//! the first, second or third call (to count instructions with callgrind).
//! Then the floors of a call (see `floors`): what a fresh process costs
//! the kernel, and what a round trip to a running interpreter costs, on
//! the CPUs there are.
//! Then `write_file` and `read_file` of a small file (`PCT_BENCH_WRITE_BYTES`,
//! default 5), and `copy_from` of its folder, by a fast Python call and
//! through the engine's archive API (the fast path off), a tenth as many,
//! alternated.

#[path = "support/cpu_split.rs"]
#[allow(dead_code)] // shared with the suite bench, which uses all of it
mod cpu_split;
#[path = "../suites/driver.rs"]
mod driver;

use python_container_test::{ContainerSpec, PythonContainer, Session};
use python_container_test_e2e::IMAGE;
use std::time::{Duration, Instant};

/// A call's name, the call, its times.
type Call<'a> = (&'static str, &'a mut dyn FnMut(), Vec<Duration>);

fn timed(f: &mut dyn FnMut()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn ms(times: &[Duration], q: f64) -> f64 {
    let i = ((times.len() - 1) as f64 * q).round() as usize;
    times[i].as_secs_f64() * 1000.0
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn main() {
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let py = PythonContainer::start(ContainerSpec::image(IMAGE)).expect("container starts");
    let session = py.session().expect("a session opens");
    let n: usize = std::env::var("PCT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut pass = || {
        py.python("pass").expect("runs").assert_success();
    };
    let mut eval = || assert_eq!(py.eval::<i64>("1").expect("evals"), 1);
    let mut base = || assert_eq!(session.eval::<i64>("1").expect("evals"), 1);
    let mut calls: [Call; 3] = [
        ("py.python(\"pass\")", &mut pass, Vec::new()),
        ("py.eval(\"1\")", &mut eval, Vec::new()),
        ("session.eval(\"1\")", &mut base, Vec::new()),
    ];
    // `PCT_BENCH_ONLY=0|1|2` runs only that call (for instruction counts
    // under `valgrind --tool=callgrind`, by the difference of two `n`).
    let only: Option<usize> = std::env::var("PCT_BENCH_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    let before = load();
    for i in 0..n + n / 10 {
        for (which, (_, f, times)) in calls.iter_mut().enumerate() {
            if only.is_some_and(|o| o != which) {
                continue;
            }
            let t = timed(*f);
            if i >= n / 10 {
                times.push(t);
            }
        }
    }
    for (_, _, times) in calls.iter_mut() {
        times.sort();
    }
    if only.is_some() {
        return;
    }
    let floor = ms(&calls[2].2, 0.5);
    println!(
        "per call, {profile} build, warm container, n = {n}, interleaved (load average before \
         {before}, after {}):",
        load()
    );
    for (label, _, times) in &calls {
        row(label, times, ("session.eval", floor));
    }
    floors(&py, &session, n);
    writes(&py, (n / 10).max(1));
}

/// Times `n` (defined before it) forks of the interpreter that runs it (a child of the warm
/// interpreter, so of its size): `fork` until the child has run (it writes
/// a byte) and until it has exited and been reaped; prints both medians in
/// ms. A fresh process per call costs at least these.
const FORK_FLOOR: &str = r#"
import os, time
def once():
    r, w = os.pipe()
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.write(w, b"x")
        os._exit(0)
    os.read(r, 1)
    ran = time.perf_counter() - start
    os.waitpid(pid, 0)
    reaped = time.perf_counter() - start
    os.close(r)
    os.close(w)
    return ran, reaped
times = [once() for _ in range(n + n // 10)][n // 10:]
median = lambda xs: sorted(xs)[len(xs) // 2] * 1000
print(median([t[0] for t in times]), median([t[1] for t in times]))
"#;

/// The fork server's page faults so far, its own and those of the children
/// it reaped (a call's process is a child of it: `os.getppid()`), and the
/// CPU in ms of the fork server, of its reaped children and of the agent
/// (the fork server's parent), from their `/proc/<pid>/stat` (minflt,
/// cminflt, utime + stime, cutime + cstime).
const SERVER_STAT: &str = r#"
import os
def stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        return [int(x) for x in f.read().rsplit(")", 1)[1].split()[1:]]  # from ppid on
ms = 1000 / os.sysconf("SC_CLK_TCK")
server = stat(os.getppid())
agent = stat(server[0])
print(server[6], server[7], *[(a + b) * ms for a, b in ((server[10], server[11]), (server[12], server[13]), (agent[10], agent[11]))])
"#;

/// The CPU of one copy-on-write page fault in the container: a child of
/// this process writes to `n` pages it shares with it, against a child that
/// only reads them (medians of 5; µs per fault).
const COW_FAULT: &str = r#"
import os, time
pages = bytearray(4096 * n)
for i in range(0, len(pages), 4096):
    pages[i] = 1
def child(write):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        start = time.thread_time()
        for i in range(0, len(pages), 4096):
            if write:
                pages[i] = 2
            else:
                pages[i]
        os.write(w, b"%.9f" % (time.thread_time() - start))
        os._exit(0)
    os.close(w)
    took = float(os.read(r, 64))
    os.waitpid(pid, 0)
    os.close(r)
    return took
each = sorted((child(True) - child(False)) / n * 1e6 for _ in range(5))
print(each[2])
"#;

/// Runs `code` (a snippet that prints numbers) in the container; its
/// numbers (NaN for one that is not a number; at least four).
fn numbers(py: &PythonContainer, code: &str) -> Vec<f64> {
    let out = py.python(code).expect("runs");
    out.assert_success();
    let mut numbers: Vec<f64> = out
        .stdout_str()
        .split_whitespace()
        .map(|f| f.parse::<f64>().unwrap_or(f64::NAN))
        .collect();
    numbers.resize(numbers.len().max(4), f64::NAN);
    numbers
}

/// The container's CPU and page faults over `calls` calls back to back.
struct CallCost {
    /// CPU of all CPUs per call, in ms.
    all: f64,
    /// This process's part.
    own: f64,
    /// The parts of the container, the engine's daemons and its storage driver.
    split: [f64; 3],
    /// The calls' processes, the fork server, the agent: CPU in ms.
    processes: [f64; 3],
    /// Page faults of a call's process and of the fork server.
    faults: [f64; 2],
}

/// What no Python call that starts a fresh process can go below, measured
/// now: a fork of the container's warm interpreter (its latency and, with
/// its exit and reaping, its cost), the machine's CPU per
/// `py.python("pass")` back to back and where it goes, the page faults in
/// it and their cost, and the CPU of a round trip to a running interpreter
/// (`session.eval`). Prints the floor they add up to.
fn floors(py: &PythonContainer, session: &Session, n: usize) {
    let forks = (n / 4).max(20);
    let fork = numbers(py, &format!("n = {forks}\n{FORK_FLOOR}"));
    let (ran, reaped) = (fork[0], fork[1]);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let calls = (n / 2).max(50);
    let cost = call_cost(py, calls);
    // More of them: a round trip is short, and the CPU counts are in ticks.
    let round_trip = cpu_per_call(calls * 4, || {
        assert_eq!(session.eval::<i64>("1").expect("evals"), 1);
    });
    let cow_us = numbers(py, &format!("n = 2000\n{COW_FAULT}"))[0];
    let faults_ms = (cost.faults[0] + cost.faults[1]) * cow_us / 1000.0;
    println!("floors, measured now (a fresh process per call, as a fresh `python -c` would be):");
    println!(
        "  fork of the container's warm interpreter (n = {forks}): {ran:.3} ms until the child \
         runs, {reaped:.3} ms until it has exited and been reaped"
    );
    print_cost(&cost, calls, cpus);
    println!(
        "  page faults per call: the call's process {:.0}, the fork server {:.0} (its own pages, \
         shared with the child it forked); a copy-on-write fault costs {cow_us:.2} µs of CPU \
         here (a child writing to 2000 pages of its parent's), so the faults alone are about \
         {faults_ms:.3} ms of the container's CPU per call",
        cost.faults[0], cost.faults[1]
    );
    let kernel = reaped + faults_ms;
    println!(
        "  the floor: a fresh process costs the kernel {kernel:.3} ms of CPU (its fork and exit, \
         {reaped:.3}, and its page faults, {faults_ms:.3}), and a round trip to a running \
         interpreter (session.eval(\"1\") back to back, n = {}) {round_trip:.3} ms on all \
         CPUs: together {:.3} ms / {cpus} CPUs = {:.3} ms a call back to back, before the call's \
         own Python runs",
        calls * 4,
        kernel + round_trip,
        (kernel + round_trip) / cpus
    );
}

/// The machine's CPU (all CPUs, ms) per call of `call`, `calls` times.
fn cpu_per_call(calls: usize, mut call: impl FnMut()) -> f64 {
    let before = driver::cpus_busy();
    for _ in 0..calls {
        call();
    }
    (driver::cpus_busy() - before).as_secs_f64() * 1000.0 / calls as f64
}

/// What `calls` of `py.python("pass")` back to back cost, and where.
fn call_cost(py: &PythonContainer, calls: usize) -> CallCost {
    let ids = || vec![py.id().to_owned()];
    let (stat_before, own_before) = (numbers(py, SERVER_STAT), own_ms());
    let split_before = cpu_split::sample_of(ids());
    let all = cpu_per_call(calls, || {
        py.python("pass").expect("runs").assert_success();
    });
    let split = cpu_split::sample_of(ids()).since(&split_before);
    let (stat_after, own_after) = (numbers(py, SERVER_STAT), own_ms());
    // The probe's own process, and the one before it, are not in the
    // counts: calls + 1 processes were reaped between the two reads.
    let stat = |i: usize| (stat_after[i] - stat_before[i]) / (calls + 1) as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0 / calls as f64;
    CallCost {
        all,
        own: (own_after - own_before) / calls as f64,
        split: [ms(split.containers), ms(split.engine), ms(split.storage)],
        processes: [stat(3), stat(2), stat(4)],
        faults: [stat(1), stat(0)],
    }
}

/// Prints the CPU of a call back to back, and where it goes.
fn print_cost(cost: &CallCost, calls: usize, cpus: f64) {
    let [containers, engine, storage] = cost.split;
    let [children, server, agent] = cost.processes;
    println!(
        "  the machine's CPU per py.python(\"pass\") back to back (n = {calls}): {:.3} ms on all \
         CPUs / {cpus} CPUs = {:.3} ms, the least a call can take when calls follow one another",
        cost.all,
        cost.all / cpus
    );
    println!(
        "    of which: this process {:.3} ms, the container {containers:.3} ms, the engine's \
         daemons {engine:.3} ms, its storage driver {storage:.3} ms; the rest (the kernel's \
         network and interrupts) {:.3} ms",
        cost.own,
        cost.all - cost.own - containers - engine - storage
    );
    println!(
        "    the container's part: the calls' processes {children:.3} ms, the fork server \
         {server:.3} ms, the agent {agent:.3} ms, the rest {:.3} ms (from /proc, in clock ticks)",
        containers - children - server - agent
    );
}

/// This process's CPU time so far, in ms (`/proc/self/stat`: utime, stime).
fn own_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    (driver::stat_ticks(&stat, 11, 2) * driver::TICK_MS) as f64
}

/// `write_file`, then `read_file`, of a small file (`PCT_BENCH_WRITE_BYTES`,
/// default 5 bytes of text; more: bytes of every value): by a fast Python
/// call, and (the fast path off) through the engine's archive API,
/// alternated, `n` of each.
fn writes(py: &PythonContainer, n: usize) {
    let size: usize = std::env::var("PCT_BENCH_WRITE_BYTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let bytes: Vec<u8> = match size {
        5 => b"hello".to_vec(),
        _ => (0..size).map(|i| (i * 7 % 256) as u8).collect(),
    };
    let engine = py.with_fast_path(false);
    let host = tempfile::tempdir().expect("a temporary folder");
    let back = host.path().join("back");
    for op in ["write_file", "read_file", "copy_from"] {
        let mut times: [(&str, &PythonContainer, Vec<Duration>); 2] = [
            ("fast Python call", py, Vec::new()),
            ("engine's archive API", &engine, Vec::new()),
        ];
        for _ in 0..n {
            for (_, handle, samples) in times.iter_mut() {
                let mut call = || match op {
                    "write_file" => handle.write_file("bench/in.bin", &bytes).expect("writes"),
                    "read_file" => {
                        assert_eq!(handle.read_file("bench/in.bin").expect("reads"), bytes)
                    }
                    _ => {
                        handle.copy_from("bench", &back).expect("copies");
                        std::fs::remove_dir_all(&back).expect("removes");
                    }
                };
                samples.push(timed(&mut call));
            }
        }
        for (_, _, samples) in times.iter_mut() {
            samples.sort();
        }
        let what = if op == "copy_from" {
            "bench"
        } else {
            "bench/in.bin"
        };
        println!("{op}(\"{what}\"), {size} bytes, n = {n} each, alternated:");
        let engine_median = ms(&times[1].2, 0.5);
        for (label, _, samples) in &times {
            row(label, samples, ("the engine's", engine_median));
        }
    }
}

/// One line of the report: the median and p90 of sorted `times`, and the
/// median's ratio to the baseline's `(name, median in ms)`.
fn row(label: &str, times: &[Duration], (base, base_ms): (&str, f64)) {
    println!(
        "  {label:<22} median {:>6.3} ms   p90 {:>6.3} ms   median / {base} = {:.2}x",
        ms(times, 0.5),
        ms(times, 0.9),
        ms(times, 0.5) / base_ms
    );
}
