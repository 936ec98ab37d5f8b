//! Files in and out by fast Python calls instead of the engine's archive
//! API, which packs or unpacks each archive in a process of its own (about
//! 40–50 ms and as much of the engine's CPU per copy, measured on Docker
//! 20.10). In: an archive packed by [`crate::copy`] of up to
//! [`WRITE_WARM_MAX`] is turned into records that [`WRITE_FILES`] writes,
//! as the container's user, where the engine would have unpacked them.
//! Out: [`READ_FILE`] writes a regular file's bytes to the call's stdout
//! (through links, as `open` does); anything else (a folder, a file the
//! user cannot read) is left to the engine, which reads as root.

use crate::error::{Error, Result};
use crate::exec::ExecOutput;

/// The largest archive written through a Python call (its bytes travel as
/// JSON text, up to 6 bytes a byte); a larger one goes through the engine.
pub(crate) const WRITE_WARM_MAX: usize = 256 << 10;

/// `python -c READ_FILE <path> <limit>`: the bytes of the regular file at
/// `<path>` (a link followed) on stdout (exit 0); exit 2: nothing there;
/// exit 3: not a regular file this user can read, or larger than `<limit>`
/// bytes (the engine reads it).
pub(crate) const READ_FILE: &str = r#"import os, stat, sys
try:
    fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
except FileNotFoundError:
    sys.exit(2)
except OSError:
    sys.exit(3)
found = os.fstat(fd)
if not stat.S_ISREG(found.st_mode) or found.st_size > int(sys.argv[2]):
    sys.exit(3)
while True:
    chunk = os.read(fd, 1 << 20)
    if not chunk:
        break
    view = memoryview(chunk)
    while view:
        view = view[os.write(1, view):]
"#;

/// `python -c WRITE_FILES <parent>`, the records on stdin:
/// `<kind> <mode> <size> <name>\n<size bytes>` each, `kind` `f` (a file,
/// the bytes its contents), `d` (a folder) or `l` (a symbolic link, the
/// bytes its target), `mode` octal, `name` relative to `<parent>`, which is
/// made first. As the engine unpacks an archive: an existing folder is
/// merged with a folder, anything else there replaced, but a folder is
/// never replaced by a non-folder; folders get their mode last.
pub(crate) const WRITE_FILES: &str = r#"import os, stat, sys
base = sys.argv[1]
data = sys.stdin.buffer.read()
os.makedirs(base, exist_ok=True)
at, folders = 0, []
while at < len(data):
    end = data.index(b"\n", at)
    kind, mode, size, name = data[at:end].split(b" ", 3)
    mode, size = int(mode, 8), int(size)
    body, at = data[end + 1:end + 1 + size], end + 1 + size
    path = os.path.join(base, os.fsdecode(name))
    try:
        found = os.lstat(path).st_mode
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISDIR(found):
        if kind != b"d":
            raise IsADirectoryError("cannot overwrite the folder %s with a non-folder" % path)
    elif found is not None:
        os.unlink(path)
    if kind == b"d":
        if found is None:
            os.mkdir(path, 0o700)
        folders.append((path, mode))
    elif kind == b"l":
        os.symlink(os.fsdecode(body), path)
    else:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view):]
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
for path, mode in reversed(folders):
    os.chmod(path, mode)
"#;

/// The records of `archive` for [`WRITE_FILES`]; `None` when it holds what
/// they cannot (an entry other than a file, folder or symbolic link, or a
/// name with a newline): the engine unpacks that one.
pub(crate) fn records(archive: &[u8]) -> Option<Vec<u8>> {
    let mut records = Vec::with_capacity(archive.len());
    let mut entries = tar::Archive::new(archive);
    for entry in entries.entries().ok()? {
        let mut entry = entry.ok()?;
        let header = entry.header();
        let mode = header.mode().ok()? & 0o7777;
        let kind = match header.entry_type() {
            tar::EntryType::Regular => 'f',
            tar::EntryType::Directory => 'd',
            tar::EntryType::Symlink => 'l',
            _ => return None,
        };
        let name = entry.path_bytes().into_owned();
        let name = name.strip_suffix(b"/").unwrap_or(&name).to_vec();
        if name.contains(&b'\n') {
            return None;
        }
        let mut body = Vec::new();
        if kind == 'l' {
            body = entry.link_name_bytes()?.into_owned();
        } else {
            std::io::Read::read_to_end(&mut entry, &mut body).ok()?;
        }
        records.extend_from_slice(format!("{kind} {mode:o} {} ", body.len()).as_bytes());
        records.extend_from_slice(&name);
        records.push(b'\n');
        records.extend_from_slice(&body);
    }
    Some(records)
}

/// What a [`WRITE_FILES`] call into `parent` came to.
pub(crate) fn written(parent: &str, container: &str, out: ExecOutput) -> Result<()> {
    if out.success() {
        return Ok(());
    }
    let stderr = out.stderr_str();
    let detail = stderr
        .trim_end()
        .lines()
        .last()
        .unwrap_or("no reason given");
    Err(Error::Write {
        path: parent.to_owned(),
        container: container.to_owned(),
        detail: detail.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copy;

    #[test]
    fn a_file_a_folder_and_a_link_become_records() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("top");
        std::fs::create_dir(&top).unwrap();
        std::fs::write(top.join("data.bin"), [0u8, b'\n', 255]).unwrap();
        std::os::unix::fs::symlink("data.bin", top.join("link")).unwrap();
        let archive = copy::tar_path(&top, "top", (1000, 1000)).unwrap();
        let records = String::from_utf8_lossy(&records(&archive).unwrap()).into_owned();
        assert!(records.starts_with("d 755 0 top\n"), "{records:?}");
        assert!(
            records.contains("f 644 3 top/data.bin\n\0\n\u{fffd}"),
            "{records:?}"
        );
        assert!(
            records.contains("l 777 8 top/link\ndata.bin"),
            "{records:?}"
        );
    }

    #[test]
    fn a_name_with_a_newline_is_left_to_the_engine() {
        let archive = copy::tar_file("two\nlines", b"x", (0, 0)).unwrap();
        assert_eq!(records(&archive), None);
    }
}
