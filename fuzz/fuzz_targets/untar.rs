#![no_main]
//! Unpacks archives built from the fuzz input with the extractor behind
//! `copy_from` and `read_file`, into a target inside a scratch folder, and
//! checks that nothing was made or changed outside the target and that no
//! link in it leads out.
//!
//! `runtime/src/lib.rs` keeps the extractor private, so it is compiled into
//! this crate by path, with a stand-in for the `crate::error` it uses.

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::{HashMap, VecDeque};
use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

#[allow(dead_code)]
#[path = "../../runtime/src/copy.rs"]
mod copy;

/// Stands in for `runtime/src/error.rs`: the variants `copy.rs` builds.
#[allow(dead_code)]
mod error {
    #[derive(Debug)]
    pub enum Error {
        HostPath {
            path: std::path::PathBuf,
            source: std::io::Error,
        },
        UnsafeArchive {
            entry: String,
            reason: String,
        },
        TooLarge {
            path: String,
            limit: u64,
        },
    }
    pub type Result<T, E = Error> = std::result::Result<T, E>;
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Leave links that point out in the target first, as an unpack by an
    /// older version could have.
    preseed: bool,
    /// Unpacked one after the other into the same target.
    archives: Vec<Vec<Entry>>,
}

#[derive(Arbitrary, Debug)]
struct Entry {
    /// Below the top entry `top/`, unless `bare`.
    path: Vec<Part>,
    bare: bool,
    kind: Kind,
    /// Relative to the link (symlinks) or the archive (hard links, below
    /// `top/`), unless `absolute`: then below the absolute `outside` folder.
    target: Vec<Part>,
    absolute: bool,
    mode: u16,
    data: Vec<u8>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Part {
    Up,
    Dot,
    Empty,
    A,
    B,
    S,
    T,
    Top,
    UpLink,
    AbsLink,
    Outside,
}

#[derive(Arbitrary, Debug)]
enum Kind {
    Dir,
    File,
    Symlink,
    HardLink,
    Other(u8),
}

/// The links [`seed`] leaves in the target, all pointing out.
const SEEDED: [(&str, &str); 3] = [("up", ".."), ("s", "t/t/t/../../.."), ("t", ".")];

fuzz_target!(|input: Input| run(input));

fn run(input: Input) {
    let scratch = tempfile::tempdir().unwrap();
    let outside = scratch.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), "secret").unwrap();
    chmod(&outside.join("secret"), 0o600);
    chmod(&outside, 0o700);
    // Deep enough that a `..` chain of the input lands inside `scratch`.
    let dest = scratch.path().join("a/b/c/d/e/f/g/out");
    if input.preseed {
        seed(&dest, &outside);
    }
    for entries in input.archives.iter().take(3) {
        let archive = build(entries, &outside);
        if let Ok(bytes) = copy::untar_file(&archive, "f") {
            assert!(bytes.len() as u64 <= copy::READ_FILE_LIMIT);
        }
        let _ = copy::untar_to(&archive, &dest);
        check(scratch.path(), &dest, &outside, input.preseed);
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn seed(dest: &Path, outside: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    for (name, target) in SEEDED {
        std::os::unix::fs::symlink(target, dest.join(name)).unwrap();
    }
    std::os::unix::fs::symlink(outside, dest.join("abs")).unwrap();
}

fn join(parts: &[Part]) -> String {
    let names: Vec<&str> = parts
        .iter()
        .take(24)
        .map(|part| match part {
            Part::Up => "..",
            Part::Dot => ".",
            Part::Empty => "",
            Part::A => "a",
            Part::B => "b",
            Part::S => "s",
            Part::T => "t",
            Part::Top => "top",
            Part::UpLink => "up",
            Part::AbsLink => "abs",
            Part::Outside => "outside",
        })
        .collect();
    names.join("/")
}

/// A tar of `entries`, names written as bytes (no checks, as a hostile
/// archive would be); entries whose names do not fit are left out.
fn build(entries: &[Entry], outside: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries.iter().take(24) {
        let path = match entry.bare {
            true => join(&entry.path),
            false => format!("top/{}", join(&entry.path)),
        };
        let (byte, link) = match entry.kind {
            Kind::Dir => (b'5', String::new()),
            Kind::File => (b'0', String::new()),
            Kind::Symlink => (b'2', join(&entry.target)),
            Kind::HardLink => (b'1', format!("top/{}", join(&entry.target))),
            Kind::Other(byte) => (byte, join(&entry.target)),
        };
        let link = match entry.absolute {
            true => format!("{}/{}", outside.display(), join(&entry.target)),
            false => link,
        };
        if path.len() > 100 || link.len() > 100 {
            continue;
        }
        let data = &entry.data[..entry.data.len().min(2048)];
        let mut header = tar::Header::new_gnu();
        let gnu = header.as_gnu_mut().unwrap();
        gnu.name[..path.len()].copy_from_slice(path.as_bytes());
        gnu.linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(tar::EntryType::new(byte));
        header.set_mode(u32::from(entry.mode) & 0o7777);
        header.set_size(data.len() as u64);
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

/// Panics if anything outside `dest` in `scratch` was made or changed, if a
/// link in `dest` leads out, or if a mode has special bits or ignores the
/// umask.
fn check(scratch: &Path, dest: &Path, outside: &Path, seeded: bool) {
    let secret = outside.join("secret");
    for path in walk(scratch) {
        let allowed =
            path == outside || path == secret || dest.starts_with(&path) || path.starts_with(dest);
        assert!(allowed, "made outside the target: {}", path.display());
    }
    let meta = std::fs::symlink_metadata(&secret).unwrap();
    assert_eq!(std::fs::read(&secret).unwrap(), b"secret");
    assert_eq!((meta.mode() & 0o7777, meta.nlink()), (0o600, 1));
    assert_eq!(mode(outside), 0o700);
    if std::fs::symlink_metadata(dest).is_err() {
        return;
    }
    let mut inodes: HashMap<u64, u64> = HashMap::new();
    for path in walk(dest) {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let name = path.strip_prefix(dest).unwrap().to_str().unwrap_or("");
        let seeded_link = seeded && (SEEDED.iter().any(|(n, _)| *n == name) || name == "abs");
        if meta.file_type().is_symlink() {
            assert!(
                seeded_link || !escapes(dest, &path),
                "link leads out: {}",
                path.display()
            );
            continue;
        }
        assert_eq!(meta.mode() & 0o7000, 0, "special bits: {}", path.display());
        assert_eq!(
            meta.mode() & umask(),
            0,
            "umask ignored: {}",
            path.display()
        );
        if meta.is_file() {
            *inodes.entry(meta.ino()).or_default() += 1;
            assert!(meta.nlink() >= 1);
        }
    }
    for path in walk(dest) {
        let meta = std::fs::symlink_metadata(&path).unwrap();
        if meta.is_file() {
            assert_eq!(
                inodes[&meta.ino()],
                meta.nlink(),
                "hard link out: {}",
                path.display()
            );
        }
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("Umask:")).unwrap();
        u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap()
    })
}

/// Every path below `root` (itself included), links not followed.
fn walk(root: &Path) -> Vec<PathBuf> {
    let mut found = vec![root.to_path_buf()];
    let mut todo = Vec::new();
    if std::fs::symlink_metadata(root).is_ok_and(|m| m.is_dir()) {
        todo.push(root.to_path_buf());
    }
    while let Some(dir) = todo.pop() {
        for child in std::fs::read_dir(&dir).unwrap() {
            let path = child.unwrap().path();
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                todo.push(path.clone());
            }
            found.push(path);
        }
    }
    found
}

/// Whether the symlink `link` (below `dest`) leads out of `dest`, resolved on
/// disk as the kernel would. `..` after a missing component counts as out:
/// creating that component later could make it so.
fn escapes(dest: &Path, link: &Path) -> bool {
    let parent = link.parent().unwrap().strip_prefix(dest).unwrap();
    let mut at: Vec<OsString> = parent.iter().map(OsString::from).collect();
    let mut todo = VecDeque::new();
    let Some(()) = push_front(&mut todo, &std::fs::read_link(link).unwrap()) else {
        return true;
    };
    let (mut hops, mut missing) = (0, false);
    while let Some(name) = todo.pop_front() {
        let Some(name) = name else {
            if missing || at.pop().is_none() {
                return true;
            }
            continue;
        };
        at.push(name);
        if missing {
            continue;
        }
        let path = at.iter().fold(dest.to_path_buf(), |p, n| p.join(n));
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                hops += 1;
                if hops > 40 {
                    return false; // ELOOP: leads nowhere
                }
                at.pop();
                if push_front(&mut todo, &std::fs::read_link(&path).unwrap()).is_none() {
                    return true;
                }
            }
            Ok(meta) if meta.is_dir() => {}
            _ => missing = true,
        }
    }
    false
}

/// Puts the components of the relative `target` in front of `todo` (`None`
/// for `..`); `None` if `target` is absolute.
fn push_front(todo: &mut VecDeque<Option<OsString>>, target: &Path) -> Option<()> {
    let mut parts = Vec::new();
    for component in target.components() {
        match component {
            Component::RootDir | Component::Prefix(_) => return None,
            Component::CurDir => {}
            Component::ParentDir => parts.push(None),
            Component::Normal(name) => parts.push(Some(name.to_owned())),
        }
    }
    for part in parts.into_iter().rev() {
        todo.push_front(part);
    }
    Some(())
}
