//! One moto server per test process, for the AWS adapters' tests.
//!
//! moto emulates DynamoDB, S3 and SES v1. [`moto()`] starts it once, on a
//! loopback port the OS picks, installing moto in `target/moto-venv` first if
//! needed (so that `cargo test` needs nothing but `python3`). The server is
//! started through a small Python wrapper that exits as soon as the test
//! process is gone, so it never outlives the tests.
//!
//! Clients are made per call: an SDK client keeps a connection pool tied to
//! the tokio runtime that used it, and every `#[tokio::test]` has its own.

use std::io::{BufRead as _, BufReader, ErrorKind, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use serde_json::Value;

use crate::adapters::dynamodb::create_table;

/// The moto release the tests run against. Keep `infra/requirements-test.txt`
/// in step (a test checks it).
pub const MOTO_VERSION: &str = "5.2.5";

/// The libfaketime the deployed-shape harness preloads into the Lambda
/// bootstraps, so that their real clock can be moved past a deadline
/// (python-libfaketime vendors and builds the C library). Keep
/// `infra/requirements-test.txt` in step (a test checks it).
pub const LIBFAKETIME_VERSION: &str = "3.0.1";

/// The region every test client uses (the production region).
pub const REGION: &str = "eu-west-3";

/// The address [`MotoServer::verified_sender`] verifies.
pub const TEST_SENDER: &str = "noreply@examreg.test";

/// How long a test waits for another test process installing moto.
const INSTALL_WAIT: Duration = Duration::from_secs(20 * 60);
/// How long moto may take to start and print its port.
const START_WAIT: Duration = Duration::from_secs(120);

/// Runs moto in this interpreter, prints its port, then exits when the test
/// process (whose pid is `sys.argv[1]`) is gone.
///
/// moto's threaded server checks a write's conditions and applies it without
/// a lock, so that two concurrent `TransactWriteItems` conditional on the
/// same item could both commit (seen: 2 winners out of 20 racing writers),
/// which DynamoDB never allows. Its DynamoDB writes are serialised here, as
/// DynamoDB's conditional writes and transactions are.
const WRAPPER: &str = r#"
import logging, os, sys, threading, time
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from moto.dynamodb.models import DynamoDBBackend
_writes = threading.RLock()
for _name in ("put_item", "update_item", "delete_item", "transact_write_items"):
    def _serialised(self, *args, _write=getattr(DynamoDBBackend, _name), **kwargs):
        with _writes:
            return _write(self, *args, **kwargs)
    setattr(DynamoDBBackend, _name, _serialised)
from moto.server import ThreadedMotoServer
parent = int(sys.argv[1])
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
# Nobody reads stdout any more: never die of a closed pipe.
devnull = os.open(os.devnull, os.O_WRONLY)
os.dup2(devnull, 1)
while os.getppid() == parent:
    time.sleep(0.5)
os._exit(0)
"#;

static SERVER: OnceLock<MotoServer> = OnceLock::new();

/// This test process's moto server, started at the first call. Panics with
/// what to install when moto cannot be started: a test is never skipped.
pub fn moto() -> &'static MotoServer {
    SERVER.get_or_init(|| match MotoServer::start() {
        Ok(server) => server,
        Err(message) => panic!("cannot start moto for the AWS adapters' tests: {message}"),
    })
}

/// [`moto()`] from async code: the first call installs and starts moto,
/// which blocks, so it runs off the async runtime's threads.
pub async fn moto_server() -> &'static MotoServer {
    match tokio::task::spawn_blocking(moto).await {
        Ok(server) => server,
        // Its own message says what to install: keep it.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("moto's start-up task was cancelled: {e}"),
    }
}

/// A running moto server. [`moto()`] shares one per process; a server made
/// with [`MotoServer::start`] is killed when dropped.
#[derive(Debug)]
pub struct MotoServer {
    endpoint: String,
    port: u16,
    child: Mutex<Option<Child>>,
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let child = match self.child.get_mut() {
            Ok(child) => child.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(mut child) = child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl MotoServer {
    /// Installs moto if needed and starts a new server.
    pub fn start() -> Result<MotoServer, String> {
        let python = ensure_installed(&target_dir())?;
        let stderr = match std::env::var_os("EXAMREG_MOTO_LOG") {
            Some(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map(Stdio::from)
                .map_err(|e| format!("cannot open EXAMREG_MOTO_LOG: {e}"))?,
            None => Stdio::null(),
        };
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(WRAPPER)
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        let port = match read_port(&mut child) {
            Ok(port) => port,
            Err(message) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(message);
            }
        };
        wait_until_listening(port)?;
        Ok(MotoServer {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            child: Mutex::new(Some(child)),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// An SDK configuration pointed at moto: region `eu-west-3`, static test
    /// credentials.
    pub fn sdk_config(&self) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing",
                "testing",
                None,
                None,
                "examreg-testkit",
            )))
            .endpoint_url(&self.endpoint)
            .build()
    }

    pub fn dynamodb_client(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config())
    }

    /// An S3 client with path-style addressing (moto serves every bucket on
    /// one host).
    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.sdk_config())
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub fn ses_client(&self) -> aws_sdk_ses::Client {
        aws_sdk_ses::Client::new(&self.sdk_config())
    }

    /// Creates a table with a unique name, as the template declares it.
    pub async fn fresh_table(&self) -> String {
        let name = unique_name("examreg-test");
        if let Err(e) = create_table(&self.dynamodb_client(), &name).await {
            panic!("cannot create the table {name} on moto: {e}");
        }
        name
    }

    /// Creates a bucket with a unique name in `eu-west-3`.
    pub async fn fresh_bucket(&self) -> String {
        let name = unique_name("examreg-test");
        let location = CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(REGION))
            .build();
        if let Err(e) = self
            .s3_client()
            .create_bucket()
            .bucket(&name)
            .create_bucket_configuration(location)
            .send()
            .await
        {
            panic!(
                "cannot create the bucket {name} on moto: {}",
                aws_sdk_s3::error::DisplayErrorContext(&e)
            );
        }
        name
    }

    /// Verifies [`TEST_SENDER`] with SES (moto refuses mail from others).
    pub async fn verified_sender(&self) -> String {
        if let Err(e) = self
            .ses_client()
            .verify_email_identity()
            .email_address(TEST_SENDER)
            .send()
            .await
        {
            panic!(
                "cannot verify {TEST_SENDER} on moto: {}",
                aws_sdk_ses::error::DisplayErrorContext(&e)
            );
        }
        TEST_SENDER.to_owned()
    }

    /// Every email sent through SES so far, oldest first, as moto keeps them:
    /// `{"id", "source", "destinations": {"ToAddresses": [...]}, "subject",
    /// "body"}`, where `body` is the HTML part when there is one, else the text.
    pub async fn sent_emails(&self) -> Vec<Value> {
        let url = format!("{}/moto-api/data.json", self.endpoint);
        // moto serialises its whole state for this route; under concurrent
        // writes it can answer a torn document: read it again.
        let mut last_error = String::new();
        let mut data = None;
        for _ in 0..5 {
            match reqwest::get(&url).await {
                Ok(response) => match response.json::<Value>().await {
                    Ok(value) => {
                        data = Some(value);
                        break;
                    }
                    Err(e) => last_error = format!("moto's {url} is not JSON: {e}"),
                },
                Err(e) => last_error = format!("cannot read {url}: {e}"),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let Some(data) = data else {
            panic!("{last_error}");
        };
        data.pointer("/ses/Message")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }
}

fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Reads the port the wrapper prints, or explains why it did not.
fn read_port(child: &mut Child) -> Result<u16, String> {
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| "moto's standard output was not captured".to_owned())?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let result = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = sender.send(result);
    });
    match receiver.recv_timeout(START_WAIT) {
        Ok(Ok(line)) => line.trim().parse().map_err(|_| {
            let status = child.try_wait().ok().flatten();
            format!(
                "moto exited before telling its port (exit: {status:?}, output: {line:?}); \
                 set EXAMREG_MOTO_LOG=/tmp/moto.log to see its errors, or delete \
                 target/moto-venv to reinstall it"
            )
        }),
        Ok(Err(e)) => Err(format!("cannot read moto's output: {e}")),
        Err(_) => Err(format!("moto did not start within {START_WAIT:?}")),
    }
}

fn wait_until_listening(port: u16) -> Result<(), String> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match TcpStream::connect_timeout(&address, Duration::from_secs(1)) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() > deadline => {
                return Err(format!("moto does not answer on {address}: {e}"))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The workspace's root: the nearest directory above this crate that holds
/// `Cargo.lock`.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or(&manifest_dir)
        .to_path_buf()
}

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// Makes sure `target/moto-venv` holds moto [`MOTO_VERSION`]; answers the
/// venv's Python.
fn ensure_installed(target: &Path) -> Result<PathBuf, String> {
    let venv = target.join("moto-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(format!(
        "examreg-moto-{MOTO_VERSION}-libfaketime-{LIBFAKETIME_VERSION}.installed"
    ));
    if marker.is_file() && python.exists() {
        return Ok(python);
    }
    std::fs::create_dir_all(target)
        .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
    let _lock = InstallLock::acquire(&target.join("moto-venv.lock"))?;
    // Another test process may have installed it while we waited.
    if marker.is_file() && python.exists() {
        return Ok(python);
    }
    let help = "install Python 3 with its venv module (Debian/Ubuntu: \
                `apt-get install python3 python3-venv`), with access to PyPI";
    match Command::new("python3").arg("--version").output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => {
            return Err(format!(
                "`python3 --version` failed ({}); {help}",
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
        Err(e) => return Err(format!("`python3` cannot be run ({e}); {help}")),
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv)
            .map_err(|e| format!("cannot remove the stale {}: {e}", venv.display()))?;
    }
    eprintln!(
        "examreg testkit: installing moto {MOTO_VERSION} in {} (once)...",
        venv.display()
    );
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        help,
    )?;
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
            ])
            .arg(format!("moto[server]=={MOTO_VERSION}"))
            .arg(format!("libfaketime=={LIBFAKETIME_VERSION}")),
        help,
    )?;
    std::fs::write(&marker, MOTO_VERSION)
        .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
    Ok(python)
}

/// The shared library of libfaketime, installed beside moto (see
/// [`LIBFAKETIME_VERSION`]): preloaded, it shifts a process's wall clock by
/// the offset written in the file named by `FAKETIME_TIMESTAMP_FILE`.
pub fn libfaketime_library() -> Result<PathBuf, String> {
    let python = ensure_installed(&target_dir())?;
    let output = Command::new(&python)
        .args([
            "-c",
            "import libfaketime, os; print(os.path.dirname(libfaketime.__file__))",
        ])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let package = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let library = package.join("vendor/libfaketime/src/libfaketime.so.1");
    if library.is_file() {
        Ok(library)
    } else {
        Err(format!(
            "libfaketime {LIBFAKETIME_VERSION} is installed but {} is missing",
            library.display()
        ))
    }
}

fn run(command: &mut Command, help: &str) -> Result<(), String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}; {help}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({}):\n{}\n{}\n{help}",
            output.status,
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// A lock file that serialises moto installs across test processes. It holds
/// the owner's pid, so a lock left by a killed process is taken over.
struct InstallLock(PathBuf);

impl InstallLock {
    fn acquire(path: &Path) -> Result<InstallLock, String> {
        let deadline = Instant::now() + INSTALL_WAIT;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut file) => {
                    let _ = write!(file, "{}", std::process::id());
                    return Ok(InstallLock(path.to_owned()));
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if lock_is_stale(path) {
                        let _ = std::fs::remove_file(path);
                        continue;
                    }
                    if Instant::now() > deadline {
                        return Err(format!(
                            "waited {INSTALL_WAIT:?} for {} (another test installing moto); \
                             delete it if no test is running",
                            path.display()
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
            }
        }
    }
}

/// Whether the process that took the lock is gone (known on Linux through
/// `/proc`; elsewhere, a lock older than the install wait is stale).
fn lock_is_stale(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let proc = Path::new("/proc");
    match text.trim().parse::<u32>() {
        Ok(pid) if proc.is_dir() => !proc.join(pid.to_string()).exists(),
        _ => std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age > INSTALL_WAIT),
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_versions_are_the_ones_in_requirements() {
        let requirements = workspace_root().join("infra").join("requirements-test.txt");
        let text = std::fs::read_to_string(&requirements).unwrap();
        for pinned in [
            format!("moto[server]=={MOTO_VERSION}"),
            format!("libfaketime=={LIBFAKETIME_VERSION}"),
        ] {
            assert!(
                text.lines().any(|line| line.trim() == pinned),
                "{} must pin {pinned}",
                requirements.display()
            );
        }
    }
}
