//! Whole suites under the real runners, against baselines measured in the same
//! run (`tests/suites/`). One run prints:
//!
//! 1. **Suites of 20 tests** (one small snippet each), under `cargo nextest
//!    run` and `cargo test --tests`, each suite in turn, `PCT_BENCH_ROUNDS`
//!    rounds (default 3; the order of the suites is reversed every other
//!    round):
//!    - `empty`: 20 empty tests, the runner's own floor;
//!    - `ours` **cold**: `#[python_container_test]` in a fresh scope, so no
//!      container of the spec is alive at the start;
//!    - `ours` **warm**: the same suite and scope again right after, while the
//!      cold run's container lingers (checked: the same container serves it);
//!    - `baseline`: testcontainers-rs, one container per test;
//!    - `tcstatic`: testcontainers-rs, one container in a `static` per test
//!      process (the usual speed-up; statics are never dropped, so it leaks).
//!
//!    Timed: the wall time of the whole command (cargo's freshness check, the
//!    runner's listing, the test processes). Not timed: ours' linger after the
//!    warm run, the leak checks, removing what `tcstatic` leaked.
//!    Leaks: containers of the run still there after it (ours: of its scope,
//!    `LINGER` + 3 s after the warm run; the testcontainers suites: with the
//!    run's `python-container-test.bench-run` label, 3 s after). The bench
//!    removes what the testcontainers suites leaked (only those: by that
//!    label).
//! 2. **First acquire**: one test (`tests/suites/first`, the test binary run
//!    directly) that acquires a container in a fresh scope and makes two fast
//!    calls, against `docker run --rm <same image> python3 -c pass`,
//!    alternated, `PCT_BENCH_FIRST` rounds (default 5; 0 skips), medians; with
//!    the medians of the crate's `tracing` spans of the acquire (engine,
//!    sweep, image, create, lease, ...) and the engine's events (create,
//!    start, the attach that sends the harness's files) that split its
//!    create span.
//! 3. **Scaling**: 200 tests of one spec and 200 tests over 4 specs (one fast
//!    call each) against 200 empty tests, under both runners,
//!    `PCT_BENCH_SCALE_ROUNDS` rounds (default 1; 0 skips): the cost per test
//!    above the floor, in wall time and in CPU time (that of the command's
//!    processes, the test processes among them, and that of all CPUs, which
//!    includes the engine and the containers, and any other load: on a
//!    machine that runs nothing else, the most telling figure), split into
//!    the containers, the engine's daemons and its storage driver's
//!    processes (`support/cpu_split.rs`); then the engine's CPU per read a
//!    warm test process makes, each read sent alone.
//!
//! `PCT_BENCH_PARTS=suites,first,scale` picks parts (default all);
//! `PCT_BENCH_RUNNERS=nextest,test` picks runners (default both).
//!
//! Run: `cargo bench -p python-container-test-e2e --bench suite_vs_testcontainers`
//! (the suites are debug builds, as users' tests are; the bench itself runs
//! in release).

#[path = "support/cpu_split.rs"]
mod cpu_split;
#[path = "../suites/driver.rs"]
mod driver;

use cpu_split::Split;
use driver::{build, cargo, nextest_summary_time, run, suites_target, Finished};
use python_container_test_e2e::{
    containers_in_scope, containers_with, unique_scope, IMAGE, MANAGED,
};
use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Ours' linger in the suite runs: long enough for the warm run to find the
/// cold run's container.
const LINGER: f64 = 5.0;
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
const BENCH_RUN: &str = "python-container-test.bench-run";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

fn wanted(var: &str, what: &str) -> bool {
    match std::env::var(var) {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|p| p.trim() == what),
        _ => true,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Runner {
    Nextest,
    Test,
}

impl Runner {
    fn name(self) -> &'static str {
        match self {
            Runner::Nextest => "cargo nextest run",
            Runner::Test => "cargo test",
        }
    }

    fn command(self, package: &str) -> Command {
        match self {
            Runner::Nextest => cargo(["nextest", "run", "-p", package]),
            // `--tests`: no doctests (rustdoc would add the same ~0.3 s to
            // every suite).
            Runner::Test => cargo(["test", "--tests", "-p", package]),
        }
    }
}

/// Runs the suite and checks that all `tests` passed. Builds it first (not
/// timed): other work in this checkout may have changed the crate's sources
/// since the last run (see [`compiled`] for a change that lands in between).
fn run_suite(runner: Runner, package: &str, tests: usize, env: &[(&str, &str)]) -> Finished {
    build(&[package]);
    let mut cmd = runner.command(package);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd, RUN_TIMEOUT);
    assert!(out.status.success(), "{out:?}");
    let passed = match runner {
        Runner::Nextest => {
            let want = format!("{tests} tests run: {tests} passed");
            if out.stderr.contains(&want) {
                tests
            } else {
                0
            }
        }
        Runner::Test => out
            .stdout
            .lines()
            .filter_map(|l| l.strip_prefix("test result: ok. "))
            .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
            .sum(),
    };
    assert_eq!(passed, tests, "{package}: {tests} tests must pass: {out:?}");
    out
}

/// Whether a timed run compiled something (a change to the crate's sources
/// landed after the untimed build): such a sample is measured again.
fn compiled(out: &Finished) -> bool {
    out.stderr.contains("Compiling ")
}

/// Whether a timed run compiled something or waited for another cargo's lock
/// of the target dir: such a sample is measured again.
fn disturbed(out: &Finished) -> bool {
    compiled(out) || blocked(out)
}

/// Runs `f` until none of its runs was [`disturbed`] (at most 3 times).
fn measured<T>(what: &str, mut f: impl FnMut() -> (T, bool)) -> T {
    let mut tries = 0;
    loop {
        let (value, compiled) = f();
        tries += 1;
        if !compiled || tries == 3 {
            return value;
        }
        println!(
            "  ({what}: a timed run compiled something or waited for a lock; measuring it again)"
        );
    }
}

fn blocked(out: &Finished) -> bool {
    out.stderr.contains("Blocking waiting for file lock")
}

/// Removes (on drop too, so a failed bench leaves nothing) the containers
/// with this run's label: what the testcontainers suites leave.
struct Labelled(String);

impl Labelled {
    fn new(what: &str) -> Labelled {
        Labelled(unique_scope(what))
    }

    fn label(&self) -> String {
        format!("{BENCH_RUN}={}", self.0)
    }

    fn left(&self) -> Vec<String> {
        containers_with(&[MANAGED, &self.label()])
    }

    /// Removes them; returns how many there were.
    fn remove(&self) -> usize {
        let left = self.left();
        if !left.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(left.iter().map(String::as_str));
            let _ = Command::new("docker").args(&args).output();
        }
        left.len()
    }
}

impl Drop for Labelled {
    fn drop(&mut self) {
        self.remove();
    }
}

#[derive(Default)]
struct Series {
    wall: Vec<Duration>,
    nextest: Vec<Duration>,
    leaked: usize,
    blocked: usize,
    notes: Vec<String>,
}

impl Series {
    fn add(&mut self, out: &Finished) {
        self.wall.push(out.wall);
        self.nextest.extend(nextest_summary_time(out));
        self.blocked += usize::from(blocked(out));
    }

    fn median(&self) -> f64 {
        median_secs(&self.wall)
    }
}

fn median_secs(v: &[Duration]) -> f64 {
    let mut v = v.to_vec();
    v.sort();
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2].as_secs_f64(),
        n => (v[n / 2 - 1] + v[n / 2]).as_secs_f64() / 2.0,
    }
}

fn median_f64(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn secs_list(v: &[Duration]) -> String {
    v.iter()
        .map(|d| format!("{:.3}", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------------------
// Part 1: the 20-test suites.

const SUITES: [&str; 5] = ["empty", "ours cold", "ours warm", "baseline", "tcstatic"];

fn suites_round(runner: Runner, round: usize, series: &mut BTreeMap<&'static str, Series>) {
    let mut groups: Vec<&str> = vec!["empty", "ours", "baseline", "tcstatic"];
    if round.is_multiple_of(2) {
        groups.reverse();
    }
    for group in groups {
        match group {
            "empty" => {
                let out = measured("empty", || {
                    let out = run_suite(runner, "empty", 20, &[]);
                    let c = disturbed(&out);
                    (out, c)
                });
                show(runner, round, "empty", &out, 0, "");
                series.entry("empty").or_default().add(&out);
            }
            "ours" => {
                let (cold, warm, reused, left) = measured("ours", || {
                    let scope = unique_scope("bench-ours");
                    let linger = LINGER.to_string();
                    let env = [
                        ("PYTHON_CONTAINER_TEST_SCOPE", scope.as_str()),
                        ("PYTHON_CONTAINER_TEST_LINGER", linger.as_str()),
                    ];
                    assert!(containers_in_scope(&scope).is_empty());
                    let cold = run_suite(runner, "ours", 20, &env);
                    let before = containers_in_scope(&scope);
                    let warm = run_suite(runner, "ours", 20, &env);
                    let after = containers_in_scope(&scope);
                    // Warm only if the cold run's container served it.
                    let reused = before.len() == 1 && after == before;
                    let left = python_container_test_e2e::wait_until_empty(
                        Duration::from_secs_f64(LINGER + 3.0),
                        || containers_in_scope(&scope),
                    );
                    let c = disturbed(&cold) || disturbed(&warm);
                    ((cold, warm, reused, left), c)
                });
                show(runner, round, "ours cold", &cold, 0, "");
                let note = if reused {
                    ""
                } else {
                    "   [NOT warm: the cold run's container was gone]"
                };
                show(runner, round, "ours warm", &warm, left.len(), note);
                series.entry("ours cold").or_default().add(&cold);
                let s = series.entry("ours warm").or_default();
                if reused {
                    s.add(&warm);
                } else {
                    s.notes.push(format!("round {round}: not warm, dropped"));
                }
                s.leaked += left.len();
            }
            "baseline" | "tcstatic" => {
                let name: &'static str = if group == "baseline" {
                    "baseline"
                } else {
                    "tcstatic"
                };
                let (out, left) = measured(name, || {
                    let labelled = Labelled::new(&format!("bench-{name}-{round}"));
                    let out = run_suite(runner, name, 20, &[("PCT_BENCH_RUN", &labelled.0)]);
                    let left =
                        python_container_test_e2e::wait_until_empty(Duration::from_secs(3), || {
                            labelled.left()
                        });
                    labelled.remove();
                    let c = disturbed(&out);
                    ((out, left), c)
                });
                show(runner, round, name, &out, left.len(), "");
                let s = series.entry(name).or_default();
                s.add(&out);
                s.leaked += left.len();
            }
            _ => unreachable!(),
        }
    }
}

fn show(runner: Runner, round: usize, label: &str, out: &Finished, leaked: usize, note: &str) {
    let nextest = match (runner, nextest_summary_time(out)) {
        (Runner::Nextest, Some(d)) => format!("   (nextest summary {:.3} s)", d.as_secs_f64()),
        _ => String::new(),
    };
    println!(
        "  round {round}  {label:<10} wall {:>7.3} s{nextest}   leaked: {leaked}{}{note}",
        out.wall.as_secs_f64(),
        if blocked(out) {
            "   [cargo waited for a target-dir lock]"
        } else {
            ""
        }
    );
}

fn suites(runners: &[Runner], rounds: usize) {
    let mut results = Vec::new();
    for &runner in runners {
        println!(
            "\n== 20-test suites under `{}`: {rounds} rounds (load before: {})",
            runner.name(),
            uptime()
        );
        // Warm-up: cargo's freshness checks, the page cache, the image.
        println!("  warm-up (not counted):");
        let mut warmup = BTreeMap::new();
        suites_round(runner, 0, &mut warmup);
        let mut series: BTreeMap<&'static str, Series> = BTreeMap::new();
        for round in 1..=rounds {
            suites_round(runner, round, &mut series);
        }
        println!("  (load after: {})", uptime());
        results.push((runner, series));
    }
    for (runner, series) in &results {
        report_suites(*runner, series, rounds);
    }
}

fn report_suites(runner: Runner, series: &BTreeMap<&'static str, Series>, rounds: usize) {
    println!(
        "\n== `{}`, 20 tests, median wall of {rounds} rounds (debug builds):",
        runner.name()
    );
    let get = |k: &str| series.get(k).map(Series::median).unwrap_or(f64::NAN);
    let floor = get("empty");
    println!(
        "  {:<10} {:>8}  {:>10}  {:>12}  {:>7}  all rounds (s)",
        "suite", "median", "above floor", "vs ours cold", "leaked"
    );
    let cold = get("ours cold");
    for name in SUITES {
        let Some(s) = series.get(name) else { continue };
        let m = s.median();
        println!(
            "  {name:<10} {m:>7.3}s  {:>10.3}s  {:>11.2}x  {:>7}  {}{}",
            m - floor,
            m / cold,
            s.leaked,
            secs_list(&s.wall),
            if s.blocked > 0 {
                format!("  [{} waited for a lock]", s.blocked)
            } else {
                String::new()
            }
        );
        for note in &s.notes {
            println!("             {note}");
        }
    }
    let warm = get("ours warm");
    let base = get("baseline");
    let stat = get("tcstatic");
    // The goals are for nextest.
    let goal = |text: &str, ok: bool| {
        if runner == Runner::Nextest {
            format!(" (goal {text}: {})", verdict(ok))
        } else {
            String::new()
        }
    };
    println!(
        "  ours cold - floor = {:.3} s{}",
        cold - floor,
        goal("<= 0.5 s", cold - floor <= 0.5)
    );
    println!(
        "  ours warm - floor = {:.3} s{} = {:.1} ms per test",
        warm - floor,
        goal("<= 0.25 s", warm - floor <= 0.25),
        (warm - floor) / 20.0 * 1000.0
    );
    println!(
        "  testcontainers per test / ours cold = {:.2}x{}; above the floor: {:.2}x",
        base / cold,
        goal(">= 8x", base / cold >= 8.0),
        (base - floor) / (cold - floor)
    );
    println!(
        "  testcontainers in a static / ours cold = {:.2}x; / ours warm = {:.2}x",
        stat / cold,
        stat / warm
    );
    if runner == Runner::Nextest {
        let nt = |k: &str| {
            series
                .get(k)
                .map(|s| median_secs(&s.nextest))
                .unwrap_or(f64::NAN)
        };
        println!(
            "  nextest's own summary time (test processes only), medians: empty {:.3} s, \
             ours cold {:.3} s, ours warm {:.3} s, per test {:.3} s, static {:.3} s",
            nt("empty"),
            nt("ours cold"),
            nt("ours warm"),
            nt("baseline"),
            nt("tcstatic")
        );
        println!(
            "  on that time (no cargo, no listing): ours cold - empty = {:.3} s, ours warm - \
             empty = {:.3} s; per test / ours cold = {:.2}x",
            nt("ours cold") - nt("empty"),
            nt("ours warm") - nt("empty"),
            nt("baseline") / nt("ours cold")
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

// ---------------------------------------------------------------------------
// Part 2: first acquire.

/// The test binary of the `first` suite.
fn first_binary() -> String {
    let out = run(
        cargo(["test", "--no-run", "-p", "first", "--message-format=json"]),
        Duration::from_secs(30 * 60),
    );
    assert!(out.status.success(), "{out:?}");
    out.stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|v| {
            // The integration test `tests/first.rs`, not the lib's unit tests.
            let test = v["target"]["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "test"));
            let name = v["target"]["name"].as_str() == Some("first");
            let exe = v["executable"].as_str()?;
            (test && name).then(|| exe.to_owned())
        })
        .unwrap_or_else(|| panic!("no test binary `first` in: {out:?}"))
}

/// A command with none of this process's project variables.
fn clean(program: &str) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("PYTHON_CONTAINER_TEST_")
            || key.starts_with("PCT_")
            || key.starts_with("CARGO")
            || key.starts_with("NEXTEST")
            || key == "RUST_LOG"
        {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn timed(mut cmd: Command) -> (Duration, String) {
    let started = Instant::now();
    let out = cmd.output().expect("the command starts");
    let wall = started.elapsed();
    assert!(out.status.success(), "{cmd:?} failed: {out:?}");
    (wall, String::from_utf8_lossy(&out.stdout).into_owned())
}

fn unix_nanos() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or_default()
}

/// The engine's events of the containers with `label` since `since` (unix
/// nanoseconds): (action, unix nanoseconds), in order.
fn events(label: &str, since: i128) -> Vec<(String, i128)> {
    let since = format!("{}.{:09}", since / 1_000_000_000, since % 1_000_000_000);
    let until = format!("{}", unix_nanos() / 1_000_000_000 + 1);
    let out = Command::new("docker")
        .args([
            "events",
            "--since",
            &since,
            "--until",
            &until,
            "--filter",
            "type=container",
            "--filter",
            &format!("label={label}"),
            "--format",
            "{{.TimeNano}} {{.Action}}",
        ])
        .output()
        .expect("docker events runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (t, action) = l.split_once(' ')?;
            let action = action.split(':').next()?.trim().to_owned();
            Some((action, t.parse().ok()?))
        })
        .collect()
}

/// Milliseconds from the first `from` event to the first `to` event after it.
fn between(events: &[(String, i128)], from: &str, to: &str) -> Option<f64> {
    let start = events.iter().position(|(a, _)| a == from)?;
    let t0 = events[start].1;
    let t1 = events[start..].iter().find(|(a, _)| a == to)?.1;
    Some((t1 - t0) as f64 / 1e6)
}

fn first_acquire(rounds: usize) {
    println!(
        "\n== first acquire: one test in a fresh scope (its test binary, run directly) vs \
         `docker run --rm {IMAGE} python3 -c pass`, {rounds} rounds, alternated (load before: {})",
        uptime()
    );
    let exe = first_binary();
    let mut ours = Vec::new();
    let mut docker_run = Vec::new();
    let mut spans: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut engine: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    // One process running the test: its wall time, and its spans' durations
    // (summed per name: a span may close more than once, e.g. lease tries).
    let run_test = |scope: &str, spans: &mut BTreeMap<String, Vec<f64>>| -> Duration {
        let mut cmd = clean(&exe);
        cmd.args([
            "first_acquire",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("PYTHON_CONTAINER_TEST_SCOPE", scope)
        .env("PYTHON_CONTAINER_TEST_LINGER", "3")
        .env("PCT_BENCH_SPANS", "1");
        let (wall, stdout) = timed(cmd);
        assert!(stdout.contains("test result: ok. 1 passed"), "{stdout}");
        let mut sums: BTreeMap<String, f64> = BTreeMap::new();
        for line in stdout.lines() {
            // The harness's "test first_acquire ... " may share the line.
            let Some(at) = line.find("PCT_") else {
                continue;
            };
            let mut words = line[at..].split_whitespace();
            let (Some(kind), Some(name), Some(us)) = (words.next(), words.next(), words.next())
            else {
                continue;
            };
            if kind != "PCT_SPAN" && kind != "PCT_TIME" {
                continue;
            }
            let Ok(us) = us.parse::<f64>() else { continue };
            *sums.entry(name.to_owned()).or_default() += us / 1000.0;
        }
        for (name, ms) in sums {
            spans.entry(name).or_default().push(ms);
        }
        wall
    };
    // Cold (a fresh scope), then warm (the same scope again: the cold run's
    // container lingers): (cold, warm).
    let run_ours = |spans: &mut BTreeMap<String, Vec<f64>>,
                    warm_spans: &mut BTreeMap<String, Vec<f64>>,
                    engine: &mut BTreeMap<&str, Vec<f64>>|
     -> (Duration, Duration) {
        let scope = unique_scope("bench-first");
        let since = unix_nanos();
        let cold = run_test(&scope, spans);
        let before = containers_in_scope(&scope);
        let warm = run_test(&scope, warm_spans);
        assert_eq!(
            containers_in_scope(&scope),
            before,
            "the warm run attached to the cold run's container"
        );
        let left = python_container_test_e2e::wait_until_empty(Duration::from_secs(12), || {
            containers_in_scope(&scope)
        });
        assert!(
            left.is_empty(),
            "the container of {scope} did not go: {left:?}"
        );
        let ev = events(&format!("python-container-test.scope={scope}"), since);
        for (label, from, to) in [
            ("create -> started", "create", "start"),
            (
                "started -> attached (the harness's files)",
                "start",
                "attach",
            ),
        ] {
            if let Some(ms) = between(&ev, from, to) {
                engine.entry(label).or_default().push(ms);
            }
        }
        (cold, warm)
    };
    let run_docker = |engine: &mut BTreeMap<&str, Vec<f64>>| -> Duration {
        let labelled = Labelled::new("bench-docker-run");
        let since = unix_nanos();
        let mut cmd = clean("docker");
        cmd.args([
            "run",
            "--rm",
            "--label",
            MANAGED,
            "--label",
            &labelled.label(),
            IMAGE,
            "python3",
            "-c",
            "pass",
        ]);
        let (wall, _) = timed(cmd);
        let ev = events(&labelled.label(), since);
        for (label, from, to) in [
            ("docker run: create -> started", "create", "start"),
            ("docker run: started -> died", "start", "die"),
            ("docker run: died -> removed", "die", "destroy"),
        ] {
            if let Some(ms) = between(&ev, from, to) {
                engine.entry(label).or_default().push(ms);
            }
        }
        wall
    };
    // Warm-up (not counted): the binary and the image in the page cache.
    run_ours(
        &mut BTreeMap::new(),
        &mut BTreeMap::new(),
        &mut BTreeMap::new(),
    );
    run_docker(&mut BTreeMap::new());
    let mut warm_spans: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut warm = Vec::new();
    for round in 1..=rounds {
        let ((o, w), d) = if round % 2 == 1 {
            let o = run_ours(&mut spans, &mut warm_spans, &mut engine);
            (o, run_docker(&mut engine))
        } else {
            let d = run_docker(&mut engine);
            (run_ours(&mut spans, &mut warm_spans, &mut engine), d)
        };
        println!(
            "  round {round}  one test, fresh scope (cold) {:.3} s   docker run --rm {:.3} s   \
             ratio {:.2}x   (same test again, warm: {:.3} s)",
            o.as_secs_f64(),
            d.as_secs_f64(),
            o.as_secs_f64() / d.as_secs_f64(),
            w.as_secs_f64()
        );
        ours.push(o);
        warm.push(w);
        docker_run.push(d);
    }
    let (mo, md, mw) = (
        median_secs(&ours),
        median_secs(&docker_run),
        median_secs(&warm),
    );
    println!(
        "  median: one test, fresh scope (cold) {mo:.3} s; docker run --rm {md:.3} s -> {:.2}x \
         (goal <= 1.0x: {}); the same test warm (attaching) {mw:.3} s (load after: {})",
        mo / md,
        verdict(mo / md <= 1.0),
        uptime()
    );
    println!(
        "  where the test's time goes (medians, ms, cold | warm; spans nest: pct.acquire holds \
         the pct.* below it; a span that closes more than once in a run is summed):"
    );
    let order = [
        (
            "handle",
            "PythonContainer::start: acquire + the test's workdir",
        ),
        ("pct.acquire", "the fixture's acquire"),
        ("pct.engine", "  engine client (discovery and its ping)"),
        (
            "pct.sweep",
            "  sweep of stale containers (once per process, beside the attach)",
        ),
        (
            "pct.image",
            "  image id (an inspect; warm on Docker, off the sweep's listing)",
        ),
        (
            "pct.create",
            "  create + start + the harness's files (engine calls)",
        ),
        (
            "pct.lease",
            "  lease tries: TCP connect + the agent's hello",
        ),
        ("pct.connect", "    TCP connect"),
        ("pct.hello", "    reading the agent's hello"),
        (
            "pct.lease_retry",
            "  waits between tries: the agent's interpreter starting",
        ),
        ("pct.exec_relay", "    exec lease relay (fallback only)"),
        ("pct.ready", "  service readiness"),
        (
            "first_call",
            "first py.python(\"pass\"): waits for the fork server if it is not ready",
        ),
        ("second_call", "second py.python(\"pass\")"),
    ];
    let med = |m: &BTreeMap<String, Vec<f64>>, name: &str| {
        m.get(name)
            .map(|v| format!("{:>8.1}", median_f64(v.clone())))
            .unwrap_or_else(|| format!("{:>8}", "-"))
    };
    for (name, what) in order {
        if spans.contains_key(name) || warm_spans.contains_key(name) {
            println!(
                "    {name:<16} {} | {} ms  {what}",
                med(&spans, name),
                med(&warm_spans, name)
            );
        }
    }
    for name in spans.keys().chain(warm_spans.keys()) {
        if !order.iter().any(|(n, _)| n == name) {
            println!(
                "    {name:<16} {} | {} ms",
                med(&spans, name),
                med(&warm_spans, name)
            );
        }
    }
    println!("  engine's events (medians, ms):");
    for (name, v) in &engine {
        println!(
            "    {name:<34} {:>8.1} ms  ({} runs)",
            median_f64(v.clone()),
            v.len()
        );
    }
}

// ---------------------------------------------------------------------------
// Part 3: scaling.

fn scale(runners: &[Runner], rounds: usize) {
    for &runner in runners {
        println!(
            "\n== 200 tests under `{}`, {rounds} rounds (load before: {})",
            runner.name(),
            uptime()
        );
        let mut walls: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
        let mut cpus: BTreeMap<String, Cpu> = BTreeMap::new();
        let mut leaked: BTreeMap<String, usize> = BTreeMap::new();
        // Warm-up of cargo's freshness check (not counted).
        run_suite(runner, "empty200", 200, &[]);
        for round in 1..=rounds {
            let mut packages = vec!["empty200", "scale1", "scale4"];
            if round.is_multiple_of(2) {
                packages.reverse();
            }
            for package in packages {
                // Cold (a fresh scope), then warm (the same scope again while
                // the cold run's containers linger).
                let (runs, left) = measured(package, || {
                    let scope = unique_scope(&format!("bench-{package}"));
                    let linger = LINGER.to_string();
                    let env = [
                        ("PYTHON_CONTAINER_TEST_SCOPE", scope.as_str()),
                        ("PYTHON_CONTAINER_TEST_LINGER", linger.as_str()),
                    ];
                    let temps = if package == "empty200" { 1 } else { 2 };
                    let runs: Vec<(Finished, Split)> = (0..temps)
                        .map(|_| {
                            let before = cpu_split::sample(&scope);
                            let out = run_suite(runner, package, 200, &env);
                            (out, cpu_split::sample(&scope).since(&before))
                        })
                        .collect();
                    let left = python_container_test_e2e::wait_until_empty(
                        Duration::from_secs_f64(LINGER + 3.0),
                        || containers_in_scope(&scope),
                    );
                    let c = runs.iter().any(|(out, _)| disturbed(out));
                    ((runs, left), c)
                });
                for ((out, split), temp) in runs.iter().zip(["cold", "warm"]) {
                    let label = if package == "empty200" {
                        package.to_owned()
                    } else {
                        format!("{package} {temp}")
                    };
                    let leaks = if temp == "warm" || package == "empty200" {
                        left.len()
                    } else {
                        0
                    };
                    show(runner, round, &label, out, leaks, "");
                    walls.entry(label.clone()).or_default().push(out.wall);
                    cpus.entry(label.clone()).or_default().add(out, *split);
                    *leaked.entry(label).or_default() += leaks;
                }
            }
        }
        let floor = median_secs(&walls["empty200"]);
        println!(
            "  median wall: 200 empty tests {floor:.3} s (load after: {})",
            uptime()
        );
        for (package, what) in [("scale1", "one spec"), ("scale4", "4 specs")] {
            for temp in ["cold", "warm"] {
                let label = format!("{package} {temp}");
                let m = median_secs(&walls[&label]);
                let per_test = (m - floor) / 200.0 * 1000.0;
                let goal = if runner == Runner::Nextest {
                    format!(" (goal <= 5 ms: {})", verdict(per_test <= 5.0))
                } else {
                    String::new()
                };
                println!(
                    "  200 tests, {what}, {temp}: {m:.3} s, {:.3} s above the floor = \
                     {per_test:.2} ms per test{goal}; leaked {}",
                    m - floor,
                    leaked[&label]
                );
                let cpu = cpus[&label].above(&cpus["empty200"], 200);
                println!(
                    "    CPU per test above the floor: {:.2} ms in the test processes \
                     (and cargo, the runner), {:.2} ms on all CPUs (the engine and the \
                     containers too; whatever else runs here as well)",
                    cpu.tests, cpu.all
                );
                println!(
                    "      of which: the containers {:.2} ms, the engine's daemons {:.2} ms, \
                     its storage driver's processes {:.2} ms; the rest (the kernel's \
                     network and interrupts, anything else) {:.2} ms",
                    cpu.containers,
                    cpu.engine,
                    cpu.storage,
                    cpu.all - cpu.tests - cpu.containers - cpu.engine - cpu.storage
                );
            }
        }
    }
}

/// The engine's part of a warm test's CPU, read by read: what each of the
/// reads a test process makes costs the engine's daemons, sent alone.
fn engine_floor() {
    const N: usize = 200;
    let scope = unique_scope("bench-engine-floor");
    let socket = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_owned))
        .unwrap_or_else(|| "/var/run/docker.sock".to_owned());
    println!("\n== The engine's CPU per read a warm test process makes ({N} of each, alone)");
    match cpu_split::engine_reads(&socket, &scope, IMAGE, N) {
        Some(costs) => {
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            for (what, cost) in &costs {
                println!("  {what}: {:.2} ms", ms(*cost));
            }
            let warm: Duration = costs.iter().take(2).map(|(_, d)| *d).sum();
            let all: Duration = costs.iter().map(|(_, d)| *d).sum();
            println!(
                "  the engine's floor per test process: {:.2} ms for a warm one on Docker \
                 (the ping proves the engine answers; the sweep's listing finds the \
                 container and shows its image's id), {:.2} ms where the image is \
                 inspected too (a cold process, other engines)",
                ms(warm),
                ms(all)
            );
        }
        None => println!("  (not measured: no answer on {socket})"),
    }
}

/// The CPU time of a suite's runs (see [`Finished::cpu`] and
/// [`Finished::busy`]), and where the rest of it went ([`Split`]).
#[derive(Default)]
struct Cpu {
    runs: Vec<Duration>,
    busy: Vec<Duration>,
    splits: Vec<Split>,
}

/// Medians per test above a floor, in ms (see [`Cpu::above`]).
struct PerTest {
    /// The command's processes (cargo, the runner, the test processes).
    tests: f64,
    /// All CPUs.
    all: f64,
    containers: f64,
    engine: f64,
    storage: f64,
}

impl Cpu {
    fn add(&mut self, out: &Finished, split: Split) {
        self.runs.push(out.cpu);
        self.busy.push(out.busy);
        self.splits.push(split);
    }

    /// Medians per test above `floor`'s, in ms.
    fn above(&self, floor: &Cpu, tests: usize) -> PerTest {
        let per_test = |mine: Vec<Duration>, floor: Vec<Duration>| {
            (median_secs(&mine) - median_secs(&floor)) / tests as f64 * 1000.0
        };
        let part = |f: fn(&Split) -> Duration| {
            per_test(
                self.splits.iter().map(f).collect(),
                floor.splits.iter().map(f).collect(),
            )
        };
        PerTest {
            tests: per_test(self.runs.clone(), floor.runs.clone()),
            all: per_test(self.busy.clone(), floor.busy.clone()),
            containers: part(|s| s.containers),
            engine: part(|s| s.engine),
            storage: part(|s| s.storage),
        }
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us too:
    // only benchmark when asked for it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("suite_vs_testcontainers: run with `cargo bench` to benchmark");
        return;
    }
    let rounds = env_usize("PCT_BENCH_ROUNDS", 3);
    let first_rounds = env_usize("PCT_BENCH_FIRST", 5);
    let scale_rounds = env_usize("PCT_BENCH_SCALE_ROUNDS", 1);
    let runners: Vec<Runner> = [Runner::Nextest, Runner::Test]
        .into_iter()
        .filter(|r| {
            wanted(
                "PCT_BENCH_RUNNERS",
                if *r == Runner::Nextest {
                    "nextest"
                } else {
                    "test"
                },
            )
        })
        .collect();
    let parts = |p: &str| wanted("PCT_BENCH_PARTS", p);
    println!(
        "{} CPUs, load average {} (1, 5, 15 min); suites' target dir {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        uptime(),
        suites_target().display()
    );
    println!("building tests/suites (not timed) ...");
    build(&[
        "ours", "baseline", "tcstatic", "empty", "first", "empty200", "scale1", "scale4",
    ]);
    // nextest's own build check (a no-op after the build above, but checked).
    let out = run(
        cargo(["nextest", "run", "--workspace", "--no-run"]),
        Duration::from_secs(30 * 60),
    );
    assert!(out.status.success(), "{out:?}");
    let started = Instant::now();
    if parts("suites") && rounds > 0 {
        suites(&runners, rounds);
    }
    if parts("first") && first_rounds > 0 {
        first_acquire(first_rounds);
    }
    if parts("scale") && scale_rounds > 0 {
        scale(&runners, scale_rounds);
        engine_floor();
    }
    println!(
        "\nbench took {:.0} s; load average at the end {}",
        started.elapsed().as_secs_f64(),
        uptime()
    );
}
