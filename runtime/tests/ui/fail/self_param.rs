use python_container_test::{python_container_test, PythonContainer};

struct Suite;

impl Suite {
    #[python_container_test(image = "python:3.12-slim")]
    fn self_param(&self, py: &PythonContainer) {
        let _ = py;
    }
}

fn main() {
    let _ = Suite;
}
