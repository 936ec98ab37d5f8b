//! Running `cargo test` / `cargo nextest run` on the suites in this folder,
//! shared by `tests/tests/workspace_runs.rs` and
//! `tests/benches/suite_vs_testcontainers.rs` (included with `#[path]`).
//!
//! Every command runs in its own process group (so Ctrl-C can be sent to the
//! whole group, as a terminal does), with the suites' own target dir, with the
//! environment of the outer cargo / nextest removed (`CARGO_*`, `NEXTEST_*`),
//! and is killed (the whole group) if it runs past its time limit.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The root of the main workspace.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The suites' cargo workspace.
pub fn suites_dir() -> PathBuf {
    repo_root().join("tests/suites")
}

/// The suites' own target dir: the outer `cargo test` may hold the lock of
/// the main one for as long as it runs.
pub fn suites_target() -> PathBuf {
    repo_root().join("target/suites")
}

/// Variables of the outer cargo that a nested cargo must keep.
const KEEP: &[&str] = &[
    "CARGO_HOME",
    "CARGO_BUILD_JOBS",
    "CARGO_INCREMENTAL",
    "CARGO_NET_OFFLINE",
    "CARGO_TERM_COLOR",
];

/// `cargo <args>` in the suites' workspace: own process group, own target
/// dir, none of the outer cargo's or nextest's variables, no project
/// variables unless the caller sets them.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(suites_dir()).args(args);
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let outer = key.starts_with("NEXTEST")
            || key.starts_with("__CARGO")
            || (key.starts_with("CARGO_") && !KEEP.contains(&key))
            || key.starts_with("PYTHON_CONTAINER_TEST_")
            || key.starts_with("PCT_");
        if outer {
            cmd.env_remove(key);
        }
    }
    cmd.env("CARGO_TARGET_DIR", suites_target())
        .env("CARGO_TERM_COLOR", "never")
        .process_group(0);
    cmd
}

/// A command that runs, with its output collected in the background.
pub struct Running {
    pub what: String,
    child: Child,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    pub started: Instant,
    /// [`children_cpu`] and [`cpus_busy`] at the spawn.
    cpu_before: Duration,
    busy_before: Duration,
}

/// How a command ended.
pub struct Finished {
    pub what: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// From spawn to exit.
    pub wall: Duration,
    /// CPU time of the command's processes (cargo, the runner, the test
    /// processes: each waited for by its parent), user and system.
    pub cpu: Duration,
    /// Busy time of all CPUs meanwhile: everything, the engine, the
    /// containers and whatever else runs on the machine included.
    pub busy: Duration,
}

/// The length of a clock tick of `/proc`'s times, in ms (`USER_HZ` is 100).
pub const TICK_MS: u64 = 10;

/// The sum of `count` fields of a `/proc/<pid>/stat` text, from the
/// `from`th after the command name (0-based; utime is the 11th); 0 where
/// they cannot be read.
pub fn stat_ticks(stat: &str, from: usize, count: usize) -> u64 {
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    after
        .split_whitespace()
        .skip(from)
        .take(count)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum()
}

/// The CPU time of this process's children that have been waited for, and
/// of theirs (`cutime` + `cstime` of `/proc/self/stat`); zero where it
/// cannot be read.
pub fn children_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // cutime and cstime.
    Duration::from_millis(stat_ticks(&stat, 13, 2).saturating_mul(TICK_MS))
}

/// The busy time of all CPUs since boot (user, nice, system, irq, softirq
/// of `/proc/stat`); zero where it cannot be read.
pub fn cpus_busy() -> Duration {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or("");
    let field = |i: usize| {
        line.split_whitespace()
            .nth(i)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let ticks: u64 = [1, 2, 3, 6, 7].into_iter().map(field).sum();
    Duration::from_millis(ticks.saturating_mul(TICK_MS))
}

impl std::fmt::Debug for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` ended with {} after {:.1?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.what, self.status, self.wall, self.stdout, self.stderr
        )
    }
}

fn collect(stream: Option<impl Read + Send + 'static>) -> Option<JoinHandle<String>> {
    stream.map(|mut s| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    })
}

impl Running {
    /// Spawns `cmd` (built by [`cargo`]: its own process group).
    pub fn spawn(mut cmd: Command) -> Running {
        let what = describe(&cmd);
        let (cpu_before, busy_before) = (children_cpu(), cpus_busy());
        let started = Instant::now();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn `{what}`: {e}"));
        let stdout = collect(child.stdout.take());
        let stderr = collect(child.stderr.take());
        Running {
            what,
            child,
            stdout,
            stderr,
            started,
            cpu_before,
            busy_before,
        }
    }

    /// The process group (the child's pid: it leads its own group).
    pub fn pgid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (e.g. "INT") to the whole process group, as a terminal
    /// does on Ctrl-C.
    pub fn signal_group(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, "--", &format!("-{}", self.pgid())])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -s {signal} -{} failed", self.pgid());
    }

    /// Waits for the end, killing the whole group after `timeout`.
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let deadline = self.started + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for the child") {
                break status;
            }
            if Instant::now() > deadline {
                self.kill_group();
                let status = self.child.wait().expect("wait for the killed child");
                let out = self.output(status);
                panic!("timed out after {timeout:?}: {out:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.output(status)
    }

    fn output(&mut self, status: ExitStatus) -> Finished {
        let wall = self.started.elapsed();
        let join =
            |h: Option<JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
        Finished {
            what: self.what.clone(),
            status,
            stdout: join(self.stdout.take()),
            stderr: join(self.stderr.take()),
            wall,
            cpu: children_cpu().saturating_sub(self.cpu_before),
            busy: cpus_busy().saturating_sub(self.busy_before),
        }
    }

    fn kill_group(&self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.pgid())])
            .status();
    }
}

impl Drop for Running {
    /// A driver that panics midway does not leave cargo running.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill_group();
            let _ = self.child.wait();
        }
    }
}

/// Runs `cmd` to its end (at most `timeout`).
pub fn run(cmd: Command, timeout: Duration) -> Finished {
    Running::spawn(cmd).finish(timeout)
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// Builds the test binaries of `ours` and `baseline` (what `cargo test` and
/// `cargo nextest run` of both packages need), once per process. The first
/// build compiles bollard & co. into the suites' target dir: minutes.
pub fn build_once() {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| build(&["ours", "baseline"]));
}

/// Builds the test binaries of `packages` (`cargo test --no-run -p ...`).
pub fn build(packages: &[&str]) {
    let mut args = vec!["test", "--no-run"];
    for package in packages {
        args.extend(["-p", package]);
    }
    let out = run(cargo(args), Duration::from_secs(30 * 60));
    assert!(out.status.success(), "building the suites failed: {out:?}");
}

/// The "Summary [ 2.518s ]" time that nextest prints, if any.
pub fn nextest_summary_time(out: &Finished) -> Option<Duration> {
    let text = format!("{}\n{}", out.stderr, out.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Summary ["))?;
    let inner = line.split('[').nth(1)?.split(']').next()?.trim();
    let secs: f64 = inner.strip_suffix('s')?.trim().parse().ok()?;
    Some(Duration::from_secs_f64(secs))
}
