use python_container_test::{ContainerSpec, PythonContainer};
use std::time::Instant;
fn main() {
    let t = Instant::now();
    let py = PythonContainer::start(ContainerSpec::image("python-container-test/python:3.11")).unwrap();
    println!("start {:?} fast={}", t.elapsed(), py.fast_path());
    for _ in 0..3 {
        let t = Instant::now();
        py.python("pass").unwrap();
        let a = t.elapsed();
        let t = Instant::now();
        let _: i64 = py.eval("7*7").unwrap();
        println!("pass {:?} eval {:?}", a, t.elapsed());
    }
}
