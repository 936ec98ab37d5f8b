//! `copy_from` against archives from the real engine, and against those
//! made of a fast Python call's records (each test copies both ways): links
//! that lead out of the target are refused before anything is written, and
//! files arrive without setuid/setgid/sticky bits, with the umask applied.

use python_container_test::{python_container_test, Error, PythonContainer};
use python_container_test_e2e::IMAGE;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A host folder with the target three levels down (`a/b/c/out`), so that
/// an escape through `../../..` lands where [`listing`] sees it.
fn sandbox() -> (tempfile::TempDir, PathBuf) {
    let base = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(base.path().join("a/b/c")).unwrap();
    let dest = base.path().join("a/b/c/out");
    (base, dest)
}

/// Everything below `base`, links not followed.
fn listing(base: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo = vec![base.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for child in std::fs::read_dir(&dir).unwrap() {
            let path = child.unwrap().path();
            found.push(path.strip_prefix(base).unwrap().display().to_string());
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                todo.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The handle, by a fast Python call, and the same through the engine.
fn both_ways(py: &PythonContainer) -> [PythonContainer; 2] {
    [py.with_fast_path(true), py.with_fast_path(false)]
}

fn sh(py: &PythonContainer, script: &str) -> String {
    let out = py.exec(["sh", "-c", script]).unwrap();
    out.assert_success();
    out.stdout_str().trim().to_owned()
}

fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
    u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[python_container_test(image = IMAGE)]
fn a_link_chain_that_resolves_outside_is_refused(py: &PythonContainer) {
    // Each link's text stays inside; followed, `s` is `out/../../..`.
    sh(
        py,
        "mkdir esc && cd esc && ln -s . t && ln -s t/t/t/../../.. s",
    );
    for py in both_ways(py) {
        let (base, dest) = sandbox();
        let err = py.copy_from("esc", &dest).unwrap_err();
        assert!(matches!(err, Error::UnsafeArchive { .. }), "{err:?}");
        assert_eq!(listing(base.path()), ["a", "a/b", "a/b/c"]);
    }
}

#[python_container_test(image = IMAGE)]
fn a_second_copy_cannot_write_through_a_link_already_in_the_target(py: &PythonContainer) {
    // What copying `esc` (above) left in the target before the fix.
    let (base, dest) = sandbox();
    std::fs::create_dir(&dest).unwrap();
    std::os::unix::fs::symlink(".", dest.join("t")).unwrap();
    std::os::unix::fs::symlink("t/t/t/../../..", dest.join("s")).unwrap();
    std::os::unix::fs::symlink("..", dest.join("up")).unwrap();
    let before = listing(base.path());
    sh(py, "mkdir -p two/s && echo pwned > two/s/file");
    sh(py, "mkdir -p three/up && echo pwned > three/up/file");
    for (folder, py) in ["two", "three"]
        .into_iter()
        .flat_map(|f| both_ways(py).map(|h| (f, h)))
    {
        let err = py.copy_from(folder, &dest).unwrap_err();
        assert!(matches!(err, Error::UnsafeArchive { .. }), "{err:?}");
        assert_eq!(listing(base.path()), before, "{folder}");
    }
}

#[python_container_test(image = IMAGE)]
fn special_bits_are_dropped_and_the_umask_applies(py: &PythonContainer) {
    let modes = sh(
        py,
        "mkdir -p m/sticky && echo hi > m/suid && echo hi > m/sgid \
         && chmod 777 m && chmod 1777 m/sticky && chmod 4755 m/suid && chmod 2775 m/sgid \
         && stat -c %a m m/sticky m/suid m/sgid",
    );
    assert_eq!(
        modes.split_whitespace().collect::<Vec<_>>(),
        ["777", "1777", "4755", "2775"]
    );
    for py in both_ways(py) {
        let (_base, dest) = sandbox();
        py.copy_from("m", &dest).unwrap();
        let mask = !umask();
        assert_eq!(mode(&dest), 0o777 & mask);
        assert_eq!(mode(&dest.join("sticky")), 0o777 & mask);
        assert_eq!(mode(&dest.join("suid")), 0o755 & mask);
        assert_eq!(mode(&dest.join("sgid")), 0o775 & mask);
        assert_eq!(std::fs::read(dest.join("suid")).unwrap(), b"hi\n");
    }
}

#[python_container_test(image = IMAGE)]
fn hard_links_and_inner_links_come_back(py: &PythonContainer) {
    sh(
        py,
        "mkdir -p h/a && echo data > h/a/f && ln h/a/f h/g && ln -s a/f h/l",
    );
    let (_base, dest) = sandbox();
    py.copy_from("h", &dest).unwrap();
    let (f, g) = (
        dest.join("a/f").metadata().unwrap(),
        dest.join("g").metadata().unwrap(),
    );
    assert_eq!(std::fs::read(dest.join("g")).unwrap(), b"data\n");
    assert_eq!((f.ino(), f.nlink()), (g.ino(), 2));
    assert_eq!(
        std::fs::read_link(dest.join("l")).unwrap(),
        Path::new("a/f")
    );
    assert_eq!(std::fs::read(dest.join("l")).unwrap(), b"data\n");
}

#[python_container_test(image = IMAGE)]
fn read_file_of_a_huge_sparse_file_is_a_clear_error_not_an_abort(py: &PythonContainer) {
    sh(py, "truncate -s 4G huge.bin");
    let started = std::time::Instant::now();
    let err = py.read_file("huge.bin").unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("use copy_from"), "{err}");
    // Refused from the header, before 4 GiB (or 1) crossed the engine.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
