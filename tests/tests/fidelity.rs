//! The fast path (a child forked from the container's warm interpreter) gives
//! what a fresh `docker exec python ...` gives: every case runs both ways and
//! the results (exit code, stdout, stderr) must be equal, byte for byte.
//!
//! Known, documented differences, which no case here looks at: `os.getppid()`
//! (the fork server, not 0), the hash seed (shared by the calls of one
//! container), and `sys.modules`, which also holds the preloaded modules.

use python_container_test::{
    python_container_test, Error, ExecOptions, ExecOutput, PythonContainer,
};
use python_container_test_e2e::{matrix_spec, NUMPY_IMAGE};
use std::time::{Duration, Instant};

/// Runs `call` with the fast path and as plain exec; asserts equal results.
#[track_caller]
fn both(
    py: &PythonContainer,
    call: impl Fn(&PythonContainer) -> python_container_test::Result<ExecOutput>,
) -> ExecOutput {
    let fast = call(&py.with_fast_path(true)).unwrap();
    let exec = call(&py.with_fast_path(false)).unwrap();
    assert_same(&fast, &exec);
    fast
}

#[track_caller]
fn assert_same(fast: &ExecOutput, exec: &ExecOutput) {
    if fast != exec {
        panic!(
            "fast path and exec differ\n--- fast: exit {}\n{}\n{}\n--- exec: exit {}\n{}\n{}",
            fast.exit_code,
            fast.stdout_str(),
            fast.stderr_str(),
            exec.exit_code,
            exec.stdout_str(),
            exec.stderr_str()
        );
    }
}

/// `python -c code`, both ways.
#[track_caller]
fn code(py: &PythonContainer, code: &str) -> ExecOutput {
    both(py, |p| p.python(code))
}

#[python_container_test(fixture = matrix_spec)]
fn the_fast_path_is_really_taken(py: &PythonContainer) {
    // Exec'd processes have no parent in the container; forked ones do.
    let parent = "import os; print(os.getppid())";
    assert_eq!(
        py.with_fast_path(false)
            .python(parent)
            .unwrap()
            .stdout_str(),
        "0\n"
    );
    assert_ne!(
        py.with_fast_path(true).python(parent).unwrap().stdout_str(),
        "0\n"
    );
    assert!(!py.with_fast_path(false).fast_path());
}

#[python_container_test(fixture = matrix_spec)]
fn stdout_and_stderr_are_separate_and_complete(py: &PythonContainer) {
    let out = code(
        py,
        "import sys\nfor i in range(3):\n    print('out', i)\n    print('err', i, file=sys.stderr)\n\
         sys.stdout.flush()\nsys.stdout.buffer.write(bytes(range(256)))\nsys.stderr.buffer.write(b'\\xff\\xfe')\n\
         print('h\\u00e9llo \\u2713')",
    );
    assert_eq!(out.exit_code, 0);
    assert!(out.stdout.starts_with(b"out 0\nout 1\nout 2\n\x00\x01"));
    assert!(out.stdout.ends_with("héllo ✓\n".as_bytes()));
    assert_eq!(out.stderr, b"err 0\nerr 1\nerr 2\n\xff\xfe");
}

#[python_container_test(fixture = matrix_spec)]
fn exit_codes(py: &PythonContainer) {
    let cases = [
        ("import sys; print('x'); sys.exit(3)", 3),
        ("import sys; sys.exit()", 0),
        ("import sys; sys.exit('bye')", 1),
        ("import sys; sys.exit(256)", 0),
        ("import sys; sys.exit(-1)", 255),
        ("import sys; sys.exit(True)", 1),
        ("raise SystemExit(4)", 4),
        ("import os; print('lost?'); os._exit(7)", 7),
        ("import sys; sys.stdout.write('no newline'); sys.exit(9)", 9),
    ];
    for (source, expected) in cases {
        assert_eq!(code(py, source).exit_code, expected, "{source}");
    }
}

#[python_container_test(fixture = matrix_spec)]
fn uncaught_exceptions_give_1_and_the_same_traceback(py: &PythonContainer) {
    let cases = [
        "raise ValueError('boom')",
        "def f():\n    raise RuntimeError('deep')\nf()",
        "try:\n    1 / 0\nexcept Exception as e:\n    raise KeyError('k') from e",
        "try:\n    1 / 0\nexcept Exception:\n    undefined_name",
        "1 +",
        "import sys\nsys.excepthook = lambda t, v, tb: print('hooked', t.__name__)\nraise TypeError",
        "import json; json.loads('{')",
    ];
    for source in cases {
        let out = code(py, source);
        assert_eq!(out.exit_code, 1, "{source}");
        assert!(
            !out.stderr.is_empty() || out.stdout_str().starts_with("hooked"),
            "{source}"
        );
    }
    let out = code(py, "raise ValueError('boom')");
    // From 3.13 on, the `-c` source line follows its frame.
    let source_line = if out.stderr_str().contains("    raise") {
        "    raise ValueError('boom')\n"
    } else {
        ""
    };
    assert_eq!(
        out.stderr_str(),
        format!("Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n{source_line}ValueError: boom\n")
    );
}

#[python_container_test(fixture = matrix_spec)]
fn death_by_signal_is_128_plus_the_signal(py: &PythonContainer) {
    let cases = [
        (
            "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
            137,
        ),
        (
            "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
            143,
        ),
        ("import ctypes; ctypes.string_at(0)", 139),
        ("raise KeyboardInterrupt", 130),
    ];
    for (source, expected) in cases {
        assert_eq!(code(py, source).exit_code, expected, "{source}");
    }
}

/// What a program sees of how it was started.
const IDENTITY: &str = "import sys, os\n\
    print(sys.argv, __name__, sorted(globals()), type(__loader__).__name__)\n\
    print(repr(__package__), repr(__spec__ and __spec__.name), globals().get('__file__'))\n\
    print(sys.path[0] == os.getcwd() or repr(sys.path[0]), sys.path[1:], getattr(sys, 'orig_argv', [])[1:2])\n\
    print(os.getcwd(), os.getsid(0) == os.getpid(), sys.flags, sys.executable)\n\
    print(sys.stdin.encoding, sys.stdout.encoding, sys.stdout.errors, sys.stderr.errors, sys.stdout.line_buffering, sys.stdout.write_through)\n\
    print(os.readlink('/proc/self/fd/0'), os.get_inheritable(1), sorted(os.listdir('/proc/self/fd')))\n\
    if __name__ == '__main__':\n    print('main')\n";

#[python_container_test(fixture = matrix_spec)]
fn argv_main_paths_and_stdio_of_python_c(py: &PythonContainer) {
    let out = code(py, IDENTITY);
    assert!(
        out.stdout_str().contains("['-c'] __main__"),
        "{}",
        out.stdout_str()
    );
    assert!(out.stdout_str().ends_with("main\n"));
    code(py, "import sys; print(sys.orig_argv)");
}

#[python_container_test(fixture = matrix_spec)]
fn argv_main_and_tracebacks_of_python_m(py: &PythonContainer) {
    py.write_file(
        "identity_module.py",
        format!("{IDENTITY}raise ValueError(sys.argv)\n"),
    )
    .unwrap();
    let out = both(py, |p| p.run_module("identity_module", ["a", "b c"]));
    assert_eq!(out.exit_code, 1);
    assert!(
        out.stdout_str()
            .contains("identity_module.py', 'a', 'b c']"),
        "{}",
        out.stdout_str()
    );
    assert!(
        // `<frozen runpy>` from 3.11 on, the file's path before.
        out.stderr_str().contains("runpy"),
        "{}",
        out.stderr_str()
    );
    let missing = both(py, |p| p.run_module("no_such_module", &[] as &[&str]));
    assert_eq!(missing.exit_code, 1);
    assert!(missing
        .stderr_str()
        .contains("No module named no_such_module"));
    let out = both(py, |p| {
        let stdin = ExecOptions {
            stdin: Some(br#"{"b": 1, "a": [1, 2]}"#.to_vec()),
            ..Default::default()
        };
        p.run_module_with("json.tool", ["--sort-keys"], stdin)
    });
    assert!(
        out.stdout_str().starts_with("{\n    \"a\": ["),
        "{}",
        out.stdout_str()
    );
}

#[python_container_test(fixture = matrix_spec)]
fn argv_main_and_tracebacks_of_a_script(py: &PythonContainer) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("identity_script.py");
    std::fs::write(
        &script,
        format!("{IDENTITY}def f():\n    raise ValueError(sys.argv)\nf()\n"),
    )
    .unwrap();
    let out = both(py, |p| p.run_script(&script, ["x", "y"]));
    assert_eq!(out.exit_code, 1);
    assert!(out.stdout_str().ends_with("main\n"), "{}", out.stdout_str());
    assert!(
        out.stderr_str().contains("identity_script.py\", line"),
        "{}",
        out.stderr_str()
    );
    assert!(
        out.stderr_str()
            .contains("    raise ValueError(sys.argv)\n"),
        "{}",
        out.stderr_str()
    );
}

#[python_container_test(fixture = matrix_spec)]
fn workdir_env_and_stdin(py: &PythonContainer) {
    code(py, "import os; print(os.getcwd())");
    py.exec(["mkdir", "-p", "sub"]).unwrap().assert_success();
    let show = "import os, sys\n\
        print(os.getcwd())\n\
        print(sorted((k, v) for k, v in os.environ.items() if k != 'PCT_EXEC_ID'))\n\
        print(sys.stdin.buffer.read().hex())";
    let options = ExecOptions {
        env: vec![
            ("GREETING".into(), "hello world".into()),
            ("HOME".into(), "/elsewhere".into()),
        ],
        workdir: Some("sub".into()),
        stdin: Some([&b"line 1\n\x00\xff\xfe"[..], &vec![b'z'; 1 << 20]].concat()),
        timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let out = both(py, |p| p.python_with(show, options.clone()));
    assert!(out.stdout_str().contains("/sub\n"));
    assert!(out.stdout_str().contains("('GREETING', 'hello world')"));
    // Without stdin: /dev/null, as `docker exec` without -i.
    let out = code(
        py,
        "import sys, os; print(repr(sys.stdin.read()), os.readlink('/proc/self/fd/0'))",
    );
    assert_eq!(out.stdout_str(), "'' /dev/null\n");
    // A program that does not read its stdin.
    let ignore = ExecOptions {
        stdin: Some(vec![b'x'; 4 << 20]),
        ..Default::default()
    };
    let out = both(py, |p| p.python_with("print('ignored')", ignore.clone()));
    assert_eq!(out.stdout_str(), "ignored\n");
}

#[python_container_test(fixture = matrix_spec)]
fn shutdown_runs_threads_atexit_and_flushes_files(py: &PythonContainer) {
    let source = "import atexit, threading, time\n\
        atexit.register(print, 'atexit')\n\
        kept = open('unclosed.txt', 'w'); kept.write('data')\n\
        class Loud:\n    def __del__(self): print('finalised')\n\
        loud = Loud()\n\
        threading.Thread(target=lambda: (time.sleep(0.3), print('thread'))).start()\n\
        print('main')";
    let out = code(py, source);
    assert_eq!(out.stdout_str(), "main\nthread\natexit\nfinalised\n");
    let fast = py.with_fast_path(true).python(source).unwrap();
    assert_eq!(fast.stdout_str(), "main\nthread\natexit\nfinalised\n");
    assert_eq!(py.read_file("unclosed.txt").unwrap(), b"data");
    code(
        py,
        "import subprocess, sys\nprint('parent', flush=True)\n\
         subprocess.run(['sh', '-c', 'echo child; echo child-err >&2'])\nprint('after')",
    );
}

#[python_container_test(fixture = matrix_spec)]
fn eval_gives_the_same_values_and_errors(py: &PythonContainer) {
    let fast = py.with_fast_path(true);
    let exec = py.with_fast_path(false);
    for expr in [
        "[i * i for i in range(4)]",
        "{'a': None, 'b': 'h\\u00e9'}",
        "print('noise') or 1.5",
        "__name__",
    ] {
        let a: serde_json::Value = fast.eval(expr).unwrap();
        let b: serde_json::Value = exec.eval(expr).unwrap();
        assert_eq!(a, b, "{expr}");
    }
    for expr in ["1 / 0", "{1, 2}", "(", "undefined"] {
        let a = fast
            .eval::<serde_json::Value>(expr)
            .unwrap_err()
            .to_string();
        let b = exec
            .eval::<serde_json::Value>(expr)
            .unwrap_err()
            .to_string();
        assert_eq!(a, b, "{expr}");
    }
}

/// `eval` in both ways, asserting the value.
#[track_caller]
fn eval_both<T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    py: &PythonContainer,
    expr: &str,
    expected: T,
) {
    let fast: T = py.with_fast_path(true).eval(expr).unwrap();
    let exec: T = py.with_fast_path(false).eval(expr).unwrap();
    assert_eq!(fast, expected, "fast path: {expr}");
    assert_eq!(exec, expected, "exec: {expr}");
}

#[python_container_test(fixture = matrix_spec)]
fn eval_returns_every_kind_of_value(py: &PythonContainer) {
    use serde_json::json;
    eval_both(py, "6 * 7", 42i64);
    eval_both(py, "2 ** 63", 9_223_372_036_854_775_808u64);
    eval_both(py, "-(2 ** 63)", i64::MIN);
    eval_both(py, "0.1 + 0.2", 0.1f64 + 0.2);
    eval_both(py, "1e300 * 10", 1e301f64);
    eval_both(
        py,
        r"'h\u00e9llo \u2713 \U0001F600'",
        "héllo ✓ 😀".to_owned(),
    );
    eval_both(py, "None", ());
    eval_both(
        py,
        "[1, 'a', None, True, 2.5]",
        json!([1, "a", null, true, 2.5]),
    );
    eval_both(py, "(1, 2)", [1, 2]);
    eval_both(
        py,
        r"{'k': {'nested': [[], {}, [1, [2, [3]]]]}, 1: 'int key', 'e\u00e9': False}",
        json!({"k": {"nested": [[], {}, [1, [2, [3]]]]}, "1": "int key", "eé": false}),
    );
}

#[python_container_test(fixture = matrix_spec)]
fn the_value_of_eval_has_its_own_channel(py: &PythonContainer) {
    for expr in [
        "print('x') or 5",
        "__import__('os').write(1, b'junk') and 5",
        "__import__('sys').stdout.close() or 5",
        "__import__('sys').stdout.write('no newline') and 5",
        "__import__('atexit').register(print, 'at exit') and 5",
        "__import__('os').close(1) or 5",
    ] {
        eval_both(py, expr, 5i64);
    }
    let err = py.eval::<i64>("__import__('os')._exit(0)").unwrap_err();
    assert!(matches!(err, Error::Python { .. }), "{err:?}");
    assert!(err.to_string().contains("before the value"), "{err}");
}

#[python_container_test(fixture = matrix_spec)]
fn output_reaches_its_stream_however_it_is_written(py: &PythonContainer) {
    let cases: [(&str, &[u8]); 6] = [
        ("import sys; sys.stdout.write('no newline')", b"no newline"),
        (
            "import sys; o = sys.stdout; sys.stdout = sys.stderr; o.write('x')",
            b"x",
        ),
        (
            "import io, sys; sys.stdout = io.StringIO(); sys.__stdout__.write('original')",
            b"original",
        ),
        (
            "import sys; sys.stdout.buffer.write(bytes(range(256)))",
            &[],
        ),
        (
            "import sys; print('a'); sys.stdout.flush(); import os; os.write(1, b'b'); print('c')",
            b"a\nbc\n",
        ),
        ("import sys; sys.stdout.write('x' * 3_000_000)", &[]),
    ];
    for (source, expected) in cases {
        let out = code(py, source);
        assert_eq!(out.exit_code, 0, "{source}: {}", out.stderr_str());
        if !expected.is_empty() {
            assert_eq!(out.stdout, expected, "{source}");
        }
    }
    let binary = code(py, cases[3].0);
    assert_eq!(binary.stdout, (0..=255u8).collect::<Vec<_>>());
    assert_eq!(code(py, cases[5].0).stdout.len(), 3_000_000);
    // print and os.write(1) mixed: whatever the buffering, the same bytes
    // in the same order as a fresh interpreter.
    let mixed = code(
        py,
        "import os\nprint('p1')\nos.write(1, b'w1\\n')\nprint('p2')",
    );
    assert_eq!(mixed.stdout.len(), 9);
}

#[python_container_test(fixture = matrix_spec)]
fn atexit_and_files_left_open_are_flushed(py: &PythonContainer) {
    let out = code(
        py,
        "import atexit, sys\natexit.register(lambda: sys.stdout.write('bye'))\nprint('hi')",
    );
    assert_eq!(out.stdout_str(), "hi\nbye");
    for fast in [true, false] {
        let handle = py.with_fast_path(fast);
        handle
            .exec(["rm", "-f", "kept.txt", "cycle.txt", "temp.txt"])
            .unwrap()
            .assert_success();
        // Held by a module, by `__main__` in a reference cycle, by nothing.
        handle
            .python(
                "import sys\nf = open('kept.txt', 'w'); f.write('kept'); sys.kept = f\n\
                 c = open('cycle.txt', 'w'); c.write('cycle'); c.me = c\n\
                 open('temp.txt', 'w').write('temporary')",
            )
            .unwrap()
            .assert_success();
        for (file, text) in [
            ("kept.txt", "kept"),
            ("cycle.txt", "cycle"),
            ("temp.txt", "temporary"),
        ] {
            assert_eq!(
                py.read_file(file).unwrap(),
                text.as_bytes(),
                "{file}, fast: {fast}"
            );
        }
    }
}

#[python_container_test(fixture = matrix_spec)]
fn eight_threads_eval_at_once_on_one_handle(py: &PythonContainer) {
    for fast in [true, false] {
        let handle = py.with_fast_path(fast);
        std::thread::scope(|s| {
            for t in 0..8i64 {
                let handle = &handle;
                s.spawn(move || {
                    for i in 0..5i64 {
                        let expr = format!("print('noise') or [{t}, {i}, 'h\\u00e9']");
                        let v: (i64, i64, String) = handle.eval(&expr).unwrap();
                        assert_eq!(v, (t, i, "hé".to_owned()), "fast: {fast}");
                    }
                });
            }
        });
    }
}

#[python_container_test(fixture = matrix_spec)]
fn large_output_arrives_whole(py: &PythonContainer) {
    let source = "import sys\nchunk = bytes(range(256)) * 4096\nfor _ in range(95):\n    sys.stdout.buffer.write(chunk)\n\
                  sys.stdout.buffer.write(b'end')\nsys.stderr.write('e' * 3_000_000)";
    let started = Instant::now();
    let fast = py.with_fast_path(true).python(source).unwrap();
    let fast_took = started.elapsed();
    let started = Instant::now();
    let exec = py.with_fast_path(false).python(source).unwrap();
    let exec_took = started.elapsed();
    eprintln!("100 MB of stdout: fast path {fast_took:?}, exec {exec_took:?}");
    assert_eq!(fast.stdout.len(), 95 * (1 << 20) + 3);
    let pattern: Vec<u8> = (0..=255u8).collect();
    assert!(fast.stdout[..95 << 20]
        .chunks(256)
        .all(|c| c == pattern.as_slice()));
    assert!(fast.stdout.ends_with(b"end"));
    assert_eq!(fast.stderr.len(), 3_000_000);
    assert_same(&fast, &exec);
    assert!(fast_took < Duration::from_secs(30), "{fast_took:?}");
}

#[python_container_test(fixture = matrix_spec)]
fn calls_from_many_threads_run_at_once(py: &PythonContainer) {
    let fast = py.with_fast_path(true);
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..8 {
            let fast = &fast;
            s.spawn(move || {
                let out = fast
                    .python(&format!("import time; time.sleep(1); print({t})"))
                    .unwrap();
                assert_eq!(out.stdout_str(), format!("{t}\n"));
            });
        }
    });
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(4),
        "8 calls of 1 s took {took:?}: not concurrent"
    );
    std::thread::scope(|s| {
        for t in 0..16 {
            let fast = &fast;
            s.spawn(move || {
                for i in 0..20 {
                    let v: i64 = fast.eval(&format!("{t} * 1000 + {i}")).unwrap();
                    assert_eq!(v, t * 1000 + i);
                    let out = fast
                        .python(&format!(
                            "import sys; print({t}, {i}); print({i}, file=sys.stderr)"
                        ))
                        .unwrap();
                    assert_eq!(
                        (out.stdout_str(), out.stderr_str()),
                        (format!("{t} {i}\n"), format!("{i}\n"))
                    );
                }
            });
        }
    });
}

#[python_container_test(fixture = matrix_spec, preload = ["decimal"])]
fn preloaded_modules_are_imported_once(py: &PythonContainer) {
    let fast = py.with_fast_path(true);
    let loaded = "import sys; print('decimal' in sys.modules, id(sys.modules.get('decimal')))";
    let first = fast.python(loaded).unwrap().stdout_str();
    assert!(first.starts_with("True "), "{first}");
    // The very same module object: imported in the parent, not per call.
    assert_eq!(fast.python(loaded).unwrap().stdout_str(), first);
    let exec = py
        .with_fast_path(false)
        .python(loaded)
        .unwrap()
        .stdout_str();
    assert!(
        exec.starts_with("False "),
        "plain python does not preload: {exec}"
    );
}

#[python_container_test(fixture = matrix_spec, preload = ["decimal"])]
fn no_state_leaks_from_one_call_to_the_next(py: &PythonContainer) {
    let fast = py.with_fast_path(true);
    fast.python(
        "import builtins, decimal, os, sys, random\n\
         builtins.LEAK = decimal.LEAK = 1\ndecimal.getcontext().prec = 3\n\
         os.environ['LEAK'] = '1'\nos.chdir('/')\nsys.path.append('/leak')\nsys.modules['leak'] = sys",
    )
    .unwrap()
    .assert_success();
    let check = "import builtins, decimal, os, sys\n\
        print(hasattr(builtins, 'LEAK'), hasattr(decimal, 'LEAK'), decimal.getcontext().prec,\n\
              'LEAK' in os.environ, os.getcwd() == sys.argv[0] or os.getcwd(), '/leak' in sys.path, 'leak' in sys.modules)";
    let out = fast.python(check).unwrap();
    assert!(
        out.stdout_str().starts_with("False False 28 False "),
        "{}",
        out.stdout_str()
    );
    assert!(
        out.stdout_str().ends_with("False False\n"),
        "{}",
        out.stdout_str()
    );
    // Each call draws fresh random numbers, as a fresh interpreter does.
    let draw = "import random; print(random.random())";
    assert_ne!(
        fast.python(draw).unwrap().stdout,
        fast.python(draw).unwrap().stdout
    );
}

#[python_container_test(fixture = matrix_spec)]
fn a_timeout_kills_the_call(py: &PythonContainer) {
    for fast in [true, false] {
        let handle = py.with_fast_path(fast);
        let pid_file = format!("pid-{fast}");
        let source = format!(
            "import os, time\nopen('{pid_file}', 'w').write(str(os.getpid()))\ntime.sleep(60)"
        );
        let options = ExecOptions {
            timeout: Some(Duration::from_secs(1)),
            ..Default::default()
        };
        let started = Instant::now();
        let err = handle.python_with(&source, options).unwrap_err();
        assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("`python3 -c import os"),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        let pid = String::from_utf8(py.read_file(&pid_file).unwrap()).unwrap();
        let gone = format!("__import__('os').path.exists('/proc/{pid}')");
        let deadline = Instant::now() + Duration::from_secs(5);
        while py.eval::<bool>(&gone).unwrap() {
            assert!(
                Instant::now() < deadline,
                "the timed-out call {pid} (fast: {fast}) still runs"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[python_container_test(image = NUMPY_IMAGE, preload = ["numpy"])]
fn numpy_preloaded_gives_the_same_results(py: &PythonContainer) {
    let out = code(
        py,
        "import numpy; print(numpy.zeros(3).sum(), numpy.arange(6).reshape(2, 3).T.tolist())",
    );
    assert_eq!(out.stdout_str(), "0.0 [[0, 3], [1, 4], [2, 5]]\n");
    code(py, "import numpy; numpy.array([1]) + 'a'");
    let draw = "import numpy; print(numpy.random.rand())";
    let fast = py.with_fast_path(true);
    assert_ne!(
        fast.python(draw).unwrap().stdout,
        fast.python(draw).unwrap().stdout
    );
}

/// What data pipelines do in a call: pools of processes (the image's
/// default start method: fork, or forkserver from 3.14 on; and spawn),
/// an executor, a subprocess and a thread, the same both ways.
#[python_container_test(fixture = matrix_spec)]
fn processes_and_threads_of_a_call(py: &PythonContainer) {
    let code = r#"
import concurrent.futures as cf, multiprocessing as mp, subprocess, sys, threading
if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(mp.get_start_method() in ("fork", "forkserver"), pool.map(abs, [-1, -2]))
    with mp.get_context("spawn").Pool(1) as pool:
        print("spawn", pool.map(abs, [-3]))
    with cf.ProcessPoolExecutor(2) as ex:
        print("executor", list(ex.map(abs, [-4, -5])))
    child = subprocess.run([sys.executable, "-c", "print(6)"], capture_output=True, text=True)
    print("subprocess", child.stdout.strip())
    thread = threading.Thread(target=print, args=("thread",))
    thread.start()
    thread.join()
"#;
    let out = both(py, |p| p.python(code));
    out.assert_success();
    assert_eq!(
        out.stdout_str(),
        "True [1, 2]\nspawn [3]\nexecutor [4, 5]\nsubprocess 6\nthread\n"
    );
}
