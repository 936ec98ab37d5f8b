//! `cargo nextest run` of the same 20 tests, two ways (`tests/suites/`):
//!
//! - `ours`: `#[python_container_test]`, one shared container for the run;
//! - `baseline`: testcontainers-rs alone, one container per test, removed at
//!   the end of each test.
//!
//! Both are built first (not timed). Then, alternately, each suite is run
//! `ROUNDS` times. What is timed: the wall time of the whole
//! `cargo nextest run -p <suite>` command (cargo's freshness check, nextest's
//! test listing, the 20 test processes). What is not timed: for `ours`, the
//! linger after the run (the container exits on its own
//! `PYTHON_CONTAINER_TEST_LINGER` seconds after the last test process; the
//! leak check waits for it); for `baseline`, nothing comes after the run.
//! Every `ours` run has a fresh scope, so it starts its container cold.
//!
//! Leaks: containers of the run still there a few seconds after it (ours: by
//! its scope label, after linger + 3 s; baseline: by the label
//! `python-container-test.bench-run=<run>`, after 3 s).
//!
//! Run: `cargo bench -p python-container-test-e2e --bench suite_vs_testcontainers`
//! (env `PCT_BENCH_ROUNDS` changes the number of rounds, default 3).

#[path = "../suites/driver.rs"]
mod driver;

use driver::{build_once, cargo, nextest_summary_time, run, Finished};
use python_container_test_e2e::{containers_in_scope, containers_with, unique_scope, MANAGED};
use std::time::Duration;

const LINGER: f64 = 3.0;
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

struct Sample {
    wall: Duration,
    nextest: Option<Duration>,
    leaked: usize,
    /// Cargo waited for a lock of the target dir (a concurrent build).
    blocked: bool,
}

fn blocked(out: &Finished) -> bool {
    out.stderr.contains("Blocking waiting for file lock")
}

fn run_ours() -> Sample {
    let scope = unique_scope("bench-ours");
    let mut cmd = cargo(["nextest", "run", "-p", "ours"]);
    cmd.env("PYTHON_CONTAINER_TEST_SCOPE", &scope)
        .env("PYTHON_CONTAINER_TEST_LINGER", LINGER.to_string());
    let out = checked(run(cmd, RUN_TIMEOUT));
    let left =
        python_container_test_e2e::wait_until_empty(Duration::from_secs_f64(LINGER + 3.0), || {
            containers_in_scope(&scope)
        });
    Sample {
        wall: out.wall,
        nextest: nextest_summary_time(&out),
        leaked: left.len(),
        blocked: blocked(&out),
    }
}

fn run_baseline(round: usize) -> Sample {
    let run_id = format!("{}-{round}", unique_scope("bench-baseline"));
    let mut cmd = cargo(["nextest", "run", "-p", "baseline"]);
    cmd.env("PCT_BENCH_RUN", &run_id);
    let out = checked(run(cmd, RUN_TIMEOUT));
    let label = format!("python-container-test.bench-run={run_id}");
    let left = python_container_test_e2e::wait_until_empty(Duration::from_secs(3), || {
        containers_with(&[MANAGED, &label])
    });
    Sample {
        wall: out.wall,
        nextest: nextest_summary_time(&out),
        leaked: left.len(),
        blocked: blocked(&out),
    }
}

fn checked(out: Finished) -> Finished {
    assert!(out.status.success(), "{out:?}");
    assert!(out.stderr.contains("20 tests run: 20 passed"), "{out:?}");
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn show(label: &str, round: usize, s: &Sample) {
    let nextest = s
        .nextest
        .map(|d| format!("{:.3} s", d.as_secs_f64()))
        .unwrap_or_else(|| "?".into());
    println!(
        "round {round}  {label:<8}  wall {:>7.3} s   (nextest summary {nextest})   leaked containers: {}{}",
        s.wall.as_secs_f64(),
        s.leaked,
        if s.blocked { "   [cargo waited for a target-dir lock]" } else { "" }
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too:
    // only benchmark when asked for it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("suite_vs_testcontainers: run with `cargo bench` to benchmark");
        return;
    }
    let rounds: usize = std::env::var("PCT_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    println!("building tests/suites (not timed) ...");
    build_once();
    // nextest builds too (a no-op after cargo test --no-run, but checked).
    checked_build();

    println!(
        "timed: wall time of `cargo nextest run -p <suite>` (20 tests, nextest default \
         test-threads = {} CPUs), {rounds} rounds, alternating; not timed: ours' linger \
         ({LINGER} s) after the run",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!("warm-up (not counted):");
    show("ours", 0, &run_ours());
    show("baseline", 0, &run_baseline(0));

    let (mut ours, mut base) = (Vec::new(), Vec::new());
    let (mut ours_nt, mut base_nt) = (Vec::new(), Vec::new());
    let mut leaked = (0, 0);
    for round in 1..=rounds {
        // Alternate which goes first.
        let pair = if round % 2 == 1 {
            let o = run_ours();
            (o, run_baseline(round))
        } else {
            let b = run_baseline(round);
            (run_ours(), b)
        };
        show("ours", round, &pair.0);
        show("baseline", round, &pair.1);
        leaked.0 += pair.0.leaked;
        leaked.1 += pair.1.leaked;
        ours.push(pair.0.wall);
        base.push(pair.1.wall);
        ours_nt.extend(pair.0.nextest);
        base_nt.extend(pair.1.nextest);
    }
    let (mo, mb) = (median(ours.clone()), median(base.clone()));
    let (to, tb): (Duration, Duration) = (ours.iter().sum(), base.iter().sum());
    println!(
        "median wall: ours {:.3} s, baseline {:.3} s -> baseline / ours = {:.2}x (goal >= 4x)",
        mo.as_secs_f64(),
        mb.as_secs_f64(),
        mb.as_secs_f64() / mo.as_secs_f64()
    );
    println!(
        "total wall over {rounds} rounds: ours {:.3} s, baseline {:.3} s -> {:.2}x",
        to.as_secs_f64(),
        tb.as_secs_f64(),
        tb.as_secs_f64() / to.as_secs_f64()
    );
    if ours_nt.len() == rounds && base_nt.len() == rounds {
        let (no, nb) = (median(ours_nt), median(base_nt));
        println!(
            "median nextest summary (test processes only, no cargo/listing): ours {:.3} s, \
             baseline {:.3} s -> {:.2}x",
            no.as_secs_f64(),
            nb.as_secs_f64(),
            nb.as_secs_f64() / no.as_secs_f64()
        );
    }
    println!(
        "leaked containers: ours {}, baseline {} (over {rounds} rounds)",
        leaked.0, leaked.1
    );
}

fn checked_build() {
    let out = run(
        cargo(["nextest", "run", "--workspace", "--no-run"]),
        Duration::from_secs(30 * 60),
    );
    assert!(out.status.success(), "{out:?}");
}
