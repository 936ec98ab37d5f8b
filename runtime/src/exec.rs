//! Running a program in the container (`docker exec`).

use crate::error::{Error, Result};
use futures_util::{Stream, StreamExt};
use python_container_test_fixtures::client::{self, ExecSpec};
use python_container_test_fixtures::protocol::{Killed, Op};
use python_container_test_fixtures::{Error as ContainerError, LeasedContainer};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Options of [`PythonContainer::exec_with`](crate::PythonContainer::exec_with).
/// Every field is optional: `ExecOptions { timeout: Some(..), ..Default::default() }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Working directory; relative paths resolve against the test's workdir,
    /// which is also the default.
    pub workdir: Option<String>,
    /// User (`name`, `uid` or `uid:gid`); default: the container's.
    pub user: Option<String>,
    /// Bytes written to the program's stdin, which is then closed. `None`: no stdin.
    pub stdin: Option<Vec<u8>>,
    /// Kill the program and return [`Error::Timeout`] after this long.
    /// `None`: `PYTHON_CONTAINER_TEST_TIMEOUT` seconds, or 10 minutes.
    pub timeout: Option<Duration>,
}

/// The variable that sets how many bytes of output (stdout and stderr
/// together) one call may keep in memory; past it the call is killed
/// ([`Error::OutputTooLarge`]). Default: 1 GiB.
pub(crate) const MAX_OUTPUT_VAR: &str = "PYTHON_CONTAINER_TEST_MAX_OUTPUT";
const DEFAULT_MAX_OUTPUT: u64 = 1 << 30;

/// The output limit of a call: [`MAX_OUTPUT_VAR`] or 1 GiB.
pub(crate) fn max_output() -> Result<u64> {
    match std::env::var(MAX_OUTPUT_VAR) {
        Err(_) => Ok(DEFAULT_MAX_OUTPUT),
        Ok(value) => value.trim().parse().map_err(|_| Error::InvalidConfig {
            var: MAX_OUTPUT_VAR,
            value,
            expected: "a number of bytes",
        }),
    }
}

/// The variable that sets the timeout, in seconds, of exec and Python calls
/// that give none in their [`ExecOptions`]. Default: 600.
pub(crate) const TIMEOUT_VAR: &str = "PYTHON_CONTAINER_TEST_TIMEOUT";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// The timeout of a call without one: [`TIMEOUT_VAR`] or 10 minutes.
pub(crate) fn default_timeout() -> Result<Duration> {
    let Ok(value) = std::env::var(TIMEOUT_VAR) else {
        return Ok(DEFAULT_TIMEOUT);
    };
    match value.trim().parse::<f64>() {
        Ok(secs) if secs > 0.0 => Duration::try_from_secs_f64(secs).ok(),
        _ => None,
    }
    .ok_or(Error::InvalidConfig {
        var: TIMEOUT_VAR,
        value,
        expected: "a number of seconds greater than 0",
    })
}

/// Output collected up to a limit.
#[derive(Debug)]
pub(crate) struct Collected {
    pub(crate) out: ExecOutput,
    limit: u64,
}

impl Collected {
    pub(crate) fn new(limit: u64) -> Self {
        Collected {
            out: ExecOutput::default(),
            limit,
        }
    }

    /// Adds output of stream 1 (stdout) or 2 (stderr); false past the limit.
    pub(crate) fn push(&mut self, stream: u8, bytes: Vec<u8>) -> bool {
        let total = self.out.stdout.len() + self.out.stderr.len() + bytes.len();
        if total as u64 > self.limit {
            return false;
        }
        let sink = if stream == 1 {
            &mut self.out.stdout
        } else {
            &mut self.out.stderr
        };
        if sink.is_empty() {
            *sink = bytes;
        } else {
            sink.extend_from_slice(&bytes);
        }
        true
    }

    /// The error of a call that went past the limit.
    pub(crate) fn too_large(&self, argv: &[String]) -> Error {
        Error::OutputTooLarge {
            command: argv.join(" "),
            limit: self.limit,
        }
    }
}

/// What a finished program left: its exit code and both output streams.
/// A non-zero exit is a result like any other, not an error.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit code (`128 + n` when killed by signal `n`).
    pub exit_code: i64,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr.
    pub stderr: Vec<u8>,
}

impl ExecOutput {
    /// True when the exit code is 0.
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }

    /// Stdout as text (invalid UTF-8 replaced).
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stderr as text (invalid UTF-8 replaced).
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Panics, showing the exit code and both streams, unless the exit code is
    /// 0. Returns `self` for chaining. A test assertion helper.
    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        if !self.success() {
            panic!(
                "command failed with exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.exit_code,
                self.stdout_str(),
                self.stderr_str()
            );
        }
        self
    }
}

/// Runs `argv` in the test's container and collects its output. Runs on
/// the fixtures runtime.
pub(crate) async fn exec(
    leased: Arc<LeasedContainer>,
    argv: Vec<String>,
    options: ExecOptions,
    workdir: String,
) -> Result<ExecOutput> {
    let Some(program) = argv.first().cloned() else {
        return Err(Error::EmptyCommand);
    };
    let marker = python_container_test_fixtures::unique_id();
    let mut env: Vec<String> = options
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    env.push(format!("PCT_EXEC_ID={marker}"));
    let spec = ExecSpec {
        argv: argv.clone(),
        env,
        user: options.user.clone(),
        workdir: Some(workdir),
        stdin: options.stdin.is_some(),
    };
    let gone = |e| container_error(leased.name(), e);
    let exec = client::start_exec(leased.id(), spec).await.map_err(gone)?;
    let limit = max_output()?;
    let collect = collect(exec.output, exec.input, options.stdin, limit, argv.clone());
    let work = within_timeout(&leased, &marker, options.timeout, &argv, collect);
    let mut out = match work.await {
        // The agent cannot see another user's processes: kill them as root.
        Err(e @ (Error::Timeout { .. } | Error::OutputTooLarge { .. }))
            if options.user.is_some() =>
        {
            kill_marked_as_root(leased.clone(), marker).await;
            return Err(e);
        }
        other => other?,
    };
    let exit_code = client::exec_exit_code(&exec.id).await.map_err(gone)?;
    out.exit_code = exit_code.unwrap_or(-1);
    if let Some(detail) = not_found(&out) {
        return Err(Error::ProgramNotFound {
            program,
            container: leased.name().to_owned(),
            detail,
        });
    }
    Ok(out)
}

/// Feeds `stdin` (then closes it) and collects the output up to `limit`
/// bytes, until the program ends.
async fn collect(
    mut output: Pin<Box<dyn Stream<Item = client::OutputChunk> + Send>>,
    mut input: Pin<Box<dyn AsyncWrite + Send>>,
    stdin: Option<Vec<u8>>,
    limit: u64,
    argv: Vec<String>,
) -> Result<ExecOutput> {
    let feed = async {
        if let Some(bytes) = stdin {
            // A program that exits without reading its stdin closes the
            // pipe: that is not an error of ours.
            let _ = input.write_all(&bytes).await;
            let _ = input.shutdown().await;
        }
    };
    let read = async {
        let mut out = Collected::new(limit);
        while let Some(chunk) = output.next().await {
            let (stream, bytes) = chunk?;
            if !out.push(stream, bytes) {
                return Err(out.too_large(&argv));
            }
        }
        Ok(out.out)
    };
    // The output ends when the program does; a program that exits
    // without reading all its stdin can leave the feed blocked for good.
    let feed_then_wait = async {
        feed.await;
        std::future::pending().await
    };
    tokio::select! {
        out = read => out,
        out = feed_then_wait => out,
    }
}

/// Awaits `work`; after `timeout` (or the [default](default_timeout)) it
/// is [`Error::Timeout`]; after that, or when it went past
/// the output limit ([`Error::OutputTooLarge`]), kills the processes carrying
/// `marker` in their environment (`PCT_EXEC_ID`).
pub(crate) async fn within_timeout<T>(
    leased: &LeasedContainer,
    marker: &str,
    timeout: Option<Duration>,
    argv: &[String],
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    let timeout = match timeout {
        Some(timeout) => timeout,
        None => default_timeout()?,
    };
    let done = tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| {
            Err(Error::Timeout {
                command: argv.join(" "),
                timeout,
            })
        });
    if let Err(Error::Timeout { .. } | Error::OutputTooLarge { .. }) = &done {
        let killed = leased
            .lease()
            .ask::<Killed>(Op::KillMarked {
                marker: marker.to_owned(),
            })
            .await;
        if let Err(e) = killed {
            tracing::warn!("could not kill `{}`: {e}", argv.join(" "));
        }
    }
    done
}

/// The engine's words when the program could not be started: Docker's on
/// stdout (`OCI runtime exec failed`), Podman's on stderr.
fn not_found(out: &ExecOutput) -> Option<String> {
    if !matches!(out.exit_code, 126 | 127) {
        return None;
    }
    if out.stdout.starts_with(b"OCI runtime exec failed") {
        return Some(out.stdout_str().trim().to_owned());
    }
    let stderr = out.stderr_str();
    let podman = stderr.starts_with("Error: ")
        && (stderr.contains("executable file not found") || stderr.contains("OCI runtime"));
    podman.then(|| stderr.trim().to_owned())
}

/// Kills, as root in the container, every process whose environment holds
/// `PCT_EXEC_ID=<marker>`: a timed-out exec run as a user other than the
/// agent's (whose processes the agent may not see or signal).
const KILL_MARKED: &str = "import os, sys
needle = ('PCT_EXEC_ID=' + sys.argv[1]).encode()
for pid in os.listdir('/proc'):
    try:
        if pid.isdigit() and needle in open('/proc/%s/environ' % pid, 'rb').read().split(b'\\0'):
            os.kill(int(pid), 9)
    except OSError:
        pass
";

/// Runs [`KILL_MARKED`] for `marker`, as root; failures are only logged.
fn kill_marked_as_root(
    leased: Arc<LeasedContainer>,
    marker: String,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    Box::pin(async move {
        let python = leased.spec().get_python().to_owned();
        let argv = [python.as_str(), "-I", "-S", "-c", KILL_MARKED, &marker];
        let options = ExecOptions {
            user: Some("0".into()),
            ..Default::default()
        };
        let argv = argv.map(str::to_owned).to_vec();
        if let Err(e) = exec(leased, argv, options, "/".into()).await {
            tracing::warn!("could not kill the timed-out exec {marker} as root: {e}");
        }
    })
}

/// An engine error of a call on the container: "gone" when the engine no
/// longer has it running (404, 409), else the call's error.
pub(crate) fn container_error(name: &str, error: ContainerError) -> Error {
    match error.status() {
        Some(404 | 409) => Error::Container(ContainerError::ContainerGone {
            name: name.to_owned(),
            detail: error.to_string(),
        }),
        _ => Error::Container(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_not_found_is_recognised_on_docker_and_podman() {
        let out = |code, stdout: &str, stderr: &str| ExecOutput {
            exit_code: code,
            stdout: stdout.into(),
            stderr: stderr.into(),
        };
        let docker = out(127, "OCI runtime exec failed: exec failed: unable to start container process: exec: \"x\": executable file not found in $PATH: unknown", "");
        assert!(not_found(&docker).is_some());
        let podman = out(127, "", "Error: runc: exec failed: unable to start container process: exec: \"x\": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found\n");
        assert!(not_found(&podman)
            .unwrap()
            .contains("executable file not found"));
        // A program of the user's that exits 127 with its own words is a result.
        assert!(not_found(&out(127, "", "sh: 1: x: not found\n")).is_none());
        assert!(not_found(&out(1, "OCI runtime exec failed", "")).is_none());
    }

    #[test]
    fn success_follows_the_exit_code() {
        let ok = ExecOutput {
            exit_code: 0,
            ..Default::default()
        };
        assert!(ok.success());
        ok.assert_success();
        let failed = ExecOutput {
            exit_code: 2,
            stdout: b"out".to_vec(),
            stderr: vec![0xff, b'e'],
        };
        assert!(!failed.success());
        assert_eq!(failed.stderr_str(), "\u{fffd}e");
    }

    #[test]
    #[should_panic(expected = "exit code 2")]
    fn assert_success_shows_the_exit_code() {
        ExecOutput {
            exit_code: 2,
            ..Default::default()
        }
        .assert_success();
    }
}
