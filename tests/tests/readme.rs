//! The README's and the crate docs' examples that run Python, as written,
//! against an image set up like the official `python:*` ones
//! ([`OFFICIAL_IMAGE`] stands in for `python:3.12-slim`, which cannot be
//! pulled here). If one of these fails, the README is wrong.

use python_container_test::{python_container_test, ContainerSpec, PythonContainer};
use python_container_test_e2e::OFFICIAL_IMAGE;

// README, first example; also the crate docs' example.
#[python_container_test(image = OFFICIAL_IMAGE)]
fn squares(py: &PythonContainer) {
    let v: Vec<i64> = py.eval("[i * i for i in range(4)]").unwrap();
    assert_eq!(v, [0, 1, 4, 9]);
}

// README, "The attribute": a spec function, an async test returning Result.
fn ml_spec() -> ContainerSpec {
    ContainerSpec::image(OFFICIAL_IMAGE)
        .env("OMP_NUM_THREADS", "1")
        .user("1000")
}

#[python_container_test(fixture = ml_spec)]
async fn model_loads(py: PythonContainer) -> Result<(), python_container_test::Error> {
    // What the README's `tests/data/weights` and `model` module stand for.
    let data = tempfile::tempdir().unwrap();
    let weights = data.path().join("weights");
    std::fs::create_dir(&weights).unwrap();
    std::fs::write(weights.join("classes.txt"), "cat\ndog\n").unwrap();
    py.write_file(
        "model.py",
        "import os\n\
         class Model:\n    def __init__(self, folder):\n        \
         self.classes = open(os.path.join(folder, 'classes.txt')).read().split()\n\
         def load(folder):\n    return Model(folder)\n",
    )?;

    py.copy_to(&weights, "weights")?;
    let classes: Vec<String> = py.eval("__import__('model').load('weights').classes")?;
    assert!(!classes.is_empty());

    assert_eq!(classes, ["cat", "dog"]);
    let uid: u32 = py.eval("__import__('os').getuid()")?;
    assert_eq!(uid, 1000);
    Ok(())
}

// The handle's doc examples: `eval` and `run_module`.
#[python_container_test(image = OFFICIAL_IMAGE)]
fn doc_examples_of_the_handle(py: &PythonContainer) -> python_container_test::Result<()> {
    let total: i64 = py.eval("sum(range(10))")?;
    assert_eq!(total, 45);
    let help = py.run_module("json.tool", ["--help"])?;
    assert!(help.stdout_str().contains("usage"));
    Ok(())
}

// The README's table of arguments: every form compiles and runs.
#[python_container_test(image = OFFICIAL_IMAGE)]
fn arguments_in_every_form(py: &PythonContainer) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("args.py");
    std::fs::write(&script, "import sys; print(sys.argv[1:])").unwrap();
    let owned = vec!["a".to_owned(), "b".to_owned()];
    let expected = "['a', 'b']\n";
    assert_eq!(
        py.run_script(&script, ["a", "b"]).unwrap().stdout_str(),
        expected
    );
    assert_eq!(
        py.run_script(&script, &owned).unwrap().stdout_str(),
        expected
    );
    assert_eq!(
        py.run_script(&script, owned.clone()).unwrap().stdout_str(),
        expected
    );
    assert_eq!(
        py.run_script(&script, &owned[..]).unwrap().stdout_str(),
        expected
    );
    let out = py.run_module("json.tool", [&"--help".to_owned()]).unwrap();
    out.assert_success();
    let out = py.exec(vec!["echo".to_owned(), "x".to_owned()]).unwrap();
    assert_eq!(out.stdout_str(), "x\n");
}
