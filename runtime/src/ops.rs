//! The handle's operations, written once as futures that own what they
//! need and run on the crate's runtime: [`PythonContainer`] waits for them,
//! [`AsyncPythonContainer`] awaits them, so neither ever blocks the thread
//! of the caller's runtime. Host file work (reading, packing, unpacking)
//! runs on blocking threads.
//!
//! [`PythonContainer`]: crate::PythonContainer
//! [`AsyncPythonContainer`]: crate::AsyncPythonContainer

use crate::copy;
use crate::error::{Error, Result};
use crate::exec::{self, ExecOptions, ExecOutput};
use crate::files;
use crate::python::{self, PythonCall};
use futures_util::StreamExt;
use python_container_test_fixtures::protocol::{Empty, Op, Workdir};
use python_container_test_fixtures::{self as fixtures, ContainerSpec, LeasedContainer};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

/// What a handle holds: the container, and the test's private workdir,
/// removed when the last handle (blocking or async) is dropped.
struct Inner {
    leased: Arc<LeasedContainer>,
    workdir: String,
    image: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let leased = self.leased.clone();
        let path = std::mem::take(&mut self.workdir);
        if let Ok(runtime) = fixtures::runtime() {
            runtime.spawn(async move {
                let _ = leased
                    .lease()
                    .ask::<Empty>(Op::RemoveWorkdir { path })
                    .await;
            });
        }
    }
}

/// The state both handles share; cloning is cheap.
#[derive(Clone)]
pub(crate) struct Handle {
    inner: Arc<Inner>,
    /// Whether Python calls take the fast path.
    pub(crate) fast: bool,
}

impl Handle {
    /// Acquires a container for `spec` and a workdir for `test_name`.
    pub(crate) async fn acquire(spec: ContainerSpec, test_name: String) -> Result<Handle> {
        let image = spec.image_name();
        let leased = fixtures::acquire_async(spec, Some(test_name.clone())).await?;
        let workdir = match leased.lease().take_workdir(&test_name) {
            Some(made_with_the_lease) => made_with_the_lease,
            None => {
                let made: Workdir = leased
                    .lease()
                    .ask(Op::MakeWorkdir { name: test_name })
                    .await?;
                made.path
            }
        };
        let inner = Arc::new(Inner {
            leased,
            workdir,
            image,
        });
        let fast = python::fast_by_default();
        Ok(Handle { inner, fast })
    }

    /// `argv` as a real `docker exec`.
    pub(crate) fn exec(
        &self,
        argv: Vec<String>,
        options: ExecOptions,
    ) -> impl Future<Output = Result<ExecOutput>> + Send + 'static {
        let workdir = self.resolve(options.workdir.as_deref().unwrap_or("."));
        exec::exec(self.leased().clone(), argv, options, workdir)
    }

    /// A Python call: in the warm interpreter when it can, else exec.
    pub(crate) fn python(
        &self,
        call: PythonCall,
        options: ExecOptions,
    ) -> impl Future<Output = Result<ExecOutput>> + Send + 'static {
        let leased = self.leased().clone();
        let warm = self.fast && python::can_run_warm(&leased, &call, &options);
        let argv = call.argv(self.spec().get_python());
        let workdir = self.resolve(options.workdir.as_deref().unwrap_or("."));
        async move {
            if warm {
                python::run_warm(leased, call, options, workdir).await
            } else {
                exec::exec(leased, argv, options, workdir).await
            }
        }
    }

    /// Copies the host script in and runs it with `args`.
    pub(crate) fn run_script(
        &self,
        host_path: PathBuf,
        args: Vec<String>,
    ) -> impl Future<Output = Result<ExecOutput>> + Send + 'static {
        let handle = self.clone();
        async move {
            let read = host_path.clone();
            let bytes = blocking(move || std::fs::read(&read))
                .await?
                .map_err(|source| Error::HostPath {
                    path: host_path.clone(),
                    source,
                })?;
            let file_name = host_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "script.py".to_owned());
            let script = format!(".python-container-test/scripts/{file_name}");
            handle.write_file(&script, bytes).await?;
            let target = python::Target::Script(handle.resolve(&script));
            let call = PythonCall::new(target, args);
            handle.python(call, ExecOptions::default()).await
        }
    }

    /// Writes `bytes` to `path`, creating its parent folders.
    pub(crate) fn write_file(
        &self,
        path: &str,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        self.pack_and_upload(path, move |name, owner| copy::tar_file(name, &bytes, owner))
    }

    /// The bytes of `path`, up to [`copy::READ_FILE_LIMIT`]: a regular file
    /// the container's user can read by a fast Python call (see
    /// [`files`]), else through the engine's archive API.
    pub(crate) fn read_file(
        &self,
        path: &str,
    ) -> impl Future<Output = Result<Vec<u8>>> + Send + 'static {
        let path = self.resolve(path);
        let handle = self.clone();
        async move {
            if let Some(bytes) = handle.read_warm(&path).await? {
                return Ok(bytes);
            }
            // Room for the tar headers around the file's bytes.
            let limit = copy::READ_FILE_LIMIT + (1 << 16);
            let archive = handle.download(path.clone(), Some(limit)).await?;
            blocking(move || copy::untar_file(&archive, &path)).await?
        }
    }

    /// The bytes of the regular file `path` by a Python call (see
    /// [`read_by_python`](Self::read_by_python)); `None` where it is not one
    /// the container's user can read within the limits, or the fast path is
    /// off (the engine reads it then).
    async fn read_warm(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let limit = exec::max_output()?.min(copy::READ_FILE_LIMIT);
        self.read_by_python(files::READ_FILE, path, limit).await
    }

    /// The archive of what is at `path`, made from [`files::READ_TREE`]'s
    /// records; `None` where the engine's archive is needed (see there), or
    /// the fast path is off (outside a tmpfs mount: see
    /// [`read_by_python`](Self::read_by_python)).
    async fn tree_warm(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let mut limit = exec::max_output()?;
        if !self.spec().get_options().on_tmpfs(path) {
            limit = limit.min(files::TREE_WARM_MAX); // the engine streams more
        }
        let records = self.read_by_python(files::READ_TREE, path, limit).await?;
        match records {
            Some(records) => blocking(move || files::archive(&records)).await,
            None => Ok(None),
        }
    }

    /// What `python -c code <path> <limit>` (a reader of [`files`]) writes
    /// to stdout, if it can run warm (or, in a tmpfs mount, which the
    /// engine's archive API does not reach, at all) and exits 0; exit 2 is
    /// [`Error::NotFound`]; anything else `None` (the engine reads then).
    async fn read_by_python(&self, code: &str, path: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let leased = self.leased();
        let target = python::Target::Code(code.to_owned());
        let call = PythonCall::new(target, [path.to_owned(), limit.to_string()]);
        let options = ExecOptions::default();
        let warm = self.fast && python::can_run_warm(leased, &call, &options);
        if !(warm || self.spec().get_options().on_tmpfs(path)) {
            return Ok(None);
        }
        let out = self.python(call, options).await?;
        match out.exit_code {
            0 => Ok(Some(out.stdout)),
            2 => Err(Error::NotFound {
                path: path.to_owned(),
                container: leased.name().to_owned(),
            }),
            _ => Ok(None),
        }
    }

    /// Copies the host `host_path` to `container_path`.
    pub(crate) fn copy_to(
        &self,
        host_path: PathBuf,
        container_path: &str,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        self.pack_and_upload(container_path, move |name, owner| {
            copy::tar_path(&host_path, name, owner)
        })
    }

    /// Packs the archive whose top entry becomes `container_path` (on a
    /// blocking thread), then uploads it into the parent folder.
    fn pack_and_upload(
        &self,
        container_path: &str,
        pack: impl FnOnce(&str, copy::Owner) -> Result<Vec<u8>> + Send + 'static,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let (parent, name) = split_parent(&self.resolve(container_path));
        let owner = self.owner();
        let handle = self.clone();
        async move {
            let archive = blocking(move || pack(&name, owner)).await??;
            handle.upload(parent, archive).await
        }
    }

    /// Copies the container's `container_path` to the host `host_path`: by
    /// a fast Python call where it can (see [`files::READ_TREE`]), else
    /// through the engine's archive API.
    pub(crate) fn copy_from(
        &self,
        container_path: &str,
        host_path: PathBuf,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let path = self.resolve(container_path);
        let handle = self.clone();
        async move {
            let archive = match handle.tree_warm(&path).await? {
                Some(archive) => archive,
                None => handle.download(path, None).await?,
            };
            blocking(move || copy::untar_to(&archive, &host_path)).await?
        }
    }

    /// The container's output (its main process's stdout and stderr): all
    /// of it, or its last `tail` lines.
    pub(crate) fn logs(
        &self,
        tail: Option<usize>,
    ) -> impl Future<Output = Result<String>> + Send + 'static {
        let (id, name) = (self.id().to_owned(), self.name().to_owned());
        async move {
            let logs = fixtures::client::logs(&id, tail).await;
            logs.map_err(|e| crate::exec::container_error(&name, e))
        }
    }

    /// The host port the container's TCP `port` is published on.
    pub(crate) fn host_port(
        &self,
        port: u16,
    ) -> impl Future<Output = Result<u16>> + Send + 'static {
        let id = self.id().to_owned();
        async move { Ok(fixtures::host_port(&id, port).await?) }
    }

    /// Where this process reaches the container's TCP `port`, published
    /// with `Service::port` (see `fixtures::service_addr`).
    pub(crate) fn service_addr(
        &self,
        port: u16,
    ) -> impl Future<Output = Result<std::net::SocketAddr>> + Send + 'static {
        let id = self.id().to_owned();
        async move { Ok(fixtures::service_addr(&id, port).await?) }
    }

    /// The address at which code in the container reaches this host: this
    /// machine's address towards a remote engine, this container's on a
    /// network it shares with the container, else the gateway of the
    /// container's default route (the engine host's side of its network),
    /// or the loopback with the host's network.
    pub(crate) fn host_address(&self) -> impl Future<Output = Result<String>> + Send + 'static {
        let host_network = self.spec().get_options().network() == Some("host");
        let call = PythonCall::eval(DEFAULT_GATEWAY);
        let running = self.python(call, ExecOptions::default());
        let container = self.name().to_owned();
        let id = self.id().to_owned();
        async move {
            if let Some(ip) = fixtures::this_host_for(&id).await? {
                return Ok(ip.to_string());
            }
            if host_network {
                return Ok("127.0.0.1".to_owned());
            }
            let gateways: Vec<String> = python::decode_eval(DEFAULT_GATEWAY, running.await?)?;
            gateways
                .into_iter()
                .next()
                .ok_or(Error::NoRouteToHost { container })
        }
    }

    /// Keeps the container for debugging; its new name.
    pub(crate) fn keep(&self) -> impl Future<Output = Result<String>> + Send + 'static {
        let leased = self.leased().clone();
        async move { Ok(leased.keep().await?) }
    }

    /// Creates `parent` (as the container's user) and unpacks `archive` in
    /// it: a small one written by a fast Python call (see [`files`]), else
    /// through the engine's archive API; in a tmpfs mount (which that API
    /// does not reach) always by a Python call, fast or not.
    async fn upload(&self, parent: String, archive: Vec<u8>) -> Result<()> {
        let leased = self.leased();
        let on_tmpfs = self.spec().get_options().on_tmpfs(&parent);
        let small = self.fast && archive.len() <= files::WRITE_WARM_MAX;
        let records = (small || on_tmpfs)
            .then(|| files::records(&archive))
            .flatten();
        if let Some(records) = records {
            let target = python::Target::Code(files::WRITE_FILES.to_owned());
            let call = PythonCall::new(target, [parent.as_str()]);
            let options = ExecOptions {
                stdin: Some(records),
                ..Default::default()
            };
            if on_tmpfs || python::can_run_warm(leased, &call, &options) {
                let out = self.python(call, options).await?;
                return files::written(&parent, leased.name(), out);
            }
        } else if on_tmpfs {
            return Err(Error::Write {
                path: parent,
                container: leased.name().to_owned(),
                detail: "it is in a tmpfs mount, which the engine's archive API does not \
                         reach, and the archive holds what only that API writes (a special \
                         file, a name with a newline)"
                    .to_owned(),
            });
        }
        leased
            .lease()
            .ask::<Empty>(Op::MakeDirs {
                path: parent.clone(),
            })
            .await?;
        let uploaded = fixtures::client::upload(leased.id(), &parent, archive).await;
        uploaded.map_err(|e| crate::exec::container_error(leased.name(), e))
    }

    /// The tar archive of `path`; [`Error::TooLarge`] once it grows past
    /// `limit`, or once its first header claims more than a file may hold.
    async fn download(&self, path: String, limit: Option<u64>) -> Result<Vec<u8>> {
        let (id, name) = (self.id(), self.name());
        let gone = |e| crate::exec::container_error(name, e);
        let mut stream = fixtures::client::download(id, &path).await.map_err(gone)?;
        let mut archive = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => archive.extend_from_slice(&bytes),
                Err(e) if e.status() == Some(404) => {
                    let container = name.to_owned();
                    return Err(Error::NotFound { path, container });
                }
                Err(e) => return Err(gone(e)),
            }
            let over = |l: u64| archive.len() as u64 > l || copy::claims_too_much(&archive);
            if limit.is_some_and(over) {
                let limit = copy::READ_FILE_LIMIT;
                return Err(Error::TooLarge { path, limit });
            }
        }
        Ok(archive)
    }

    pub(crate) fn leased(&self) -> &Arc<LeasedContainer> {
        &self.inner.leased
    }

    pub(crate) fn workdir(&self) -> &str {
        &self.inner.workdir
    }

    pub(crate) fn id(&self) -> &str {
        self.inner.leased.id()
    }

    pub(crate) fn name(&self) -> &str {
        self.inner.leased.name()
    }

    pub(crate) fn image(&self) -> &str {
        &self.inner.image
    }

    pub(crate) fn spec(&self) -> &ContainerSpec {
        self.inner.leased.spec()
    }

    /// `path` made absolute against the test's workdir.
    pub(crate) fn resolve(&self, path: &str) -> String {
        if path.starts_with('/') {
            path.to_owned()
        } else if path == "." || path.is_empty() {
            self.inner.workdir.clone()
        } else {
            format!("{}/{}", self.inner.workdir, path.trim_start_matches("./"))
        }
    }

    /// The uid and gid files copied in belong to: the container's user.
    fn owner(&self) -> (u32, u32) {
        self.inner.leased.lease().owner()
    }
}

/// The gateways of the container's default routes, dotted (`/proc/net/route`
/// holds them as little-endian hex).
const DEFAULT_GATEWAY: &str = "[__import__('socket').inet_ntoa(bytes.fromhex(f[2])[::-1]) \
    for f in (l.split() for l in open('/proc/net/route').read().splitlines()[1:]) \
    if f[1] == '00000000' and int(f[3], 16) & 2]";

/// Runs host file work on a blocking thread of the crate's runtime.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|source| Error::HostWork { source })
}

/// `/a/b/c` → (`/a/b`, `c`).
fn split_parent(path: &str) -> (String, String) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some(("", name)) => ("/".to_owned(), name.to_owned()),
        Some((parent, name)) => (parent.to_owned(), name.to_owned()),
        None => (".".to_owned(), trimmed.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::split_parent;

    #[test]
    fn splits_paths() {
        assert_eq!(split_parent("/a/b/c"), ("/a/b".into(), "c".into()));
        assert_eq!(split_parent("/c"), ("/".into(), "c".into()));
        assert_eq!(split_parent("/a/b/"), ("/a".into(), "b".into()));
    }
}
