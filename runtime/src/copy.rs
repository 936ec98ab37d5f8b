//! Files in and out of the container, as tar archives.
//!
//! Out of the container, every entry is checked before anything is written:
//! no `..`, no absolute path, no link that points outside the target.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Who the files in an archive belong to (uid, gid).
pub(crate) type Owner = (u32, u32);

/// A tar holding one file `name` with `bytes`.
pub(crate) fn tar_file(name: &str, bytes: &[u8], owner: Owner) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = header(tar::EntryType::Regular, 0o644, owner);
    header.set_size(bytes.len() as u64);
    builder
        .append_data(&mut header, name, bytes)
        .map_err(|source| host_err(name, source))?;
    builder
        .into_inner()
        .map_err(|source| host_err(name, source))
}

/// A tar of the host file or folder `source`, its top entry renamed `name`,
/// every entry owned by `owner`. Symlinks are kept as links.
pub(crate) fn tar_path(source: &Path, name: &str, owner: Owner) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    append_tree(&mut builder, source, Path::new(name), owner)?;
    builder.into_inner().map_err(|e| host_err(source, e))
}

fn append_tree(
    builder: &mut tar::Builder<Vec<u8>>,
    source: &Path,
    name: &Path,
    owner: Owner,
) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::symlink_metadata(source).map_err(|e| host_err(source, e))?;
    let mode = metadata.permissions().mode() & 0o7777;
    let file_type = metadata.file_type();
    if file_type.is_symlink() {
        let target = std::fs::read_link(source).map_err(|e| host_err(source, e))?;
        let mut header = header(tar::EntryType::Symlink, 0o777, owner);
        builder
            .append_link(&mut header, name, target)
            .map_err(|e| host_err(source, e))
    } else if file_type.is_dir() {
        let mut header = header(tar::EntryType::Directory, mode, owner);
        builder
            .append_data(&mut header, name, std::io::empty())
            .map_err(|e| host_err(source, e))?;
        let mut children: Vec<_> = std::fs::read_dir(source)
            .map_err(|e| host_err(source, e))?
            .collect::<std::io::Result<_>>()
            .map_err(|e| host_err(source, e))?;
        children.sort_by_key(|c| c.file_name());
        for child in children {
            append_tree(builder, &child.path(), &name.join(child.file_name()), owner)?;
        }
        Ok(())
    } else {
        let file = std::fs::File::open(source).map_err(|e| host_err(source, e))?;
        let mut header = header(tar::EntryType::Regular, mode, owner);
        header.set_size(metadata.len());
        builder
            .append_data(&mut header, name, file)
            .map_err(|e| host_err(source, e))
    }
}

fn header(kind: tar::EntryType, mode: u32, (uid, gid): Owner) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(uid.into());
    header.set_gid(gid.into());
    header.set_mtime(now());
    header.set_size(0);
    header
}

/// The bytes of the single regular file in `archive`.
pub(crate) fn untar_file(archive: &[u8], path: &str) -> Result<Vec<u8>> {
    let mut archive = tar::Archive::new(archive);
    let mut entries = archive.entries().map_err(|e| host_err(path, e))?;
    let Some(entry) = entries.next() else {
        return Err(unsafe_entry(path, "the archive is empty"));
    };
    let mut entry = entry.map_err(|e| host_err(path, e))?;
    if entry.header().entry_type() != tar::EntryType::Regular {
        return Err(unsafe_entry(
            path,
            "not a regular file (use copy_from for folders)",
        ));
    }
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| host_err(path, e))?;
    Ok(bytes)
}

/// Unpacks `archive` so that its top entry becomes `dest`. Refuses, before
/// writing anything, any entry that would land outside `dest`.
pub(crate) fn untar_to(archive: &[u8], dest: &Path) -> Result<()> {
    let mut planned = Vec::new();
    for entry in tar::Archive::new(archive)
        .entries()
        .map_err(|e| host_err(dest, e))?
    {
        let entry = entry.map_err(|e| host_err(dest, e))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let relative = inside_path(&raw)?;
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Regular | tar::EntryType::Directory => {}
            tar::EntryType::Symlink => {
                let link = entry
                    .link_name()
                    .map_err(|e| host_err(dest, e))?
                    .ok_or_else(|| unsafe_entry(&raw, "a symlink without a target"))?;
                check_link(&relative, &link).map_err(|reason| unsafe_entry(&raw, &reason))?;
            }
            tar::EntryType::Link => {
                return Err(unsafe_entry(&raw, "hard links are not copied"));
            }
            other => {
                return Err(unsafe_entry(
                    &raw,
                    &format!("entries of type {other:?} are not copied"),
                ))
            }
        }
        planned.push(relative);
    }
    let mut archive = tar::Archive::new(archive);
    archive.set_preserve_permissions(true);
    for (entry, relative) in archive
        .entries()
        .map_err(|e| host_err(dest, e))?
        .zip(planned)
    {
        let mut entry = entry.map_err(|e| host_err(dest, e))?;
        let target = dest.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| host_err(parent, e))?;
        }
        entry.unpack(&target).map_err(|e| host_err(&target, e))?;
    }
    Ok(())
}

/// The entry's path below the archive's top entry; refuses absolute paths
/// and `..`.
fn inside_path(raw: &str) -> Result<PathBuf> {
    let mut relative = PathBuf::new();
    for (i, component) in Path::new(raw).components().enumerate() {
        match component {
            Component::Normal(part) if i > 0 => relative.push(part),
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_entry(raw, "the path contains `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_entry(raw, "the path is absolute"))
            }
        }
    }
    Ok(relative)
}

/// Checks that a symlink at `at` (relative to the target) pointing to `link`
/// stays inside the target.
fn check_link(at: &Path, link: &Path) -> std::result::Result<(), String> {
    if link.is_absolute() {
        return Err(format!(
            "a symlink to the absolute path `{}`",
            link.display()
        ));
    }
    let mut depth: i64 = at.components().count() as i64 - 1;
    for component in link.components() {
        match component {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return Err(format!(
                "a symlink to `{}`, outside the copied folder",
                link.display()
            ));
        }
    }
    Ok(())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn host_err(path: impl AsRef<Path>, source: std::io::Error) -> Error {
    Error::HostPath {
        path: path.as_ref().to_path_buf(),
        source,
    }
}

fn unsafe_entry(entry: &str, reason: &str) -> Error {
    Error::UnsafeArchive {
        entry: entry.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_tar(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
        // Header::set_path refuses `..`, so write the name bytes directly,
        // as a hostile archive would.
        let mut out = Vec::new();
        for (path, kind, link) in entries {
            let mut header = tar::Header::new_old();
            header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            header.set_size(if *kind == tar::EntryType::Regular {
                1
            } else {
                0
            });
            header.set_cksum();
            out.extend_from_slice(header.as_bytes());
            if *kind == tar::EntryType::Regular {
                let mut block = [0u8; 512];
                block[0] = b'x';
                out.extend_from_slice(&block);
            }
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    fn refused(entries: &[(&str, tar::EntryType, &str)]) -> bool {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let result = untar_to(&raw_tar(entries), &dest);
        // Nothing is written when an entry is refused.
        let wrote = dest.exists();
        matches!(result, Err(Error::UnsafeArchive { .. })) && !wrote
    }

    #[test]
    fn refuses_parent_dir_entries() {
        use tar::EntryType::*;
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/../../evil", Regular, "")
        ]));
    }

    #[test]
    fn refuses_absolute_entries() {
        assert!(refused(&[("/etc/evil", tar::EntryType::Regular, "")]));
    }

    #[test]
    fn refuses_symlinks_pointing_out() {
        use tar::EntryType::*;
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/l", Symlink, "/etc/passwd")
        ]));
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/l", Symlink, "../../x")
        ]));
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/a/l", Symlink, "../../x")
        ]));
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/h", Link, "top/x")
        ]));
    }

    #[test]
    fn unpacks_files_dirs_and_inner_links() {
        use tar::EntryType::*;
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let tar = raw_tar(&[
            ("top/", Directory, ""),
            ("top/a/", Directory, ""),
            ("top/a/f", Regular, ""),
            ("top/a/l", Symlink, "../a/f"),
        ]);
        untar_to(&tar, &dest).unwrap();
        assert_eq!(std::fs::read(dest.join("a/f")).unwrap(), b"x");
        assert_eq!(std::fs::read(dest.join("a/l")).unwrap(), b"x");
    }

    #[test]
    fn round_trips_a_single_file() {
        let tar = tar_file("f.bin", &[0, 159, 255], (1000, 1000)).unwrap();
        assert_eq!(untar_file(&tar, "f.bin").unwrap(), vec![0, 159, 255]);
    }
}
