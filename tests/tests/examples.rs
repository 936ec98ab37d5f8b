//! Example tests: what using the crate looks like. Run them with output:
//!
//! ```text
//! cargo test -p python-container-test-e2e --test examples -- --nocapture
//! ```

use python_container_test::{python_container_test, PythonContainer};
use python_container_test_e2e::{IMAGE, NUMPY_IMAGE};
use serde::Deserialize;

/// Python code runs in the container; its value comes back through serde.
#[python_container_test(image = IMAGE)]
fn python_computes_squares(py: &PythonContainer) {
    let squares: Vec<i64> = py.eval("[i * i for i in range(6)]").unwrap();
    println!(
        "[{}] python: [i * i for i in range(6)] = {squares:?}",
        py.name()
    );
    assert_eq!(squares, [0, 1, 4, 9, 16, 25]);
}

#[derive(Debug, Deserialize, PartialEq)]
struct Platform {
    python: String,
    system: String,
    user: String,
}

/// Deserialize Python values into your own types.
#[python_container_test(image = IMAGE)]
fn python_reports_its_platform(py: &PythonContainer) {
    let platform: Platform = py
        .eval("dict(python=__import__('platform').python_version(), system=__import__('platform').system(), user=__import__('getpass').getuser())")
        .unwrap();
    println!(
        "[{}] python {} on {} as {}",
        py.name(),
        platform.python,
        platform.system,
        platform.user
    );
    assert_eq!(platform.system, "Linux");
}

/// Files go in, a script transforms them, results come out.
#[python_container_test(image = IMAGE)]
fn a_data_pipeline_round_trip(py: &PythonContainer) {
    py.write_file("input.csv", "name,score\nada,3\ngrace,5\n")
        .unwrap();
    let out = py
        .python(
            "import csv, json\n\
             rows = list(csv.DictReader(open('input.csv')))\n\
             total = sum(int(r['score']) for r in rows)\n\
             json.dump({'rows': len(rows), 'total': total}, open('summary.json', 'w'))\n\
             print(f'summarised {len(rows)} rows')",
        )
        .unwrap();
    out.assert_success();
    let summary = py.read_file("summary.json").unwrap();
    println!(
        "[{}] {} -> summary.json = {}",
        py.name(),
        out.stdout_str().trim(),
        String::from_utf8_lossy(&summary)
    );
    let summary: serde_json::Value = serde_json::from_slice(&summary).unwrap();
    assert_eq!(summary["total"], 8);
}

/// A real package, installed offline into the example image, computing.
#[python_container_test(image = NUMPY_IMAGE)]
fn numpy_solves_a_linear_system(py: &PythonContainer) {
    let x: Vec<f64> = py
        .eval("__import__('numpy').linalg.solve([[3, 1], [1, 2]], [9, 8]).round(6).tolist()")
        .unwrap();
    let version: String = py.eval("__import__('numpy').__version__").unwrap();
    println!(
        "[{}] numpy {version}: solve([[3,1],[1,2]], [9,8]) = {x:?}",
        py.name()
    );
    assert_eq!(x, [2.0, 3.0]);
}
