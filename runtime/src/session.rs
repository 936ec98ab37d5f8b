//! Sessions: one long-lived Python interpreter in the container, whose state
//! (variables, imports, a model, a CUDA context) persists from one call to
//! the next.
//!
//! The agent asks its fork server (the warm interpreter with the spec's
//! preloads) for a child that stays alive: a session (`op: session_open`).
//! Each call (`op: session_call`) runs in the session's `__main__`
//! namespace, one at a time per session; its stdout and stderr are pipes of
//! their own, streamed back as a fast call's are, and the value of `eval`
//! and `call` comes back in the answer, never on stdout. A session belongs
//! to its lease: the agent kills it (its whole process group) when it is
//! closed, when the last clone of its handle is dropped, when a call times
//! out, or when the test process's lease ends, however the process ends.

use crate::error::{Error, Result};
use crate::exec::{self, Collected};
use crate::ops::Handle;
use python_container_test_fixtures::protocol::{
    self, Empty, Op, SessionCall as Request, SessionOpen, SessionOpened, SessionOutcome,
    SESSIONS_SINCE,
};
use python_container_test_fixtures::{self as fixtures, Reply};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How much of a call's code its errors show.
const SHOWN_CHARS: usize = 120;

/// What the stdout and stderr of one session call held. A Python exception
/// is not an output but an [`Error::Python`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionOutput {
    /// Everything the call wrote to stdout (fd 1).
    pub stdout: Vec<u8>,
    /// Everything the call wrote to stderr (fd 2).
    pub stderr: Vec<u8>,
}

impl SessionOutput {
    /// Stdout as text (invalid UTF-8 replaced).
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Stderr as text (invalid UTF-8 replaced).
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

/// The call as errors name it: its kind and code, shortened.
fn shown(call: &Request) -> String {
    let text = match call {
        Request::Exec { code } => format!("exec {code}"),
        Request::Eval { expr } => format!("eval {expr}"),
        Request::Call { name, args } => format!("call {name}(*{args})"),
        Request::Set { name, .. } => format!("set {name}"),
    };
    let short: String = text.chars().take(SHOWN_CHARS).collect();
    if short.len() < text.len() {
        format!("{short}...")
    } else {
        short
    }
}

/// What a session call gave: its output, and the value's JSON text for
/// `eval` and `call`.
struct Answer {
    output: SessionOutput,
    value: Option<String>,
}

/// The session's state, shared by its clones; dropping the last one closes it.
struct Inner {
    handle: Handle,
    id: u64,
    pid: u64,
    /// Why the session is gone, once it is.
    gone: Mutex<Option<String>>,
}

impl Inner {
    fn gone(&self) -> Option<String> {
        match self.gone.lock() {
            Ok(gone) => gone.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Marks the session gone (the first reason stays); whether it was alive.
    fn mark_gone(&self, why: &str) -> bool {
        let mut gone = match self.gone.lock() {
            Ok(gone) => gone,
            Err(poisoned) => poisoned.into_inner(),
        };
        let alive = gone.is_none();
        if alive {
            *gone = Some(why.to_owned());
        }
        alive
    }

    fn gone_error(&self, detail: String) -> Error {
        Error::SessionGone {
            container: self.handle.name().to_owned(),
            pid: self.pid,
            detail,
        }
    }

    /// The request that kills the session in the agent.
    fn close_request(&self) -> impl Future<Output = Result<()>> + Send + 'static {
        let leased = self.handle.leased().clone();
        let id = self.id;
        async move {
            leased
                .lease()
                .ask::<Empty>(Op::SessionClose { session: id })
                .await?;
            Ok(())
        }
    }

    /// Kills the session: later calls are [`Error::SessionGone`] with `why`.
    async fn kill(&self, why: &str) {
        self.mark_gone(why);
        if let Err(e) = self.close_request().await {
            tracing::warn!("could not kill the session (pid {}): {e}", self.pid);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if !self.mark_gone("it was closed") {
            return; // already gone: killed, crashed or closed
        }
        let close = self.close_request();
        if let Ok(runtime) = fixtures::runtime() {
            runtime.spawn(async move {
                let _ = close.await;
            });
        }
    }
}

/// Opens a session in `handle`'s container, in its workdir, from the warm
/// interpreter of its spec's preloads. Runs on the fixtures runtime.
async fn open(handle: Handle) -> Result<Arc<Inner>> {
    let leased = handle.leased().clone();
    let lease = leased.lease();
    supported(leased.name(), lease.protocol())?;
    let spec = leased.spec();
    let open = SessionOpen {
        preload: spec.get_preload().to_vec(),
        cwd: handle.workdir().to_owned(),
        env: vec![],
        program: spec.get_python().to_owned(),
        timeout: exec::default_timeout()?.as_secs_f64(),
    };
    let opened: SessionOpened = lease.ask(Op::SessionOpen(open)).await?;
    let gone = Mutex::new(None);
    Ok(Arc::new(Inner {
        handle,
        id: opened.session,
        pid: opened.pid,
        gone,
    }))
}

/// An error unless an agent of `protocol` has sessions.
fn supported(container: &str, protocol: u64) -> Result<()> {
    if protocol >= SESSIONS_SINCE {
        return Ok(());
    }
    Err(Error::SessionUnsupported {
        container: container.to_owned(),
        protocol,
        needed: SESSIONS_SINCE,
    })
}

/// Runs `call` in the session; past `timeout` (or the
/// [default](exec::default_timeout)) the session is killed.
async fn run(inner: Arc<Inner>, call: Request, timeout: Option<Duration>) -> Result<Answer> {
    if let Some(detail) = inner.gone() {
        return Err(inner.gone_error(detail));
    }
    let timeout = match timeout {
        Some(timeout) => timeout,
        None => exec::default_timeout()?,
    };
    let limit = exec::max_output()?;
    let what = [shown(&call)];
    let op = Op::SessionCall {
        session: inner.id,
        call,
    };
    let mut replies = inner.handle.leased().lease().request_streamed(op.clone())?;
    let collect = async {
        let mut out = Collected::new(limit);
        loop {
            match replies.next().await {
                Reply::Output { stream, bytes } => {
                    if !out.push(stream, bytes) {
                        return Err(out.too_large(&what));
                    }
                }
                Reply::Done(answer) => return Ok((out.out, answer)),
                Reply::Failed(e) => return Err(Error::from(e)),
            }
        }
    };
    match tokio::time::timeout(timeout, collect).await {
        Err(_) => {
            let why = format!("a call ran past its timeout of {timeout:?}");
            inner.kill(&why).await;
            let [call] = what;
            Err(Error::SessionTimeout { call, timeout })
        }
        Ok(Err(e @ Error::OutputTooLarge { .. })) => {
            inner
                .kill("a call wrote more output than a call keeps")
                .await;
            Err(e)
        }
        Ok(Err(e)) => Err(e),
        Ok(Ok((out, answer))) => {
            let [what] = what;
            outcome(&inner, what, out, protocol::answer(&op, answer)?)
        }
    }
}

/// The agent's answer to the call `what` as its result.
fn outcome(
    inner: &Inner,
    what: String,
    out: crate::ExecOutput,
    answer: SessionOutcome,
) -> Result<Answer> {
    let output = SessionOutput {
        stdout: out.stdout,
        stderr: out.stderr,
    };
    match answer {
        SessionOutcome::Done => Ok(Answer {
            output,
            value: None,
        }),
        SessionOutcome::Value { value } => Ok(Answer {
            output,
            value: Some(value),
        }),
        SessionOutcome::Raised { traceback } => Err(Error::Python {
            expr: what,
            traceback: with_output(&traceback, &output),
        }),
        SessionOutcome::NotJson { detail } => Err(Error::NotJson { expr: what, detail }),
        SessionOutcome::Gone { detail } => {
            inner.mark_gone(&detail);
            Err(inner.gone_error(detail))
        }
    }
}

/// A traceback, followed by what the failed call wrote, if anything: the
/// output of an exception's call has no other way out.
fn with_output(traceback: &str, output: &SessionOutput) -> String {
    let mut text = traceback.trim_end().to_owned();
    for (name, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        if !bytes.is_empty() {
            let shown = String::from_utf8_lossy(bytes);
            text.push_str(&format!(
                "\n--- the call's {name} ---\n{}",
                shown.trim_end()
            ));
        }
    }
    text
}

/// The value of an `eval` or `call` as `T`.
fn decode<T: DeserializeOwned>(call: &str, answer: Answer) -> Result<T> {
    let json = answer.value.unwrap_or_default();
    serde_json::from_str(&json).map_err(|source| Error::Decode {
        expr: call.to_owned(),
        json: json.chars().take(200).collect(),
        source,
    })
}

/// `value` as JSON text, for `what`.
fn encode(what: String, value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|source| Error::Encode { what, source })
}

/// What both session types hold: the session and the per-call timeout.
#[derive(Clone)]
struct Core {
    inner: Arc<Inner>,
    timeout: Option<Duration>,
}

impl Core {
    fn run(&self, call: Request) -> impl Future<Output = Result<Answer>> + Send + 'static {
        run(self.inner.clone(), call, self.timeout)
    }

    fn call_request(&self, name: &str, args: &impl Serialize) -> Result<Request> {
        let args = encode(format!("the arguments of `{name}`"), args)?;
        let name = name.to_owned();
        Ok(Request::Call { name, args })
    }

    fn set_request(&self, name: &str, value: &impl Serialize) -> Result<Request> {
        let value = encode(format!("the value for `{name}`"), value)?;
        let name = name.to_owned();
        Ok(Request::Set { name, value })
    }

    fn fmt(&self, kind: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(kind)
            .field("container", &self.inner.handle.name())
            .field("pid", &self.inner.pid)
            .field("timeout", &self.timeout)
            .field("gone", &self.inner.gone())
            .finish()
    }
}

/// A long-lived Python interpreter in the container, opened with
/// [`PythonContainer::session`](crate::PythonContainer::session): its state
/// (variables, imported modules, a model, a CUDA context) persists from one
/// call to the next. Methods block; [`AsyncSession`] is the async twin.
///
/// - Calls run one at a time, in the session's `__main__` namespace, in the
///   test's workdir; sessions of one container run in parallel.
/// - Each call's stdout and stderr are its own; what threads of the session
///   write between calls is dropped.
/// - A Python exception is [`Error::Python`] with the traceback (and what
///   the call wrote); the session stays usable. `SystemExit` is an
///   exception like any other.
/// - A crash of the session process (a segfault, `os._exit`) is
///   [`Error::SessionGone`], and so is every later call.
/// - A call that runs past its timeout ([`with_timeout`](Self::with_timeout),
///   default `PYTHON_CONTAINER_TEST_TIMEOUT` or 10 minutes) kills the
///   session: [`Error::SessionTimeout`].
/// - Cloning is cheap; the session is killed when the last clone is dropped,
///   and with the test process's lease however the process ends.
///
/// ```no_run
/// # fn f(py: &python_container_test::PythonContainer) -> python_container_test::Result<()> {
/// let s = py.session()?;
/// s.exec("import numpy as np\nm = np.ones((1000, 1000))")?;
/// let total: f64 = s.eval("float(m.sum())")?;
/// s.set("k", &3)?;
/// let scaled: f64 = s.call("float", (2.5,))?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    core: Core,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.core.fmt("Session", f)
    }
}

impl Session {
    /// Opens a session for `handle` (see [`PythonContainer::session`](crate::PythonContainer::session)).
    pub(crate) fn open(handle: Handle) -> Result<Session> {
        let inner = fixtures::block_on(open(handle))?;
        let core = Core {
            inner,
            timeout: None,
        };
        Ok(Session { core })
    }

    /// Runs Python statements in the session; what they wrote to stdout
    /// and stderr.
    pub fn exec(&self, code: &str) -> Result<SessionOutput> {
        let answer = fixtures::block_on(self.core.run(Request::Exec {
            code: code.to_owned(),
        }))?;
        Ok(answer.output)
    }

    /// Evaluates an expression in the session; its value, through JSON.
    /// What it prints is not part of the value.
    pub fn eval<T: DeserializeOwned>(&self, expr: &str) -> Result<T> {
        let call = Request::Eval {
            expr: expr.to_owned(),
        };
        let shown = shown(&call);
        decode(&shown, fixtures::block_on(self.core.run(call))?)
    }

    /// Calls the function `name` of the session (a dotted path from its
    /// namespace or the builtins: `"model.predict"`, `"len"`) with `args`,
    /// through JSON: a tuple or `Vec` is positional (`(x,)` for one
    /// argument), a map or struct keyword arguments, `()` none.
    pub fn call<T: DeserializeOwned>(&self, name: &str, args: impl Serialize) -> Result<T> {
        let call = self.core.call_request(name, &args)?;
        let shown = shown(&call);
        decode(&shown, fixtures::block_on(self.core.run(call))?)
    }

    /// Puts `value`, through JSON, into the session's namespace as `name`.
    pub fn set(&self, name: &str, value: &impl Serialize) -> Result<()> {
        let call = self.core.set_request(name, value)?;
        fixtures::block_on(self.core.run(call)).map(|_| ())
    }

    /// This session (the same process, a cheap clone) with a timeout for each
    /// call; a call that runs past it kills the session.
    pub fn with_timeout(&self, timeout: Duration) -> Session {
        let mut core = self.core.clone();
        core.timeout = Some(timeout);
        Session { core }
    }

    /// Kills the session now; later calls of its clones are [`Error::SessionGone`].
    pub fn close(&self) -> Result<()> {
        let inner = self.core.inner.clone();
        fixtures::block_on(async move {
            inner.mark_gone("it was closed");
            inner.close_request().await
        })
    }

    /// The session process's pid in the container.
    pub fn pid(&self) -> u64 {
        self.core.inner.pid
    }

    /// The async twin of this session (the same process, a cheap clone).
    pub fn to_async(&self) -> AsyncSession {
        AsyncSession {
            core: self.core.clone(),
        }
    }
}

/// The async twin of [`Session`], opened with
/// [`AsyncPythonContainer::session`](crate::AsyncPythonContainer::session):
/// the same methods, as futures that never block the caller's runtime.
#[derive(Clone)]
pub struct AsyncSession {
    core: Core,
}

impl std::fmt::Debug for AsyncSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.core.fmt("AsyncSession", f)
    }
}

impl AsyncSession {
    /// Opens a session for `handle` (see [`AsyncPythonContainer::session`](crate::AsyncPythonContainer::session)).
    pub(crate) async fn open(handle: Handle) -> Result<AsyncSession> {
        let inner = fixtures::spawn(open(handle)).await?;
        let core = Core {
            inner,
            timeout: None,
        };
        Ok(AsyncSession { core })
    }

    /// Runs Python statements in the session (see [`Session::exec`]).
    pub async fn exec(&self, code: &str) -> Result<SessionOutput> {
        let answer = fixtures::spawn(self.core.run(Request::Exec {
            code: code.to_owned(),
        }))
        .await?;
        Ok(answer.output)
    }

    /// Evaluates an expression in the session (see [`Session::eval`]).
    pub async fn eval<T: DeserializeOwned>(&self, expr: &str) -> Result<T> {
        let call = Request::Eval {
            expr: expr.to_owned(),
        };
        let shown = shown(&call);
        decode(&shown, fixtures::spawn(self.core.run(call)).await?)
    }

    /// Calls a function of the session (see [`Session::call`]).
    pub async fn call<T: DeserializeOwned>(&self, name: &str, args: impl Serialize) -> Result<T> {
        let call = self.core.call_request(name, &args)?;
        let shown = shown(&call);
        decode(&shown, fixtures::spawn(self.core.run(call)).await?)
    }

    /// Puts a value into the session's namespace (see [`Session::set`]).
    pub async fn set(&self, name: &str, value: &impl Serialize) -> Result<()> {
        let call = self.core.set_request(name, value)?;
        fixtures::spawn(self.core.run(call)).await.map(|_| ())
    }

    /// This session with a timeout for each call (see [`Session::with_timeout`]).
    pub fn with_timeout(&self, timeout: Duration) -> AsyncSession {
        let mut core = self.core.clone();
        core.timeout = Some(timeout);
        AsyncSession { core }
    }

    /// Kills the session now (see [`Session::close`]).
    pub async fn close(&self) -> Result<()> {
        let inner = self.core.inner.clone();
        fixtures::spawn(async move {
            inner.mark_gone("it was closed");
            inner.close_request().await
        })
        .await
    }

    /// The session process's pid in the container.
    pub fn pid(&self) -> u64 {
        self.core.inner.pid
    }

    /// The blocking twin of this session (the same process, a cheap clone).
    pub fn blocking(&self) -> Session {
        Session {
            core: self.core.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_shown_shortened() {
        let exec = Request::Exec {
            code: "x = 1".into(),
        };
        assert_eq!(shown(&exec), "exec x = 1");
        let long = shown(&Request::Eval {
            expr: "1 + ".repeat(100),
        });
        assert!(long.ends_with("...") && long.chars().count() == SHOWN_CHARS + 3);
        let call = Request::Call {
            name: "f".into(),
            args: "[1]".into(),
        };
        assert_eq!(shown(&call), "call f(*[1])");
    }

    #[test]
    fn an_older_agent_is_a_clear_error() {
        assert!(supported("c", SESSIONS_SINCE).is_ok());
        let err = supported("pct-x", 3).unwrap_err();
        assert!(matches!(err, Error::SessionUnsupported { protocol: 3, .. }));
        let text = err.to_string();
        assert!(
            text.contains("pct-x") && text.contains("docker rm -f pct-x"),
            "{text}"
        );
    }

    #[test]
    fn a_tracebacks_output_follows_it() {
        let out = SessionOutput {
            stdout: b"before\n".to_vec(),
            stderr: Vec::new(),
        };
        assert_eq!(
            with_output("Traceback\nValueError: x\n", &out),
            "Traceback\nValueError: x\n--- the call's stdout ---\nbefore"
        );
        assert_eq!(with_output("T\n", &SessionOutput::default()), "T");
    }

    #[test]
    fn values_that_do_not_fit_are_decode_errors() {
        let answer = |v: &str| Answer {
            output: SessionOutput::default(),
            value: Some(v.to_owned()),
        };
        assert_eq!(decode::<Vec<i64>>("e", answer("[1, 2]")).unwrap(), [1, 2]);
        assert!(matches!(
            decode::<i64>("e", answer("\"s\"")),
            Err(Error::Decode { .. })
        ));
        let keys = std::collections::HashMap::from([((1, 2), 3)]);
        assert!(matches!(
            encode("k".into(), &keys),
            Err(Error::Encode { .. })
        ));
    }
}
