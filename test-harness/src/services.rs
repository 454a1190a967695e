//! services: the processes the multi-gateway e2e tests and the bench run beside Envoy, each on
//! a free loopback port and stopped (killed) on Drop: Redis (Debian's `redis-server`, installed
//! by build.sh), the rate-limit service `tools/rls/rls.py` and the OTLP trace sink
//! `scripts/otlp_sink.py` (both in the project virtualenv that holds Envoy).

use std::fs;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::envoy::paths;

/// Start-up budget of a service (Python imports gRPC and the protos: a few seconds on a busy
/// 2-core machine).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A free loopback port (bound, then released: the service binds it right after).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// A fresh run directory for one service.
fn run_dir(name: &str) -> io::Result<PathBuf> {
    let seq = SEQ.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("guardrail-{name}-{}-{seq}", std::process::id()));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The project virtualenv's Python (beside the Envoy binary it holds).
pub fn venv_python() -> Result<PathBuf, String> {
    let envoy = paths::envoy_binary().map_err(|e| e.to_string())?;
    let python = envoy.with_file_name("python");
    if python.is_file() {
        Ok(python)
    } else {
        Err(format!(
            "{} not found; run ./build.sh test (it creates .venv from scripts/requirements.txt)",
            python.display()
        ))
    }
}

/// A child process with its log file; killed on Drop.
pub struct Process {
    name: &'static str,
    child: Child,
    dir: PathBuf,
    stopped: bool,
}

impl Process {
    fn spawn(name: &'static str, cmd: &mut Command, dir: PathBuf) -> Result<Process, String> {
        let log = fs::File::create(dir.join("log")).map_err(|e| format!("{name} log: {e}"))?;
        let err = log.try_clone().map_err(|e| format!("{name} log: {e}"))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("start {name}: {e}"))?;
        Ok(Process {
            name,
            child,
            dir,
            stopped: false,
        })
    }

    /// Everything the process printed so far.
    pub fn log(&self) -> String {
        fs::read(self.dir.join("log"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Kills the process (SIGKILL) and waits for it.
    pub fn stop(&mut self) {
        if !self.stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.stopped = true;
        }
    }

    /// Waits until `ready` says yes; an error with the log when the process exits or the
    /// budget runs out.
    fn wait(&mut self, mut ready: impl FnMut(&Process) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if ready(self) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                self.stopped = true;
                return Err(format!("{} exited ({status}):\n{}", self.name, self.log()));
            }
            if Instant::now() > deadline {
                return Err(format!("{} not ready in time:\n{}", self.name, self.log()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The port a Python service wrote to `port` in its run directory.
    fn written_port(&self) -> Option<u16> {
        fs::read_to_string(self.dir.join("port"))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
        if std::env::var_os("GUARDRAIL_KEEP_ENVOY_DIR").is_none() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Debian's `redis-server`: `$GUARDRAIL_REDIS`, else on PATH / /usr/bin.
pub fn redis_binary() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("GUARDRAIL_REDIS").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|d| d.join("redis-server"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "redis-server not found; run ./build.sh test (it installs Debian's redis-server)".into()
        })
}

/// A Redis server on loopback, in memory only (no snapshot, no append-only file).
pub struct Redis {
    pub process: Process,
    port: u16,
}

impl Redis {
    pub fn start() -> Result<Redis, String> {
        let port = free_port().map_err(|e| format!("free port: {e}"))?;
        let dir = run_dir("redis").map_err(|e| format!("redis dir: {e}"))?;
        let mut cmd = Command::new(redis_binary()?);
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir);
        let mut process = Process::spawn("redis-server", &mut cmd, dir)?;
        process.wait(|_| ping(port))?;
        Ok(Redis { process, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Stops Redis (the rate-limit service then fails its calls).
    pub fn stop(&mut self) {
        self.process.stop();
    }
}

/// `PING` answered with `+PONG`.
fn ping(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 16];
    s.write_all(b"PING\r\n").is_ok()
        && s.read(&mut buf)
            .is_ok_and(|n| buf.get(..n) == Some(b"+PONG\r\n"))
}

/// The rate-limit service (`tools/rls/rls.py`) reading limits from a key-auth configuration.
pub struct RateLimitService {
    pub process: Process,
    port: u16,
}

impl RateLimitService {
    /// Starts the service with `key_auth_config` (JSON text) against `redis_url`.
    pub fn start(key_auth_config: &str, redis_url: &str) -> Result<RateLimitService, String> {
        let dir = run_dir("rls").map_err(|e| format!("rls dir: {e}"))?;
        let config = dir.join("key-auth.json");
        fs::write(&config, key_auth_config).map_err(|e| format!("rls config: {e}"))?;
        let script = paths::repo_root().join("tools/rls/rls.py");
        let mut cmd = Command::new(venv_python()?);
        cmd.arg(script)
            .arg("--config")
            .arg(&config)
            .args(["--redis", redis_url, "--listen", "127.0.0.1:0"])
            .arg("--port-file")
            .arg(dir.join("port"));
        let mut process = Process::spawn("rls", &mut cmd, dir)?;
        process.wait(|p| p.written_port().is_some())?;
        let port = process.written_port().unwrap_or(0);
        Ok(RateLimitService { process, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Replaces the key-auth configuration the service reads (it notices within a second).
    pub fn set_config(&self, key_auth_config: &str) -> io::Result<()> {
        let path = self.process.dir().join("key-auth.json");
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, key_auth_config)?;
        fs::rename(tmp, path)
    }
}

/// An OTLP/gRPC trace receiver writing every span as a JSON line (`scripts/otlp_sink.py`).
pub struct OtlpSink {
    pub process: Process,
    port: u16,
}

impl OtlpSink {
    pub fn start() -> Result<OtlpSink, String> {
        let dir = run_dir("otlp").map_err(|e| format!("otlp dir: {e}"))?;
        let script = paths::repo_root().join("scripts/otlp_sink.py");
        let mut cmd = Command::new(venv_python()?);
        cmd.arg(script)
            .arg("--out")
            .arg(dir.join("spans.jsonl"))
            .arg("--port-file")
            .arg(dir.join("port"));
        let mut process = Process::spawn("otlp-sink", &mut cmd, dir)?;
        process.wait(|p| p.written_port().is_some())?;
        let port = process.written_port().unwrap_or(0);
        Ok(OtlpSink { process, port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The spans received so far.
    pub fn spans(&self) -> Vec<serde_json::Value> {
        fs::read_to_string(self.process.dir().join("spans.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}
