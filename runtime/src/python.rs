//! How Python calls become commands, and how `eval` results come back.

use crate::error::{Error, Result};
use crate::exec::ExecOutput;
use serde::de::DeserializeOwned;

/// Evaluates `sys.argv[1]` and writes its value as JSON to stdout. Anything
/// the expression prints goes to stderr, so stdout holds only the value.
/// Exit 1: the expression raised (traceback on stderr); exit 3: the value is
/// not JSON-serialisable.
const EVAL_WRAPPER: &str = r#"import json, sys, traceback
_out, sys.stdout = sys.stdout, sys.stderr
try:
    _value = eval(compile(sys.argv[1], "<eval>", "eval"), {"__name__": "__main__"})
except BaseException:
    traceback.print_exc()
    sys.exit(1)
try:
    _text = json.dumps(_value)
except (TypeError, ValueError) as e:
    sys.stderr.write(str(e))
    sys.exit(3)
_out.write(_text)
"#;

/// `python -c code`.
pub(crate) fn code_argv(python: &str, code: &str) -> Vec<String> {
    vec![python.to_owned(), "-c".to_owned(), code.to_owned()]
}

/// `python -m module args...`.
pub(crate) fn module_argv<S: AsRef<str>>(python: &str, module: &str, args: &[S]) -> Vec<String> {
    let mut argv = vec![python.to_owned(), "-m".to_owned(), module.to_owned()];
    argv.extend(args.iter().map(|a| a.as_ref().to_owned()));
    argv
}

/// `python script args...`.
pub(crate) fn script_argv<S: AsRef<str>>(python: &str, script: &str, args: &[S]) -> Vec<String> {
    let mut argv = vec![python.to_owned(), script.to_owned()];
    argv.extend(args.iter().map(|a| a.as_ref().to_owned()));
    argv
}

/// The command that evaluates `expr`.
pub(crate) fn eval_argv(python: &str, expr: &str) -> Vec<String> {
    vec![
        python.to_owned(),
        "-c".to_owned(),
        EVAL_WRAPPER.to_owned(),
        expr.to_owned(),
    ]
}

/// Turns the eval command's output into the value or a typed error.
pub(crate) fn decode_eval<T: DeserializeOwned>(expr: &str, out: ExecOutput) -> Result<T> {
    match out.exit_code {
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
        assert_eq!(module_argv("py", "m", &["a"]), ["py", "-m", "m", "a"]);
        assert_eq!(script_argv::<&str>("py", "s.py", &[]), ["py", "s.py"]);
        assert_eq!(code_argv("py", "pass"), ["py", "-c", "pass"]);
    }
}
