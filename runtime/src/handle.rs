//! [`PythonContainer`]: the handle a test gets.

use crate::copy;
use crate::error::{Error, Result};
use crate::exec::{self, ExecOptions, ExecOutput};
use crate::python::{self, PythonCall, Target};
use futures_util::StreamExt;
use python_container_test_fixtures::bollard::query_parameters::{
    DownloadFromContainerOptionsBuilder, LogsOptionsBuilder, UploadToContainerOptionsBuilder,
};
use python_container_test_fixtures::{self as fixtures, ContainerSpec, Fixture};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

/// A handle to a running container with Python, shared by every test of an
/// equal [`ContainerSpec`]. Cloning is cheap; the test's private working
/// directory ([`workdir`](Self::workdir)) is removed when the last clone is
/// dropped.
///
/// Every method blocks until the container answers; they work in plain and in
/// async tests alike. Relative container paths resolve against the workdir.
///
/// Python calls ([`python`](Self::python), [`eval`](Self::eval),
/// [`run_module`](Self::run_module), [`run_script`](Self::run_script)) take
/// the fast path: a child forked from a warm interpreter in the container
/// (with the spec's `preload` modules imported once), a few milliseconds
/// instead of an interpreter start-up per call, with the results of a fresh
/// `python`. [`with_fast_path(false)`](Self::with_fast_path), or
/// `PYTHON_CONTAINER_TEST_FAST=0` in the environment, runs them as plain
/// `docker exec python ...` instead.
#[derive(Clone)]
pub struct PythonContainer {
    inner: Arc<Inner>,
    fast: bool,
}

struct Inner {
    fixture: Arc<Fixture>,
    workdir: String,
    image: String,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let fixture = self.fixture.clone();
        let path = std::mem::take(&mut self.workdir);
        if let Ok(runtime) = fixtures::runtime() {
            runtime.spawn(async move {
                let _ = fixture
                    .lease()
                    .request("remove_workdir", json!({ "path": path }))
                    .await;
            });
        }
    }
}

impl std::fmt::Debug for PythonContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PythonContainer")
            .field("name", &self.name())
            .field("id", &self.id())
            .field("image", &self.image())
            .field("workdir", &self.workdir())
            .field("fast_path", &self.fast)
            .finish()
    }
}

impl PythonContainer {
    /// Acquires a container for `spec` outside the test macro (in a helper,
    /// a benchmark or `main`). Blocks until it runs.
    pub fn start(spec: ContainerSpec) -> Result<Self> {
        Self::for_test(spec, "manual")
    }

    /// Acquires a container for the test `test_name`.
    pub(crate) fn for_test(spec: ContainerSpec, test_name: &str) -> Result<Self> {
        let name = test_name.to_owned();
        fixtures::block_on(async move {
            let image = spec.image_name();
            let fixture = fixtures::acquire_async(spec).await?;
            let made = fixture
                .lease()
                .request("make_workdir", json!({ "name": name }))
                .await?;
            let workdir = made
                .get("path")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| fixtures::Error::Agent {
                    detail: format!("make_workdir answered without a path: {made}"),
                })?;
            Ok(PythonContainer {
                inner: Arc::new(Inner {
                    fixture,
                    workdir,
                    image,
                }),
                fast: python::fast_by_default(),
            })
        })
    }

    /// Runs `argv` (a real `docker exec`) in the test's workdir.
    pub fn exec<I, S>(&self, argv: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.exec_with(argv, ExecOptions::default())
    }

    /// Runs `argv` with environment, workdir, user, stdin or a timeout.
    pub fn exec_with<I, S>(&self, argv: I, options: ExecOptions) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let argv: Vec<String> = argv.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let workdir = self.resolve(options.workdir.as_deref().unwrap_or("."));
        let fixture = self.inner.fixture.clone();
        fixtures::block_on(exec::exec(fixture, argv, options, workdir))
    }

    /// Runs Python `code`, as `python -c code` would.
    pub fn python(&self, code: &str) -> Result<ExecOutput> {
        self.python_with(code, ExecOptions::default())
    }

    /// Runs Python `code` with environment, workdir, stdin or a timeout
    /// (a timed-out call is killed: [`Error::Timeout`]). A `user`, or
    /// `PYTHON*` variables in `env`, make it a plain `docker exec`.
    pub fn python_with(&self, code: &str, options: ExecOptions) -> Result<ExecOutput> {
        let call = PythonCall::new(Target::Code(code.to_owned()), [""; 0]);
        self.run_python(call, options)
    }

    /// Runs a module as a script (`python -m module args...`). `args` is
    /// anything [`exec`](Self::exec) takes: an array, a `Vec`, a slice.
    ///
    /// ```no_run
    /// # fn f(py: &python_container_test::PythonContainer) -> python_container_test::Result<()> {
    /// let help = py.run_module("json.tool", ["--help"])?;
    /// assert!(help.stdout_str().contains("usage"));
    /// # Ok(()) }
    /// ```
    pub fn run_module<I, S>(&self, module: &str, args: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.run_module_with(module, args, ExecOptions::default())
    }

    /// Runs a module as a script with options, as [`python_with`](Self::python_with).
    pub fn run_module_with<I, S>(
        &self,
        module: &str,
        args: I,
        options: ExecOptions,
    ) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let call = PythonCall::new(Target::Module(module.to_owned()), args);
        self.run_python(call, options)
    }

    /// Copies the host script `host_path` into the container and runs it
    /// (`python script.py args...`); `args` as in [`exec`](Self::exec).
    pub fn run_script<I, S>(&self, host_path: impl AsRef<Path>, args: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let host_path = host_path.as_ref();
        let bytes = std::fs::read(host_path).map_err(|source| Error::HostPath {
            path: host_path.to_path_buf(),
            source,
        })?;
        let file_name = host_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "script.py".to_owned());
        let script = format!(".python-container-test/scripts/{file_name}");
        self.write_file(&script, bytes)?;
        let call = PythonCall::new(Target::Script(self.resolve(&script)), args);
        self.run_python(call, ExecOptions::default())
    }

    /// Evaluates a Python expression and returns its value, through JSON.
    /// A raised exception is [`Error::Python`] with the traceback.
    ///
    /// ```no_run
    /// # fn f(py: &python_container_test::PythonContainer) -> python_container_test::Result<()> {
    /// let total: i64 = py.eval("sum(range(10))")?;
    /// assert_eq!(total, 45);
    /// # Ok(()) }
    /// ```
    pub fn eval<T: DeserializeOwned>(&self, expr: &str) -> Result<T> {
        let out = self.run_python(PythonCall::eval(expr), ExecOptions::default())?;
        python::decode_eval(expr, out)
    }

    /// This handle with the fast path for Python calls on or off (off: each
    /// call is a plain `docker exec python ...`; the results are the same).
    /// The default is on, unless `PYTHON_CONTAINER_TEST_FAST=0`.
    pub fn with_fast_path(&self, on: bool) -> PythonContainer {
        PythonContainer {
            inner: self.inner.clone(),
            fast: on,
        }
    }

    /// Whether Python calls take the fast path (see [`with_fast_path`](Self::with_fast_path)).
    pub fn fast_path(&self) -> bool {
        self.fast
    }

    /// Runs a Python call: in the warm interpreter when it can, else exec.
    fn run_python(&self, call: PythonCall, options: ExecOptions) -> Result<ExecOutput> {
        let fixture = &self.inner.fixture;
        if !(self.fast && python::can_run_warm(fixture, &call, &options)) {
            return self.exec_with(call.argv(self.python_program()), options);
        }
        let workdir = self.resolve(options.workdir.as_deref().unwrap_or("."));
        fixtures::block_on(python::run_warm(fixture.clone(), call, options, workdir))
    }

    /// Writes `bytes` to the file `path`, creating its parent folders.
    pub fn write_file(&self, path: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        let path = self.resolve(path);
        let (parent, name) = split_parent(&path);
        let archive = copy::tar_file(&name, bytes.as_ref(), self.owner())?;
        self.upload(parent, archive)
    }

    /// Reads the file `path`, up to 1 GiB ([`Error::TooLarge`] past that:
    /// copy bigger files with [`copy_from`](Self::copy_from)).
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        let path = self.resolve(path);
        // Room for the tar headers around the file's bytes.
        let archive = self.download(&path, Some(copy::READ_FILE_LIMIT + (1 << 16)))?;
        copy::untar_file(&archive, &path)
    }

    /// Copies the host file or folder `host_path` to `container_path`, which
    /// becomes a copy of it (parent folders are created).
    pub fn copy_to(&self, host_path: impl AsRef<Path>, container_path: &str) -> Result<()> {
        let path = self.resolve(container_path);
        let (parent, name) = split_parent(&path);
        let archive = copy::tar_path(host_path.as_ref(), &name, self.owner())?;
        self.upload(parent, archive)
    }

    /// Copies the container file or folder `container_path` to `host_path`,
    /// which becomes a copy of it. Before anything is written, refuses
    /// ([`Error::UnsafeArchive`]) an archive with an entry or link that would
    /// lead outside `host_path`, through links already there or made by the
    /// archive. Setuid, setgid and sticky bits are dropped; the umask applies.
    pub fn copy_from(&self, container_path: &str, host_path: impl AsRef<Path>) -> Result<()> {
        let path = self.resolve(container_path);
        let archive = self.download(&path, None)?;
        copy::untar_to(&archive, host_path.as_ref())
    }

    /// The container's output (stdout and stderr of its main process).
    pub fn logs(&self) -> Result<String> {
        let id = self.id().to_owned();
        self.on_engine("logs", move |docker| async move {
            let options = LogsOptionsBuilder::default()
                .stdout(true)
                .stderr(true)
                .build();
            let mut stream = docker.logs(&id, Some(options));
            let mut text = String::new();
            while let Some(chunk) = stream.next().await {
                text.push_str(&chunk?.to_string());
            }
            Ok(text)
        })
    }

    /// The host port that the container's TCP `port` is published on (see
    /// `Service::port`): the service is at `127.0.0.1:<host port>`.
    pub fn host_port(&self, port: u16) -> Result<u16> {
        let id = self.id().to_owned();
        fixtures::block_on(async move { Ok(fixtures::host_port(&id, port).await?) })
    }

    /// Keeps the container after the test for debugging (see the README):
    /// renamed, it no longer exits by itself nor serves new tests. Returns
    /// its new name; remove it with `docker rm -f <name>`.
    pub fn keep(&self) -> Result<String> {
        let fixture = self.inner.fixture.clone();
        fixtures::block_on(async move { Ok(fixture.keep().await?) })
    }

    /// The test's private working directory in the container.
    pub fn workdir(&self) -> &str {
        &self.inner.workdir
    }

    /// The container's id.
    pub fn id(&self) -> &str {
        self.inner.fixture.id()
    }

    /// The container's name (`docker exec -it <name> bash` gets you in).
    pub fn name(&self) -> &str {
        self.inner.fixture.name()
    }

    /// The image the container runs.
    pub fn image(&self) -> &str {
        &self.inner.image
    }

    /// Whether the container has GPUs.
    pub fn gpu(&self) -> bool {
        self.inner.fixture.gpu()
    }

    /// The spec the container was made from.
    pub fn spec(&self) -> &ContainerSpec {
        self.inner.fixture.spec()
    }

    /// `path` made absolute against the test's workdir.
    pub fn resolve(&self, path: &str) -> String {
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
        self.inner.fixture.lease().owner()
    }

    fn python_program(&self) -> &str {
        self.spec().python_program()
    }

    /// Creates `parent` (as the container's user) and unpacks `archive` in it.
    fn upload(&self, parent: String, archive: Vec<u8>) -> Result<()> {
        let fixture = self.inner.fixture.clone();
        fixtures::block_on(async move {
            fixture
                .lease()
                .request("make_dirs", json!({ "path": parent }))
                .await?;
            let docker = fixtures::docker().await?;
            let options = UploadToContainerOptionsBuilder::default()
                .path(&parent)
                .build();
            docker
                .upload_to_container(
                    fixture.id(),
                    Some(options),
                    fixtures::bollard::body_full(archive.into()),
                )
                .await
                .map_err(|e| Error::Docker {
                    call: format!("upload to {parent} in {}", fixture.name()),
                    detail: e.to_string(),
                })
        })
    }

    /// The tar archive of `path` in the container; [`Error::TooLarge`] once
    /// it grows past `limit`.
    fn download(&self, path: &str, limit: Option<u64>) -> Result<Vec<u8>> {
        let id = self.id().to_owned();
        let name = self.name().to_owned();
        let path = path.to_owned();
        fixtures::block_on(async move {
            let docker = fixtures::docker().await?;
            let options = DownloadFromContainerOptionsBuilder::default()
                .path(&path)
                .build();
            let mut stream = docker.download_from_container(&id, Some(options));
            let mut archive = Vec::new();
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(bytes) => {
                        archive.extend_from_slice(&bytes);
                        let over =
                            |l: u64| archive.len() as u64 > l || copy::claims_too_much(&archive);
                        if limit.is_some_and(over) {
                            return Err(Error::TooLarge {
                                path,
                                limit: copy::READ_FILE_LIMIT,
                            });
                        }
                    }
                    Err(e) if fixtures::status_of(&e) == Some(404) => {
                        return Err(Error::NotFound {
                            path,
                            container: name,
                        })
                    }
                    Err(e) => {
                        return Err(Error::Docker {
                            call: format!("download {path} from {name}"),
                            detail: e.to_string(),
                        })
                    }
                }
            }
            Ok(archive)
        })
    }

    /// Runs a Docker call on the fixtures runtime.
    fn on_engine<T, F, Fut>(&self, call: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&'static fixtures::bollard::Docker) -> Fut + Send + 'static,
        Fut: Future<Output = std::result::Result<T, fixtures::bollard::errors::Error>> + Send,
    {
        let name = self.name().to_owned();
        fixtures::block_on(async move {
            let docker = fixtures::docker().await?;
            f(docker).await.map_err(|e| Error::Docker {
                call: format!("{call} of {name}"),
                detail: e.to_string(),
            })
        })
    }
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
