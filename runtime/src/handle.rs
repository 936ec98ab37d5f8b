//! [`PythonContainer`]: the handle a test gets, whose methods block.

use crate::async_handle::AsyncPythonContainer;
use crate::error::Result;
use crate::exec::{ExecOptions, ExecOutput};
use crate::ops::Handle;
use crate::python::{self, PythonCall, Target};
use python_container_test_fixtures::GpuAttachment;
use python_container_test_fixtures::{self as fixtures, ContainerSpec};
use serde::de::DeserializeOwned;
use std::path::Path;

/// A handle to a running container with Python, shared by every test of an
/// equal [`ContainerSpec`]. Cloning is cheap; the test's private working
/// directory ([`workdir`](Self::workdir)) is removed when the last clone is
/// dropped.
///
/// Every method blocks its thread until the container answers. In an async
/// test that also serves something on its own runtime (a server the Python
/// code calls), use [`AsyncPythonContainer`] instead: same methods, as
/// futures ([`to_async`](Self::to_async) converts). Relative container paths
/// resolve against the workdir.
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
    pub(crate) handle: Handle,
}

impl std::fmt::Debug for PythonContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PythonContainer")
            .field("name", &self.name())
            .field("id", &self.id())
            .field("image", &self.image())
            .field("workdir", &self.workdir())
            .field("fast_path", &self.handle.fast)
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
        let handle = fixtures::block_on(Handle::acquire(spec, test_name.to_owned()))?;
        Ok(PythonContainer { handle })
    }

    /// The async handle to the same container and workdir (a cheap clone).
    pub fn to_async(&self) -> AsyncPythonContainer {
        AsyncPythonContainer {
            handle: self.handle.clone(),
        }
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
        let argv = argv.into_iter().map(|a| a.as_ref().to_owned()).collect();
        fixtures::block_on(self.handle.exec(argv, options))
    }

    /// Runs Python `code`, as `python -c code` would.
    pub fn python(&self, code: &str) -> Result<ExecOutput> {
        self.python_with(code, ExecOptions::default())
    }

    /// Runs Python `code` with environment, workdir, stdin or a timeout
    /// (a timed-out call is killed: [`Error::Timeout`](crate::Error::Timeout)).
    /// A `user`, or `PYTHON*` variables in `env`, make it a plain `docker exec`.
    pub fn python_with(&self, code: &str, options: ExecOptions) -> Result<ExecOutput> {
        let call = PythonCall::new(Target::Code(code.to_owned()), [""; 0]);
        fixtures::block_on(self.handle.python(call, options))
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
        fixtures::block_on(self.handle.python(call, options))
    }

    /// Copies the host script `host_path` into the container and runs it
    /// (`python script.py args...`); `args` as in [`exec`](Self::exec).
    pub fn run_script<I, S>(&self, host_path: impl AsRef<Path>, args: I) -> Result<ExecOutput>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let args = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let host_path = host_path.as_ref().to_path_buf();
        fixtures::block_on(self.handle.run_script(host_path, args))
    }

    /// Evaluates a Python expression and returns its value, through JSON.
    /// A raised exception is [`Error::Python`](crate::Error::Python) with the
    /// traceback.
    ///
    /// ```no_run
    /// # fn f(py: &python_container_test::PythonContainer) -> python_container_test::Result<()> {
    /// let total: i64 = py.eval("sum(range(10))")?;
    /// assert_eq!(total, 45);
    /// # Ok(()) }
    /// ```
    pub fn eval<T: DeserializeOwned>(&self, expr: &str) -> Result<T> {
        self.eval_with(expr, ExecOptions::default())
    }

    /// Evaluates a Python expression with options (a timeout, env, workdir,
    /// user, stdin), as [`python_with`](Self::python_with) runs code.
    ///
    /// ```no_run
    /// # use python_container_test::ExecOptions;
    /// # use std::time::Duration;
    /// # fn f(py: &python_container_test::PythonContainer) -> python_container_test::Result<()> {
    /// let options = ExecOptions { timeout: Some(Duration::from_secs(5)), ..Default::default() };
    /// let answer: i64 = py.eval_with("__import__('model').answer()", options)?;
    /// # Ok(()) }
    /// ```
    pub fn eval_with<T: DeserializeOwned>(&self, expr: &str, options: ExecOptions) -> Result<T> {
        let call = PythonCall::eval(expr);
        let out = fixtures::block_on(self.handle.python(call, options))?;
        python::decode_eval(expr, out)
    }

    /// Opens a [`Session`](crate::Session): one long-lived interpreter in
    /// the container, started from the warm interpreter (with the spec's
    /// `preload` modules), whose state persists from one call to the next.
    /// For expensive state (a model, a GPU context, big data); plain calls
    /// give each call a fresh interpreter.
    ///
    /// ```no_run
    /// # fn f(py: &python_container_test::PythonContainer) -> python_container_test::Result<()> {
    /// let s = py.session()?;
    /// s.exec("import math\ncache = {}")?;
    /// let root: f64 = s.call("math.sqrt", (16,))?;
    /// assert_eq!(root, 4.0);
    /// # Ok(()) }
    /// ```
    pub fn session(&self) -> Result<crate::Session> {
        crate::Session::open(self.handle.clone())
    }

    /// This handle with the fast path for Python calls on or off (off: each
    /// call is a plain `docker exec python ...`; the results are the same).
    /// The default is on, unless `PYTHON_CONTAINER_TEST_FAST=0`.
    pub fn with_fast_path(&self, on: bool) -> PythonContainer {
        let mut handle = self.handle.clone();
        handle.fast = on;
        PythonContainer { handle }
    }

    /// Whether Python calls take the fast path (see [`with_fast_path`](Self::with_fast_path)).
    pub fn fast_path(&self) -> bool {
        self.handle.fast
    }

    /// Writes `bytes` to the file `path`, creating its parent folders.
    pub fn write_file(&self, path: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        fixtures::block_on(self.handle.write_file(path, bytes.as_ref().to_vec()))
    }

    /// Reads the file `path`, up to 1 GiB ([`Error::TooLarge`](crate::Error::TooLarge)
    /// past that: copy bigger files with [`copy_from`](Self::copy_from)).
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>> {
        fixtures::block_on(self.handle.read_file(path))
    }

    /// Copies the host file or folder `host_path` to `container_path`, which
    /// becomes a copy of it (parent folders are created).
    pub fn copy_to(&self, host_path: impl AsRef<Path>, container_path: &str) -> Result<()> {
        let host_path = host_path.as_ref().to_path_buf();
        fixtures::block_on(self.handle.copy_to(host_path, container_path))
    }

    /// Copies the container file or folder `container_path` to `host_path`,
    /// which becomes a copy of it. Before anything is written, refuses
    /// ([`Error::UnsafeArchive`](crate::Error::UnsafeArchive)) an archive with
    /// an entry or link that would lead outside `host_path`, through links
    /// already there or made by the archive. Setuid, setgid and sticky bits
    /// are dropped; the umask applies.
    pub fn copy_from(&self, container_path: &str, host_path: impl AsRef<Path>) -> Result<()> {
        let host_path = host_path.as_ref().to_path_buf();
        fixtures::block_on(self.handle.copy_from(container_path, host_path))
    }

    /// The container's output (stdout and stderr of its main process).
    pub fn logs(&self) -> Result<String> {
        fixtures::block_on(self.handle.logs(None))
    }

    /// The host port that the container's TCP `port` is published on (see
    /// `Service::port`): the service is at `127.0.0.1:<host port>`.
    pub fn host_port(&self, port: u16) -> Result<u16> {
        fixtures::block_on(self.handle.host_port(port))
    }

    /// Where this test process reaches the container's TCP `port`
    /// (published with `Service::port`): an address and port to connect to
    /// (see [`AsyncPythonContainer::service_addr`]).
    pub fn service_addr(&self, port: u16) -> Result<std::net::SocketAddr> {
        fixtures::block_on(self.handle.service_addr(port))
    }

    /// Keeps the container after the test for debugging (see the README):
    /// renamed, it no longer exits by itself nor serves new tests. Returns
    /// its new name; remove it with `docker rm -f <name>`.
    pub fn keep(&self) -> Result<String> {
        fixtures::block_on(self.handle.keep())
    }

    /// The address at which code in the container reaches a listener of
    /// this test process (see [`AsyncPythonContainer::host_address`]).
    pub fn host_address(&self) -> Result<String> {
        fixtures::block_on(self.handle.host_address())
    }

    /// The test's private working directory in the container.
    pub fn workdir(&self) -> &str {
        self.handle.workdir()
    }

    /// The container's id.
    pub fn id(&self) -> &str {
        self.handle.id()
    }

    /// The container's name (`docker exec -it <name> bash` gets you in).
    pub fn name(&self) -> &str {
        self.handle.name()
    }

    /// The image the container runs.
    pub fn image(&self) -> &str {
        self.handle.image()
    }

    /// How the container's GPUs were attached (CDI or the NVIDIA driver);
    /// `None` when it has none (a CPU spec, or `gpu = "auto"` on an engine
    /// that accepted no GPU mechanism).
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
