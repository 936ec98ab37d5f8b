//! The errors of the handle's methods.

use std::path::PathBuf;
use std::time::Duration;

/// What went wrong. A command that ran and exited non-zero is not an error
/// (see [`ExecOutput`](crate::ExecOutput)); these are the cases where there is
/// no result to look at.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The container could not be had or was lost (no Docker, unknown image,
    /// no Python in the image, no GPU runtime, the container went away, ...).
    #[error(transparent)]
    Container(#[from] python_container_test_fixtures::Error),
    /// A path inside the container does not exist.
    #[error("`{path}` does not exist in container {container}")]
    NotFound {
        /// The path, resolved against the test's workdir.
        path: String,
        /// The container name.
        container: String,
    },
    /// A host file or folder could not be read or written.
    #[error("host path `{}`: {source}", path.display())]
    HostPath {
        /// The path on the host.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An archive from the container holds an entry that would land outside
    /// the target folder (`..`, an absolute path, a link pointing out).
    #[error("refusing to unpack `{entry}` from the container: {reason}")]
    UnsafeArchive {
        /// The entry's path in the archive.
        entry: String,
        /// Why it is refused.
        reason: String,
    },
    /// A file is larger than `read_file` returns (its `limit`, 1 GiB); copy
    /// it with `copy_from` instead.
    #[error("`{path}` is larger than the {limit} bytes read_file returns; use copy_from")]
    TooLarge {
        /// The path in the container.
        path: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The program to exec is not in the container.
    #[error("`{program}` was not found in container {container}: {detail}")]
    ProgramNotFound {
        /// The program (`argv[0]`).
        program: String,
        /// The container name.
        container: String,
        /// What the engine said.
        detail: String,
    },
    /// An empty argv.
    #[error("exec needs a program to run: the argv is empty")]
    EmptyCommand,
    /// Python raised while evaluating an expression.
    #[error("Python raised evaluating `{expr}`:\n{traceback}")]
    Python {
        /// The expression.
        expr: String,
        /// The Python traceback.
        traceback: String,
    },
    /// The value of an `eval` is not JSON-serialisable.
    #[error("the value of `{expr}` is not JSON-serialisable: {detail}. Convert it in the expression (e.g. list(...), str(...), .tolist())")]
    NotJson {
        /// The expression.
        expr: String,
        /// Python's message.
        detail: String,
    },
    /// The JSON from `eval` does not fit the requested Rust type.
    #[error("the value of `{expr}` ({json}) does not fit the requested type: {source}")]
    Decode {
        /// The expression.
        expr: String,
        /// The JSON text (truncated).
        json: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A command ran longer than its timeout and was killed.
    #[error("`{command}` did not finish within {timeout:?} and was killed")]
    Timeout {
        /// The command.
        command: String,
        /// The timeout.
        timeout: Duration,
    },
    /// A command wrote more output (stdout and stderr together) than a call
    /// keeps in memory, and was killed.
    #[error("`{command}` wrote more than {limit} bytes of output and was killed; write big output to a file (read it with copy_from), or raise PYTHON_CONTAINER_TEST_MAX_OUTPUT")]
    OutputTooLarge {
        /// The command.
        command: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The container has no route to the host (no network of its own).
    #[error("container {container} has no route to the host (network `none`?): give it a network with a gateway (the default bridge, or a user-defined network)")]
    NoRouteToHost {
        /// The container name.
        container: String,
    },
    /// A [`Session`](crate::Session) whose process is gone: it crashed
    /// (a segfault, `os._exit`), was killed by a call's timeout, or its
    /// container's agent lost it. Open a new one.
    #[error("the Python session (pid {pid}) in container {container} is gone: {detail}; open a new one with session()")]
    SessionGone {
        /// The container name.
        container: String,
        /// The session process's pid in the container.
        pid: u64,
        /// What ended it.
        detail: String,
    },
    /// A session call ran longer than its timeout: the session was killed
    /// with it (later calls are [`Error::SessionGone`]).
    #[error("the session call `{call}` did not finish within {timeout:?}: the session was killed; open a new one, and give slow calls a longer timeout (Session::with_timeout)")]
    SessionTimeout {
        /// The call (its kind and code, shortened).
        call: String,
        /// The timeout.
        timeout: Duration,
    },
    /// A value for a session ([`Session::call`](crate::Session::call)'s
    /// arguments, [`Session::set`](crate::Session::set)'s value) cannot be
    /// serialised to JSON.
    #[error("cannot serialise {what} to JSON: {source}")]
    Encode {
        /// What was serialised.
        what: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// The container's agent is too old for sessions: it was made by an
    /// older version of this crate and is still running.
    #[error("container {container} runs an agent of protocol {protocol}, and sessions need {needed}: it was made by an older python-container-test; remove it (docker rm -f {container}) or let it exit, then run again")]
    SessionUnsupported {
        /// The container name.
        container: String,
        /// The agent's protocol.
        protocol: u64,
        /// The protocol sessions need.
        needed: u64,
    },
    /// Bad configuration in the environment.
    #[error("{var}={value:?} is not valid: {expected}")]
    InvalidConfig {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        expected: &'static str,
    },
    /// Writing files into the container failed (a small upload, written by
    /// a Python call as the container's user): the reason Python gave.
    #[error("cannot write into `{path}` in container {container}: {detail}")]
    Write {
        /// The folder written into.
        path: String,
        /// The container.
        container: String,
        /// The reason (the Python exception's line).
        detail: String,
    },
    /// Work on host files (packing or unpacking an archive) did not finish:
    /// its thread panicked or the runtime is shutting down.
    #[error("host file work failed: {source}")]
    HostWork {
        /// The task's error.
        #[source]
        source: tokio::task::JoinError,
    },
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
