use python_container_test::{ContainerSpec, PythonContainer};

#[test]
fn smoke() {
    let py = PythonContainer::start(ContainerSpec::image("python-container-test/python:3.11")).unwrap();
    println!("{py:?}");
    let out = py.python("import sys; print(sys.version)").unwrap();
    println!("{:?}", out);
    let v: Vec<i64> = py.eval("[i*i for i in range(4)]").unwrap();
    assert_eq!(v, [0, 1, 4, 9]);
    py.write_file("a/b.bin", [0u8, 255, 10]).unwrap();
    assert_eq!(py.read_file("a/b.bin").unwrap(), [0u8, 255, 10]);
    println!("{:?}", py.exec(["ls", "-la", "a"]).unwrap().stdout_str());
    println!("{:?}", py.exec(["nope"]));
    println!("{:?}", py.eval::<i64>("1/0"));
    println!("{:?}", py.eval::<i64>("{1}"));
    println!("{:?}", py.exec_with(["cat"], python_container_test::ExecOptions{stdin: Some(b"hi".to_vec()), ..Default::default()}));
    println!("{:?}", py.exec_with(["sleep", "30"], python_container_test::ExecOptions{timeout: Some(std::time::Duration::from_secs(1)), ..Default::default()}));
    println!("{:?}", py.exec(["ps", "aux"]).map(|o| o.stdout_str()));
}
