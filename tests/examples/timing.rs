//! Times the phases of acquiring a shared container and calling Python in it:
//! `cargo run --release -p python-container-test-e2e --example timing`.

use python_container_test::{ContainerSpec, PythonContainer};
use std::time::Instant;

fn main() {
    let t = Instant::now();
    let py = PythonContainer::start(ContainerSpec::image(python_container_test_e2e::IMAGE))
        .expect("a container");
    println!("acquire {:?} (fast path: {})", t.elapsed(), py.fast_path());
    for _ in 0..3 {
        let t = Instant::now();
        py.python("pass").expect("python");
        let pass = t.elapsed();
        let t = Instant::now();
        let _: i64 = py.eval("7 * 7").expect("eval");
        println!("python(\"pass\") {pass:?}, eval {:?}", t.elapsed());
    }
}
