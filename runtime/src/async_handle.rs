//! [`AsyncPythonContainer`]: the handle for async tests, whose methods are
//! futures that never block the caller's runtime.

use crate::error::Result;
use crate::exec::{ExecOptions, ExecOutput};
use crate::handle::PythonContainer;
use crate::ops::Handle;
use crate::python::{self, PythonCall, Target};
use python_container_test_fixtures::GpuAttachment;
use python_container_test_fixtures::{self as fixtures, ContainerSpec};
use serde::de::DeserializeOwned;
use std::path::Path;

/// The async twin of [`PythonContainer`]: the same container, workdir and
/// methods, as futures. The work runs on the crate's own runtime, so the
/// thread of the test's runtime stays free while Python runs: a test can
/// serve a Rust server on its (even current-thread) runtime and call it from
/// Python in the container.
///
/// ```no_run
/// use python_container_test::{python_container_test, AsyncPythonContainer};
///
/// #[python_container_test(image = "python:3.12-slim")]
/// async fn answers_over_http(py: &AsyncPythonContainer) {
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await.unwrap();
///     let port = listener.local_addr().unwrap().port();
///     tokio::spawn(async move {
///         use tokio::io::AsyncWriteExt;
///         let (mut conn, _) = listener.accept().await.unwrap();
///         conn.write_all(b"HTTP/1.0 200 OK\r\n\r\nhello").await.unwrap();
///     });
///     let host = py.host_address().await.unwrap();
///     let url = format!("http://{host}:{port}/");
///     let body: String = py
///         .eval(&format!("__import__('urllib.request').request.urlopen({url:?}).read().decode()"))
///         .await
///         .unwrap();
///     assert_eq!(body, "hello");
/// }
/// ```
#[derive(Clone)]
pub struct AsyncPythonContainer {
    pub(crate) handle: Handle,
}

impl std::fmt::Debug for AsyncPythonContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncPythonContainer")
            .field("name", &self.name())
            .field("id", &self.id())
            .field("image", &self.image())
            .field("workdir", &self.workdir())
            .field("fast_path", &self.handle.fast)
            .finish()
    }
}

impl AsyncPythonContainer {
    /// Acquires a container for `spec` outside the test macro.
    pub async fn start(spec: ContainerSpec) -> Result<Self> {
        let handle = fixtures::spawn(Handle::acquire(spec, "manual".to_owned())).await?;
        Ok(AsyncPythonContainer { handle })
    }

    /// The blocking handle to the same container and workdir (a cheap clone).
    pub fn blocking(&self) -> PythonContainer {
        PythonContainer {
            handle: self.handle.clone(),
        }
    }

    /// Runs `argv` (a real `docker exec`) in the test's workdir.
    pub async fn exec<I, S>(&self, argv: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.exec_with(argv, ExecOptions::default()).await
    }

    /// Runs `argv` with environment, workdir, user, stdin or a timeout.
    pub async fn exec_with<I, S>(&self, argv: I, options: ExecOptions) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let argv = argv.into_iter().map(|a| a.as_ref().to_owned()).collect();
        fixtures::spawn(self.handle.exec(argv, options)).await
    }

    /// Runs Python `code`, as `python -c code` would.
    pub async fn python(&self, code: &str) -> Result<ExecOutput> {
        self.python_with(code, ExecOptions::default()).await
    }

    /// Runs Python `code` with environment, workdir, stdin or a timeout.
    pub async fn python_with(&self, code: &str, options: ExecOptions) -> Result<ExecOutput> {
        let call = PythonCall::new(Target::Code(code.to_owned()), [""; 0]);
        fixtures::spawn(self.handle.python(call, options)).await
    }

    /// Runs a module as a script (`python -m module args...`).
    pub async fn run_module<I, S>(&self, module: &str, args: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.run_module_with(module, args, ExecOptions::default())
            .await
    }

    /// Runs a module as a script with options.
    pub async fn run_module_with<I, S>(
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
        fixtures::spawn(self.handle.python(call, options)).await
    }

    /// Copies the host script `host_path` into the container and runs it.
    pub async fn run_script<I, S>(&self, host_path: impl AsRef<Path>, args: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let host_path = host_path.as_ref().to_path_buf();
        fixtures::spawn(self.handle.run_script(host_path, args)).await
    }

    /// Evaluates a Python expression and returns its value, through JSON.
    pub async fn eval<T: DeserializeOwned>(&self, expr: &str) -> Result<T> {
        self.eval_with(expr, ExecOptions::default()).await
    }

    /// Evaluates a Python expression with options (see
    /// [`PythonContainer::eval_with`]).
    pub async fn eval_with<T: DeserializeOwned>(
        &self,
        expr: &str,
        options: ExecOptions,
    ) -> Result<T> {
        let call = PythonCall::eval(expr);
        let out = fixtures::spawn(self.handle.python(call, options)).await?;
        python::decode_eval(expr, out)
    }

    /// Opens an [`AsyncSession`](crate::AsyncSession): one long-lived
    /// interpreter in the container whose state persists from one call to
    /// the next (see [`PythonContainer::session`]).
    pub async fn session(&self) -> Result<crate::AsyncSession> {
        crate::AsyncSession::open(self.handle.clone()).await
    }

    /// This handle with the fast path for Python calls on or off.
    pub fn with_fast_path(&self, on: bool) -> AsyncPythonContainer {
        let mut handle = self.handle.clone();
        handle.fast = on;
        AsyncPythonContainer { handle }
    }

    /// Whether Python calls take the fast path.
    pub fn fast_path(&self) -> bool {
        self.handle.fast
    }

    /// Writes `bytes` to the file `path`, creating its parent folders.
    pub async fn write_file(&self, path: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        fixtures::spawn(self.handle.write_file(path, bytes.as_ref().to_vec())).await
    }

    /// Reads the file `path`, up to 1 GiB.
    pub async fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        fixtures::spawn(self.handle.read_file(path)).await
    }

    /// Copies the host file or folder `host_path` to `container_path`.
    pub async fn copy_to(&self, host_path: impl AsRef<Path>, container_path: &str) -> Result<()> {
        let host_path = host_path.as_ref().to_path_buf();
        fixtures::spawn(self.handle.copy_to(host_path, container_path)).await
    }

    /// Copies the container file or folder `container_path` to `host_path`,
    /// with the checks of [`PythonContainer::copy_from`].
    pub async fn copy_from(&self, container_path: &str, host_path: impl AsRef<Path>) -> Result<()> {
        let host_path = host_path.as_ref().to_path_buf();
        fixtures::spawn(self.handle.copy_from(container_path, host_path)).await
    }

    /// The container's output (stdout and stderr of its main process).
    pub async fn logs(&self) -> Result<String> {
        fixtures::spawn(self.handle.logs(None)).await
    }

    /// The host port that the container's TCP `port` is published on.
    pub async fn host_port(&self, port: u16) -> Result<u16> {
        fixtures::spawn(self.handle.host_port(port)).await
    }

    /// Where this test process reaches the container's TCP `port`
    /// (published with `Service::port`): `TESTCONTAINERS_HOST_OVERRIDE` and
    /// the published port when that is set; the engine's host (resolved)
    /// and the published port for a `tcp://` or `https://` engine; when
    /// this process runs in a container, the container's address on a
    /// network both share and `port` itself (else the gateway and the
    /// published port); else `127.0.0.1` and the published port. A port
    /// that is not published is an error listing those that are.
    pub async fn service_addr(&self, port: u16) -> Result<std::net::SocketAddr> {
        fixtures::spawn(self.handle.service_addr(port)).await
    }

    /// The address at which code in the container reaches a listener of
    /// this test process: the gateway of the container's network (the
    /// engine host's side of it; `127.0.0.1` with the host's network).
    ///
    /// Bind the listener to `0.0.0.0` (or that address), not `127.0.0.1`:
    /// the container's packets arrive on the bridge, not on the loopback.
    /// On a remote engine it is this machine's address on its route to the
    /// engine's host; when this process runs in a container, that
    /// container's address on a network both share.
    pub async fn host_address(&self) -> Result<String> {
        fixtures::spawn(self.handle.host_address()).await
    }

    /// Keeps the container after the test for debugging; its new name.
    pub async fn keep(&self) -> Result<String> {
        fixtures::spawn(self.handle.keep()).await
    }

    /// The test's private working directory in the container.
    pub fn workdir(&self) -> &str {
        self.handle.workdir()
    }

    /// The container's id.
    pub fn id(&self) -> &str {
        self.handle.id()
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        self.handle.name()
    }

    /// The image the container runs.
    pub fn image(&self) -> &str {
        self.handle.image()
    }

    /// How the container's GPUs were attached; `None` without GPUs (see
    /// [`PythonContainer::gpu`](crate::PythonContainer::gpu)).
    pub fn gpu(&self) -> Option<GpuAttachment> {
        self.handle.leased().gpu()
    }

    /// The spec the container was made from.
    pub fn spec(&self) -> &ContainerSpec {
        self.handle.spec()
    }

    /// `path` made absolute against the test's workdir.
    pub fn resolve(&self, path: &str) -> String {
        self.handle.resolve(path)
    }
}
