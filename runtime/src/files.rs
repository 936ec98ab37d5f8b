//! Files in and out by fast Python calls instead of the engine's archive
//! API, which packs or unpacks each archive in a process of its own (about
//! 40–50 ms and as much of the engine's CPU per copy, measured on Docker
//! 20.10).
//!
//! Both ways the files travel as **records**, one per file, folder or
//! symbolic link: `<kind> <mode> <mtime> <size> <name>\n<size bytes>`,
//! `kind` `f` (the bytes are the file's), `d` (none) or `l` (the bytes are
//! the link's target), `mode` octal, `mtime` in whole seconds, `name` a
//! relative path (no newline).
//!
//! In: an archive packed by [`crate::copy`] of up to [`WRITE_WARM_MAX`] is
//! turned into records ([`records`]) that [`WRITE_FILES`] writes, as the
//! container's user, where the engine would have unpacked them.
//! Out: [`READ_FILE`] writes a regular file's bytes to the call's stdout
//! (through links, as `open` does); [`READ_TREE`] writes a file, folder or
//! link as records, which [`archive`] turns into the archive the engine
//! would have sent. What they cannot read as the engine would (a hard
//! link, a special file, a file the user cannot read) is left to the
//! engine, which reads as root.

use crate::copy;
use crate::error::{Error, Result};
use crate::exec::ExecOutput;
use std::os::unix::ffi::OsStrExt;

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

/// `python -c READ_TREE <path> <limit>`: what is at `<path>` (a link is
/// not followed), folders walked, as records on stdout (see the module's
/// doc), named from the path's last part down, written as they are read. Exit 2:
/// nothing there; exit 3 (what was written is dropped): what only the
/// engine's archive holds as it should (a hard link, a special file, a
/// name with a newline), what this user cannot read, or more than
/// `<limit>` bytes.
pub(crate) const READ_TREE: &str = r#"import os, stat, sys
root, left = sys.argv[1], int(sys.argv[2])
if root.endswith(("/", "/.")):
    sys.exit(3)
def add(kind, found, name, body=b""):
    global left
    left -= len(name) + len(body) + 64
    if left < 0 or b"\n" in name:
        sys.exit(3)
    mode, mtime = stat.S_IMODE(found.st_mode), int(found.st_mtime)
    view = memoryview(b"%s %o %d %d %s\n%s" % (kind, mode, mtime, len(body), name, body))
    while view:
        view = view[os.write(1, view):]
def visit(path, name):
    found = os.lstat(path)
    if stat.S_ISLNK(found.st_mode):
        add(b"l", found, name, os.fsencode(os.readlink(path)))
    elif stat.S_ISDIR(found.st_mode):
        add(b"d", found, name)
        for child in sorted(os.listdir(path)):
            visit(os.path.join(path, child), name + b"/" + os.fsencode(child))
    elif stat.S_ISREG(found.st_mode) and found.st_nlink == 1 and found.st_size <= left:
        with open(path, "rb") as f:
            add(b"f", found, name, f.read())
    else:
        sys.exit(3)
try:
    visit(root, os.fsencode(os.path.basename(root.rstrip("/")) or "root"))
except FileNotFoundError:
    sys.exit(3 if os.path.lexists(root) else 2)
except (OSError, RecursionError):
    sys.exit(3)
"#;

/// The most [`READ_TREE`] sends; more is left to the engine (which
/// streams its archive from a process of its own).
pub(crate) const TREE_WARM_MAX: u64 = 64 << 20;

/// The archive of [`READ_TREE`]'s records, as the engine's would hold them
/// (entries owned by root); `None` if they are not well formed.
pub(crate) fn archive(records: &[u8]) -> Option<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut rest = records;
    while !rest.is_empty() {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let mut fields = rest[..end].splitn(5, |&b| b == b' ');
        let kind = match fields.next()? {
            b"f" => tar::EntryType::Regular,
            b"d" => tar::EntryType::Directory,
            b"l" => tar::EntryType::Symlink,
            _ => return None,
        };
        let mut number = |radix| {
            let field = std::str::from_utf8(fields.next()?).ok()?;
            u64::from_str_radix(field, radix).ok()
        };
        let (mode, mtime, size) = (number(8)?, number(10)?, number(10)?);
        let name = std::path::Path::new(std::ffi::OsStr::from_bytes(fields.next()?));
        let stop = usize::try_from(size).ok()?.checked_add(end + 1)?;
        let body = rest.get(end + 1..stop)?;
        rest = &rest[stop..];
        let mut header = copy::header(kind, u32::try_from(mode).ok()?, (0, 0));
        header.set_mtime(mtime);
        if kind == tar::EntryType::Symlink {
            let target = std::ffi::OsStr::from_bytes(body);
            builder.append_link(&mut header, name, target).ok()?;
        } else {
            header.set_size(body.len() as u64);
            builder.append_data(&mut header, name, body).ok()?;
        }
    }
    builder.into_inner().ok()
}

/// `python -c WRITE_FILES <parent>`, records (see the module's doc) on
/// stdin, named relative to `<parent>`, which is made first. As the engine
/// unpacks an archive: an existing folder is merged with a folder,
/// anything else there replaced, but a folder is never replaced by a
/// non-folder; folders get their mode and time last.
pub(crate) const WRITE_FILES: &str = r#"import os, stat, sys
base = sys.argv[1]
data = sys.stdin.buffer.read()
os.makedirs(base, exist_ok=True)
at, folders = 0, []
while at < len(data):
    end = data.index(b"\n", at)
    kind, mode, mtime, size, name = data[at:end].split(b" ", 4)
    mode, mtime, size = int(mode, 8), int(mtime), int(size)
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
        folders.append((path, mode, mtime))
        continue
    if kind == b"l":
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
    os.utime(path, (mtime, mtime), follow_symlinks=False)
for path, mode, mtime in reversed(folders):
    os.chmod(path, mode)
    os.utime(path, (mtime, mtime))
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
        let (mode, mtime) = (header.mode().ok()? & 0o7777, header.mtime().ok()?);
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
        let head = format!("{kind} {mode:o} {mtime} {} ", body.len());
        records.extend_from_slice(head.as_bytes());
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
    fn a_file_a_folder_and_a_link_become_records_and_back() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut entry = |kind, mode, name: &str, body: &[u8]| {
            let mut header = copy::header(kind, mode, (1000, 1000));
            header.set_mtime(1_700_000_000);
            if kind == tar::EntryType::Symlink {
                builder.append_link(&mut header, name, "data.bin").unwrap();
            } else {
                header.set_size(body.len() as u64);
                builder.append_data(&mut header, name, body).unwrap();
            }
        };
        entry(tar::EntryType::Directory, 0o755, "top", b"");
        entry(
            tar::EntryType::Regular,
            0o644,
            "top/data.bin",
            &[0, b'\n', 255],
        );
        entry(tar::EntryType::Symlink, 0o777, "top/link", b"");
        let made = records(&builder.into_inner().unwrap()).unwrap();
        let expected: &[u8] = b"d 755 1700000000 0 top\n\
            f 644 1700000000 3 top/data.bin\n\0\n\xff\
            l 777 1700000000 8 top/link\ndata.bin";
        assert_eq!(
            String::from_utf8_lossy(&made),
            String::from_utf8_lossy(expected)
        );
        // And back: the archive of these records gives the same records.
        assert_eq!(records(&archive(&made).unwrap()).unwrap(), made);
    }

    #[test]
    fn records_read_become_the_archive_the_engine_would_send() {
        let records: &[u8] = b"d 750 1700000000 0 top\n\
            f 640 1700000001 3 top/data.bin\n\0\n\xff\
            l 777 1700000002 8 top/link\ndata.bin\
            d 700 1700000003 0 top/empty\n";
        let made = archive(records).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        copy::untar_to(&made, &dest).unwrap();
        let data = dest.join("data.bin");
        assert_eq!(std::fs::read(&data).unwrap(), [0, b'\n', 0xff]);
        let modified = std::fs::metadata(&data).unwrap().modified().unwrap();
        let since = modified.duration_since(std::time::UNIX_EPOCH).unwrap();
        assert_eq!(since.as_secs(), 1700000001);
        let link = std::fs::read_link(dest.join("link")).unwrap();
        assert_eq!(link, std::path::Path::new("data.bin"));
        assert!(dest.join("empty").is_dir());
        // Cut short, of an unknown kind, claiming more than there is: not
        // an archive (the container's word is not trusted).
        assert_eq!(archive(&records[..records.len() - 30]), None);
        assert_eq!(archive(b"p 644 0 0 fifo\n"), None);
        assert_eq!(archive(b"f 644 0 18446744073709551615 x\n"), None);
        assert_eq!(archive(b"f 644 0 -1 x\n"), None);
    }

    #[test]
    fn a_name_with_a_newline_is_left_to_the_engine() {
        let archive = copy::tar_file("two\nlines", b"x", (0, 0)).unwrap();
        assert_eq!(records(&archive), None);
    }
}
