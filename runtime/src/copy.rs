//! Files in and out of the container, as tar archives.
//!
//! Out of the container ([`untar_to`]), the whole archive is checked before
//! anything is written: entry paths and link targets are followed through
//! the links already there or made by earlier entries, and whatever leads
//! outside the target is refused. Special mode bits are dropped and the
//! umask applies. [`untar_file`] returns at most [`READ_FILE_LIMIT`] bytes.

use crate::error::{Error, Result};
use std::collections::{HashMap, HashSet, VecDeque};
use std::ffi::OsString;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The largest file `read_file` returns: 1 GiB. A larger one is refused with
/// [`Error::TooLarge`] (copy it with `copy_from`).
pub(crate) const READ_FILE_LIMIT: u64 = 1 << 30;

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

/// A GNU header of `kind` with `mode` and `owner`, dated now, of size 0.
pub(crate) fn header(kind: tar::EntryType, mode: u32, (uid, gid): Owner) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_uid(uid.into());
    header.set_gid(gid.into());
    header.set_mtime(now());
    header.set_size(0);
    header
}

/// The bytes of the single regular file in `archive`, at most
/// [`READ_FILE_LIMIT`]. The buffer grows with the data that arrives, never
/// from the size the header claims.
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
    let size = entry.size();
    if size > READ_FILE_LIMIT {
        return Err(Error::TooLarge {
            path: path.to_owned(),
            limit: READ_FILE_LIMIT,
        });
    }
    let mut bytes = Vec::new();
    (&mut entry)
        .take(size)
        .read_to_end(&mut bytes)
        .map_err(|e| host_err(path, e))?;
    if bytes.len() as u64 != size {
        return Err(unsafe_entry(path, &truncated(bytes.len() as u64, size)));
    }
    Ok(bytes)
}

/// Whether the first header of an archive (its first 512 bytes) is a
/// regular file claiming more than [`READ_FILE_LIMIT`]: `read_file` can give
/// up before the data arrives. (Other first headers, e.g. a long name's, are
/// left to the size cap of the download and to [`untar_file`].)
pub(crate) fn claims_too_much(head: &[u8]) -> bool {
    let Some(block) = head.get(..512) else {
        return false;
    };
    let header = tar::Header::from_byte_slice(block);
    header.entry_type() == tar::EntryType::Regular
        && header.entry_size().is_ok_and(|size| size > READ_FILE_LIMIT)
}

/// Unpacks `archive` so that its top entry becomes `dest`.
///
/// The whole archive is checked first, against what `dest` already holds and
/// what the entries before each one create: entry paths and link targets are
/// followed through the links met, as the kernel would, and anything that
/// leads outside `dest` is refused ([`Error::UnsafeArchive`]), before anything
/// is written. Hard links must point to a file the archive wrote before. An
/// entry may not replace something of another kind (a folder or a link by a
/// file, ...). Setuid, setgid and sticky bits are dropped; the umask applies.
pub(crate) fn untar_to(archive: &[u8], dest: &Path) -> Result<()> {
    let steps = plan(archive, dest)?;
    write(archive, dest, steps)
}

/// How many symlinks one path may go through (Linux's `MAXSYMLINKS`).
const MAX_HOPS: usize = 40;

/// What is, or will be, at a path below the target.
#[derive(Clone, Debug, PartialEq)]
enum Node {
    Dir,
    File,
    Link(PathBuf),
}

/// What to write for one entry, at a path below the target that goes
/// through no symlink.
enum Step {
    Dir { at: PathBuf, mode: u32 },
    File { at: PathBuf, mode: u32, mtime: u64 },
    Symlink { at: PathBuf, target: PathBuf },
    HardLink { at: PathBuf, source: PathBuf },
    Skip,
}

/// A component of a path being followed.
enum Part {
    Up,
    Name(OsString),
}

/// The target as it will be: what is on disk, overlaid with what the entries
/// checked so far create.
struct Tree<'a> {
    root: &'a Path,
    planned: HashMap<PathBuf, Node>,
    /// Files this archive writes: the only sources hard links may have.
    written: HashSet<PathBuf>,
    /// The symlinks planned (where, target, entry), checked again at the end.
    links: Vec<(PathBuf, PathBuf, String)>,
    /// The entry being checked, named in refusals.
    entry: String,
}

/// Checks every entry of `archive` for unpacking into `dest`: one step each.
fn plan(archive: &[u8], dest: &Path) -> Result<Vec<Step>> {
    let mut tree = Tree {
        root: dest,
        planned: HashMap::new(),
        written: HashSet::new(),
        links: Vec::new(),
        entry: String::new(),
    };
    let mut steps = Vec::new();
    let mut archive = tar::Archive::new(archive);
    for entry in archive.entries().map_err(|e| host_err(dest, e))? {
        let mut entry = entry.map_err(|e| host_err(dest, e))?;
        tree.entry = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        steps.push(tree.plan_entry(&mut entry)?);
    }
    // A later entry may change where an earlier link leads.
    for (at, target, entry) in std::mem::take(&mut tree.links) {
        tree.entry = entry;
        tree.check_link(&at, &target)?;
    }
    Ok(steps)
}

impl Tree<'_> {
    fn plan_entry(&mut self, entry: &mut tar::Entry<&[u8]>) -> Result<Step> {
        use tar::EntryType;
        let kind = entry.header().entry_type();
        if kind == EntryType::XGlobalHeader {
            return Ok(Step::Skip);
        }
        let mode = entry.header().mode().map_err(|e| self.refuse(e))? & 0o777;
        let mtime = entry.header().mtime().unwrap_or_default();
        let path = entry.path().map_err(|e| self.refuse(e))?.into_owned();
        let relative = inside_path(&path, &self.entry)?;
        match kind {
            EntryType::Directory => Ok(Step::Dir {
                at: self.place(&relative, Node::Dir)?,
                mode,
            }),
            EntryType::Regular => {
                self.check_size(entry)?;
                let at = self.place(&relative, Node::File)?;
                self.written.insert(at.clone());
                Ok(Step::File { at, mode, mtime })
            }
            EntryType::Symlink => {
                let target = self.link_name(entry)?;
                let at = self.place(&relative, Node::Link(target.clone()))?;
                self.check_link(&at, &target)?;
                self.links
                    .push((at.clone(), target.clone(), self.entry.clone()));
                Ok(Step::Symlink { at, target })
            }
            EntryType::Link => {
                let source = self.hard_link_source(entry)?;
                let at = self.place(&relative, Node::File)?;
                if at == source {
                    return Err(self.refuse("a hard link to itself"));
                }
                self.written.insert(at.clone());
                Ok(Step::HardLink { at, source })
            }
            other => Err(self.refuse(format!("entries of type {other:?} are not copied"))),
        }
    }

    /// Plans `node` at the entry path `relative`; returns where it lands.
    fn place(&mut self, relative: &Path, node: Node) -> Result<PathBuf> {
        let at = self.locate(relative)?;
        for dir in at.ancestors().skip(1) {
            if self.node(dir)?.is_none() {
                self.planned.insert(dir.to_path_buf(), Node::Dir);
            }
        }
        match self.node(&at)? {
            Some(old) if old != node => {
                return Err(self.refuse(format!(
                    "it would replace {} with {}",
                    describe(&old),
                    describe(&node)
                )))
            }
            _ => {}
        }
        self.planned.insert(at.clone(), node);
        Ok(at)
    }

    /// Where the entry path `relative` lands: its folder followed through
    /// links, its last component not.
    fn locate(&self, relative: &Path) -> Result<PathBuf> {
        let (Some(parent), Some(name)) = (relative.parent(), relative.file_name()) else {
            return Ok(PathBuf::new());
        };
        let (folder, node) = self.resolve(Path::new(""), parent)?;
        self.traversable(relative, &folder, node.as_ref())?;
        Ok(folder.join(name))
    }

    /// Refuses the symlink planned at `at` unless `target`, followed from the
    /// link's folder, stays inside the target.
    fn check_link(&self, at: &Path, target: &Path) -> Result<()> {
        let Some(from) = at.parent() else {
            return Err(self.refuse("the copied path is itself a symlink"));
        };
        self.resolve(from, target).map(drop)
    }

    /// Follows `path` from the folder `from` (below the target) through the
    /// links met, the last one too, as the kernel would. Returns the path
    /// reached, which goes through no symlink, and what is there. Refuses what leaves the target, links to absolute paths, `..`
    /// after a missing component, files in the middle, and link loops.
    fn resolve(&self, from: &Path, path: &Path) -> Result<(PathBuf, Option<Node>)> {
        let mut at = from.to_path_buf();
        let mut node = self.node(&at)?;
        let mut todo = self.parts(path)?;
        let (mut hops, mut missing) = (0, node.is_none());
        while let Some(part) = todo.pop_front() {
            let name = match part {
                Part::Up if missing => {
                    return Err(self.refuse(format!(
                        "`{}` goes up from `{}`, which does not exist",
                        path.display(),
                        at.display()
                    )))
                }
                Part::Up if at.pop() => {
                    node = Some(Node::Dir);
                    continue;
                }
                Part::Up => {
                    return Err(self.refuse(format!(
                        "`{}` leads outside the copied folder",
                        path.display()
                    )))
                }
                Part::Name(name) => name,
            };
            self.traversable(path, &at, node.as_ref())?;
            at.push(name);
            node = self.node(&at)?;
            match &node {
                Some(Node::Link(target)) => {
                    hops += 1;
                    if hops > MAX_HOPS {
                        return Err(self.refuse(format!(
                            "`{}` goes through more than {MAX_HOPS} symlinks",
                            path.display()
                        )));
                    }
                    for part in self.parts(target)?.into_iter().rev() {
                        todo.push_front(part);
                    }
                    at.pop();
                    node = Some(Node::Dir);
                }
                None => missing = true,
                _ => {}
            }
        }
        Ok((at, node))
    }

    /// Refuses going on below `at` (reached following `path`) unless it is
    /// a folder, or missing.
    fn traversable(&self, path: &Path, at: &Path, node: Option<&Node>) -> Result<()> {
        match node {
            Some(Node::File) => Err(self.refuse(format!(
                "`{}` goes through the file `{}`",
                path.display(),
                at.display()
            ))),
            Some(Node::Link(_)) => {
                Err(self.refuse(format!("the target `{}` is a symlink", self.root.display())))
            }
            _ => Ok(()),
        }
    }

    /// The components of a relative `path`; refuses an absolute one.
    fn parts(&self, path: &Path) -> Result<VecDeque<Part>> {
        let mut parts = VecDeque::new();
        for component in path.components() {
            match component {
                Component::Normal(name) => parts.push_back(Part::Name(name.to_owned())),
                Component::ParentDir => parts.push_back(Part::Up),
                Component::CurDir => {}
                Component::RootDir | Component::Prefix(_) => {
                    return Err(
                        self.refuse(format!("a link to the absolute path `{}`", path.display()))
                    )
                }
            }
        }
        Ok(parts)
    }

    /// What is at `at`: planned, else on disk (a last symlink not followed).
    fn node(&self, at: &Path) -> Result<Option<Node>> {
        if let Some(node) = self.planned.get(at) {
            return Ok(Some(node.clone()));
        }
        let path = below(self.root, at);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&path).map_err(|e| host_err(&path, e))?;
                Ok(Some(Node::Link(target)))
            }
            Ok(meta) if meta.is_dir() => Ok(Some(Node::Dir)),
            Ok(_) => Ok(Some(Node::File)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(host_err(&path, e)),
        }
    }

    /// Where the hard link `entry` points: a file written before it.
    fn hard_link_source(&self, entry: &tar::Entry<&[u8]>) -> Result<PathBuf> {
        let name = self.link_name(entry)?;
        let source = self.locate(&inside_path(&name, &self.entry)?)?;
        if self.written.contains(&source) {
            return Ok(source);
        }
        Err(self.refuse(format!(
            "a hard link to `{}`, which is not a file copied before it",
            name.display()
        )))
    }

    fn link_name(&self, entry: &tar::Entry<&[u8]>) -> Result<PathBuf> {
        match entry.link_name() {
            Ok(Some(name)) if !name.as_os_str().is_empty() => Ok(name.into_owned()),
            Ok(_) => Err(self.refuse("a link without a target")),
            Err(e) => Err(self.refuse(e)),
        }
    }

    /// Refuses a file whose data the archive does not hold in full.
    fn check_size(&self, entry: &mut tar::Entry<&[u8]>) -> Result<()> {
        let size = entry.size();
        let got = std::io::copy(entry, &mut std::io::sink()).map_err(|e| self.refuse(e))?;
        if got == size {
            return Ok(());
        }
        Err(self.refuse(truncated(got, size)))
    }

    fn refuse(&self, reason: impl std::fmt::Display) -> Error {
        unsafe_entry(&self.entry, &reason.to_string())
    }
}

fn describe(node: &Node) -> String {
    match node {
        Node::Dir => "a folder".to_owned(),
        Node::File => "a file".to_owned(),
        Node::Link(target) => format!("a symlink to `{}`", target.display()),
    }
}

fn truncated(got: u64, size: u64) -> String {
    format!("the archive holds {got} of the {size} bytes its header claims")
}

/// The host path of `at` (below `root`); `root` itself for the empty path
/// (no trailing `/`, which would follow a symlink).
fn below(root: &Path, at: &Path) -> PathBuf {
    if at.as_os_str().is_empty() {
        root.to_path_buf()
    } else {
        root.join(at)
    }
}

/// Writes the checked `steps`, one per entry of `archive`.
fn write(archive: &[u8], dest: &Path, steps: Vec<Step>) -> Result<()> {
    let mut made = Vec::new();
    let mut archive = tar::Archive::new(archive);
    let entries = archive.entries().map_err(|e| host_err(dest, e))?;
    for (entry, step) in entries.zip(steps) {
        let mut entry = entry.map_err(|e| host_err(dest, e))?;
        match step {
            Step::Dir { at, mode } => {
                let path = below(dest, &at);
                if make_dir(&path, mode)? {
                    made.push((path, mode));
                }
            }
            Step::File { at, mode, mtime } => {
                write_file(&prepare(dest, &at)?, mode, mtime, &mut entry)?
            }
            Step::Symlink { at, target } => {
                let path = prepare(dest, &at)?;
                std::os::unix::fs::symlink(&target, &path).map_err(|e| host_err(&path, e))?
            }
            Step::HardLink { at, source } => {
                let path = prepare(dest, &at)?;
                std::fs::hard_link(below(dest, &source), &path).map_err(|e| host_err(&path, e))?
            }
            Step::Skip => {}
        }
    }
    // Folders stay writable by their owner until their content is in.
    for (path, mode) in made.iter().rev() {
        restrict_dir(path, *mode)?;
    }
    Ok(())
}

/// Makes the parent folders of `at` and removes the file or link there.
fn prepare(dest: &Path, at: &Path) -> Result<PathBuf> {
    let path = below(dest, at);
    if let Some(parent) = path.parent() {
        make_parents(parent)?;
    }
    match std::fs::symlink_metadata(&path) {
        Ok(meta) if !meta.is_dir() => std::fs::remove_file(&path).map_err(|e| host_err(&path, e)),
        _ => Ok(()),
    }?;
    Ok(path)
}

fn make_parents(path: &Path) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .create(path)
        .map_err(|e| host_err(path, e))
}

/// Makes the folder `path` (owner-writable until [`restrict_dir`]); false if
/// it was there.
fn make_dir(path: &Path, mode: u32) -> Result<bool> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(parent) = path.parent() {
        make_parents(parent)?;
    }
    match std::fs::DirBuilder::new().mode(0o700 | mode).create(path) {
        Ok(()) => Ok(true),
        Err(e)
            if e.kind() == std::io::ErrorKind::AlreadyExists
                && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) =>
        {
            Ok(false)
        }
        Err(e) => Err(host_err(path, e)),
    }
}

/// Takes from the folder `path` the owner permissions `mode` lacks.
fn restrict_dir(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path).map_err(|e| host_err(path, e))?;
    let actual = meta.permissions().mode() & 0o777;
    let wanted = actual & !(0o700 & !mode);
    if wanted == actual {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))
        .map_err(|e| host_err(path, e))
}

/// Creates the file `path` (it must not exist) with `mode` (the umask
/// applies) and the data `data`.
fn write_file(path: &Path, mode: u32, mtime: u64, data: &mut impl Read) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| host_err(path, e))?;
    std::io::copy(data, &mut file).map_err(|e| host_err(path, e))?;
    let time = std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(mtime));
    if let Some(time) = time {
        file.set_modified(time).map_err(|e| host_err(path, e))?;
    }
    Ok(())
}

/// The entry's path below the archive's top entry (its first component);
/// refuses absolute paths and `..`.
fn inside_path(path: &Path, raw: &str) -> Result<PathBuf> {
    let mut relative = PathBuf::new();
    let mut top = false;
    for component in path.components() {
        match component {
            Component::Normal(part) if top => relative.push(part),
            Component::Normal(_) => top = true,
            Component::CurDir => {}
            Component::ParentDir => return Err(unsafe_entry(raw, "the path contains `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_entry(raw, "the path is absolute"))
            }
        }
    }
    Ok(relative)
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
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use tar::EntryType::{Directory, Link, Regular, Symlink};

    /// One raw entry: the name bytes are written directly (Header::set_path
    /// refuses `..`), as a hostile archive would.
    fn raw_entry(
        out: &mut Vec<u8>,
        path: &str,
        kind: tar::EntryType,
        link: &str,
        mode: u32,
        data: &[u8],
    ) {
        let mut header = tar::Header::new_gnu();
        header.as_gnu_mut().unwrap().name[..path.len()].copy_from_slice(path.as_bytes());
        header.as_gnu_mut().unwrap().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(data.len() as u64);
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }

    fn raw_tar(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, kind, link) in entries {
            let data: &[u8] = if *kind == Regular { b"x" } else { b"" };
            raw_entry(&mut out, path, *kind, link, 0o644, data);
        }
        out.extend_from_slice(&[0u8; 1024]);
        out
    }

    /// A folder `base` with the target `base/a/b/c/out` three levels down, so
    /// that an escape lands inside `base`, where [`listing`] sees it.
    struct Sandbox {
        base: tempfile::TempDir,
    }

    impl Sandbox {
        fn new() -> Sandbox {
            let base = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(base.path().join("a/b/c")).unwrap();
            Sandbox { base }
        }
        fn dest(&self) -> PathBuf {
            self.base.path().join("a/b/c/out")
        }
        /// Everything below `base`, links not followed.
        fn listing(&self) -> Vec<String> {
            let mut found = Vec::new();
            let mut todo = vec![self.base.path().to_path_buf()];
            while let Some(dir) = todo.pop() {
                for child in std::fs::read_dir(&dir).unwrap() {
                    let path = child.unwrap().path();
                    let rel = path.strip_prefix(self.base.path()).unwrap();
                    found.push(rel.to_string_lossy().into_owned());
                    if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                        todo.push(path);
                    }
                }
            }
            found.sort();
            found
        }
        /// Unpacks `tar`: true if refused as unsafe with nothing written.
        fn refuses(&self, tar: &[u8]) -> bool {
            let before = self.listing();
            let result = untar_to(tar, &self.dest());
            matches!(result, Err(Error::UnsafeArchive { .. })) && self.listing() == before
        }
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

    fn refused(entries: &[(&str, tar::EntryType, &str)]) -> bool {
        Sandbox::new().refuses(&raw_tar(entries))
    }

    #[test]
    fn refuses_parent_dir_entries() {
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/../../evil", Regular, "")
        ]));
    }

    #[test]
    fn refuses_absolute_entries() {
        assert!(refused(&[("/etc/evil", Regular, "")]));
    }

    #[test]
    fn refuses_symlinks_pointing_out() {
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
    fn refuses_the_three_entry_escape() {
        // Each link's text stays inside; followed, `s` is `out/../../..`.
        let sandbox = Sandbox::new();
        let tar = raw_tar(&[
            ("top/t", Symlink, "."),
            ("top/s", Symlink, "t/t/t/../../.."),
            ("top/s/file", Regular, ""),
        ]);
        assert!(sandbox.refuses(&tar));
        assert_eq!(sandbox.listing(), ["a", "a/b", "a/b/c"]);
        // Without the file, the link alone (which would resolve to `a`).
        assert!(refused(&[
            ("top/t", Symlink, "."),
            ("top/s", Symlink, "t/t/t/../../..")
        ]));
    }

    #[test]
    fn refuses_dot_dot_chains_through_earlier_links() {
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/a/", Directory, ""),
            ("top/a/up", Symlink, ".."),
            ("top/esc", Symlink, "a/up/.."),
        ]));
        // A later link changes where an earlier one leads.
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/l", Symlink, "x/.."),
            ("top/x", Symlink, ".")
        ]));
        // A file written through a chain of links that ends outside.
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/a/", Directory, ""),
            ("top/a/up", Symlink, ".."),
            ("top/a/up/a/up/a/b", Symlink, "../../.."),
            ("top/a/b/f", Regular, ""),
        ]));
        assert!(refused(&[
            ("top/", Directory, ""),
            ("top/l", Symlink, "l/x"),
            ("top/l/f", Regular, "")
        ]));
    }

    #[test]
    fn the_copied_path_may_not_be_a_symlink() {
        assert!(refused(&[("top", Symlink, "x")]));
    }

    #[test]
    fn refuses_a_second_archive_through_links_already_there() {
        // What an earlier unpack (or tar < 0.4.45) left in the target.
        let sandbox = Sandbox::new();
        let outside = sandbox.base.path().join("a/outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::set_permissions(&outside, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::create_dir(sandbox.dest()).unwrap();
        std::os::unix::fs::symlink("../../../outside", sandbox.dest().join("d")).unwrap();
        std::os::unix::fs::symlink(&outside, sandbox.dest().join("abs")).unwrap();
        std::os::unix::fs::symlink("..", sandbox.dest().join("up")).unwrap();
        for shape in [
            &[("top/", Directory, ""), ("top/d/x", Regular, "")][..],
            &[("top/", Directory, ""), ("top/abs/x", Regular, "")],
            &[("top/", Directory, ""), ("top/up/x", Regular, "")],
            &[("top/", Directory, ""), ("top/d/", Directory, "")],
            &[("top/", Directory, ""), ("top/abs", Directory, "")],
            // Only once `m` exists does `l` lead through `up`, and out.
            &[
                ("top/", Directory, ""),
                ("top/l", Symlink, "m/up/x"),
                ("top/m", Symlink, "."),
            ],
        ] {
            let mut tar = Vec::new();
            for (path, kind, link) in shape {
                raw_entry(&mut tar, path, *kind, link, 0o777, b"");
            }
            tar.extend_from_slice(&[0; 1024]);
            assert!(sandbox.refuses(&tar), "{shape:?}");
        }
        assert_eq!(mode(&outside), 0o700);
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    }

    #[test]
    fn a_second_archive_follows_links_that_stay_inside() {
        let sandbox = Sandbox::new();
        let first = raw_tar(&[
            ("top/", Directory, ""),
            ("top/sub/", Directory, ""),
            ("top/d", Symlink, "sub"),
        ]);
        untar_to(&first, &sandbox.dest()).unwrap();
        let second = raw_tar(&[("top/", Directory, ""), ("top/d/x", Regular, "")]);
        untar_to(&second, &sandbox.dest()).unwrap();
        assert_eq!(std::fs::read(sandbox.dest().join("sub/x")).unwrap(), b"x");
        assert_eq!(
            std::fs::read_link(sandbox.dest().join("d")).unwrap(),
            Path::new("sub")
        );
        // The same archive again: the link is kept, the file overwritten.
        untar_to(&first, &sandbox.dest()).unwrap();
        untar_to(&second, &sandbox.dest()).unwrap();
    }

    #[test]
    fn hard_links_must_point_to_a_file_copied_before() {
        let sandbox = Sandbox::new();
        let outside = sandbox.base.path().join("a/secret");
        std::fs::write(&outside, "secret").unwrap();
        std::fs::create_dir(sandbox.dest()).unwrap();
        std::os::unix::fs::symlink("../../../secret", sandbox.dest().join("d")).unwrap();
        for link in [
            "/etc/passwd",
            "top/../../secret",
            "top/missing",
            "top/d",
            "top/sub",
            "top/h",
            "../secret",
        ] {
            let tar = raw_tar(&[
                ("top/", Directory, ""),
                ("top/sub/", Directory, ""),
                ("top/h", Link, link),
            ]);
            assert!(sandbox.refuses(&tar), "{link}");
        }
        assert_eq!(std::fs::metadata(&outside).unwrap().nlink(), 1);
        let tar = raw_tar(&[
            ("top/", Directory, ""),
            ("top/f", Regular, ""),
            ("top/h", Link, "top/f"),
        ]);
        let dest = sandbox.base.path().join("fresh");
        untar_to(&tar, &dest).unwrap();
        let (f, h) = (
            dest.join("f").metadata().unwrap(),
            dest.join("h").metadata().unwrap(),
        );
        assert_eq!((f.ino(), f.nlink()), (h.ino(), 2));
    }

    #[test]
    fn special_bits_are_dropped_and_the_umask_applies() {
        let mut tar = Vec::new();
        raw_entry(&mut tar, "top/", Directory, "", 0o1777, b"");
        raw_entry(&mut tar, "top/sgid/", Directory, "", 0o2777, b"");
        raw_entry(&mut tar, "top/ro/", Directory, "", 0o555, b"");
        raw_entry(&mut tar, "top/ro/f", Regular, "", 0o444, b"ro");
        raw_entry(&mut tar, "top/suid", Regular, "", 0o4755, b"x");
        raw_entry(&mut tar, "top/all", Regular, "", 0o6777, b"x");
        tar.extend_from_slice(&[0; 1024]);
        let sandbox = Sandbox::new();
        let dest = sandbox.dest();
        untar_to(&tar, &dest).unwrap();
        let mask = !umask();
        assert_eq!(mode(&dest), 0o777 & mask);
        assert_eq!(mode(&dest.join("sgid")), 0o777 & mask);
        assert_eq!(mode(&dest.join("ro")), 0o555 & mask);
        assert_eq!(mode(&dest.join("ro/f")), 0o444 & mask);
        assert_eq!(mode(&dest.join("suid")), 0o755 & mask);
        assert_eq!(mode(&dest.join("all")), 0o777 & mask);
        assert_eq!(std::fs::read(dest.join("ro/f")).unwrap(), b"ro");
    }

    #[test]
    fn a_huge_size_claim_allocates_nothing() {
        let claim = |size: u64| {
            let mut header = tar::Header::new_gnu();
            header.set_path("f.bin").unwrap();
            header.set_size(size);
            header.set_cksum();
            let mut tar = header.as_bytes().to_vec();
            tar.extend_from_slice(&[7; 512]);
            tar
        };
        let started = std::time::Instant::now();
        for size in [3 << 30, 1 << 40] {
            let err = untar_file(&claim(size), "f.bin").unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::TooLarge {
                        limit: READ_FILE_LIMIT,
                        ..
                    }
                ),
                "{err:?}"
            );
            assert!(Sandbox::new().refuses(&claim(size)));
            assert!(claims_too_much(&claim(size)));
        }
        assert!(!claims_too_much(&claim(READ_FILE_LIMIT)));
        assert!(!claims_too_much(&[0; 100]));
        // Under the limit, the claim is still not trusted.
        let err = untar_file(&claim(READ_FILE_LIMIT), "f.bin").unwrap_err();
        assert!(matches!(err, Error::UnsafeArchive { .. }), "{err:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn unpacks_files_dirs_and_inner_links() {
        let sandbox = Sandbox::new();
        let dest = sandbox.dest();
        let tar = raw_tar(&[
            ("top/", Directory, ""),
            ("top/a/", Directory, ""),
            ("top/a/f", Regular, ""),
            ("top/a/l", Symlink, "../a/f"),
            ("top/link", Symlink, "a/b/deep.bin"),
            ("top/a/b/deep.bin", Regular, ""),
            ("top/dangling", Symlink, "missing/file"),
            ("top/a/up", Symlink, ".."),
            ("top/a/up/a/up/g", Regular, ""),
        ]);
        untar_to(&tar, &dest).unwrap();
        assert_eq!(std::fs::read(dest.join("a/f")).unwrap(), b"x");
        assert_eq!(std::fs::read(dest.join("a/l")).unwrap(), b"x");
        assert_eq!(std::fs::read(dest.join("link")).unwrap(), b"x");
        assert_eq!(
            std::fs::read_link(dest.join("link")).unwrap(),
            Path::new("a/b/deep.bin")
        );
        assert_eq!(std::fs::read(dest.join("g")).unwrap(), b"x");
        assert!(std::fs::symlink_metadata(dest.join("dangling"))
            .unwrap()
            .is_symlink());
    }

    #[test]
    fn round_trips_a_single_file() {
        let tar = tar_file("f.bin", &[0, 159, 255], (1000, 1000)).unwrap();
        assert_eq!(untar_file(&tar, "f.bin").unwrap(), vec![0, 159, 255]);
    }
}
