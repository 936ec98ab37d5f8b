//! Container options of `ContainerSpec`, checked inside the container and
//! with `docker inspect`.

use python_container_test::{ContainerError, ContainerSpec, Error, PythonContainer};
use python_container_test_e2e::{container_exists, docker, relays, wait_until_empty, IMAGE};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

fn inspect(py: &PythonContainer, format: &str) -> String {
    docker(&["inspect", "--format", format, py.id()])
}

fn spec(test: &str) -> ContainerSpec {
    ContainerSpec::image(IMAGE).env("E2E_OPTIONS", test)
}

#[test]
fn env_user_and_workdir() {
    let py = PythonContainer::start(
        spec("env-user-workdir")
            .env("MODE", "test")
            .user("0")
            .workdir("/srv"),
    )
    .unwrap();
    let out = py
        .exec(["sh", "-c", "echo $MODE; id -u; readlink /proc/1/cwd"])
        .unwrap();
    assert_eq!(out.stdout_str(), "test\n0\n/srv\n");
    // Calls still run in the test's private workdir.
    assert_eq!(
        py.eval::<String>("__import__('os').getcwd()").unwrap(),
        py.workdir()
    );
}

#[test]
fn read_only_and_read_write_mounts() {
    let dir = tempfile::tempdir().unwrap();
    let (ro, rw) = (dir.path().join("ro"), dir.path().join("rw"));
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::create_dir_all(&rw).unwrap();
    std::fs::set_permissions(&rw, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::write(ro.join("input.txt"), "from the host").unwrap();
    let py = PythonContainer::start(spec("mounts").mount_ro(&ro, "/data").mount_rw(&rw, "/out"))
        .unwrap();
    assert_eq!(py.read_file("/data/input.txt").unwrap(), b"from the host");
    let denied = py.exec(["sh", "-c", "echo x > /data/new.txt"]).unwrap();
    assert!(!denied.success(), "a read-only mount refuses writes");
    // A small write (a fast Python call) says why, naming the folder; a
    // large one (the engine's archive API) fails too.
    let err = py.write_file("/data/new.txt", "x").unwrap_err();
    assert!(matches!(err, Error::Write { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("`/data`") && text.contains("Read-only file system"),
        "{text}"
    );
    assert!(py
        .write_file("/data/big.bin", vec![0u8; 300 << 10])
        .is_err());
    py.exec(["sh", "-c", "echo written > /out/result.txt"])
        .unwrap()
        .assert_success();
    assert_eq!(
        std::fs::read_to_string(rw.join("result.txt")).unwrap(),
        "written\n"
    );
}

#[test]
fn a_missing_mount_source_is_a_clear_error_before_any_container() {
    let err = PythonContainer::start(spec("bad-mount").mount_ro("/no/such/host/dir", "/data"))
        .unwrap_err();
    assert!(
        matches!(err, Error::Container(ContainerError::InvalidSpec { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("/no/such/host/dir"), "{err}");
}

#[test]
fn tmpfs_limits_and_labels() {
    let py = PythonContainer::start(
        spec("tmpfs-limits")
            .tmpfs("/scratch", "size=16m")
            .memory_limit(256 * 1024 * 1024)
            .cpu_limit(0.5)
            .label("team", "ml"),
    )
    .unwrap();
    let mounts = py.exec(["cat", "/proc/mounts"]).unwrap().stdout_str();
    assert!(
        mounts
            .lines()
            .any(|l| l.starts_with("tmpfs /scratch tmpfs")),
        "{mounts}"
    );
    assert_eq!(inspect(&py, "{{.HostConfig.Memory}}"), "268435456");
    assert_eq!(inspect(&py, "{{.HostConfig.NanoCpus}}"), "500000000");
    assert_eq!(inspect(&py, "{{index .Config.Labels \"team\"}}"), "ml");
    assert_eq!(inspect(&py, "{{.HostConfig.Privileged}}"), "false");
    assert_eq!(
        inspect(&py, "{{.HostConfig.SecurityOpt}}"),
        "[no-new-privileges]"
    );
    assert_eq!(
        inspect(&py, "{{.HostConfig.Binds}}"),
        "[]",
        "no host mounts by default"
    );
}

#[test]
fn network_none_has_only_loopback() {
    let py = PythonContainer::start(spec("net-none").network("none")).unwrap();
    let interfaces: Vec<String> = py
        .eval("sorted(__import__('os').listdir('/sys/class/net'))")
        .unwrap();
    assert_eq!(interfaces, ["lo"]);
    // No port to lease over TCP: the lease fell back to exec (the relay).
    assert_eq!(inspect(&py, "{{json .NetworkSettings.Ports}}"), "{}");
    assert!(relays(&py) >= 1, "an exec lease runs a relay");
}

#[test]
fn network_aliases_on_a_user_defined_network() {
    let network = format!("pct-e2e-{}", std::process::id());
    docker(&[
        "network",
        "create",
        "--label",
        "python-container-test.managed=true",
        &network,
    ]);
    let server = PythonContainer::start(
        spec("net-a")
            .network(&network)
            .network_alias("model-server"),
    )
    .unwrap();
    let client = PythonContainer::start(spec("net-b").network(&network)).unwrap();
    let address: String = client
        .eval("__import__('socket').gethostbyname('model-server')")
        .unwrap();
    let expected = inspect(
        &server,
        &format!("{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}"),
    );
    assert_eq!(address, expected);
    let ids = [server.id().to_owned(), client.id().to_owned()];
    drop((server, client));
    let left = wait_until_empty(Duration::from_secs(10), || {
        ids.iter()
            .filter(|id| container_exists(id))
            .cloned()
            .collect()
    });
    assert!(left.is_empty());
    docker(&["network", "rm", &network]);
}

#[test]
fn wheels_from_a_host_folder_are_installed_at_start() {
    let wheels = concat!(env!("CARGO_MANIFEST_DIR"), "/wheels");
    let py = PythonContainer::start(spec("wheels").pip_wheels(wheels)).unwrap();
    let greeting: String = py.eval("__import__('pct_hello').greet('tests')").unwrap();
    assert_eq!(greeting, "hello, tests, from a wheel");
    // Every byte arrives: the wheel holds Ctrl-P Ctrl-Q, an attach's detach
    // sequence where an engine looks for one (see tests/wheels/README.md).
    let raw = std::fs::read(format!("{wheels}/pct_hello-1.0-py3-none-any.whl")).unwrap();
    assert!(raw.windows(2).any(|w| w == b"\x10\x11"));
    let data: Vec<u8> = py
        .eval("list(__import__('pkgutil').get_data('pct_hello', 'data.bin'))")
        .unwrap();
    assert_eq!(data, (0..=255).collect::<Vec<u8>>());
    // The fast path and plain exec both see it.
    let out = py
        .exec([
            "python3",
            "-c",
            "import pct_hello; print(pct_hello.__name__)",
        ])
        .unwrap();
    assert_eq!(out.stdout_str(), "pct_hello\n");
}

#[test]
fn a_broken_wheel_is_a_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken-1.0-py3-none-any.whl"), "not a zip").unwrap();
    let spec = spec("broken-wheel").pip_wheels(dir.path());
    let err = PythonContainer::start(spec.clone()).unwrap_err();
    assert!(
        matches!(err, Error::Container(ContainerError::Setup { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("pip exited"), "{err}");
    let name = spec.key(&python_container_test::scope()).container_name();
    let left = wait_until_empty(Duration::from_secs(8), || {
        Some(name.clone())
            .filter(|n| container_exists(n))
            .into_iter()
            .collect()
    });
    assert!(
        left.is_empty(),
        "the container of a failed setup removes itself"
    );
}

/// The image's HEALTHCHECK (the project image has one, every 5 s) probes the
/// image's own command, which the agent replaces: it is off, so the engine
/// runs no probe execs and shows no health status. (Podman drops an image's
/// HEALTHCHECK when it loads a Docker archive: there, no status either.)
#[test]
fn the_image_s_healthcheck_is_off() {
    let format = "{{json .Config.Healthcheck}}";
    let image_has_one =
        docker(&["image", "inspect", "--format", format, IMAGE]).contains("import sys");
    let py = PythonContainer::start(spec("healthcheck")).unwrap();
    let container_s = inspect(&py, format);
    assert!(!container_s.contains("import sys"), "{container_s}");
    if image_has_one {
        assert_eq!(
            inspect(&py, "{{json .Config.Healthcheck.Test}}"),
            r#"["NONE"]"#
        );
    }
    // Docker shows no health; Podman's compatible API an empty status.
    let status = "{{if .State.Health}}{{.State.Health.Status}}{{end}}";
    assert_eq!(inspect(&py, status), "");
    assert_eq!(py.eval::<i64>("6 * 7").unwrap(), 42);
}
