// trybuild builds this as a plain binary, where rustc drops `#[test]` fns: it
// checks that the macro accepts this use. `tests/macro_ui.rs` type-checks it.
#![allow(unused)]

use python_container_test::{python_container_test, Error, PythonContainer};

#[python_container_test(image = ["python:3.9-slim", "python:3.13-slim"])]
fn result_return(py: &PythonContainer) -> Result<(), Error> {
    let _: i64 = py.eval("1")?;
    Ok(())
}

#[python_container_test(image = ["python:3.9-slim", "python:3.13-slim"])]
async fn async_result(py: PythonContainer) -> Result<(), String> {
    let _ = py;
    Ok(())
}

fn main() {}
