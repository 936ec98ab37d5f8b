//! How Python calls run: in a child forked from the container's warm
//! interpreter (the fast path), or as a plain `docker exec python ...`; and
//! how `eval` results come back.
//!
//! The fast path sends the call to the agent over the lease (`op: python`);
//! the agent's fork server, which imported the spec's preload modules once,
//! forks a child that becomes a fresh `python -c / -m / script.py` and runs
//! it. Its stdout and stderr stream back in chunks; the exit code follows the
//! exec convention (`128 + n` for signal `n`).

use crate::error::{Error, Result};
use crate::exec::{Collected, ExecOptions, ExecOutput};
use python_container_test_fixtures::protocol::{self, Op, PythonMode, EVAL_SINCE, PYTHON_SINCE};
use python_container_test_fixtures::{self as fixtures, LeasedContainer, Reply};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// Set to `0` (or `false`, `no`, `off`) to run every Python call as a plain
/// `docker exec` instead of in the warm interpreter.
pub(crate) const FAST_VAR: &str = "PYTHON_CONTAINER_TEST_FAST";

/// Evaluates `sys.argv[1]` and writes its value as JSON to the process's
/// stdout, which is the value's own channel: the expression's writes to fd 1
/// (`print`, `os.write(1, ..)`, closing `sys.stdout`) go to stderr, so stdout
/// holds only the value, on every image and on both paths.
/// Exit 1: the expression raised (traceback on stderr); exit 3: the value is
/// not JSON-serialisable. `fixtures/agent/worker.py` holds the same text (and
/// runs its compiled copy when a call sends this).
const EVAL_WRAPPER: &str = r#"import os, sys
from _json import encode_basestring_ascii as _quote
_value_fd = os.dup(1)
os.dup2(2, 1)
try:
    _value = eval(compile(sys.argv[1], "<eval>", "eval"), {"__name__": "__main__"})
except BaseException as _error:
    # From the expression's frame on: this wrapper's own is not the user's.
    import traceback
    traceback.print_exception(type(_error), _error, _error.__traceback__.tb_next)
    sys.exit(1)
def _key(k):
    if isinstance(k, str):
        return _quote(k)
    if k is None or isinstance(k, (bool, int, float)):
        return _quote(_encode(k))
    raise TypeError("keys must be str, int, float, bool or None, not %s" % type(k).__name__)
def _encode(v):
    # json.dumps, without importing json (6 ms of start-up in every call).
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _quote(v)
    if isinstance(v, int):
        return int.__repr__(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            raise ValueError("Out of range float values are not JSON compliant")
        return float.__repr__(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(map(_encode, v)) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(_key(k) + ": " + _encode(x) for k, x in v.items()) + "}"
    raise TypeError("Object of type %s is not JSON serializable" % type(v).__name__)
try:
    _text = _encode(_value)
except (TypeError, ValueError, RecursionError) as e:
    sys.stderr.write(str(e))
    sys.exit(3)
_view = memoryview(_text.encode("ascii"))
while _view:
    _view = _view[os.write(_value_fd, _view):]
os.close(_value_fd)
"#;

/// What `python` is asked to run.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// `python -c code`.
    Code(String),
    /// `python -m module`.
    Module(String),
    /// `python script` (a path in the container).
    Script(String),
    /// `python -c EVAL_WRAPPER expr`: an expression whose value `eval` returns.
    Eval(String),
}

/// One Python call: what to run and its arguments (`sys.argv[1:]`).
#[derive(Debug, Clone)]
pub(crate) struct PythonCall {
    target: Target,
    args: Vec<String>,
}

impl PythonCall {
    pub(crate) fn new<I, S>(target: Target, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        PythonCall { target, args }
    }

    /// The call that evaluates `expr` (see [`decode_eval`]).
    pub(crate) fn eval(expr: &str) -> Self {
        Self::new(Target::Eval(expr.to_owned()), [""; 0])
    }

    /// The command line of the same call as a fresh interpreter.
    pub(crate) fn argv(&self, python: &str) -> Vec<String> {
        let mut argv = vec![python.to_owned()];
        match &self.target {
            Target::Code(code) => argv.extend(["-c".to_owned(), code.clone()]),
            Target::Module(module) => argv.extend(["-m".to_owned(), module.clone()]),
            Target::Script(path) => argv.push(path.clone()),
            Target::Eval(expr) => {
                argv.extend(["-c".to_owned(), EVAL_WRAPPER.to_owned(), expr.clone()])
            }
        }
        argv.extend(self.args.iter().cloned());
        argv
    }

    /// What the `python` op carries to an agent of `protocol`: the mode, the
    /// target and `sys.argv[1:]`. An eval goes as the expression alone from
    /// [`EVAL_SINCE`] on, else as [`EVAL_WRAPPER`] with the expression first.
    fn wire(&self, protocol: u64) -> (PythonMode, String, Vec<String>) {
        let args = self.args.clone();
        match &self.target {
            Target::Code(code) => (PythonMode::Code, code.clone(), args),
            Target::Module(module) => (PythonMode::Module, module.clone(), args),
            Target::Script(path) => (PythonMode::Script, path.clone(), args),
            Target::Eval(expr) if protocol >= EVAL_SINCE => (PythonMode::Eval, expr.clone(), args),
            Target::Eval(expr) => {
                let args = std::iter::once(expr.clone()).chain(args).collect();
                (PythonMode::Code, EVAL_WRAPPER.to_owned(), args)
            }
        }
    }

    /// Whether the warm interpreter gives the same result as a fresh one.
    /// Not when the call runs as another user, nor when it sets `PYTHON*`
    /// variables (they configure interpreter start-up, which is over), nor
    /// with a NUL byte (no command line can hold one).
    fn runs_warm(&self, options: &ExecOptions) -> bool {
        let (Target::Code(s) | Target::Module(s) | Target::Script(s) | Target::Eval(s)) =
            &self.target;
        let texts = std::iter::once(s)
            .chain(&self.args)
            .chain(options.env.iter().flat_map(|(k, v)| [k, v]));
        options.user.is_none()
            && !options.env.iter().any(|(k, _)| k.starts_with("PYTHON"))
            && texts.into_iter().all(|t| !t.contains('\0'))
    }
}

/// Whether the fast path is on by default: unless [`FAST_VAR`] turns it off.
pub(crate) fn fast_by_default() -> bool {
    fast_setting(std::env::var(FAST_VAR).ok().as_deref())
}

fn fast_setting(value: Option<&str>) -> bool {
    !matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("0" | "false" | "no" | "off")
    )
}

/// Whether `call` with `options` can take the fast path on `leased`.
pub(crate) fn can_run_warm(
    leased: &LeasedContainer,
    call: &PythonCall,
    options: &ExecOptions,
) -> bool {
    leased.lease().protocol() >= PYTHON_SINCE && call.runs_warm(options)
}

/// Runs `call` in a child of the warm interpreter, in `workdir`. Runs on the
/// fixtures runtime; gives what `docker exec` of [`PythonCall::argv`] gives.
pub(crate) async fn run_warm(
    leased: Arc<LeasedContainer>,
    call: PythonCall,
    options: ExecOptions,
    workdir: String,
) -> Result<ExecOutput> {
    let python = leased.spec().get_python().to_owned();
    let marker = fixtures::unique_id();
    let mut env: Vec<(String, String)> = options.env.clone();
    env.push(("PCT_EXEC_ID".to_owned(), marker.clone()));
    let (mode, target, args) = call.wire(leased.lease().protocol());
    let op = Op::Python(protocol::PythonCall {
        mode,
        target,
        args,
        env,
        cwd: workdir,
        program: python.clone(),
        // Bytes as the code points 0-255: JSON without an encoding step.
        stdin: (options.stdin.as_ref()).map(|b| b.iter().map(|&c| char::from(c)).collect()),
        preload: leased.spec().get_preload().to_vec(),
        marker: marker.clone(),
    });
    let limit = crate::exec::max_output()?;
    let mut replies = leased.lease().request_streamed(op.clone())?;
    let argv = call.argv(&python);
    let shown = argv.clone();
    let collect = async move {
        let mut out = Collected::new(limit);
        loop {
            match replies.next().await {
                Reply::Output { stream, bytes } => {
                    if !out.push(stream, bytes) {
                        return Err(out.too_large(&shown));
                    }
                }
                Reply::Done(answer) => {
                    let done: protocol::PythonDone = protocol::answer(&op, answer)?;
                    out.out.exit_code = done.exit_code;
                    return Ok(out.out);
                }
                Reply::Failed(e) => return Err(Error::from(e)),
            }
        }
    };
    crate::exec::within_timeout(&leased, &marker, options.timeout, &argv, collect).await
}

/// Turns the eval command's output into the value or a typed error.
pub(crate) fn decode_eval<T: DeserializeOwned>(expr: &str, out: ExecOutput) -> Result<T> {
    match out.exit_code {
        0 if out.stdout.is_empty() => Err(Error::Python {
            expr: expr.to_owned(),
            traceback: format!(
                "the process exited with code 0 before the value was written (os._exit?)\n{}",
                out.stderr_str().trim_end()
            ),
        }),
        0 => serde_json::from_slice(&out.stdout).map_err(|source| Error::Decode {
            expr: expr.to_owned(),
            json: out.stdout_str().chars().take(200).collect(),
            source,
        }),
        3 => Err(Error::NotJson {
            expr: expr.to_owned(),
            detail: out.stderr_str().trim().to_owned(),
        }),
        _ => Err(Error::Python {
            expr: expr.to_owned(),
            traceback: out.stderr_str().trim_end().to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(exit_code: i64, stdout: &str, stderr: &str) -> ExecOutput {
        ExecOutput {
            exit_code,
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn decodes_values_and_errors() {
        let v: Vec<i64> = decode_eval("x", out(0, "[1, 2]", "")).unwrap();
        assert_eq!(v, [1, 2]);
        assert!(matches!(
            decode_eval::<i64>(
                "x",
                out(3, "", "Object of type set is not JSON serializable")
            ),
            Err(Error::NotJson { .. })
        ));
        let err =
            decode_eval::<i64>("1/0", out(1, "", "Traceback ...\nZeroDivisionError")).unwrap_err();
        assert!(err.to_string().contains("ZeroDivisionError"));
        assert!(matches!(
            decode_eval::<i64>("x", out(0, "\"s\"", "")),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn argv_shapes() {
        let call = |target, args: &[&str]| PythonCall::new(target, args).argv("py");
        assert_eq!(
            call(Target::Module("m".into()), &["a"]),
            ["py", "-m", "m", "a"]
        );
        assert_eq!(call(Target::Script("s.py".into()), &[]), ["py", "s.py"]);
        assert_eq!(call(Target::Code("pass".into()), &[]), ["py", "-c", "pass"]);
        assert_eq!(PythonCall::eval("1").argv("py")[3], "1");
    }

    #[test]
    fn eval_goes_as_the_expression_to_a_new_agent_and_in_the_wrapper_to_an_old_one() {
        let eval = PythonCall::eval("1 + 1");
        let (mode, target, args) = eval.wire(EVAL_SINCE);
        assert_eq!(mode, PythonMode::Eval);
        assert_eq!((target.as_str(), args.len()), ("1 + 1", 0));
        let (mode, target, args) = eval.wire(EVAL_SINCE - 1);
        assert_eq!((mode, target.as_str()), (PythonMode::Code, EVAL_WRAPPER));
        assert_eq!(args, ["1 + 1"]);
        let code = PythonCall::new(Target::Code("pass".into()), ["a"]);
        assert_eq!(code.wire(EVAL_SINCE).0, PythonMode::Code);
    }

    #[test]
    fn the_fast_path_is_on_unless_turned_off() {
        assert!(fast_setting(None));
        assert!(fast_setting(Some("1")));
        for off in ["0", "false", "OFF", " no "] {
            assert!(!fast_setting(Some(off)), "{off}");
        }
    }

    #[test]
    fn calls_that_a_warm_interpreter_cannot_copy_take_exec() {
        let code = PythonCall::new(Target::Code("pass".into()), [""; 0]);
        assert!(code.runs_warm(&ExecOptions::default()));
        let with = |options: ExecOptions| code.runs_warm(&options);
        assert!(with(ExecOptions {
            env: vec![("A".into(), "1".into())],
            stdin: Some(b"x".to_vec()),
            ..Default::default()
        }));
        assert!(!with(ExecOptions {
            user: Some("0".into()),
            ..Default::default()
        }));
        assert!(!with(ExecOptions {
            env: vec![("PYTHONPATH".into(), "/x".into())],
            ..Default::default()
        }));
        let nul = PythonCall::new(Target::Code("pass".into()), ["a\0b"]);
        assert!(!nul.runs_warm(&ExecOptions::default()));
    }
}
